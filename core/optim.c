/* optim.c - AdamW and gradient clipping. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>

bn_status bn_adamw_init(bn_adamw *opt, size_t n, double beta1, double beta2, double eps,
                        bn_error *err)
{
    opt->n = n;
    opt->t = 0;
    opt->beta1 = beta1;
    opt->beta2 = beta2;
    opt->eps = eps;
    opt->m = calloc(n, sizeof(float));
    opt->v = calloc(n, sizeof(float));
    if (!opt->m || !opt->v) {
        bn_adamw_free(opt);
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for optimizer state (%zu params)", n);
    }
    return BN_OK;
}

void bn_adamw_free(bn_adamw *opt)
{
    free(opt->m);
    free(opt->v);
    opt->m = opt->v = NULL;
}

double bn_grad_norm(const float *grads, size_t n)
{
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (double)grads[i] * grads[i];
    return sqrt(ss);
}

double bn_clip_grads(float *grads, size_t n, double norm, double max_norm)
{
    double coef = max_norm / (norm + 1e-6);
    if (coef >= 1.0)
        return 1.0;
    float c = (float)coef;
    for (size_t i = 0; i < n; i++)
        grads[i] *= c;
    return coef;
}

void bn_adamw_step(bn_adamw *opt, float *params, const float *grads, double lr, double wd)
{
    opt->t++;
    double bc1 = 1.0 - pow(opt->beta1, (double)opt->t);
    double bc2 = 1.0 - pow(opt->beta2, (double)opt->t);
    float b1 = (float)opt->beta1, b2 = (float)opt->beta2;
    float decay = (float)(1.0 - lr * wd);
    float step_size = (float)(lr / bc1);
    float inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
    float eps = (float)opt->eps;
    for (size_t i = 0; i < opt->n; i++) {
        float g = grads[i];
        float m = opt->m[i] = b1 * opt->m[i] + (1.0f - b1) * g;
        float v = opt->v[i] = b2 * opt->v[i] + (1.0f - b2) * g * g;
        float p = params[i] * decay;
        params[i] = p - step_size * m / (sqrtf(v) * inv_sqrt_bc2 + eps);
    }
}
