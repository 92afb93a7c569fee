/* matmul.c - cblas_sgemm split over the pool by rows of the output. */
#include "nn/matmul.h"

#include <cblas.h>
#include <stddef.h>

/* Declared by OpenBLAS's cblas.h on Debian; kept explicit for other cblas headers. */
void openblas_set_num_threads(int num_threads);

void bn_matmul_init(void) { openblas_set_num_threads(1); }

typedef struct {
    int trans_a, trans_b, N, K, lda, ldb, ldc;
    float alpha, beta;
    const float *A, *B;
    float *C;
} gemm_job;

static void gemm_rows(void *ctx, int begin, int end, int thread)
{
    const gemm_job *j = ctx;
    (void)thread;
    /* Rows [begin, end) of op(A): rows of A, or columns of A when transposed. */
    const float *a = j->trans_a ? j->A + begin : j->A + (size_t)begin * j->lda;
    cblas_sgemm(CblasRowMajor, j->trans_a ? CblasTrans : CblasNoTrans,
                j->trans_b ? CblasTrans : CblasNoTrans, end - begin, j->N, j->K, j->alpha, a,
                j->lda, j->B, j->ldb, j->beta, j->C + (size_t)begin * j->ldc, j->ldc);
}

/* Below this much work (multiply-adds) one thread does it: waking the pool costs more. */
#define PARALLEL_MIN_WORK (64.0 * 64 * 64)

void bn_gemm(bn_threadpool *pool, int trans_a, int trans_b, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    gemm_job j = {trans_a, trans_b, N, K, lda, ldb, ldc, alpha, beta, A, B, C};
    if ((double)M * N * K < PARALLEL_MIN_WORK)
        gemm_rows(&j, 0, M, 0);
    else
        bn_parallel_for(pool, M, gemm_rows, &j);
}

void bn_matmul_nt(bn_threadpool *pool, float *C, const float *A, const float *B, int M, int N,
                  int K, int accumulate)
{
    bn_gemm(pool, 0, 1, M, N, K, 1.0f, A, K, B, K, accumulate ? 1.0f : 0.0f, C, N);
}

void bn_matmul_nn(bn_threadpool *pool, float *C, const float *A, const float *B, int M, int N,
                  int K, int accumulate)
{
    bn_gemm(pool, 0, 0, M, N, K, 1.0f, A, K, B, N, accumulate ? 1.0f : 0.0f, C, N);
}

void bn_matmul_tn(bn_threadpool *pool, float *C, const float *A, const float *B, int M, int N,
                  int K, int accumulate)
{
    bn_gemm(pool, 1, 0, M, N, K, 1.0f, A, M, B, N, accumulate ? 1.0f : 0.0f, C, N);
}
