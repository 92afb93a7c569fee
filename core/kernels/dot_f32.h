/* dot_f32.h - out[v] = x . rows[v] for a block of rows (fp32): one token's tied lm_head in
 * the decoder (README, "Inference"), which reads the whole embedding once per token.
 *
 * The order of the sums is fixed, so every path, block of rows and thread count gives the
 * same bits: 64 lanes, lane k the fused multiply-adds of columns k, k + 64, k + 128, ... in
 * turn (columns past K count as 0 * 0); then a[j] = (L[j] + L[j+16]) + (L[j+32] + L[j+48])
 * for j < 16; then halves: b[j] = a[j] + a[j+8], c[j] = b[j] + b[j+4], d[j] = c[j] + c[j+2],
 * and the sum d[0] + d[1]. The vector paths reduce 16 rows' lanes together with a
 * transpose-and-add tree, a few vector operations per row. */
#ifndef BN_DOT_F32_H
#define BN_DOT_F32_H

/* Rows [v0, v1) of rows (each K floats), on the fastest path this CPU has. */
void bn_dot_rows_f32(float *out, const float *x, const float *rows, int v0, int v1, int K);

/* The paths, for tests: plain C (fmaf), AVX2 with FMA, AVX-512F. The last two need the CPU
 * to have them (elsewhere than x86-64 they are the plain path). */
void bn_dot_rows_f32_ref(float *out, const float *x, const float *rows, int v0, int v1, int K);
void bn_dot_rows_f32_avx2(float *out, const float *x, const float *rows, int v0, int v1, int K);
void bn_dot_rows_f32_avx512(float *out, const float *x, const float *rows, int v0, int v1,
                            int K);

#endif
