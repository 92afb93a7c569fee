/* bench_gen.c - `bench --generate`: how fast a model runs one row (README, "Performance").
 * Per config (random weights) and thread count: prefill tok/s (one pass over a prompt of
 * PREFILL tokens), decode tok/s at batch 1 (DECODE tokens one at a time after a 16-token
 * prompt, the KV-cache decoder), and beside them the greedy path the chat pane and the
 * evaluations took before they ran on the decoder (every new token re-runs the full forward
 * over the whole text, bn_generate_greedy; this bench is its only user now). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "experiments.h"
#include "io/jsonio.h"
#include "model/decoder.h"
#include "model/generate.h"

#define PROMPT 16
#define DECODE 128
#define REFORWARD 32

typedef struct {
    const char *config;
    int threads, prefill_len, decode_len;
    size_t params;
    double prefill, decode, reforward; /* tokens per second */
} gen_result;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best of 3 prefills of the first n tokens. */
static double time_prefill(bn_decoder *d, const int *tokens, int n, bn_error *err)
{
    double best = 0.0;
    for (int rep = 0; rep < 3; rep++) {
        bn_decoder_reset(d);
        double t0 = now_s();
        if (bn_decoder_prefill(d, tokens, n, err) != BN_OK)
            return NAN;
        double rate = n / (now_s() - t0);
        best = rate > best ? rate : best;
    }
    return best;
}

/* Best of 3: PROMPT tokens prefilled, then n steps, each fed the greedy choice. */
static double time_decode(bn_decoder *d, const int *tokens, int n, bn_error *err)
{
    double best = 0.0;
    int V = d->m->cfg.vocab_size;
    for (int rep = 0; rep < 3; rep++) {
        bn_decoder_reset(d);
        if (bn_decoder_prefill(d, tokens, PROMPT, err) != BN_OK)
            return NAN;
        const float *z = bn_decoder_logits(d, PROMPT - 1);
        double t0 = now_s();
        for (int i = 0; i < n && z; i++)
            z = bn_decoder_step(d, bn_argmax(z, V), err);
        if (!z)
            return NAN;
        double rate = n / (now_s() - t0);
        best = rate > best ? rate : best;
    }
    return best;
}

/* The full re-forward: n greedy tokens after PROMPT, one bn_generate_greedy call each (as
 * bn_chat_complete and the evaluations did before the decoder). */
static double time_reforward(bn_model *m, const int *tokens, int n, bn_error *err)
{
    int cap = PROMPT + n, len = PROMPT;
    int *row = malloc(sizeof(int) * (size_t)cap);
    if (!row) {
        bn_nomem(err, "the re-forward's row", sizeof(int) * (size_t)cap);
        return NAN;
    }
    memcpy(row, tokens, sizeof(int) * PROMPT);
    bn_gen_batch batch = {.tokens = row, .len = &len, .rows = 1, .cap = cap};
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        if (bn_generate_greedy(m, &batch, 1, NULL, 0, 0, err) != BN_OK)
            break;
    double rate = (len - PROMPT) / (now_s() - t0);
    free(row);
    return rate;
}

static bn_status bench_one(const bn_model_config *mc, const bn_kernels *k, gen_result *r,
                           bn_error *err)
{
    int S = mc->max_seq_len;
    r->prefill_len = S;
    r->decode_len = S - PROMPT < DECODE ? S - PROMPT : DECODE;
    int reforward = r->decode_len < REFORWARD ? r->decode_len : REFORWARD;
    bn_model m;
    bn_decoder d;
    memset(&d, 0, sizeof d);
    int *tokens = malloc(sizeof(int) * (size_t)S);
    bn_status s = tokens ? bn_model_init_mode(&m, mc, 1, PROMPT + reforward, k, r->threads,
                                              BN_MODEL_INFERENCE, err)
                         : bn_nomem(err, "the benchmark's tokens", sizeof(int) * (size_t)S);
    if (s == BN_OK) {
        bn_rng rng;
        bn_rng_seed(&rng, 1337);
        bn_model_init_weights(&m, &rng);
        for (int i = 0; i < S; i++)
            tokens[i] = (int)bn_rng_below(&rng, (uint64_t)mc->vocab_size);
        r->params = m.num_params;
        s = bn_decoder_init(&d, &m, S, err);
    }
    if (s == BN_OK) {
        r->prefill = time_prefill(&d, tokens, S, err);
        r->decode = time_decode(&d, tokens, r->decode_len, err);
        r->reforward = time_reforward(&m, tokens, reforward, err);
        s = err->status; /* a timing that failed says why (NaN alone would be silent) */
    }
    bn_decoder_free(&d);
    if (tokens)
        bn_model_free(&m);
    free(tokens);
    return s;
}

static double round1(double v) { return round(v * 10.0) / 10.0; }

static void print_result(const gen_result *r, int json)
{
    if (!json) {
        printf("%-12s %5.1fM params  %d thread%s  prefill %8.0f tok/s (%d tokens)  decode "
               "%7.0f tok/s (%d tokens after %d)  full re-forward %6.0f tok/s  (x%.0f)\n",
               r->config, (double)r->params / 1e6, r->threads, r->threads > 1 ? "s" : " ",
               r->prefill, r->prefill_len, r->decode, r->decode_len, PROMPT, r->reforward,
               r->decode / r->reforward);
        return;
    }
    json_t *rec = json_pack("{s:s, s:I, s:i, s:i, s:o, s:i, s:o, s:i, s:o}", "config",
                            r->config, "params", (json_int_t)r->params, "threads", r->threads,
                            "prefill_tokens", r->prefill_len, "prefill_tokens_per_sec",
                            bn_json_number(round1(r->prefill)), "decode_tokens",
                            r->decode_len, "decode_tokens_per_sec",
                            bn_json_number(round1(r->decode)), "prompt_tokens", PROMPT,
                            "reforward_tokens_per_sec", bn_json_number(round1(r->reforward)));
    char *line = rec ? bn_json_line(rec, BN_JSON_RECORD) : NULL;
    json_decref(rec);
    if (line)
        printf("%s\n", line);
    free(line);
}

static bn_status load_model_config(const bn_cli *cli, const char *name, bn_config *cfg,
                                   bn_error *err)
{
    char path[BN_PATH_MAX];
    bn_config_defaults(cfg);
    bn_status s = bn_experiment_path(name, path, sizeof path, err);
    if (s == BN_OK)
        s = bn_config_load(cfg, path, err);
    if (s == BN_OK)
        s = bn_cli_apply_sets(cli, cfg, err);
    return s;
}

int bn_cmd_bench_generate(const bn_cli *cli)
{
    static const char *const defaults[] = {"arithmetic", "tictactoe", "tinystories"};
    const char *one[1] = {cli->experiment};
    const char *const *names = cli->experiment ? one : defaults;
    int n_names = cli->experiment ? 1 : 3;
    bn_error err = {0};
    const bn_kernels *k = NULL;
    bn_status s = bn_select_kernels(cli->kernel, &k, &err);
    for (int i = 0; s == BN_OK && i < n_names; i++) {
        bn_config cfg;
        s = load_model_config(cli, names[i], &cfg, &err);
        for (int threads = 1; s == BN_OK && threads <= 2; threads++) {
            if (cli->threads > 0 && threads != cli->threads)
                continue;
            gen_result r = {.config = names[i], .threads = threads};
            s = bench_one(&cfg.model, k, &r, &err);
            if (s == BN_OK)
                print_result(&r, cli->json);
            fflush(stdout);
        }
    }
    if (s != BN_OK)
        fprintf(stderr, "bitnet-tui: bench --generate: %s\n", err.msg);
    return bn_exit_status(s);
}
