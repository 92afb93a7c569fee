/* bench_cmd.c - `bench`: training speed per experiment config on random tokens.
 *
 * Per config: tokens/s (median of N steps after warm-up) with the step split into forward,
 * backward and optimizer; model FLOPs per token and the achieved GFLOP/s as a share of the
 * sgemm peak measured in the same run; each multiply-add unit's peak and the share of it the
 * forward and backward reach (bench_roof.h); the int8 BitLinear kernel's GOP/s for each path
 * this CPU has; peak RSS. Each config runs in its own child process so its RSS is its own. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_roof.h"
#include "commands.h"
#include "experiments.h"
#include "nn/matmul.h"
#include "model/model.h"
#include "model/optim.h"
#include "base/rng.h"
#include "io/jsonio.h"

#define WARMUP_STEPS 3

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct {
    double forward_ms, backward_ms, optimizer_ms, step_ms;
} step_times;

/* One training step on `tokens`, timed by phase. */
static step_times timed_step(bn_model *m, bn_adamw *opt, const int *tokens, int B, int T)
{
    step_times st;
    double t0 = now_s();
    bn_model_forward_train(m, tokens, B, T);
    double t1 = now_s();
    bn_model_zero_grad(m);
    bn_model_backward(m, tokens);
    double t2 = now_s();
    double norm = bn_grad_norm(m->pool, m->grads, m->num_params);
    bn_clip_grads(m->pool, m->grads, m->num_params, norm, 1.0);
    bn_adamw_step(opt, m->pool, m->params, m->grads, 1e-4, 0.1);
    bn_model_params_changed(m);
    double t3 = now_s();
    st.forward_ms = (t1 - t0) * 1e3;
    st.backward_ms = (t2 - t1) * 1e3;
    st.optimizer_ms = (t3 - t2) * 1e3;
    st.step_ms = (t3 - t0) * 1e3;
    return st;
}

/* Best of a few square sgemms over the pool: the machine's fp32 roof, in GFLOP/s. */
static bn_status measure_sgemm_peak(bn_threadpool *pool, double *peak, bn_error *err)
{
    int n = 1536;
    float *a = malloc(sizeof(float) * (size_t)n * n), *b = malloc(sizeof(float) * (size_t)n * n);
    float *c = malloc(sizeof(float) * (size_t)n * n);
    double best = 0.0;
    bn_status s = a && b && c ? BN_OK
                              : bn_nomem(err, "the sgemm benchmark's matrices",
                                         3 * sizeof(float) * (size_t)n * n);
    if (s == BN_OK) {
        for (size_t i = 0; i < (size_t)n * n; i++)
            a[i] = b[i] = (float)(i % 7) * 0.25f;
        for (int rep = 0; rep < 5; rep++) {
            double t0 = now_s();
            bn_gemm(pool, 0, 0, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
            double gf = 2.0 * n * n * n / (now_s() - t0) / 1e9;
            best = gf > best ? gf : best;
        }
    }
    free(a), free(b), free(c);
    *peak = best;
    return s;
}

typedef struct {
    const char *name;
    double gops;
} kernel_speed;

/* Best of 3 of each kernel this CPU has on the operands; returns how many were timed. The
 * scalar reference gets fewer rows so it finishes quickly. */
static int time_kernels(bn_threadpool *pool, const bn_qact_view *xv, const bn_qweight_view *wv,
                        float *y, int M, int N, int K, kernel_speed *out)
{
    static const char *const names[] = {"ref", "avx2", "avx512", "amx", "blas"};
    int n_out = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const bn_kernels *k = bn_kernels_find(names[i], NULL);
        if (!k)
            continue;
        int rows = strcmp(names[i], "ref") == 0 && M > 128 ? 128 : M;
        double best = 0.0;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now_s();
            bn_bitlinear_gemm(k, pool, y, xv, wv, rows, N, K);
            double g = 2.0 * rows * N * K / (now_s() - t0) / 1e9;
            best = g > best ? g : best;
        }
        out[n_out++] = (kernel_speed){names[i], best};
    }
    return n_out;
}

/* GOP/s of each BitLinear forward path on the config's gate_up shape (M tokens, N = 2F,
 * K = d), on the pool. */
static bn_status measure_kernels(bn_threadpool *pool, int M, int N, int K, kernel_speed *out,
                                 int *n_speeds, bn_error *err)
{
    int kp = bn_kpad(K), n_out = 0;
    bn_status s = BN_OK;
    float *xf = calloc((size_t)M * K, sizeof(float)), *wf = calloc((size_t)N * K, sizeof(float));
    int8_t *xi = calloc((size_t)M * kp, 1);
    uint8_t *codes = calloc((size_t)N * kp, 1);
    int32_t *rowsum = calloc((size_t)M, sizeof(int32_t));
    float *scale = calloc((size_t)M, sizeof(float));
    /* 64-byte aligned like the engine's activations (the avx512 path streams its stores
       into aligned rows a multiple of 4 KiB long) */
    float *y = aligned_alloc(64, ((size_t)M * N * sizeof(float) + 63) / 64 * 64);
    if (xf && wf && xi && codes && rowsum && scale && y) {
        bn_rng rng;
        bn_rng_seed(&rng, 7);
        for (int m = 0; m < M; m++) {
            scale[m] = 1.0f;
            for (int k = 0; k < K; k++) {
                int v = (int)bn_rng_below(&rng, 255) - 127;
                xi[(size_t)m * kp + k] = (int8_t)v;
                xf[(size_t)m * K + k] = (float)v;
                rowsum[m] += v;
            }
        }
        for (int n = 0; n < N; n++)
            for (int k = 0; k < kp; k++) {
                int w = k < K ? (int)bn_rng_below(&rng, 3) - 1 : 0;
                codes[(size_t)n * kp + k] = (uint8_t)(w + 1);
                if (k < K)
                    wf[(size_t)n * K + k] = (float)w;
            }
        bn_qact_view xv = {.f = xf, .i8 = xi, .rowsum = rowsum, .scale = scale};
        /* amx's panels hold code - 1, avx512's the codes (what training hands each) */
        int8_t *panels = malloc(bn_amx_panels_size(N, kp));
        uint8_t *code_panels = malloc(bn_quad_panels_size(N, kp));
        if (panels && code_panels) {
            bn_amx_pack_weights(pool, panels, codes, N, kp);
            bn_quad_panels_pack(pool, code_panels, codes, N, kp, 0);
        } else {
            s = bn_nomem(err, "the kernel benchmark's weight panels",
                         2 * bn_quad_panels_size(N, kp));
        }
        bn_qweight_view wv = {.f = wf, .codes = codes, .amx = panels, .panels = code_panels,
                              .scale = 1.0f};
        if (s == BN_OK)
            n_out = time_kernels(pool, &xv, &wv, y, M, N, K, out);
        free(panels);
        free(code_panels);
    } else {
        s = bn_nomem(err, "the kernel benchmark's operands",
                     (size_t)M * K * 5 + (size_t)N * K * 4 + (size_t)N * kp +
                         (size_t)M * N * 4 + (size_t)M * 8);
    }
    free(xf), free(wf), free(xi), free(codes), free(rowsum), free(scale), free(y);
    *n_speeds = n_out;
    return s;
}

typedef struct {
    const char *config;
    size_t params;
    int threads, batch, seq_len, steps;
    const char *kernel;
    const char *backward; /* where the backward's products ran: "fp32" or "bf16 (<path>)" */
    const char *head;     /* the lm_head's logits and d(final_n): "fp32" or "bf16" */
    step_times med;
    double tokens_per_sec, flops_per_token, gflops, sgemm_peak, peak_rss_mib;
    kernel_speed kernels[5];
    int n_kernels;
    bench_roofs roofs;
} bench_result;

static void print_text(const bench_result *r)
{
    printf("%s: %.1fM params, %d x %d tokens, %d thread%s, kernel %s, backward %s, head %s\n",
           r->config, (double)r->params / 1e6, r->batch, r->seq_len, r->threads,
           r->threads == 1 ? "" : "s", r->kernel, r->backward, r->head);
    printf("  train      %.0f tok/s  step %.1f ms (forward %.1f, backward %.1f, optimizer %.1f)"
           "  median of %d after %d warm-up\n",
           r->tokens_per_sec, r->med.step_ms, r->med.forward_ms, r->med.backward_ms,
           r->med.optimizer_ms, r->steps, WARMUP_STEPS);
    printf("  flops      %.1f MFLOP/token, %.1f GFLOP/s = %.0f%% of the measured sgemm peak "
           "(%.1f GFLOP/s on %d thread%s, OpenBLAS's %s kernels)\n",
           r->flops_per_token / 1e6, r->gflops, 100.0 * r->gflops / r->sgemm_peak,
           r->sgemm_peak, r->threads, r->threads == 1 ? "" : "s", bn_matmul_blas_core());
    bench_roofs_print(&r->roofs, r->med.forward_ms, r->med.backward_ms);
    printf("  BitLinear forward kernels (GOP/s, gate_up shape):");
    for (int i = 0; i < r->n_kernels; i++)
        printf(" %s %.1f%s", r->kernels[i].name, r->kernels[i].gops,
               i + 1 < r->n_kernels ? "," : "");
    printf("\n  peak RSS   %.0f MiB\n", r->peak_rss_mib);
}

/* v rounded to `decimals` places (the precision a benchmark number has); NaN stays NaN. */
static double round_to(double v, int decimals)
{
    double scale = pow(10.0, decimals);
    return round(v * scale) / scale;
}

/* The --json record: one object, the keys bench_torch.py --compare reads. */
static json_t *bench_record(const bench_result *r)
{
    json_t *gops = json_object();
    for (int i = 0; gops && i < r->n_kernels; i++)
        json_object_set_new(gops, r->kernels[i].name,
                            bn_json_number(round_to(r->kernels[i].gops, 2)));
    return json_pack(
        "{s:s, s:I, s:i, s:s, s:s, s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o, "
        "s:o, s:o, s:o, s:o, s:s, s:s}",
        "config", r->config, "params", (json_int_t)r->params, "threads", r->threads, "backward",
        r->backward, "kernel", r->kernel, "batch", r->batch, "seq_len", r->seq_len, "steps",
        r->steps,
        "tokens_per_sec", bn_json_number(round_to(r->tokens_per_sec, 1)), "step_ms",
        bn_json_number(round_to(r->med.step_ms, 3)), "forward_ms",
        bn_json_number(round_to(r->med.forward_ms, 3)), "backward_ms",
        bn_json_number(round_to(r->med.backward_ms, 3)), "optimizer_ms",
        bn_json_number(round_to(r->med.optimizer_ms, 3)), "flops_per_token",
        (json_int_t)llround(r->flops_per_token), "gflops",
        bn_json_number(round_to(r->gflops, 2)), "sgemm_peak_gflops",
        bn_json_number(round_to(r->sgemm_peak, 2)), "peak_share",
        bn_json_number(round_to(r->gflops / r->sgemm_peak, 4)), "kernel_gops", gops,
        "peak_rss_mib", bn_json_number(round_to(r->peak_rss_mib, 1)), "roofs",
        bench_roofs_json(&r->roofs, r->med.forward_ms, r->med.backward_ms), "head", r->head,
        "blas_core", bn_matmul_blas_core());
}

/* One JSON line on stdout; 0, or -1 when out of memory. */
static int print_json(const bench_result *r)
{
    json_t *rec = bench_record(r);
    char *line = rec ? bn_json_line(rec, BN_JSON_RECORD) : NULL;
    json_decref(rec);
    if (line)
        printf("%s\n", line);
    free(line);
    return line ? 0 : -1;
}

/* Time `steps` steps (after warm-up) and fill the step medians. */
static bn_status time_steps(bn_model *m, bn_adamw *opt, const int *tokens, const bn_config *cfg,
                            int steps, bench_result *r, bn_error *err)
{
    int B = cfg->train.batch_size, T = cfg->train.seq_len;
    for (int i = 0; i < WARMUP_STEPS; i++)
        timed_step(m, opt, tokens, B, T);
    double *f = malloc(sizeof(double) * 4 * (size_t)steps);
    if (!f)
        return bn_nomem(err, "the step timings", sizeof(double) * 4 * (size_t)steps);
    for (int i = 0; i < steps; i++) {
        step_times st = timed_step(m, opt, tokens, B, T);
        f[i] = st.forward_ms, f[steps + i] = st.backward_ms;
        f[2 * steps + i] = st.optimizer_ms, f[3 * steps + i] = st.step_ms;
    }
    r->med = (step_times){median(f, steps), median(f + steps, steps),
                          median(f + 2 * steps, steps), median(f + 3 * steps, steps)};
    free(f);
    return BN_OK;
}

static bn_status bench_config(const bn_config *cfg, const bn_kernels *k, int steps,
                              bench_result *r, bn_error *err)
{
    int B = cfg->train.batch_size, T = cfg->train.seq_len;
    bn_model m;
    memset(&m, 0, sizeof m);
    bn_adamw opt = {0};
    int *tokens = malloc(sizeof(int) * (size_t)B * T);
    bn_status s = tokens ? bn_model_init(&m, &cfg->model, B, T, k, cfg->train.threads, err)
                         : bn_nomem(err, "the benchmark's tokens", sizeof(int) * (size_t)B * T);
    if (s == BN_OK)
        s = bn_model_set_low_memory(&m, cfg->train.low_memory, err);
    if (s == BN_OK)
        s = bn_model_set_backward_precision(&m, cfg->train.backward_precision, err);
    if (s == BN_OK)
        s = bn_model_set_head_precision(&m, cfg->train.head_precision, err);
    if (s == BN_OK)
        s = bn_adamw_init(&opt, m.num_params, 0.9, 0.95, 1e-8, err);
    if (s == BN_OK) {
        bn_rng rng;
        bn_rng_seed(&rng, cfg->train.seed);
        bn_model_init_weights(&m, &rng);
        for (int i = 0; i < B * T; i++)
            tokens[i] = (int)bn_rng_below(&rng, (uint64_t)cfg->model.vocab_size);
        s = time_steps(&m, &opt, tokens, cfg, steps, r, err);
        /* the training's peak, before the measurements below allocate their own buffers */
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        r->peak_rss_mib = (double)ru.ru_maxrss / 1024.0;
    }
    if (s == BN_OK) {
        static const char *const backward[] = {"fp32", "bf16 (avx512_bf16)", "bf16 (amx)"};
        r->backward = backward[m.ex.bf16_backward]; /* bn_bf16_path order */
        r->head = m.head_bf16 ? "bf16" : "fp32";
        r->params = m.num_params;
        r->tokens_per_sec = (double)B * T / (r->med.step_ms / 1e3);
        r->flops_per_token = bn_model_train_flops_per_token(&cfg->model, T);
        r->gflops = r->flops_per_token * r->tokens_per_sec / 1e9;
        s = measure_sgemm_peak(m.pool, &r->sgemm_peak, err);
    }
    if (s == BN_OK)
        bench_roofs_measure(&m, B, T, &r->roofs);
    if (s == BN_OK) {
        int M = B * T < 2048 ? B * T : 2048;
        s = measure_kernels(m.pool, M, 2 * cfg->model.ffn_size, cfg->model.hidden_size,
                            r->kernels, &r->n_kernels, err);
    }
    bn_adamw_free(&opt);
    bn_model_free(&m);
    free(tokens);
    return s;
}

/* Load an experiment's config for benchmarking: its model and batch shape, our threads. */
static bn_status bench_load(const bn_cli *cli, const char *name, int threads, bn_config *cfg,
                            bn_error *err)
{
    char path[BN_PATH_MAX];
    bn_config_defaults(cfg);
    bn_status s = bn_experiment_path(name, path, sizeof path, err);
    if (s == BN_OK)
        s = bn_config_load(cfg, path, err);
    if (s == BN_OK)
        s = bn_cli_apply_sets(cli, cfg, err);
    if (s == BN_OK && threads > 0)
        cfg->train.threads = threads;
    cfg->train.threads = bn_resolve_threads(cfg->train.threads);
    return s;
}

/* Benchmark one config in a child process (its peak RSS is its own); 0 on success. */
static int bench_in_child(const bn_cli *cli, const char *name, const bn_kernels *k)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bitnet-tui: fork");
        return 1;
    }
    if (pid == 0) {
        bn_error err = {0};
        bn_config cfg;
        bench_result r = {.config = name, .kernel = k->name};
        bn_status s = bench_load(cli, name, cli->threads, &cfg, &err);
        r.threads = cfg.train.threads;
        r.batch = cfg.train.batch_size;
        r.seq_len = cfg.train.seq_len;
        r.steps = cli->steps > 0 ? cli->steps : 10;
        if (s == BN_OK)
            s = bench_config(&cfg, k, r.steps, &r, &err);
        if (s != BN_OK) {
            fprintf(stderr, "bitnet-tui: bench %s: %s\n", name, err.msg);
            _exit(bn_exit_status(s));
        }
        if (cli->json && print_json(&r) < 0) {
            fprintf(stderr, "bitnet-tui: bench %s: out of memory for the JSON record\n", name);
            _exit(BN_EXIT_RUNTIME);
        }
        if (!cli->json)
            print_text(&r);
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int bn_cmd_bench(const bn_cli *cli)
{
    static const char *const defaults[] = {"arithmetic", "tictactoe", "tinystories"};
    bn_error err = {0};
    const bn_kernels *k = NULL;
    if (bn_select_kernels(cli->kernel, &k, &err) != BN_OK) {
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        return BN_EXIT_INPUT;
    }
    int worst = 0;
    if (cli->tokenizer)
        return bn_cmd_bench_tokenizer(cli);
    if (cli->generate)
        return bn_cmd_bench_generate(cli);
    if (cli->experiment)
        return bench_in_child(cli, cli->experiment, k);
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        int rc = bench_in_child(cli, defaults[i], k);
        worst = rc > worst ? rc : worst;
    }
    return worst;
}
