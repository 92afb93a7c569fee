/* rmsnorm.c - RMSNorm forward and backward. */
#include "rmsnorm.h"

#include <math.h>
#include <stddef.h>

void bn_rmsnorm_forward(float *y, float *rstd, const float *x, const float *g, int N, int C,
                        float eps)
{
    for (int n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * C;
        float *yr = y + (size_t)n * C;
        float ss = 0.0f;
        for (int c = 0; c < C; c++)
            ss += xr[c] * xr[c];
        float r = 1.0f / sqrtf(ss / (float)C + eps);
        rstd[n] = r;
        for (int c = 0; c < C; c++)
            yr[c] = xr[c] * r * g[c];
    }
}

/* With r = rstd and y = x r g:  dx = r g dy - x r^3 / C * sum_j(g_j dy_j x_j),
 * dg = sum_n dy x r. */
void bn_rmsnorm_backward(float *dx, float *dg, const float *dy, const float *x, const float *g,
                         const float *rstd, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * C;
        const float *dyr = dy + (size_t)n * C;
        float *dxr = dx + (size_t)n * C;
        float r = rstd[n];
        float dot = 0.0f;
        for (int c = 0; c < C; c++)
            dot += g[c] * dyr[c] * xr[c];
        float k = dot * r * r * r / (float)C;
        for (int c = 0; c < C; c++) {
            dxr[c] += r * g[c] * dyr[c] - xr[c] * k;
            dg[c] += dyr[c] * xr[c] * r;
        }
    }
}
