/* bitlinear.c - BitLinear forward and straight-through backward. */
#include "nn/bitlinear.h"

#include <stddef.h>

#include "nn/matmul.h"
#include "nn/quant.h"
#include "nn/rmsnorm.h"
#include "base/simd.h"

typedef struct {
    const uint8_t *codes;
    float *wf;
    int in, kp;
} decode_job;

BN_VECTORIZE static void decode_rows(void *ctx, int begin, int end, int thread)
{
    const decode_job *j = ctx;
    (void)thread;
    for (int r = begin; r < end; r++) {
        const uint8_t *c = j->codes + (size_t)r * j->kp;
        float *w = j->wf + (size_t)r * j->in;
        for (int k = 0; k < j->in; k++)
            w[k] = (float)c[k] - 1.0f;
    }
}

/* Wq (out, in) as float into wf, from the codes: exact. */
static const float *decode_weights(const bn_exec *ex, const bn_qweight *q, int out, int in,
                                   float *wf)
{
    decode_job j = {.codes = q->codes, .wf = wf, .in = in, .kp = bn_kpad(in)};
    bn_parallel_for(ex->pool, out, decode_rows, &j);
    return wf;
}

int bn_bitlinear_sgemm_forward(const bn_exec *ex)
{
    return !ex->kernels->ternary && !ex->kernels->amx;
}

void bn_bitlinear_quantize_weights(const bn_exec *ex, bn_qweight *q, const float *w, int out,
                                   int in, bn_bitlinear_scratch *scratch)
{
    q->scale = bn_quant_weights(ex->pool, NULL, q->codes, w, out, in);
    if (ex->bf16_backward && !ex->wq_bf_shared)
        bn_bf16_pack_panels(ex->pool, q->wq_bf, decode_weights(ex, q, out, in, scratch->wf),
                            in, out, in);
    if (ex->kernels->amx || ex->kernels->code_panels)
        bn_quad_panels_pack(ex->pool, q->w_panels, q->codes, out, bn_kpad(in),
                            ex->kernels->amx);
}

void bn_bitlinear_forward(const bn_exec *ex, float *y, bn_bitlinear_acts *acts, const float *x,
                          const float *g, const bn_qweight *q, int N, int in, int out,
                          float eps, bn_bitlinear_scratch *scratch)
{
    /* Only the sgemm forward path (no integer kernel) multiplies a float copy of Xq. */
    int sgemm = bn_bitlinear_sgemm_forward(ex);
    float *xq = sgemm ? scratch->xn : NULL;
    bn_quant_normed_activations(ex->pool, acts->rstd, xq, acts->xq_i8, acts->rowsum, acts->sx,
                                x, g, N, in, eps);
    bn_qact_view xv = {.f = xq, .i8 = acts->xq_i8, .rowsum = acts->rowsum,
                       .scale = acts->sx};
    bn_qweight_view wv = {.f = sgemm ? decode_weights(ex, q, out, in, scratch->wf) : NULL,
                          .codes = q->codes, .amx = (const int8_t *)q->w_panels,
                          .panels = q->w_panels, .scale = q->scale};
    bn_bitlinear_gemm(ex->kernels, ex->pool, y, &xv, &wv, N, out, in);
}

typedef struct {
    const float *src;
    float *dst;
    const float *row_scale; /* divide row n by row_scale[n], or NULL: multiply by k */
    float k;
    int cols;
} scale_job;

BN_VECTORIZE static void scale_rows(void *ctx, int begin, int end, int thread)
{
    const scale_job *j = ctx;
    (void)thread;
    for (int n = begin; n < end; n++) {
        const float *s = j->src + (size_t)n * j->cols;
        float *d = j->dst + (size_t)n * j->cols;
        float f = j->row_scale ? 1.0f / j->row_scale[n] : j->k;
        for (int c = 0; c < j->cols; c++)
            d[c] = s[c] * f;
    }
}

typedef struct {
    const int8_t *src;
    float *dst;
    int cols, kp;
} widen_job;

BN_VECTORIZE static void widen_rows(void *ctx, int begin, int end, int thread)
{
    const widen_job *j = ctx;
    (void)thread;
    for (int n = begin; n < end; n++) {
        const int8_t *s = j->src + (size_t)n * j->kp;
        float *d = j->dst + (size_t)n * j->cols;
        for (int c = 0; c < j->cols; c++)
            d[c] = (float)s[c];
    }
}

/* The two products in bf16 (AMX or AVX512_BF16): dW += ((dY / s_x)^T) . Xq,
 * dxn = (dY . Wq) / s_w. */
static void backward_products_bf16(const bn_exec *ex, float *dxn, float *dw, const float *dy,
                                   const bn_bitlinear_acts *acts, const bn_qweight *q, int N,
                                   int in, int out, bn_bitlinear_scratch *scratch)
{
    bn_bf16_pack_transposed(ex->pool, scratch->a_bf, dy, out, acts->sx, N, out);
    bn_bf16_pack_panels_i8(ex->pool, scratch->b_bf, acts->xq_i8, bn_kpad(in), N, in);
    bn_bf16_gemm(ex->pool, ex->bf16_backward, dw, in, scratch->a_bf, bn_bf16_row_ld(N),
                 scratch->b_bf, out, in, N, 1.0f, 1);
    bn_bf16_pack_rows(ex->pool, scratch->a_bf, dy, out, N, out);
    if (ex->wq_bf_shared) /* the same panels quantize_weights would have packed */
        bn_bf16_pack_panels(ex->pool, q->wq_bf, decode_weights(ex, q, out, in, scratch->wf),
                            in, out, in);
    bn_bf16_gemm(ex->pool, ex->bf16_backward, dxn, in, scratch->a_bf, bn_bf16_row_ld(out),
                 q->wq_bf, N, in, out, 1.0f / q->scale, 0);
}

void bn_bitlinear_backward(const bn_exec *ex, float *dx, float *dw, float *dg, const float *dy,
                           const bn_bitlinear_acts *acts, const float *x, const float *g,
                           const bn_qweight *q, int N, int in, int out,
                           bn_bitlinear_scratch *scratch)
{
    if (ex->bf16_backward) {
        backward_products_bf16(ex, scratch->xn, dw, dy, acts, q, N, in, out, scratch);
        bn_rmsnorm_backward(ex->pool, dx, dg, scratch->dg_partial, scratch->xn, x, g,
                            acts->rstd, N, in, 0);
        return;
    }
    /* dW += (dY / s_x)^T . Xq : the per-row scale moves onto dY, Xq stays integer. */
    scale_job by_sx = {.src = dy, .dst = scratch->dy, .row_scale = acts->sx, .cols = out};
    bn_parallel_for(ex->pool, N, scale_rows, &by_sx);
    widen_job xq = {.src = acts->xq_i8, .dst = scratch->xn, .cols = in, .kp = bn_kpad(in)};
    bn_parallel_for(ex->pool, N, widen_rows, &xq);
    bn_matmul_tn(ex->pool, dw, scratch->dy, scratch->xn, out, in, N, 1);

    /* d(xn) = (dY . Wq) / s_w, into the scratch Xq was widened into: the sgemm above is done */
    float *dxn = scratch->xn;
    bn_matmul_nn(ex->pool, dxn, dy, decode_weights(ex, q, out, in, scratch->wf), N, in, out,
                 0);
    scale_job by_sw = {.src = dxn, .dst = dxn, .k = 1.0f / q->scale, .cols = in};
    bn_parallel_for(ex->pool, N, scale_rows, &by_sw);

    bn_rmsnorm_backward(ex->pool, dx, dg, scratch->dg_partial, dxn, x, g, acts->rstd, N, in, 0);
}
