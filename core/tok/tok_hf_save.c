/* tok_hf_save.c - writing a BPE tokenizer as Hugging Face's tokenizer.json (the layout its
 * tokenizers library writes, merges in the [["a", "b"]] form), and opening a tokenizer by
 * name or path (README, "Tokenizers"). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/jsonio.h"
#include "tok/bpe.h"
#include "tok/bpe_impl.h"
#include "tok/bytelevel.h"

/* The byte-level string of id's bytes (NULL when out of memory). */
static json_t *bytelevel_string(const bn_bpe *b, int id)
{
    char stack[512];
    size_t need = BN_BYTELEVEL_MAX * b->len[id];
    char *buf = need <= sizeof stack ? stack : malloc(need);
    if (!buf)
        return NULL;
    size_t n = bn_bytelevel_encode(b->blob + b->off[id], b->len[id], buf);
    json_t *s = json_stringn(buf, n);
    if (buf != stack)
        free(buf);
    return s;
}

static int is_added(const bn_bpe *b, int id, int *special)
{
    for (int i = 0; i < b->n_added; i++)
        if (b->added[i] == id) {
            *special = b->added_special[i];
            return 1;
        }
    return 0;
}

/* added_tokens in id order; their text must be UTF-8 to be a JSON string. */
static json_t *added_json(const bn_bpe *b)
{
    json_t *list = json_array();
    for (int id = 0; list && id < b->n; id++) {
        int special;
        if (!is_added(b, id, &special))
            continue;
        json_t *content = json_stringn(b->blob + b->off[id], b->len[id]);
        if (!content) {
            json_decref(list);
            return NULL;
        }
        json_array_append_new(list, json_pack("{s:i, s:o, s:b, s:b, s:b, s:b, s:b}", "id", id,
                                              "content", content, "single_word", 0, "lstrip",
                                              0, "rstrip", 0, "normalized", 0, "special",
                                              special));
    }
    return list;
}

static json_t *pre_tokenizer_json(const bn_bpe *b)
{
    const char *pattern = bn_pretok_pattern(b->pre);
    if (strcmp(pattern, BN_PRETOK_GPT2) == 0)
        return json_pack("{s:s, s:b, s:b, s:b}", "type", "ByteLevel", "add_prefix_space",
                         b->add_prefix_space, "trim_offsets", 1, "use_regex", 1);
    return json_pack("{s:s, s:[{s:s, s:{s:s}, s:s, s:b}, {s:s, s:b, s:b, s:b}]}", "type",
                     "Sequence", "pretokenizers", "type", "Split", "pattern", "Regex",
                     pattern, "behavior", "Isolated", "invert", 0, "type", "ByteLevel",
                     "add_prefix_space", b->add_prefix_space, "trim_offsets", 1, "use_regex",
                     0);
}

static json_t *model_json(const bn_bpe *b)
{
    json_t *vocab = json_object(), *merges = json_array();
    json_t **names = calloc((size_t)b->n + 1, sizeof *names);
    int ok = vocab && merges && names;
    for (int id = 0; ok && id < b->n; id++)
        ok = (names[id] = bytelevel_string(b, id)) != NULL &&
             json_object_set_new(vocab, json_string_value(names[id]), json_integer(id)) == 0;
    for (int r = 0; ok && r < b->n_merges; r++)
        ok = json_array_append_new(merges, json_pack("[O, O]", names[b->merges[2 * r]],
                                                     names[b->merges[2 * r + 1]])) == 0;
    for (int id = 0; names && id < b->n; id++)
        json_decref(names[id]);
    free(names);
    if (!ok) {
        json_decref(vocab);
        json_decref(merges);
        return NULL;
    }
    return json_pack("{s:s, s:n, s:n, s:n, s:n, s:b, s:b, s:b, s:o, s:o}", "type", "BPE",
                     "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix",
                     "fuse_unk", 0, "byte_fallback", 0, "ignore_merges", b->ignore_merges,
                     "vocab", vocab, "merges", merges);
}

/* The tokenizer.json document of a BPE tokenizer; what names it in errors. */
static bn_status hf_document(const bn_tokenizer *t, const char *what, json_t **out,
                             bn_error *err)
{
    *out = NULL;
    if (!bn_tok_is_bpe(t))
        return bn_fail(err, BN_ERR_INPUT, "%s: only a BPE tokenizer is saved as tokenizer.json",
                       what);
    const bn_bpe *b = t->bpe;
    json_t *added = added_json(b);
    if (!added)
        return bn_fail(err, BN_ERR_INPUT, "%s: an added token is not UTF-8 text", what);
    json_t *pre = pre_tokenizer_json(b), *model = model_json(b);
    json_t *doc = json_pack("{s:s, s:n, s:n, s:o, s:n, s:o*, s:n, s:{s:s, s:b, s:b, s:b}, "
                            "s:o*}", "version", "1.0", "truncation", "padding", "added_tokens",
                            added, "normalizer", "pre_tokenizer", pre, "post_processor",
                            "decoder", "type", "ByteLevel", "add_prefix_space", 1,
                            "trim_offsets", 1, "use_regex", 1, "model", model);
    if (!doc || !pre || !model) {
        json_decref(doc);
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory for the tokenizer.json", what);
    }
    *out = doc;
    return BN_OK;
}

bn_status bn_tok_save_hf(const bn_tokenizer *t, const char *path, bn_error *err)
{
    json_t *doc;
    bn_status st = hf_document(t, path, &doc, err);
    if (st == BN_OK)
        st = bn_json_write_file(path, doc, 0, err);
    json_decref(doc);
    return st;
}

/* FNV-1a, 64 bits: a fingerprint that tells tokenizers apart, not a cryptographic hash. */
static uint64_t fnv1a64(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

bn_status bn_tok_hash(const bn_tokenizer *t, char out[BN_TOK_HASH_CAP], bn_error *err)
{
    json_t *doc;
    out[0] = '\0';
    bn_status st = hf_document(t, bn_tok_name(t), &doc, err);
    if (st != BN_OK)
        return st;
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(doc);
    if (!text)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory hashing the tokenizer",
                       bn_tok_name(t));
    snprintf(out, BN_TOK_HASH_CAP, "fnv1a64:%016" PRIx64, fnv1a64(text, strlen(text)));
    free(text);
    return BN_OK;
}

bn_status bn_tok_open(bn_tokenizer **out, const char *name_or_path, bn_error *err)
{
    if (strcmp(name_or_path, "arithmetic") == 0 || strcmp(name_or_path, "tictactoe") == 0)
        return bn_tok_char(out, name_or_path, err);
    return bn_tok_load_hf(out, name_or_path, err);
}
