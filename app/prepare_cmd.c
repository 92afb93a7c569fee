/* prepare_cmd.c - `bitnet-tui prepare` (README, "Preparing a corpus"): a corpus into
 * token shards with a tokenizer, through io/prepare.h, with a progress line. */
/* tgkill (Linux, glibc 2.30) is behind _GNU_SOURCE; see forward_to_main. */
#define _GNU_SOURCE 1

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "experiments.h"
#include "io/prepare.h"
#include "progress.h"
#include "tok/bpe.h"

#define MAX_ARGS 4096

typedef struct {
    const char *tokenizer;
    const char *inputs[MAX_ARGS], *val[MAX_ARGS];
    int n_inputs, n_val, val_fraction_given, threads;
    bn_prepare_opts o;
} prepare_args;

static const char usage[] =
    "usage: bitnet-tui prepare --tokenizer FILE --out DIR [--val-fraction F | --val INPUT]...\n"
    "                          [--field NAME] [--shard-tokens N] [--threads N] [--force]\n"
    "                          INPUT...\n"
    "Tokenize a corpus into llm.c token shards: DIR/train_NNNNNN.bin, DIR/val_NNNNNN.bin,\n"
    "a copy of the tokenizer (DIR/tokenizer.json) and DIR/dataset.json. Each document is\n"
    "written as the end-of-text id followed by its ids.\n"
    "  --tokenizer FILE    a byte-level BPE tokenizer.json (at most 65536 tokens), or a\n"
    "                      shipped one by name: gpt2, tinystories\n"
    "  --out DIR           the dataset directory (created when missing)\n"
    "  --val-fraction F    hold out document k when floor((k+1)F) > floor(kF), 0 <= F < 1\n"
    "                      [default 0.01]\n"
    "  --val INPUT         the held-out split is this file's or directory's documents\n"
    "                      instead (repeatable)\n"
    "  --field NAME        the .jsonl documents' field [default \"text\", else \"story\"]\n"
    "  --shard-tokens N    tokens per shard [default 100000000, llm.c's]\n"
    "  --threads N         encoding threads [default: every core]\n"
    "  --force             replace the dataset already in DIR\n"
    "INPUT is a file or a directory: .txt (documents separated by <|endoftext|> lines),\n"
    ".jsonl (one JSON object per line), and .gz / .zst forms of both; a directory gives\n"
    "its files of those kinds, recursively, in name order.\n";

static bn_status parse_number(const char *flag, const char *v, double lo, double hi,
                              int integer, double *out, bn_error *err)
{
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || !(x >= lo && x <= hi) || (integer && x != floor(x)))
        return integer ? bn_fail(err, BN_ERR_INPUT, "%s %s: must be an integer in %.0f..%.0f",
                                 flag, v, lo, hi)
                       : bn_fail(err, BN_ERR_INPUT, "%s %s: must be a number at least 0 and "
                                 "below 1", flag, v);
    *out = x;
    return BN_OK;
}

static bn_status add_to(const char **list, int *n, const char *v, bn_error *err)
{
    if (*n == MAX_ARGS)
        return bn_fail(err, BN_ERR_INPUT, "%s: more than %d inputs", v, MAX_ARGS);
    list[(*n)++] = v;
    return BN_OK;
}

/* A flag with its value v. */
static bn_status take_flag(prepare_args *a, const char *f, const char *v, bn_error *err)
{
    double x = 0;
    bn_status st = BN_OK;
    if (strcmp(f, "--tokenizer") == 0) {
        a->tokenizer = v;
    } else if (strcmp(f, "--out") == 0) {
        a->o.out_dir = v;
    } else if (strcmp(f, "--field") == 0) {
        a->o.field = v;
    } else if (strcmp(f, "--val") == 0) {
        st = add_to(a->val, &a->n_val, v, err);
    } else if (strcmp(f, "--val-fraction") == 0) {
        st = parse_number(f, v, 0, nextafter(1.0, 0.0), 0, &x, err);
        a->o.val_fraction = x;
        a->val_fraction_given = 1;
    } else if (strcmp(f, "--shard-tokens") == 0) {
        st = parse_number(f, v, 1, 2147483647.0, 1, &x, err);
        a->o.shard_tokens = (long long)x;
    } else if (strcmp(f, "--threads") == 0) {
        st = parse_number(f, v, 1, BN_THREADPOOL_MAX, 1, &x, err);
        a->threads = (int)x;
    }
    return st;
}

static int takes_value(const char *f)
{
    static const char *const names[] = {"--tokenizer", "--out", "--field", "--val",
                                        "--val-fraction", "--shard-tokens", "--threads"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(f, names[i]) == 0)
            return 1;
    return 0;
}

/* argv[*i] is a flag: --name VALUE, --name=VALUE or --force. */
static bn_status parse_flag(prepare_args *a, int argc, char **argv, int *i, bn_error *err)
{
    char name[64];
    const char *arg = argv[(*i)++], *eq = strchr(arg, '=');
    snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
    if (strcmp(name, "--force") == 0 && !eq) {
        a->o.force = 1;
        return BN_OK;
    }
    if (!takes_value(name))
        return bn_fail(err, BN_ERR_INPUT, "%s: unknown flag (see `bitnet-tui prepare "
                       "--help`)", name);
    const char *v = eq ? eq + 1 : *i < argc ? argv[(*i)++] : NULL;
    if (!v || !*v)
        return bn_fail(err, BN_ERR_INPUT, "%s: missing value", name);
    return take_flag(a, name, v, err);
}

static bn_status parse_args(prepare_args *a, int argc, char **argv, bn_error *err)
{
    bn_status st = BN_OK;
    int only_inputs = 0;
    for (int i = 0; i < argc && st == BN_OK;) {
        if (!only_inputs && strcmp(argv[i], "--") == 0) {
            only_inputs = 1;
            i++;
        } else if (!only_inputs && strncmp(argv[i], "--", 2) == 0)
            st = parse_flag(a, argc, argv, &i, err);
        else
            st = add_to(a->inputs, &a->n_inputs, argv[i++], err);
    }
    if (st != BN_OK)
        return st;
    if (!a->tokenizer || !a->o.out_dir)
        return bn_fail(err, BN_ERR_INPUT, "prepare needs --tokenizer FILE and --out DIR (see "
                       "`bitnet-tui prepare --help`)");
    if (a->val_fraction_given && a->n_val)
        return bn_fail(err, BN_ERR_INPUT, "--val-fraction and --val: give one or the other");
    if (!a->val_fraction_given)
        a->o.val_fraction = BN_PREPARE_VAL_FRACTION;
    return BN_OK;
}

/* ---- stopping: SIGINT, SIGTERM, SIGHUP end the run cleanly (its files removed) ---- */

static const int stop_signal[3] = {SIGINT, SIGTERM, SIGHUP};

typedef struct {
    sigset_t set, old_mask;
    struct sigaction old[3];
    int stopped_by;
} stops;

/* OpenBLAS starts its threads before main, none of them blocking signals, so a stop signal
 * sent to the process may be delivered to one of them: the handler, run there, passes it
 * on to the main thread, which keeps it pending until on_progress takes it. */
static void forward_to_main(int sig)
{
    int saved = errno;
    tgkill(getpid(), getpid(), sig);
    errno = saved;
}

static void catch_stops(stops *s)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_to_main;
    sigemptyset(&s->set);
    for (int i = 0; i < 3; i++)
        sigaddset(&s->set, stop_signal[i]);
    sa.sa_mask = s->set;
    pthread_sigmask(SIG_BLOCK, &s->set, &s->old_mask);
    for (int i = 0; i < 3; i++) {
        sigaction(stop_signal[i], NULL, &s->old[i]);
        if (s->old[i].sa_handler != SIG_IGN) /* ignored (a background job's SIGINT) stays so */
            sigaction(stop_signal[i], &sa, NULL);
    }
}

/* The old handlers, then the old mask: a signal still pending acts as it would have. */
static void release_stops(stops *s)
{
    for (int i = 0; i < 3; i++)
        sigaction(stop_signal[i], &s->old[i], NULL);
    pthread_sigmask(SIG_SETMASK, &s->old_mask, NULL);
}

typedef struct {
    bn_progress prog;
    stops stop;
} progress_ctx;

static int on_progress(void *ctx, const bn_prepare_progress *p)
{
    progress_ctx *c = ctx;
    char extra[64];
    struct timespec now = {0, 0};
    snprintf(extra, sizeof extra, "%lld tokens", p->tokens);
    bn_progress_show(&c->prog, "prepare", p->disk_bytes, p->disk_total, 1e6, "MB", extra,
                     p->done);
    /* at the end the dataset is written: a signal pending then acts once released */
    int sig = p->done ? 0 : sigtimedwait(&c->stop.set, NULL, &now);
    if (sig > 0)
        c->stop.stopped_by = sig;
    return c->stop.stopped_by;
}

static void summary(const prepare_args *a, const bn_prepare_result *r)
{
    fprintf(stderr, "%s: train %lld tokens, %lld document%s, %d shard%s; val %lld tokens, "
            "%lld document%s, %d shard%s; %.1f MB of text in %.2f s (%.1f MB/s)\n",
            a->o.out_dir, r->train.tokens, r->train.documents,
            r->train.documents == 1 ? "" : "s", r->train.n_shards,
            r->train.n_shards == 1 ? "" : "s", r->val.tokens, r->val.documents,
            r->val.documents == 1 ? "" : "s", r->val.n_shards,
            r->val.n_shards == 1 ? "" : "s", r->bytes / 1e6, r->seconds,
            r->bytes / 1e6 / (r->seconds > 1e-9 ? r->seconds : 1e-9));
}

/* Runs the engine; a run stopped by a signal says which in *stopped_by. */
static bn_status run(prepare_args *a, int *stopped_by, bn_error *err)
{
    bn_tokenizer *t = NULL;
    char shipped[BN_PATH_MAX];
    bn_status st = bn_tok_open(&t, bn_tokenizer_arg(a->tokenizer, shipped),
                               err);
    if (st != BN_OK)
        return st;
    progress_ctx ctx;
    bn_prepare_result r;
    memset(&ctx, 0, sizeof ctx);
    bn_progress_start(&ctx.prog);
    a->o.tok = t;
    a->o.inputs = a->inputs;
    a->o.n_inputs = a->n_inputs;
    a->o.val_inputs = a->val;
    a->o.n_val_inputs = a->n_val;
    a->o.threads = bn_resolve_threads(a->threads);
    a->o.progress = on_progress;
    a->o.progress_ctx = &ctx;
    catch_stops(&ctx.stop);
    st = bn_prepare_run(&a->o, &r, err);
    *stopped_by = ctx.stop.stopped_by;
    release_stops(&ctx.stop);
    if (st == BN_OK)
        summary(a, &r);
    bn_tok_free(t);
    return st;
}

int bn_cmd_prepare(int argc, char **argv)
{
    if (argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        fputs(usage, stdout);
        return BN_EXIT_OK;
    }
    prepare_args *a = calloc(1, sizeof *a); /* two 32 KB tables: off the stack */
    bn_error err = {0};
    bn_status st = a ? parse_args(a, argc, argv, &err)
                     : bn_fail(&err, BN_ERR_NOMEM, "out of memory");
    int stopped_by = 0;
    if (st == BN_OK)
        st = run(a, &stopped_by, &err);
    free(a);
    if (st != BN_OK)
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
    if (stopped_by)
        return 128 + stopped_by;
    return st == BN_OK ? BN_EXIT_OK : bn_exit_status(st);
}
