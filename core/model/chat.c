/* chat.c - greedy completion of a typed prompt, token by token. */
#include "model/chat.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/generate.h"

bn_status bn_chat_vocab(bn_task task, bn_vocab *v, bn_error *err)
{
    memset(v, 0, sizeof *v);
    if (task == BN_TASK_ARITHMETIC) {
        bn_vocab_arithmetic(v);
        return BN_OK;
    }
    if (task == BN_TASK_TICTACTOE) {
        bn_vocab_tictactoe(v);
        return BN_OK;
    }
    return bn_fail(err, BN_ERR_INPUT, "chat: text models need the BPE tokenizer, which is not "
                                      "available yet");
}

static int is_arith_symbol(char c)
{
    return c == '+' || c == '-' || c == '*' || c == '/' || c == '=';
}

/* Append c to out (keeping room for the terminator). */
static void put(char *out, size_t cap, size_t *n, char c)
{
    if (*n + 1 < cap)
        out[(*n)++] = c;
}

void bn_chat_prompt(bn_task task, const char *in, char *out, size_t cap)
{
    if (cap == 0)
        return;
    if (task != BN_TASK_ARITHMETIC) {
        snprintf(out, cap, "%s", in);
        return;
    }
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        if (*p == ' ')
            continue;
        /* A '-' right after an operator or at the start is a sign, not an operator. */
        int binary = is_arith_symbol(*p) && !(*p == '-' && (n == 0 || out[n - 1] == ' '));
        if (binary) {
            if (n > 0 && out[n - 1] != ' ')
                put(out, cap, &n, ' ');
            put(out, cap, &n, *p);
            put(out, cap, &n, ' ');
        } else {
            put(out, cap, &n, *p);
        }
    }
    out[n] = '\0';
}

typedef struct {
    int *ids;
    int len, cap;
} token_row;

/* Encode the prompt, keeping its last `keep` tokens. */
static bn_status encode_prompt(const bn_vocab *v, const char *prompt, int keep, token_row *row,
                               bn_error *err)
{
    size_t plen = strlen(prompt);
    int *all = malloc(sizeof(int) * (plen + 1));
    if (!all)
        return bn_fail(err, BN_ERR_NOMEM, "chat: out of memory");
    int n = (int)bn_vocab_encode(v, prompt, plen, all, plen + 1);
    int start = n > keep ? n - keep : 0;
    row->len = n - start;
    memcpy(row->ids, all + start, sizeof(int) * (size_t)row->len);
    free(all);
    if (row->len == 0)
        return bn_fail(err, BN_ERR_INPUT, "chat: empty prompt");
    return BN_OK;
}

bn_status bn_chat_complete(bn_model *m, const bn_vocab *v, bn_task task, const char *prompt,
                           int max_new, char *out, size_t cap, bn_chat_token_fn on_token,
                           void *ctx, bn_error *err)
{
    if (cap)
        out[0] = '\0';
    token_row row = {.cap = m->max_seq};
    row.ids = malloc(sizeof(int) * (size_t)row.cap);
    if (!row.ids)
        return bn_fail(err, BN_ERR_NOMEM, "chat: out of memory");
    bn_status s = encode_prompt(v, prompt, row.cap - 1, &row, err);
    int generated = 0, answer_chars = 0;
    size_t n = 0;
    while (s == BN_OK && generated < max_new && row.len < row.cap) {
        bn_gen_batch batch = {.tokens = row.ids, .len = &row.len, .rows = 1, .cap = row.cap};
        bn_generate_greedy(m, &batch, 1, NULL, 0, v->pad);
        int id = row.ids[row.len - 1];
        generated++;
        if (id == v->eos)
            break;
        char piece[16];
        bn_vocab_decode(v, &id, 1, piece, sizeof piece);
        if (task == BN_TASK_ARITHMETIC && piece[0] == ' ' && answer_chars > 0)
            break; /* the answer ends at the next space */
        answer_chars += piece[0] != ' ';
        for (const char *p = piece; *p; p++)
            put(out, cap, &n, *p);
        out[n] = '\0';
        if (on_token)
            on_token(ctx, out);
    }
    free(row.ids);
    return s;
}
