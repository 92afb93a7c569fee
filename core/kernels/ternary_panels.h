/* ternary_panels.h - BitLinear's forward product on AVX-512 VNNI with the weights as quad
 * panels, and the packer of quad panels that this path and the AMX path share.
 *
 * Quad panels (the layout tdpbssd and a broadcast vpdpbusd both want): panel p holds weight
 * rows 16p .. 16p+15; for each quad q of K, 16 rows x 4 bytes,
 *   element [p][q][c][b] = code of w[16p + c][4q + b]   (codes {0, 1, 2} = w + 1),
 * or code - 1 = w for the AMX path (tdpbssd multiplies signed by signed). Rows past N hold
 * weight 0. Panels are allocated for N rounded up to 32 (the kernels read two at a time).
 *
 * The product: one vpdpbusd multiplies a quad of an x row, broadcast to every lane, by a
 * panel's 64 bytes (16 rows x one quad of codes) and adds to 16 int32 sums, one per output
 * column, so an output needs no horizontal sum (the row-layout kernel of ternary_avx512.c
 * reduces 16 lanes per output). x_rowsum removes the codes' +1 offset as there. The sums are
 * exact integers, so the outputs are bit-identical to every other path (kernels.h). */
#ifndef BN_TERNARY_PANELS_H
#define BN_TERNARY_PANELS_H

#include <stddef.h>
#include <stdint.h>

#include "base/threadpool.h"

/* Bytes of the quad panels for N weight rows of Kp (a multiple of 64) columns. */
size_t bn_quad_panels_size(int N, int Kp);

/* codes (N, Kp) -> quad panels; minus_one stores code - 1 (the AMX layout) instead of the
 * code. Split over the pool (may be NULL). */
void bn_quad_panels_pack(bn_threadpool *pool, uint8_t *panels, const uint8_t *codes, int N,
                         int Kp, int minus_one);

/* y (M, N) = (x . w^T) / (s_x[m] * s_w): x (M, Kp) int8 rows (zero-padded), x_rowsum their
 * sums, w as quad panels of codes. Rows of y are split over the pool. Call only when
 * bn_cpu_has_avx512vnni() is true. */
void bn_ternary_panels_avx512(bn_threadpool *pool, float *y, const int8_t *x,
                              const int32_t *x_rowsum, const float *s_x, const uint8_t *panels,
                              float s_w, int M, int N, int Kp);

#endif
