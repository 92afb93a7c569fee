/* ternary_gemv2.c - 2-bit packed ternary weights times one int8 row (ternary_gemv2.h). */
#include "kernels/ternary_gemv2.h"

#include <string.h>

/* Byte offset of (row n, column k) in w2, and the shift of its field there. */
static size_t t2_at(int n, int k, int K, int *shift)
{
    int r = n % BN_T2_BLOCK;
    *shift = 2 * (r / 16);
    return (size_t)(n / BN_T2_BLOCK) * 16 * (size_t)bn_t2_kq(K) + (size_t)(k / 4) * 64 +
           (size_t)(4 * (r % 16) + k % 4);
}

void bn_t2_pack(uint8_t *w2, const uint8_t *codes, int N, int K, int Kp)
{
    int blocks = (N + BN_T2_BLOCK - 1) / BN_T2_BLOCK, Kq = bn_t2_kq(K);
    memset(w2, 0, bn_t2_size(N, K));
    for (int n = 0; n < blocks * BN_T2_BLOCK; n++)
        for (int k = 0; k < Kq; k++) {
            int shift;
            size_t at = t2_at(n, k, K, &shift);
            unsigned code = n < N && k < K ? codes[(size_t)n * Kp + k] : 1u;
            w2[at] = (uint8_t)(w2[at] | (code & 3u) << shift);
        }
}

void bn_t2_gemv_ref(int32_t *out, const int8_t *x, int32_t x_rowsum, const uint8_t *w2,
                    int n0, int n1, int K)
{
    int Kq = bn_t2_kq(K);
    for (int n = n0; n < n1; n++) {
        int32_t acc = 0;
        for (int k = 0; k < Kq; k++) {
            int shift;
            size_t at = t2_at(n, k, K, &shift);
            acc += (int32_t)x[k] * (int32_t)((w2[at] >> shift) & 3u);
        }
        out[n] = acc - x_rowsum;
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#include "kernels/vnni.h"

#define BN_T512 BN_TVNNI

/* Four columns of the block's 64 rows (one 64-byte load) against those columns' four
 * activations, broadcast to every lane: lane i of a[s] sums the products of row 16s + i, so
 * no lanes are ever added across. The bytes keep their low 2, 4, 6 and all 8 bits (3 masks,
 * not 4): a[s] sums (code_0 + 4 code_1 + ... + 4^s code_s) x over the four row sets, and
 * a[s] - a[s-1] is 4^s times set s's sums, an exact multiple undone at the end (a byte is at
 * most 2 * 85, times 128, summed over K: far inside int32). */
#define QUAD(a, p, xb)                                                                     \
    do {                                                                                   \
        __m512i p_ = (p), x_ = (xb);                                                       \
        a[0] = bn_dpbusd(a[0], _mm512_and_si512(p_, m0), x_);                              \
        a[1] = bn_dpbusd(a[1], _mm512_and_si512(p_, m1), x_);                              \
        a[2] = bn_dpbusd(a[2], _mm512_and_si512(p_, m2), x_);                              \
        a[3] = bn_dpbusd(a[3], p_, x_);                                                    \
    } while (0)

BN_T512 static inline __m512i x4(const int8_t *x)
{
    int32_t v;
    memcpy(&v, x, sizeof v);
    return _mm512_set1_epi32(v);
}

/* One block of 64 rows -> out[0 .. 63]. Two sets of accumulators (even and odd column
 * quads) keep eight multiply-add chains in flight; they are added at the end. */
BN_T512 static void block64(int32_t *out, const int8_t *x, int32_t x_rowsum, const uint8_t *w,
                            int Kq)
{
    const __m512i z = _mm512_setzero_si512();
    const __m512i m0 = _mm512_set1_epi8(0x03), m1 = _mm512_set1_epi8(0x0F);
    const __m512i m2 = _mm512_set1_epi8(0x3F);
    __m512i a[4] = {z, z, z, z}, b[4] = {z, z, z, z};
    int q = 0, quads = Kq / 4;
    for (; q + 2 <= quads; q += 2) {
        QUAD(a, _mm512_loadu_si512((const void *)(w + (size_t)q * 64)), x4(x + 4 * q));
        QUAD(b, _mm512_loadu_si512((const void *)(w + (size_t)q * 64 + 64)), x4(x + 4 * q + 4));
    }
    if (q < quads)
        QUAD(a, _mm512_loadu_si512((const void *)(w + (size_t)q * 64)), x4(x + 4 * q));
    const __m512i rs = _mm512_set1_epi32(x_rowsum);
    __m512i prev = z;
    for (int s = 0; s < 4; s++) {
        __m512i cur = _mm512_add_epi32(a[s], b[s]);
        __m512i set = _mm512_srai_epi32(_mm512_sub_epi32(cur, prev), (unsigned)(2 * s));
        _mm512_storeu_si512((void *)(out + 16 * s), _mm512_sub_epi32(set, rs));
        prev = cur;
    }
}

BN_T512 void bn_t2_gemv_avx512(int32_t *out, const int8_t *x, int32_t x_rowsum,
                               const uint8_t *w2, int n0, int n1, int K)
{
    int Kq = bn_t2_kq(K), n = n0;
    size_t block_bytes = 16 * (size_t)Kq;
    for (; n + BN_T2_BLOCK <= n1; n += BN_T2_BLOCK)
        block64(out + n, x, x_rowsum, w2 + (size_t)(n / BN_T2_BLOCK) * block_bytes, Kq);
    if (n < n1) { /* a last block cut short (its padding rows are weight 0) */
        int32_t part[BN_T2_BLOCK];
        block64(part, x, x_rowsum, w2 + (size_t)(n / BN_T2_BLOCK) * block_bytes, Kq);
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
