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

/* O[i][c] = sum_j P[i * ldp + j] * X[j * ldx + c] over j in order, for rows i < rows at
 * positions first + i; P must hold zeros past each row's position (up to keys). */
void bn_attn_tile_mix_rows(float *O, int ldo, const float *P, int ldp, const float *X, int ldx,
                           int rows, int first, int keys, int hd);

/* C[j][c] += sum_{t >= j} P[t * ldp + j] * X[t * ldx + c] over t in order, j < T; P is
 * causal (zero where t < j). */
void bn_attn_tile_mix_cols(float *C, int ldc, const float *P, int ldp, const float *X, int ldx,
                           int T, int hd);

#endif
