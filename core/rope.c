/* rope.c - RoPE forward (rotate by +angle) and backward (rotate by -angle). */
#include "rope.h"

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

/* direction +1 rotates forward, -1 applies the transpose (inverse) rotation. */
static void rotate_heads(float *qkv, const float *cos_t, const float *sin_t, int B, int T,
                         int H, int KV, int hd, float direction)
{
    int half = hd / 2;
    int row = (H + 2 * KV) * hd;
    int rotated_heads = H + KV; /* q heads then k heads, contiguous */
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *r = qkv + ((size_t)b * T + t) * row;
            const float *c = cos_t + (size_t)t * half;
            const float *s = sin_t + (size_t)t * half;
            for (int h = 0; h < rotated_heads; h++) {
                float *a = r + (size_t)h * hd;
                float *bh = a + half;
                for (int i = 0; i < half; i++) {
                    float si = direction * s[i];
                    float x0 = a[i], x1 = bh[i];
                    a[i] = x0 * c[i] - x1 * si;
                    bh[i] = x0 * si + x1 * c[i];
                }
            }
        }
}

void bn_rope_forward(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int H,
                     int KV, int hd)
{
    rotate_heads(qkv, cos_t, sin_t, B, T, H, KV, hd, 1.0f);
}

void bn_rope_backward(float *dqkv, const float *cos_t, const float *sin_t, int B, int T, int H,
                      int KV, int hd)
{
    rotate_heads(dqkv, cos_t, sin_t, B, T, H, KV, hd, -1.0f);
}
