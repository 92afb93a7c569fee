/* tile_block.h - what the register-tile kernels of attention (attention_tiles.c,
 * attention_bf16.c) share: a block of R rows x NV registers of fp32 sums, the last register
 * of a row masked to the columns that exist (bn_tile_lanes). The sums stay in registers only
 * when R and NV are compile-time constants, so a call with run-time R (1 to 16) and nv (1 to
 * 4) goes through a switch with one case for each pair that can occur. */
#ifndef BN_TILE_BLOCK_H
#define BN_TILE_BLOCK_H

/* The most rows a block keeps for NV registers of columns: about 24 sums, 16 rows at most. */
#define BN_TILE_MAX_ROWS(NV) ((NV) == 1 ? 16 : 24 / (NV))

/* CASE(R, NV) is `case R:` and the kernel call for R rows and NV registers; pairs with R
 * past BN_TILE_MAX_ROWS(NV) are never compiled. */
#define BN_TILE_CASE(CASE, RR, NVV)                                                          \
    case RR:                                                                                 \
        if ((RR) <= BN_TILE_MAX_ROWS(NVV))                                                   \
            CASE(RR, NVV);                                                                   \
        break

#define BN_TILE_ROWS(CASE, NVV)                                                              \
    BN_TILE_CASE(CASE, 1, NVV); BN_TILE_CASE(CASE, 2, NVV); BN_TILE_CASE(CASE, 3, NVV);       \
    BN_TILE_CASE(CASE, 4, NVV); BN_TILE_CASE(CASE, 5, NVV); BN_TILE_CASE(CASE, 6, NVV);       \
    BN_TILE_CASE(CASE, 7, NVV); BN_TILE_CASE(CASE, 8, NVV); BN_TILE_CASE(CASE, 9, NVV);       \
    BN_TILE_CASE(CASE, 10, NVV); BN_TILE_CASE(CASE, 11, NVV); BN_TILE_CASE(CASE, 12, NVV);    \
    BN_TILE_CASE(CASE, 13, NVV); BN_TILE_CASE(CASE, 14, NVV); BN_TILE_CASE(CASE, 15, NVV);    \
    BN_TILE_CASE(CASE, 16, NVV)

/* Calls CASE(R, NV) with the constants equal to r (1 to BN_TILE_MAX_ROWS(nv)) and nv (1 to
 * 4; more counts as 4). */
#define BN_TILE_DISPATCH(CASE, nv, r)                                                        \
    switch (nv) {                                                                            \
    case 1: switch (r) { BN_TILE_ROWS(CASE, 1); } break;                                     \
    case 2: switch (r) { BN_TILE_ROWS(CASE, 2); } break;                                     \
    case 3: switch (r) { BN_TILE_ROWS(CASE, 3); } break;                                     \
    default: switch (r) { BN_TILE_ROWS(CASE, 4); } break;                                    \
    }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

/* The mask of the first n of 16 lanes (none for n <= 0, all for n >= 16). */
static inline __mmask16 bn_tile_lanes(int n)
{
    return n >= 16 ? (__mmask16)0xffff : n <= 0 ? 0 : (__mmask16)((1u << n) - 1u);
}

/* The block's sums at the start: C's R rows (ldc apart), or zeros. */
static inline __attribute__((always_inline, target("avx512f"))) void
bn_tile_start(__m512 *acc, const float *C, int ldc, __mmask16 tail, int accumulate, const int R,
              const int NV)
{
#pragma GCC unroll 24
    for (int i = 0; i < R * NV; i++) {
        __mmask16 m = i % NV == NV - 1 ? tail : (__mmask16)0xffff;
        const float *c = C + (size_t)(i / NV) * ldc + 16 * (i % NV);
        acc[i] = accumulate ? _mm512_maskz_loadu_ps(m, c) : _mm512_setzero_ps();
    }
}

/* The block's sums into C's R rows. */
static inline __attribute__((always_inline, target("avx512f"))) void
bn_tile_store(float *C, int ldc, const __m512 *acc, __mmask16 tail, const int R, const int NV)
{
#pragma GCC unroll 24
    for (int i = 0; i < R * NV; i++) {
        __mmask16 m = i % NV == NV - 1 ? tail : (__mmask16)0xffff;
        _mm512_mask_storeu_ps(C + (size_t)(i / NV) * ldc + 16 * (i % NV), m, acc[i]);
    }
}

#endif

#endif
