/* dist.h - what the trainer needs from data-parallel training (README, "Training on many
 * machines"): its rank among the processes of the job, its collective operations and one
 * point-to-point transfer.
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
    /* Every rank's part of buf to every rank, in place: rank r's part is elements
     * [bounds[r], bounds[r + 1]) (bounds has size + 1 entries, the same on every rank). */
    bn_status (*allgather_f32)(void *ctx, float *buf, const size_t *bounds, bn_error *err);
    /* bytes from rank `from`'s buf to rank `to`'s buf; a rank that is neither does
     * nothing. Transfers between the same two ranks arrive in the order they were made. */
    bn_status (*transfer)(void *ctx, int from, int to, void *buf, size_t bytes,
                          bn_error *err);
} bn_dist_ops;

typedef struct {
    int rank;                /* 0 .. size-1; rank 0 alone writes the run directory */
    int size;                /* processes in the job */
    const bn_dist_ops *ops;  /* NULL when size == 1 */
    void *ctx;               /* the implementation's (an MPI communicator) */
} bn_dist;

#endif
