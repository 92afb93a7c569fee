/* rmsnorm.h - y = x * rsqrt(mean(x^2) + eps) * g, row by row, split over the pool's threads.
 *
 * Results do not depend on the number of threads: rows are independent, and the gain
 * gradient is reduced over fixed blocks of BN_ROW_BLOCK rows, summed in block order. */
#ifndef BN_RMSNORM_H
#define BN_RMSNORM_H

#include "base/threadpool.h"

#define BN_ROW_BLOCK 32
/* Rows of the dg_partial scratch that bn_rmsnorm_backward needs for N rows. */
#define BN_ROW_BLOCKS(N) (((N) + BN_ROW_BLOCK - 1) / BN_ROW_BLOCK)

/* x, y are (N, C); g is (C); rstd (N) receives rsqrt(mean(x^2) + eps) for the backward. */
void bn_rmsnorm_forward(bn_threadpool *pool, float *y, float *rstd, const float *x,
                        const float *g, int N, int C, float eps);

/* dx (N, C) += ... (accumulate = 1) or dx = ... (accumulate = 0); dg (C) += ... ;
 * dy (N, C) is the gradient of y. dg_partial is scratch of BN_ROW_BLOCKS(N) x C floats. */
void bn_rmsnorm_backward(bn_threadpool *pool, float *dx, float *dg, float *dg_partial,
                         const float *dy, const float *x, const float *g, const float *rstd,
                         int N, int C, int accumulate);

#endif
