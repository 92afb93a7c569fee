/* attention_bf16.c - causal attention's backward products on AVX512_BF16 (attention_bf16.h).
 *
 * One kernel serves all four products: a block of R rows x NV registers of fp32 sums,
 * C[i][:] (+)= sum_p A(i, p) * B[p][:], where A(i, p) is a word (a pair of bf16) that
 * vdpbf16ps broadcasts and B's row p holds NV x 16 words. Only A's strides differ: along a
 * row for d(q) and the scores, down the "row pairs" for the key sums, which is what lets the
 * key sums read the strip's probabilities without a transpose.
 *
 * Compiled with per-function target attributes, not -march. */
#include "nn/attention_bf16.h"
#include "kernels/bf16_words.h"
#include "nn/attention_tiles.h"
#include "nn/tile_block.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define BN_TBF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define BN_INLINE static inline __attribute__((always_inline))

enum { KEYS = 64, COLS = 64 };

int bn_attn_bf16_usable(int head_dim)
{
    __builtin_cpu_init();
    return head_dim > 0 && head_dim <= BN_ATTN_TILES_MAX_HD &&
           __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
}

/* ---------------------------------------------------------------- packing */

/* Two registers of 16 floats as 16 words: a's values in the low halves, b's in the high. */
BN_INLINE BN_TBF16 __m512i pair_words(__m512 a, __m512 b)
{
    return bn_bf16_interleave_halves((__m512i)_mm512_cvtne2ps_pbh(b, a));
}

BN_TBF16 void bn_attn_bf16_rows(uint32_t *dst, int ldd, const float *X, int ldx, int rows, int n)
{
    for (int i = 0; i < rows; i++) {
        const float *x = X + (size_t)i * ldx;
        uint32_t *d = dst + (size_t)i * ldd;
        for (int c = 0; c < n; c += 32) {
            __m512 lo = _mm512_maskz_loadu_ps(bn_tile_lanes(n - c), x + c);
            __m512 hi = _mm512_maskz_loadu_ps(bn_tile_lanes(n - c - 16), x + c + 16);
            __m512i w = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
            if (n - c > 16) /* both halves hold values */
                _mm512_storeu_si512(d + c / 2, w);
            else
                _mm256_storeu_si256((__m256i *)(d + c / 2), _mm512_castsi512_si256(w));
        }
    }
}

BN_TBF16 void bn_attn_bf16_row_pairs(uint32_t *dst, int ldd, const float *X, int ldx, int rows,
                                     int n)
{
    for (int p = 0; 2 * p < rows; p++) {
        const float *a = X + (size_t)(2 * p) * ldx, *b = a + ldx;
        int second = 2 * p + 1 < rows;
        uint32_t *d = dst + (size_t)p * ldd;
        for (int c = 0; c < n; c += 16) {
            __mmask16 m = bn_tile_lanes(n - c);
            __m512 va = _mm512_maskz_loadu_ps(m, a + c);
            __m512 vb = second ? _mm512_maskz_loadu_ps(m, b + c) : _mm512_setzero_ps();
            _mm512_storeu_si512(d + c, pair_words(va, vb));
        }
    }
}

size_t bn_attn_bf16_keys_words(int keys, int hd)
{
    return (size_t)((keys + KEYS - 1) / KEYS) * (size_t)((hd + 1) / 2) * KEYS;
}

/* Keys [c0, c0 + n) (n <= KEYS): 16 keys' values of two dimensions gathered at a time and
 * written as one register of words; zeros past n and past hd. */
static BN_TBF16 void pack_key_block(uint32_t *kb, const float *K, int ldk, int c0, int n, int hd)
{
    const __m512i rows = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7,
                                                             6, 5, 4, 3, 2, 1, 0),
                                            _mm512_set1_epi32(ldk));
    for (int v = 0; v < KEYS / 16; v++) {
        __mmask16 m = bn_tile_lanes(n - 16 * v);
        const float *key = K + (size_t)(c0 + 16 * v) * ldk;
        for (int p = 0; 2 * p < hd; p++) {
            __m512 a = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, rows, key + 2 * p, 4);
            __m512 b = 2 * p + 1 < hd
                           ? _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, rows,
                                                      key + 2 * p + 1, 4)
                           : _mm512_setzero_ps();
            _mm512_storeu_si512(kb + (size_t)p * KEYS + 16 * v, pair_words(a, b));
        }
    }
}

void bn_attn_bf16_pack_keys(uint32_t *kb, const float *K, int ldk, int keys, int hd)
{
    size_t block = (size_t)((hd + 1) / 2) * KEYS;
    for (int c0 = 0; c0 < keys; c0 += KEYS)
        pack_key_block(kb + (size_t)(c0 / KEYS) * block, K, ldk, c0,
                       keys - c0 < KEYS ? keys - c0 : KEYS, hd);
}

/* ---------------------------------------------------------------- the product */

/* R rows of C, NV registers wide (the last masked by tail), over pairs p in [p0, p1):
 * C[i][:] (+)= sum_p A[i * si + p * sp] . B[p * ldb + :], a word of A broadcast against
 * NV registers of B's words. */
BN_INLINE BN_TBF16 void pair_block(float *C, int ldc, const uint32_t *A, int si, int sp,
                                   const uint32_t *B, int ldb, int p0, int p1, __mmask16 tail,
                                   int accumulate, const int R, const int NV)
{
    __m512 acc[24];
    bn_tile_start(acc, C, ldc, tail, accumulate, R, NV);
    for (int p = p0; p < p1; p++) {
        const uint32_t *b = B + (size_t)p * ldb;
        __m512bh bv[4];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            bv[v] = (__m512bh)_mm512_loadu_si512(b + 16 * v);
        const uint32_t *a = A + (size_t)p * sp;
#pragma GCC unroll 16
        for (int i = 0; i < R; i++) {
            __m512bh w = (__m512bh)_mm512_set1_epi32((int)a[(size_t)i * si]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                acc[i * NV + v] = _mm512_dpbf16_ps(acc[i * NV + v], w, bv[v]);
        }
    }
    bn_tile_store(C, ldc, acc, tail, R, NV);
}

typedef struct {
    float *C;
    const uint32_t *A, *B;
    int ldc, si, sp, ldb;
    int accumulate;
} pair_args;

#define PAIR_CALL(RR, NVV)                                                                   \
    pair_block(a->C, a->ldc, a->A, a->si, a->sp, a->B, a->ldb, p0, p1, tail, a->accumulate,   \
               RR, NVV)

/* R rows (at most BN_TILE_MAX_ROWS(nv)) of a column block whose last register is tail. */
static BN_TBF16 void pair_any(const pair_args *a, int p0, int p1, int nv, __mmask16 tail, int R)
{
    BN_TILE_DISPATCH(PAIR_CALL, nv, R)
}

/* ---------------------------------------------------------------- the four products */

void bn_attn_bf16_scores(float *S, int lds, const uint32_t *A, int lda, const uint32_t *kb,
                         int rows, int first, int keys, int hd)
{
    const int R = BN_TILE_MAX_ROWS(KEYS / 16), pairs = (hd + 1) / 2;
    for (int c0 = 0; c0 < keys; c0 += KEYS) {
        int n = keys - c0 < KEYS ? keys - c0 : KEYS;
        pair_args a = {S + c0, A, kb + (size_t)(c0 / KEYS) * pairs * KEYS, lds, lda, 1, KEYS, 0};
        /* the row blocks that reach this key block: [i0, i1) needs keys below first + i1 */
        for (int i0 = c0 > first ? (c0 - first) / R * R : 0; i0 < rows; i0 += R) {
            int i1 = i0 + R < rows ? i0 + R : rows;
            int limit = first + i1 < keys ? first + i1 : keys;
            int ncols = limit - c0 < n ? limit - c0 : n, nv = (ncols + 15) / 16;
            pair_args r = a;
            r.C += (size_t)i0 * lds;
            r.A += (size_t)i0 * lda;
            pair_any(&r, 0, pairs, nv, bn_tile_lanes(ncols - 16 * (nv - 1)), i1 - i0);
        }
    }
}

void bn_attn_bf16_mix_rows(float *O, int ldo, const uint32_t *A, int lda, const uint32_t *X,
                           int ldx, int rows, int first, int keys, int hd)
{
    for (int col = 0; col < hd; col += COLS) {
        int cols = hd - col < COLS ? hd - col : COLS, nv = (cols + 15) / 16;
        int R = BN_TILE_MAX_ROWS(nv);
        for (int i0 = 0; i0 < rows; i0 += R) {
            int i1 = i0 + R < rows ? i0 + R : rows;
            int k1 = first + i1 < keys ? first + i1 : keys;
            pair_args r = {O + (size_t)i0 * ldo + col, A + (size_t)i0 * lda, X + col, ldo, lda,
                           1, ldx, 0};
            pair_any(&r, 0, (k1 + 1) / 2, nv, bn_tile_lanes(cols - 16 * (nv - 1)), i1 - i0);
        }
    }
}

void bn_attn_bf16_mix_cols(float *C, int ldc, const uint32_t *A, int lda, const uint32_t *X,
                           int ldx, int first, int rows, int hd)
{
    int end = first + rows;
    for (int col = 0; col < hd; col += COLS) {
        int cols = hd - col < COLS ? hd - col : COLS, nv = (cols + 15) / 16;
        int R = BN_TILE_MAX_ROWS(nv);
        for (int j0 = 0; j0 < end; j0 += R) {
            int j1 = j0 + R < end ? j0 + R : end;
            /* key j0 has no terms from the strip's rows before it (A is zero there) */
            int p0 = j0 > first ? (j0 - first) / 2 : 0;
            pair_args r = {C + (size_t)j0 * ldc + col, A + j0, X + col, ldc, 1, lda, ldx, 1};
            pair_any(&r, p0, (rows + 1) / 2, nv, bn_tile_lanes(cols - 16 * (nv - 1)), j1 - j0);
        }
    }
}

#else /* not x86-64: never usable, and attention's backward stays on its fp32 path */

int bn_attn_bf16_usable(int head_dim)
{
    (void)head_dim;
    return 0;
}

void bn_attn_bf16_rows(uint32_t *dst, int ldd, const float *X, int ldx, int rows, int n)
{
    (void)dst, (void)ldd, (void)X, (void)ldx, (void)rows, (void)n;
}

void bn_attn_bf16_row_pairs(uint32_t *dst, int ldd, const float *X, int ldx, int rows, int n)
{
    (void)dst, (void)ldd, (void)X, (void)ldx, (void)rows, (void)n;
}

size_t bn_attn_bf16_keys_words(int keys, int hd)
{
    (void)keys, (void)hd;
    return 0;
}

void bn_attn_bf16_pack_keys(uint32_t *kb, const float *K, int ldk, int keys, int hd)
{
    (void)kb, (void)K, (void)ldk, (void)keys, (void)hd;
}

void bn_attn_bf16_scores(float *S, int lds, const uint32_t *A, int lda, const uint32_t *kb,
                         int rows, int first, int keys, int hd)
{
    (void)S, (void)lds, (void)A, (void)lda, (void)kb, (void)rows, (void)first, (void)keys;
    (void)hd;
}

void bn_attn_bf16_mix_rows(float *O, int ldo, const uint32_t *A, int lda, const uint32_t *X,
                           int ldx, int rows, int first, int keys, int hd)
{
    (void)O, (void)ldo, (void)A, (void)lda, (void)X, (void)ldx, (void)rows, (void)first;
    (void)keys, (void)hd;
}

void bn_attn_bf16_mix_cols(float *C, int ldc, const uint32_t *A, int lda, const uint32_t *X,
                           int ldx, int first, int rows, int hd)
{
    (void)C, (void)ldc, (void)A, (void)lda, (void)X, (void)ldx, (void)first, (void)rows;
    (void)hd;
}

#endif
