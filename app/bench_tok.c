/* bench_tok.c - `bench --tokenizer FILE [--corpus PATH]`: the text pipeline's speed
 * (README, "Performance"): training a byte-level BPE on the corpus at 2048 and 32000 tokens
 * (counting on every thread, then the merges), encoding with FILE on one thread, and
 * `prepare` with FILE on two threads; MB/s of corpus text for each, and peak RSS.
 * Training and encoding read the corpus whole into memory first, so disk speed is not
 * measured; prepare reads the file itself (from the page cache by then) and writes its
 * shards to a scratch directory under /tmp. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "experiments.h"
#include "base/fileio.h"
#include "base/threadpool.h"
#include "io/jsonio.h"
#include "io/prepare.h"
#include "tok/bpe.h"
#include "tok/bpe_train.h"
#include "tok/pretok.h"

#define ENCODE_CHUNK (1u << 20) /* bytes per bn_tok_encode call, as prepare feeds it */
#define REPEATS 3               /* each figure is the best of these runs */
#define PREPARE_THREADS 2
#define TINYSTORIES_SAMPLE "tinystories/TinyStories-train-head.txt"

typedef struct {
    const char *tokenizer, *corpus;
    int threads;
    size_t bytes;
    double train_2048_mbs, train_32000_mbs, encode_mbs, prepare_mbs;
    int merges_2048, merges_32000;
    double bytes_per_token;
    long peak_rss_kb;
} tok_bench;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Count the corpus and train to vocab_size, timed end to end (one run). */
static bn_status train_once(const char *text, size_t n, int vocab_size, bn_threadpool *pool,
                            const bn_pretok *pre, double *seconds, int *merges, bn_error *err)
{
    static const char *const specials[] = {"<|endoftext|>", "<pad>"};
    bn_bpe_specials sp = {specials, 2};
    bn_bpe_model m = {0};
    double t0 = now_s();
    bn_bpe_words *w = bn_bpe_words_new();
    bn_status st = w ? BN_OK : bn_fail(err, BN_ERR_NOMEM, "out of memory");
    if (st == BN_OK)
        st = bn_bpe_count_parallel(w, pre, &sp, pool, text, n, err);
    bn_bpe_train_opts o = {vocab_size, sp, NULL, NULL};
    if (st == BN_OK)
        st = bn_bpe_train(w, &o, &m, err);
    *seconds = now_s() - t0;
    *merges = m.n_merges;
    bn_bpe_model_free(&m);
    bn_bpe_words_free(w);
    return st;
}

/* Training at vocab_size, the best of REPEATS runs; MB/s of corpus text. */
static bn_status time_training(const char *text, size_t n, int vocab_size, int threads,
                               double *mbs, int *merges, bn_error *err)
{
    bn_pretok *pre = NULL;
    bn_threadpool *pool = NULL;
    double best = 1e30;
    bn_status st = bn_pretok_new(&pre, NULL, "bench", err);
    if (st == BN_OK)
        st = bn_threadpool_create(&pool, threads, err);
    for (int r = 0; r < REPEATS && st == BN_OK; r++) {
        double t;
        st = train_once(text, n, vocab_size, pool, pre, &t, merges, err);
        best = t < best ? t : best;
    }
    *mbs = n / 1e6 / (best > 1e-9 ? best : 1e-9);
    bn_threadpool_destroy(pool);
    bn_pretok_free(pre);
    return st;
}

/* Encode the whole corpus in ENCODE_CHUNK pieces (cut after a newline, as the trainer's
 * blocks are), on this thread, counting the tokens into *tokens. */
static bn_status encode_all(const bn_tokenizer *t, const char *text, size_t n, int *ids,
                            size_t cap, size_t *tokens, bn_error *err)
{
    *tokens = 0;
    for (size_t at = 0; at < n;) {
        size_t len = n - at < ENCODE_CHUNK ? n - at : ENCODE_CHUNK;
        size_t cut = len, count;
        while (at + len < n && cut > 0 && text[at + cut - 1] != '\n')
            cut--;
        len = cut > 0 ? cut : len;
        bn_status st = bn_tok_encode(t, text + at, len, ids, cap, &count, err);
        if (st != BN_OK)
            return st;
        *tokens += count;
        at += len;
    }
    return BN_OK;
}

static bn_status time_encoding(tok_bench *b, const char *text, bn_error *err)
{
    bn_tokenizer *t = NULL;
    char shipped[BN_PATH_MAX];
    bn_status st = bn_tok_open(&t, bn_tokenizer_arg(b->tokenizer, shipped), err);
    int *ids = st == BN_OK ? malloc(sizeof(int) * ENCODE_CHUNK * 2) : NULL;
    if (st == BN_OK && !ids)
        st = bn_nomem(err, "the ids of one encoding chunk", sizeof(int) * ENCODE_CHUNK * 2);
    double best = 1e30;
    size_t tokens = 0;
    for (int r = 0; r < REPEATS && st == BN_OK; r++) {
        double t0 = now_s();
        st = encode_all(t, text, b->bytes, ids, ENCODE_CHUNK * 2, &tokens, err);
        double dt = now_s() - t0;
        best = dt < best ? dt : best;
    }
    if (st == BN_OK) {
        b->encode_mbs = b->bytes / 1e6 / (best > 1e-9 ? best : 1e-9);
        b->bytes_per_token = tokens ? (double)b->bytes / (double)tokens : 0.0;
    }
    free(ids);
    bn_tok_free(t);
    return st;
}

/* Empty and remove the scratch directory prepare wrote into. */
static void remove_scratch(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[BN_PATH_MAX];
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' &&
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
            unlink(path);
    if (d)
        closedir(d);
    rmdir(dir);
}

/* prepare on PREPARE_THREADS threads, the corpus into a scratch directory (best of
 * REPEATS runs; the file is in the page cache after the first). */
static bn_status time_prepare(tok_bench *b, bn_error *err)
{
    char dir[] = "/tmp/bitnet-bench-prepare.XXXXXX";
    bn_tokenizer *t = NULL;
    if (!mkdtemp(dir))
        return bn_fail(err, BN_ERR_IO, "%s: cannot create a scratch directory", dir);
    char shipped[BN_PATH_MAX];
    bn_status st = bn_tok_open(&t, bn_tokenizer_arg(b->tokenizer, shipped), err);
    const char *inputs[] = {b->corpus};
    bn_prepare_opts o = {.tok = t, .out_dir = dir, .inputs = inputs, .n_inputs = 1,
                         .val_fraction = BN_PREPARE_VAL_FRACTION,
                         .threads = PREPARE_THREADS, .force = 1};
    double best = 1e30;
    for (int r = 0; r < REPEATS && st == BN_OK; r++) {
        bn_prepare_result res;
        st = bn_prepare_run(&o, &res, err);
        if (st == BN_OK && res.seconds < best)
            best = res.seconds;
    }
    if (st == BN_OK)
        b->prepare_mbs = b->bytes / 1e6 / (best > 1e-9 ? best : 1e-9);
    bn_tok_free(t);
    remove_scratch(dir);
    return st;
}

static bn_status run_tok_bench(tok_bench *b, bn_error *err)
{
    char *text = NULL;
    bn_status st = bn_read_file(b->corpus, &text, &b->bytes, err);
    if (st == BN_OK && b->bytes == 0)
        st = bn_fail(err, BN_ERR_INPUT, "%s: the corpus is empty", b->corpus);
    if (st == BN_OK)
        st = time_training(text, b->bytes, 2048, b->threads, &b->train_2048_mbs,
                           &b->merges_2048, err);
    if (st == BN_OK)
        st = time_training(text, b->bytes, 32000, b->threads, &b->train_32000_mbs,
                           &b->merges_32000, err);
    if (st == BN_OK)
        st = time_encoding(b, text, err);
    free(text);
    if (st == BN_OK)
        st = time_prepare(b, err);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    b->peak_rss_kb = ru.ru_maxrss;
    return st;
}

static void print_tok_text(const tok_bench *b)
{
    printf("tokenizer bench: corpus %s (%.1f MB), tokenizer %s\n", b->corpus, b->bytes / 1e6,
           b->tokenizer);
    printf("  train  2048 tokens: %8.1f MB/s  (%d threads, %d merges)\n", b->train_2048_mbs,
           b->threads, b->merges_2048);
    printf("  train 32000 tokens: %8.1f MB/s  (%d threads, %d merges)\n", b->train_32000_mbs,
           b->threads, b->merges_32000);
    printf("  encode:             %8.1f MB/s  (1 thread, %.2f bytes/token)\n", b->encode_mbs,
           b->bytes_per_token);
    printf("  prepare:            %8.1f MB/s  (%d threads)\n", b->prepare_mbs, PREPARE_THREADS);
    printf("  peak RSS:           %8.1f MB\n", b->peak_rss_kb / 1024.0);
}

static int print_tok_json(const tok_bench *b)
{
    json_t *rec = json_pack(
        "{s:s, s:s, s:s, s:I, s:i, s:o, s:i, s:o, s:i, s:o, s:o, s:o, s:i, s:o}", "bench", "tokenizer",
        "corpus", b->corpus, "tokenizer", b->tokenizer, "bytes", (json_int_t)b->bytes,
        "threads", b->threads, "train_2048_mb_per_s", bn_json_number(b->train_2048_mbs),
        "merges_2048", b->merges_2048, "train_32000_mb_per_s",
        bn_json_number(b->train_32000_mbs), "merges_32000", b->merges_32000,
        "encode_mb_per_s", bn_json_number(b->encode_mbs), "bytes_per_token",
        bn_json_number(b->bytes_per_token), "prepare_mb_per_s", bn_json_number(b->prepare_mbs),
        "prepare_threads", PREPARE_THREADS, "peak_rss_mb",
        bn_json_number(b->peak_rss_kb / 1024.0));
    bn_error err = {0};
    bn_status st = rec ? bn_jsonl_append(stdout, "standard output", rec, &err) : BN_ERR_NOMEM;
    json_decref(rec);
    return st == BN_OK ? 0 : -1;
}

int bn_cmd_bench_tokenizer(const bn_cli *cli)
{
    char sample[BN_PATH_MAX];
    tok_bench b = {.tokenizer = cli->tokenizer, .corpus = cli->corpus,
                   .threads = bn_resolve_threads(cli->threads)};
    bn_error err = {0};
    bn_status st = BN_OK;
    if (!b.corpus) {
        st = bn_asset_path(TINYSTORIES_SAMPLE, sample, sizeof sample, &err);
        b.corpus = sample;
    }
    if (st == BN_OK)
        st = run_tok_bench(&b, &err);
    if (st != BN_OK) {
        fprintf(stderr, "bitnet-tui: bench --tokenizer: %s\n", err.msg);
        return bn_exit_status(st);
    }
    if (cli->json ? print_tok_json(&b) < 0 : (print_tok_text(&b), 0)) {
        fprintf(stderr, "bitnet-tui: bench --tokenizer: out of memory for the JSON record\n");
        return BN_EXIT_RUNTIME;
    }
    return BN_EXIT_OK;
}
