/* checkpoint.h - saving and loading training state.
 *
 * A checkpoint is a directory (runs/<id>/checkpoints/step_NNNNNN/) holding:
 *   model.safetensors      every parameter under its README name, F32, shapes as in
 *                          bn_tensor_info; __metadata__: "format" = "bitnet-tui",
 *                          "format_version" = "1", "step" (steps completed), "experiment",
 *                          "config" (the fully resolved INI text), "num_params"; a text
 *                          run's also "tokenizer_hash" (bn_tok_hash of tokenizer.json).
 *   tokenizer.json         text runs only: the run's tokenizer (README, "Checkpoints carry
 *                          their tokenizer").
 *   optimizer.safetensors  "exp_avg.<name>" and "exp_avg_sq.<name>" for every parameter;
 *                          __metadata__: "step" (AdamW's t), "beta1", "beta2", "eps".
 *   trainer_state.json     {"format_version": 2, "step":..., "tokens_seen":...,
 *                           "loss_ema":..., "ema_weight":..., "data": {"kind": ..., ...}}
 *                          - what resuming needs beyond the tensors; "data" belongs to the
 *                          run's data source (task/source.h). Format 1 (no format_version)
 *                          is read too: its "data" has no "kind" (README, "Data sources").
 * The directory is written as "<dir>.tmp" and renamed into place, so a crash mid-save leaves
 * the previous checkpoint untouched and never a half-written one under the real name. */
#ifndef BN_CHECKPOINT_H
#define BN_CHECKPOINT_H

#include <stdint.h>

#include <jansson.h>

#include "io/config.h"
#include "base/error.h"
#include "model/model.h"
#include "model/optim.h"
#include "io/safetensors.h"
#include "tok/tokenizer.h"

/* Everything besides the tensors that a resumed run needs. */
typedef struct {
    long step;          /* optimizer steps completed */
    long tokens_seen;
    double loss_ema;    /* smoothed loss accumulator and its weight (for debiasing) */
    double ema_weight;
    json_t *data;       /* the data source's position (owned; NULL before the first save) */
} bn_train_state;

/* Release state->data. */
void bn_train_state_clear(bn_train_state *state);

/* Write <dir> (via <dir>.tmp + rename; an existing <dir> is replaced only after the new one
 * is complete). config_ini is the resolved INI text stored in the metadata. */
bn_status bn_checkpoint_save(const char *dir, const bn_model *m, const bn_adamw *opt,
                             const bn_train_state *state, const char *config_ini,
                             const char *experiment, bn_error *err);

/* The same, carrying tok when it is a BPE tokenizer (text runs): its tokenizer.json is
 * written into the directory with the rest (so atomically with it) and its hash into
 * model.safetensors' metadata. tok NULL or a character vocabulary: bn_checkpoint_save. */
bn_status bn_checkpoint_save_tok(const char *dir, const bn_model *m, const bn_adamw *opt,
                                 const bn_train_state *state, const char *config_ini,
                                 const char *experiment, const bn_tokenizer *tok,
                                 bn_error *err);

/* Where a sharded optimizer's moments come from when its checkpoint is written (README,
 * "Training on many machines"): read(ctx, which, first, n, out, err) gives elements
 * [first, first + n) of exp_avg (which 0) or exp_avg_sq (which 1) in the parameter slab's
 * layout. It is called in file order, over consecutive ranges: all of exp_avg from element
 * 0, then all of exp_avg_sq, each call at most 1M elements. */
typedef struct {
    bn_status (*read)(void *ctx, int which, size_t first, size_t n, float *out, bn_error *err);
    void *ctx;
} bn_moment_source;

/* bn_checkpoint_save_tok whose optimizer.safetensors (the same file, all moments) is
 * written from src, through a bounded buffer, when src is not NULL (opt then gives only
 * AdamW's step and hyperparameters; its own slice need not be whole). */
bn_status bn_checkpoint_save_from(const char *dir, const bn_model *m, const bn_adamw *opt,
                                  const bn_moment_source *src, const bn_train_state *state,
                                  const char *config_ini, const char *experiment,
                                  const bn_tokenizer *tok, bn_error *err);

/* The tokenizer a checkpoint carries. path as given to bn_checkpoint_open, file what it
 * opened. When the metadata holds "tokenizer_hash", <dir>/tokenizer.json is loaded and its
 * hash must match (a missing file or another hash is BN_ERR_INPUT naming the file); without
 * that key (arithmetic, tic-tac-toe) *out is NULL and the task's own tokenizer applies. */
bn_status bn_checkpoint_tokenizer(const char *path, const bn_st_file *file,
                                  bn_tokenizer **out, bn_error *err);

/* Resolve a user-given path (a step directory, or a model.safetensors file) and load the
 * model file. Refuses a file that is not safetensors, is truncated, or lacks our "format"
 * metadata / "config" ("<path>: not a bitnet-tui checkpoint (no config in metadata)").
 * On success, cfg holds the checkpoint's configuration (parsed and validated) and file
 * the loaded model tensors (caller frees with bn_st_free). */
bn_status bn_checkpoint_open(const char *path, bn_config *cfg, bn_st_file *file,
                             long *step, bn_error *err);

/* Copy every parameter from an opened model file into m (initialized with a matching
 * config), checking each tensor's presence, dtype and exact shape ("<path>: tensor <name>
 * has shape [..], expected [..]"). Marks the weights changed. */
bn_status bn_checkpoint_load_params(bn_model *m, const bn_st_file *file, bn_error *err);

/* Load optimizer.safetensors and trainer_state.json from a checkpoint directory into opt
 * (already initialized for m's parameter count, or for its slice [opt->lo, opt->lo + opt->n)
 * of them: only that slice of the moments is read) and state, with the same checks.
 * state->data gets the "data" object (a new reference) for the data source to restore. */
bn_status bn_checkpoint_load_training(const char *dir, const bn_model *m, bn_adamw *opt,
                                      bn_train_state *state, bn_error *err);

/* A checkpoint's optimizer.safetensors opened to read slices of its moments (a sharded
 * resume, README "Training on many machines"): every tensor checked against m; free with
 * bn_st_free. bn_checkpoint_moments_read copies elements [first, first + n) of exp_avg
 * (which 0) or exp_avg_sq (which 1), in the slab's layout, into out, with pread (nothing of
 * the file stays resident). */
bn_status bn_checkpoint_moments_open(const char *dir, const bn_model *m, bn_st_file *file,
                                     bn_error *err);
bn_status bn_checkpoint_moments_read(const bn_st_file *file, const bn_model *m, int which,
                                     size_t first, size_t n, float *out, bn_error *err);

/* "<run_dir>/checkpoints/step_NNNNNN" of the highest step there, or BN_ERR_INPUT if none. */
bn_status bn_checkpoint_latest(const char *run_dir, char *out, size_t cap, bn_error *err);

/* A run's complete checkpoints: the directories "checkpoints/step_<digits>" (never a
 * "*.tmp" one), highest step first. */
typedef struct {
    long step;
    char name[32]; /* "step_000400" as on disk */
} bn_checkpoint_entry;

typedef struct {
    bn_checkpoint_entry *at;
    size_t n;
} bn_checkpoint_list;

/* List run_dir's checkpoints (none when it has no checkpoints directory). */
bn_status bn_checkpoint_list_run(const char *run_dir, bn_checkpoint_list *list, bn_error *err);
void bn_checkpoint_list_free(bn_checkpoint_list *list);

/* Remove the "checkpoints/<name>.tmp" directories a crashed save left; *removed counts
 * them. */
bn_status bn_checkpoint_remove_tmp(const char *run_dir, int *removed, bn_error *err);

/* After the checkpoint of saved_step is complete: delete run_dir's checkpoints but that one,
 * the keep - 1 highest steps below it and (keep_every > 0) those whose step is a multiple of
 * keep_every; checkpoints of a higher step (left by the continuation a resume from an
 * earlier checkpoint abandoned) go too. keep <= 0 keeps all; nothing is deleted unless
 * saved_step's directory is there. */
bn_status bn_checkpoint_prune(const char *run_dir, long saved_step, int keep, int keep_every,
                              bn_error *err);

/* What --resume names: a run directory (*step = -1), or one of its checkpoints,
 * "RUN/checkpoints/step_N" (*step = N, the run directory is its parent's parent; it must
 * exist). run_dir gets the run directory without trailing slashes. */
bn_status bn_checkpoint_resume_target(const char *arg, char *run_dir, size_t cap, long *step,
                                      bn_error *err);

#endif
