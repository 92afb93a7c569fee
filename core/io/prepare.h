/* prepare.h - a corpus tokenized into a prepared dataset (README, "Preparing a corpus"):
 * llm.c token shards, a copy of the tokenizer and dataset.json (io/dataset.h), in DIR.
 *
 * Every document (io/corpus.h) becomes the end-of-text id followed by its ids. Documents
 * are encoded block by block on a thread pool, each thread a contiguous run of the block's
 * documents, and written in input order, so the files are the same bytes for any thread
 * count. A split's shards hold exactly shard_tokens tokens each but its last: a document
 * may continue in the next shard, as llm.c's scripts cut them. The held-out (val) split is
 * either the documents picked by val_fraction (document k of the whole input, counted from
 * 0, is held out when floor((k + 1) F) > floor(k F): one in every 1/F, evenly spread) or
 * all the documents of val_inputs. Shards and tokenizer.json are written first, each
 * through a temporary name, dataset.json last; on any failure the files this run wrote
 * are removed again. */
#ifndef BN_PREPARE_H
#define BN_PREPARE_H

#include <stddef.h>

#include "base/error.h"
#include "io/dataset.h"
#include "tok/tokenizer.h"

#define BN_PREPARE_SHARD_TOKENS 100000000LL /* llm.c's shard size */
#define BN_PREPARE_VAL_FRACTION 0.01        /* the default held-out share */
#define BN_PREPARE_MAX_VOCAB 65536           /* ids are uint16 in a shard */

/* Where a run is, for a progress line. */
typedef struct {
    long long disk_bytes, disk_total; /* input bytes on disk: read so far, of all inputs */
    long long bytes;                  /* text bytes read (uncompressed) */
    long long tokens, documents;      /* written or buffered so far, both splits */
    double seconds;                   /* since the run started */
    int done;                         /* the last call: everything is written */
} bn_prepare_progress;

/* Returns 0 to go on; anything else stops the run (BN_ERR_INPUT "stopped", files removed). */
typedef int (*bn_prepare_progress_fn)(void *ctx, const bn_prepare_progress *p);

typedef struct {
    const bn_tokenizer *tok;        /* byte-level BPE with an end-of-text token */
    const char *out_dir;            /* created when missing */
    const char *const *inputs;      /* files and directories (io/corpus.h) */
    int n_inputs;
    const char *const *val_inputs;  /* the held-out split's (then val_fraction is unused) */
    int n_val_inputs;
    double val_fraction;            /* 0 <= F < 1; 0: no held-out split */
    const char *field;              /* .jsonl field; NULL: "text", else "story" */
    long long shard_tokens;         /* 1 .. INT32_MAX; 0: BN_PREPARE_SHARD_TOKENS */
    int threads;                    /* encoding threads, >= 1 */
    int force;                      /* replace a dataset already in out_dir */
    size_t block_bytes;             /* text read at a time; 0: the corpus default */
    bn_prepare_progress_fn progress; /* may be NULL; called after every block and at the
                                        end (then its answer is ignored) */
    void *progress_ctx;
} bn_prepare_opts;

typedef struct {
    long long bytes, disk_bytes;    /* text read; input bytes on disk */
    long long tokens, documents;    /* both splits */
    int shards;                     /* files written, both splits */
    double seconds;                 /* wall time of the whole run */
    bn_dataset_split_counts train, val;
} bn_prepare_result;

/* Tokenize the inputs into out_dir. Bad input (an option out of range, a tokenizer that is
 * not byte-level BPE, has no end-of-text token or more than BN_PREPARE_MAX_VOCAB ids, no
 * inputs, an unreadable or damaged input, no documents, out_dir holding a dataset or
 * shards without force) is BN_ERR_INPUT with one line, found before any shard is written
 * where it can be; the disk failing is BN_ERR_IO. r may be NULL. */
bn_status bn_prepare_run(const bn_prepare_opts *o, bn_prepare_result *r, bn_error *err);

#endif
