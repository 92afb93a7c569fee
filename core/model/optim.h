/* optim.h - AdamW with PyTorch semantics (decoupled decay, bias correction) and global
 * gradient-norm clipping as torch.nn.utils.clip_grad_norm_. */
#ifndef BN_OPTIM_H
#define BN_OPTIM_H

#include <stddef.h>

#include "base/error.h"
#include "base/threadpool.h"

typedef struct {
    size_t n;
    size_t lo;  /* the slice [lo, lo + n) of the parameters this optimizer updates: 0 (all of
                   them) but for a sharded rank (README, "Training on many machines") */
    float *m;   /* (n) first moment */
    float *v;   /* (n) second moment */
    long t;     /* steps taken (bias correction uses t after increment) */
    double beta1, beta2, eps;
} bn_adamw;

bn_status bn_adamw_init(bn_adamw *opt, size_t n, double beta1, double beta2, double eps,
                        bn_error *err);
void bn_adamw_free(bn_adamw *opt);

/* Global L2 norm of grads, accumulated in double over fixed blocks summed in order (the same
 * whatever the thread count). Non-finite if any gradient is. */
double bn_grad_norm(bn_threadpool *pool, const float *grads, size_t n);

/* As torch.nn.utils.clip_grad_norm_: scale grads by max_norm / (norm + 1e-6) whenever that
 * factor is below 1. Returns the factor used (1 when untouched). */
double bn_clip_grads(bn_threadpool *pool, float *grads, size_t n, double norm,
                     double max_norm);

/* Part `part` of `parts` of n parameters, for ZeRO-1 (README, "Training on many machines"):
 * [*lo, *hi), contiguous, in order, every part but the last of the same length, each
 * starting at a multiple of BN_ADAMW_ALIGN floats (so that the vector loop of AdamW meets
 * the same elements in the same lanes as over the whole slab). A part may be empty. */
#define BN_ADAMW_ALIGN 16
void bn_adamw_part(size_t n, int parts, int part, size_t *lo, size_t *hi);

/* One AdamW step over the optimizer's slice: params[lo, lo + n) with grads[lo, lo + n)
 * (params and grads are the whole slabs). Elementwise, the same decay for every parameter:
 * a slice's values are the bits the whole-slab step gives them.
 * p -= lr*wd*p; m,v update; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps). */
void bn_adamw_step(bn_adamw *opt, bn_threadpool *pool, float *params, const float *grads,
                   double lr, double wd);

#endif
