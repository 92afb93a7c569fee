/* rmsnorm.h - y = x * rsqrt(mean(x^2) + eps) * g, row by row. */
#ifndef BN_RMSNORM_H
#define BN_RMSNORM_H

/* x, y are (N, C); g is (C); rstd (N) receives rsqrt(mean(x^2) + eps) for the backward. */
void bn_rmsnorm_forward(float *y, float *rstd, const float *x, const float *g, int N, int C,
                        float eps);

/* Accumulates: dx (N, C) += ..., dg (C) += ... ; dy (N, C) is the gradient of y. */
void bn_rmsnorm_backward(float *dx, float *dg, const float *dy, const float *x, const float *g,
                         const float *rstd, int N, int C);

#endif
