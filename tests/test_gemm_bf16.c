/* test_gemm_bf16.c - the bf16 products (core/kernels/gemm_bf16.h): rounding, the four
 * packers' layouts (panels also from the transpose, for the lm_head), and the product on
 * every path this CPU has (AVX512_BF16, and AMX where present) against a double-precision
 * sum of the same bf16-rounded operands, over awkward shapes, with and without
 * accumulation, on 1 and 2 threads (which must agree bit for bit). Skipped (77) without
 * AVX512_BF16 (then neither path exists). */
#include "kernels/gemm_bf16.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1), times 2^e for e in [-8, 8]: values across many exponents. */
static float rand_float(void)
{
    double u = (double)(rng_next() >> 11) / 9007199254740992.0 * 2.0 - 1.0;
    int e = (int)(rng_next() % 17) - 8;
    return (float)ldexp(u, e);
}

static float as_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static float round_bf16(float f) { return bn_bf16_to_float(bn_bf16_from_float(f)); }

static void test_rounding(void)
{
    CHECK(bn_bf16_from_float(1.0f) == 0x3f80, "1.0");
    CHECK(bn_bf16_from_float(-2.0f) == 0xc000, "-2.0");
    /* 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0) */
    CHECK(bn_bf16_from_float(as_float(0x3f808000u)) == 0x3f80, "tie to even, down");
    CHECK(bn_bf16_from_float(as_float(0x3f818000u)) == 0x3f82, "tie to even, up");
    CHECK(bn_bf16_from_float(as_float(0x3f808001u)) == 0x3f81, "above the tie");
    CHECK(bn_bf16_from_float(as_float(0x7f7fffffu)) == 0x7f80, "max float rounds to inf");
    uint16_t nan = bn_bf16_from_float(as_float(0x7fc00001u));
    CHECK((nan & 0x7f80) == 0x7f80 && (nan & 0x7f) != 0, "NaN stays NaN (%04x)", nan);
    CHECK(bn_bf16_from_float(as_float(0x80000001u)) == 0x8000, "denormal -> signed zero");
    for (int v = -128; v <= 127; v++)
        CHECK(bn_bf16_to_float(bn_bf16_from_float((float)v)) == (float)v, "%d exact", v);
}

/* The vector converter (pack_rows) rounds exactly like the scalar one, ties included. */
static void test_vector_rounding(bn_threadpool *pool)
{
    enum { N = 4099 };
    float *src = malloc(sizeof(float) * N);
    bn_bf16 *dst = malloc(sizeof(bn_bf16) * (size_t)bn_bf16_row_ld(N));
    for (int i = 0; i < N; i++) {
        uint32_t u = (uint32_t)rng_next();
        if (i % 3 == 0)
            u = (u & 0xffff0000u) | 0x8000u; /* exact ties */
        if (i % 7 == 0)
            u &= 0x807fffffu; /* denormals */
        src[i] = as_float(u);
        if (isnan(src[i]))
            src[i] = 1.0f;
    }
    bn_bf16_pack_rows(pool, dst, src, N, 1, N);
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += dst[i] != bn_bf16_from_float(src[i]);
    CHECK(bad == 0, "%d of %d vector conversions differ from the scalar one", bad, N);
    int pad_ok = 1;
    for (int i = N; i < bn_bf16_pair_ld(N); i++)
        pad_ok &= dst[i] == 0;
    CHECK(pad_ok, "the row is zero-padded to a multiple of 32");
    free(src);
    free(dst);
}

static void test_pack_layouts(bn_threadpool *pool)
{
    const int K = 7, N = 45, M = 19; /* odd K, N not a multiple of 32, M not of 16 */
    float *src = malloc(sizeof(float) * K * 64);
    for (int i = 0; i < K * 64; i++)
        src[i] = rand_float();
    float div[7] = {1, 2, 4, 0.5f, 3, 1, 8};

    size_t psize = bn_bf16_panels_size(K, N);
    bn_bf16 *panels = malloc(sizeof(bn_bf16) * psize);
    memset(panels, 0xff, sizeof(bn_bf16) * psize);
    bn_bf16_pack_panels(pool, panels, src, 64, K, N);
    int pairs = bn_bf16_pair_ld(K) / 2, bad = 0;
    for (int p = 0; p < pairs; p++)
        for (int n = 0; n < 64; n++)
            for (int h = 0; h < 2; h++) {
                int k = 2 * p + h;
                float want = k < K && n < N ? round_bf16(src[k * 64 + n]) : 0.0f;
                bn_bf16 got = panels[((size_t)(n / 32) * pairs + p) * 64 + (n % 32) * 2 + h];
                bad += bn_bf16_to_float(got) != want;
            }
    CHECK(bad == 0, "panels: %d misplaced elements", bad);

    /* from int8 rows: the same panels as from the same values in float */
    int8_t *src8 = malloc((size_t)K * 64);
    for (int i = 0; i < K * 64; i++) {
        src8[i] = (int8_t)(rng_next() % 256 - 128);
        src[i] = (float)src8[i];
    }
    bn_bf16 *panels8 = malloc(sizeof(bn_bf16) * psize);
    bn_bf16_pack_panels(pool, panels, src, 64, K, N);
    bn_bf16_pack_panels_i8(pool, panels8, src8, 64, K, N);
    CHECK(memcmp(panels, panels8, sizeof(bn_bf16) * psize) == 0, "int8 panels differ");
    free(src8);
    free(panels8);
    for (int i = 0; i < K * 64; i++)
        src[i] = rand_float();

    /* on whole cache lines (streaming stores) and 32 bytes off them (plain stores) */
    int ld = bn_bf16_row_ld(K);
    size_t rows_size = sizeof(bn_bf16) * ((size_t)bn_bf16_rows(M) * ld + 16);
    bn_bf16 *lines = aligned_alloc(64, (rows_size + 63) / 64 * 64);
    for (int off = 0; off <= 16; off += 16) {
        bn_bf16 *rows = lines + off;
        bn_bf16_pack_transposed(pool, rows, src, 64, div, K, M);
        bad = 0;
        for (int m = 0; m < M; m++)
            for (int k = 0; k < bn_bf16_pair_ld(K); k++) {
                float want = k < K ? round_bf16(src[k * 64 + m] * (1.0f / div[k])) : 0.0f;
                bad += bn_bf16_to_float(rows[(size_t)m * ld + k]) != want;
            }
        CHECK(bad == 0, "transposed, %d bf16 past a line: %d wrong elements", off, bad);
    }
    free(src);
    free(panels);
    free(lines);
}

/* Panels from the transpose (bn_bf16_pack_panels_t) are the panels of the transposed
 * matrix, padding included, for shapes that cut a panel, a 16-pair block and a 16-value
 * half: each of N source rows holds K values of B's column. */
static void test_pack_panels_t(bn_threadpool *pool)
{
    static const int shapes[][2] = {{7, 45}, {33, 17}, {64, 64}, {100, 33}, {1, 1}, {40, 96}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int K = shapes[s][0], N = shapes[s][1], ld = K + 3;
        float *src = malloc(sizeof(float) * (size_t)N * ld); /* (N, K) with a wider stride */
        float *t = malloc(sizeof(float) * (size_t)K * N);    /* its transpose (K, N) */
        for (int n = 0; n < N; n++)
            for (int k = 0; k < ld; k++)
                src[(size_t)n * ld + k] = rand_float();
        for (int k = 0; k < K; k++)
            for (int n = 0; n < N; n++)
                t[(size_t)k * N + n] = src[(size_t)n * ld + k];
        size_t size = bn_bf16_panels_size(K, N);
        bn_bf16 *want = malloc(sizeof(bn_bf16) * size), *got = malloc(sizeof(bn_bf16) * size);
        memset(got, 0xff, sizeof(bn_bf16) * size);
        bn_bf16_pack_panels(pool, want, t, N, K, N);
        bn_bf16_pack_panels_t(pool, got, src, ld, K, N);
        CHECK(memcmp(want, got, sizeof(bn_bf16) * size) == 0,
              "panels from the transpose, K=%d N=%d: not the panels of B", K, N);
        free(src), free(t), free(want), free(got);
    }
}

/* C = [C +] alpha * A . B against double sums of the bf16-rounded operands. */
static void check_product(bn_threadpool *pool1, bn_threadpool *pool2, bn_bf16_path path,
                          int M, int N, int K, int accumulate)
{
    float *a = malloc(sizeof(float) * (size_t)M * K + 4);
    float *b = malloc(sizeof(float) * (size_t)K * N + 4);
    for (size_t i = 0; i < (size_t)M * K; i++)
        a[i] = rand_float();
    for (size_t i = 0; i < (size_t)K * N; i++)
        b[i] = (float)((int)(rng_next() % 3) - 1); /* like Wq */
    int lda = bn_bf16_row_ld(K);
    bn_bf16 *ap = malloc(sizeof(bn_bf16) * (size_t)bn_bf16_rows(M) * lda);
    bn_bf16 *bp = malloc(sizeof(bn_bf16) * bn_bf16_panels_size(K, N));
    bn_bf16_pack_rows(pool1, ap, a, K, M, K);
    bn_bf16_pack_panels(pool1, bp, b, N, K, N);

    /* 64-byte aligned like the engine's buffers: rows of 1024 values take streaming stores */
    size_t c_bytes = (sizeof(float) * (size_t)M * N + 4 + 63) / 64 * 64;
    float *c1 = aligned_alloc(64, c_bytes), *c2 = aligned_alloc(64, c_bytes);
    for (size_t i = 0; i < (size_t)M * N; i++)
        c1[i] = c2[i] = accumulate ? rand_float() : NAN; /* overwrite must ignore C */
    float *c0 = malloc(sizeof(float) * (size_t)M * N + 4);
    memcpy(c0, c1, sizeof(float) * (size_t)M * N);
    const float alpha = 0.375f;
    bn_bf16_gemm(pool1, path, c1, N, ap, lda, bp, M, N, K, alpha, accumulate);
    bn_bf16_gemm(pool2, path, c2, N, ap, lda, bp, M, N, K, alpha, accumulate);

    double worst = 0;
    int same = memcmp(c1, c2, sizeof(float) * (size_t)M * N) == 0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double sum = 0, mag = 0;
            for (int k = 0; k < K; k++) {
                double t = (double)round_bf16(a[(size_t)m * K + k]) * b[(size_t)k * N + n];
                sum += t;
                mag += fabs(t);
            }
            double want = alpha * sum + (accumulate ? c0[(size_t)m * N + n] : 0.0);
            double scale = alpha * mag + (accumulate ? fabs(c0[(size_t)m * N + n]) : 0.0);
            double err = fabs(c1[(size_t)m * N + n] - want) / (scale > 0 ? scale : 1.0);
            if (!(err <= worst))
                worst = isnan(err) ? INFINITY : err;
        }
    /* fp32 accumulation over K terms: error <= ~K * 2^-24 relative to the sum of magnitudes;
     * 1e-5 covers K up to ~160 at the bound and far more in practice (a random walk: about
     * sqrt(K) * 2^-24, 3e-6 at K = 3072). */
    const char *name = bn_bf16_path_name(path);
    CHECK(worst < 1e-5, "%s M=%d N=%d K=%d acc=%d: worst relative error %.3g", name, M, N, K,
          accumulate, worst);
    CHECK(same, "%s M=%d N=%d K=%d: 1 and 2 threads differ", name, M, N, K);
    free(a), free(b), free(ap), free(bp), free(c0), free(c1), free(c2);
}

/* Every shape on one path: the AMX and AVX512 blockings' edges (32 x 32 and 12 x 32
 * blocks, odd K, one-column and one-row products), the real backward's sizes in K, and rows
 * a multiple of 1024 values long (the AVX512 path's streaming stores). */
static void check_path(bn_threadpool *pool1, bn_threadpool *pool2, bn_bf16_path path)
{
    static const int shapes[][3] = {
        {1, 1, 1},      {1, 32, 2},     {8, 32, 256},    {3, 17, 5},    {9, 33, 257},
        {17, 255, 64},  {64, 64, 300},  {100, 96, 513},  {255, 3, 31},  {130, 384, 768},
        {11, 31, 3},    {12, 32, 64},   {13, 33, 65},    {24, 1, 7},    {25, 63, 130},
        {36, 65, 33},   {47, 96, 3072}, {200, 40, 1000}, {2, 200, 4096}, {61, 7, 1},
        {30, 1024, 100}, {13, 2048, 40},
    };
    printf("test_gemm_bf16: the product on %s\n", bn_bf16_path_name(path));
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int acc = 0; acc <= 1; acc++)
            check_product(pool1, pool2, path, shapes[i][0], shapes[i][1], shapes[i][2], acc);
}

int main(void)
{
    bn_bf16_path best = bn_bf16_backward_available();
    if (best == BN_BF16_NONE) {
        printf("test_gemm_bf16: no AVX512_BF16 here (so no AMX-BF16 either), skipped\n");
        return 77;
    }
    bn_error err = {0};
    bn_threadpool *pool1 = NULL, *pool2 = NULL;
    if (bn_threadpool_create(&pool1, 1, &err) != BN_OK ||
        bn_threadpool_create(&pool2, 2, &err) != BN_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    test_rounding();
    test_vector_rounding(pool2);
    test_pack_layouts(pool2);
    test_pack_panels_t(pool2);
    check_path(pool1, pool2, BN_BF16_AVX512); /* every CPU with a path has this one */
    if (best == BN_BF16_AMX)
        check_path(pool1, pool2, BN_BF16_AMX);
    else
        printf("test_gemm_bf16: no AMX-BF16 here, the AMX product not tested\n");
    bn_threadpool_destroy(pool1);
    bn_threadpool_destroy(pool2);
    return check_exit("test_gemm_bf16");
}
