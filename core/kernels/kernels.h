/* kernels.h - the dispatch table for BitLinear's forward product.
 *
 * Every path computes the same exact integer product of int8 activations and ternary
 * weights and the same scaling, y[m,n] = acc[m,n] / (s_x[m] * s_w), so all give
 * bit-identical outputs and differ only in speed:
 *   ref     scalar loops (kernels/ternary_ref.c), the reference
 *   avx2    AVX2 (kernels/ternary_avx2.c)
 *   amx     AMX-INT8 tiles, tdpbssd (kernels/ternary_amx.c), on weights repacked as quad
 *           panels once per optimizer step
 *   avx512  AVX-512 VNNI vpdpbusd on the weights as quad panels of codes, repacked once per
 *           optimizer step (kernels/ternary_panels.c); on row-layout codes
 *           (kernels/ternary_avx512.c) where a caller has no panels
 *   blas    fp32 sgemm on the integer values: exact, since every partial sum is an integer
 *           below 2^24 (|x| <= 128, |w| <= 1, K < 2^17)
 * "auto" picks the fastest the CPU supports, once at start-up (cpuid). */
#ifndef BN_KERNELS_H
#define BN_KERNELS_H

#include <stdint.h>

#include "base/threadpool.h"
#include "kernels/ternary_amx.h"
#include "kernels/ternary_gemm.h"
#include "kernels/ternary_panels.h"

/* Quantized activations (M rows of K values) in every form a path may want. */
typedef struct {
    const float *f;        /* (M, K) integer values as float */
    const int8_t *i8;      /* (M, Kp) zero-padded, Kp = bn_kpad(K) */
    const int32_t *rowsum; /* (M) sum of each i8 row */
    const float *scale;    /* (M) s_x */
} bn_qact_view;

/* Ternarized weights (N rows of K values). */
typedef struct {
    const float *f;        /* (N, K) -1/0/+1 */
    const uint8_t *codes;  /* (N, Kp) w + 1, padding columns 1 */
    const int8_t *amx;     /* quad panels (ternary_amx.h); needed by the amx path only */
    const uint8_t *panels; /* quad panels of the codes (ternary_panels.h), or NULL; the
                              avx512 path runs on them when set */
    float scale;           /* s_w */
} bn_qweight_view;

typedef struct {
    const char *name;
    bn_ternary_gemm_fn ternary; /* NULL for the sgemm and amx paths */
    int amx;                    /* 1: AMX tiles on the weights' quad panels */
    int code_panels;            /* 1: runs on quad panels of the codes when a view has them */
    int (*supported)(void);
} bn_kernels;

/* y (M, N) = (x . w^T) / (s_x s_w). The integer paths work in blocks of a 64 KiB stack
 * tile. Rows are split over the pool; sgemm uses OpenBLAS's own threads. */
void bn_bitlinear_gemm(const bn_kernels *k, bn_threadpool *pool, float *y,
                       const bn_qact_view *x, const bn_qweight_view *w, int M, int N, int K);

/* The table by name ("ref", "avx2", "avx512", "blas") or "auto"/NULL for the fastest this CPU
 * supports. NULL for an unknown name; *unsupported is set when the name is known but the CPU
 * lacks the instructions. */
const bn_kernels *bn_kernels_find(const char *name, int *unsupported);

/* Names accepted by bn_kernels_find, for messages: "auto, amx, avx512, avx2, blas, ref". */
const char *bn_kernels_names(void);

#define BN_KERNEL_BLAS_MAX_K 131072

#endif
