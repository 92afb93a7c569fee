/* eval_text.h - a text model's held-out figures: mean next-token loss (nats) and bits per
 * byte over consecutive, non-overlapping rows of seq_len tokens (README, "Bits per byte"). */
#ifndef BN_EVAL_TEXT_H
#define BN_EVAL_TEXT_H

#include <jansson.h>

#include "base/error.h"
#include "model/model.h"
#include "tok/tokenizer.h"

/* Sums over the rows evaluated. bytes: the text bytes of the predicted (target) tokens,
 * their pieces' lengths, special tokens (the document separator, <pad>) counting 0. */
typedef struct {
    double nats, bytes;
    long long rows, predictions;
} bn_text_loss;

/* Evaluate path: a dataset directory (its val split, or its train split when it has no val
 * shards), a shard file (all of it), or a text corpus file (.txt, .jsonl, gzip or zstd:
 * its documents tokenized as prepare shards them; with a character vocabulary the whole
 * file as one text). A dataset with a
 * manifest must be of tok (same bn_tok_hash). *out gets {"data", "split" ("val", "train" or
 * "all"), "seq_len", "rows", "predictions", "loss", "bpb", "bytes"}. Clobbers the model's
 * activations; rows go through the model max_batch at a time. */
bn_status bn_eval_text_data(bn_model *m, const bn_tokenizer *tok, const char *path,
                            int seq_len, json_t **out, bn_error *err);

/* A training run's held-out figures (README, "Evaluation reports"): at most max_rows rows
 * (0: all) of the val split of the dataset at path. With R whole rows in the split
 * (seq_len consecutive tokens within a shard, numbered over its shards in order) and
 * n = max_rows < R, the rows floor(i R / n) for i = 0 .. n-1: spread evenly over the split
 * and the same at every evaluation; with n >= R every row, exactly as bn_eval_text_data
 * reads them, so the sums are the same. *sum is all zero (rows 0) when the dataset has no
 * val split or it holds no whole row; *split_rows gets R. */
bn_status bn_eval_text_val(bn_model *m, const bn_tokenizer *tok, const char *path,
                           int seq_len, long long max_rows, bn_text_loss *sum,
                           long long *split_rows, bn_error *err);

#endif
