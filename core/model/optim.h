/* optim.h - AdamW with PyTorch semantics (decoupled decay, bias correction) and global
 * gradient-norm clipping as torch.nn.utils.clip_grad_norm_. */
#ifndef BN_OPTIM_H
#define BN_OPTIM_H

#include <stddef.h>

#include "base/error.h"
#include "base/threadpool.h"

typedef struct {
    size_t n;
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

/* One AdamW step: p -= lr*wd*p; m,v update; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps). */
void bn_adamw_step(bn_adamw *opt, bn_threadpool *pool, float *params, const float *grads,
                   double lr, double wd);

#endif
