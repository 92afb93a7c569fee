/* ref.c - scalar reference kernels: plain loops, int32 accumulation. */
#include "kernels.h"

#include <stddef.h>

void bn_bitlinear_gemm_ref(float *y, const bn_qmat *x, const bn_qmat *w, int M, int N, int K)
{
    float sw = w->scale[0];
    for (int m = 0; m < M; m++) {
        const int8_t *xr = x->i8 + (size_t)m * K;
        float denom = x->scale[m] * sw;
        for (int n = 0; n < N; n++) {
            const int8_t *wr = w->i8 + (size_t)n * K;
            int32_t acc = 0;
            for (int k = 0; k < K; k++)
                acc += (int32_t)xr[k] * (int32_t)wr[k];
            y[(size_t)m * N + n] = (float)acc / denom;
        }
    }
}
