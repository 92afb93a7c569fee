/* attention_bf16.h - the backward products of causal attention in bf16 on AVX512_BF16
 * (README, "Attention's backward in bf16"): d(v) += P^T d(out), d(p) = d(out) v^T,
 * d(q) = d(s) k and d(k) += d(s)^T q, with the probabilities P and d(s) from the fp32 path.
 *
 * vdpbf16ps multiplies pairs of bf16 and sums them into fp32: twice the multiply-adds per
 * instruction of fp32 FMA. Every operand is rounded to bf16 (round to nearest even) once,
 * when it is packed; the sums are fp32. The results differ from the fp32 tiles by that
 * rounding (test_attention measures it), and are the same bits on any number of threads.
 *
 * Operands are 32-bit words, each a pair of bf16 (the first in the low half):
 *   "rows"       word p of row i = X[i][2p], X[i][2p+1]: pairs along a row;
 *   "row pairs"  word c of row p = X[2p][c], X[2p+1][c]: pairs of rows, a column a word;
 *   "keys"       blocks of 64 keys, word [p][j] = K[j][2p], K[j][2p+1]: the score product's
 *                right operand, 64 keys of one pair of dimensions in four registers.
 * Every layout holds zeros past the values it was given, up to its row length, so a pair
 * that reaches past the causal limit or the last row multiplies zeros. */
#ifndef BN_ATTENTION_BF16_H
#define BN_ATTENTION_BF16_H

#include <stddef.h>
#include <stdint.h>

/* 1 when this CPU has AVX512_BF16 (with F, BW and VL) and head_dim is at most
 * BN_ATTN_TILES_MAX_HD. */
int bn_attn_bf16_usable(int head_dim);

/* Values rounded up to whole registers of 16: a row length of the layouts. */
static inline int bn_attn_bf16_width(int n) { return (n + 15) & ~15; }

/* X (rows x n, row i at X + i * ldx) as "rows": row i at dst + i * ldd words, written up to
 * bn_attn_bf16_width(n) / 2 words (ldd at least that). */
void bn_attn_bf16_rows(uint32_t *dst, int ldd, const float *X, int ldx, int rows, int n);

/* X (rows x n) as "row pairs": (rows + 1) / 2 rows of bn_attn_bf16_width(n) words at
 * dst + p * ldd, the last with zeros in its high halves when rows is odd. */
void bn_attn_bf16_row_pairs(uint32_t *dst, int ldd, const float *X, int ldx, int rows, int n);

/* Words that keys 0 .. keys - 1 take as "keys". */
size_t bn_attn_bf16_keys_words(int keys, int hd);

/* Keys 0 .. keys - 1 (row j at K + j * ldk) as "keys" at kb. */
void bn_attn_bf16_pack_keys(uint32_t *kb, const float *K, int ldk, int keys, int hd);

/* S[i * lds + j] = sum_c A[i][c] K[j][c] (A as "rows" with lda words a row, K packed as
 * "keys") for at least every j <= first + i (and j < keys), rows i < rows; entries past
 * that may be written with finite values or left alone. */
void bn_attn_bf16_scores(float *S, int lds, const uint32_t *A, int lda, const uint32_t *kb,
                         int rows, int first, int keys, int hd);

/* O[i][c] = sum_{j <= first + i, j < keys} A[i][j] X[j][c] for rows i < rows at positions
 * first + i: A as "rows" (lda words a row; zero past each row's position), X as "row
 * pairs" of the keys (ldx words a row). */
void bn_attn_bf16_mix_rows(float *O, int ldo, const uint32_t *A, int lda, const uint32_t *X,
                           int ldx, int rows, int first, int keys, int hd);

/* The keys' part of a strip of queries at positions first .. first + rows - 1:
 * C[j][c] += sum_t A[t][j] X[t][c] for every key j < first + rows, where A (the strip's
 * probabilities or their gradient, zero where t < j) and X (the strip's rows of d(out) or
 * q) are both "row pairs" over the strip's rows, lda and ldx words a row. */
void bn_attn_bf16_mix_cols(float *C, int ldc, const uint32_t *A, int lda, const uint32_t *X,
                           int ldx, int first, int rows, int hd);

#endif
