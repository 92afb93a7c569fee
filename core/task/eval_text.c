/* eval_text.c - loss and bits per byte of a text model over a dataset, a shard or a text
 * file (see eval_text.h). */
#include "task/eval_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fileio.h"
#include "io/corpus.h"
#include "io/dataset.h"
#include "io/jsonio.h"
#include "tok/bpe.h"

typedef struct {
    bn_model *m;
    int seq_len;
    int *bytes;   /* per id of the model's vocabulary: its text bytes */
    int *batch;   /* max_batch x seq_len ids */
    int filled;   /* rows waiting in batch */
    long long max_rows; /* of a dataset split: at most this many rows (0: all) */
    long long split_rows; /* the whole split's rows, for the record */
    bn_text_loss sum;
} evaluator;

/* Each id's piece length; special tokens (added specials of a BPE, the character
 * vocabularies' pad/bos/eos/unk) and ids beyond the tokenizer's count 0: not text. */
static int *piece_bytes(const bn_tokenizer *tok, int model_vocab)
{
    int *bytes = calloc((size_t)model_vocab, sizeof *bytes);
    int n = bn_tok_vocab_size(tok);
    for (int id = 0; bytes && id < n && id < model_vocab; id++) {
        const char *piece;
        bytes[id] = (int)bn_tok_piece(tok, id, &piece);
    }
    for (int i = 0; bytes && i < bn_tok_bpe_n_added(tok); i++) {
        int special, id = bn_tok_bpe_added(tok, i, &special);
        if (special && id >= 0 && id < model_vocab)
            bytes[id] = 0;
    }
    for (int k = BN_TOK_PAD; bytes && k <= BN_TOK_UNK; k++) {
        int id = bn_tok_special(tok, (bn_tok_special_kind)k);
        if (id >= 0 && id < model_vocab)
            bytes[id] = 0;
    }
    return bytes;
}

/* Forward `rows` rows held in ev->batch and add their losses and target bytes. The losses
 * are added position by position (the model's row_loss: 0 where a row has no target), so
 * the sum is the same however the rows are cut into batches. */
static void eval_batch(evaluator *ev, int rows)
{
    int L = ev->seq_len;
    bn_model_forward(ev->m, ev->batch, rows, L);
    for (size_t n = 0; n < (size_t)rows * (size_t)L; n++)
        ev->sum.nats += ev->m->row_loss[n];
    for (int r = 0; r < rows; r++)
        for (int i = 1; i < L; i++)
            ev->sum.bytes += ev->bytes[ev->batch[(size_t)r * L + i]];
    ev->sum.rows += rows;
    ev->sum.predictions += (long long)rows * (L - 1);
}

/* Queue one row (seq_len ids from src) and evaluate the batch when it is full. */
static void add_row(evaluator *ev, const uint16_t *src)
{
    int *dst = ev->batch + (size_t)ev->filled * (size_t)ev->seq_len;
    for (int i = 0; i < ev->seq_len; i++)
        dst[i] = src[i];
    if (++ev->filled == ev->m->max_batch) {
        eval_batch(ev, ev->filled);
        ev->filled = 0;
    }
}

/* The split's rows (seq_len consecutive tokens, whole rows of each shard, numbered over the
 * shards in order): all R of them, or with max_rows = n < R the rows floor(i R / n),
 * i = 0 .. n-1, spread evenly over the split and the same at every call. */
static void eval_split(evaluator *ev, const bn_dataset_split *s)
{
    long long L = ev->seq_len, R = 0;
    for (int i = 0; i < s->n_shards; i++)
        R += (long long)s->shards[i].n_tokens / L;
    long long n = ev->max_rows > 0 && ev->max_rows < R ? ev->max_rows : R;
    int shard = 0;
    long long base = 0; /* rows before `shard` */
    for (long long i = 0; i < n; i++) {
        long long k = i * R / n; /* i when n == R */
        while (k >= base + (long long)s->shards[shard].n_tokens / L)
            base += (long long)s->shards[shard++].n_tokens / L;
        add_row(ev, s->shards[shard].tokens + (size_t)((k - base) * L));
    }
    if (ev->filled)
        eval_batch(ev, ev->filled);
    ev->filled = 0;
    ev->split_rows = R;
}

/* Every whole row of an id array. */
static void eval_ids(evaluator *ev, const int *ids, size_t n_ids)
{
    size_t L = (size_t)ev->seq_len, rows = n_ids / L;
    for (size_t first = 0; first < rows; first += (size_t)ev->m->max_batch) {
        size_t n = rows - first < (size_t)ev->m->max_batch ? rows - first
                                                           : (size_t)ev->m->max_batch;
        memcpy(ev->batch, ids + first * L, n * L * sizeof *ids);
        eval_batch(ev, (int)n);
    }
}

/* A dataset whose manifest names a tokenizer must be of this one. */
static bn_status check_dataset_tokenizer(const bn_dataset *d, const bn_tokenizer *tok,
                                         const char *path, bn_error *err)
{
    char hash[BN_TOK_HASH_CAP];
    if (!d->has_manifest)
        return BN_OK;
    bn_status st = bn_tok_hash(tok, hash, err);
    if (st == BN_OK && strcmp(hash, d->tokenizer_hash) != 0)
        st = bn_fail(err, BN_ERR_INPUT,
                     "%s: the dataset was tokenized with %s, the checkpoint's tokenizer is %s",
                     path, d->tokenizer_hash, hash);
    return st;
}

static bn_status eval_dataset(evaluator *ev, const bn_tokenizer *tok, const char *path,
                              const char **split, bn_error *err)
{
    bn_dataset d;
    bn_status st = bn_dataset_open(&d, path, bn_tok_vocab_size(tok), err);
    if (st != BN_OK)
        return st;
    st = check_dataset_tokenizer(&d, tok, path, err);
    struct stat sb;
    int is_dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    const bn_dataset_split *s = d.val.tokens > 0 ? &d.val : &d.train;
    *split = !is_dir ? "all" : s == &d.val ? "val" : "train";
    if (st == BN_OK)
        eval_split(ev, s);
    bn_dataset_close(&d);
    return st;
}

/* ids (grown as needed) += the document's ids, after the end-of-text id as prepare
 * writes them (README, "Preparing a corpus"). */
typedef struct {
    int *ids;
    size_t n, cap;
} id_buffer;

static bn_status append_document(id_buffer *b, const bn_tokenizer *tok, const char *doc,
                                 size_t len, const char *path, bn_error *err)
{
    /* the separator, then at most one id per byte and a BPE prefix space */
    size_t need = b->n + 2 + len, count;
    if (need > b->cap) {
        size_t cap = need > 2 * b->cap ? need : 2 * b->cap;
        int *grown = realloc(b->ids, cap * sizeof *grown);
        if (!grown)
            return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory tokenizing it", path);
        b->ids = grown;
        b->cap = cap;
    }
    b->ids[b->n] = bn_tok_special(tok, BN_TOK_EOS);
    bn_status st = bn_tok_encode(tok, doc, len, b->ids + b->n + 1, b->cap - b->n - 1, &count,
                                 err);
    if (st != BN_OK)
        return st;
    if (count > b->cap - b->n - 1) /* the bound above broken: never keep a cut document */
        return bn_fail(err, BN_ERR_INPUT, "%s: a document of %zu bytes needs %zu ids", path,
                       len, count);
    b->n += 1 + count;
    return BN_OK;
}

/* A text corpus file (.txt, .jsonl, compressed or not) read as prepare reads it: its
 * documents, each after the end-of-text id, tokenized into memory. */
static bn_status corpus_ids(const bn_tokenizer *tok, const char *path, id_buffer *b,
                            bn_error *err)
{
    bn_corpus_files files = {0};
    bn_corpus *c = NULL;
    bn_corpus_opts opts = {BN_CORPUS_DOCUMENTS, NULL, 0};
    bn_corpus_block blk;
    bn_status st = bn_corpus_files_add(&files, path, err);
    if (st == BN_OK)
        st = bn_corpus_open(&c, &files, &opts, err);
    while (st == BN_OK && (st = bn_corpus_next(c, &blk, err)) == BN_OK && blk.n > 0)
        for (size_t i = 0; i < blk.n && st == BN_OK; i++)
            st = append_document(b, tok, blk.text + blk.off[i], blk.len[i], path, err);
    bn_corpus_close(c);
    bn_corpus_files_free(&files);
    return st;
}

/* A text file: with a BPE tokenizer its documents as prepare would shard them; with a
 * character vocabulary (no document separator) the whole file as one text. */
static bn_status eval_text_file(evaluator *ev, const bn_tokenizer *tok, const char *path,
                                bn_error *err)
{
    id_buffer b = {0};
    bn_status st = BN_OK;
    if (bn_tok_is_bpe(tok) && bn_tok_special(tok, BN_TOK_EOS) >= 0) {
        st = corpus_ids(tok, path, &b, err);
    } else {
        char *text = NULL;
        size_t len = 0;
        st = bn_read_file(path, &text, &len, err);
        if (st == BN_OK)
            st = bn_tok_encode_all(tok, text, len, &b.ids, &b.n, err);
        free(text);
    }
    if (st == BN_OK)
        eval_ids(ev, b.ids, b.n);
    free(b.ids);
    return st;
}

static json_t *result_json(const char *path, const char *split, int seq_len,
                           const bn_text_loss *s)
{
    double loss = s->nats / (double)s->predictions;
    double bpb = s->bytes > 0 ? s->nats / log(2.0) / s->bytes : NAN;
    return json_pack("{s:s, s:s, s:i, s:I, s:I, s:o, s:o, s:I}", "data", path, "split", split,
                     "seq_len", seq_len, "rows", (json_int_t)s->rows, "predictions",
                     (json_int_t)s->predictions, "loss", bn_json_number(loss), "bpb",
                     bn_json_number(bpb), "bytes", (json_int_t)s->bytes);
}

static bn_status run_eval(evaluator *ev, const bn_tokenizer *tok, const char *path,
                          json_t **out, bn_error *err)
{
    struct stat sb;
    const char *split = "all";
    int dataset = stat(path, &sb) == 0 && (S_ISDIR(sb.st_mode) || bn_dataset_is_shard_file(path));
    bn_status st = dataset ? eval_dataset(ev, tok, path, &split, err)
                           : eval_text_file(ev, tok, path, err);
    if (st == BN_OK && ev->sum.rows == 0)
        st = bn_fail(err, BN_ERR_INPUT, "%s: too short: no whole row of seq_len = %d tokens "
                     "to evaluate", path, ev->seq_len);
    if (st == BN_OK && !(*out = result_json(path, split, ev->seq_len, &ev->sum)))
        st = bn_fail(err, BN_ERR_NOMEM, "out of memory for the evaluation's record");
    return st;
}

/* The shape checks and the buffers of an evaluation. */
static bn_status evaluator_init(evaluator *ev, bn_model *m, const bn_tokenizer *tok,
                                const char *path, int seq_len, bn_error *err)
{
    memset(ev, 0, sizeof *ev);
    if (bn_tok_vocab_size(tok) > m->cfg.vocab_size)
        return bn_fail(err, BN_ERR_INPUT, "%s: the tokenizer has %d ids, the model only %d",
                       bn_tok_name(tok), bn_tok_vocab_size(tok), m->cfg.vocab_size);
    bn_status st = bn_model_check_shape(m, 1, seq_len, err);
    if (st != BN_OK)
        return st;
    ev->m = m;
    ev->seq_len = seq_len;
    ev->bytes = piece_bytes(tok, m->cfg.vocab_size);
    ev->batch = malloc((size_t)m->max_batch * (size_t)seq_len * sizeof *ev->batch);
    if (!ev->bytes || !ev->batch)
        st = bn_fail(err, BN_ERR_NOMEM, "%s: out of memory for the evaluation", path);
    return st;
}

static void evaluator_free(evaluator *ev)
{
    free(ev->bytes);
    free(ev->batch);
}

bn_status bn_eval_text_data(bn_model *m, const bn_tokenizer *tok, const char *path,
                            int seq_len, json_t **out, bn_error *err)
{
    evaluator ev;
    *out = NULL;
    bn_status st = evaluator_init(&ev, m, tok, path, seq_len, err);
    if (st == BN_OK)
        st = run_eval(&ev, tok, path, out, err);
    evaluator_free(&ev);
    return st;
}

bn_status bn_eval_text_val(bn_model *m, const bn_tokenizer *tok, const char *path,
                           int seq_len, long long max_rows, bn_text_loss *sum,
                           long long *split_rows, bn_error *err)
{
    evaluator ev;
    bn_dataset d;
    memset(sum, 0, sizeof *sum);
    *split_rows = 0;
    bn_status st = evaluator_init(&ev, m, tok, path, seq_len, err);
    if (st == BN_OK)
        st = bn_dataset_open(&d, path, bn_tok_vocab_size(tok), err);
    if (st == BN_OK) {
        st = check_dataset_tokenizer(&d, tok, path, err);
        ev.max_rows = max_rows;
        if (st == BN_OK && d.val.tokens > 0)
            eval_split(&ev, &d.val);
        bn_dataset_close(&d);
    }
    *sum = ev.sum;
    *split_rows = ev.split_rows;
    evaluator_free(&ev);
    return st;
}
