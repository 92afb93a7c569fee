/* attention.c - causal GQA attention, forward and backward, one (batch, head) at a time,
 * each as a few small strided sgemms (single-threaded: the units run on the pool). */
#include "nn/attention.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "nn/matmul.h"
#include "base/vexp.h"
#include "base/simd.h"

/* Where one head's q, k and v start inside the packed qkv rows of batch row b. */
typedef struct {
    const float *q, *k, *v;
    float *dq, *dk, *dv; /* the same places in dqkv (backward) */
    int ld;              /* qkv row length (H + 2*KV) * hd */
} head_view;

static head_view view_head(const float *qkv, float *dqkv, bn_attn_shape s, int b, int h)
{
    int ld = (s.H + 2 * s.KV) * s.hd, kvh = h / (s.H / s.KV);
    size_t base = (size_t)b * s.T * ld;
    size_t q = (size_t)h * s.hd, k = (size_t)(s.H + kvh) * s.hd,
           v = (size_t)(s.H + s.KV + kvh) * s.hd;
    head_view hv = {qkv + base + q, qkv + base + k, qkv + base + v, NULL, NULL, NULL, ld};
    if (dqkv) {
        hv.dq = dqkv + base + q;
        hv.dk = dqkv + base + k;
        hv.dv = dqkv + base + v;
    }
    return hv;
}

/* Row t of the (T, T) scores: softmax over j <= t, zero above the diagonal. */
BN_VECTORIZE static void causal_softmax_rows(float *att, int T)
{
    for (int t = 0; t < T; t++) {
        float *a = att + (size_t)t * T;
        float mx = a[0];
#pragma omp simd reduction(max : mx)
        for (int j = 1; j <= t; j++)
            mx = a[j] > mx ? a[j] : mx; /* a compare, not a libm call */
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j <= t; j++) {
            a[j] = bn_expf(a[j] - mx);
            sum += a[j];
        }
        float inv = 1.0f / sum;
#pragma omp simd
        for (int j = 0; j <= t; j++)
            a[j] *= inv;
        memset(a + t + 1, 0, sizeof(float) * (size_t)(T - t - 1));
    }
}

/* Causal blocking: a block of query rows [r0, r1) attends to keys [0, r1) only, so the
 * products skip most of the masked upper triangle (at T = 256 they do 5/8 of the full
 * square). Entries past the diagonal inside a block are computed and then zeroed by the
 * softmax; entries right of the block are never read. */
#define CAUSAL_BLOCK 64

static int block_end(int r0, int T) { return r0 + CAUSAL_BLOCK < T ? r0 + CAUSAL_BLOCK : T; }

/* att = softmax(q k^T / sqrt(hd)) masked; out = att v. */
static void head_forward(float *out, float *att, const float *qkv, bn_attn_shape s, int b,
                         int h)
{
    head_view hv = view_head(qkv, NULL, s, b, h);
    int d_out = s.H * s.hd, T = s.T;
    float scale = 1.0f / sqrtf((float)s.hd);
    float *o = out + (size_t)b * T * d_out + (size_t)h * s.hd;
    for (int r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
        int r1 = block_end(r0, T);
        bn_gemm(NULL, 0, 1, r1 - r0, r1, s.hd, scale, hv.q + (size_t)r0 * hv.ld, hv.ld, hv.k,
                hv.ld, 0.0f, att + (size_t)r0 * T, T);
    }
    causal_softmax_rows(att, T);
    for (int r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
        int r1 = block_end(r0, T);
        bn_gemm(NULL, 0, 0, r1 - r0, s.hd, r1, 1.0f, att + (size_t)r0 * T, T, hv.v, hv.ld, 0.0f,
                o + (size_t)r0 * d_out, d_out);
    }
}

/* Through the softmax: ds = att * (dp - sum_j att*dp) * scale, in place in dp. */
BN_VECTORIZE static void softmax_backward_rows(float *dp, const float *att, int T, float scale)
{
    for (int t = 0; t < T; t++) {
        const float *a = att + (size_t)t * T;
        float *g = dp + (size_t)t * T;
        float weighted = 0.0f;
#pragma omp simd reduction(+ : weighted)
        for (int j = 0; j <= t; j++)
            weighted += a[j] * g[j];
        for (int j = 0; j <= t; j++)
            g[j] = a[j] * (g[j] - weighted) * scale;
        memset(g + t + 1, 0, sizeof(float) * (size_t)(T - t - 1));
    }
}

/* dv += att^T dout; dp = dout v^T; ds via the softmax; dq = ds k; dk += ds^T q; each
 * product over the causal blocks only (key rows j get contributions from queries t >= j). */
static void head_backward(float *dqkv, float *dp, const float *dout, const float *qkv,
                          const float *att, bn_attn_shape s, int b, int h)
{
    head_view hv = view_head(qkv, dqkv, s, b, h);
    int d_out = s.H * s.hd, T = s.T;
    const float *dO = dout + (size_t)b * T * d_out + (size_t)h * s.hd;
    for (int c0 = 0; c0 < T; c0 += CAUSAL_BLOCK) {
        int c1 = block_end(c0, T);
        bn_gemm(NULL, 1, 0, c1 - c0, s.hd, T - c0, 1.0f, att + (size_t)c0 * T + c0, T,
                dO + (size_t)c0 * d_out, d_out, 1.0f, hv.dv + (size_t)c0 * hv.ld, hv.ld);
    }
    for (int r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
        int r1 = block_end(r0, T);
        bn_gemm(NULL, 0, 1, r1 - r0, r1, s.hd, 1.0f, dO + (size_t)r0 * d_out, d_out, hv.v, hv.ld,
                0.0f, dp + (size_t)r0 * T, T);
    }
    softmax_backward_rows(dp, att, T, 1.0f / sqrtf((float)s.hd));
    for (int r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
        int r1 = block_end(r0, T);
        bn_gemm(NULL, 0, 0, r1 - r0, s.hd, r1, 1.0f, dp + (size_t)r0 * T, T, hv.k, hv.ld, 0.0f,
                hv.dq + (size_t)r0 * hv.ld, hv.ld);
    }
    for (int c0 = 0; c0 < T; c0 += CAUSAL_BLOCK) {
        int c1 = block_end(c0, T);
        bn_gemm(NULL, 1, 0, c1 - c0, s.hd, T - c0, 1.0f, dp + (size_t)c0 * T + c0, T,
                hv.q + (size_t)c0 * hv.ld, hv.ld, 1.0f, hv.dk + (size_t)c0 * hv.ld, hv.ld);
    }
}

typedef struct {
    float *out, *att, *dqkv, *dp;
    const float *qkv, *dout, *att_in;
    bn_attn_shape s;
} attn_job;

/* The query heads of kv head `kvh` are h = kvh * group ... kvh * group + group - 1. */
static int group_size(bn_attn_shape s) { return s.H / s.KV; }

static void forward_units(void *ctx, int begin, int end, int thread)
{
    const attn_job *j = ctx;
    (void)thread;
    bn_attn_shape s = j->s;
    for (int u = begin; u < end; u++) {
        int b = u / s.KV, kvh = u % s.KV;
        for (int h = kvh * group_size(s); h < (kvh + 1) * group_size(s); h++)
            head_forward(j->out, j->att + ((size_t)b * s.H + h) * s.T * s.T, j->qkv, s, b, h);
    }
}

void bn_attention_forward(bn_threadpool *pool, float *out, float *att, const float *qkv,
                          bn_attn_shape s)
{
    attn_job j = {.out = out, .att = att, .qkv = qkv, .s = s};
    bn_parallel_for(pool, s.B * s.KV, forward_units, &j);
}

static void backward_units(void *ctx, int begin, int end, int thread)
{
    const attn_job *j = ctx;
    bn_attn_shape s = j->s;
    float *dp = j->dp + (size_t)thread * s.T * s.T;
    for (int u = begin; u < end; u++) {
        int b = u / s.KV, kvh = u % s.KV;
        for (int h = kvh * group_size(s); h < (kvh + 1) * group_size(s); h++)
            head_backward(j->dqkv, dp, j->dout, j->qkv,
                          j->att_in + ((size_t)b * s.H + h) * s.T * s.T, s, b, h);
    }
}

void bn_attention_backward(bn_threadpool *pool, float *dqkv, float *dp, const float *dout,
                           const float *qkv, const float *att, bn_attn_shape s)
{
    memset(dqkv, 0, sizeof(float) * (size_t)s.B * s.T * (s.H + 2 * s.KV) * s.hd);
    attn_job j = {.dqkv = dqkv, .dp = dp, .dout = dout, .qkv = qkv, .att_in = att, .s = s};
    bn_parallel_for(pool, s.B * s.KV, backward_units, &j);
}
