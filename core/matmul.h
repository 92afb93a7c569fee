/* matmul.h - the fp32 matrix products the engine needs, on OpenBLAS sgemm.
 * All matrices are row-major and dense. `accumulate` = 1 adds to C, 0 overwrites it. */
#ifndef BN_MATMUL_H
#define BN_MATMUL_H

/* C[M,N] (+)= A[M,K] . B[N,K]^T   (a Linear forward: x . W^T) */
void bn_matmul_nt(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);
/* C[M,N] (+)= A[M,K] . B[K,N]     (a Linear input gradient: dY . W) */
void bn_matmul_nn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);
/* C[M,N] (+)= A[K,M]^T . B[K,N]   (a Linear weight gradient: dY^T . X) */
void bn_matmul_tn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);

/* Cap OpenBLAS's own threads (the engine never runs more compute threads than asked). */
void bn_matmul_set_threads(int threads);

#endif
