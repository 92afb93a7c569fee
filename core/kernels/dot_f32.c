/* dot_f32.c - fp32 dot products of one vector with many rows (dot_f32.h).
 *
 * Every path sums a row in the one order dot_f32.h defines, so they give the same bits:
 * the plain C path spells it out; the vector paths keep 64 lanes in registers and reduce
 * 16 rows' lanes at once with a transpose-and-add tree (README, "Inference"). */
#include "kernels/dot_f32.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define LANES 64

/* The 16 partial sums a (after the lane quarters are added) -> the row's sum. */
static float tree16(const float a[16])
{
    float b[8], c[4], d[2];
    for (int j = 0; j < 8; j++)
        b[j] = a[j] + a[j + 8];
    for (int j = 0; j < 4; j++)
        c[j] = b[j] + b[j + 4];
    for (int j = 0; j < 2; j++)
        d[j] = c[j] + c[j + 2];
    return d[0] + d[1];
}

static float dot_row_plain(const float *x, const float *e, int K)
{
    float lane[LANES] = {0};
    for (int i = 0; i < K; i += LANES)
        for (int k = 0; k < LANES; k++) {
            int c = i + k;
            lane[k] = fmaf(c < K ? x[c] : 0.0f, c < K ? e[c] : 0.0f, lane[k]);
        }
    float a[16];
    for (int j = 0; j < 16; j++)
        a[j] = (lane[j] + lane[j + 16]) + (lane[j + 32] + lane[j + 48]);
    return tree16(a);
}

void bn_dot_rows_f32_ref(float *out, const float *x, const float *rows, int v0, int v1, int K)
{
    for (int v = v0; v < v1; v++)
        out[v] = dot_row_plain(x, rows + (size_t)v * K, K);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define BN_T2F __attribute__((target("avx2,fma")))
#define BN_T512F __attribute__((target("avx512f")))

/* AVX2: a row's 64 lanes in eight 8-float vectors, then the tree in registers. */
BN_T2F static float dot_row_avx2(const float *x, const float *e, int K)
{
    __m256 acc[8];
    for (int m = 0; m < 8; m++)
        acc[m] = _mm256_setzero_ps();
    for (int i = 0; i < K; i += LANES)
        for (int m = 0; m < 8; m++) {
            int c = i + 8 * m, left = K - c;
            if (left >= 8) {
                acc[m] =
                    _mm256_fmadd_ps(_mm256_loadu_ps(x + c), _mm256_loadu_ps(e + c), acc[m]);
            } else if (left > 0) {
                __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(left),
                                                  _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
                acc[m] = _mm256_fmadd_ps(_mm256_maskload_ps(x + c, mask),
                                         _mm256_maskload_ps(e + c, mask), acc[m]);
            } else {
                acc[m] = _mm256_fmadd_ps(_mm256_setzero_ps(), _mm256_setzero_ps(), acc[m]);
            }
        }
    __m256 lo = _mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[4], acc[6]));
    __m256 hi = _mm256_add_ps(_mm256_add_ps(acc[1], acc[3]), _mm256_add_ps(acc[5], acc[7]));
    __m256 b = _mm256_add_ps(lo, hi);
    __m128 c = _mm_add_ps(_mm256_castps256_ps128(b), _mm256_extractf128_ps(b, 1));
    __m128 d = _mm_add_ps(c, _mm_movehl_ps(c, c));
    return _mm_cvtss_f32(_mm_add_ss(d, _mm_shuffle_ps(d, d, 1)));
}

BN_T2F void bn_dot_rows_f32_avx2(float *out, const float *x, const float *rows, int v0, int v1,
                                 int K)
{
    for (int v = v0; v < v1; v++)
        out[v] = dot_row_avx2(x, rows + (size_t)v * K, K);
}

/* AVX-512: the lanes' mask for columns c .. c+15 of K (all when c + 16 <= K). */
BN_T512F static inline __mmask16 cols_mask(int c, int K)
{
    int left = K - c;
    return left >= 16 ? (__mmask16)0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
}

/* The 16 partial sums (a of dot_f32.h) of one row, as a vector, its lanes' sums of the
 * columns before i given in a0 .. a3. */
BN_T512F static inline __m512 row_partials_from(const float *x, const float *e, int K, int i,
                                                __m512 a0, __m512 a1, __m512 a2, __m512 a3)
{
    for (; i + LANES <= K; i += LANES) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(e + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(e + i + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 32), _mm512_loadu_ps(e + i + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 48), _mm512_loadu_ps(e + i + 48), a3);
    }
    if (i < K) {
        __mmask16 k0 = cols_mask(i, K), k1 = cols_mask(i + 16, K);
        __mmask16 k2 = cols_mask(i + 32, K), k3 = cols_mask(i + 48, K);
        a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k0, x + i), _mm512_maskz_loadu_ps(k0, e + i),
                             a0);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k1, x + i + 16),
                             _mm512_maskz_loadu_ps(k1, e + i + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k2, x + i + 32),
                             _mm512_maskz_loadu_ps(k2, e + i + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k3, x + i + 48),
                             _mm512_maskz_loadu_ps(k3, e + i + 48), a3);
    }
    return _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3));
}

/* Tree step 1 for rows r, s: (b of r, b of s), eight sums each. */
BN_T512F static inline __m512 fold8(__m512 r, __m512 s)
{
    return _mm512_add_ps(_mm512_shuffle_f32x4(r, s, 0x44), _mm512_shuffle_f32x4(r, s, 0xEE));
}

#define FMA4(acc, xv, off)                                                                 \
    do {                                                                                   \
        acc[0] = _mm512_fmadd_ps(xv, _mm512_loadu_ps(e + (off)), acc[0]);                  \
        acc[1] = _mm512_fmadd_ps(xv, _mm512_loadu_ps(e + n + (off)), acc[1]);              \
        acc[2] = _mm512_fmadd_ps(xv, _mm512_loadu_ps(e + 2 * n + (off)), acc[2]);          \
        acc[3] = _mm512_fmadd_ps(xv, _mm512_loadu_ps(e + 3 * n + (off)), acc[3]);          \
    } while (0)

/* The 64 columns at float offset off from e of four rows n floats apart, towards L1: the
 * embedding streams from L3, and the hardware prefetcher alone left the products waiting
 * (measured: the lm_head 12-15% faster; further ahead, or into L2 only, was not better).
 * Past the last row the address is only computed (as an integer) and prefetched, which
 * never faults. A macro: GCC 12 deletes a function made only of prefetches. */
#define PREFETCH4(e, off, n)                                                               \
    do {                                                                                   \
        uintptr_t at_ = (uintptr_t)(e) + sizeof(float) * (off);                            \
        for (int r_ = 0; r_ < 4; r_++, at_ += sizeof(float) * (n)) {                       \
            _mm_prefetch((const char *)at_, _MM_HINT_T0);                                  \
            _mm_prefetch((const char *)(at_ + 64), _MM_HINT_T0);                           \
            _mm_prefetch((const char *)(at_ + 128), _MM_HINT_T0);                          \
            _mm_prefetch((const char *)(at_ + 192), _MM_HINT_T0);                          \
        }                                                                                  \
    } while (0)

/* Rows e, e + K, e + 2K, e + 3K -> their c (four sums each, one row per 128-bit block).
 * Each load of x serves the four rows; the columns of a partial last chunk go through
 * row_partials_from. */
BN_T512F static inline __m512 four_rows(const float *x, const float *e, int K)
{
    size_t n = (size_t)K;
    const __m512 z = _mm512_setzero_ps();
    __m512 l0[4] = {z, z, z, z}, l1[4] = {z, z, z, z}, l2[4] = {z, z, z, z},
           l3[4] = {z, z, z, z};
    int main = K - K % LANES;
    for (int i = 0; i < main; i += LANES) {
        PREFETCH4(e, 4 * n + (size_t)i, n);
        FMA4(l0, _mm512_loadu_ps(x + i), i);
        FMA4(l1, _mm512_loadu_ps(x + i + 16), i + 16);
        FMA4(l2, _mm512_loadu_ps(x + i + 32), i + 32);
        FMA4(l3, _mm512_loadu_ps(x + i + 48), i + 48);
    }
    __m512 a[4];
    for (int r = 0; r < 4; r++)
        a[r] = row_partials_from(x, e + r * n, K, main, l0[r], l1[r], l2[r], l3[r]);
    __m512 t01 = fold8(a[0], a[1]), t23 = fold8(a[2], a[3]);
    return _mm512_add_ps(_mm512_shuffle_f32x4(t01, t23, 0x88),
                         _mm512_shuffle_f32x4(t01, t23, 0xDD));
}

/* Rows v .. v+15: tree steps 3 and 4 across the four c vectors, then the rows in order. */
BN_T512F static void sixteen_rows(float *out, const float *x, const float *e, int K)
{
    size_t n4 = (size_t)K * 4;
    __m512 u0 = four_rows(x, e, K), u1 = four_rows(x, e + n4, K);
    __m512 u2 = four_rows(x, e + 2 * n4, K), u3 = four_rows(x, e + 3 * n4, K);
    __m512 v = _mm512_add_ps(_mm512_shuffle_ps(u0, u1, 0x44), _mm512_shuffle_ps(u0, u1, 0xEE));
    __m512 w = _mm512_add_ps(_mm512_shuffle_ps(u2, u3, 0x44), _mm512_shuffle_ps(u2, u3, 0xEE));
    __m512 s = _mm512_add_ps(_mm512_shuffle_ps(v, w, 0x88), _mm512_shuffle_ps(v, w, 0xDD));
    /* lane 4q + m holds row q + 4m */
    const __m512i order =
        _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    _mm512_storeu_ps(out, _mm512_permutexvar_ps(order, s));
}

/* One row (the rows past the last 16): the same tree, b c d e, in registers. */
BN_T512F static float one_row(const float *x, const float *e, int K)
{
    const __m512 z = _mm512_setzero_ps();
    __m512 a = row_partials_from(x, e, K, 0, z, z, z, z);
    __m256 b = _mm256_add_ps(_mm512_castps512_ps256(a),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
    __m128 c = _mm_add_ps(_mm256_castps256_ps128(b), _mm256_extractf128_ps(b, 1));
    __m128 d = _mm_add_ps(c, _mm_movehl_ps(c, c));
    return _mm_cvtss_f32(_mm_add_ss(d, _mm_shuffle_ps(d, d, 1)));
}

BN_T512F void bn_dot_rows_f32_avx512(float *out, const float *x, const float *rows, int v0,
                                     int v1, int K)
{
    int v = v0;
    for (; v + 16 <= v1; v += 16)
        sixteen_rows(out + v, x, rows + (size_t)v * K, K);
    for (; v < v1; v++)
        out[v] = one_row(x, rows + (size_t)v * K, K);
}

void bn_dot_rows_f32(float *out, const float *x, const float *rows, int v0, int v1, int K)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        bn_dot_rows_f32_avx512(out, x, rows, v0, v1, K);
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        bn_dot_rows_f32_avx2(out, x, rows, v0, v1, K);
    else
        bn_dot_rows_f32_ref(out, x, rows, v0, v1, K);
}

#else

void bn_dot_rows_f32_avx2(float *out, const float *x, const float *rows, int v0, int v1, int K)
{
    bn_dot_rows_f32_ref(out, x, rows, v0, v1, K);
}

void bn_dot_rows_f32_avx512(float *out, const float *x, const float *rows, int v0, int v1,
                            int K)
{
    bn_dot_rows_f32_ref(out, x, rows, v0, v1, K);
}

void bn_dot_rows_f32(float *out, const float *x, const float *rows, int v0, int v1, int K)
{
    bn_dot_rows_f32_ref(out, x, rows, v0, v1, K);
}

#endif
