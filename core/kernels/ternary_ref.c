/* ternary_ref.c - the scalar reference for the ternary integer product (see ternary_gemm.h).
 * It subtracts the code offset per element instead of using x_rowsum, so it checks the
 * SIMD kernels' offset trick independently. */
#include "kernels/ternary_gemm.h"

void bn_ternary_gemm_ref(int32_t *out, const int8_t *x, const int32_t *x_rowsum,
                         const uint8_t *w_u8, int M, int N, int Kp)
{
    (void)x_rowsum;
    for (int m = 0; m < M; m++) {
        const int8_t *xr = x + (int64_t)m * Kp;
        for (int n = 0; n < N; n++) {
            const uint8_t *wr = w_u8 + (int64_t)n * Kp;
            int32_t acc = 0;
            for (int k = 0; k < Kp; k++)
                acc += (int32_t)xr[k] * ((int32_t)wr[k] - 1);
            out[(int64_t)m * N + n] = acc;
        }
    }
}
