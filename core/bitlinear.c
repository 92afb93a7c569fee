/* bitlinear.c - BitLinear forward and straight-through backward. */
#include "bitlinear.h"

#include <stddef.h>

#include "matmul.h"
#include "quant.h"
#include "rmsnorm.h"

void bn_bitlinear_quantize_weights(bn_qweight *q, const float *w, int out, int in)
{
    q->scale = bn_quant_weights(q->wq, q->wq_i8, w, (size_t)out * in);
}

void bn_bitlinear_forward(float *y, bn_bitlinear_acts *acts, const float *x, const float *g,
                          const bn_qweight *q, int N, int in, int out, float eps,
                          const bn_kernels *kernels, bn_bitlinear_scratch *scratch)
{
    bn_rmsnorm_forward(scratch->xn, acts->rstd, x, g, N, in, eps);
    bn_quant_activations(acts->xq, acts->xq_i8, acts->sx, scratch->xn, N, in);
    bn_qmat xm = {.f = acts->xq, .i8 = acts->xq_i8, .scale = acts->sx};
    bn_qmat wm = {.f = q->wq, .i8 = q->wq_i8, .scale = &q->scale};
    kernels->bitlinear_gemm(y, &xm, &wm, N, out, in);
}

void bn_bitlinear_backward(float *dx, float *dw, float *dg, const float *dy,
                           const bn_bitlinear_acts *acts, const float *x, const float *g,
                           const bn_qweight *q, int N, int in, int out,
                           bn_bitlinear_scratch *scratch)
{
    /* dW += (dY / s_x)^T . Xq : the per-row scale moves onto dY, Xq stays integer. */
    for (int n = 0; n < N; n++) {
        const float *dyr = dy + (size_t)n * out;
        float *sr = scratch->dy + (size_t)n * out;
        float inv = 1.0f / acts->sx[n];
        for (int o = 0; o < out; o++)
            sr[o] = dyr[o] * inv;
    }
    bn_matmul_tn(dw, scratch->dy, acts->xq, out, in, N, 1);

    /* d(xn) = (dY . Wq) / s_w */
    float *dxn = scratch->xn;
    bn_matmul_nn(dxn, dy, q->wq, N, in, out, 0);
    float inv_sw = 1.0f / q->scale;
    for (size_t i = 0; i < (size_t)N * in; i++)
        dxn[i] *= inv_sw;

    bn_rmsnorm_backward(dx, dg, dxn, x, g, acts->rstd, N, in);
}
