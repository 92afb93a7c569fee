/* attention.c - causal GQA attention, forward and backward, one (batch, head) at a time
 * (single-threaded: the units run on the pool). The products run as AVX-512 register tiles
 * where the CPU has them and head_dim allows (nn/attention_tiles.h), else as a few small
 * strided sgemms; the decoder takes the same path as the training forward. */
#include "nn/attention.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nn/attention_bf16.h"
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

/* att = softmax(q k^T / sqrt(hd)) masked, one head's T x T on the sgemm path. The
 * backward calls this again on the same inputs: the same bits as the forward's. */
static void head_probs(float *att, const head_view *hv, bn_attn_shape s)
{
    int T = s.T;
    float scale = 1.0f / sqrtf((float)s.hd);
    for (int r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
        int r1 = block_end(r0, T);
        bn_gemm(NULL, 0, 1, r1 - r0, r1, s.hd, scale, hv->q + (size_t)r0 * hv->ld, hv->ld,
                hv->k, hv->ld, 0.0f, att + (size_t)r0 * T, T);
    }
    causal_softmax(att, T, T, 0);
}

/* out = att v for head h of batch row b on the sgemm path; att is the head's
 * probabilities (scratch). */
static void head_forward(float *out, float *att, const float *qkv, bn_attn_shape s, int b,
                         int h)
{
    head_view hv = view_head(qkv, NULL, s, b, h);
    int d_out = s.H * s.hd, T = s.T;
    float *o = out + (size_t)b * T * d_out + (size_t)h * s.hd;
    head_probs(att, &hv, s);
    for (int r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
        int r1 = block_end(r0, T);
        bn_gemm(NULL, 0, 0, r1 - r0, s.hd, r1, 1.0f, att + (size_t)r0 * T, T, hv.v, hv.ld, 0.0f,
                o + (size_t)r0 * d_out, d_out);
    }
}

/* Through the softmax, rows as causal_softmax lays them out (row r is position first + r,
 * `cols` to a row): ds = att * (dp - sum_j att*dp) * scale, in place in dp. */
BN_VECTORIZE static void softmax_backward_rows(float *dp, const float *att, int rows, int cols,
                                               int first, float scale)
{
    for (int r = 0; r < rows; r++) {
        int t = first + r;
        const float *a = att + (size_t)r * cols;
        float *g = dp + (size_t)r * cols;
        float weighted = 0.0f;
#pragma omp simd reduction(+ : weighted)
        for (int j = 0; j <= t; j++)
            weighted += a[j] * g[j];
        for (int j = 0; j <= t; j++)
            g[j] = a[j] * (g[j] - weighted) * scale;
        memset(g + t + 1, 0, sizeof(float) * (size_t)(cols - t - 1));
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
    softmax_backward_rows(dp, att, T, T, 0, 1.0f / sqrtf((float)s.hd));
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

/* Head h of batch row b on the sgemm path: its probabilities again (att, scratch), then
 * the gradients. */
static void head_backward(float *dqkv, float *att, float *dp, const float *dout,
                          const float *qkv, bn_attn_shape s, int b, int h)
{
    head_view hv = view_head(qkv, dqkv, s, b, h);
    const float *dO = dout + (size_t)b * s.T * s.H * s.hd + (size_t)h * s.hd;
    head_probs(att, &hv, s);
    head_grads_sgemm(&hv, dp, dO, att, s);
}

/* ------------------------------------------------ the register tiles, a strip at a time */

/* Query rows whose scores (and their gradients) are held at once (README, "Attention in
 * strips"): 48 is a multiple of every row block of the tiles (6 for scores; 16, 12, 8 or 6
 * for the sums), and 48 rows of 256 keys, with their gradients, are 96 KiB, which stay in L2
 * between the products where two T x T matrices of long rows would not. */
#define STRIP_ROWS 48

static size_t round_up16(size_t n) { return (n + 15) & ~(size_t)15; }

/* The bf16 backward's operands (nn/attention_bf16.h), words of two bf16: the kv head's
 * values as "keys" and its keys as "row pairs" (once per kv head), and a strip's d(out) as
 * "rows" and as "row pairs", its q as "row pairs", its probabilities as "row pairs" and
 * their gradient both ways. */
typedef struct {
    uint32_t *vb, *kp, *g_rows, *g_pairs, *q_pairs, *p_pairs, *ds_rows, *ds_pairs;
    int ld_hd, ld_t; /* words a row: head_dim's width and T's width as "row pairs" */
} bf16_scratch;

/* A thread's scratch on the tiles: its kv head's keys and values packed once for all the
 * strips of its query heads, and two strips of scores; with the bf16 backward its
 * operands too. */
typedef struct {
    float *kt, *vt, *p, *dp;
    bf16_scratch b;
} strip_scratch;

static size_t strip_floats(bn_attn_shape s) { return round_up16((size_t)STRIP_ROWS * s.T); }
static size_t packed_floats(bn_attn_shape s)
{
    return round_up16(bn_attn_tile_keys_size(s.T, s.hd));
}

/* The bf16 operands' sizes in words, each a whole number of cache lines. */
typedef struct {
    size_t vb, kp, g_rows, pairs_hd, pairs_t, ds_rows;
} bf16_sizes;

static bf16_sizes bf16_words(bn_attn_shape s)
{
    size_t w_hd = (size_t)bn_attn_bf16_width(s.hd), w_t = (size_t)bn_attn_bf16_width(s.T);
    size_t half = STRIP_ROWS / 2;
    bf16_sizes z = {round_up16(bn_attn_bf16_keys_words(s.T, s.hd)),
                    round_up16((size_t)(s.T + 1) / 2 * w_hd), STRIP_ROWS * w_hd / 2,
                    half * w_hd, half * w_t, STRIP_ROWS * w_t / 2};
    return z;
}

static size_t bf16_total(bn_attn_shape s)
{
    bf16_sizes z = bf16_words(s);
    return z.vb + z.kp + z.g_rows + 2 * z.pairs_hd + 2 * z.pairs_t + z.ds_rows;
}

static bf16_scratch carve_bf16(uint32_t *w, bn_attn_shape s)
{
    bf16_sizes z = bf16_words(s);
    bf16_scratch b = {.ld_hd = bn_attn_bf16_width(s.hd), .ld_t = bn_attn_bf16_width(s.T)};
    b.vb = w;
    b.kp = b.vb + z.vb;
    b.g_rows = b.kp + z.kp;
    b.g_pairs = b.g_rows + z.g_rows;
    b.q_pairs = b.g_pairs + z.pairs_hd;
    b.p_pairs = b.q_pairs + z.pairs_hd;
    b.ds_pairs = b.p_pairs + z.pairs_t;
    b.ds_rows = b.ds_pairs + z.pairs_t;
    return b;
}

static strip_scratch carve_strips(float *base, bn_attn_shape s)
{
    float *p = (float *)(((uintptr_t)base + 63) & ~(uintptr_t)63); /* whole cache lines */
    strip_scratch w = {p, p + packed_floats(s), NULL, NULL, {0}};
    w.p = w.vt + packed_floats(s);
    w.dp = w.p + strip_floats(s);
    if (bn_attn_bf16_usable(s.hd))
        w.b = carve_bf16((uint32_t *)(w.dp + strip_floats(s)), s);
    return w;
}

static int strip_end(int r0, int T) { return r0 + STRIP_ROWS < T ? r0 + STRIP_ROWS : T; }

/* The probabilities of query rows r0 .. r1 - 1 (q: row r0) over keys 0 .. r1 - 1 into w->p
 * (r1 to a row): the same bits in the forward and, computed again, in the backward. */
static void strip_probs(const strip_scratch *w, const float *q, int ld, int r0, int r1,
                        bn_attn_shape s)
{
    bn_attn_tile_scores_packed(w->p, r1, q, ld, w->kt, r1 - r0, r0, r1, s.hd,
                               1.0f / sqrtf((float)s.hd));
    bn_attn_tile_softmax(w->p, r1 - r0, r1, r0);
}

/* out = att v for one query head, strip by strip: each strip's scores against the keys up
 * to its last row, their softmax, their weighted sum of values. Every score, probability
 * and output is the same fused chain as on the whole T x T matrix. */
static void strips_forward(float *o, int d_out, const head_view *hv, bn_attn_shape s,
                           const strip_scratch *w)
{
    for (int r0 = 0; r0 < s.T; r0 += STRIP_ROWS) {
        int r1 = strip_end(r0, s.T), rows = r1 - r0;
        strip_probs(w, hv->q + (size_t)r0 * hv->ld, hv->ld, r0, r1, s);
        bn_attn_tile_mix_rows(o + (size_t)r0 * d_out, d_out, w->p, r1, hv->v, hv->ld, rows, r0,
                              r1, s.hd);
    }
}

/* One query head's gradients, strip by strip: the strip's probabilities again (the
 * forward's bits), dv += att^T dout, dp = dout v^T, ds through the softmax, dq = ds k,
 * dk += ds^T q. The key gradients' sums run over the strips in order of position. */
static void strips_backward(const head_view *hv, const float *dO, bn_attn_shape s,
                            const strip_scratch *w)
{
    int d_out = s.H * s.hd, ld = hv->ld;
    float scale = 1.0f / sqrtf((float)s.hd);
    for (int r0 = 0; r0 < s.T; r0 += STRIP_ROWS) {
        int r1 = strip_end(r0, s.T), rows = r1 - r0;
        const float *q = hv->q + (size_t)r0 * ld, *g = dO + (size_t)r0 * d_out;
        strip_probs(w, q, ld, r0, r1, s);
        bn_attn_tile_mix_cols(hv->dv, ld, w->p, r1, g, d_out, r0, rows, s.hd);
        bn_attn_tile_scores_packed(w->dp, r1, g, d_out, w->vt, rows, r0, r1, s.hd, 1.0f);
        softmax_backward_rows(w->dp, w->p, rows, r1, r0, scale);
        bn_attn_tile_mix_rows(hv->dq + (size_t)r0 * ld, ld, w->dp, r1, hv->k, ld, rows, r0, r1,
                              s.hd);
        bn_attn_tile_mix_cols(hv->dk, ld, w->dp, r1, q, ld, r0, rows, s.hd);
    }
}

/* strips_backward with the four products after the probabilities in bf16 (README,
 * "Attention's backward in bf16"): the probabilities and d(s) are the fp32 path's, each
 * operand is rounded to bf16 once, as it is packed. */
static void strips_backward_bf16(const head_view *hv, const float *dO, bn_attn_shape s,
                                 const strip_scratch *w)
{
    int d_out = s.H * s.hd, ld = hv->ld;
    const bf16_scratch *b = &w->b;
    int ld_rows_hd = b->ld_hd / 2, ld_rows_t = b->ld_t / 2;
    float scale = 1.0f / sqrtf((float)s.hd);
    for (int r0 = 0; r0 < s.T; r0 += STRIP_ROWS) {
        int r1 = strip_end(r0, s.T), rows = r1 - r0;
        const float *q = hv->q + (size_t)r0 * ld, *g = dO + (size_t)r0 * d_out;
        strip_probs(w, q, ld, r0, r1, s);
        bn_attn_bf16_row_pairs(b->p_pairs, b->ld_t, w->p, r1, rows, r1);
        bn_attn_bf16_row_pairs(b->g_pairs, b->ld_hd, g, d_out, rows, s.hd);
        bn_attn_bf16_mix_cols(hv->dv, ld, b->p_pairs, b->ld_t, b->g_pairs, b->ld_hd, r0, rows,
                              s.hd);
        bn_attn_bf16_rows(b->g_rows, ld_rows_hd, g, d_out, rows, s.hd);
        bn_attn_bf16_scores(w->dp, r1, b->g_rows, ld_rows_hd, b->vb, rows, r0, r1, s.hd);
        softmax_backward_rows(w->dp, w->p, rows, r1, r0, scale);
        bn_attn_bf16_rows(b->ds_rows, ld_rows_t, w->dp, r1, rows, r1);
        bn_attn_bf16_mix_rows(hv->dq + (size_t)r0 * ld, ld, b->ds_rows, ld_rows_t, b->kp,
                              b->ld_hd, rows, r0, r1, s.hd);
        bn_attn_bf16_row_pairs(b->ds_pairs, b->ld_t, w->dp, r1, rows, r1);
        bn_attn_bf16_row_pairs(b->q_pairs, b->ld_hd, q, ld, rows, s.hd);
        bn_attn_bf16_mix_cols(hv->dk, ld, b->ds_pairs, b->ld_t, b->q_pairs, b->ld_hd, r0, rows,
                              s.hd);
    }
}

typedef struct {
    float *out, *dqkv, *scratch;
    const float *qkv, *dout;
    bn_attn_shape s;
    int tiles; /* bn_attn_tiles_usable(s.hd) */
    int bf16;  /* the backward's products after the probabilities in bf16 (on the tiles) */
} attn_job;

/* The query heads of kv head `kvh` are h = kvh * group ... kvh * group + group - 1. */
static int group_size(bn_attn_shape s) { return s.H / s.KV; }

/* Floats of scratch one thread needs: two T x T matrices on the sgemm path, the packed
 * keys and values and two strips on the tiles (with a cache line to align them). */
static size_t thread_floats(bn_attn_shape s, int tiles)
{
    if (tiles)
        return 2 * packed_floats(s) + 2 * strip_floats(s) + 16 +
               (bn_attn_bf16_usable(s.hd) ? bf16_total(s) : 0);
    return 2 * (size_t)s.T * (size_t)s.T;
}

size_t bn_attention_scratch(int threads, bn_attn_shape s)
{
    return (size_t)(threads > 0 ? threads : 1) * thread_floats(s, bn_attn_tiles_usable(s.hd));
}

static float *thread_scratch(const attn_job *j, int thread)
{
    return j->scratch + (size_t)thread * thread_floats(j->s, j->tiles);
}

/* Units (batch row, kv head) on the sgemm path: each query head's T x T in the scratch. */
static void forward_units_sgemm(void *ctx, int begin, int end, int thread)
{
    const attn_job *j = ctx;
    bn_attn_shape s = j->s;
    float *att = thread_scratch(j, thread);
    for (int u = begin; u < end; u++) {
        int b = u / s.KV, h0 = (u % s.KV) * group_size(s);
        for (int h = h0; h < h0 + group_size(s); h++)
            head_forward(j->out, att, j->qkv, s, b, h);
    }
}

/* The same units on the tiles: the kv head's keys packed once, then its query heads'
 * strips. */
static void forward_units_tiles(void *ctx, int begin, int end, int thread)
{
    const attn_job *j = ctx;
    bn_attn_shape s = j->s;
    strip_scratch w = carve_strips(thread_scratch(j, thread), s);
    int d_out = s.H * s.hd;
    for (int u = begin; u < end; u++) {
        int b = u / s.KV, h0 = (u % s.KV) * group_size(s);
        head_view kv = view_head(j->qkv, NULL, s, b, h0);
        bn_attn_tile_pack_keys(w.kt, kv.k, kv.ld, s.T, s.hd);
        for (int h = h0; h < h0 + group_size(s); h++) {
            head_view hv = view_head(j->qkv, NULL, s, b, h);
            strips_forward(j->out + (size_t)b * s.T * d_out + (size_t)h * s.hd, d_out, &hv, s,
                           &w);
        }
    }
}

void bn_attention_forward(bn_threadpool *pool, float *out, float *scratch, const float *qkv,
                          bn_attn_shape s)
{
    attn_job j = {.out = out, .scratch = scratch, .qkv = qkv, .s = s,
                  .tiles = bn_attn_tiles_usable(s.hd)};
    bn_parallel_for(pool, s.B * s.KV, j.tiles ? forward_units_tiles : forward_units_sgemm, &j);
}

static void backward_units_sgemm(void *ctx, int begin, int end, int thread)
{
    const attn_job *j = ctx;
    bn_attn_shape s = j->s;
    float *att = thread_scratch(j, thread), *dp = att + (size_t)s.T * s.T;
    for (int u = begin; u < end; u++) {
        int b = u / s.KV, h0 = (u % s.KV) * group_size(s);
        for (int h = h0; h < h0 + group_size(s); h++)
            head_backward(j->dqkv, att, dp, j->dout, j->qkv, s, b, h);
    }
}

/* The same units on the tiles: the kv head's keys packed for the scores, then its values
 * packed for d(p) in fp32, or, with the bf16 products, its keys for d(q) and its values for
 * d(p) in their bf16 layouts; then its query heads' strips. */
static void backward_units_tiles(void *ctx, int begin, int end, int thread)
{
    const attn_job *j = ctx;
    bn_attn_shape s = j->s;
    strip_scratch w = carve_strips(thread_scratch(j, thread), s);
    for (int u = begin; u < end; u++) {
        int b = u / s.KV, h0 = (u % s.KV) * group_size(s);
        head_view kv = view_head(j->qkv, NULL, s, b, h0);
        bn_attn_tile_pack_keys(w.kt, kv.k, kv.ld, s.T, s.hd);
        if (j->bf16) {
            bn_attn_bf16_row_pairs(w.b.kp, w.b.ld_hd, kv.k, kv.ld, s.T, s.hd);
            bn_attn_bf16_pack_keys(w.b.vb, kv.v, kv.ld, s.T, s.hd);
        } else {
            bn_attn_tile_pack_keys(w.vt, kv.v, kv.ld, s.T, s.hd);
        }
        for (int h = h0; h < h0 + group_size(s); h++) {
            head_view hv = view_head(j->qkv, j->dqkv, s, b, h);
            const float *dO = j->dout + (size_t)b * s.T * s.H * s.hd + (size_t)h * s.hd;
            if (j->bf16)
                strips_backward_bf16(&hv, dO, s, &w);
            else
                strips_backward(&hv, dO, s, &w);
        }
    }
}

int bn_attention_bf16_usable(bn_attn_shape s)
{
    return bn_attn_tiles_usable(s.hd) && bn_attn_bf16_usable(s.hd);
}

void bn_attention_backward(bn_threadpool *pool, float *dqkv, float *scratch, const float *dout,
                           const float *qkv, bn_attn_shape s, int bf16)
{
    memset(dqkv, 0, sizeof(float) * (size_t)s.B * s.T * (s.H + 2 * s.KV) * s.hd);
    attn_job j = {.dqkv = dqkv, .scratch = scratch, .dout = dout, .qkv = qkv, .s = s,
                  .tiles = bn_attn_tiles_usable(s.hd),
                  .bf16 = bf16 && bn_attention_bf16_usable(s)};
    bn_parallel_for(pool, s.B * s.KV, j.tiles ? backward_units_tiles : backward_units_sgemm,
                    &j);
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
    bn_attn_tile_softmax(scores, j->n, keys, j->pos);
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
