/* dataset.h - a prepared corpus: a directory of token shards (README, "Token shards").
 *
 * `bitnet-tui prepare` writes into DIR:
 *   train_000000.bin, train_000001.bin, ...   llm.c token shards (io/shard.h)
 *   val_000000.bin, ...                         the held-out split, same format
 *   tokenizer.json                              a copy of the tokenizer the ids belong to
 *   dataset.json                                what is there and where it came from:
 * {
 *   "format": "bitnet-tui dataset", "version": 1,
 *   "tokenizer": {"hash": "fnv1a64:...", "vocab_size": 2048, "eot": 0},
 *   "train": {"shards": ["train_000000.bin", ...], "tokens": N, "documents": D, "bytes": B},
 *   "val":   {"shards": ["val_000000.bin", ...], "tokens": N, "documents": D, "bytes": B},
 *   "sources": [{"path": "...", "bytes": B, "documents": D}, ...],
 *   "val_fraction": F            (null when the held-out text was given with --val)
 * }
 * Every document is preceded by the end-of-text id (llm.c's convention), so a shard starts
 * with it; "bytes" counts the documents' text bytes. dataset.json is written last, through
 * a temporary name: a directory without it is not a finished dataset of ours.
 *
 * Reading also takes llm.c's own directories (no dataset.json): the files whose names
 * contain "train" / "val" and end in ".bin", each in name order; there is no tokenizer hash
 * then, and the tokenizer comes from the config ([data] tokenizer). */
#ifndef BN_DATASET_H
#define BN_DATASET_H

#include "base/error.h"
#include "io/shard.h"
#include "tok/bpe.h"

#define BN_DATASET_MANIFEST "dataset.json"
#define BN_DATASET_TOKENIZER "tokenizer.json"
#define BN_DATASET_FORMAT "bitnet-tui dataset"
#define BN_DATASET_VERSION 1
/* A shard's file name: split ("train" or "val") and its index. */
#define BN_DATASET_SHARD_NAME "%s_%06d.bin"

/* ---- reading (io/dataset.c) */

typedef struct {
    bn_shard *shards; /* mapped and validated (every id < vocab) */
    int n_shards;
    long long tokens; /* sum over the shards */
} bn_dataset_split;

typedef struct {
    int has_manifest;                      /* dataset.json was there (ours) */
    char tokenizer_hash[BN_TOK_HASH_CAP];  /* "" without a manifest */
    int vocab_size;                        /* the manifest's; 0 without one */
    bn_dataset_split train, val;           /* val may be empty (no val shards) */
} bn_dataset;

/* Open DIR (ours or llm.c's) or a single shard FILE (all of it is the train split). Shards
 * are mapped and validated up front against vocab_size (the tokenizer's); a manifest whose
 * vocab_size or shard list disagrees with the files is refused. Every failure is one line
 * naming the file (BN_ERR_INPUT); on failure `d` holds nothing to close. */
bn_status bn_dataset_open(bn_dataset *d, const char *path, int vocab_size, bn_error *err);
void bn_dataset_close(bn_dataset *d);

/* 1 if path is a file that starts with the shard magic (a text corpus is not). */
int bn_dataset_is_shard_file(const char *path);

/* DIR/dataset.json's tokenizer.hash without opening the shards ("" when path is not a
 * directory with a manifest); BN_ERR_INPUT for a manifest that does not parse. */
bn_status bn_dataset_manifest_hash(const char *dir, char out[BN_TOK_HASH_CAP], bn_error *err);

/* ---- writing the manifest (io/dataset_write.c) */

typedef struct {
    const char *path;   /* as given on the command line, directories expanded */
    long long bytes;    /* of the file as read (uncompressed) */
    long long documents;
} bn_dataset_source;

typedef struct {
    int n_shards;       /* named BN_DATASET_SHARD_NAME with indices 0..n_shards-1 */
    long long tokens, documents, bytes;
} bn_dataset_split_counts;

typedef struct {
    const char *tokenizer_hash; /* bn_tok_hash of the tokenizer used */
    int vocab_size, eot;
    bn_dataset_split_counts train, val;
    const bn_dataset_source *sources;
    int n_sources;
    double val_fraction;        /* < 0: the held-out text came from --val files */
} bn_dataset_manifest;

/* Write DIR/dataset.json atomically (temporary name, then rename). */
bn_status bn_dataset_manifest_write(const char *dir, const bn_dataset_manifest *m,
                                    bn_error *err);

#endif
