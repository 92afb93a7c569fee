/* quant.h - BitNet b1.58 quantizers (DESIGN.md, "BitLinear").
 *
 * Weights, per tensor (absmean): s_w = 1 / max(mean|W|, 1e-5); Wq = clamp(round(W*s_w), -1, 1).
 * Activations, per row (absmax):  s_x = 127 / max(max_j |x_j|, 1e-5);
 *                                 Xq = clamp(round(x*s_x), -128, 127).
 * round() is round-half-to-even (as torch.round), which nearbyintf gives in the default
 * rounding mode. */
#ifndef BN_QUANT_H
#define BN_QUANT_H

#include <stddef.h>
#include <stdint.h>

#define BN_QUANT_EPS 1e-5f

/* Ternarize W[n]: writes wq (values -1/0/+1, as float and as int8) and returns s_w. */
float bn_quant_weights(float *wq, int8_t *wq_i8, const float *w, size_t n);

/* Quantize x[rows, cols] row by row: xq (integer values as float), xq_i8, scale[rows]. */
void bn_quant_activations(float *xq, int8_t *xq_i8, float *scale, const float *x, int rows,
                          int cols);

#endif
