/* chat.c - greedy completion of a prompt, token by token. */
#include "model/chat.h"

#include <stdlib.h>
#include <string.h>

#include "model/generate.h"

typedef struct {
    int *ids;
    int len, cap;
} token_row;

/* Encode the prompt, keeping its last `keep` tokens. */
static bn_status encode_prompt(const bn_tokenizer *tok, const char *prompt, int keep,
                               token_row *row, bn_error *err)
{
    size_t plen = strlen(prompt);
    size_t need = bn_tok_encode(tok, prompt, plen, NULL, 0);
    int *all = malloc(sizeof(int) * (need + 1));
    if (!all)
        return bn_fail(err, BN_ERR_NOMEM, "chat: out of memory");
    int n = (int)bn_tok_encode(tok, prompt, plen, all, need + 1);
    int start = n > keep ? n - keep : 0;
    row->len = n - start;
    memcpy(row->ids, all + start, sizeof(int) * (size_t)row->len);
    free(all);
    if (row->len == 0)
        return bn_fail(err, BN_ERR_INPUT, "chat: empty prompt");
    return BN_OK;
}

/* Append a piece's bytes to out (keeping room for the terminator). */
static void put(char *out, size_t cap, size_t *n, const char *piece, size_t len)
{
    for (size_t i = 0; i < len && *n + 1 < cap; i++)
        out[(*n)++] = piece[i];
    if (cap)
        out[*n] = '\0';
}

bn_status bn_chat_complete(bn_model *m, const bn_tokenizer *tok, bn_chat_end_fn ends,
                           const char *prompt, int max_new, char *out, size_t cap,
                           bn_chat_token_fn on_token, void *ctx, bn_error *err)
{
    if (cap)
        out[0] = '\0';
    token_row row = {.cap = m->max_seq};
    row.ids = malloc(sizeof(int) * (size_t)row.cap);
    if (!row.ids)
        return bn_fail(err, BN_ERR_NOMEM, "chat: out of memory");
    bn_status s = encode_prompt(tok, prompt, row.cap - 1, &row, err);
    int generated = 0, answer_chars = 0;
    size_t n = 0;
    while (s == BN_OK && generated < max_new && row.len < row.cap) {
        bn_gen_batch batch = {.tokens = row.ids, .len = &row.len, .rows = 1, .cap = row.cap};
        bn_generate_greedy(m, &batch, 1, NULL, 0, bn_tok_special(tok, BN_TOK_PAD));
        int id = row.ids[row.len - 1];
        generated++;
        if (id == bn_tok_special(tok, BN_TOK_EOS))
            break;
        const char *piece;
        size_t plen = bn_tok_piece(tok, id, &piece);
        char text[64];
        size_t tl = plen < sizeof text - 1 ? plen : sizeof text - 1;
        memcpy(text, piece, tl);
        text[tl] = '\0';
        if (ends && ends(text, answer_chars))
            break;
        for (size_t i = 0; i < tl; i++)
            answer_chars += text[i] != ' ';
        put(out, cap, &n, text, tl);
        if (on_token)
            on_token(ctx, out);
    }
    free(row.ids);
    return s;
}
