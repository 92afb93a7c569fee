/* test_chat_sample.c - the chat pane's answer on a text run (bn_chat_sample, model/chat.h;
 * an answer cancelled by its asker stops where it said, greedy or sampled):
 * it streams the completion so far, each call extending the last, and ends with the whole
 * of it; the text is what bn_textgen_run (`generate`) writes for the same prompt, settings
 * and seed; the same seed gives the same text, another seed another; at most max_new tokens;
 * the training model's next forward is unchanged; bad settings and a prompt longer than the
 * context are refused with one line; a decoder kept across answers (bn_chat_sample_on,
 * bn_chat_complete_on) gives every answer as a fresh one does. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/chat.h"
#include "model/textgen.h"
#include "text_fixture.h"

typedef struct {
    char last[BN_CHAT_ANSWER_MAX];
    int calls, grew; /* calls; calls that extended the previous text */
} stream;

static int on_token(void *ctx, const char *so_far)
{
    stream *s = ctx;
    if (!so_far)
        return 0; /* only asked whether to go on */
    size_t n = strlen(s->last);
    s->grew += strlen(so_far) > n && strncmp(so_far, s->last, n) == 0;
    s->calls++;
    snprintf(s->last, sizeof s->last, "%s", so_far);
    return 0;
}

static void to_buf(void *ctx, const char *text, size_t len)
{
    char *b = ctx;
    strncat(b, text, len);
}

/* bn_chat_sample of prompt: its text (a new string) and the stream it gave. */
static char *sample(bn_model *m, const bn_tokenizer *tok, const char *prompt,
                    const bn_sampling *set, unsigned long long seed, int max_new, stream *st)
{
    bn_error err = {0};
    char out[BN_CHAT_ANSWER_MAX];
    memset(st, 0, sizeof *st);
    bn_status s = bn_chat_sample(m, tok, prompt, set, seed, max_new, out, sizeof out,
                                 on_token, st, &err);
    CHECK(s == BN_OK, "%s", err.msg);
    return strdup(out);
}

static void check_stream(bn_model *m, const bn_tokenizer *tok)
{
    bn_sampling set = bn_sampling_defaults();
    stream st, st2, st3;
    char *a = sample(m, tok, "Once upon a time", &set, 7, 24, &st);
    CHECK(st.calls > 1 && st.grew == st.calls, "streamed: %d calls, %d extended the text",
          st.calls, st.grew);
    CHECK(strcmp(st.last, a) == 0, "the last call has the whole answer");
    char *b = sample(m, tok, "Once upon a time", &set, 7, 24, &st2);
    char *c = sample(m, tok, "Once upon a time", &set, 8, 24, &st3);
    CHECK(strcmp(a, b) == 0, "the same seed, the same text");
    CHECK(strcmp(a, c) != 0, "another seed, another text");
    /* What `generate --seed 7` writes: bn_textgen_run on its own decoder and sampler. */
    bn_error err = {0};
    bn_decoder d;
    bn_sampler smp;
    char gen[BN_CHAT_ANSWER_MAX] = "";
    bn_textgen_opts o = {.max_tokens = 24};
    bn_textgen_stats ts;
    CHECK(bn_decoder_init(&d, m, m->cfg.max_seq_len, &err) == BN_OK, "%s", err.msg);
    CHECK(bn_sampler_init(&smp, m->cfg.vocab_size, &set, 7, &err) == BN_OK, "%s", err.msg);
    CHECK(bn_textgen_run(&d, tok, &smp, "Once upon a time", &o, to_buf, gen, &ts, &err) ==
          BN_OK, "%s", err.msg);
    CHECK(strcmp(a, gen) == 0, "the text generate writes:\n%s\n%s", a, gen);
    CHECK(ts.tokens <= 24, "at most max_new tokens: %d", ts.tokens);
    printf("%s\n", a);
    bn_decoder_free(&d);
    bn_sampler_free(&smp);
    free(a), free(b), free(c);
}

/* An asker that cancels after `after` calls with text (or, with asks, after that many calls
 * without). */
typedef struct {
    int texts, asks, after, by_asks;
} canceller;

static int cancel_after(void *ctx, const char *so_far)
{
    canceller *c = ctx;
    if (so_far)
        c->texts++;
    else
        c->asks++;
    return (c->by_asks ? c->asks : c->texts) >= c->after;
}

/* Esc in the chat pane: the answer stops at the token where the asker said so, and is the
 * start of what it would have been; greedy (bn_chat_complete) and sampled alike. */
static void check_cancel(bn_model *m, const bn_tokenizer *tok)
{
    bn_error err = {0};
    bn_sampling set = bn_sampling_defaults();
    stream st;
    char *full = sample(m, tok, "Once upon a time", &set, 7, 30, &st), out[BN_CHAT_ANSWER_MAX];
    canceller c = {.after = 3};
    CHECK(bn_chat_sample(m, tok, "Once upon a time", &set, 7, 30, out, sizeof out,
                         cancel_after, &c, &err) == BN_OK, "%s", err.msg);
    CHECK(c.texts == 3 && strlen(out) < strlen(full) && strncmp(out, full, strlen(out)) == 0,
          "sampled, cancelled after 3 texts: %d texts, '%s' of '%s'", c.texts, out, full);
    CHECK(c.asks >= 2, "asked after every token, text or not: %d", c.asks);
    canceller a = {.after = 1, .by_asks = 1};
    CHECK(bn_chat_sample(m, tok, "Once upon a time", &set, 7, 30, out, sizeof out,
                         cancel_after, &a, &err) == BN_OK && a.asks == 1 && a.texts <= 1,
          "cancelled at the first ask: %d asks, %d texts", a.asks, a.texts);
    char greedy[BN_CHAT_ANSWER_MAX], cut[BN_CHAT_ANSWER_MAX];
    CHECK(bn_chat_complete(m, tok, NULL, "Once upon a time", 20, greedy, sizeof greedy, NULL,
                           NULL, &err) == BN_OK, "%s", err.msg);
    canceller g = {.after = 1};
    CHECK(bn_chat_complete(m, tok, NULL, "Once upon a time", 20, cut, sizeof cut,
                           cancel_after, &g, &err) == BN_OK, "%s", err.msg);
    CHECK(g.texts == 1 && strlen(cut) < strlen(greedy) &&
              strncmp(cut, greedy, strlen(cut)) == 0,
          "greedy, cancelled after 1 token: '%s' of '%s'", cut, greedy);
    free(full);
}

static void check_refusals(bn_model *m, const bn_tokenizer *tok)
{
    bn_error err = {0};
    char out[BN_CHAT_ANSWER_MAX];
    bn_sampling bad = bn_sampling_defaults();
    bad.top_p = 1.5f;
    CHECK(bn_chat_sample(m, tok, "Hi", &bad, 1, 8, out, sizeof out, NULL, NULL, &err) ==
          BN_ERR_INPUT && strstr(err.msg, "top-p 1.5"), "bad top-p: %s", err.msg);
    char longp[256]; /* 42 words: more than a context of 48 tokens */
    memset(longp, 0, sizeof longp);
    for (size_t i = 0; i + 6 < sizeof longp; i += 6)
        memcpy(longp + i, "story ", 6);
    bn_sampling set = bn_sampling_defaults();
    err.msg[0] = '\0';
    CHECK(bn_chat_sample(m, tok, longp, &set, 1, 8, out, sizeof out, NULL, NULL, &err) ==
          BN_ERR_INPUT && strstr(err.msg, "the context holds") && !strchr(err.msg, '\n'),
          "a prompt longer than the context: %s", err.msg);
}

/* A decoder kept across answers (the past-run worker's) gives each answer bit for bit as a
 * decoder built for it does, whatever came before it: another seed, a greedy answer, a
 * cancelled one, a refused prompt. */
static void check_kept_decoder(bn_model *m, const bn_tokenizer *tok, const char *longp)
{
    bn_error err = {0};
    bn_sampling set = bn_sampling_defaults();
    bn_decoder ds, dg;
    stream st;
    char out[BN_CHAT_ANSWER_MAX], greedy[BN_CHAT_ANSWER_MAX];
    char *want7 = sample(m, tok, "Once upon a time", &set, 7, 24, &st);
    char *want8 = sample(m, tok, "The dog", &set, 8, 24, &st);
    CHECK(bn_chat_complete(m, tok, NULL, "Once upon a time", 20, greedy, sizeof greedy, NULL,
                           NULL, &err) == BN_OK, "%s", err.msg);
    CHECK(bn_decoder_init(&ds, m, bn_chat_decoder_seq(m, 1), &err) == BN_OK, "%s", err.msg);
    CHECK(bn_decoder_init(&dg, m, bn_chat_decoder_seq(m, 0), &err) == BN_OK, "%s", err.msg);
    for (int round = 0; round < 2 && ds.slab && dg.slab; round++) {
        canceller c = {.after = 2};
        CHECK(bn_chat_sample_on(&ds, tok, "The dog", &set, 8, 24, out, sizeof out,
                                cancel_after, &c, &err) == BN_OK, "%s", err.msg);
        CHECK(bn_chat_sample_on(&ds, tok, longp, &set, 1, 8, out, sizeof out, NULL, NULL,
                                &err) == BN_ERR_INPUT, "a prompt longer than the context");
        CHECK(bn_chat_sample_on(&ds, tok, "Once upon a time", &set, 7, 24, out, sizeof out,
                                NULL, NULL, &err) == BN_OK && strcmp(out, want7) == 0,
              "round %d, seed 7 on the kept decoder: '%s', want '%s'", round, out, want7);
        CHECK(bn_chat_sample_on(&ds, tok, "The dog", &set, 8, 24, out, sizeof out, NULL,
                                NULL, &err) == BN_OK && strcmp(out, want8) == 0,
              "round %d, seed 8 on the kept decoder: '%s', want '%s'", round, out, want8);
        CHECK(bn_chat_complete_on(&dg, tok, NULL, "Once upon a time", 20, out, sizeof out,
                                  NULL, NULL, &err) == BN_OK && strcmp(out, greedy) == 0,
              "round %d, greedy on the kept decoder: '%s', want '%s'", round, out, greedy);
    }
    bn_decoder_free(&ds);
    bn_decoder_free(&dg);
    free(want7), free(want8);
}

int main(void)
{
    text_fixture f;
    if (!text_fixture_init(&f, 0.02)) { /* flat logits: varied draws */
        text_fixture_free(&f);
        return check_exit("test_chat_sample");
    }
    check_stream(&f.model, f.tok);
    check_refusals(&f.model, f.tok);
    check_cancel(&f.model, f.tok);
    char longp[256]; /* 42 words: more than a context of 48 tokens */
    memset(longp, 0, sizeof longp);
    for (size_t i = 0; i + 6 < sizeof longp; i += 6)
        memcpy(longp + i, "story ", 6);
    check_kept_decoder(&f.model, f.tok, longp);
    CHECK(text_fixture_unchanged(&f), "the model's next forward is unchanged");
    text_fixture_free(&f);
    return check_exit("test_chat_sample");
}
