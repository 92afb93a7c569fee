/* matmul.c - cblas_sgemm split over the pool by fixed blocks of rows of the output. */
#include "nn/matmul.h"

#include <cblas.h>
#include <stddef.h>

/* Declared by OpenBLAS's cblas.h on Debian; kept explicit for other cblas headers. */
void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);

void bn_matmul_init(void) { openblas_set_num_threads(1); }

const char *bn_matmul_blas_core(void)
{
    const char *name = openblas_get_corename();
    return name && *name ? name : "unknown";
}

typedef struct {
    int trans_a, trans_b, M, N, K, lda, ldb, ldc;
    int block; /* rows per sgemm call */
    float alpha, beta;
    const float *A, *B;
    float *C;
} gemm_job;

/* Rows of C per sgemm call for M rows: M / 8 rounded up to 16, from 32 to 256. Against one
 * whole call, on a Zen 5: blocks of 256 rows lose nothing with OpenBLAS's Haswell kernels
 * and 4% with its SkylakeX ones, 128 rows 0-10%, 32 rows 10-35% (README, "Threads"). */
static int rows_per_block(int M)
{
    int r = (M / 8 + 15) / 16 * 16;
    return r < 32 ? 32 : r > 256 ? 256 : r;
}

/* One sgemm call for rows [r0, r1) of op(A). */
static void gemm_call(const gemm_job *j, int r0, int r1)
{
    const float *a = j->trans_a ? j->A + r0 : j->A + (size_t)r0 * j->lda;
    cblas_sgemm(CblasRowMajor, j->trans_a ? CblasTrans : CblasNoTrans,
                j->trans_b ? CblasTrans : CblasNoTrans, r1 - r0, j->N, j->K, j->alpha, a,
                j->lda, j->B, j->ldb, j->beta, j->C + (size_t)r0 * j->ldc, j->ldc);
}

/* Row blocks [begin, end), each one call. */
static void gemm_blocks(void *ctx, int begin, int end, int thread)
{
    const gemm_job *j = ctx;
    (void)thread;
    for (int b = begin; b < end; b++) {
        int r0 = b * j->block, r1 = r0 + j->block < j->M ? r0 + j->block : j->M;
        gemm_call(j, r0, r1);
    }
}

/* Below this much work (multiply-adds) one call does it: waking the pool costs more. */
#define PARALLEL_MIN_WORK (64.0 * 64 * 64)

void bn_gemm(bn_threadpool *pool, int trans_a, int trans_b, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    gemm_job j = {trans_a, trans_b, M, N, K, lda, ldb, ldc, rows_per_block(M), alpha, beta,
                  A, B, C};
    if ((double)M * N * K < PARALLEL_MIN_WORK)
        gemm_call(&j, 0, M);
    else
        bn_parallel_for(pool, (M + j.block - 1) / j.block, gemm_blocks, &j);
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
