/* quant.h - BitNet b1.58 quantizers (README, "The model").
 *
 * Weights, per tensor (absmean): s_w = 1 / max(mean|W|, 1e-5); Wq = clamp(round(W*s_w), -1, 1).
 * Activations, per row (absmax):  s_x = 127 / max(max_j |x_j|, 1e-5);
 *                                 Xq = clamp(round(x*s_x), -128, 127).
 * round() is round-half-to-even (as torch.round), computed exactly without libm (quant.c).
 *
 * Each quantizer writes the forms its consumers need: the values as float (the backward's
 * sgemm and the fp32 forward path), and the integer layout of kernels/ternary_gemm.h
 * (int8 activation rows and unsigned weight codes w+1, both padded to Kp = bn_kpad(K)
 * columns, with activation row sums). Work is split over the pool; the results do not
 * depend on the number of threads. */
#ifndef BN_QUANT_H
#define BN_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "base/threadpool.h"

#define BN_QUANT_EPS 1e-5f

/* Ternarize w (rows, cols): wq (rows, cols) -1/0/+1 as float (NULL: not wanted); codes
 * (rows, Kp) = wq + 1 with the padding columns set to 1 (weight 0). Returns s_w. */
float bn_quant_weights(bn_threadpool *pool, float *wq, uint8_t *codes, const float *w,
                       int rows, int cols);

/* Quantize x (rows, cols) row by row: xq (rows, cols) as float; xq_i8 (rows, Kp) with zero
 * padding; rowsum (rows) = sum of each xq_i8 row; scale (rows) = s_x. */
void bn_quant_activations(bn_threadpool *pool, float *xq, int8_t *xq_i8, int32_t *rowsum,
                          float *scale, const float *x, int rows, int cols);

/* RMSNorm and the activation quantizer in one pass over each row (BitLinear's input):
 * rstd (rows) = rsqrt(mean(x^2) + eps); xn = x * rstd * g (never stored); then as
 * bn_quant_activations on xn. xq (the float copy) may be NULL when nothing reads it. */
void bn_quant_normed_activations(bn_threadpool *pool, float *rstd, float *xq, int8_t *xq_i8,
                                 int32_t *rowsum, float *scale, const float *x, const float *g,
                                 int rows, int cols, float eps);

#endif
