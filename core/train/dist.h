/* dist.h - what the trainer needs from data-parallel training (README, "Training on many
 * machines"): its rank among the processes of the job and three collective operations.
 * The trainer only sees this table; the MPI implementation lives in the app (core/ links no
 * MPI). A NULL bn_dist, or size 1, is one process: every operation is then the identity. */
#ifndef BN_DIST_H
#define BN_DIST_H

#include <stddef.h>

#include "base/error.h"

typedef struct {
    /* Sum buf over all ranks, in place, every rank getting the same bits. */
    bn_status (*allreduce_f32)(void *ctx, float *buf, size_t n, bn_error *err);
    bn_status (*allreduce_f64)(void *ctx, double *buf, size_t n, bn_error *err);
    /* Rank 0's bytes to every rank. */
    bn_status (*broadcast)(void *ctx, void *buf, size_t bytes, bn_error *err);
} bn_dist_ops;

typedef struct {
    int rank;                /* 0 .. size-1; rank 0 alone writes the run directory */
    int size;                /* processes in the job */
    const bn_dist_ops *ops;  /* NULL when size == 1 */
    void *ctx;               /* the implementation's (an MPI communicator) */
} bn_dist;

#endif
