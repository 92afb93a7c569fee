/* ternary_avx512.c - the ternary integer product with AVX-512 VNNI (see ternary_gemm.h).
 *
 * _mm512_dpbusd_epi32(acc, w, x) multiplies 64 unsigned weight codes {0,1,2} by 64 signed
 * activations and adds each group of 4 products into one of acc's 16 int32 lanes, so one
 * instruction covers a whole BN_KPAD = 64 column step of one (row of x, row of w) pair.
 * The code offset is removed at the end: sum x*(w+1) - x_rowsum = sum x*w.
 *
 * Blocking: 4 rows of x times 4 rows of w keep 16 zmm accumulators live; each 64-byte step
 * loads 4 x vectors and 4 w vectors (8 loads) for 16 dpbusd. The M % 4 and N % 4 edges use
 * 1-row and 1-column blocks of the same code. Each row's 4 accumulators are reduced
 * together into the 4 int32 outputs it owns (a small add/unpack tree rather than four full
 * horizontal sums).
 *
 * Compiled with a per-function target attribute, not -march: call only when
 * bn_cpu_has_avx512vnni() is true. */
#include "kernels/ternary_gemm.h"

#include <stddef.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#include "kernels/vnni.h"

#define BN_T512 BN_TVNNI
#define BN_INLINE static inline __attribute__((always_inline))

enum { MR = 4, NR = 4 }; /* the main register block: rows of x by rows of w */

/* The 16-lane partial sums of 4 accumulators a, b, c, d -> (sum a, sum b, sum c, sum d). */
BN_INLINE BN_T512 __m128i reduce4_512(__m512i a, __m512i b, __m512i c, __m512i d)
{
    /* per 128-bit lane: (a0+a2, b0+b2, a1+a3, b1+b3), then (a, b, c, d) */
    __m512i ab = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
    __m512i cd = _mm512_add_epi32(_mm512_unpacklo_epi32(c, d), _mm512_unpackhi_epi32(c, d));
    __m512i abcd =
        _mm512_add_epi32(_mm512_unpacklo_epi64(ab, cd), _mm512_unpackhi_epi64(ab, cd));
    /* add the four 128-bit lanes */
    __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(abcd), _mm512_extracti64x4_epi64(abcd, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* One mr x nr block (mr, nr <= 4, compile-time constants after inlining):
 * out[i*N + j] = sum_k x[i*Kp + k] * (w[j*Kp + k] - 1) for i < mr, j < nr. */
BN_INLINE BN_T512 void block_512(int32_t *out, const int8_t *x, const int32_t *x_rowsum,
                                 const uint8_t *w, int N, int Kp, int mr, int nr)
{
    const ptrdiff_t ld = Kp;
    __m512i acc[MR][NR];
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++)
            acc[i][j] = _mm512_setzero_si512();

    for (ptrdiff_t k = 0; k < Kp; k += 64) {
        __m512i xv[MR];
#pragma GCC unroll 4
        for (int i = 0; i < mr; i++)
            xv[i] = _mm512_loadu_si512((const void *)(x + i * ld + k));
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) {
            __m512i wv = _mm512_loadu_si512((const void *)(w + j * ld + k));
#pragma GCC unroll 4
            for (int i = 0; i < mr; i++)
                acc[i][j] = bn_dpbusd(acc[i][j], wv, xv[i]);
        }
    }

#pragma GCC unroll 4
    for (int i = 0; i < mr; i++) {
        int32_t *o = out + (ptrdiff_t)i * N;
        if (nr == 4) {
            __m128i s = reduce4_512(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
            _mm_storeu_si128((__m128i *)o, _mm_sub_epi32(s, _mm_set1_epi32(x_rowsum[i])));
        } else {
#pragma GCC unroll 4
            for (int j = 0; j < nr; j++)
                o[j] = _mm512_reduce_add_epi32(acc[i][j]) - x_rowsum[i];
        }
    }
}

BN_T512 void bn_ternary_gemm_avx512(int32_t *out, const int8_t *x, const int32_t *x_rowsum,
                                    const uint8_t *w_u8, int M, int N, int Kp)
{
    const int M4 = M - M % MR, N4 = N - N % NR;
    const ptrdiff_t ld = Kp;
    int n = 0;
    for (; n < N4; n += NR) { /* full 4-column strips of out */
        int m = 0;
        for (; m < M4; m += MR)
            block_512(out + (ptrdiff_t)m * N + n, x + m * ld, x_rowsum + m, w_u8 + n * ld, N,
                      Kp, MR, NR);
        for (; m < M; m++)
            block_512(out + (ptrdiff_t)m * N + n, x + m * ld, x_rowsum + m, w_u8 + n * ld, N,
                      Kp, 1, NR);
    }
    for (; n < N; n++) { /* the N % 4 leftover columns, one at a time */
        int m = 0;
        for (; m < M4; m += MR)
            block_512(out + (ptrdiff_t)m * N + n, x + m * ld, x_rowsum + m, w_u8 + n * ld, N,
                      Kp, MR, 1);
        for (; m < M; m++)
            block_512(out + (ptrdiff_t)m * N + n, x + m * ld, x_rowsum + m, w_u8 + n * ld, N,
                      Kp, 1, 1);
    }
}

#else /* not x86-64: never selected (bn_cpu_has_avx512vnni() is 0), but keep it correct */

void bn_ternary_gemm_avx512(int32_t *out, const int8_t *x, const int32_t *x_rowsum,
                            const uint8_t *w_u8, int M, int N, int Kp)
{
    bn_ternary_gemm_ref(out, x, x_rowsum, w_u8, M, N, Kp);
}

#endif
