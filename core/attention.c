/* attention.c - causal GQA attention, forward and backward, one (batch, head) at a time. */
#include "attention.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* Offsets inside one qkv row. */
static size_t q_off(bn_attn_shape s, int h) { return (size_t)h * s.hd; }
static size_t k_off(bn_attn_shape s, int kvh) { return (size_t)(s.H + kvh) * s.hd; }
static size_t v_off(bn_attn_shape s, int kvh) { return (size_t)(s.H + s.KV + kvh) * s.hd; }

static float dot(const float *a, const float *b, int n)
{
    float acc = 0.0f;
    for (int i = 0; i < n; i++)
        acc += a[i] * b[i];
    return acc;
}

/* Softmax of row[0..n) in place. */
static void softmax_inplace(float *row, int n)
{
    float mx = row[0];
    for (int i = 1; i < n; i++)
        mx = fmaxf(mx, row[i]);
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        row[i] = expf(row[i] - mx);
        sum += row[i];
    }
    float inv = 1.0f / sum;
    for (int i = 0; i < n; i++)
        row[i] *= inv;
}

static void head_forward(float *out, float *att, const float *qkv, bn_attn_shape s, int b,
                         int h)
{
    int row = (s.H + 2 * s.KV) * s.hd, d_out = s.H * s.hd, kvh = h / (s.H / s.KV);
    float scale = 1.0f / sqrtf((float)s.hd);
    const float *base = qkv + (size_t)b * s.T * row;
    for (int t = 0; t < s.T; t++) {
        const float *q = base + (size_t)t * row + q_off(s, h);
        float *a = att + (size_t)t * s.T;
        for (int j = 0; j <= t; j++)
            a[j] = dot(q, base + (size_t)j * row + k_off(s, kvh), s.hd) * scale;
        softmax_inplace(a, t + 1);
        memset(a + t + 1, 0, sizeof(float) * (size_t)(s.T - t - 1));
        float *o = out + ((size_t)b * s.T + t) * d_out + (size_t)h * s.hd;
        memset(o, 0, sizeof(float) * (size_t)s.hd);
        for (int j = 0; j <= t; j++) {
            const float *v = base + (size_t)j * row + v_off(s, kvh);
            for (int i = 0; i < s.hd; i++)
                o[i] += a[j] * v[i];
        }
    }
}

void bn_attention_forward(float *out, float *att, const float *qkv, bn_attn_shape s)
{
    for (int b = 0; b < s.B; b++)
        for (int h = 0; h < s.H; h++)
            head_forward(out, att + ((size_t)b * s.H + h) * s.T * s.T, qkv, s, b, h);
}

static void head_backward(float *dqkv, float *datt, const float *dout, const float *qkv,
                          const float *att, bn_attn_shape s, int b, int h)
{
    int row = (s.H + 2 * s.KV) * s.hd, d_out = s.H * s.hd, kvh = h / (s.H / s.KV);
    float scale = 1.0f / sqrtf((float)s.hd);
    const float *base = qkv + (size_t)b * s.T * row;
    float *dbase = dqkv + (size_t)b * s.T * row;
    for (int t = 0; t < s.T; t++) {
        const float *a = att + (size_t)t * s.T;
        const float *dout_t = dout + ((size_t)b * s.T + t) * d_out + (size_t)h * s.hd;
        /* d(att) and d(v) */
        float weighted = 0.0f;
        for (int j = 0; j <= t; j++) {
            const float *v = base + (size_t)j * row + v_off(s, kvh);
            float *dv = dbase + (size_t)j * row + v_off(s, kvh);
            datt[j] = dot(dout_t, v, s.hd);
            weighted += a[j] * datt[j];
            for (int i = 0; i < s.hd; i++)
                dv[i] += a[j] * dout_t[i];
        }
        /* through the softmax, then the scaled dot products */
        const float *q = base + (size_t)t * row + q_off(s, h);
        float *dq = dbase + (size_t)t * row + q_off(s, h);
        for (int j = 0; j <= t; j++) {
            float dscore = a[j] * (datt[j] - weighted) * scale;
            const float *k = base + (size_t)j * row + k_off(s, kvh);
            float *dk = dbase + (size_t)j * row + k_off(s, kvh);
            for (int i = 0; i < s.hd; i++) {
                dq[i] += dscore * k[i];
                dk[i] += dscore * q[i];
            }
        }
    }
}

void bn_attention_backward(float *dqkv, float *datt_row, const float *dout, const float *qkv,
                           const float *att, bn_attn_shape s)
{
    memset(dqkv, 0, sizeof(float) * (size_t)s.B * s.T * (s.H + 2 * s.KV) * s.hd);
    for (int b = 0; b < s.B; b++)
        for (int h = 0; h < s.H; h++)
            head_backward(dqkv, datt_row, dout, qkv, att + ((size_t)b * s.H + h) * s.T * s.T, s,
                          b, h);
}
