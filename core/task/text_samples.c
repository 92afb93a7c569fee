/* text_samples.c - fixed prompts continued by the live model (README, "Inference"). */
#include "task/text_samples.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/decoder.h"
#include "model/textgen.h"

const char *const bn_text_sample_prompts[] = {"Once upon a time", "Lily and her dog",
                                              "The little boy", "One day, a cat", NULL};

typedef struct {
    char *text;
    size_t len, cap;
    int failed;
} text_buf;

static void append(void *ctx, const char *s, size_t n)
{
    text_buf *b = ctx;
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *grown = realloc(b->text, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->text = grown;
        b->cap = cap;
    }
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = '\0';
}

/* One prompt's continuation appended to `list` as {"prompt", "completion", "tokens"}. */
static bn_status one_sample(bn_decoder *d, const bn_tokenizer *tok, bn_sampler *s,
                            const char *prompt, int max_tokens, json_t *list, bn_error *err)
{
    text_buf b = {0};
    bn_textgen_stats st;
    bn_textgen_opts o = {.max_tokens = max_tokens};
    bn_sampler_seed(s, BN_TEXT_SAMPLE_SEED);
    append(&b, "", 0);
    bn_status r = bn_textgen_run(d, tok, s, prompt, &o, append, &b, &st, err);
    if (r == BN_OK) {
        json_t *rec = json_pack("{s:s, s:s, s:i}", "prompt", prompt, "completion",
                                b.text ? b.text : "", "tokens", st.tokens);
        if (b.failed || !rec || json_array_append_new(list, rec) != 0)
            r = bn_fail(err, BN_ERR_NOMEM, "out of memory for a text sample");
    }
    free(b.text);
    return r;
}

static bn_status all_samples(bn_decoder *d, const bn_tokenizer *tok, bn_sampler *s,
                             int max_tokens, json_t *list, bn_error *err)
{
    bn_status r = BN_OK;
    for (int i = 0; r == BN_OK && bn_text_sample_prompts[i]; i++)
        r = one_sample(d, tok, s, bn_text_sample_prompts[i], max_tokens, list, err);
    return r;
}

/* A float setting as the decimal it was written as (0.9f -> 0.9, not 0.8999999762). */
static double shown(float v) { return round((double)v * 1000.0) / 1000.0; }

bn_status bn_text_samples(bn_model *m, const bn_tokenizer *tok, int max_tokens, json_t **out,
                          bn_error *err)
{
    *out = NULL;
    bn_sampling set = bn_sampling_defaults();
    bn_decoder d;
    bn_sampler s = {0};
    bn_status r = bn_decoder_init(&d, m, m->cfg.max_seq_len, err);
    if (r == BN_OK)
        r = bn_sampler_init(&s, m->cfg.vocab_size, &set, BN_TEXT_SAMPLE_SEED, err);
    json_t *list = json_array();
    if (r == BN_OK && !list)
        r = bn_fail(err, BN_ERR_NOMEM, "out of memory for text samples");
    if (r == BN_OK)
        r = all_samples(&d, tok, &s, max_tokens > 0 ? max_tokens : BN_TEXT_SAMPLE_TOKENS, list,
                        err);
    if (r == BN_OK) {
        *out = json_pack("{s:f, s:f, s:i, s:O}", "temperature", shown(set.temperature),
                         "top_p", shown(set.top_p), "seed", BN_TEXT_SAMPLE_SEED, "examples",
                         list);
        if (!*out)
            r = bn_fail(err, BN_ERR_NOMEM, "out of memory for text samples");
    }
    json_decref(list);
    bn_sampler_free(&s);
    bn_decoder_free(&d);
    return r;
}
