/* quant.c - absmean ternary weights, absmax int8 activations. */
#include "nn/quant.h"

#include <math.h>
#include <string.h>

#include "kernels/ternary_gemm.h"
#include "base/simd.h"

/* A NaN fails the first comparison and becomes lo, so it never reaches an integer
 * conversion. (Plain comparisons compile to maxss/minss; fmaxf/fminf are libm calls.) */
static float clampf(float v, float lo, float hi)
{
    v = v > lo ? v : lo;
    return v < hi ? v : hi;
}

/* Round half to even for |x| < 2^22, without a libm call (nearbyintf is one on baseline
 * x86-64): adding 1.5 * 2^23 leaves no fraction bits, so the addition rounds in the default
 * mode, and the subtraction is exact. Callers clamp first. */
static float round_even(float x)
{
    const float magic = 12582912.0f;
    return (x + magic) - magic;
}

/* ---------------------------------------------------------------- weights */

/* The sum of |W| is reduced over at most SUM_BLOCKS fixed blocks of rows (their split
 * depends only on the shape), so the scale is the same whatever the thread count. */
#define SUM_BLOCKS 256

typedef struct {
    const float *w;
    float *wq;
    uint8_t *codes;
    double *block_abs; /* (blocks) sum |w| of each block of rows */
    float scale;
    int rows, cols, kp, rows_per_block;
} weight_job;

BN_VECTORIZE static void sum_abs_blocks(void *ctx, int begin, int end, int thread)
{
    weight_job *j = ctx;
    (void)thread;
    for (int b = begin; b < end; b++) {
        int first = b * j->rows_per_block;
        int last = first + j->rows_per_block < j->rows ? first + j->rows_per_block : j->rows;
        const float *w = j->w + (size_t)first * j->cols;
        double s = 0.0; /* double: the mean over millions decides every sign */
#pragma omp simd reduction(+ : s)
        for (size_t i = 0; i < (size_t)(last - first) * j->cols; i++)
            s += fabsf(w[i]);
        j->block_abs[b] = s;
    }
}

BN_VECTORIZE static void ternarize_rows(void *ctx, int begin, int end, int thread)
{
    weight_job *j = ctx;
    (void)thread;
    for (int r = begin; r < end; r++) {
        const float *restrict wr = j->w + (size_t)r * j->cols;
        uint8_t *restrict cr = j->codes + (size_t)r * j->kp;
        const float scale = j->scale;
        const int cols = j->cols; /* a local: the byte stores below may alias *j */
#pragma omp simd
        for (int c = 0; c < cols; c++) {
            float q = clampf(round_even(clampf(wr[c] * scale, -2.0f, 2.0f)), -1.0f, 1.0f);
            cr[c] = (uint8_t)(int)(q + 1.0f);
        }
        if (j->wq) {
            float *restrict qr = j->wq + (size_t)r * cols;
#pragma omp simd
            for (int c = 0; c < cols; c++)
                qr[c] = (float)cr[c] - 1.0f;
        }
        memset(cr + cols, 1, (size_t)(j->kp - cols));
    }
}

float bn_quant_weights(bn_threadpool *pool, float *wq, uint8_t *codes, const float *w,
                       int rows, int cols)
{
    double block_abs[SUM_BLOCKS];
    int per_block = (rows + SUM_BLOCKS - 1) / SUM_BLOCKS;
    if (per_block < 1)
        per_block = 1;
    int blocks = (rows + per_block - 1) / per_block;
    weight_job j = {.w = w, .wq = wq, .codes = codes, .block_abs = block_abs, .rows = rows,
                    .cols = cols, .kp = bn_kpad(cols), .rows_per_block = per_block};
    bn_parallel_for(pool, blocks, sum_abs_blocks, &j);
    double sum_abs = 0.0;
    for (int b = 0; b < blocks; b++)
        sum_abs += block_abs[b];
    size_t n = (size_t)rows * cols;
    float mean_abs = n ? (float)(sum_abs / (double)n) : 0.0f;
    j.scale = 1.0f / fmaxf(mean_abs, BN_QUANT_EPS);
    bn_parallel_for(pool, rows, ternarize_rows, &j);
    return j.scale;
}

/* ---------------------------------------------------------------- activations */

typedef struct {
    const float *x;
    float *xq, *scale;
    int8_t *xq_i8;
    int32_t *rowsum;
    int cols, kp;
} act_job;

BN_VECTORIZE static void quantize_rows(void *ctx, int begin, int end, int thread)
{
    const act_job *j = ctx;
    (void)thread;
    for (int r = begin; r < end; r++) {
        const float *restrict xr = j->x + (size_t)r * j->cols;
        float max_abs = 0.0f;
#pragma omp simd reduction(max : max_abs)
        for (int c = 0; c < j->cols; c++) {
            float a = fabsf(xr[c]);
            max_abs = a > max_abs ? a : max_abs;
        }
        float s = 127.0f / fmaxf(max_abs, BN_QUANT_EPS);
        j->scale[r] = s;
        float *restrict qr = j->xq + (size_t)r * j->cols;
        int8_t *restrict qi = j->xq_i8 + (size_t)r * j->kp;
        int32_t sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int c = 0; c < j->cols; c++) {
            float q = clampf(round_even(clampf(xr[c] * s, -129.0f, 128.0f)), -128.0f, 127.0f);
            qr[c] = q;
            qi[c] = (int8_t)q;
            sum += (int32_t)q;
        }
        memset(qi + j->cols, 0, (size_t)(j->kp - j->cols));
        j->rowsum[r] = sum;
    }
}

void bn_quant_activations(bn_threadpool *pool, float *xq, int8_t *xq_i8, int32_t *rowsum,
                          float *scale, const float *x, int rows, int cols)
{
    act_job j = {.x = x, .xq = xq, .scale = scale, .xq_i8 = xq_i8, .rowsum = rowsum,
                 .cols = cols, .kp = bn_kpad(cols)};
    bn_parallel_for(pool, rows, quantize_rows, &j);
}

/* ---------------------------------------------------------------- RMSNorm fused in */

typedef struct {
    const float *x, *g;
    float *rstd, *xq, *scale;
    int8_t *xq_i8;
    int32_t *rowsum;
    int cols, kp;
    float eps;
} norm_act_job;

/* One row never leaves L1: sum of squares, then max |x r g|, then the quantization of
 * x r g recomputed (the same expression both times, so the max is exact). */
BN_VECTORIZE static void norm_quantize_rows(void *ctx, int begin, int end, int thread)
{
    const norm_act_job *j = ctx;
    (void)thread;
    const int C = j->cols;
    const float *restrict g = j->g;
    for (int r = begin; r < end; r++) {
        const float *restrict xr = j->x + (size_t)r * C;
        float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
        for (int c = 0; c < C; c++)
            ss += xr[c] * xr[c];
        float rs = 1.0f / sqrtf(ss / (float)C + j->eps);
        j->rstd[r] = rs;
        float max_abs = 0.0f;
#pragma omp simd reduction(max : max_abs)
        for (int c = 0; c < C; c++) {
            float a = fabsf(xr[c] * rs * g[c]);
            max_abs = a > max_abs ? a : max_abs;
        }
        float s = 127.0f / fmaxf(max_abs, BN_QUANT_EPS);
        j->scale[r] = s;
        int8_t *restrict qi = j->xq_i8 + (size_t)r * j->kp;
        float *restrict qr = j->xq ? j->xq + (size_t)r * C : NULL;
        /* Two loops: with the int32 sum in the same loop as the int8 stores, GCC's vector
         * code was 3x slower (a tenth of a decoded token's time). */
#pragma omp simd
        for (int c = 0; c < C; c++)
            qi[c] = (int8_t)(int32_t)clampf(
                round_even(clampf(xr[c] * rs * g[c] * s, -129.0f, 128.0f)), -128.0f, 127.0f);
        int32_t sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int c = 0; c < C; c++)
            sum += qi[c];
        if (qr)
#pragma omp simd
            for (int c = 0; c < C; c++)
                qr[c] = (float)qi[c];
        memset(qi + C, 0, (size_t)(j->kp - C));
        j->rowsum[r] = sum;
    }
}

void bn_quant_normed_activations(bn_threadpool *pool, float *rstd, float *xq, int8_t *xq_i8,
                                 int32_t *rowsum, float *scale, const float *x, const float *g,
                                 int rows, int cols, float eps)
{
    norm_act_job j = {.x = x, .g = g, .rstd = rstd, .xq = xq, .scale = scale, .xq_i8 = xq_i8,
                      .rowsum = rowsum, .cols = cols, .kp = bn_kpad(cols), .eps = eps};
    bn_parallel_for(pool, rows, norm_quantize_rows, &j);
}
