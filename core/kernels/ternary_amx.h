/* ternary_amx.h - BitLinear's forward product on the AMX tile unit (tdpbssd), exact in int32
 * like every other path (kernels.h), so its outputs are bit-identical to the reference.
 *
 * tdpbssd multiplies a 16 x 64 int8 A tile (16 activation rows, 64 columns of K) by a
 * 16-quad x 16-column B tile into 16 x 16 int32 sums. B wants the weights as "quad
 * panels", prepared once per optimizer step from the codes:
 *   panel p (weight rows 16p .. 16p+15), for each quad q of K: 16 x 4 int8,
 *   element [p][q][c][b] = w[16p + c][4q + b] = code - 1; zero for rows >= N.
 * Panels are allocated for N rounded up to 32 (the kernel reads two panels at a time). */
#ifndef BN_TERNARY_AMX_H
#define BN_TERNARY_AMX_H

#include <stddef.h>
#include <stdint.h>

#include "base/threadpool.h"

/* 1 when the CPU has AMX-INT8 and the kernel granted this process the tile state (asked
 * for here); 0 otherwise. */
int bn_amx_int8_enable(void);

/* Bytes of the quad panels for N weight rows of Kp (a multiple of 64) columns. */
size_t bn_amx_panels_size(int N, int Kp);

/* codes (N, Kp) w + 1 -> quad panels (see above; bn_quad_panels_pack with minus_one). Split
 * over the pool. */
void bn_amx_pack_weights(bn_threadpool *pool, int8_t *panels, const uint8_t *codes, int N,
                         int Kp);

/* y (M, N) = (x . w^T) / (s_x[m] * s_w), x (M, Kp) int8 rows (zero-padded), w as quad
 * panels. Rows of y are split over the pool in blocks of 32. */
void bn_amx_ternary_gemm(bn_threadpool *pool, float *y, const int8_t *x, const float *s_x,
                         const int8_t *panels, float s_w, int M, int N, int Kp);

#endif
