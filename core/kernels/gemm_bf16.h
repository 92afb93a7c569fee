/* gemm_bf16.h - bf16 x bf16 -> fp32 matrix products for the backward (AMX or AVX512_BF16).
 *
 * The backward's two products, dX = dY . Wq and dW = dY^T . Xq, take one operand that is
 * exact in bf16 (Wq in {-1, 0, +1}; Xq integers in [-128, 127]) and dY, which rounds to 8
 * significant bits (round to nearest even). Products are summed in fp32.
 *
 * Layouts (bn_bf16 is the upper half of an IEEE float, as a uint16):
 *   A "pair rows"  (bn_bf16_rows(M), lda) row-major, lda = bn_bf16_row_ld(K): each row holds
 *                  K values then zeros up to bn_bf16_pair_ld(K) (a multiple of 32), so
 *                  A[m][2p], A[m][2p+1] form pair p of row m; past that, up to lda, anything.
 *                  The buffer has rows up to a multiple of 32; rows past M may hold anything
 *                  (their sums are discarded).
 *   B "panels"     ceil(N/32) panels of 32 columns; panel j is (pair_ld(K) / 2 pairs, 32, 2):
 *                  element [p][c][h] = B[2p + h][32j + c]; zeros beyond K and N.
 * C (M, N) fp32 row-major with leading dimension ldc.
 *
 * Two paths for the product, chosen at run time (bn_bf16_backward_available): AMX tiles
 * (tdpbf16ps, 32 x 32 blocks of C) where the CPU has AMX-BF16, else AVX512_BF16 (vdpbf16ps,
 * 12 x 32 blocks in zmm registers, twice the multiply-adds per instruction of fp32 FMA).
 * The packers need AVX512_BF16, which both paths have: call anything here only after
 * bn_bf16_backward_available() returned a path. Elsewhere the engine keeps the fp32 sgemm
 * backward. The two paths sum in different orders (their results differ in the last bits);
 * each gives the same bits on any number of threads. */
#ifndef BN_GEMM_BF16_H
#define BN_GEMM_BF16_H

#include <stddef.h>
#include <stdint.h>

#include "base/threadpool.h"

typedef uint16_t bn_bf16;

#define BN_BF16_PANEL 32

/* Where bn_bf16_gemm runs; BN_BF16_NONE (0) means no bf16 product on this CPU. */
typedef enum { BN_BF16_NONE = 0, BN_BF16_AVX512 = 1, BN_BF16_AMX = 2 } bn_bf16_path;

/* 1 when the CPU has AMX-BF16 and AVX512_BF16 and the kernel granted this process the tile
 * state (asked for here, once per process is enough); 0 otherwise. */
int bn_amx_bf16_enable(void);

/* 1 when the CPU has AVX512_BF16 with AVX512F/BW/VL (what the packers and the vdpbf16ps
 * product need). */
int bn_cpu_has_avx512bf16(void);

/* The fastest path here: BN_BF16_AMX when bn_amx_bf16_enable(), else BN_BF16_AVX512 when
 * bn_cpu_has_avx512bf16(), else BN_BF16_NONE. */
bn_bf16_path bn_bf16_backward_available(void);

/* "amx", "avx512_bf16" or "none". */
const char *bn_bf16_path_name(bn_bf16_path path);

/* One float to bf16, round to nearest even, as vcvtneps2bf16 does (NaN stays NaN). */
bn_bf16 bn_bf16_from_float(float f);
float bn_bf16_to_float(bn_bf16 h);

/* Elements of a B panel buffer for a K x N operand. */
size_t bn_bf16_panels_size(int K, int N);

/* The values of K a product runs over: K rounded up to a multiple of 32 (one tile). */
static inline int bn_bf16_pair_ld(int K)
{
    return (K + 31) & ~31;
}

/* The row stride of A pair rows for K values: bn_bf16_pair_ld(K), plus 32 (one 64-byte
 * line) when that is an even number of lines. A stride of a multiple of 4 KiB (K = 2048,
 * 4096, 6144 ...) puts the rows a kernel reads together into one L1 set, which then
 * thrashes (the AVX512_BF16 product ran at two thirds of its speed); an odd number of lines
 * spreads them over every set. */
static inline int bn_bf16_row_ld(int K)
{
    int ld = bn_bf16_pair_ld(K);
    return (ld / 32) % 2 ? ld : ld + 32;
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

/* The same from the transpose: N rows of K floats (row n at src + n * ld) hold B's columns,
 * B[k][n] = src[n * ld + k] (the lm_head's E^T from the embedding E). Panels are split over
 * the pool. */
void bn_bf16_pack_panels_t(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld, int K,
                           int N);

/* The same from K rows of N int8 values (exact in bf16). */
void bn_bf16_pack_panels_i8(bn_threadpool *pool, bn_bf16 *dst, const int8_t *src, int ld, int K,
                            int N);

/* A pair rows (row stride bn_bf16_row_ld(K)) from M rows of K floats:
 * dst[m][k] = bf16(src[m * ld + k]). */
void bn_bf16_pack_rows(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld, int M,
                       int K);

/* A pair rows from the transpose of a K x M float matrix with a per-row scale:
 * dst[m][k] = bf16(src[k * ld + m] / row_div[k]) for m < M, k < K (dst row stride
 * bn_bf16_row_ld(K)); row_div NULL divides by nothing. */
void bn_bf16_pack_transposed(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld,
                             const float *row_div, int K, int M);

/* C (M, N) = alpha * A . B  (accumulate = 0)  or  C += alpha * A . B  (accumulate = 1),
 * on path (one that bn_bf16_backward_available() allows; AMX needs its answer to be AMX).
 * A: pair rows (M, lda); B: panels for K x N. Rows of C are split over the pool; the result
 * does not depend on the number of threads. */
void bn_bf16_gemm(bn_threadpool *pool, bn_bf16_path path, float *C, int ldc, const bn_bf16 *A,
                  int lda, const bn_bf16 *B, int M, int N, int K, float alpha, int accumulate);

/* One product as the two paths take it: bn_bf16_gemm's arguments, K as pairs of values
 * (bn_bf16_pair_ld(K) / 2). */
typedef struct {
    float *C;
    const bn_bf16 *A, *B;
    int ldc, lda, M, N, pairs;
    float alpha;
    int accumulate;
} bn_bf16_gemm_job;

/* The two paths of bn_bf16_gemm; job->M and job->N are positive. */
void bn_bf16_gemm_amx(bn_threadpool *pool, const bn_bf16_gemm_job *job);
void bn_bf16_gemm_avx512(bn_threadpool *pool, const bn_bf16_gemm_job *job);

#endif
