/* matmul.c - thin wrappers over cblas_sgemm with the shapes spelled out. */
#include "matmul.h"

#include <cblas.h>

void bn_matmul_nt(float *C, const float *A, const float *B, int M, int N, int K, int accumulate)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, B, K,
                accumulate ? 1.0f : 0.0f, C, N);
}

void bn_matmul_nn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N,
                accumulate ? 1.0f : 0.0f, C, N);
}

void bn_matmul_tn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate)
{
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, K, 1.0f, A, M, B, N,
                accumulate ? 1.0f : 0.0f, C, N);
}

/* Declared by OpenBLAS's cblas.h on Debian; kept explicit for other cblas headers. */
void openblas_set_num_threads(int num_threads);

void bn_matmul_set_threads(int threads)
{
    if (threads > 0)
        openblas_set_num_threads(threads);
}
