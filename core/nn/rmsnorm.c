/* rmsnorm.c - RMSNorm forward and backward. */
#include "nn/rmsnorm.h"
#include "base/simd.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    float *y, *rstd, *dx, *dg_partial;
    const float *x, *g, *dy;
    const float *rstd_in;
    int N, C;
    int accumulate; /* backward: dx += (1) or dx = (0) */
    float eps;
} norm_job;

BN_VECTORIZE static void forward_rows(void *ctx, int begin, int end, int thread)
{
    const norm_job *j = ctx;
    (void)thread;
    int C = j->C;
    for (int n = begin; n < end; n++) {
        const float *restrict xr = j->x + (size_t)n * C;
        const float *restrict g = j->g;
        float *restrict yr = j->y + (size_t)n * C;
        float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
        for (int c = 0; c < C; c++)
            ss += xr[c] * xr[c];
        float r = 1.0f / sqrtf(ss / (float)C + j->eps);
        j->rstd[n] = r;
        for (int c = 0; c < C; c++)
            yr[c] = xr[c] * r * g[c];
    }
}

void bn_rmsnorm_forward(bn_threadpool *pool, float *y, float *rstd, const float *x,
                        const float *g, int N, int C, float eps)
{
    norm_job j = {.y = y, .rstd = rstd, .x = x, .g = g, .N = N, .C = C, .eps = eps};
    bn_parallel_for(pool, N, forward_rows, &j);
}

/* With r = rstd and y = x r g:  dx = r g dy - x r^3 / C * sum_j(g_j dy_j x_j),
 * dg = sum_n dy x r (one partial per block of rows). */
BN_VECTORIZE static void backward_blocks(void *ctx, int begin, int end, int thread)
{
    const norm_job *j = ctx;
    (void)thread;
    int C = j->C;
    for (int blk = begin; blk < end; blk++) {
        float *dgp = j->dg_partial + (size_t)blk * C;
        memset(dgp, 0, sizeof(float) * (size_t)C);
        int last = (blk + 1) * BN_ROW_BLOCK < j->N ? (blk + 1) * BN_ROW_BLOCK : j->N;
        const float *restrict g = j->g;
        float *restrict dg = dgp;
        for (int n = blk * BN_ROW_BLOCK; n < last; n++) {
            const float *restrict xr = j->x + (size_t)n * C;
            const float *restrict dyr = j->dy + (size_t)n * C;
            float *restrict dxr = j->dx + (size_t)n * C;
            float r = j->rstd_in[n];
            float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
            for (int c = 0; c < C; c++)
                dot += g[c] * dyr[c] * xr[c];
            float k = dot * r * r * r / (float)C;
            if (j->accumulate)
#pragma omp simd
                for (int c = 0; c < C; c++)
                    dxr[c] += r * g[c] * dyr[c] - xr[c] * k;
            else
#pragma omp simd
                for (int c = 0; c < C; c++)
                    dxr[c] = r * g[c] * dyr[c] - xr[c] * k;
#pragma omp simd
            for (int c = 0; c < C; c++)
                dg[c] += dyr[c] * xr[c] * r;
        }
    }
}

void bn_rmsnorm_backward(bn_threadpool *pool, float *dx, float *dg, float *dg_partial,
                         const float *dy, const float *x, const float *g, const float *rstd,
                         int N, int C, int accumulate)
{
    norm_job j = {.dx = dx, .dg_partial = dg_partial, .dy = dy, .x = x, .g = g,
                  .rstd_in = rstd, .N = N, .C = C, .accumulate = accumulate};
    int blocks = BN_ROW_BLOCKS(N);
    bn_parallel_for(pool, blocks, backward_blocks, &j);
    for (int blk = 0; blk < blocks; blk++) {
        const float *dgp = dg_partial + (size_t)blk * C;
        for (int c = 0; c < C; c++)
            dg[c] += dgp[c];
    }
}
