/* matmul.h - the fp32 matrix products the engine needs, on OpenBLAS sgemm.
 *
 * OpenBLAS runs single-threaded; the engine splits each large product over its own pool by
 * rows of the output, so no OpenBLAS worker ever spins beside the pool and the engine never
 * runs more compute threads than --threads. The rows go in blocks whose size depends on M
 * alone, one sgemm call per block: BLAS may round a row differently with the number of rows
 * in its call (OpenBLAS's Haswell kernels, which it picks on Zen 5, do), so fixed blocks
 * keep the result independent of the number of threads. */
#ifndef BN_MATMUL_H
#define BN_MATMUL_H

#include "base/threadpool.h"

/* C (M, N) = alpha * op(A) . op(B) + beta * C, row-major with leading dimensions, where
 * op(A) is A (M, K) or, with trans_a, A^T for A stored (K, M); likewise op(B) is B (K, N)
 * or B^T for B stored (N, K). Rows of C are split over the pool. */
void bn_gemm(bn_threadpool *pool, int trans_a, int trans_b, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* Dense shorthands (leading dimensions = row lengths). accumulate = 1 adds to C. */
/* C[M,N] (+)= A[M,K] . B[N,K]^T   (a Linear forward: x . W^T) */
void bn_matmul_nt(bn_threadpool *pool, float *C, const float *A, const float *B, int M, int N,
                  int K, int accumulate);
/* C[M,N] (+)= A[M,K] . B[K,N]     (a Linear input gradient: dY . W) */
void bn_matmul_nn(bn_threadpool *pool, float *C, const float *A, const float *B, int M, int N,
                  int K, int accumulate);
/* C[M,N] (+)= A[K,M]^T . B[K,N]   (a Linear weight gradient: dY^T . X) */
void bn_matmul_tn(bn_threadpool *pool, float *C, const float *A, const float *B, int M, int N,
                  int K, int accumulate);

/* Pin OpenBLAS to one thread (call once at start-up; the pool does the rest). */
void bn_matmul_init(void);

/* The kernels OpenBLAS picked for this CPU ("Haswell", "SkylakeX", ...): on a CPU newer than
 * the library (Zen 5 with Debian's 0.3.21) it may run older, narrower ones. */
const char *bn_matmul_blas_core(void);

#endif
