/* ternary_gemv2.h - one row of int8 activations times ternary weights packed at 2 bits
 * (README, "Inference"): the decoder's product for one token, where reading the weights and
 * the multiply-adds are the cost. The u8 codes of ternary_gemm.h (w + 1 in {0, 1, 2}) are
 * repacked 4 to a byte, a quarter of the bytes to read per token.
 *
 * Layout: rows in blocks of 64 (N padded with code 1, weight 0), K padded to Kq, a multiple
 * of 4 (bn_t2_kq; code 1). For each 4 columns a block holds 64 bytes: byte 4i + j (lane i of
 * a 512-bit vector) holds the codes of column 4q + j of rows i, 16 + i, 32 + i and 48 + i, in
 * bits 0-1, 2-3, 4-5, 6-7. One 64-byte load and three masks give the four 16-row sets'
 * codes against the four columns' activations broadcast to every lane, so each lane's
 * accumulator is one row's sum: no sums across lanes at the end, and K rounds up to 4 only.
 *
 * The product is exact in int32 and equals bn_ternary_gemm_ref's, so the decoder's
 * outputs are the same bits whichever path computes them. */
#ifndef BN_TERNARY_GEMV2_H
#define BN_TERNARY_GEMV2_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/ternary_gemm.h"

/* Rows per block (split work at multiples of it). */
#define BN_T2_BLOCK 64

/* K rounded up to a multiple of 4. */
static inline int bn_t2_kq(int K)
{
    return (K + 3) / 4 * 4;
}

/* Bytes of N rows of K columns packed. */
static inline size_t bn_t2_size(int N, int K)
{
    return (size_t)((N + BN_T2_BLOCK - 1) / BN_T2_BLOCK) * 16 * (size_t)bn_t2_kq(K);
}

/* codes (N, Kp) as ternary_gemm.h lays them out (K real columns) -> w2 (bn_t2_size). */
void bn_t2_pack(uint8_t *w2, const uint8_t *codes, int N, int K, int Kp);

/* out[n] = sum_k x[k] * w[n][k] for rows [n0, n1), n0 a multiple of BN_T2_BLOCK; x holds
 * bn_t2_kq(K) int8 values (zero past K), x_rowsum their sum. The AVX-512 VNNI path needs
 * bn_cpu_has_avx512vnni(); the plain one runs anywhere. */
void bn_t2_gemv_ref(int32_t *out, const int8_t *x, int32_t x_rowsum, const uint8_t *w2,
                    int n0, int n1, int K);
void bn_t2_gemv_avx512(int32_t *out, const int8_t *x, int32_t x_rowsum, const uint8_t *w2,
                       int n0, int n1, int K);

#endif
