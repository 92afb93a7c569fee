/* infer_load.h - a checkpoint loaded to run, not to train (README, "Inference").
 *
 * The one entry point for every consumer that only runs a model: the past-run worker of the
 * terminal UI (chat and board), `move`, `play` and `eval`. The model is built in
 * BN_MODEL_INFERENCE mode: no gradient slab, no optimizer moments, no backward buffers, and
 * one layer's activations shared by every layer, sized for the rows asked for. */
#ifndef BN_INFER_LOAD_H
#define BN_INFER_LOAD_H

#include "base/error.h"
#include "io/config.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "tok/tokenizer.h"

typedef struct bn_infer_opts bn_infer_opts;
struct bn_infer_opts {
    int max_batch;             /* rows per forward (>= 1) */
    int max_seq;               /* tokens per row; <= 0: the run's training.seq_len */
    const bn_kernels *kernels;
    int threads;               /* compute threads (>= 1) */
    /* Called with the checkpoint's configuration before the model is built, or NULL: applies
     * command-line overrides to cfg and may set the fields above from it (threads from
     * training.threads). A failure ends the load with its status. */
    bn_status (*prepare)(void *ctx, bn_config *cfg, bn_infer_opts *opts, bn_error *err);
    void *ctx;
    /* When non-NULL, gets the run's tokenizer (the caller frees it): a text checkpoint's
     * own tokenizer.json, its hash checked against the metadata (README, "Checkpoints carry
     * their tokenizer"), else the task's (bn_task_open_tokenizer). */
    bn_tokenizer **tokenizer;
};

/* Open the checkpoint at path (a step directory or its model.safetensors, as
 * bn_checkpoint_open takes it) and build m for forwards of up to opts->max_batch rows of
 * opts->max_seq tokens. cfg gets the run's configuration (after prepare) and step (may be
 * NULL) the steps it had completed. On failure m is left freed (bn_model_free is safe on it)
 * and err names the file and what is wrong. */
bn_status bn_inference_load(const char *path, const bn_infer_opts *opts, bn_model *m,
                            bn_config *cfg, long *step, bn_error *err);

#endif
