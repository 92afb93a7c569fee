/* ternary_gemm.h - the integer core of BitLinear's forward product: int8 activations times
 * ternary weights, accumulated exactly in int32.
 *
 * Shapes and layout (all row-major, contiguous):
 *   x        int8    (M, Kp)  activations, values in [-128, 127]
 *   x_rowsum int32   (M)      x_rowsum[m] = sum_{k<Kp} x[m*Kp + k]  (from the quantizer)
 *   w_u8     uint8   (N, Kp)  ternary weights stored as codes {0,1,2} = w + 1
 *   out      int32   (M, N)   out[m*N + n] = sum_{k<Kp} x[m*Kp + k] * (w_u8[n*Kp + k] - 1)
 *
 * Kp is K rounded up to a multiple of BN_KPAD (64). The padding columns k >= K hold x = 0
 * (w_u8 may hold any code there), so they add nothing. The SIMD kernels multiply unsigned
 * codes by signed activations, sum x*(w+1), and subtract x_rowsum to remove the +1 offset:
 *   sum x*(w+1) - sum x = sum x*w.
 * The result is exact: |out| <= 128 * Kp, far inside int32 for any Kp < 2^24.
 *
 * All kernels give bit-identical outputs. The SIMD ones are compiled with per-function
 * target attributes (no global -march) and may be called only after the matching
 * bn_cpu_has_* check returns nonzero; on non-x86-64 builds they are the reference. */
#ifndef BN_TERNARY_GEMM_H
#define BN_TERNARY_GEMM_H

#include <stdint.h>

#define BN_KPAD 64

/* K rounded up to a multiple of BN_KPAD. */
static inline int bn_kpad(int K)
{
    return (K + BN_KPAD - 1) / BN_KPAD * BN_KPAD;
}

typedef void (*bn_ternary_gemm_fn)(int32_t *out, const int8_t *x, const int32_t *x_rowsum,
                                   const uint8_t *w_u8, int M, int N, int Kp);

/* Plain C loops computing sum x*(w_u8 - 1) directly; x_rowsum is not used, so this checks
 * the offset trick of the SIMD paths independently. */
void bn_ternary_gemm_ref(int32_t *out, const int8_t *x, const int32_t *x_rowsum,
                         const uint8_t *w_u8, int M, int N, int Kp);

/* AVX2: _mm256_maddubs_epi16 (u8 codes x s8 activations -> s16 pairs, cannot saturate since
 * codes <= 2) then _mm256_madd_epi16 with ones -> s32. Requires bn_cpu_has_avx2(). */
void bn_ternary_gemm_avx2(int32_t *out, const int8_t *x, const int32_t *x_rowsum,
                          const uint8_t *w_u8, int M, int N, int Kp);

/* AVX-512 VNNI: _mm512_dpbusd_epi32 (u8 codes x s8 activations -> s32).
 * Requires bn_cpu_has_avx512vnni(). */
void bn_ternary_gemm_avx512(int32_t *out, const int8_t *x, const int32_t *x_rowsum,
                            const uint8_t *w_u8, int M, int N, int Kp);

/* Nonzero when the running CPU can execute the matching kernel. */
int bn_cpu_has_avx2(void);
int bn_cpu_has_avx512vnni(void); /* AVX-512 F, BW, VL and VNNI */

#endif
