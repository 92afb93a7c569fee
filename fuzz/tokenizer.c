/* tokenizer.c - fuzz target: a Hugging Face tokenizer.json (tok/bpe.h bn_tok_load_hf), as
 * `prepare`, a text run and a checkpoint load it. What loads must encode text and decode it
 * back byte for byte (invalid UTF-8 included; README, "Tokenizers"), hash, and save as a
 * file that loads again with the same hash. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "tok/bpe.h"

/* encode -> decode gives back the text (without a prefix space, which decoding keeps). */
static void check_text(const bn_tokenizer *t, const char *text, size_t n)
{
    size_t need, got;
    bn_error err = {0};
    if (bn_tok_encode(t, text, n, NULL, 0, &need, &err) != BN_OK)
        return; /* out of memory: reported, not an encoding */
    /* the bound bn_tok_encode_all and evaluation size their buffers by */
    bn_fuzz_invariant(need <= n + 1, "more ids than bytes + 1");
    int *ids = malloc(sizeof(int) * (need + 1));
    if (!ids)
        return;
    bn_status st = bn_tok_encode(t, text, n, ids, need + 1, &got, &err);
    bn_fuzz_invariant(st == BN_OK && got == need,
                      "encode counts differently with room than without");
    size_t bytes = 1;
    for (size_t i = 0; i < got; i++) {
        const char *piece;
        bytes += bn_tok_piece(t, ids[i], &piece);
    }
    char *back = malloc(bytes);
    if (back) {
        size_t len = bn_tok_decode(t, ids, got, back, bytes);
        if (!bn_tok_bpe_add_prefix_space(t))
            bn_fuzz_invariant(len == n && memcmp(back, text, n) == 0,
                              "decode(encode(text)) is not the text");
    }
    free(back);
    free(ids);
}

/* Saved and loaded again, the same tokenizer (the same hash). */
static void check_save(const bn_tokenizer *t)
{
    char hash[BN_TOK_HASH_CAP], again_hash[BN_TOK_HASH_CAP], path[512];
    bn_error err = {0};
    if (bn_tok_hash(t, hash, &err) != BN_OK || !bn_fuzz_path("saved.json", path, sizeof path) ||
        bn_tok_save_hf(t, path, &err) != BN_OK)
        return;
    bn_tokenizer *again = NULL;
    bn_status st = bn_tok_load_hf(&again, path, &err);
    bn_fuzz_invariant(st == BN_OK, "a saved tokenizer does not load");
    bn_fuzz_invariant(bn_tok_hash(again, again_hash, &err) == BN_OK &&
                          strcmp(hash, again_hash) == 0,
                      "a saved tokenizer loads with another hash");
    bn_tok_free(again);
    bn_fuzz_remove("saved.json");
}

int bn_fuzz_tokenizer(const uint8_t *data, size_t size)
{
    char path[512];
    if (!bn_fuzz_path("tokenizer.json", path, sizeof path) ||
        !bn_fuzz_write("tokenizer.json", data, size))
        return 0;
    bn_tokenizer *t = NULL;
    bn_error err = {0};
    int loaded = bn_tok_load_hf(&t, path, &err) == BN_OK;
    if (loaded) {
        static const char sample[] = "Once upon a time, <|endoftext|> caf\xc3\xa9 \xff\xfe "
                                     "12+34= \xe2\x82\xac\n\n  tabs\tand  spaces";
        check_text(t, sample, sizeof sample - 1);
        check_text(t, (const char *)data, size < 512 ? size : 512);
        for (int id = -1; id <= bn_tok_vocab_size(t); id++) {
            const char *piece;
            bn_tok_piece(t, id, &piece);
        }
        check_save(t);
    }
    bn_tok_free(t);
    bn_fuzz_remove("tokenizer.json");
    return loaded;
}
