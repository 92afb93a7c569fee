/* ffn.c - squared-ReLU gated unit, forward and backward. */
#include "ffn.h"

#include <stddef.h>

void bn_sqrelu_gate_forward(float *h, const float *gu, int N, int F)
{
    for (int n = 0; n < N; n++) {
        const float *gate = gu + (size_t)n * 2 * F, *up = gate + F;
        float *hr = h + (size_t)n * F;
        for (int f = 0; f < F; f++) {
            float r = gate[f] > 0.0f ? gate[f] : 0.0f;
            hr[f] = r * r * up[f];
        }
    }
}

void bn_sqrelu_gate_backward(float *dgu, const float *dh, const float *gu, int N, int F)
{
    for (int n = 0; n < N; n++) {
        const float *gate = gu + (size_t)n * 2 * F, *up = gate + F;
        const float *dhr = dh + (size_t)n * F;
        float *dgate = dgu + (size_t)n * 2 * F, *dup = dgate + F;
        for (int f = 0; f < F; f++) {
            float r = gate[f] > 0.0f ? gate[f] : 0.0f;
            dgate[f] = 2.0f * r * up[f] * dhr[f];
            dup[f] = r * r * dhr[f];
        }
    }
}
