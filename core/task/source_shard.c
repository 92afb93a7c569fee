/* source_shard.c - the text task's training stream: rows of seq_len consecutive tokens of
 * the train shards, served in a seeded shuffled order, a fresh order each epoch (README,
 * "Training on shards").
 *
 * Rows: shard i holds floor(tokens_i / seq_len) non-overlapping rows (its tail is dropped,
 * so no row crosses a shard's end); rows are numbered over all shards in order. Epoch e
 * serves row perm_e(0), perm_e(1), ..., perm_e(rows - 1), where perm_e is a keyed bijection
 * of [0, rows) computed on demand, so memory does not grow with the corpus.
 *
 * State object: {"kind": "text", "epoch": e, "position": p, "rows": N, "seq_len": L,
 * "tokens": T, "tokenizer_hash": "...", "seed": "<16 hex digits>"}; a resume refuses a
 * dataset with another row count or tokenizer. */
#include "task/sources.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/dataset.h"

#define FEISTEL_ROUNDS 4

typedef struct {
    bn_data_source base;
    bn_dataset ds;
    int seq_len;
    long long *first_row; /* per shard: its first row's number; [n_shards] = rows */
    long long rows;
    uint64_t seed;
    long long epoch, position;
    char tokenizer_hash[BN_TOK_HASH_CAP];
} shard_source;

/* ---------------------------------------------------------------- the permutation */

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A Feistel network over [0, 4^half) (each round swaps the halves and xors a keyed hash
 * of one into the other, which is invertible whatever the hash), walked until it lands in
 * [0, rows): following a permutation's cycle from a value below rows must come back below
 * rows, so this restricts the bijection to [0, rows). 4^half < 4 * rows, so a walk takes
 * fewer than 4 steps on average. */
static long long permute(uint64_t seed, long long epoch, long long rows, long long x)
{
    int half = 1;
    while ((1ULL << (2 * half)) < (unsigned long long)rows)
        half++;
    uint64_t mask = (1ULL << half) - 1, key = mix64(seed ^ mix64((uint64_t)epoch));
    uint64_t v = (uint64_t)x;
    do {
        uint64_t left = v >> half, right = v & mask;
        for (int r = 0; r < FEISTEL_ROUNDS; r++) {
            uint64_t next = left ^ (mix64(key + (uint64_t)r * 0x632be59bd9b4e019ULL + right) &
                                    mask);
            left = right;
            right = next;
        }
        v = left << half | right;
    } while (v >= (uint64_t)rows);
    return (long long)v;
}

/* ---------------------------------------------------------------- batches */

/* Row n's tokens into out (seq_len ints). */
static void copy_row(const shard_source *s, long long n, int *out)
{
    int lo = 0, hi = s->ds.train.n_shards - 1;
    while (lo < hi) { /* the last shard whose first row is <= n */
        int mid = (lo + hi + 1) / 2;
        if (s->first_row[mid] <= n)
            lo = mid;
        else
            hi = mid - 1;
    }
    const uint16_t *tok = s->ds.train.shards[lo].tokens +
                          (size_t)(n - s->first_row[lo]) * (size_t)s->seq_len;
    for (int i = 0; i < s->seq_len; i++)
        out[i] = tok[i];
}

static void shard_next(bn_data_source *base, int *tokens, int rows, int seq_len)
{
    shard_source *s = (shard_source *)base;
    (void)seq_len; /* the source's own (bn_shard_source_open), the trainer's too */
    for (int r = 0; r < rows; r++) {
        if (s->position == s->rows) {
            s->epoch++;
            s->position = 0;
        }
        long long n = permute(s->seed, s->epoch, s->rows, s->position++);
        copy_row(s, n, tokens + (size_t)r * (size_t)s->seq_len);
    }
}

/* ---------------------------------------------------------------- state */

static json_t *shard_save(const bn_data_source *base)
{
    const shard_source *s = (const shard_source *)base;
    char seed[17];
    snprintf(seed, sizeof seed, "%016" PRIx64, s->seed);
    return json_pack("{s:s, s:I, s:I, s:I, s:i, s:I, s:s, s:s}", "kind", "text", "epoch",
                     (json_int_t)s->epoch, "position", (json_int_t)s->position, "rows",
                     (json_int_t)s->rows, "seq_len", s->seq_len, "tokens",
                     (json_int_t)s->ds.train.tokens, "tokenizer_hash", s->tokenizer_hash,
                     "seed", seed);
}

/* An integer member in [0, max]; -1 when missing or outside. */
static int get_count(const json_t *data, const char *key, long long max, long long *out)
{
    const json_t *v = json_object_get(data, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

static bn_status read_seed(const json_t *data, const char *what, uint64_t *out, bn_error *err)
{
    const char *hex = json_string_value(json_object_get(data, "seed"));
    char *end = NULL;
    if (!hex || strlen(hex) != 16)
        return bn_fail(err, BN_ERR_INPUT, "%s.seed: must be 16 hex digits", what);
    *out = (uint64_t)strtoull(hex, &end, 16);
    if (*end != '\0')
        return bn_fail(err, BN_ERR_INPUT, "%s.seed: must be 16 hex digits", what);
    return BN_OK;
}

/* The saved stream must be of this dataset: same rows (tokens and seq_len), same tokenizer. */
static bn_status check_same_data(const shard_source *s, const json_t *data, const char *what,
                                 bn_error *err)
{
    long long rows;
    const char *hash = json_string_value(json_object_get(data, "tokenizer_hash"));
    if (get_count(data, "rows", INT64_MAX, &rows) < 0)
        return bn_fail(err, BN_ERR_INPUT, "%s.rows: missing or not a row count", what);
    if (rows != s->rows)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s.rows is %lld, but this dataset has %lld rows of %d tokens: a "
                       "different dataset or seq_len than the run was started with",
                       what, rows, s->rows, s->seq_len);
    long long tokens;
    if (get_count(data, "tokens", INT64_MAX, &tokens) == 0 && tokens != s->ds.train.tokens)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s.tokens is %lld, but this dataset's train split has %lld tokens: a "
                       "different dataset than the run was started with",
                       what, tokens, s->ds.train.tokens);
    if (!hash)
        return bn_fail(err, BN_ERR_INPUT, "%s.tokenizer_hash: missing or not a string", what);
    if (strcmp(hash, s->tokenizer_hash) != 0)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s.tokenizer_hash is \"%s\", but this run's tokenizer is \"%s\"", what,
                       hash, s->tokenizer_hash);
    return BN_OK;
}

static bn_status shard_load(bn_data_source *base, const json_t *data, const char *what,
                            bn_error *err)
{
    shard_source *s = (shard_source *)base;
    int legacy;
    long long epoch = 0, position = 0;
    uint64_t seed = 0;
    bn_status st = bn_source_check_kind(data, "text", what, &legacy, err);
    if (st == BN_OK && legacy)
        st = bn_fail(err, BN_ERR_INPUT, "%s.kind: missing (a text run's state has one)", what);
    if (st == BN_OK)
        st = check_same_data(s, data, what, err);
    if (st == BN_OK && get_count(data, "epoch", INT64_MAX, &epoch) < 0)
        st = bn_fail(err, BN_ERR_INPUT, "%s.epoch: missing or not a whole number >= 0", what);
    if (st == BN_OK && get_count(data, "position", s->rows, &position) < 0)
        st = bn_fail(err, BN_ERR_INPUT, "%s.position: missing or not in 0..%lld", what,
                     s->rows);
    if (st == BN_OK)
        st = read_seed(data, what, &seed, err);
    if (st == BN_OK) {
        s->epoch = epoch;
        s->position = position;
        s->seed = seed;
    }
    return st;
}

static void shard_close(bn_data_source *base)
{
    shard_source *s = (shard_source *)base;
    bn_dataset_close(&s->ds);
    free(s->first_row);
    free(s);
}

static const bn_data_source_ops shard_ops = {shard_next, shard_save, shard_load, shard_close};

/* ---------------------------------------------------------------- opening */

/* Number the rows: first_row per shard, and the total. */
static bn_status count_rows(shard_source *s, const char *path, bn_error *err)
{
    int n = s->ds.train.n_shards;
    s->first_row = malloc((size_t)(n + 1) * sizeof *s->first_row);
    if (!s->first_row)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    long long rows = 0;
    for (int i = 0; i < n; i++) {
        s->first_row[i] = rows;
        rows += (long long)(s->ds.train.shards[i].n_tokens / (size_t)s->seq_len);
    }
    s->first_row[n] = rows;
    s->rows = rows;
    if (rows == 0)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: no shard of the train split holds one row of seq_len = %d tokens "
                       "(%lld tokens in all)", path, s->seq_len, s->ds.train.tokens);
    return BN_OK;
}

bn_status bn_shard_source_open(const char *path, int vocab_size, int seq_len, uint64_t seed,
                               const char *tokenizer_hash, bn_data_source **out,
                               bn_error *err)
{
    *out = NULL;
    if (seq_len < 1)
        return bn_fail(err, BN_ERR_INPUT, "%s: seq_len %d must be at least 1", path, seq_len);
    shard_source *s = calloc(1, sizeof *s);
    if (!s)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for the data source");
    s->base.ops = &shard_ops;
    s->seq_len = seq_len;
    s->seed = seed;
    snprintf(s->tokenizer_hash, sizeof s->tokenizer_hash, "%s",
             tokenizer_hash ? tokenizer_hash : "");
    bn_status st = bn_dataset_open(&s->ds, path, vocab_size, err);
    if (st == BN_OK)
        st = count_rows(s, path, err);
    if (st != BN_OK) {
        shard_close(&s->base);
        return st;
    }
    *out = &s->base;
    return BN_OK;
}

long long bn_shard_source_rows(const bn_data_source *src)
{
    return ((const shard_source *)src)->rows;
}

long long bn_shard_source_epoch(const bn_data_source *src)
{
    return ((const shard_source *)src)->epoch;
}
