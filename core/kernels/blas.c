/* blas.c - the integer product as an fp32 sgemm on integer-valued floats (exact, see
 * kernels.h), then the same scaling as the reference. */
#include "kernels.h"

#include <stddef.h>

#include "../matmul.h"

void bn_bitlinear_gemm_blas(float *y, const bn_qmat *x, const bn_qmat *w, int M, int N, int K)
{
    bn_matmul_nt(y, x->f, w->f, M, N, K, 0);
    float sw = w->scale[0];
    for (int m = 0; m < M; m++) {
        float denom = x->scale[m] * sw;
        float *yr = y + (size_t)m * N;
        for (int n = 0; n < N; n++)
            yr[n] = yr[n] / denom;
    }
}
