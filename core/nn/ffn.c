/* ffn.c - squared-ReLU gated unit, forward and backward, split over rows. */
#include "nn/ffn.h"
#include "base/simd.h"

#include <stddef.h>

typedef struct {
    float *out;
    const float *gu, *dh;
    int F;
} gate_job;

BN_VECTORIZE static void forward_rows(void *ctx, int begin, int end, int thread)
{
    const gate_job *j = ctx;
    (void)thread;
    int F = j->F;
    for (int n = begin; n < end; n++) {
        const float *gate = j->gu + (size_t)n * 2 * F, *up = gate + F;
        float *hr = j->out + (size_t)n * F;
        for (int f = 0; f < F; f++) {
            float r = gate[f] > 0.0f ? gate[f] : 0.0f;
            hr[f] = r * r * up[f];
        }
    }
}

void bn_sqrelu_gate_forward(bn_threadpool *pool, float *h, const float *gu, int N, int F)
{
    gate_job j = {.out = h, .gu = gu, .F = F};
    bn_parallel_for(pool, N, forward_rows, &j);
}

BN_VECTORIZE static void backward_rows(void *ctx, int begin, int end, int thread)
{
    const gate_job *j = ctx;
    (void)thread;
    int F = j->F;
    for (int n = begin; n < end; n++) {
        const float *gate = j->gu + (size_t)n * 2 * F, *up = gate + F;
        const float *dhr = j->dh + (size_t)n * F;
        float *dgate = j->out + (size_t)n * 2 * F, *dup = dgate + F;
        for (int f = 0; f < F; f++) {
            float r = gate[f] > 0.0f ? gate[f] : 0.0f;
            dgate[f] = 2.0f * r * up[f] * dhr[f];
            dup[f] = r * r * dhr[f];
        }
    }
}

void bn_sqrelu_gate_backward(bn_threadpool *pool, float *dgu, const float *dh, const float *gu,
                             int N, int F)
{
    gate_job j = {.out = dgu, .gu = gu, .dh = dh, .F = F};
    bn_parallel_for(pool, N, backward_rows, &j);
}
