/* textgen.c - prompt, prefill, sample, stream (README, "Inference"). */
#include "model/textgen.h"

#include <limits.h>
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
    size_t count;
    *n = 0;
    bn_status st = bn_tok_encode_all(tok, text, strlen(text), ids, &count, err);
    if (st == BN_OK && count > INT_MAX) {
        free(*ids);
        *ids = NULL;
        return bn_fail(err, BN_ERR_INPUT, "prompt: %zu tokens, more than %d", count, INT_MAX);
    }
    if (st == BN_OK)
        *n = (int)count;
    return st;
}

typedef struct {
    bn_utf8_carry carry;
    bn_text_fn fn;
    void *ctx;
    char last; /* the last byte streamed */
    int blank; /* a blank line was streamed */
} text_out;

/* The length of the valid UTF-8 character at s (n bytes), or 0 when it is not one. */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t need = s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    if (!need || need > n)
        return 0;
    for (size_t i = 1; i < need; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
        return 0; /* overlong, a surrogate, or past U+10FFFF */
    return need;
}

/* Whole characters to fn; a byte that starts none (a byte-level model can sample any byte
 * sequence) becomes U+FFFD, so the stream is always valid UTF-8. */
static void send_valid(text_out *t, const char *text, size_t len)
{
    char buf[3 * (256 + 3)];
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_valid((const unsigned char *)text + i, len - i);
        if (k) {
            memcpy(buf + n, text + i, k);
            n += k;
            i += k;
        } else {
            memcpy(buf + n, "\xEF\xBF\xBD", 3);
            n += 3;
            i++;
        }
    }
    if (n && t->fn)
        t->fn(t->ctx, buf, n);
}

static void emit(text_out *t, const char *piece, size_t len)
{
    char buf[256 + 3];
    while (len > 0) {
        size_t k = len < 256 ? len : 256;
        for (size_t i = 0; i < k; i++) {
            t->blank |= piece[i] == '\n' && t->last == '\n';
            t->last = piece[i];
        }
        send_valid(t, buf, bn_utf8_push(&t->carry, piece, k, buf));
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
        if (o->cancelled && o->cancelled(t->ctx)) {
            st->stop = BN_STOP_CANCEL;
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
    send_valid(&t, tail, bn_utf8_flush(&t.carry, tail));
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
