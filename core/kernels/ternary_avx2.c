/* ternary_avx2.c - the ternary integer product with AVX2 (see ternary_gemm.h).
 *
 * _mm256_maddubs_epi16(w, x) multiplies 32 unsigned weight codes {0,1,2} by 32 signed
 * activations and adds adjacent pairs into int16. Since codes <= 2 a pair lies in
 * [-512, 508], so it never saturates, and up to 64 such results can be summed in int16
 * without overflow; the kernel sums KCHUNK / 32 = 32 of them (chunks of 1024 columns) before
 * _mm256_madd_epi16 with ones widens the int16 sums to int32. That leaves one multiply-type
 * instruction per 32 columns instead of two. The code offset is removed at the end:
 * sum x*(w+1) - x_rowsum = sum x*w.
 *
 * Blocking: 2 rows of x times 4 rows of w keep 8 ymm int16 accumulators live (of 16 ymm
 * registers, leaving room for the w, x and product vectors). Each 32-column step loads 4 w
 * and 2 x vectors for 8 maddubs + 8 adds. At the end of a chunk each row's 4 accumulators
 * are widened and reduced together (hadd) into an xmm of 4 int32 totals. The M % 2 and
 * N % 4 edges use 1-row and 1-column blocks of the same code.
 *
 * Compiled with a per-function target attribute, not -march: call only when
 * bn_cpu_has_avx2() is true. */
#include "kernels/ternary_gemm.h"

#include <stddef.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define BN_TAVX2 __attribute__((target("avx2")))
#define BN_INLINE static inline __attribute__((always_inline))

enum { MR = 2, NR = 4 }; /* the main register block: rows of x by rows of w */

/* Columns summed in int16 before widening: each maddubs lane is in [-512, 508] and a chunk
 * adds KCHUNK / 32 of them, at most 32 * 512 = 16384 in magnitude (half the int16 range). */
enum { KCHUNK = 1024 };

/* The 8-lane partial sums of 4 accumulators a, b, c, d -> (sum a, sum b, sum c, sum d). */
BN_INLINE BN_TAVX2 __m128i reduce4_avx2(__m256i a, __m256i b, __m256i c, __m256i d)
{
    /* per 128-bit lane: (a, b, c, d) partial sums, then add the two lanes */
    __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* One mr x nr block (mr <= 2, nr <= 4, compile-time constants after inlining):
 * out[i*N + j] = sum_k x[i*Kp + k] * (w[j*Kp + k] - 1) for i < mr, j < nr. */
BN_INLINE BN_TAVX2 void block_avx2(int32_t *out, const int8_t *x, const int32_t *x_rowsum,
                                   const uint8_t *w, int N, int Kp, int mr, int nr)
{
    const ptrdiff_t ld = Kp;
    __m128i tot[MR]; /* row i: the int32 sums for columns 0..3 (lanes j >= nr stay 0) */
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++)
        tot[i] = _mm_setzero_si128();

    for (ptrdiff_t k0 = 0; k0 < Kp; k0 += KCHUNK) {
        const ptrdiff_t kend = Kp - k0 < KCHUNK ? Kp : k0 + KCHUNK;
        __m256i acc[MR][NR]; /* int16 pair sums over this chunk */
#pragma GCC unroll 4
        for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
            for (int j = 0; j < nr; j++)
                acc[i][j] = _mm256_setzero_si256();

        for (ptrdiff_t k = k0; k < kend; k += 32) {
#pragma GCC unroll 4
            for (int j = 0; j < nr; j++) {
                __m256i wv = _mm256_loadu_si256((const __m256i *)(w + j * ld + k));
#pragma GCC unroll 4
                for (int i = 0; i < mr; i++) {
                    __m256i xv = _mm256_loadu_si256((const __m256i *)(x + i * ld + k));
                    acc[i][j] = _mm256_add_epi16(acc[i][j], _mm256_maddubs_epi16(wv, xv));
                }
            }
        }

        /* widen to int32 (madd with ones) and fold the chunk into the row totals */
        const __m256i ones = _mm256_set1_epi16(1);
#pragma GCC unroll 4
        for (int i = 0; i < mr; i++) {
            __m256i v[NR];
#pragma GCC unroll 4
            for (int j = 0; j < NR; j++)
                v[j] = j < nr ? _mm256_madd_epi16(acc[i][j], ones) : _mm256_setzero_si256();
            tot[i] = _mm_add_epi32(tot[i], reduce4_avx2(v[0], v[1], v[2], v[3]));
        }
    }

#pragma GCC unroll 4
    for (int i = 0; i < mr; i++) {
        __m128i s = _mm_sub_epi32(tot[i], _mm_set1_epi32(x_rowsum[i]));
        int32_t *o = out + (ptrdiff_t)i * N;
        if (nr == 4) {
            _mm_storeu_si128((__m128i *)o, s);
        } else {
            int32_t lanes[4];
            _mm_storeu_si128((__m128i *)lanes, s);
#pragma GCC unroll 4
            for (int j = 0; j < nr; j++)
                o[j] = lanes[j];
        }
    }
}

BN_TAVX2 void bn_ternary_gemm_avx2(int32_t *out, const int8_t *x, const int32_t *x_rowsum,
                                   const uint8_t *w_u8, int M, int N, int Kp)
{
    const int Mb = M - M % MR, Nb = N - N % NR;
    const ptrdiff_t ld = Kp;
    int n = 0;
    for (; n < Nb; n += NR) { /* full 4-column strips of out */
        int m = 0;
        for (; m < Mb; m += MR)
            block_avx2(out + (ptrdiff_t)m * N + n, x + m * ld, x_rowsum + m, w_u8 + n * ld, N,
                       Kp, MR, NR);
        for (; m < M; m++)
            block_avx2(out + (ptrdiff_t)m * N + n, x + m * ld, x_rowsum + m, w_u8 + n * ld, N,
                       Kp, 1, NR);
    }
    for (; n < N; n++) { /* the N % 4 leftover columns, one at a time */
        int m = 0;
        for (; m < Mb; m += MR)
            block_avx2(out + (ptrdiff_t)m * N + n, x + m * ld, x_rowsum + m, w_u8 + n * ld, N,
                       Kp, MR, 1);
        for (; m < M; m++)
            block_avx2(out + (ptrdiff_t)m * N + n, x + m * ld, x_rowsum + m, w_u8 + n * ld, N,
                       Kp, 1, 1);
    }
}

#else /* not x86-64: never selected (bn_cpu_has_avx2() is 0), but keep it correct */

void bn_ternary_gemm_avx2(int32_t *out, const int8_t *x, const int32_t *x_rowsum,
                          const uint8_t *w_u8, int M, int N, int Kp)
{
    bn_ternary_gemm_ref(out, x, x_rowsum, w_u8, M, N, Kp);
}

#endif
