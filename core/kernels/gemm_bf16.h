/* gemm_bf16.h - bf16 x bf16 -> fp32 matrix products for BitLinear's backward (AVX512_BF16).
 *
 * The backward's two products, dX = dY . Wq and dW = dY^T . Xq, take one operand that is
 * exact in bf16 (Wq in {-1, 0, +1}; Xq integers in [-128, 127]) and dY, which rounds to 8
 * significant bits (round to nearest even). Products are summed in fp32 by vdpbf16ps, which
 * doubles the multiply-adds per instruction of fp32 FMA.
 *
 * Layouts (bn_bf16 is the upper half of an IEEE float, as a uint16):
 *   A "pair rows"  (bn_bf16_rows(M), lda) row-major, lda = bn_bf16_pair_ld(K): each row holds
 *                  K values then zeros up to lda (a multiple of 32), so A[m][2p], A[m][2p+1]
 *                  form pair p of row m. The buffer has rows up to a multiple of 32; rows
 *                  past M may hold anything (their sums are discarded).
 *   B "panels"     ceil(N/32) panels of 32 columns; panel j is (lda / 2 pairs, 32, 2):
 *                  element [p][c][h] = B[2p + h][32j + c]; zeros beyond K and N.
 * C (M, N) fp32 row-major with leading dimension ldc.
 *
 * The product runs on AMX (tdpbf16ps), the packers on AVX512_BF16: call anything here only
 * after bn_amx_bf16_enable() returned 1. Elsewhere the engine keeps the fp32 sgemm backward. */
#ifndef BN_GEMM_BF16_H
#define BN_GEMM_BF16_H

#include <stddef.h>
#include <stdint.h>

#include "base/threadpool.h"

typedef uint16_t bn_bf16;

#define BN_BF16_PANEL 32

/* 1 when the CPU has AMX-BF16 and AVX512_BF16 and the kernel granted this process the tile
 * state (asked for here, once per process is enough); 0 otherwise. */
int bn_amx_bf16_enable(void);

/* One float to bf16, round to nearest even, as vcvtneps2bf16 does (NaN stays NaN). */
bn_bf16 bn_bf16_from_float(float f);
float bn_bf16_to_float(bn_bf16 h);

/* Elements of a B panel buffer for a K x N operand. */
size_t bn_bf16_panels_size(int K, int N);

/* Row length of A pair rows for K values: K rounded up to a multiple of 32 (one tile). */
static inline int bn_bf16_pair_ld(int K)
{
    return (K + 31) & ~31;
}

/* Rows to allocate for an A of M rows: M rounded up to a multiple of 32. */
static inline int bn_bf16_rows(int M)
{
    return (M + 31) & ~31;
}

/* B panels from K rows of N floats (row k at src + k * ld), rounded to bf16. Pairs of rows
 * are split over the pool. */
void bn_bf16_pack_panels(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld, int K,
                         int N);

/* The same from K rows of N int8 values (exact in bf16). */
void bn_bf16_pack_panels_i8(bn_threadpool *pool, bn_bf16 *dst, const int8_t *src, int ld, int K,
                            int N);

/* A pair rows from M rows of K floats: dst[m][k] = bf16(src[m * ld + k]). */
void bn_bf16_pack_rows(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld, int M,
                       int K);

/* A pair rows from the transpose of a K x M float matrix with a per-row scale:
 * dst[m][k] = bf16(src[k * ld + m] / row_div[k]) for m < M, k < K (dst row length
 * bn_bf16_pair_ld(K)); row_div NULL divides by nothing. */
void bn_bf16_pack_transposed(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld,
                             const float *row_div, int K, int M);

/* C (M, N) = alpha * A . B  (accumulate = 0)  or  C += alpha * A . B  (accumulate = 1).
 * A: pair rows (M, lda); B: panels for K x N. Rows of C are split over the pool; the result
 * does not depend on the number of threads. */
void bn_bf16_gemm(bn_threadpool *pool, float *C, int ldc, const bn_bf16 *A, int lda,
                  const bn_bf16 *B, int M, int N, int K, float alpha, int accumulate);

#endif
