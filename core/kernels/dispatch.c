/* dispatch.c - the kernel tables, their selection, and the threaded driver. */
#include "kernels/kernels.h"

#include <stddef.h>
#include <string.h>

#include "nn/matmul.h"
#include "base/simd.h"

static int always(void) { return 1; }

/* Fastest first: "auto" takes the first one the CPU supports. */
static const bn_kernels kernel_tables[] = {
    {.name = "amx", .amx = 1, .supported = bn_amx_int8_enable},
    {.name = "avx512",
     .ternary = bn_ternary_gemm_avx512,
     .code_panels = 1,
     .supported = bn_cpu_has_avx512vnni},
    {.name = "avx2", .ternary = bn_ternary_gemm_avx2, .supported = bn_cpu_has_avx2},
    {.name = "blas", .ternary = NULL, .supported = always},
    {.name = "ref", .ternary = bn_ternary_gemm_ref, .supported = always},
};
#define N_TABLES (sizeof kernel_tables / sizeof kernel_tables[0])

const bn_kernels *bn_kernels_find(const char *name, int *unsupported)
{
    if (unsupported)
        *unsupported = 0;
    int any = !name || !*name || strcmp(name, "auto") == 0;
    for (size_t i = 0; i < N_TABLES; i++) {
        const bn_kernels *k = &kernel_tables[i];
        if (!any && strcmp(k->name, name) != 0)
            continue;
        if (k->supported())
            return k;
        if (!any) {
            if (unsupported)
                *unsupported = 1;
            return NULL;
        }
    }
    return NULL;
}

const char *bn_kernels_names(void) { return "auto, amx, avx512, avx2, blas, ref"; }

typedef struct {
    const bn_kernels *k;
    float *y;
    const bn_qact_view *x;
    const bn_qweight_view *w;
    int N, K, kp;
} gemm_job;

/* Scale rows [begin, end) of the sgemm product: y *= 1 / (s_x s_w), one reciprocal per row
 * (the integer paths scale their blocks with the same reciprocal, integer_block, so every
 * path gives the same bits). */
BN_VECTORIZE static void scale_rows(const gemm_job *j, int begin, int end)
{
    for (int m = begin; m < end; m++) {
        float inv = 1.0f / (j->x->scale[m] * j->w->scale);
        float *restrict yr = j->y + (size_t)m * j->N;
        for (int n = 0; n < j->N; n++)
            yr[n] *= inv;
    }
}

/* Cache blocking around the kernels, which stream all of W for every 4 rows of x: here a
 * block of BLOCK_N weight rows (64 x Kp bytes, L1-sized for K <= 512) is reused across
 * BLOCK_M rows of x before moving on, so W is read from L2/L3 once per BLOCK_M rows instead
 * of once per 4. The products are exact integers, so blocking changes no bit. */
#define BLOCK_M 256
#define BLOCK_N 64

/* One block's products into the tile, then scaled straight into y: the int32 products of
 * the whole output are never written out and read back (2 x 4 bytes an output less memory
 * traffic). The same conversion as scale_rows, so the same bits. */
BN_VECTORIZE static void integer_block(const gemm_job *j, int m0, int rows, int n0, int cols,
                                       int32_t *tile)
{
    j->k->ternary(tile, j->x->i8 + (size_t)m0 * j->kp, j->x->rowsum + m0,
                  j->w->codes + (size_t)n0 * j->kp, rows, cols, j->kp);
    for (int m = 0; m < rows; m++) {
        float inv = 1.0f / (j->x->scale[m0 + m] * j->w->scale);
        const int32_t *restrict tr = tile + (size_t)m * cols;
        float *restrict yr = j->y + (size_t)(m0 + m) * j->N + n0;
        for (int n = 0; n < cols; n++)
            yr[n] = (float)tr[n] * inv;
    }
}

static void integer_rows(void *ctx, int begin, int end, int thread)
{
    const gemm_job *j = ctx;
    (void)thread;
    int32_t tile[BLOCK_M * BLOCK_N]; /* 64 KiB: one block's products */
    for (int m0 = begin; m0 < end; m0 += BLOCK_M) {
        int rows = end - m0 < BLOCK_M ? end - m0 : BLOCK_M;
        for (int n0 = 0; n0 < j->N; n0 += BLOCK_N)
            integer_block(j, m0, rows, n0, j->N - n0 < BLOCK_N ? j->N - n0 : BLOCK_N, tile);
    }
}

static void scale_only_rows(void *ctx, int begin, int end, int thread)
{
    (void)thread;
    scale_rows(ctx, begin, end);
}

void bn_bitlinear_gemm(const bn_kernels *k, bn_threadpool *pool, float *y,
                       const bn_qact_view *x, const bn_qweight_view *w, int M, int N, int K)
{
    gemm_job j = {.k = k, .y = y, .x = x, .w = w, .N = N, .K = K, .kp = bn_kpad(K)};
    if (k->amx) {
        bn_amx_ternary_gemm(pool, y, x->i8, x->scale, w->amx, w->scale, M, N, j.kp);
        return;
    }
    if (k->code_panels && w->panels) {
        bn_ternary_panels_avx512(pool, y, x->i8, x->rowsum, x->scale, w->panels, w->scale, M,
                                 N, j.kp);
        return;
    }
    if (k->ternary) {
        bn_parallel_for(pool, M, integer_rows, &j);
        return;
    }
    bn_matmul_nt(pool, y, x->f, w->f, M, N, K, 0);
    bn_parallel_for(pool, M, scale_only_rows, &j);
}
