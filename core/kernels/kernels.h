/* kernels.h - the dispatch table for BitLinear's integer forward product.
 *
 * Every kernel computes the same exact integer product of int8 activations and ternary
 * weights (int32 accumulation) and the same scaling, so all paths give bit-identical
 * outputs; they differ only in speed. `ref` is the scalar reference; `blas` runs the product
 * as an fp32 sgemm on the integer values, which is exact because every partial sum is an
 * integer below 2^24 (|x| <= 128, |w| <= 1, K <= 65536 / 128 ... checked at selection).
 * SIMD paths (AVX2, AVX-512 VNNI) plug in here with the same signature. */
#ifndef BN_KERNELS_H
#define BN_KERNELS_H

#include <stdint.h>

/* A quantized matrix in both forms the kernels may want, plus its scale(s). */
typedef struct {
    const float *f;      /* [rows, cols] integer values as float */
    const int8_t *i8;    /* [rows, cols] the same values as int8 */
    const float *scale;  /* activations: [rows] per-row scale; weights: one per-tensor scale */
} bn_qmat;

/* y[M,N] = (x[M,K] . w[N,K]^T) / (x.scale[m] * w.scale[0]) */
typedef void (*bn_bitlinear_gemm_fn)(float *y, const bn_qmat *x, const bn_qmat *w, int M, int N,
                                     int K);

typedef struct {
    const char *name;
    bn_bitlinear_gemm_fn bitlinear_gemm;
} bn_kernels;

/* Largest K for which the fp32 path stays exact: 128 * K < 2^24. */
#define BN_KERNEL_BLAS_MAX_K 131072

void bn_bitlinear_gemm_ref(float *y, const bn_qmat *x, const bn_qmat *w, int M, int N, int K);
void bn_bitlinear_gemm_blas(float *y, const bn_qmat *x, const bn_qmat *w, int M, int N, int K);

/* The kernel table by name ("ref", "blas") or "auto"/NULL for the fastest available.
 * Returns NULL for an unknown name. */
const bn_kernels *bn_kernels_find(const char *name);

/* Names accepted by bn_kernels_find, for messages: "auto, ref, blas". */
const char *bn_kernels_names(void);

#endif
