/* quant.c - absmean ternary weights, absmax int8 activations. */
#include "quant.h"

#include <math.h>

static float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

float bn_quant_weights(float *wq, int8_t *wq_i8, const float *w, size_t n)
{
    double sum_abs = 0.0; /* double: n reaches millions and the mean decides every sign */
    for (size_t i = 0; i < n; i++)
        sum_abs += fabsf(w[i]);
    float mean_abs = n ? (float)(sum_abs / (double)n) : 0.0f;
    float scale = 1.0f / fmaxf(mean_abs, BN_QUANT_EPS);
    for (size_t i = 0; i < n; i++) {
        float q = clampf(nearbyintf(w[i] * scale), -1.0f, 1.0f);
        wq[i] = q;
        wq_i8[i] = (int8_t)q;
    }
    return scale;
}

void bn_quant_activations(float *xq, int8_t *xq_i8, float *scale, const float *x, int rows,
                          int cols)
{
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float max_abs = 0.0f;
        for (int c = 0; c < cols; c++)
            max_abs = fmaxf(max_abs, fabsf(xr[c]));
        float s = 127.0f / fmaxf(max_abs, BN_QUANT_EPS);
        scale[r] = s;
        float *qr = xq + (size_t)r * cols;
        int8_t *qi = xq_i8 + (size_t)r * cols;
        for (int c = 0; c < cols; c++) {
            float q = clampf(nearbyintf(xr[c] * s), -128.0f, 127.0f);
            qr[c] = q;
            qi[c] = (int8_t)q;
        }
    }
}
