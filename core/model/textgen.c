/* textgen.c - prompt, prefill, sample, stream (README, "Inference"). */
#include "model/textgen.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tok/utf8stream.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bn_status bn_textgen_encode(const bn_tokenizer *tok, const char *text, int **ids, int *n,
                            bn_error *err)
{
    size_t len = strlen(text), need = bn_tok_encode(tok, text, len, NULL, 0);
    *ids = malloc(sizeof(int) * (need + 1));
    if (!*ids)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory encoding %zu bytes", len);
    *n = (int)bn_tok_encode(tok, text, len, *ids, need + 1);
    return BN_OK;
}

typedef struct {
    bn_utf8_carry carry;
    bn_text_fn fn;
    void *ctx;
    char last; /* the last byte streamed */
    int blank; /* a blank line was streamed */
} text_out;

static void emit(text_out *t, const char *piece, size_t len)
{
    char buf[256 + 3];
    while (len > 0) {
        size_t k = len < 256 ? len : 256;
        for (size_t i = 0; i < k; i++) {
            t->blank |= piece[i] == '\n' && t->last == '\n';
            t->last = piece[i];
        }
        size_t out = bn_utf8_push(&t->carry, piece, k, buf);
        if (out && t->fn)
            t->fn(t->ctx, buf, out);
        piece += k;
        len -= k;
    }
}

/* Sample and feed up to max_tokens after the logits z. */
static bn_status sample_loop(bn_decoder *d, const bn_tokenizer *tok, bn_sampler *s,
                             const float *z, const bn_textgen_opts *o, text_out *t, int *out,
                             bn_textgen_stats *st, bn_error *err)
{
    int eos = bn_tok_special(tok, BN_TOK_EOS);
    st->stop = BN_STOP_MAX;
    while (st->tokens < o->max_tokens) {
        int id = bn_sampler_next(s, z);
        if (id == eos) {
            st->stop = BN_STOP_EOS;
            break;
        }
        if (bn_decoder_pos(d) >= d->max_seq) {
            st->stop = BN_STOP_FULL;
            break;
        }
        const char *piece;
        size_t len = bn_tok_piece(tok, id, &piece);
        emit(t, piece, len);
        z = bn_decoder_step(d, id, err);
        if (!z)
            return BN_ERR_INPUT;
        if (out)
            out[st->tokens] = id;
        st->tokens++;
        if (o->stop_blank_line && t->blank) {
            st->stop = BN_STOP_BLANK;
            break;
        }
    }
    return BN_OK;
}

bn_status bn_textgen_continue(bn_decoder *d, const bn_tokenizer *tok, bn_sampler *s,
                              const int *ids, int n, const bn_textgen_opts *o, bn_text_fn fn,
                              void *ctx, int *out, bn_textgen_stats *st, bn_error *err)
{
    int eos = bn_tok_special(tok, BN_TOK_EOS);
    *st = (bn_textgen_stats){0};
    if (n == 0 && bn_decoder_pos(d) == 0 && eos >= 0) {
        ids = &eos; /* a new story */
        n = 1;
    }
    if (n == 0)
        return bn_fail(err, BN_ERR_INPUT, "nothing to continue: an empty prompt");
    double t0 = now_s();
    bn_status r = bn_decoder_prefill(d, ids, n, err);
    if (r != BN_OK)
        return r;
    double t1 = now_s();
    st->prompt_tokens = n;
    st->prefill_s = t1 - t0;
    text_out t = {.fn = fn, .ctx = ctx};
    r = sample_loop(d, tok, s, bn_decoder_logits(d, n - 1), o, &t, out, st, err);
    char tail[4];
    size_t k = bn_utf8_flush(&t.carry, tail);
    if (k && fn)
        fn(ctx, tail, k);
    st->decode_s = now_s() - t1;
    return r;
}

/* <|endoftext|> then the prompt: the stories were trained each after one. */
static bn_status prompt_ids(const bn_tokenizer *tok, const char *prompt, int **ids, int *n,
                            bn_error *err)
{
    int eos = bn_tok_special(tok, BN_TOK_EOS), *text = NULL, k = 0;
    bn_status r = bn_textgen_encode(tok, prompt, &text, &k, err);
    if (r != BN_OK)
        return r;
    *ids = malloc(sizeof(int) * (size_t)(k + 1));
    if (!*ids) {
        free(text);
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for the prompt");
    }
    *n = 0;
    if (eos >= 0)
        (*ids)[(*n)++] = eos;
    memcpy(*ids + *n, text, sizeof(int) * (size_t)k);
    *n += k;
    free(text);
    return BN_OK;
}

bn_status bn_textgen_run(bn_decoder *d, const bn_tokenizer *tok, bn_sampler *s,
                         const char *prompt, const bn_textgen_opts *o, bn_text_fn fn,
                         void *ctx, bn_textgen_stats *st, bn_error *err)
{
    int *ids = NULL, n = 0;
    bn_status r = prompt_ids(tok, prompt, &ids, &n, err);
    if (r == BN_OK && n > d->max_seq)
        r = bn_fail(err, BN_ERR_INPUT, "the prompt is %d tokens (with the <|endoftext|> "
                                       "before it); the context holds %d ([model] "
                                       "max_seq_len)", n, d->max_seq);
    if (r == BN_OK) {
        bn_decoder_reset(d);
        r = bn_textgen_continue(d, tok, s, ids, n, o, fn, ctx, NULL, st, err);
    }
    free(ids);
    return r;
}
