/* chat.c - greedy completion of a prompt, token by token, on a KV-cache decoder over the
 * model's weights (README, "Inference"). */
#include "model/chat.h"

#include <stdlib.h>
#include <string.h>

#include "model/decoder.h"
#include "model/generate.h"
#include "model/textgen.h"

typedef struct {
    int *ids;
    int len, cap;
} token_row;

/* Encode the prompt, keeping its last `keep` tokens. */
static bn_status encode_prompt(const bn_tokenizer *tok, const char *prompt, int keep,
                               token_row *row, bn_error *err)
{
    int *all;
    size_t n;
    bn_status st = bn_tok_encode_all(tok, prompt, strlen(prompt), &all, &n, err);
    if (st != BN_OK)
        return st;
    size_t start = n > (size_t)keep ? n - (size_t)keep : 0;
    row->len = (int)(n - start);
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

/* The next token's text, at most 63 bytes, NUL-terminated. */
static size_t piece_text(const bn_tokenizer *tok, int id, char text[64])
{
    const char *piece;
    size_t plen = bn_tok_piece(tok, id, &piece);
    size_t tl = plen < 63 ? plen : 63;
    memcpy(text, piece, tl);
    text[tl] = '\0';
    return tl;
}

/* Greedy tokens after the fed prompt: each is fed to the decoder before the next. */
static bn_status complete(bn_decoder *d, const bn_tokenizer *tok, bn_chat_end_fn ends,
                          int max_new, char *out, size_t cap, bn_chat_token_fn on_token,
                          void *ctx, bn_error *err)
{
    int V = d->m->cfg.vocab_size, eos = bn_tok_special(tok, BN_TOK_EOS), answer_chars = 0;
    const float *z = bn_decoder_logits(d, d->n_last - 1);
    size_t n = 0;
    for (int generated = 0; generated < max_new && z; generated++) {
        int id = bn_argmax(z, V);
        char text[64];
        size_t tl = piece_text(tok, id, text);
        if (id == eos || (ends && ends(text, answer_chars)))
            break;
        for (size_t i = 0; i < tl; i++)
            answer_chars += text[i] != ' ';
        put(out, cap, &n, text, tl);
        if (on_token && on_token(ctx, out))
            break; /* cancelled */
        if (bn_decoder_pos(d) + 1 >= d->max_seq)
            break; /* the last token a forward of max_seq - 1 tokens could predict */
        z = bn_decoder_step(d, id, err);
    }
    return z ? BN_OK : BN_ERR_INPUT;
}

int bn_chat_decoder_seq(const bn_model *m, int samples)
{
    if (samples)
        return m->cfg.max_seq_len;
    return m->max_seq < m->cfg.max_seq_len ? m->max_seq : m->cfg.max_seq_len;
}

bn_status bn_chat_complete_on(bn_decoder *d, const bn_tokenizer *tok, bn_chat_end_fn ends,
                              const char *prompt, int max_new, char *out, size_t cap,
                              bn_chat_token_fn on_token, void *ctx, bn_error *err)
{
    if (cap)
        out[0] = '\0';
    token_row row = {.cap = d->max_seq};
    row.ids = malloc(sizeof(int) * (size_t)row.cap);
    if (!row.ids)
        return bn_fail(err, BN_ERR_NOMEM, "chat: out of memory");
    bn_status s = encode_prompt(tok, prompt, row.cap - 1, &row, err);
    bn_decoder_reset(d);
    if (s == BN_OK)
        s = bn_decoder_feed(d, row.ids, row.len, err); /* the forward's bits: generate.h */
    if (s == BN_OK)
        s = complete(d, tok, ends, max_new, out, cap, on_token, ctx, err);
    free(row.ids);
    return s;
}

bn_status bn_chat_complete(bn_model *m, const bn_tokenizer *tok, bn_chat_end_fn ends,
                           const char *prompt, int max_new, char *out, size_t cap,
                           bn_chat_token_fn on_token, void *ctx, bn_error *err)
{
    if (cap)
        out[0] = '\0';
    bn_decoder d;
    bn_status s = bn_decoder_init(&d, m, bn_chat_decoder_seq(m, 0), err);
    if (s == BN_OK)
        s = bn_chat_complete_on(&d, tok, ends, prompt, max_new, out, cap, on_token, ctx, err);
    bn_decoder_free(&d);
    return s;
}

typedef struct {
    char *out;
    size_t cap, n;
    int full; /* a run of characters did not fit: the rest is left out */
    int cancelled; /* on_token said stop */
    bn_chat_token_fn on_token;
    void *ctx;
} sample_out;

/* Whole characters come in runs; a run that does not fit ends the text there. */
static void sample_text(void *ctx, const char *text, size_t len)
{
    sample_out *o = ctx;
    if (o->full || o->n + len + 1 > o->cap) {
        o->full = 1;
        return;
    }
    memcpy(o->out + o->n, text, len);
    o->n += len;
    o->out[o->n] = '\0';
    if (o->on_token && o->on_token(o->ctx, o->out))
        o->cancelled = 1;
}

/* After every token, text or not: whether the asker still wants the answer. */
static int sample_cancelled(void *ctx)
{
    sample_out *o = ctx;
    if (!o->cancelled && o->on_token && o->on_token(o->ctx, NULL))
        o->cancelled = 1;
    return o->cancelled;
}

bn_status bn_chat_sample_on(bn_decoder *d, const bn_tokenizer *tok, const char *prompt,
                            const bn_sampling *set, unsigned long long seed, int max_new,
                            char *out, size_t cap, bn_chat_token_fn on_token, void *ctx,
                            bn_error *err)
{
    if (cap)
        out[0] = '\0';
    bn_sampler smp;
    memset(&smp, 0, sizeof smp);
    bn_status s = bn_sampler_init(&smp, d->m->cfg.vocab_size, set, seed, err);
    sample_out o = {.out = out, .cap = cap, .on_token = on_token, .ctx = ctx};
    bn_textgen_opts opts = {.max_tokens = max_new, .cancelled = sample_cancelled};
    bn_textgen_stats st;
    if (s == BN_OK) /* bn_textgen_run empties the cache first */
        s = bn_textgen_run(d, tok, &smp, prompt, &opts, sample_text, &o, &st, err);
    bn_sampler_free(&smp);
    return s;
}

bn_status bn_chat_sample(bn_model *m, const bn_tokenizer *tok, const char *prompt,
                         const bn_sampling *set, unsigned long long seed, int max_new,
                         char *out, size_t cap, bn_chat_token_fn on_token, void *ctx,
                         bn_error *err)
{
    if (cap)
        out[0] = '\0';
    bn_decoder d;
    bn_status s = bn_decoder_init(&d, m, bn_chat_decoder_seq(m, 1), err);
    if (s == BN_OK)
        s = bn_chat_sample_on(&d, tok, prompt, set, seed, max_new, out, cap, on_token, ctx,
                              err);
    bn_decoder_free(&d);
    return s;
}
