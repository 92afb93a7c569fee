/* prepare_impl.h - the parts of io/prepare.c: encoding a block of documents on the pool
 * (prepare_encode.c), gathering blocks into batches (prepare_batch.c) and a split's
 * shards (prepare_split.c). */
#ifndef BN_PREPARE_IMPL_H
#define BN_PREPARE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/path.h"
#include "base/threadpool.h"
#include "io/corpus.h"
#include "io/dataset.h"
#include "tok/tokenizer.h"

/* One thread's share of a block: the ids of its documents, back to back, each document
 * the end-of-text id and then its own. */
typedef struct {
    uint16_t *tok;
    size_t n, cap;
    int *ids;            /* bn_tok_encode's output before narrowing */
    size_t ids_cap;
    char *join;          /* documents joined for one call (prepare_encode.c) */
    size_t join_cap;
    bn_status st;
    bn_error err;
} bn_prep_lane;

typedef struct {
    const bn_tokenizer *tok;
    uint16_t eot;
    const char *sep;     /* the end-of-text token's text, joining documents */
    size_t sep_len;
    int batch;           /* documents may be joined (prepare_encode.c) */
    unsigned char first[256]; /* 1: an added token starts with this byte */
    const char **added;  /* the added tokens' texts (prepare_encode.c's is_clean) */
    size_t *added_len;
    int n_added;
    int n_lanes;         /* the pool's size */
    bn_prep_lane *lanes;
    size_t *cut;         /* lane r encodes documents cut[r] .. cut[r + 1] - 1 */
    size_t *ntok;        /* per document of the block: its ids, end-of-text included */
    size_t ntok_cap;
    const bn_corpus_block *b;
} bn_prep_encoder;

bn_status bn_prep_encoder_init(bn_prep_encoder *e, const bn_tokenizer *tok, int eot,
                               int n_lanes, bn_error *err);

/* Encode every document of b, lane r on thread r. */
bn_status bn_prep_encode_block(bn_prep_encoder *e, bn_threadpool *pool,
                               const bn_corpus_block *b, bn_error *err);

void bn_prep_encoder_free(bn_prep_encoder *e);

/* A split being written: the shard being filled and what is written. */
typedef struct {
    const char *dir, *name;  /* out_dir; "train" or "val" */
    size_t shard_tokens;
    uint16_t *buf;           /* the shard being filled: buf[0 .. n) */
    size_t n, cap;
    bn_dataset_split_counts c; /* n_shards written; tokens, documents, bytes so far */
} bn_prep_split;

/* Append one document's ids, writing every shard that fills up. */
bn_status bn_prep_split_add(bn_prep_split *s, const uint16_t *tok, size_t n, size_t bytes,
                            bn_error *err);

/* Write the last, partly filled shard (nothing when it is empty). */
bn_status bn_prep_split_finish(bn_prep_split *s, bn_error *err);

/* Remove the shards written (after a failure). */
void bn_prep_split_remove(const bn_prep_split *s);

void bn_prep_split_free(bn_prep_split *s);

/* Documents gathered from several corpus blocks (prepare_batch.c): a corpus block never
 * spans two files, so a directory of small files would give the pool one document at a
 * time; the batch collects them until it is worth splitting over the threads. */
typedef struct {
    char *text;
    size_t text_len, text_cap;
    size_t *off, *len;
    int *file;               /* per document: the corpus file it came from */
    size_t n, n_cap;
} bn_prep_batch;

/* Append a block's documents (copied: the block is valid only until the next read). */
bn_status bn_prep_batch_add(bn_prep_batch *d, const bn_corpus_block *b, bn_error *err);

/* The batch seen as one block (file: -1, see d->file), valid until the next add. */
void bn_prep_batch_block(const bn_prep_batch *d, bn_corpus_block *out);

void bn_prep_batch_clear(bn_prep_batch *d);
void bn_prep_batch_free(bn_prep_batch *d);

/* "<dir>/<name>_NNNNNN.bin" into path (cap bytes). */
bn_status bn_prep_shard_path(char *path, const char *dir, const char *name, int i,
                             bn_error *err);

#endif
