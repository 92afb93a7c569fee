/* ternary_gemv2.h - one row of int8 activations times ternary weights packed at 2 bits
 * (README, "Inference"): the decoder's product for one token, where reading the weights is
 * the cost. The u8 codes of ternary_gemm.h (w + 1 in {0, 1, 2}) are repacked 4 to a byte,
 * a quarter of the bytes to read per token.
 *
 * Layout: K is padded to K2 = a multiple of 256 (bn_kpad2); row n holds K2 / 4 bytes; in
 * each 256-column block, byte j (0..63) holds the codes of columns j, j+64, j+128, j+192 in
 * bits 0-1, 2-3, 4-5, 6-7, so one 64-byte load and four shift-and-mask steps give four
 * 64-column vectors of codes. Padding columns hold code 1 (weight 0).
 *
 * The product is exact in int32 and equals bn_ternary_gemm_ref's, so the decoder's
 * outputs are the same bits whichever path computes them. */
#ifndef BN_TERNARY_GEMV2_H
#define BN_TERNARY_GEMV2_H

#include <stddef.h>
#include <stdint.h>

#define BN_KPAD2 256

static inline int bn_kpad2(int K)
{
    return (K + BN_KPAD2 - 1) / BN_KPAD2 * BN_KPAD2;
}

/* Bytes of N rows of K columns packed. */
static inline size_t bn_t2_size(int N, int K)
{
    return (size_t)N * (size_t)(bn_kpad2(K) / 4);
}

/* codes (N, Kp) as ternary_gemm.h lays them out (K real columns) -> w2 (bn_t2_size). */
void bn_t2_pack(uint8_t *w2, const uint8_t *codes, int N, int K, int Kp);

/* out[n] = sum_k x[k] * w[n][k] for rows [n0, n1); x holds K2 = bn_kpad2(K) int8 values
 * (zero past K), x_rowsum their sum. The AVX-512 VNNI path needs bn_cpu_has_avx512vnni();
 * the plain one runs anywhere. */
void bn_t2_gemv_ref(int32_t *out, const int8_t *x, int32_t x_rowsum, const uint8_t *w2,
                    int n0, int n1, int K);
void bn_t2_gemv_avx512(int32_t *out, const int8_t *x, int32_t x_rowsum, const uint8_t *w2,
                       int n0, int n1, int K);

#endif
