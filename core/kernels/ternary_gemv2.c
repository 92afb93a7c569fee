/* ternary_gemv2.c - 2-bit packed ternary weights times one int8 row (ternary_gemv2.h). */
#include "kernels/ternary_gemv2.h"

#include <string.h>

void bn_t2_pack(uint8_t *w2, const uint8_t *codes, int N, int K, int Kp)
{
    int K2 = bn_kpad2(K), row_bytes = K2 / 4;
    for (int n = 0; n < N; n++) {
        uint8_t *dst = w2 + (size_t)n * row_bytes;
        const uint8_t *src = codes + (size_t)n * Kp;
        for (int b = 0; b < K2 / 256; b++)
            for (int j = 0; j < 64; j++) {
                unsigned byte = 0;
                for (int s = 0; s < 4; s++) {
                    int k = b * 256 + s * 64 + j;
                    unsigned code = k < K ? src[k] : 1u;
                    byte |= (code & 3u) << (2 * s);
                }
                dst[b * 64 + j] = (uint8_t)byte;
            }
    }
}

void bn_t2_gemv_ref(int32_t *out, const int8_t *x, int32_t x_rowsum, const uint8_t *w2,
                    int n0, int n1, int K)
{
    int K2 = bn_kpad2(K), row_bytes = K2 / 4;
    for (int n = n0; n < n1; n++) {
        const uint8_t *w = w2 + (size_t)n * row_bytes;
        int32_t acc = 0;
        for (int k = 0; k < K2; k++) {
            int b = k / 256, s = (k % 256) / 64, j = k % 64;
            acc += (int32_t)x[k] * (int32_t)((w[b * 64 + j] >> (2 * s)) & 3u);
        }
        out[n] = acc - x_rowsum;
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define BN_T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

/* acc + dpbusd(w u8, x s8), written out for GCC as ternary_avx512.c does (its intrinsic
 * costs a register copy per accumulator). */
static inline __attribute__((always_inline)) BN_T512 __m512i dpbusd(__m512i acc, __m512i w,
                                                                   __m512i x)
{
#if defined(__GNUC__) && !defined(__clang__)
    __asm__("vpdpbusd {%2, %1, %0|%0, %1, %2}" : "+v"(acc) : "v"(w), "vm"(x));
    return acc;
#else
    return _mm512_dpbusd_epi32(acc, w, x);
#endif
}

/* One packed 64-byte group of a row against the block's four activation vectors. Each
 * 2-bit field is masked in place, not shifted down: field s then holds code * 4^s, and
 * a[s] sums 4^s times the products, an exact multiple undone at the end (4 ops a field
 * fewer; the largest masked byte, 2 * 64, times 128 stays far inside int32). */
#define GROUP(a, p)                                                                        \
    do {                                                                                   \
        __m512i p_ = (p);                                                                  \
        a[0] = dpbusd(a[0], _mm512_and_si512(p_, m0), x0);                                 \
        a[1] = dpbusd(a[1], _mm512_and_si512(p_, m1), x1);                                 \
        a[2] = dpbusd(a[2], _mm512_and_si512(p_, m2), x2);                                 \
        a[3] = dpbusd(a[3], _mm512_and_si512(p_, m3), x3);                                 \
    } while (0)

/* 64 * the row's sums, per lane: a[s] holds 4^s times them. */
BN_T512 static inline __m512i combine(const __m512i a[4])
{
    return _mm512_add_epi32(_mm512_add_epi32(_mm512_slli_epi32(a[0], 6),
                                             _mm512_slli_epi32(a[1], 4)),
                            _mm512_add_epi32(_mm512_slli_epi32(a[2], 2), a[3]));
}

/* The 16-lane sums of a, b, c, d -> (sum a, sum b, sum c, sum d) (as ternary_avx512.c). */
BN_T512 static inline __m128i reduce4(__m512i a, __m512i b, __m512i c, __m512i d)
{
    __m512i ab = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
    __m512i cd = _mm512_add_epi32(_mm512_unpacklo_epi32(c, d), _mm512_unpackhi_epi32(c, d));
    __m512i abcd =
        _mm512_add_epi32(_mm512_unpacklo_epi64(ab, cd), _mm512_unpackhi_epi64(ab, cd));
    __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(abcd),
                                 _mm512_extracti64x4_epi64(abcd, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* Four rows at a time: the four 64-column activation vectors of a block are loaded once
 * and serve every row. */
BN_T512 static void rows4(int32_t *out, const int8_t *x, int32_t x_rowsum, const uint8_t *w,
                          int row_bytes, int blocks)
{
    const __m512i z = _mm512_setzero_si512();
    __m512i a[4] = {z, z, z, z}, b1[4] = {z, z, z, z}, c[4] = {z, z, z, z},
            e[4] = {z, z, z, z};
    const __m512i m0 = _mm512_set1_epi8(0x03), m1 = _mm512_set1_epi8(0x0C);
    const __m512i m2 = _mm512_set1_epi8(0x30), m3 = _mm512_set1_epi8((char)0xC0);
    const uint8_t *w0 = w, *w1 = w + row_bytes, *w2 = w1 + row_bytes, *w3 = w2 + row_bytes;
    for (int b = 0; b < blocks; b++) {
        const int8_t *xb = x + b * 256;
        __m512i x0 = _mm512_loadu_si512((const void *)xb);
        __m512i x1 = _mm512_loadu_si512((const void *)(xb + 64));
        __m512i x2 = _mm512_loadu_si512((const void *)(xb + 128));
        __m512i x3 = _mm512_loadu_si512((const void *)(xb + 192));
        GROUP(a, _mm512_loadu_si512((const void *)(w0 + b * 64)));
        GROUP(b1, _mm512_loadu_si512((const void *)(w1 + b * 64)));
        GROUP(c, _mm512_loadu_si512((const void *)(w2 + b * 64)));
        GROUP(e, _mm512_loadu_si512((const void *)(w3 + b * 64)));
    }
    __m128i sums = _mm_srai_epi32(reduce4(combine(a), combine(b1), combine(c), combine(e)), 6);
    _mm_storeu_si128((__m128i *)(void *)out, _mm_sub_epi32(sums, _mm_set1_epi32(x_rowsum)));
}

BN_T512 void bn_t2_gemv_avx512(int32_t *out, const int8_t *x, int32_t x_rowsum,
                               const uint8_t *w2, int n0, int n1, int K)
{
    int row_bytes = bn_kpad2(K) / 4, blocks = bn_kpad2(K) / 256, n = n0;
    for (; n + 4 <= n1; n += 4)
        rows4(out + n, x, x_rowsum, w2 + (size_t)n * row_bytes, row_bytes, blocks);
    if (n < n1)
        bn_t2_gemv_ref(out, x, x_rowsum, w2, n, n1, K);
}

#else

void bn_t2_gemv_avx512(int32_t *out, const int8_t *x, int32_t x_rowsum, const uint8_t *w2,
                       int n0, int n1, int K)
{
    bn_t2_gemv_ref(out, x, x_rowsum, w2, n0, n1, K);
}

#endif
