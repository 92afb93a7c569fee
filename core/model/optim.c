/* optim.c - AdamW and gradient clipping, elementwise over blocks of parameters. */
#include "model/optim.h"
#include "base/hugemem.h"
#include "base/simd.h"

#include <math.h>
#include <stdlib.h>

/* Parameters are processed in blocks of this many; the norm's partial sums are per block. */
#define OPT_BLOCK 16384
#define N_BLOCKS(n) ((int)(((n) + OPT_BLOCK - 1) / OPT_BLOCK))

bn_status bn_adamw_init(bn_adamw *opt, size_t n, double beta1, double beta2, double eps,
                        bn_error *err)
{
    opt->n = n;
    opt->lo = 0;
    opt->t = 0;
    opt->beta1 = beta1;
    opt->beta2 = beta2;
    opt->eps = eps;
    size_t bytes = sizeof(float) * (n ? n : 1); /* a sharded rank's slice may be empty */
    opt->m = bn_huge_calloc(bytes);
    opt->v = bn_huge_calloc(bytes);
    if (!opt->m || !opt->v) {
        bn_adamw_free(opt);
        return bn_nomem(err, "the AdamW moments", 2 * sizeof(float) * n);
    }
    return BN_OK;
}

void bn_adamw_free(bn_adamw *opt)
{
    bn_huge_free(opt->m);
    bn_huge_free(opt->v);
    opt->m = opt->v = NULL;
}

static size_t block_end(size_t b, size_t n)
{
    size_t e = (b + 1) * OPT_BLOCK;
    return e < n ? e : n;
}

/* The norm is reduced over at most NORM_BLOCKS blocks whose size depends only on n, summed
 * in order; the partial sums fit on the stack, so a step allocates nothing. */
#define NORM_BLOCKS 1024

typedef struct {
    const float *grads;
    double *partial;
    size_t n, per_block;
} norm_job;

BN_VECTORIZE static void norm_blocks(void *ctx, int begin, int end, int thread)
{
    const norm_job *j = ctx;
    (void)thread;
    for (int b = begin; b < end; b++) {
        size_t first = (size_t)b * j->per_block;
        size_t last = first + j->per_block < j->n ? first + j->per_block : j->n;
        double ss = 0.0;
        for (size_t i = first; i < last; i++)
            ss += (double)j->grads[i] * j->grads[i];
        j->partial[b] = ss;
    }
}

double bn_grad_norm(bn_threadpool *pool, const float *grads, size_t n)
{
    double partial[NORM_BLOCKS];
    size_t per_block = (n + NORM_BLOCKS - 1) / NORM_BLOCKS;
    if (per_block < OPT_BLOCK)
        per_block = OPT_BLOCK;
    int blocks = (int)((n + per_block - 1) / per_block);
    norm_job j = {.grads = grads, .partial = partial, .n = n, .per_block = per_block};
    bn_parallel_for(pool, blocks, norm_blocks, &j);
    double ss = 0.0;
    for (int b = 0; b < blocks; b++)
        ss += partial[b];
    return sqrt(ss);
}

typedef struct {
    float *grads;
    float factor;
    size_t n;
} clip_job;

BN_VECTORIZE static void clip_blocks(void *ctx, int begin, int end, int thread)
{
    const clip_job *j = ctx;
    (void)thread;
    for (size_t i = (size_t)begin * OPT_BLOCK; i < block_end((size_t)end - 1, j->n); i++)
        j->grads[i] *= j->factor;
}

double bn_clip_grads(bn_threadpool *pool, float *grads, size_t n, double norm, double max_norm)
{
    double coef = max_norm / (norm + 1e-6);
    if (coef >= 1.0)
        return 1.0;
    clip_job j = {.grads = grads, .factor = (float)coef, .n = n};
    bn_parallel_for(pool, N_BLOCKS(n), clip_blocks, &j);
    return coef;
}

typedef struct {
    bn_adamw *opt;
    float *params;
    const float *grads;
    float b1, b2, decay, step_size, inv_sqrt_bc2, eps;
} adamw_job;

BN_VECTORIZE static void adamw_blocks(void *ctx, int begin, int end, int thread)
{
    const adamw_job *j = ctx;
    (void)thread;
    float *restrict m = j->opt->m, *restrict v = j->opt->v, *restrict params = j->params;
    const float *restrict grads = j->grads;
    const float b1 = j->b1, b2 = j->b2, decay = j->decay, step = j->step_size;
    const float inv_sqrt_bc2 = j->inv_sqrt_bc2, eps = j->eps;
    size_t first = (size_t)begin * OPT_BLOCK, last = block_end((size_t)end - 1, j->opt->n);
#pragma omp simd
    for (size_t i = first; i < last; i++) {
        float g = grads[i];
        float mi = m[i] = b1 * m[i] + (1.0f - b1) * g;
        float vi = v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        float p = params[i] * decay;
        params[i] = p - step * mi / (sqrtf(vi) * inv_sqrt_bc2 + eps);
    }
}

void bn_adamw_step(bn_adamw *opt, bn_threadpool *pool, float *params, const float *grads,
                   double lr, double wd)
{
    opt->t++;
    double bc1 = 1.0 - pow(opt->beta1, (double)opt->t);
    double bc2 = 1.0 - pow(opt->beta2, (double)opt->t);
    adamw_job j = {.opt = opt, .params = params + opt->lo, .grads = grads + opt->lo,
                   .b1 = (float)opt->beta1, .b2 = (float)opt->beta2,
                   .decay = (float)(1.0 - lr * wd), .step_size = (float)(lr / bc1),
                   .inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2)), .eps = (float)opt->eps};
    bn_parallel_for(pool, N_BLOCKS(opt->n), adamw_blocks, &j);
}

void bn_adamw_part(size_t n, int parts, int part, size_t *lo, size_t *hi)
{
    size_t units = (n + BN_ADAMW_ALIGN - 1) / BN_ADAMW_ALIGN;
    size_t per = (units + (size_t)parts - 1) / (size_t)parts * BN_ADAMW_ALIGN;
    size_t a = per * (size_t)part, b = a + per;
    *lo = a < n ? a : n;
    *hi = b < n ? b : n;
}
