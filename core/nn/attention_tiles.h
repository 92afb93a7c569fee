/* attention_tiles.h - the products of causal attention as fp32 AVX-512 register tiles
 * (README, "Performance"): scores (rows of queries against keys) and the two weighted sums
 * (rows of probabilities times value rows, and their transpose for the key and value
 * gradients), each over the causal part only.
 *
 * Every output element is one fp32 fused multiply-add chain in a fixed order (over the head
 * dimension for a score, over the key or query position for a sum), whatever the tiling,
 * the number of rows asked for or the threads. So the decoder, which asks for a few rows at
 * a time, gets the training forward's bits, and terms past the diagonal (exact zeros in the
 * probabilities) change nothing. */
#ifndef BN_ATTENTION_TILES_H
#define BN_ATTENTION_TILES_H

#include <stddef.h>

/* The largest head dimension the tiles take (a key block of it is packed on the stack). */
#define BN_ATTN_TILES_MAX_HD 256

/* 1 when this CPU has AVX-512F and head_dim is at most BN_ATTN_TILES_MAX_HD. */
int bn_attn_tiles_usable(int head_dim);

/* Queries at positions first .. first + rows - 1 (row i at A + i * lda) against keys
 * 0 .. keys - 1 (row j at K + j * ldk), hd values each:
 * S[i * lds + j] = alpha * sum_c A[i][c] * K[j][c] for at least every j <= first + i (and
 * j < keys); entries past that may be written with finite values or left alone. */
void bn_attn_tile_scores(float *S, int lds, const float *A, int lda, const float *K, int ldk,
                         int rows, int first, int keys, int hd, float alpha);

/* Rows of `cols` scores, row r holding the query at position first + r: softmax over
 * j <= first + r in place, zero after (the causal mask), on 16 lanes at a time. */
void bn_attn_tile_softmax(float *S, int rows, int cols, int first);

/* O[i][c] = sum_j P[i * ldp + j] * X[j * ldx + c] over j in order, for rows i < rows at
 * positions first + i; P must hold zeros past each row's position (up to keys). */
void bn_attn_tile_mix_rows(float *O, int ldo, const float *P, int ldp, const float *X, int ldx,
                           int rows, int first, int keys, int hd);

/* The keys' part of a strip of queries (README, "Attention in strips"): rows t = first ..
 * first + rows - 1 of P (row t - first at P + (t - first) * ldp) and of X (likewise, ldx)
 * added into C[j][c] for every key j < first + rows, in order of t:
 * C[j][c] += sum_{t >= j} P[t][j] * X[t][c]. P is causal (zero where t < j). Strips taken
 * in order of first continue each sum exactly where the previous strip left it, so the
 * result is the same, bit for bit, as one strip of all the rows. */
void bn_attn_tile_mix_cols(float *C, int ldc, const float *P, int ldp, const float *X, int ldx,
                           int first, int rows, int hd);

/* Floats that keys 0 .. keys - 1, packed for bn_attn_tile_scores_packed, take. */
size_t bn_attn_tile_keys_size(int keys, int hd);

/* Keys 0 .. keys - 1 (row j at K + j * ldk) packed once, for every strip of queries that
 * reads them (bn_attn_tile_keys_size(keys, hd) floats at kt). */
void bn_attn_tile_pack_keys(float *kt, const float *K, int ldk, int keys, int hd);

/* bn_attn_tile_scores on keys packed by bn_attn_tile_pack_keys: the same values. */
void bn_attn_tile_scores_packed(float *S, int lds, const float *A, int lda, const float *kt,
                                int rows, int first, int keys, int hd, float alpha);

#endif
