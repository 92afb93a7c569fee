/* attention.c - causal GQA attention, forward and backward, one (batch, head) at a time
 * (single-threaded: the units run on the pool). The products run as AVX-512 register tiles
 * where the CPU has them and head_dim allows (nn/attention_tiles.h), else as a few small
 * strided sgemms; the decoder takes the same path as the training forward. */
#include "nn/attention.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "nn/attention_tiles.h"
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

/* Rows of `cols` scores, row r holding the query at position first + r: softmax over
 * j <= first + r, zero after. The training forward has first = 0 and cols = rows = T; the
 * decoder's rows are its new queries over the whole cache (bn_attention_cached). */
BN_VECTORIZE static void causal_softmax(float *att, int rows, int cols, int first)
{
    for (int r = 0; r < rows; r++) {
        int t = first + r, T = cols;
        float *a = att + (size_t)r * T;
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

/* att = softmax(q k^T / sqrt(hd)) masked, one head's T x T, by either path. The backward
 * calls this again on the same inputs: the same bits as the forward's. */
static void head_probs(float *att, const head_view *hv, bn_attn_shape s, int tiles)
{
    int T = s.T;
    float scale = 1.0f / sqrtf((float)s.hd);
    if (tiles)
        bn_attn_tile_scores(att, T, hv->q, hv->ld, hv->k, hv->ld, T, 0, T, s.hd, scale);
    else
        for (int r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
            int r1 = block_end(r0, T);
            bn_gemm(NULL, 0, 1, r1 - r0, r1, s.hd, scale, hv->q + (size_t)r0 * hv->ld, hv->ld,
                    hv->k, hv->ld, 0.0f, att + (size_t)r0 * T, T);
        }
    causal_softmax(att, T, T, 0);
}

/* out = att v for head h of batch row b; att is the head's probabilities (scratch). */
static void head_forward(float *out, float *att, const float *qkv, bn_attn_shape s, int b,
                         int h, int tiles)
{
    head_view hv = view_head(qkv, NULL, s, b, h);
    int d_out = s.H * s.hd, T = s.T;
    float *o = out + (size_t)b * T * d_out + (size_t)h * s.hd;
    head_probs(att, &hv, s, tiles);
    if (tiles) {
        bn_attn_tile_mix_rows(o, d_out, att, T, hv.v, hv.ld, T, 0, T, s.hd);
        return;
    }
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

/* The sgemm path's backward products: dv += att^T dout; dp = dout v^T; ds via the softmax;
 * dq = ds k; dk += ds^T q; each over the causal blocks only (key rows j get contributions
 * from queries t >= j). */
static void head_grads_sgemm(const head_view *hv, float *dp, const float *dO, const float *att,
                             bn_attn_shape s)
{
    int d_out = s.H * s.hd, T = s.T;
    for (int c0 = 0; c0 < T; c0 += CAUSAL_BLOCK) {
        int c1 = block_end(c0, T);
        bn_gemm(NULL, 1, 0, c1 - c0, s.hd, T - c0, 1.0f, att + (size_t)c0 * T + c0, T,
                dO + (size_t)c0 * d_out, d_out, 1.0f, hv->dv + (size_t)c0 * hv->ld, hv->ld);
    }
    for (int r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
        int r1 = block_end(r0, T);
        bn_gemm(NULL, 0, 1, r1 - r0, r1, s.hd, 1.0f, dO + (size_t)r0 * d_out, d_out, hv->v,
                hv->ld, 0.0f, dp + (size_t)r0 * T, T);
    }
    softmax_backward_rows(dp, att, T, 1.0f / sqrtf((float)s.hd));
    for (int r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
        int r1 = block_end(r0, T);
        bn_gemm(NULL, 0, 0, r1 - r0, s.hd, r1, 1.0f, dp + (size_t)r0 * T, T, hv->k, hv->ld, 0.0f,
                hv->dq + (size_t)r0 * hv->ld, hv->ld);
    }
    for (int c0 = 0; c0 < T; c0 += CAUSAL_BLOCK) {
        int c1 = block_end(c0, T);
        bn_gemm(NULL, 1, 0, c1 - c0, s.hd, T - c0, 1.0f, dp + (size_t)c0 * T + c0, T,
                hv->q + (size_t)c0 * hv->ld, hv->ld, 1.0f, hv->dk + (size_t)c0 * hv->ld, hv->ld);
    }
}

/* The same products on the register tiles. */
static void head_grads_tiles(const head_view *hv, float *dp, const float *dO, const float *att,
                             bn_attn_shape s)
{
    int d_out = s.H * s.hd, T = s.T;
    bn_attn_tile_mix_cols(hv->dv, hv->ld, att, T, dO, d_out, T, s.hd);
    bn_attn_tile_scores(dp, T, dO, d_out, hv->v, hv->ld, T, 0, T, s.hd, 1.0f);
    softmax_backward_rows(dp, att, T, 1.0f / sqrtf((float)s.hd));
    bn_attn_tile_mix_rows(hv->dq, hv->ld, dp, T, hv->k, hv->ld, T, 0, T, s.hd);
    bn_attn_tile_mix_cols(hv->dk, hv->ld, dp, T, hv->q, hv->ld, T, s.hd);
}

/* Head h of batch row b: its probabilities again (att, scratch), then the gradients. */
static void head_backward(float *dqkv, float *att, float *dp, const float *dout,
                          const float *qkv, bn_attn_shape s, int b, int h, int tiles)
{
    head_view hv = view_head(qkv, dqkv, s, b, h);
    const float *dO = dout + (size_t)b * s.T * s.H * s.hd + (size_t)h * s.hd;
    head_probs(att, &hv, s, tiles);
    if (tiles)
        head_grads_tiles(&hv, dp, dO, att, s);
    else
        head_grads_sgemm(&hv, dp, dO, att, s);
}

typedef struct {
    float *out, *dqkv, *scratch;
    const float *qkv, *dout;
    bn_attn_shape s;
    int tiles; /* bn_attn_tiles_usable(s.hd) */
} attn_job;

/* The query heads of kv head `kvh` are h = kvh * group ... kvh * group + group - 1. */
static int group_size(bn_attn_shape s) { return s.H / s.KV; }

size_t bn_attention_scratch(int threads, bn_attn_shape s)
{
    return (size_t)(threads > 0 ? threads : 1) * 2 * (size_t)s.T * (size_t)s.T;
}

/* Thread `thread`'s two T x T matrices in the scratch. */
static float *thread_scratch(const attn_job *j, int thread)
{
    return j->scratch + (size_t)thread * 2 * (size_t)j->s.T * (size_t)j->s.T;
}

static void forward_units(void *ctx, int begin, int end, int thread)
{
    const attn_job *j = ctx;
    bn_attn_shape s = j->s;
    float *att = thread_scratch(j, thread);
    for (int u = begin; u < end; u++) {
        int b = u / s.KV, kvh = u % s.KV;
        for (int h = kvh * group_size(s); h < (kvh + 1) * group_size(s); h++)
            head_forward(j->out, att, j->qkv, s, b, h, j->tiles);
    }
}

void bn_attention_forward(bn_threadpool *pool, float *out, float *scratch, const float *qkv,
                          bn_attn_shape s)
{
    attn_job j = {.out = out, .scratch = scratch, .qkv = qkv, .s = s,
                  .tiles = bn_attn_tiles_usable(s.hd)};
    bn_parallel_for(pool, s.B * s.KV, forward_units, &j);
}

static void backward_units(void *ctx, int begin, int end, int thread)
{
    const attn_job *j = ctx;
    bn_attn_shape s = j->s;
    float *att = thread_scratch(j, thread), *dp = att + (size_t)s.T * s.T;
    for (int u = begin; u < end; u++) {
        int b = u / s.KV, kvh = u % s.KV;
        for (int h = kvh * group_size(s); h < (kvh + 1) * group_size(s); h++)
            head_backward(j->dqkv, att, dp, j->dout, j->qkv, s, b, h, j->tiles);
    }
}

void bn_attention_backward(bn_threadpool *pool, float *dqkv, float *scratch, const float *dout,
                           const float *qkv, bn_attn_shape s)
{
    memset(dqkv, 0, sizeof(float) * (size_t)s.B * s.T * (s.H + 2 * s.KV) * s.hd);
    attn_job j = {.dqkv = dqkv, .scratch = scratch, .dout = dout, .qkv = qkv, .s = s,
                  .tiles = bn_attn_tiles_usable(s.hd)};
    bn_parallel_for(pool, s.B * s.KV, backward_units, &j);
}

size_t bn_attention_cached_scratch(int n, int pos, bn_attn_shape s)
{
    size_t rows = n > 1 ? (size_t)n : 2;
    return rows * (size_t)(pos + n) + 4 * (size_t)s.hd;
}

typedef struct {
    float *out, *scores;
    const float *q, *kc, *vc;
    int ld_q, kv_ld, n, pos;
    bn_attn_shape s;
    int tiles; /* bn_attn_tiles_usable(s.hd) */
} cached_job;

/* Query head h of the n new rows over keys 0 .. pos + n - 1 of its kv head, as
 * head_forward does it: the same products per score and per output (README, "Inference"). */
static void cached_head(const cached_job *j, float *scores, int h)
{
    bn_attn_shape s = j->s;
    int kvh = h / group_size(s), keys = j->pos + j->n, d_out = s.H * s.hd;
    const float *k = j->kc + (size_t)kvh * s.hd, *v = j->vc + (size_t)kvh * s.hd;
    bn_gemm(NULL, 0, 1, j->n, keys, s.hd, 1.0f / sqrtf((float)s.hd), j->q + (size_t)h * s.hd,
            j->ld_q, k, j->kv_ld, 0.0f, scores, keys);
    causal_softmax(scores, j->n, keys, j->pos);
    bn_gemm(NULL, 0, 0, j->n, s.hd, keys, 1.0f, scores, keys, v, j->kv_ld, 0.0f,
            j->out + (size_t)h * s.hd, d_out);
}

/* One new row: OpenBLAS computes a single-row product with another summation order than
 * the row blocks of the forward (it differed in the last bit past ~24 keys), so the row
 * goes in twice, as a product of two rows, and the first is kept. */
static void cached_head_single(const cached_job *j, float *scratch, int h)
{
    bn_attn_shape s = j->s;
    int kvh = h / group_size(s), keys = j->pos + 1;
    const float *k = j->kc + (size_t)kvh * s.hd, *v = j->vc + (size_t)kvh * s.hd;
    float *q2 = scratch, *o2 = q2 + 2 * s.hd, *scores = o2 + 2 * s.hd;
    memcpy(q2, j->q + (size_t)h * s.hd, sizeof(float) * (size_t)s.hd);
    memcpy(q2 + s.hd, q2, sizeof(float) * (size_t)s.hd);
    bn_gemm(NULL, 0, 1, 2, keys, s.hd, 1.0f / sqrtf((float)s.hd), q2, s.hd, k, j->kv_ld, 0.0f,
            scores, keys);
    causal_softmax(scores, 1, keys, j->pos);
    memcpy(scores + keys, scores, sizeof(float) * (size_t)keys);
    bn_gemm(NULL, 0, 0, 2, s.hd, keys, 1.0f, scores, keys, v, j->kv_ld, 0.0f, o2, s.hd);
    memcpy(j->out + (size_t)h * s.hd, o2, sizeof(float) * (size_t)s.hd);
}

/* cached_head on the register tiles: each score and sum is the training forward's, one row
 * or many. */
static void cached_head_tiles(const cached_job *j, float *scores, int h)
{
    bn_attn_shape s = j->s;
    int kvh = h / group_size(s), keys = j->pos + j->n, d_out = s.H * s.hd;
    const float *k = j->kc + (size_t)kvh * s.hd, *v = j->vc + (size_t)kvh * s.hd;
    bn_attn_tile_scores(scores, keys, j->q + (size_t)h * s.hd, j->ld_q, k, j->kv_ld, j->n,
                        j->pos, keys, s.hd, 1.0f / sqrtf((float)s.hd));
    causal_softmax(scores, j->n, keys, j->pos);
    bn_attn_tile_mix_rows(j->out + (size_t)h * s.hd, d_out, scores, keys, v, j->kv_ld, j->n,
                          j->pos, keys, s.hd);
}

static void cached_units(void *ctx, int begin, int end, int thread)
{
    const cached_job *j = ctx;
    float *scores = j->scores + (size_t)thread * bn_attention_cached_scratch(j->n, j->pos, j->s);
    for (int kvh = begin; kvh < end; kvh++)
        for (int h = kvh * group_size(j->s); h < (kvh + 1) * group_size(j->s); h++) {
            if (j->tiles)
                cached_head_tiles(j, scores, h);
            else if (j->n == 1)
                cached_head_single(j, scores, h);
            else
                cached_head(j, scores, h);
        }
}

void bn_attention_cached(bn_threadpool *pool, float *out, float *scores, const float *q,
                         int ld_q, const float *kc, const float *vc, int kv_ld, int n, int pos,
                         bn_attn_shape s)
{
    cached_job j = {.out = out, .scores = scores, .q = q, .kc = kc, .vc = vc, .ld_q = ld_q,
                    .kv_ld = kv_ld, .n = n, .pos = pos, .s = s,
                    .tiles = bn_attn_tiles_usable(s.hd)};
    bn_parallel_for(pool, s.KV, cached_units, &j);
}
