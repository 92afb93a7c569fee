/* bitlinear.h - BitLinear(in, out): RMSNorm(in) -> int8 activations x ternary weights.
 *
 * Forward:  xn = rmsnorm(x; g);  y = (Xq . Wq^T) / (s_x * s_w)   (see quant.h, kernels.h)
 * Backward (straight-through estimator):
 *           dW += dY^T . (Xq / s_x);   d(xn) = dY . (Wq / s_w);   then through the RMSNorm.
 *           Both products in fp32 (sgemm), or with bf16_backward in bf16 (AMX tiles or
 *           AVX512_BF16, gemm_bf16.h): Xq and Wq are exact in bf16, dY and dY / s_x round
 *           to 8 significant bits, sums stay fp32. */
#ifndef BN_BITLINEAR_H
#define BN_BITLINEAR_H

#include <stdint.h>

#include "kernels/gemm_bf16.h"
#include "kernels/kernels.h"
#include "base/threadpool.h"

/* A weight matrix ternarized once per optimizer step, held as codes only: the paths that
 * multiply floats decode them into the scratch when they run (bn_bitlinear_scratch.wf),
 * which is exact and keeps a float copy of every weight out of memory (README, "Memory"). */
typedef struct {
    uint8_t *codes; /* (out, Kp) Wq + 1, the values -1/0/+1 as 0/1/2 */
    float scale;    /* s_w */
    bn_bf16 *wq_bf; /* bf16 backward only: wq as B panels (K = out, N = in), else NULL */
    uint8_t *w_panels; /* amx and avx512 kernels: the codes as quad panels (ternary_panels.h:
                          code - 1 for amx, the code for avx512), else NULL */
} bn_qweight;

/* What one BitLinear keeps from its forward for its backward: the quantized activations as
 * int8 only; the fp32 backward widens them to float in the scratch when it needs them, which
 * is exact and keeps 4 bytes per activation out of every layer's memory (README, "Memory"). */
typedef struct {
    float *rstd;     /* (N) of its RMSNorm */
    int8_t *xq_i8;   /* (N, Kp) quantized activations, zero-padded */
    int32_t *rowsum; /* (N) */
    float *sx;       /* (N) activation scales */
} bn_bitlinear_acts;

/* Scratch shared by all BitLinears (sized for the widest one). */
typedef struct {
    float *xn;         /* (N, max_in) Xq as float: the sgemm forward's operand and the fp32
                          backward's (widened from xq_i8); then d(xn) in the backward */
    float *dy;         /* (N, max_out) dY scaled by 1 / s_x (the fp32 backward) */
    float *dg_partial; /* (BN_ROW_BLOCKS(N), max_in) RMSNorm gain-gradient partials */
    float *wf;         /* (max out * in) Wq as float, decoded from the codes for the sgemm
                          forward, the fp32 backward and the bf16 packing */
    bn_bf16 *a_bf;     /* bf16 backward: dY (N, out) or (dY / s_x)^T (out, N) as A pair rows */
    bn_bf16 *b_bf;     /* bf16 backward: Xq (K = N, max_in) as B panels */
} bn_bitlinear_scratch;

typedef struct {
    const bn_kernels *kernels;
    bn_threadpool *pool;
    bn_bf16_path bf16_backward; /* where the two backward products run in bf16
                                   (gemm_bf16.h); BN_BF16_NONE: fp32 sgemm */
    int wq_bf_shared;           /* the linears share one wq_bf buffer (low_memory): Wq is
                                   packed just before each dX product, not at ternarization */
} bn_exec;

/* Ternarize w (out, in) into q (buffers preallocated; the bf16 packing goes through
 * scratch->wf). */
void bn_bitlinear_quantize_weights(const bn_exec *ex, bn_qweight *q, const float *w, int out,
                                   int in, bn_bitlinear_scratch *scratch);

/* Whether the forward multiplies floats (no integer kernel): then it needs scratch->xn and
 * scratch->wf. */
int bn_bitlinear_sgemm_forward(const bn_exec *ex);

/* x (N, in), g (in) -> y (N, out). */
void bn_bitlinear_forward(const bn_exec *ex, float *y, bn_bitlinear_acts *acts, const float *x,
                          const float *g, const bn_qweight *q, int N, int in, int out,
                          float eps, bn_bitlinear_scratch *scratch);

/* dy (N, out) -> dx (N, in) = (overwritten), dw (out, in) +=, dg (in) +=. */
void bn_bitlinear_backward(const bn_exec *ex, float *dx, float *dw, float *dg, const float *dy,
                           const bn_bitlinear_acts *acts, const float *x, const float *g,
                           const bn_qweight *q, int N, int in, int out,
                           bn_bitlinear_scratch *scratch);

#endif
