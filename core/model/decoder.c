/* decoder.c - the KV-cache decoder over a model's weights (README, "Inference"). */
#include "model/decoder.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/dot_f32.h"
#include "kernels/ternary_gemv2.h"
#include "nn/attention.h"
#include "nn/quant.h"
#include "nn/ffn.h"
#include "nn/matmul.h"
#include "nn/rmsnorm.h"
#include "nn/rope.h"

/* Carves 64-byte aligned blocks out of one slab; with base == NULL it only measures. */
typedef struct {
    char *base;
    size_t used;
} arena;

static void *carve(arena *a, size_t bytes)
{
    size_t off = (a->used + 63) & ~(size_t)63;
    a->used = off + bytes;
    return a->base ? a->base + off : NULL;
}

#define CARVE(a, ptr, count) ((ptr) = carve((a), sizeof(*(ptr)) * (size_t)(count)))

static size_t max2(size_t a, size_t b) { return a > b ? a : b; }

static size_t kv_dim(const bn_model *m) { return (size_t)m->cfg.num_kv_heads * m->head_dim; }

/* The four BitLinears of a layer as (qweight, out, in), in a fixed order. */
typedef struct {
    const bn_qweight *q;
    int out, in;
} linear;

static void layer_linears(const bn_model *m, int l, linear lin[4])
{
    const bn_layer_qweights *q = &m->qweights[l];
    int D = m->cfg.hidden_size, F = m->cfg.ffn_size;
    lin[0] = (linear){&q->qkv, m->qkv_dim, D};
    lin[1] = (linear){&q->out, D, D};
    lin[2] = (linear){&q->gate_up, 2 * F, D};
    lin[3] = (linear){&q->down, D, F};
}

/* Bytes of one layer's four packed linears (every layer has the same). */
static size_t layer_packed_bytes(const bn_model *m)
{
    linear lin[4];
    layer_linears(m, 0, lin);
    size_t bytes = 0;
    for (int i = 0; i < 4; i++)
        bytes += bn_t2_size(lin[i].out, lin[i].in);
    return bytes;
}

static size_t packed_bytes(const bn_model *m)
{
    return layer_packed_bytes(m) * (size_t)m->cfg.num_layers;
}

/* Linear i of layer l inside d->w2. */
static const uint8_t *packed(const bn_decoder *d, int l, int i)
{
    linear lin[4];
    layer_linears(d->m, l, lin);
    const uint8_t *p = d->w2 + (size_t)l * layer_packed_bytes(d->m);
    for (int k = 0; k < i; k++)
        p += bn_t2_size(lin[k].out, lin[k].in);
    return p;
}

/* Repack when the model has re-ternarized since the last pack. */
static void repack(bn_decoder *d)
{
    const bn_model *m = d->m;
    if (!d->w2 || d->w2_version == m->quant_version)
        return;
    for (int l = 0; l < m->cfg.num_layers; l++) {
        linear lin[4];
        layer_linears(m, l, lin);
        for (int i = 0; i < 4; i++)
            bn_t2_pack((uint8_t *)packed(d, l, i), lin[i].q->codes, lin[i].out, lin[i].in,
                       bn_kpad(lin[i].in));
    }
    d->w2_version = m->quant_version;
}

static void layout(bn_decoder *d, arena *a)
{
    const bn_model *m = d->m;
    size_t S = (size_t)d->max_seq, D = m->cfg.hidden_size, F = m->cfg.ffn_size;
    size_t L = m->cfg.num_layers, widest = max2(max2((size_t)m->qkv_dim, 2 * F), D);
    size_t in_max = max2(D, F), threads = (size_t)bn_threadpool_size(m->pool);
    CARVE(a, d->k_cache, L * S * kv_dim(m));
    CARVE(a, d->v_cache, L * S * kv_dim(m));
    CARVE(a, d->x, S * D);
    CARVE(a, d->xn, S * D);
    CARVE(a, d->rstd, S);
    CARVE(a, d->qkv, S * m->qkv_dim);
    CARVE(a, d->attn_out, S * D);
    CARVE(a, d->x_mid, S * D);
    CARVE(a, d->gu, S * 2 * F);
    CARVE(a, d->h, S * F);
    bn_attn_shape s = {.H = m->cfg.num_heads, .KV = m->cfg.num_kv_heads, .hd = m->head_dim};
    size_t most = max2(bn_attention_cached_scratch(d->max_seq, 0, s),
                       bn_attention_cached_scratch(1, d->max_seq - 1, s));
    CARVE(a, d->scores, threads * most);
    CARVE(a, d->logits, S * (size_t)m->cfg.vocab_size);
    CARVE(a, d->rope_cos, S * (size_t)(m->head_dim / 2));
    CARVE(a, d->rope_sin, S * (size_t)(m->head_dim / 2));
    CARVE(a, d->bl.rstd, S);
    if (bn_bitlinear_sgemm_forward(&m->ex)) { /* Xq and Wq as float for the sgemm path */
        CARVE(a, d->sc.xn, S * in_max);
        CARVE(a, d->sc.wf, max2(max2((size_t)m->qkv_dim * D, 2 * F * D), D * F));
    }
    CARVE(a, d->bl.xq_i8, S * (size_t)bn_kpad((int)in_max));
    CARVE(a, d->acc, widest);
    if (bn_cpu_has_avx512vnni())
        CARVE(a, d->w2, packed_bytes(m));
    CARVE(a, d->bl.rowsum, S);
    CARVE(a, d->bl.sx, S);
    CARVE(a, d->sc.dy, S * widest);
}

bn_status bn_decoder_init(bn_decoder *d, bn_model *m, int max_seq, bn_error *err)
{
    memset(d, 0, sizeof *d);
    if (max_seq < 1 || max_seq > m->cfg.max_seq_len)
        return bn_fail(err, BN_ERR_INPUT, "a decoder of %d tokens: this model holds 1 to %d "
                                          "([model] max_seq_len)", max_seq, m->cfg.max_seq_len);
    d->m = m;
    d->max_seq = max_seq;
    arena measure = {NULL, 0};
    layout(d, &measure);
    d->slab = calloc(1, measure.used + 64);
    if (!d->slab)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for a decoder of %d tokens (%zu MiB)",
                       max_seq, measure.used >> 20);
    d->alloc_bytes = measure.used + 64;
    arena a = {(char *)(((uintptr_t)d->slab + 63) & ~(uintptr_t)63), 0};
    layout(d, &a);
    bn_rope_tables(d->rope_cos, d->rope_sin, max_seq, m->head_dim, m->cfg.rope_theta);
    return BN_OK;
}

void bn_decoder_free(bn_decoder *d)
{
    free(d->slab);
    memset(d, 0, sizeof *d);
}

void bn_decoder_reset(bn_decoder *d) { d->pos = d->n_last = 0; }

int bn_decoder_pos(const bn_decoder *d) { return d->pos; }

const float *bn_decoder_logits(const bn_decoder *d, int i)
{
    return d->logits + (size_t)i * d->m->cfg.vocab_size;
}

static void add_inplace(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += x[i];
}

/* The rotated keys and the values of the n new rows into layer l's cache. */
static void store_kv(bn_decoder *d, int l, int n)
{
    const bn_model *m = d->m;
    size_t kvd = kv_dim(m), Hd = (size_t)m->cfg.num_heads * m->head_dim;
    size_t base = ((size_t)l * d->max_seq + (size_t)d->pos) * kvd;
    for (int i = 0; i < n; i++) {
        const float *row = d->qkv + (size_t)i * m->qkv_dim;
        memcpy(d->k_cache + base + i * kvd, row + Hd, sizeof(float) * kvd);
        memcpy(d->v_cache + base + i * kvd, row + Hd + kvd, sizeof(float) * kvd);
    }
}

/* Attention of the n new rows of layer l (their q, k, v in d->qkv) -> d->attn_out. */
static void attend(bn_decoder *d, bn_threadpool *pool, int l, int n)
{
    bn_model *m = d->m;
    int hd = m->head_dim, half = hd / 2;
    bn_rope_forward(pool, d->qkv, d->rope_cos + (size_t)d->pos * half,
                    d->rope_sin + (size_t)d->pos * half, 1, n, m->cfg.num_heads,
                    m->cfg.num_kv_heads, hd);
    store_kv(d, l, n);
    size_t layer = (size_t)l * d->max_seq * kv_dim(m);
    bn_attn_shape s = {.B = 1, .T = n, .H = m->cfg.num_heads, .KV = m->cfg.num_kv_heads,
                       .hd = hd};
    bn_attention_cached(pool, d->attn_out, d->scores, d->qkv, m->qkv_dim,
                        d->k_cache + layer, d->v_cache + layer, (int)kv_dim(m), n, d->pos, s);
}

typedef struct {
    int32_t *out;
    const int8_t *x;
    int32_t rowsum;
    const uint8_t *w2;
    int N, K;
} gemv_job;

static void gemv_rows(void *ctx, int begin, int end, int thread)
{
    const gemv_job *j = ctx;
    (void)thread;
    int n1 = end * BN_T2_BLOCK < j->N ? end * BN_T2_BLOCK : j->N;
    bn_t2_gemv_avx512(j->out, j->x, j->rowsum, j->w2, begin * BN_T2_BLOCK, n1, j->K);
}

/* One token through BitLinear i of layer l on the packed weights: the quantizer and the
 * scaling of bn_bitlinear_forward around the 2-bit product, so the same bits come out. */
static void bitlinear_one(bn_decoder *d, float *y, const float *x, const float *g, int l,
                          int i)
{
    bn_model *m = d->m;
    linear lin[4];
    layer_linears(m, l, lin);
    int in = lin[i].in, out = lin[i].out;
    bn_quant_normed_activations(NULL, d->bl.rstd, NULL, d->bl.xq_i8, d->bl.rowsum, d->bl.sx,
                                x, g, 1, in, (float)m->cfg.norm_eps);
    gemv_job j = {d->acc, d->bl.xq_i8, d->bl.rowsum[0], packed(d, l, i), out, in};
    gemv_rows(&j, 0, (out + BN_T2_BLOCK - 1) / BN_T2_BLOCK, 0);
    float inv = 1.0f / (d->bl.sx[0] * lin[i].q->scale);
    for (int n = 0; n < out; n++)
        y[n] = (float)d->acc[n] * inv;
}

/* d->x (1, D) through block l on the packed weights (layer_feed for one token). On the
 * calling thread alone: a token's loops take microseconds, less than waking the pool's
 * sleeping workers, which made two threads ten times slower than one (README,
 * "Generation"). Every loop here is split by rows or heads, so the bits are the same. */
static void layer_one(bn_decoder *d, int l)
{
    bn_model *m = d->m;
    int D = m->cfg.hidden_size, F = m->cfg.ffn_size;
    float eps = (float)m->cfg.norm_eps;
    bn_layer_params p = bn_model_layer_view(m, m->params, l);

    bn_rmsnorm_forward(NULL, d->xn, d->rstd, d->x, p.attn_norm, 1, D, eps);
    bitlinear_one(d, d->qkv, d->xn, p.qkv_norm, l, 0);
    attend(d, NULL, l, 1);
    bitlinear_one(d, d->x_mid, d->attn_out, p.out_norm, l, 1);
    add_inplace(d->x_mid, d->x, (size_t)D);

    bn_rmsnorm_forward(NULL, d->xn, d->rstd, d->x_mid, p.ffn_norm, 1, D, eps);
    bitlinear_one(d, d->gu, d->xn, p.gate_up_norm, l, 2);
    bn_sqrelu_gate_forward(NULL, d->h, d->gu, 1, F);
    bitlinear_one(d, d->x, d->h, p.down_norm, l, 3);
    add_inplace(d->x, d->x_mid, (size_t)D);
}

/* d->x (n, D) through block l, in place: the steps of the model's layer_forward. */
static void layer_feed(bn_decoder *d, int l, int n)
{
    bn_model *m = d->m;
    int D = m->cfg.hidden_size, F = m->cfg.ffn_size, Q = m->qkv_dim;
    float eps = (float)m->cfg.norm_eps;
    bn_layer_params p = bn_model_layer_view(m, m->params, l);
    bn_layer_qweights *q = &m->qweights[l];
    const bn_exec *ex = &m->ex;

    bn_rmsnorm_forward(ex->pool, d->xn, d->rstd, d->x, p.attn_norm, n, D, eps);
    bn_bitlinear_forward(ex, d->qkv, &d->bl, d->xn, p.qkv_norm, &q->qkv, n, D, Q, eps, &d->sc);
    attend(d, m->pool, l, n);
    bn_bitlinear_forward(ex, d->x_mid, &d->bl, d->attn_out, p.out_norm, &q->out, n, D, D, eps,
                         &d->sc);
    add_inplace(d->x_mid, d->x, (size_t)n * D);

    bn_rmsnorm_forward(ex->pool, d->xn, d->rstd, d->x_mid, p.ffn_norm, n, D, eps);
    bn_bitlinear_forward(ex, d->gu, &d->bl, d->xn, p.gate_up_norm, &q->gate_up, n, D, 2 * F,
                         eps, &d->sc);
    bn_sqrelu_gate_forward(ex->pool, d->h, d->gu, n, F);
    bn_bitlinear_forward(ex, d->x, &d->bl, d->h, p.down_norm, &q->down, n, F, D, eps, &d->sc);
    add_inplace(d->x, d->x_mid, (size_t)n * D);
}

static bn_status check_feed(const bn_decoder *d, const int *tokens, int n, bn_error *err)
{
    int V = d->m->cfg.vocab_size;
    if (n < 1 || d->pos + n > d->max_seq)
        return bn_fail(err, BN_ERR_INPUT, "%d more tokens after %d: the context holds %d",
                       n, d->pos, d->max_seq);
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= V)
            return bn_fail(err, BN_ERR_INPUT, "token id %d: the model's ids are 0 to %d",
                           tokens[i], V - 1);
    return BN_OK;
}

typedef struct {
    float *logits;
    const float *x, *emb;
    int D;
} head_job;

static void head_rows(void *ctx, int begin, int end, int thread)
{
    const head_job *j = ctx;
    (void)thread;
    bn_dot_rows_f32(j->logits, j->x, j->emb, begin, end, j->D);
}

/* One token's logits. sgemm would pack all of E (V x d) for a single row, which took most
 * of a step; dot products read it once (kernels/dot_f32.h: one fixed order of the sums,
 * whatever the path or the thread count). That order is not the forward's sgemm's, a
 * last-bit difference (README, "Inference"). */
static void head_one(bn_decoder *d, const float *x)
{
    bn_model *m = d->m;
    head_job j = {d->logits, x, bn_model_embedding(m, m->params), m->cfg.hidden_size};
    head_rows(&j, 0, m->cfg.vocab_size, 0); /* on this thread, as layer_one */
}

/* n tokens through every layer; the logits of rows [first, n), one row by dot products when
 * `fast`. */
static bn_status run(bn_decoder *d, const int *tokens, int n, int first, int fast,
                     bn_error *err)
{
    bn_status s = check_feed(d, tokens, n, err);
    if (s != BN_OK)
        return s;
    bn_model *m = d->m;
    int D = m->cfg.hidden_size, V = m->cfg.vocab_size;
    bn_model_quantize(m);
    float *emb = bn_model_embedding(m, m->params);
    for (int i = 0; i < n; i++)
        memcpy(d->x + (size_t)i * D, emb + (size_t)tokens[i] * D, sizeof(float) * (size_t)D);
    int one = n == 1 && d->w2;
    if (one)
        repack(d);
    for (int l = 0; l < m->cfg.num_layers; l++) {
        if (one)
            layer_one(d, l);
        else
            layer_feed(d, l, n);
    }
    int rows = n - first;
    size_t off = (size_t)first * D;
    bn_rmsnorm_forward(m->pool, d->xn + off, d->rstd, d->x + off,
                       bn_model_final_norm(m, m->params), rows, D, (float)m->cfg.norm_eps);
    if (fast && rows == 1)
        head_one(d, d->xn + off);
    else
        bn_matmul_nt(m->pool, d->logits + (size_t)first * V, d->xn + off, emb, rows, V, D, 0);
    d->pos += n;
    d->n_last = n;
    return BN_OK;
}

bn_status bn_decoder_feed(bn_decoder *d, const int *tokens, int n, bn_error *err)
{
    return run(d, tokens, n, 0, 0, err);
}

bn_status bn_decoder_prefill(bn_decoder *d, const int *tokens, int n, bn_error *err)
{
    return run(d, tokens, n, n > 0 ? n - 1 : 0, 0, err);
}

const float *bn_decoder_step(bn_decoder *d, int token, bn_error *err)
{
    if (run(d, &token, 1, 0, 1, err) != BN_OK)
        return NULL;
    return d->logits;
}
