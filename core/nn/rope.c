/* rope.c - RoPE forward (rotate by +angle) and backward (rotate by -angle). */
#include "nn/rope.h"
#include "base/simd.h"

#include <math.h>
#include <stddef.h>

void bn_rope_tables(float *cos_t, float *sin_t, int max_t, int hd, double theta)
{
    int half = hd / 2;
    for (int t = 0; t < max_t; t++)
        for (int i = 0; i < half; i++) {
            double inv_freq = pow(theta, -2.0 * i / hd);
            double angle = t * inv_freq;
            cos_t[(size_t)t * half + i] = (float)cos(angle);
            sin_t[(size_t)t * half + i] = (float)sin(angle);
        }
}

typedef struct {
    float *qkv;
    const float *cos_t, *sin_t;
    int T, H, KV, hd;
    float direction; /* +1 rotates forward, -1 applies the transpose (inverse) rotation */
} rope_job;

BN_VECTORIZE static void rotate_rows(void *ctx, int begin, int end, int thread)
{
    const rope_job *j = ctx;
    (void)thread;
    int half = j->hd / 2;
    int row = (j->H + 2 * j->KV) * j->hd;
    int rotated_heads = j->H + j->KV; /* q heads then k heads, contiguous */
    for (int n = begin; n < end; n++) {
        int t = n % j->T;
        float *r = j->qkv + (size_t)n * row;
        const float *c = j->cos_t + (size_t)t * half;
        const float *s = j->sin_t + (size_t)t * half;
        for (int h = 0; h < rotated_heads; h++) {
            float *a = r + (size_t)h * j->hd;
            float *b = a + half;
            for (int i = 0; i < half; i++) {
                float si = j->direction * s[i];
                float x0 = a[i], x1 = b[i];
                a[i] = x0 * c[i] - x1 * si;
                b[i] = x0 * si + x1 * c[i];
            }
        }
    }
}

void bn_rope_forward(bn_threadpool *pool, float *qkv, const float *cos_t, const float *sin_t,
                     int B, int T, int H, int KV, int hd)
{
    rope_job j = {qkv, cos_t, sin_t, T, H, KV, hd, 1.0f};
    bn_parallel_for(pool, B * T, rotate_rows, &j);
}

void bn_rope_backward(bn_threadpool *pool, float *dqkv, const float *cos_t,
                      const float *sin_t, int B, int T, int H, int KV, int hd)
{
    rope_job j = {dqkv, cos_t, sin_t, T, H, KV, hd, -1.0f};
    bn_parallel_for(pool, B * T, rotate_rows, &j);
}
