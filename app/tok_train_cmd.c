/* tok_train_cmd.c - `bitnet-tui tokenizer train` (README, "Training a tokenizer"): count
 * the pre-tokens of the inputs (read as `prepare` reads them, io/corpus.h) in bounded
 * blocks, train byte-level BPE on the counts, write tokenizer.json through a temporary
 * name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "io/corpus.h"
#include "progress.h"
#include "tok/bpe.h"
#include "tok/bpe_train.h"

#define MAX_SPECIALS 16
#define BLOCK (64u << 20) /* bytes counted at a time: the memory bound besides the table */

typedef struct {
    int vocab_size, threads;
    const char *out;
    const char *specials[MAX_SPECIALS];
    int n_specials;
    const char *field;        /* --field: the .jsonl documents' field */
    bn_corpus_files inputs;   /* files, directories expanded */
} train_args;

static void on_merges(void *ctx, int done, int target)
{
    bn_progress_show(ctx, "merges", done, target, 1, "merges", NULL, done == target);
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
    if (strcmp(f, "--field") == 0 && v && *v) {
        a->field = v;
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
                   "--vocab-size N --out FILE [--threads N] [--special TOKEN]... [--field NAME] "
                   "INPUT...)",
                   f);
}

/* --out's directory must exist: refused before any work, not after it. */
static bn_status check_out(const char *out, bn_error *err)
{
    char dir[BN_PATH_MAX];
    const char *slash = strrchr(out, '/');
    struct stat sb;
    if (strlen(out) >= BN_PATH_MAX)
        return bn_path_too_long(err, out, (long)strlen(out));
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
            st = bn_corpus_files_add(&a->inputs, argv[i++], err);
        }
    }
    if (st != BN_OK)
        return st;
    if (!a->vocab_size || !a->out)
        return bn_fail(err, BN_ERR_INPUT, "tokenizer train needs --vocab-size N and --out FILE");
    if (!a->inputs.n)
        return bn_fail(err, BN_ERR_INPUT, "tokenizer train needs an INPUT (a .txt or .jsonl "
                       "file, maybe .gz or .zst, or a directory of them)");
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
    bn_progress *prog;
} counter;

/* Count the inputs' text block by block: whole lines, so the counts are those of
 * counting each file line by line (bpe_words.h), whatever the block size. */
static bn_status count_all(counter *c, const train_args *a, bn_error *err)
{
    bn_corpus_opts o = {BN_CORPUS_LINES, a->field, BLOCK};
    bn_corpus *rd = NULL;
    bn_corpus_block b;
    long long total = a->inputs.disk_bytes;
    bn_status st = bn_corpus_open(&rd, &a->inputs, &o, err);
    while (st == BN_OK && (st = bn_corpus_next(rd, &b, err)) == BN_OK && b.n > 0) {
        st = bn_bpe_count_parallel(c->words, c->pre, &c->sp, c->pool, b.text, b.text_len, err);
        bn_progress_show(c->prog, "read", bn_corpus_disk_bytes(rd), total, 1e6, "MB", NULL, 0);
    }
    if (st == BN_OK)
        bn_progress_show(c->prog, "read", bn_corpus_disk_bytes(rd), total, 1e6, "MB", NULL, 1);
    bn_corpus_close(rd);
    return st;
}

static bn_status train_and_save(counter *c, const train_args *a, bn_error *err)
{
    bn_bpe_train_opts o = {a->vocab_size, c->sp, on_merges, c->prog};
    bn_bpe_model m;
    c->prog->t0 = bn_now_s();
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
    bn_progress prog;
    bn_progress_start(&prog);
    counter c = {bn_bpe_words_new(), NULL, {a->specials, a->n_specials}, NULL, &prog};
    bn_status st = c.words ? BN_OK : bn_fail(err, BN_ERR_NOMEM, "out of memory");
    if (st == BN_OK)
        st = bn_pretok_new((bn_pretok **)&c.pre, NULL, "tokenizer train", err);
    if (st == BN_OK)
        st = bn_threadpool_create(&c.pool, bn_resolve_threads(a->threads), err);
    if (st == BN_OK)
        st = count_all(&c, a, err);
    if (st == BN_OK)
        st = train_and_save(&c, a, err);
    bn_threadpool_destroy(c.pool);
    bn_pretok_free((bn_pretok *)c.pre);
    bn_bpe_words_free(c.words);
    return st;
}

static const char usage[] =
    "usage: bitnet-tui tokenizer train --vocab-size N --out FILE [--threads N]\n"
    "                                  [--special TOKEN]... [--field NAME] INPUT...\n"
    "Train a byte-level BPE tokenizer (Hugging Face BpeTrainer's merges) on INPUT files or\n"
    "directories and write it as a Hugging Face tokenizer.json. Inputs as for prepare:\n"
    ".txt, .jsonl, and their .gz / .zst forms; directories give their files of those\n"
    "kinds in name order. A .txt file counts line by line, as Hugging Face's trainer\n"
    "reads a file; a .jsonl document counts as its text followed by a newline.\n"
    "  --vocab-size N     tokens in all: special tokens, 256 bytes, merges\n"
    "  --out FILE         the tokenizer.json to write (its directory must exist)\n"
    "  --threads N        counting threads (default: every core)\n"
    "  --special TOKEN    a special token, ids 0, 1, ... in order (repeatable; default\n"
    "                     <|endoftext|> and <pad>); cut out of the text, never learned\n"
    "  --field NAME       the .jsonl documents' field (default: \"text\", else \"story\")\n";

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
    bn_corpus_files_free(&a.inputs);
    if (st != BN_OK)
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
    return st == BN_OK ? BN_EXIT_OK : bn_exit_status(st);
}
