/* dot_f32.h - out[v] = x . rows[v] for a block of rows (fp32): one token's tied lm_head in
 * the decoder (README, "Inference"), which reads the whole embedding once per token. */
#ifndef BN_DOT_F32_H
#define BN_DOT_F32_H

/* Rows [v0, v1) of rows (each K floats). Sums in 64 lanes (four 16-float vectors), then
 * the lanes; on CPUs without AVX-512 the same lanes in plain C. */
void bn_dot_rows_f32(float *out, const float *x, const float *rows, int v0, int v1, int K);

#endif
