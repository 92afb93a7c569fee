/* tok_train_cmd.c - `bitnet-tui tokenizer train` (README, "Training a tokenizer"): count
 * the pre-tokens of the inputs in bounded blocks, train byte-level BPE on the counts,
 * write tokenizer.json through a temporary name. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "tok/bpe.h"
#include "tok/bpe_train.h"

#define MAX_INPUTS 4096
#define MAX_SPECIALS 16
#define BLOCK (64u << 20) /* bytes counted at a time: the memory bound besides the table */

typedef struct {
    int vocab_size, threads;
    const char *out;
    const char *specials[MAX_SPECIALS];
    int n_specials;
    char *inputs[MAX_INPUTS]; /* files, directories expanded; malloc'd */
    int n_inputs;
    long long total_bytes;
} train_args;

/* Progress on stderr, at most twice a second. */
typedef struct {
    double t0, last;
    long long done, total;
    int tty, shown; /* shown: a line was printed (a pipe gets a final one only then) */
} progress;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void show(progress *p, const char *what, long long done, long long total, double unit,
                 const char *units, int force)
{
    double t = now_s();
    if (force ? !p->tty && !p->shown : t - p->last < (p->tty ? 0.5 : 5.0))
        return;
    p->last = t;
    p->shown = 1;
    double rate = done / (t - p->t0 > 1e-9 ? t - p->t0 : 1e-9);
    double eta = rate > 0 && total > done ? (total - done) / rate : 0;
    int dec = unit > 1 ? 1 : 0;
    fprintf(stderr, "%s%s: %.*f / %.*f %s, %.*f %s/s, ETA %.0f s%s", p->tty ? "\r" : "",
            what, dec, done / unit, dec, total / unit, units, dec, rate / unit, units, eta,
            p->tty ? "\033[K" : "\n");
    if (force && p->tty)
        fputc('\n', stderr);
}

static void on_merges(void *ctx, int done, int target)
{
    progress *p = ctx;
    show(p, "merges", done, target, 1, "merges", done == target);
}

/* ---- inputs ---- */

static int add_input(train_args *a, const char *path, long long size, bn_error *err)
{
    if (a->n_inputs == MAX_INPUTS)
        return bn_fail(err, BN_ERR_INPUT, "%s: more than %d input files", path, MAX_INPUTS);
    if (!(a->inputs[a->n_inputs] = strdup(path)))
        return bn_fail(err, BN_ERR_NOMEM, "out of memory");
    a->n_inputs++;
    a->total_bytes += size;
    return BN_OK;
}

static int is_txt(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".txt") == 0;
}

static bn_status add_path(train_args *a, const char *path, int top, bn_error *err);

/* A directory: its .txt files and subdirectories, in name order. */
static bn_status add_dir(train_args *a, const char *path, bn_error *err)
{
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot read: %s", path, strerror(errno));
    bn_status st = BN_OK;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        char sub[4096];
        if (st == BN_OK && name[0] != '.' &&
            snprintf(sub, sizeof sub, "%s/%s", path, name) < (int)sizeof sub)
            st = add_path(a, sub, 0, err);
        free(names[i]);
    }
    free(names);
    return st;
}

/* A file given by name is read whatever its name; inside directories only .txt files. */
static bn_status add_path(train_args *a, const char *path, int top, bn_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return add_dir(a, path, err);
    if (!S_ISREG(sb.st_mode) || (!top && !is_txt(path)))
        return top ? bn_fail(err, BN_ERR_INPUT, "%s: not a file or directory", path) : BN_OK;
    if (access(path, R_OK) != 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    return add_input(a, path, (long long)sb.st_size, err);
}

/* ---- arguments ---- */

static bn_status parse_int(const char *flag, const char *v, int lo, int hi, int *out,
                           bn_error *err)
{
    char *end;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || !*v || *end || x < lo || x > hi)
        return bn_fail(err, BN_ERR_INPUT, "%s %s: must be an integer in %d..%d", flag,
                       v ? v : "(missing)", lo, hi);
    *out = (int)x;
    return BN_OK;
}

static bn_status parse_flag(train_args *a, int argc, char **argv, int *i, bn_error *err)
{
    const char *f = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    ++*i;
    if (strcmp(f, "--vocab-size") == 0)
        return parse_int(f, v, 1, 1 << 30, &a->vocab_size, err);
    if (strcmp(f, "--threads") == 0)
        return parse_int(f, v, 1, BN_THREADPOOL_MAX, &a->threads, err);
    if (strcmp(f, "--out") == 0 && v) {
        a->out = v;
        return BN_OK;
    }
    if (strcmp(f, "--special") == 0 && v && *v && a->n_specials < MAX_SPECIALS) {
        for (int k = 0; k < a->n_specials; k++)
            if (strcmp(a->specials[k], v) == 0)
                return bn_fail(err, BN_ERR_INPUT, "--special %s: given twice", v);
        a->specials[a->n_specials++] = v;
        return BN_OK;
    }
    --*i;
    return bn_fail(err, BN_ERR_INPUT, "%s: unknown flag or missing value (tokenizer train: "
                   "--vocab-size N --out FILE [--threads N] [--special TOKEN]... INPUT...)",
                   f);
}

/* --out's directory must exist: refused before any work, not after it. */
static bn_status check_out(const char *out, bn_error *err)
{
    char dir[4096];
    const char *slash = strrchr(out, '/');
    struct stat sb;
    if (!slash)
        return BN_OK;
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - out) + (slash == out), out);
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return bn_fail(err, BN_ERR_INPUT, "--out %s: no directory %s", out, dir);
    return BN_OK;
}

static bn_status parse_args(train_args *a, int argc, char **argv, bn_error *err)
{
    bn_status st = BN_OK;
    for (int i = 0; i < argc && st == BN_OK;) {
        if (strncmp(argv[i], "--", 2) == 0) {
            st = parse_flag(a, argc, argv, &i, err);
            i++;
        } else {
            st = add_path(a, argv[i++], 1, err);
        }
    }
    if (st != BN_OK)
        return st;
    if (!a->vocab_size || !a->out)
        return bn_fail(err, BN_ERR_INPUT, "tokenizer train needs --vocab-size N and --out FILE");
    if (!a->n_inputs)
        return bn_fail(err, BN_ERR_INPUT, "tokenizer train needs an INPUT (a .txt file or a "
                       "directory of them)");
    if (!a->n_specials) {
        a->specials[a->n_specials++] = "<|endoftext|>";
        a->specials[a->n_specials++] = "<pad>";
    }
    if (a->vocab_size < a->n_specials + 256)
        return bn_fail(err, BN_ERR_INPUT, "--vocab-size %d: must be at least %d (%d special "
                       "tokens + 256 bytes)", a->vocab_size, a->n_specials + 256, a->n_specials);
    return check_out(a->out, err);
}

/* ---- counting ---- */

typedef struct {
    bn_bpe_words *words;
    const bn_pretok *pre;
    bn_bpe_specials sp;
    bn_threadpool *pool;
    char *buf;
    size_t cap;
    progress *prog;
} counter;

/* Count one file in blocks cut after their last "\n" (a longer line grows the block). */
static bn_status count_file(counter *c, const char *path, bn_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    size_t have = 0;
    bn_status st = BN_OK;
    for (int eof = 0; !eof && st == BN_OK;) {
        if (have == c->cap) {
            char *b = realloc(c->buf, c->cap * 2);
            if (!b) {
                st = bn_fail(err, BN_ERR_NOMEM, "%s: a line too long for memory", path);
                break;
            }
            c->buf = b;
            c->cap *= 2;
        }
        size_t got = fread(c->buf + have, 1, c->cap - have, f);
        eof = got < c->cap - have;
        if (eof && ferror(f)) {
            st = bn_fail(err, BN_ERR_INPUT, "%s: read error: %s", path, strerror(errno));
            break;
        }
        have += got;
        size_t cut = have;
        while (!eof && cut > 0 && c->buf[cut - 1] != '\n')
            cut--;
        st = bn_bpe_count_parallel(c->words, c->pre, &c->sp, c->pool, c->buf, cut, err);
        memmove(c->buf, c->buf + cut, have - cut);
        have -= cut;
        c->prog->done += (long long)got;
        show(c->prog, "read", c->prog->done, c->prog->total, 1e6, "MB", 0);
    }
    fclose(f);
    return st;
}

static bn_status count_all(counter *c, const train_args *a, bn_error *err)
{
    bn_status st = BN_OK;
    for (int i = 0; i < a->n_inputs && st == BN_OK; i++)
        st = count_file(c, a->inputs[i], err);
    if (st == BN_OK)
        show(c->prog, "read", c->prog->done, c->prog->total, 1e6, "MB", 1);
    return st;
}

static bn_status train_and_save(counter *c, const train_args *a, bn_error *err)
{
    bn_bpe_train_opts o = {a->vocab_size, c->sp, on_merges, c->prog};
    bn_bpe_model m;
    c->prog->t0 = now_s();
    bn_status st = bn_bpe_train(c->words, &o, &m, err);
    if (st != BN_OK)
        return st;
    bn_tokenizer *t = NULL;
    st = bn_bpe_model_tokenizer(&m, &t, err);
    if (st == BN_OK)
        st = bn_tok_save_hf(t, a->out, err);
    if (st == BN_OK)
        fprintf(stderr, "%s: %d tokens, %d merges\n", a->out, m.n_tokens, m.n_merges);
    bn_tok_free(t);
    bn_bpe_model_free(&m);
    return st;
}

static bn_status run(train_args *a, bn_error *err)
{
    double t0 = now_s();
    progress prog = {t0, t0, 0, a->total_bytes, isatty(2), 0};
    counter c = {bn_bpe_words_new(), NULL, {a->specials, a->n_specials}, NULL,
                 malloc(BLOCK), BLOCK, &prog};
    bn_status st = c.words && c.buf ? BN_OK : bn_fail(err, BN_ERR_NOMEM, "out of memory");
    if (st == BN_OK)
        st = bn_pretok_new((bn_pretok **)&c.pre, NULL, "tokenizer train", err);
    if (st == BN_OK)
        st = bn_threadpool_create(&c.pool, bn_resolve_threads(a->threads), err);
    if (st == BN_OK)
        st = count_all(&c, a, err);
    free(c.buf);
    c.buf = NULL;
    if (st == BN_OK)
        st = train_and_save(&c, a, err);
    bn_threadpool_destroy(c.pool);
    bn_pretok_free((bn_pretok *)c.pre);
    bn_bpe_words_free(c.words);
    return st;
}

static const char usage[] =
    "usage: bitnet-tui tokenizer train --vocab-size N --out FILE [--threads N]\n"
    "                                  [--special TOKEN]... INPUT...\n"
    "Train a byte-level BPE tokenizer (Hugging Face BpeTrainer's merges) on INPUT files or\n"
    "directories of .txt files and write it as a Hugging Face tokenizer.json.\n"
    "  --vocab-size N     tokens in all: special tokens, 256 bytes, merges\n"
    "  --out FILE         the tokenizer.json to write (its directory must exist)\n"
    "  --threads N        counting threads (default: every core)\n"
    "  --special TOKEN    a special token, ids 0, 1, ... in order (repeatable; default\n"
    "                     <|endoftext|> and <pad>); cut out of the text, never learned\n";

int bn_cmd_tokenizer_train(int argc, char **argv)
{
    if (argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        fputs(usage, stdout);
        return BN_EXIT_OK;
    }
    train_args a;
    memset(&a, 0, sizeof a);
    bn_error err = {0};
    bn_status st = parse_args(&a, argc, argv, &err);
    if (st == BN_OK)
        st = run(&a, &err);
    for (int i = 0; i < a.n_inputs; i++)
        free(a.inputs[i]);
    if (st != BN_OK)
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
    return st == BN_OK ? BN_EXIT_OK : bn_exit_status(st);
}
