/* attention_tiles.c - causal attention's products in AVX-512 registers (attention_tiles.h).
 *
 * OpenBLAS runs attention's many small products (T x T x head_dim per head) at 40-50% of
 * the FMA unit, and at T = 64 below 20%; these tiles keep a whole block of outputs in
 * registers and skip the masked triangle tile by tile.
 *
 * Scores: a block of SR query rows x SK keys (2 x SR registers); the keys are packed
 * transposed, SK at a time, so that one load gives 16 keys' values of a dimension.
 * Weighted sums: a block of R rows x up to 64 columns (R x NV registers, NV = columns / 16),
 * one probability broadcast times one row of values per step.
 *
 * Compiled with per-function target attributes, not -march. */
#include "nn/attention_tiles.h"
#include "nn/tile_block.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>
#include <math.h>

#define BN_T512 __attribute__((target("avx512f")))
#define BN_INLINE static inline __attribute__((always_inline))

enum { SR = 6, SV = 4, SK = 16 * SV, MIX_COLS = 64 };

int bn_attn_tiles_usable(int head_dim)
{
    __builtin_cpu_init();
    return head_dim > 0 && head_dim <= BN_ATTN_TILES_MAX_HD && __builtin_cpu_supports("avx512f");
}

/* ---------------------------------------------------------------- scores */

/* Keys [c0, c0 + n) of K, transposed into kt[c][jj] (SK per row), zero past n: 16 keys'
 * values of one dimension gathered at a time (the keys' rows, 64 of them, stay in L1) and
 * written as one line of kt. */
static BN_T512 void pack_keys(float *kt, const float *K, int ldk, int c0, int n, int hd)
{
    const __m512i rows = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7,
                                                             6, 5, 4, 3, 2, 1, 0),
                                            _mm512_set1_epi32(ldk));
    for (int v = 0; v < SV; v++) {
        __mmask16 m = bn_tile_lanes(n - 16 * v);
        const float *key = K + (size_t)(c0 + 16 * v) * ldk;
        for (int c = 0; c < hd; c++)
            _mm512_storeu_ps(kt + (size_t)c * SK + 16 * v,
                             _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, rows, key + c, 4));
    }
}

/* The row stride of packed query rows: whole 64-byte lines, never a multiple of 4 KiB. */
static int query_ld(int hd)
{
    return ((hd + 15) & ~15) + 16;
}

/* Query rows [0, R) of A copied next to each other (stride query_ld): rows of q are often a
 * multiple of 4 KiB apart, and read together in place they would share one set of L1. */
static BN_T512 void pack_queries(float *at, const float *A, int lda, int R, int hd)
{
    for (int i = 0; i < R; i++)
        for (int c = 0; c < hd; c += 16) {
            __mmask16 m = bn_tile_lanes(hd - c);
            _mm512_mask_storeu_ps(at + (size_t)i * query_ld(hd) + c, m,
                                  _mm512_maskz_loadu_ps(m, A + (size_t)i * lda + c));
        }
}

/* R query rows (packed) against the SK packed keys: S[i][0 .. ncols) = alpha * the sums. */
BN_INLINE BN_T512 void score_block(float *S, int lds, const float *at, const float *kt, int hd,
                                   float alpha, int ncols, const int R, const int SVN)
{
    __m512 acc[SV * SR];
    const size_t ldq = (size_t)query_ld(hd);
#pragma GCC unroll 24
    for (int i = 0; i < SVN * R; i++)
        acc[i] = _mm512_setzero_ps();
    for (int c = 0; c < hd; c++) {
        __m512 k[SV];
#pragma GCC unroll 4
        for (int v = 0; v < SVN; v++)
            k[v] = _mm512_loadu_ps(kt + (size_t)c * SK + 16 * v);
#pragma GCC unroll 12
        for (int i = 0; i < R; i++) {
            __m512 a = _mm512_set1_ps(at[(size_t)i * ldq + c]);
#pragma GCC unroll 4
            for (int v = 0; v < SVN; v++)
                acc[SVN * i + v] = _mm512_fmadd_ps(a, k[v], acc[SVN * i + v]);
        }
    }
    __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 24
    for (int i = 0; i < SVN * R; i++)
        _mm512_mask_storeu_ps(S + (size_t)(i / SVN) * lds + 16 * (i % SVN),
                              bn_tile_lanes(ncols - 16 * (i % SVN)), _mm512_mul_ps(va, acc[i]));
}

#define SCORE_CASE(RR)                                                                       \
    case RR:                                                                                 \
        switch (svn) {                                                                       \
        case 1: score_block(S, lds, at, kt, hd, alpha, ncols, RR, 1); break;                 \
        case 2: score_block(S, lds, at, kt, hd, alpha, ncols, RR, 2); break;                 \
        case 3: score_block(S, lds, at, kt, hd, alpha, ncols, RR, 3); break;                 \
        default: score_block(S, lds, at, kt, hd, alpha, ncols, RR, 4); break;                \
        }                                                                                    \
        break

/* R rows (at most SR) against the first ncols (at most SK) packed keys, in as few registers
 * of keys as those columns need: the block on the diagonal computes little of the masked
 * part. */
static BN_T512 void score_any(float *S, int lds, const float *at, const float *kt, int hd,
                              float alpha, int ncols, int R)
{
    int svn = (ncols + 15) / 16;
    switch (R) {
        SCORE_CASE(1);
        SCORE_CASE(2);
        SCORE_CASE(3);
        SCORE_CASE(4);
        SCORE_CASE(5);
    default:
        switch (svn) {
        case 1: score_block(S, lds, at, kt, hd, alpha, ncols, SR, 1); break;
        case 2: score_block(S, lds, at, kt, hd, alpha, ncols, SR, 2); break;
        case 3: score_block(S, lds, at, kt, hd, alpha, ncols, SR, 3); break;
        default: score_block(S, lds, at, kt, hd, alpha, ncols, SR, 4); break;
        }
    }
}

size_t bn_attn_tile_keys_size(int keys, int hd)
{
    return (size_t)((keys + SK - 1) / SK) * (size_t)hd * SK;
}

void bn_attn_tile_pack_keys(float *kt, const float *K, int ldk, int keys, int hd)
{
    for (int c0 = 0; c0 < keys; c0 += SK)
        pack_keys(kt + (size_t)(c0 / SK) * hd * SK, K, ldk, c0, keys - c0 < SK ? keys - c0 : SK,
                  hd);
}

/* The row blocks of A that reach the packed key block [c0, c0 + SK): the block [i0, i1)
 * needs keys below first + i1 only. */
static BN_T512 void scores_of_key_block(float *S, int lds, const float *A, int lda,
                                        const float *kt, int rows, int first, int keys, int hd,
                                        float alpha, int c0)
{
    float at[(BN_ATTN_TILES_MAX_HD + 16) * SR] __attribute__((aligned(64)));
    int n = keys - c0 < SK ? keys - c0 : SK;
    int i0 = c0 > first ? (c0 - first) / SR * SR : 0;
    for (; i0 < rows; i0 += SR) {
        int i1 = i0 + SR < rows ? i0 + SR : rows;
        int limit = first + i1 < keys ? first + i1 : keys;
        int ncols = limit - c0 < n ? limit - c0 : n;
        pack_queries(at, A + (size_t)i0 * lda, lda, i1 - i0, hd);
        score_any(S + (size_t)i0 * lds + c0, lds, at, kt, hd, alpha, ncols, i1 - i0);
    }
}

void bn_attn_tile_scores_packed(float *S, int lds, const float *A, int lda, const float *kt,
                                int rows, int first, int keys, int hd, float alpha)
{
    for (int c0 = 0; c0 < keys; c0 += SK)
        scores_of_key_block(S, lds, A, lda, kt + (size_t)(c0 / SK) * hd * SK, rows, first, keys,
                            hd, alpha, c0);
}

/* Keys are packed once per block of SK, on the stack, and used by every row block that
 * reaches them. */
void bn_attn_tile_scores(float *S, int lds, const float *A, int lda, const float *K, int ldk,
                         int rows, int first, int keys, int hd, float alpha)
{
    float kt[BN_ATTN_TILES_MAX_HD * SK] __attribute__((aligned(64)));
    for (int c0 = 0; c0 < keys; c0 += SK) {
        pack_keys(kt, K, ldk, c0, keys - c0 < SK ? keys - c0 : SK, hd);
        scores_of_key_block(S, lds, A, lda, kt, rows, first, keys, hd, alpha, c0);
    }
}

/* ---------------------------------------------------------------- softmax */

/* exp on 16 lanes, bn_expf's method (base/vexp.h) with fused steps: x = n ln2 + r, a
 * degree-6 polynomial for exp(r), times 2^n by vscalefps (which also gives 0 and infinity
 * at the ends). Below e^-69 the result is 0, as bn_expf's; a NaN stays NaN. */
BN_INLINE BN_T512 __m512 exp16(__m512 x)
{
    __mmask16 keep = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-69.0f), _CMP_NLT_UQ);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    return _mm512_maskz_mov_ps(keep, _mm512_scalef_ps(y, n));
}

/* One row in place: softmax over a[0 .. n), zero in a[n .. cols). */
static BN_T512 void softmax_row(float *a, int n, int cols)
{
    __m512 mx = _mm512_set1_ps(-INFINITY);
    for (int j = 0; j < n; j += 16) {
        __mmask16 m = bn_tile_lanes(n - j);
        mx = _mm512_mask_max_ps(mx, m, mx, _mm512_maskz_loadu_ps(m, a + j));
    }
    __m512 top = _mm512_set1_ps(_mm512_reduce_max_ps(mx)), sum = _mm512_setzero_ps();
    for (int j = 0; j < n; j += 16) {
        __mmask16 m = bn_tile_lanes(n - j);
        __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + j), top));
        _mm512_mask_storeu_ps(a + j, m, e);
        sum = _mm512_mask_add_ps(sum, m, sum, e);
    }
    __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
    for (int j = 0; j < n; j += 16) {
        __mmask16 m = bn_tile_lanes(n - j);
        _mm512_mask_storeu_ps(a + j, m, _mm512_mul_ps(inv, _mm512_maskz_loadu_ps(m, a + j)));
    }
    for (int j = n; j < cols; j += 16)
        _mm512_mask_storeu_ps(a + j, bn_tile_lanes(cols - j), _mm512_setzero_ps());
}

void bn_attn_tile_softmax(float *S, int rows, int cols, int first)
{
    for (int r = 0; r < rows; r++) {
        int n = first + r + 1 < cols ? first + r + 1 : cols;
        softmax_row(S + (size_t)r * cols, n, cols);
    }
}

/* ---------------------------------------------------------------- weighted sums */

/* R rows of C, NV registers wide (the last masked by tail), over k in [k0, k1):
 * C[i][:] (+)= sum_k P[i * si + k * sk] * X[k * ldx + :]. */
BN_INLINE BN_T512 void mix_block(float *C, int ldc, const float *P, int si, int sk,
                                 const float *X, int ldx, int k0, int k1, __mmask16 tail,
                                 int accumulate, const int R, const int NV)
{
    __m512 acc[24];
    bn_tile_start(acc, C, ldc, tail, accumulate, R, NV);
    for (int k = k0; k < k1; k++) {
        const float *x = X + (size_t)k * ldx;
        __m512 xv[4];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            xv[v] = _mm512_maskz_loadu_ps(v == NV - 1 ? tail : (__mmask16)0xffff, x + 16 * v);
        const float *p = P + (size_t)k * sk;
#pragma GCC unroll 16
        for (int i = 0; i < R; i++) {
            __m512 w = _mm512_set1_ps(p[(size_t)i * si]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                acc[i * NV + v] = _mm512_fmadd_ps(w, xv[v], acc[i * NV + v]);
        }
    }
    bn_tile_store(C, ldc, acc, tail, R, NV);
}

typedef struct {
    float *C;
    const float *P, *X;
    int ldc, si, sk, ldx;
    int accumulate;
} mix_args;

#define MIX_CALL(RR, NVV)                                                                    \
    mix_block(a->C, a->ldc, a->P, a->si, a->sk, a->X, a->ldx, k0, k1, tail, a->accumulate,    \
              RR, NVV)

/* R rows (at most BN_TILE_MAX_ROWS(nv)) of a column block whose last register is tail. */
static BN_T512 void mix_any(const mix_args *a, int k0, int k1, int nv, __mmask16 tail, int R)
{
    BN_TILE_DISPATCH(MIX_CALL, nv, R)
}

/* The columns [col, col + cols) of a mix, cols <= MIX_COLS: a view of the arguments. */
static mix_args column_block(const mix_args *a, int col)
{
    mix_args b = *a;
    b.C += col;
    b.X += col;
    return b;
}

void bn_attn_tile_mix_rows(float *O, int ldo, const float *P, int ldp, const float *X, int ldx,
                           int rows, int first, int keys, int hd)
{
    mix_args a = {O, P, X, ldo, ldp, 1, ldx, 0};
    for (int col = 0; col < hd; col += MIX_COLS) {
        int cols = hd - col < MIX_COLS ? hd - col : MIX_COLS, nv = (cols + 15) / 16;
        mix_args b = column_block(&a, col);
        int R = BN_TILE_MAX_ROWS(nv);
        for (int i0 = 0; i0 < rows; i0 += R) {
            int i1 = i0 + R < rows ? i0 + R : rows;
            int k1 = first + i1 < keys ? first + i1 : keys;
            mix_args r = b;
            r.C += (size_t)i0 * ldo;
            r.P += (size_t)i0 * ldp;
            mix_any(&r, 0, k1, nv, bn_tile_lanes(cols - 16 * (nv - 1)), i1 - i0);
        }
    }
}

void bn_attn_tile_mix_cols(float *C, int ldc, const float *P, int ldp, const float *X, int ldx,
                           int first, int rows, int hd)
{
    mix_args a = {C, P, X, ldc, 1, ldp, ldx, 1};
    int end = first + rows;
    for (int col = 0; col < hd; col += MIX_COLS) {
        int cols = hd - col < MIX_COLS ? hd - col : MIX_COLS, nv = (cols + 15) / 16;
        mix_args b = column_block(&a, col);
        int R = BN_TILE_MAX_ROWS(nv);
        for (int j0 = 0; j0 < end; j0 += R) {
            int j1 = j0 + R < end ? j0 + R : end;
            mix_args r = b;
            r.C += (size_t)j0 * ldc;
            r.P += j0;
            __mmask16 tail = bn_tile_lanes(cols - 16 * (nv - 1));
            mix_any(&r, j0 > first ? j0 - first : 0, rows, nv, tail, j1 - j0);
        }
    }
}

#else /* not x86-64: the tiles are never usable, and attention keeps its sgemm products */

int bn_attn_tiles_usable(int head_dim)
{
    (void)head_dim;
    return 0;
}

void bn_attn_tile_scores(float *S, int lds, const float *A, int lda, const float *K, int ldk,
                         int rows, int first, int keys, int hd, float alpha)
{
    (void)S, (void)lds, (void)A, (void)lda, (void)K, (void)ldk, (void)rows, (void)first;
    (void)keys, (void)hd, (void)alpha;
}

void bn_attn_tile_mix_rows(float *O, int ldo, const float *P, int ldp, const float *X, int ldx,
                           int rows, int first, int keys, int hd)
{
    (void)O, (void)ldo, (void)P, (void)ldp, (void)X, (void)ldx, (void)rows, (void)first;
    (void)keys, (void)hd;
}

void bn_attn_tile_softmax(float *S, int rows, int cols, int first)
{
    (void)S, (void)rows, (void)cols, (void)first;
}

void bn_attn_tile_mix_cols(float *C, int ldc, const float *P, int ldp, const float *X, int ldx,
                           int first, int rows, int hd)
{
    (void)C, (void)ldc, (void)P, (void)ldp, (void)X, (void)ldx, (void)first, (void)rows;
    (void)hd;
}

size_t bn_attn_tile_keys_size(int keys, int hd)
{
    (void)keys, (void)hd;
    return 0;
}

void bn_attn_tile_pack_keys(float *kt, const float *K, int ldk, int keys, int hd)
{
    (void)kt, (void)K, (void)ldk, (void)keys, (void)hd;
}

void bn_attn_tile_scores_packed(float *S, int lds, const float *A, int lda, const float *kt,
                                int rows, int first, int keys, int hd, float alpha)
{
    (void)S, (void)lds, (void)A, (void)lda, (void)kt, (void)rows, (void)first, (void)keys;
    (void)hd, (void)alpha;
}

#endif
