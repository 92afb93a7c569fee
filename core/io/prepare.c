/* prepare.c - a corpus into token shards, a tokenizer copy and dataset.json (io/prepare.h;
 * README, "Preparing a corpus"). */
#include "io/prepare.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/threadpool.h"
#include "io/corpus.h"
#include "io/prepare_impl.h"
#include "tok/bpe.h"

typedef struct {
    const bn_prepare_opts *o;
    bn_corpus_files train_in, val_in;
    bn_dataset_source *sources;   /* train_in's files, then val_in's */
    bn_threadpool *pool;
    bn_prep_encoder enc;
    bn_prep_batch batch;          /* small blocks gathered for the encoder */
    bn_prep_split train, val;
    long long doc_k;              /* documents seen, for the val fraction */
    bn_prepare_progress prog;     /* bytes of the corpora finished, plus the current one */
    double t0;
    char hash[BN_TOK_HASH_CAP];
    int eot, made_dir, wrote_tokenizer;
} prep;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bn_status check_opts(const bn_prepare_opts *o, bn_error *err)
{
    if (!o->out_dir || !o->out_dir[0])
        return bn_fail(err, BN_ERR_INPUT, "prepare needs an output directory");
    if (o->n_inputs < 1)
        return bn_fail(err, BN_ERR_INPUT, "prepare needs an INPUT (a .txt or .jsonl file, "
                       "maybe .gz or .zst, or a directory of them)");
    if (!(o->val_fraction >= 0 && o->val_fraction < 1)) /* NaN fails too */
        return bn_fail(err, BN_ERR_INPUT, "val fraction %g: must be at least 0 and below 1",
                       o->val_fraction);
    if (o->shard_tokens < 0 || o->shard_tokens > INT32_MAX)
        return bn_fail(err, BN_ERR_INPUT, "shard tokens %lld: must be 1..%d", o->shard_tokens,
                       INT32_MAX);
    if (o->threads < 1 || o->threads > BN_THREADPOOL_MAX)
        return bn_fail(err, BN_ERR_INPUT, "threads %d: must be 1..%d", o->threads,
                       BN_THREADPOOL_MAX);
    char longest[BN_PATH_MAX]; /* refused before anything is written, not half way */
    return bn_prep_shard_path(longest, o->out_dir, "train", 999999, err);
}

/* Byte-level BPE, an end-of-text id, every id a uint16. */
static bn_status check_tokenizer(prep *p, bn_error *err)
{
    const bn_tokenizer *t = p->o->tok;
    int v = bn_tok_vocab_size(t);
    if (!bn_tok_is_bpe(t))
        return bn_fail(err, BN_ERR_INPUT, "tokenizer %s: not a byte-level BPE tokenizer.json",
                       bn_tok_name(t));
    if (v > BN_PREPARE_MAX_VOCAB)
        return bn_fail(err, BN_ERR_INPUT, "tokenizer %s: %d tokens do not fit the uint16 ids "
                       "of token shards (at most %d)", bn_tok_name(t), v, BN_PREPARE_MAX_VOCAB);
    if ((p->eot = bn_tok_special(t, BN_TOK_EOS)) < 0)
        return bn_fail(err, BN_ERR_INPUT, "tokenizer %s: no end-of-text token (<|endoftext|>) "
                       "to separate documents", bn_tok_name(t));
    return bn_tok_hash(t, p->hash, err);
}

static bn_status list_inputs(prep *p, bn_error *err)
{
    const bn_prepare_opts *o = p->o;
    bn_status st = BN_OK;
    for (int i = 0; i < o->n_inputs && st == BN_OK; i++)
        st = bn_corpus_files_add(&p->train_in, o->inputs[i], err);
    for (int i = 0; i < o->n_val_inputs && st == BN_OK; i++)
        st = bn_corpus_files_add(&p->val_in, o->val_inputs[i], err);
    if (st != BN_OK)
        return st;
    int n = p->train_in.n + p->val_in.n;
    if (!(p->sources = calloc((size_t)n + 1, sizeof *p->sources)))
        return bn_fail(err, BN_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        p->sources[i].path = i < p->train_in.n ? p->train_in.files[i].path
                                               : p->val_in.files[i - p->train_in.n].path;
    p->prog.disk_total = p->train_in.disk_bytes + p->val_in.disk_bytes;
    return BN_OK;
}

static int exists(const char *dir, const char *name)
{
    char path[BN_PATH_MAX];
    struct stat sb;
    return bn_path_join(path, dir, name, NULL) == BN_OK && stat(path, &sb) == 0;
}

/* Without force, a directory holding our dataset or shards is refused; with it, they go. */
static bn_status clear_out_dir(prep *p, bn_error *err)
{
    const char *dir = p->o->out_dir;
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return BN_OK;
    if (!S_ISDIR(sb.st_mode))
        return bn_fail(err, BN_ERR_INPUT, "--out %s: not a directory", dir);
    const char *held = exists(dir, BN_DATASET_MANIFEST) ? BN_DATASET_MANIFEST
                       : exists(dir, "train_000000.bin") ? "train_000000.bin"
                       : exists(dir, "val_000000.bin")   ? "val_000000.bin"
                                                         : NULL;
    if (held && !p->o->force)
        return bn_fail(err, BN_ERR_INPUT, "--out %s: already holds a dataset (%s); --force "
                       "replaces it", dir, held);
    char path[BN_PATH_MAX];
    bn_status st = bn_path_join(path, dir, BN_DATASET_MANIFEST, err);
    if (st != BN_OK)
        return st;
    unlink(path); /* first: what is left is no longer a finished dataset */
    for (int s = 0; s < 2; s++)
        for (int i = 0;; i++) {
            if (bn_prep_shard_path(path, dir, s ? "val" : "train", i, NULL) != BN_OK ||
                unlink(path) != 0)
                break;
        }
    return BN_OK;
}

static bn_status make_out_dir(prep *p, bn_error *err)
{
    struct stat sb;
    bn_status st = clear_out_dir(p, err);
    if (st != BN_OK)
        return st;
    p->made_dir = stat(p->o->out_dir, &sb) != 0;
    return bn_mkdirs(p->o->out_dir, err);
}

/* Document k goes to val when floor((k + 1) F) > floor(k F). */
static bn_prep_split *pick(prep *p)
{
    double f = p->o->val_fraction;
    long long k = p->doc_k++;
    return floor((double)(k + 1) * f) > floor((double)k * f) ? &p->val : &p->train;
}

/* The encoded block's documents, in order, to their split (only: all to that one);
 * file_of: each document's corpus file, NULL when all are b->file's. */
static bn_status route(prep *p, const bn_corpus_block *b, const int *file_of,
                       bn_prep_split *only, int src0, bn_error *err)
{
    const bn_prep_encoder *e = &p->enc;
    bn_status st = BN_OK;
    for (int r = 0; r < e->n_lanes && st == BN_OK; r++) {
        const uint16_t *tok = e->lanes[r].tok;
        for (size_t i = e->cut[r]; i < e->cut[r + 1] && st == BN_OK; i++) {
            bn_prep_split *s = only ? only : pick(p);
            st = bn_prep_split_add(s, tok, e->ntok[i], b->len[i], err);
            tok += e->ntok[i];
            p->prog.tokens += (long long)e->ntok[i];
        }
    }
    p->prog.documents += (long long)b->n;
    for (size_t i = 0; i < b->n; i++)
        p->sources[src0 + (file_of ? file_of[i] : b->file)].documents++;
    return st;
}

/* Tell the caller where the run is; its non-zero answer stops the run. */
static bn_status report(prep *p, const bn_corpus *rd, int done, bn_error *err)
{
    bn_prepare_progress now = p->prog;
    now.disk_bytes += rd ? bn_corpus_disk_bytes(rd) : 0;
    now.bytes += rd ? bn_corpus_bytes(rd) : 0;
    now.seconds = now_s() - p->t0;
    now.done = done;
    if (p->o->progress && p->o->progress(p->o->progress_ctx, &now) && !done)
        return bn_fail(err, BN_ERR_INPUT, "%s: stopped before the end; the files written "
                       "are removed", p->o->out_dir);
    return BN_OK;
}

/* Encode the gathered documents and route them; the batch is then empty. */
static bn_status flush_batch(prep *p, bn_prep_split *only, int src0, bn_error *err)
{
    bn_corpus_block b;
    bn_prep_batch_block(&p->batch, &b);
    bn_status st = b.n ? bn_prep_encode_block(&p->enc, p->pool, &b, err) : BN_OK;
    if (st == BN_OK && b.n)
        st = route(p, &b, p->batch.file, only, src0, err);
    bn_prep_batch_clear(&p->batch);
    return st;
}

/* One block from the reader: encoded as it is when it is big enough to share out over
 * the threads, else gathered with the next ones (a directory of small files). */
static bn_status take_block(prep *p, const bn_corpus_block *b, bn_prep_split *only,
                            int src0, bn_error *err)
{
    size_t enough = p->o->block_bytes ? p->o->block_bytes : BN_CORPUS_BLOCK_BYTES;
    bn_status st = BN_OK;
    if (p->batch.n == 0 && b->text_len >= enough) {
        st = bn_prep_encode_block(&p->enc, p->pool, b, err);
        return st == BN_OK ? route(p, b, NULL, only, src0, err) : st;
    }
    st = bn_prep_batch_add(&p->batch, b, err);
    if (st == BN_OK && p->batch.text_len >= enough)
        st = flush_batch(p, only, src0, err);
    return st;
}

/* Read, encode and route one corpus (the train inputs, or the val ones). */
static bn_status read_corpus(prep *p, const bn_corpus_files *files, bn_prep_split *only,
                             int src0, bn_error *err)
{
    bn_corpus_opts co = {BN_CORPUS_DOCUMENTS, p->o->field, p->o->block_bytes};
    bn_corpus *rd = NULL;
    bn_corpus_block b;
    bn_status st = bn_corpus_open(&rd, files, &co, err);
    while (st == BN_OK && (st = bn_corpus_next(rd, &b, err)) == BN_OK && b.n > 0) {
        st = take_block(p, &b, only, src0, err);
        if (st == BN_OK)
            st = report(p, rd, 0, err);
    }
    if (st == BN_OK)
        st = flush_batch(p, only, src0, err);
    if (st == BN_OK) {
        for (int i = 0; i < files->n; i++)
            p->sources[src0 + i].bytes = bn_corpus_file_bytes(rd, i);
        p->prog.disk_bytes += bn_corpus_disk_bytes(rd);
        p->prog.bytes += bn_corpus_bytes(rd);
    }
    bn_corpus_close(rd);
    return st;
}

static bn_status read_all(prep *p, bn_error *err)
{
    int by_files = p->val_in.n > 0;
    bn_status st = read_corpus(p, &p->train_in, by_files ? &p->train : NULL, 0, err);
    if (st == BN_OK && by_files)
        st = read_corpus(p, &p->val_in, &p->val, p->train_in.n, err);
    if (st == BN_OK && p->train.c.documents == 0)
        st = bn_fail(err, BN_ERR_INPUT, "%s%s: no documents (the corpus is empty)",
                     p->o->inputs[0], p->o->n_inputs > 1 ? " ..." : "");
    if (st == BN_OK && by_files && p->val.c.documents == 0)
        st = bn_fail(err, BN_ERR_INPUT, "--val %s%s: no documents", p->o->val_inputs[0],
                     p->o->n_val_inputs > 1 ? " ..." : "");
    if (st == BN_OK)
        st = bn_prep_split_finish(&p->train, err);
    if (st == BN_OK)
        st = bn_prep_split_finish(&p->val, err);
    return st;
}

/* tokenizer.json, then dataset.json: the dataset is finished when that is there. */
static bn_status write_manifest(prep *p, bn_error *err)
{
    const bn_prepare_opts *o = p->o;
    char path[BN_PATH_MAX];
    bn_status st = bn_path_join(path, o->out_dir, BN_DATASET_TOKENIZER, err);
    if (st == BN_OK)
        st = bn_tok_save_hf(o->tok, path, err);
    p->wrote_tokenizer = st == BN_OK;
    if (st != BN_OK)
        return st;
    bn_dataset_manifest m = {p->hash, bn_tok_vocab_size(o->tok), p->eot, p->train.c,
                             p->val.c, p->sources, p->train_in.n + p->val_in.n,
                             p->val_in.n > 0 ? -1.0 : o->val_fraction};
    return bn_dataset_manifest_write(o->out_dir, &m, err);
}

static bn_status setup(prep *p, bn_error *err)
{
    const bn_prepare_opts *o = p->o;
    bn_status st = check_opts(o, err);
    if (st != BN_OK)
        return st;
    size_t shard = (size_t)(o->shard_tokens ? o->shard_tokens : BN_PREPARE_SHARD_TOKENS);
    p->train = (bn_prep_split){.dir = o->out_dir, .name = "train", .shard_tokens = shard};
    p->val = (bn_prep_split){.dir = o->out_dir, .name = "val", .shard_tokens = shard};
    if ((st = check_tokenizer(p, err)) == BN_OK && (st = list_inputs(p, err)) == BN_OK &&
        (st = make_out_dir(p, err)) == BN_OK &&
        (st = bn_threadpool_create(&p->pool, o->threads, err)) == BN_OK)
        st = bn_prep_encoder_init(&p->enc, o->tok, p->eot, o->threads, err);
    return st;
}

/* After a failure: the files this run wrote go, and the directory when it made it. */
static void undo(prep *p)
{
    bn_prep_split_remove(&p->train);
    bn_prep_split_remove(&p->val);
    if (p->wrote_tokenizer) {
        char path[BN_PATH_MAX];
        if (bn_path_join(path, p->o->out_dir, BN_DATASET_TOKENIZER, NULL) == BN_OK)
            unlink(path);
    }
    if (p->made_dir)
        rmdir(p->o->out_dir); /* only when empty: nothing of anyone else's goes */
}

static void result(const prep *p, bn_prepare_result *r)
{
    r->bytes = p->prog.bytes;
    r->disk_bytes = p->prog.disk_bytes;
    r->tokens = p->train.c.tokens + p->val.c.tokens;
    r->documents = p->train.c.documents + p->val.c.documents;
    r->shards = p->train.c.n_shards + p->val.c.n_shards;
    r->seconds = now_s() - p->t0;
    r->train = p->train.c;
    r->val = p->val.c;
}

bn_status bn_prepare_run(const bn_prepare_opts *o, bn_prepare_result *r, bn_error *err)
{
    prep p;
    memset(&p, 0, sizeof p);
    p.o = o;
    p.t0 = now_s();
    bn_status st = setup(&p, err);
    if (st == BN_OK)
        st = read_all(&p, err);
    if (st == BN_OK)
        st = write_manifest(&p, err);
    if (st != BN_OK) {
        undo(&p);
    } else {
        report(&p, NULL, 1, NULL);
        if (r)
            result(&p, r);
    }
    bn_prep_encoder_free(&p.enc);
    bn_prep_batch_free(&p.batch);
    bn_threadpool_destroy(p.pool);
    bn_prep_split_free(&p.train);
    bn_prep_split_free(&p.val);
    free(p.sources);
    bn_corpus_files_free(&p.train_in);
    bn_corpus_files_free(&p.val_in);
    return st;
}
