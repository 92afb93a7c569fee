/* ternary_gemv2.c - 2-bit packed ternary weights times one int8 row (ternary_gemv2.h). */
#include "kernels/ternary_gemv2.h"

#include <string.h>

void bn_t2_pack(uint8_t *w2, const uint8_t *codes, int N, int K, int Kp)
{
    int Kp2 = bn_kpad(K);
    for (int g = 0; g < (N + BN_T2_GROUP - 1) / BN_T2_GROUP; g++)
        for (int k = 0; k < Kp2; k++) {
            unsigned byte = 0;
            for (int s = 0; s < BN_T2_GROUP; s++) {
                int n = g * BN_T2_GROUP + s;
                unsigned code = n < N && k < K ? codes[(size_t)n * Kp + k] : 1u;
                byte |= (code & 3u) << (2 * s);
            }
            w2[(size_t)g * Kp2 + k] = (uint8_t)byte;
        }
}

void bn_t2_gemv_ref(int32_t *out, const int8_t *x, int32_t x_rowsum, const uint8_t *w2,
                    int n0, int n1, int K)
{
    int Kp = bn_kpad(K);
    for (int n = n0; n < n1; n++) {
        const uint8_t *w = w2 + (size_t)(n / BN_T2_GROUP) * Kp;
        int shift = 2 * (n % BN_T2_GROUP);
        int32_t acc = 0;
        for (int k = 0; k < Kp; k++)
            acc += (int32_t)x[k] * (int32_t)((w[k] >> shift) & 3u);
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

/* One packed 64-byte chunk of a group against the chunk's activations x. The bytes keep
 * their low 2, 4, 6 and all 8 bits (3 masks, not 4): a[s] sums code_0 + 4 code_1 + ... +
 * 4^s code_s times x, and a[s] - a[s-1] is 4^s times row s's sum, an exact multiple undone at
 * the end (a byte is at most 2 * 85, times 128, summed over K: far inside int32). */
#define CHUNK(a, p, x)                                                                     \
    do {                                                                                   \
        __m512i p_ = (p);                                                                  \
        a[0] = dpbusd(a[0], _mm512_and_si512(p_, m0), x);                                  \
        a[1] = dpbusd(a[1], _mm512_and_si512(p_, m1), x);                                  \
        a[2] = dpbusd(a[2], _mm512_and_si512(p_, m2), x);                                  \
        a[3] = dpbusd(a[3], p_, x);                                                        \
    } while (0)

#define MASKS                                                                              \
    const __m512i m0 = _mm512_set1_epi8(0x03), m1 = _mm512_set1_epi8(0x0F);                \
    const __m512i m2 = _mm512_set1_epi8(0x3F)

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

/* A group's four accumulators -> its four outputs: the prefix sums differenced, the 4^s
 * undone, minus the activations' sum (code - 1 is the weight). */
BN_T512 static inline void group_out(int32_t *out, const __m512i a[4], int32_t x_rowsum)
{
    __m128i prefix = reduce4(a[0], a[1], a[2], a[3]);
    __m128i rows = _mm_sub_epi32(prefix, _mm_slli_si128(prefix, 4));
    __m128i sums = _mm_srav_epi32(rows, _mm_setr_epi32(0, 2, 4, 6));
    _mm_storeu_si128((__m128i *)(void *)out, _mm_sub_epi32(sums, _mm_set1_epi32(x_rowsum)));
}

/* Four groups (16 rows) at a time: each activation vector is loaded once for them, and
 * sixteen independent accumulators keep the multiply-adds busy. */
BN_T512 static void rows16(int32_t *out, const int8_t *x, int32_t x_rowsum, const uint8_t *w,
                           int Kp)
{
    const __m512i z = _mm512_setzero_si512();
    __m512i a[4] = {z, z, z, z}, b[4] = {z, z, z, z}, c[4] = {z, z, z, z},
            e[4] = {z, z, z, z};
    MASKS;
    const uint8_t *w1 = w + Kp, *w2 = w1 + Kp, *w3 = w2 + Kp;
    for (int k = 0; k < Kp; k += 64) {
        __m512i xv = _mm512_loadu_si512((const void *)(x + k));
        CHUNK(a, _mm512_loadu_si512((const void *)(w + k)), xv);
        CHUNK(b, _mm512_loadu_si512((const void *)(w1 + k)), xv);
        CHUNK(c, _mm512_loadu_si512((const void *)(w2 + k)), xv);
        CHUNK(e, _mm512_loadu_si512((const void *)(w3 + k)), xv);
    }
    group_out(out, a, x_rowsum);
    group_out(out + 4, b, x_rowsum);
    group_out(out + 8, c, x_rowsum);
    group_out(out + 12, e, x_rowsum);
}

/* One group (the groups past the last 16 rows). */
BN_T512 static void rows4(int32_t *out, const int8_t *x, int32_t x_rowsum, const uint8_t *w,
                          int Kp)
{
    const __m512i z = _mm512_setzero_si512();
    __m512i a[4] = {z, z, z, z};
    MASKS;
    for (int k = 0; k < Kp; k += 64)
        CHUNK(a, _mm512_loadu_si512((const void *)(w + k)),
              _mm512_loadu_si512((const void *)(x + k)));
    group_out(out, a, x_rowsum);
}

BN_T512 void bn_t2_gemv_avx512(int32_t *out, const int8_t *x, int32_t x_rowsum,
                               const uint8_t *w2, int n0, int n1, int K)
{
    int Kp = bn_kpad(K), n = n0;
    for (; n + BN_T2_BLOCK <= n1; n += BN_T2_BLOCK)
        rows16(out + n, x, x_rowsum, w2 + (size_t)(n / BN_T2_GROUP) * Kp, Kp);
    for (; n + BN_T2_GROUP <= n1; n += BN_T2_GROUP)
        rows4(out + n, x, x_rowsum, w2 + (size_t)(n / BN_T2_GROUP) * Kp, Kp);
    if (n < n1) { /* a last group of 1 to 3 rows (its padding rows are weight 0) */
        int32_t part[BN_T2_GROUP];
        rows4(part, x, x_rowsum, w2 + (size_t)(n / BN_T2_GROUP) * Kp, Kp);
        memcpy(out + n, part, sizeof(int32_t) * (size_t)(n1 - n));
    }
}

#else

void bn_t2_gemv_avx512(int32_t *out, const int8_t *x, int32_t x_rowsum, const uint8_t *w2,
                       int n0, int n1, int K)
{
    bn_t2_gemv_ref(out, x, x_rowsum, w2, n0, n1, K);
}

#endif
