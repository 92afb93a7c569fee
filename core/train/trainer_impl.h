/* trainer_impl.h - what the trainer's files (trainer.c, step.c, sync.c) share; not an API. */
#ifndef BN_TRAINER_IMPL_H
#define BN_TRAINER_IMPL_H

#include "train/trainer.h"

#define BN_LOSS_EMA_DECAY 0.98

typedef struct {
    double loss, grad_norm, lr, wd, step_ms;
} bn_step_result;

/* trainer.c */
double bn_tr_now(void); /* monotonic seconds */
int bn_tr_stop_pending(bn_trainer *t);

/* step.c: one optimizer step over the job's micro-batches (README, "Gradient
 * accumulation"). BN_ERR_DIVERGED (parameters untouched) on a non-finite loss or gradient;
 * with size > 1 the reduced values decide, so every rank returns the same. */
bn_status bn_tr_step(bn_trainer *t, bn_step_result *r, bn_error *err);
/* Tokens of one optimizer step over the whole job: ranks x accum x batch x seq_len. */
long bn_tr_step_tokens(const bn_trainer *t);

/* sync.c: the collectives through t->dist; with size 1 each is the identity. */
bn_status bn_tr_sum_f32(const bn_dist *d, float *buf, size_t n, bn_error *err);
bn_status bn_tr_sum_f64(const bn_dist *d, double *buf, size_t n, bn_error *err);
bn_status bn_tr_broadcast(const bn_dist *d, void *buf, size_t bytes, bn_error *err);
/* Every rank's status of one phase of init, shared: BN_OK on every rank, or a failure on
 * every rank (the failing rank keeps its own message, the others name it). */
bn_status bn_tr_agree(const bn_dist *d, bn_status s, bn_error *err);
/* Rank 0's config and whether it resumes, to every rank (each keeps its own threads and
 * shipped-sample paths). */
bn_status bn_tr_share_config(bn_trainer *t, int *resuming, bn_error *err);
/* A resumed run's state, loaded by rank 0, to every rank: parameters, AdamW moments and
 * step, trainer state, the data position (restored into each rank's source). */
bn_status bn_tr_share_resume(bn_trainer *t, bn_error *err);
/* Rank 0's run directory name, for every rank's snapshot. */
bn_status bn_tr_share_run_dir(bn_trainer *t, bn_error *err);
/* A failure of this rank after a step (rank 0's writing), told to the others in place of
 * the next step's first collective so they stop instead of waiting. */
void bn_tr_share_failure(bn_trainer *t, bn_status s);

/* zero1.c: ZeRO-1 (README, "Training on many machines"). */
/* Whether this trainer shards its optimizer: shard_optimizer in a job of several ranks. */
int bn_tr_sharded(const bn_trainer *t);
/* The slices (t->bounds) and rank 0's stream buffers; nothing unless sharded. */
bn_status bn_tr_shard_init(bn_trainer *t, bn_error *err);
/* This rank's slice [lo, hi) of the parameters (all of them unless sharded). */
void bn_tr_shard_slice(const bn_trainer *t, size_t *lo, size_t *hi);
/* After the step's AdamW on each slice: every rank's slice of the parameters to all. */
bn_status bn_tr_gather_params(bn_trainer *t, bn_error *err);
/* Resuming: rank 0's checkpoint (snap.last_checkpoint) moments, each rank's slice to it;
 * rank 0's own slice is already loaded. Collective; fails on every rank together. */
bn_status bn_tr_share_moments(bn_trainer *t, bn_error *err);
/* Rank 0's checkpoint writer, given where the optimizer's moments come from. */
typedef bn_status (*bn_tr_writer)(bn_trainer *t, const bn_moment_source *src, bn_error *err);
/* A sharded save, collective: the other ranks stream their slices to rank 0, which writes
 * the checkpoint with write (unless prior, its own earlier failure, is returned instead) and
 * takes every chunk whatever happens, so that no rank waits. Sets saved_step. */
bn_status bn_tr_save_sharded(bn_trainer *t, bn_tr_writer write, bn_status prior, bn_error *err);

/* The per-step reduction: loss sum, stop requests, a failure's status and rank + 1. */
enum { BN_SHARED_LOSS, BN_SHARED_STOP, BN_SHARED_FAIL, BN_SHARED_FAIL_RANK, BN_SHARED_N };
/* The error a rank returns when another rank's failure reached it through the shared
 * values (v[BN_SHARED_FAIL] > 0). */
bn_status bn_tr_remote_failure(const double *shared, bn_error *err);

#endif
