/* model.c - slabs, layer views, and the forward/backward passes of the whole model. */
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/attention.h"
#include "nn/ffn.h"
#include "base/hugemem.h"
#include "nn/loss.h"
#include "nn/matmul.h"
#include "nn/rmsnorm.h"
#include "nn/rope.h"

/* ---------------------------------------------------------------- parameter layout */

/* One row per layer tensor, in checkpoint order; sizes in units of the dims below. */
typedef enum { DIM_D, DIM_Q, DIM_F, DIM_2F, DIM_NONE } dim_id;

static const struct {
    const char *name;
    dim_id rows, cols; /* cols DIM_NONE: a vector of `rows` */
    size_t field;      /* offset of the pointer in bn_layer_params */
} layer_tensors[] = {
    {"attention.norm.weight", DIM_D, DIM_NONE, offsetof(bn_layer_params, attn_norm)},
    {"attention.qkv_proj.weight", DIM_Q, DIM_D, offsetof(bn_layer_params, qkv_w)},
    {"attention.qkv_proj.norm.weight", DIM_D, DIM_NONE, offsetof(bn_layer_params, qkv_norm)},
    {"attention.out_proj.weight", DIM_D, DIM_D, offsetof(bn_layer_params, out_w)},
    {"attention.out_proj.norm.weight", DIM_D, DIM_NONE, offsetof(bn_layer_params, out_norm)},
    {"feedforward.norm.weight", DIM_D, DIM_NONE, offsetof(bn_layer_params, ffn_norm)},
    {"feedforward.gate_up.weight", DIM_2F, DIM_D, offsetof(bn_layer_params, gate_up_w)},
    {"feedforward.gate_up.norm.weight", DIM_D, DIM_NONE,
     offsetof(bn_layer_params, gate_up_norm)},
    {"feedforward.down.weight", DIM_D, DIM_F, offsetof(bn_layer_params, down_w)},
    {"feedforward.down.norm.weight", DIM_F, DIM_NONE, offsetof(bn_layer_params, down_norm)},
};
#define N_LAYER_TENSORS (sizeof layer_tensors / sizeof layer_tensors[0])

static int64_t dim_value(const bn_model_config *cfg, dim_id id)
{
    switch (id) {
    case DIM_D: return cfg->hidden_size; /* == H * hd: heads divide hidden_size */
    case DIM_Q: return (int64_t)(cfg->num_heads + 2 * cfg->num_kv_heads) *
                       (cfg->hidden_size / cfg->num_heads);
    case DIM_F: return cfg->ffn_size;
    case DIM_2F: return 2 * (int64_t)cfg->ffn_size;
    default: return 1;
    }
}

/* Append one tensor at *offset (to out when not NULL). */
static void add_tensor(bn_tensor_info *out, int *count, const char *name, int ndim,
                       int64_t rows, int64_t cols, size_t *offset)
{
    size_t numel = (size_t)rows * (size_t)(ndim == 2 ? cols : 1);
    if (out) {
        bn_tensor_info *t = &out[*count];
        snprintf(t->name, sizeof t->name, "%s", name);
        t->ndim = ndim;
        t->shape[0] = rows;
        t->shape[1] = ndim == 2 ? cols : 0;
        t->numel = numel;
        t->offset = *offset;
    }
    (*count)++;
    *offset += numel;
}

/* Embedding, then each layer's tensors, then the final norm, into out (2 + 10 L entries)
 * or, with out NULL, only counted. Returns the parameter count: the model's table and
 * bn_model_param_count are this one walk, so they cannot disagree. */
static size_t walk_tensors(const bn_model_config *cfg, bn_tensor_info *out)
{
    size_t offset = 0;
    int count = 0;
    int64_t d = cfg->hidden_size;
    add_tensor(out, &count, "token_embeddings.weight", 2, cfg->vocab_size, d, &offset);
    for (int l = 0; l < cfg->num_layers; l++)
        for (size_t i = 0; i < N_LAYER_TENSORS; i++) {
            char name[96] = "";
            if (out)
                snprintf(name, sizeof name, "blocks.%d.%s", l, layer_tensors[i].name);
            int ndim = layer_tensors[i].cols == DIM_NONE ? 1 : 2;
            add_tensor(out, &count, name, ndim, dim_value(cfg, layer_tensors[i].rows),
                       dim_value(cfg, layer_tensors[i].cols), &offset);
        }
    add_tensor(out, &count, "final_norm.weight", 1, d, 0, &offset);
    return offset;
}

size_t bn_model_param_count(const bn_model_config *cfg)
{
    return walk_tensors(cfg, NULL);
}

static void build_tensor_table(bn_model *m)
{
    m->num_params = walk_tensors(&m->cfg, m->tensors);
    m->num_tensors = 2 + (int)N_LAYER_TENSORS * m->cfg.num_layers;
    m->layer_numel = 0;
    for (size_t i = 0; i < N_LAYER_TENSORS; i++)
        m->layer_numel += m->tensors[1 + i].numel;
}

bn_layer_params bn_model_layer_view(const bn_model *m, float *slab, int l)
{
    bn_layer_params p;
    const bn_tensor_info *first = &m->tensors[1 + (size_t)l * N_LAYER_TENSORS];
    for (size_t i = 0; i < N_LAYER_TENSORS; i++)
        *(float **)((char *)&p + layer_tensors[i].field) = slab + first[i].offset;
    return p;
}

float *bn_model_embedding(const bn_model *m, float *slab) { return slab + m->tensors[0].offset; }

float *bn_model_final_norm(const bn_model *m, float *slab)
{
    return slab + m->tensors[m->num_tensors - 1].offset;
}

const bn_tensor_info *bn_model_find_tensor(const bn_model *m, const char *name)
{
    for (int i = 0; i < m->num_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0)
            return &m->tensors[i];
    return NULL;
}

/* ---------------------------------------------------------------- activation layout */

/* Carves aligned blocks out of one slab. With base == NULL it only measures. */
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

static void carve_bitlinear(arena *a, bn_bitlinear_acts *bl, size_t N, size_t in)
{
    CARVE(a, bl->rstd, N);
    CARVE(a, bl->xq_i8, N * (size_t)bn_kpad((int)in));
    CARVE(a, bl->rowsum, N);
    CARVE(a, bl->sx, N);
}

static size_t max3(size_t a, size_t b, size_t c)
{
    size_t m = a > b ? a : b;
    return m > c ? m : c;
}

static bn_attn_shape attn_shape(const bn_model *m, int B, int T)
{
    return (bn_attn_shape){.B = B, .T = T, .H = m->cfg.num_heads, .KV = m->cfg.num_kv_heads,
                           .hd = m->head_dim};
}

/* One layer's forward activations for N tokens. With `shared` set, the ones the backward
 * recomputes (the pre-norm outputs and h: cheap next to the products that need them) are
 * shared's, not carved again (attention keeps no probabilities at all: its backward
 * computes them again per head, bn_attention_backward); with
 * low_memory everything but the layer's input and the down projection's int8 input is
 * (README, "Memory"). */
static void carve_layer(arena *a, bn_layer_acts *la, const bn_model *m, size_t N,
                        const bn_layer_acts *shared)
{
    size_t d = m->cfg.hidden_size, F = m->cfg.ffn_size, Q = m->qkv_dim;
    CARVE(a, la->x_in, N * d);
    carve_bitlinear(a, &la->down, N, F);
    if (shared && m->low_memory) {
        bn_layer_acts own = *la;
        *la = *shared;
        la->x_in = own.x_in;
        la->down = own.down;
        return;
    }
    CARVE(a, la->attn_rstd, N);
    carve_bitlinear(a, &la->qkv, N, d);
    CARVE(a, la->qkv_out, N * Q);
    CARVE(a, la->attn_out, N * d);
    carve_bitlinear(a, &la->out, N, d);
    CARVE(a, la->x_mid, N * d);
    CARVE(a, la->ffn_rstd, N);
    carve_bitlinear(a, &la->gate_up, N, d);
    CARVE(a, la->gu, N * 2 * F);
    if (shared) {
        la->attn_n = shared->attn_n;
        la->ffn_n = shared->ffn_n;
        la->h = shared->h;
        return;
    }
    CARVE(a, la->attn_n, N * d);
    CARVE(a, la->ffn_n, N * d);
    CARVE(a, la->h, N * F);
}

/* Floats in the largest linear weight (out * in). */
static size_t widest_weight(const bn_model *m)
{
    size_t d = m->cfg.hidden_size, F = m->cfg.ffn_size;
    return max3(m->qkv_dim * d, 2 * F * d, d * F);
}

static size_t align64(size_t bytes) { return (bytes + 63) & ~(size_t)63; }

/* Bytes of the bf16 lm_head's buffers: E's panels in both orientations and the A rows of a
 * chunk (final_n, or d(logits)). */
static size_t head_bf16_bytes(const bn_model *m)
{
    int d = m->cfg.hidden_size, V = m->cfg.vocab_size;
    size_t ld = (size_t)(bn_bf16_row_ld(d) > bn_bf16_row_ld(V) ? bn_bf16_row_ld(d)
                                                                : bn_bf16_row_ld(V));
    return align64(bn_bf16_panels_size(d, V) * sizeof(bn_bf16)) +
           align64(bn_bf16_panels_size(V, d) * sizeof(bn_bf16)) +
           align64((size_t)bn_bf16_rows(m->logit_rows) * ld * sizeof(bn_bf16));
}

/* Point the bf16 lm_head's buffers into `base` (head_bf16_bytes of it; NULL: measuring). */
static void bind_head_bf16(bn_model *m, char *base)
{
    if (!base)
        return;
    int d = m->cfg.hidden_size, V = m->cfg.vocab_size;
    size_t et = align64(bn_bf16_panels_size(d, V) * sizeof(bn_bf16));
    m->head_et = (bn_bf16 *)(void *)base;
    m->head_e = (bn_bf16 *)(void *)(base + et);
    m->head_a = (bn_bf16 *)(void *)(base + et + align64(bn_bf16_panels_size(V, d) *
                                                        sizeof(bn_bf16)));
}

/* The backward's wide and narrow gradients, and the bf16 lm_head's buffers: with low_memory
 * in the same bytes (the head runs, and packs E, before the backward writes its gradients;
 * README, "The lm_head in bf16"). */
static void carve_grads_head(arena *a, bn_model *m, size_t wide_floats, size_t narrow_floats)
{
    size_t wide = align64(sizeof(float) * wide_floats), narrow = sizeof(float) * narrow_floats;
    size_t head = m->head_bf16 ? head_bf16_bytes(m) : 0;
    m->head_et = m->head_e = m->head_a = NULL;
    if (head && m->low_memory) {
        char *p = carve(a, wide + narrow > head ? wide + narrow : head);
        m->bw.dwide = (float *)(void *)p;
        m->bw.dnarrow = p ? (float *)(void *)(p + wide) : NULL;
        bind_head_bf16(m, p);
        return;
    }
    m->bw.dwide = carve(a, wide);
    m->bw.dnarrow = carve(a, narrow);
    if (head)
        bind_head_bf16(m, carve(a, head));
}

/* The BitLinear scratch (xn: the float Xq of the sgemm forward path, and the backward's,
 * so inference needs it only without an integer kernel; dy only the fp32 backward,
 * dg_partial only the backward), then the backward's own buffers. */
static void carve_scratch(arena *a, bn_model *m, size_t N)
{
    size_t d = m->cfg.hidden_size, F = m->cfg.ffn_size;
    size_t widest = max3(m->qkv_dim, 2 * F, d), narrow_max = max3(d, F, 1);
    int sgemm_forward = bn_bitlinear_sgemm_forward(&m->ex);
    if (m->mode == BN_MODEL_TRAINING || sgemm_forward) {
        CARVE(a, m->bl_scratch.xn, N * narrow_max);
        CARVE(a, m->bl_scratch.wf, widest_weight(m));
    }
    if (m->mode == BN_MODEL_INFERENCE)
        return;
    if (!m->ex.bf16_backward) /* the fp32 backward's scaled dY; bf16 packs dY directly */
        CARVE(a, m->bl_scratch.dy, N * widest);
    else
        m->bl_scratch.dy = NULL;
    CARVE(a, m->bl_scratch.dg_partial, (size_t)BN_ROW_BLOCKS(N) * narrow_max);
    CARVE(a, m->bw.dres, N * d);
    CARVE(a, m->bw.dnorm, N * d);
    carve_grads_head(a, m, N * widest, N * narrow_max);
}

/* Lay out every activation and scratch buffer for N = max_batch * max_seq tokens. Training
 * keeps each layer's activations for the backward, except those it recomputes (carve_layer).
 * Inference runs the layers in turn over one set: a layer reads x_in last when it forms
 * x_mid, so its output may overwrite x_in (layer_forward). */
static void layout_activations(bn_model *m, arena *a)
{
    size_t N = (size_t)m->max_batch * m->max_seq, T = (size_t)m->max_seq;
    size_t d = m->cfg.hidden_size, V = m->cfg.vocab_size;
    int training = m->mode == BN_MODEL_TRAINING;
    for (int l = 0; l < m->cfg.num_layers; l++) {
        if (training || l == 0)
            carve_layer(a, &m->acts[l], m, N, l > 0 ? &m->acts[0] : NULL);
        else
            m->acts[l] = m->acts[0];
    }
    CARVE(a, m->x_final, N * d);
    CARVE(a, m->final_n, N * d);
    CARVE(a, m->final_rstd, N);
    CARVE(a, m->logits, (size_t)m->logit_rows * V);
    if (training)
        CARVE(a, m->head_grad, V * d);
    CARVE(a, m->row_loss, N);
    CARVE(a, m->rope_cos, T * (size_t)(m->head_dim / 2));
    CARVE(a, m->rope_sin, T * (size_t)(m->head_dim / 2));
    CARVE(a, m->att_scratch,
          bn_attention_scratch(bn_threadpool_size(m->pool), attn_shape(m, m->max_batch, (int)T)));
    carve_scratch(a, m, N);
}

/* Positions whose logits a training model holds at once: about LOGIT_CHUNK_BYTES of them
 * (256 positions at a 32000-token vocabulary), a multiple of 16; inference keeps them all
 * (its callers read every position's logits). */
#define LOGIT_CHUNK_BYTES (32u << 20)
static int logit_chunk_rows(const bn_model *m)
{
    int N = m->max_batch * m->max_seq;
    if (m->mode == BN_MODEL_INFERENCE)
        return N;
    size_t rows = LOGIT_CHUNK_BYTES / (sizeof(float) * (size_t)m->cfg.vocab_size) / 16 * 16;
    if (rows < 16)
        rows = 16;
    return rows < (size_t)N ? (int)rows : N;
}

/* The four BitLinears of layer l: their qweights, weights and shapes (out, in). */
typedef struct {
    bn_qweight *q;
    float *w;
    int out, in;
} linear_ref;

static void layer_linears(bn_model *m, int l, linear_ref out[4])
{
    bn_layer_params p = bn_model_layer_view(m, m->params, l);
    bn_layer_qweights *q = &m->qweights[l];
    int d = m->cfg.hidden_size, F = m->cfg.ffn_size;
    out[0] = (linear_ref){&q->qkv, p.qkv_w, m->qkv_dim, d};
    out[1] = (linear_ref){&q->out, p.out_w, d, d};
    out[2] = (linear_ref){&q->gate_up, p.gate_up_w, 2 * F, d};
    out[3] = (linear_ref){&q->down, p.down_w, d, F};
}

/* Bytes of every linear's padded codes (codes_slab == NULL), or point each qweight into
 * the slab (codes back to back). */
static size_t bind_qweights(bn_model *m)
{
    size_t codes = 0;
    for (int l = 0; l < m->cfg.num_layers; l++) {
        linear_ref lin[4];
        layer_linears(m, l, lin);
        for (int i = 0; i < 4; i++) {
            if (m->codes_slab) {
                lin[i].q->codes = m->codes_slab + codes;
                lin[i].q->scale = 1.0f;
            }
            codes += (size_t)lin[i].out * bn_kpad(lin[i].in);
        }
    }
    return codes;
}

/* Bytes of every linear's quad panels (panels_slab == NULL), or point each qweight there. */
static size_t bind_panels(bn_model *m)
{
    size_t used = 0;
    for (int l = 0; l < m->cfg.num_layers; l++) {
        linear_ref lin[4];
        layer_linears(m, l, lin);
        for (int i = 0; i < 4; i++) {
            if (m->panels_slab)
                lin[i].q->w_panels = m->panels_slab + used;
            used += bn_quad_panels_size(lin[i].out, bn_kpad(lin[i].in));
        }
    }
    return used;
}

/* calloc/malloc that count what they hand out into m->alloc_bytes. */
static void *counted(bn_model *m, void *p, size_t bytes)
{
    if (p)
        m->alloc_bytes += bytes;
    return p;
}

#define COUNTED_CALLOC(m, n, size) counted((m), calloc((n), (size)), (size_t)(n) * (size))
#define COUNTED_HUGE(m, bytes) counted((m), bn_huge_calloc(bytes), (bytes))

/* The weight slabs: latent params, their gradients (training only), the ternary forms. */
static bn_status alloc_weights(bn_model *m, bn_error *err)
{
    size_t bytes = sizeof(float) * m->num_params;
    if (!(m->params = COUNTED_HUGE(m, bytes)))
        return bn_nomem(err, "the model's weights", bytes);
    if (m->mode == BN_MODEL_TRAINING && !(m->grads = COUNTED_HUGE(m, bytes)))
        return bn_nomem(err, "the model's gradients", bytes);
    size_t codes = bind_qweights(m);
    if (!(m->codes_slab = counted(m, malloc(codes), codes)))
        return bn_nomem(err, "the model's packed ternary codes", codes);
    bind_qweights(m);
    if (m->ex.kernels->amx || m->ex.kernels->code_panels) {
        size_t panels = bind_panels(m);
        if (!(m->panels_slab = COUNTED_HUGE(m, panels)))
            return bn_nomem(err, "the model's weight panels", panels);
        bind_panels(m);
    }
    return BN_OK;
}

static bn_status alloc_activations(bn_model *m, bn_error *err)
{
    if (m->act_slab) { /* laid out again (bn_model_set_low_memory) */
        bn_huge_free(m->act_slab);
        m->act_slab = NULL;
        m->alloc_bytes -= m->act_bytes;
    }
    arena measure = {NULL, 0};
    layout_activations(m, &measure);
    m->act_bytes = measure.used;
    m->act_slab = COUNTED_HUGE(m, measure.used);
    if (!m->act_slab)
        return bn_nomem(err, "the model's activations", measure.used);
    arena real = {m->act_slab, 0};
    layout_activations(m, &real);
    m->head_packed = 0;
    bn_rope_tables(m->rope_cos, m->rope_sin, m->max_seq, m->head_dim, m->cfg.rope_theta);
    return BN_OK;
}

bn_status bn_model_init_mode(bn_model *m, const bn_model_config *cfg, int max_batch,
                             int max_seq, const bn_kernels *kernels, int threads,
                             bn_model_mode mode, bn_error *err)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->mode = mode;
    m->head_dim = cfg->hidden_size / cfg->num_heads;
    m->qkv_dim = (cfg->num_heads + 2 * cfg->num_kv_heads) * m->head_dim;
    m->max_batch = max_batch;
    m->max_seq = max_seq;
    m->logit_rows = logit_chunk_rows(m);
    bn_matmul_init(); /* OpenBLAS single-threaded: the pool splits its products */
    if (threads > 1) {
        bn_status s = bn_threadpool_create(&m->pool, threads, err);
        if (s != BN_OK)
            return s;
    }
    m->ex = (bn_exec){.kernels = kernels, .pool = m->pool};
    size_t L = (size_t)cfg->num_layers;
    m->tensors = COUNTED_CALLOC(m, 2 + N_LAYER_TENSORS * L, sizeof *m->tensors);
    m->qweights = COUNTED_CALLOC(m, L, sizeof *m->qweights);
    m->acts = COUNTED_CALLOC(m, L, sizeof *m->acts);
    bn_status s = m->tensors && m->qweights && m->acts
                      ? BN_OK
                      : bn_nomem(err, "the model's tables",
                                 (2 + N_LAYER_TENSORS * L) * sizeof *m->tensors +
                                     L * (sizeof *m->qweights + sizeof *m->acts));
    if (s == BN_OK) {
        build_tensor_table(m);
        s = alloc_weights(m, err);
    }
    if (s == BN_OK)
        s = alloc_activations(m, err);
    if (s != BN_OK) {
        bn_model_free(m);
        return s;
    }
    return BN_OK;
}

bn_status bn_model_init(bn_model *m, const bn_model_config *cfg, int max_batch, int max_seq,
                        const bn_kernels *kernels, int threads, bn_error *err)
{
    return bn_model_init_mode(m, cfg, max_batch, max_seq, kernels, threads, BN_MODEL_TRAINING,
                              err);
}

/* The bf16 buffers: every linear's Wq panels (with low_memory one buffer they share, the
 * size of the largest), then the A and B scratch (see bitlinear.h), each 64-byte aligned.
 * With base == NULL only measures. */
static size_t layout_bf16(bn_model *m, char *base)
{
    size_t used = 0, a_max = 0, b_max = 0;
    int N = m->max_batch * m->max_seq;
    for (int l = 0; l < m->cfg.num_layers; l++) {
        linear_ref lin[4];
        layer_linears(m, l, lin);
        for (int i = 0; i < 4; i++) {
            int in = lin[i].in, out = lin[i].out;
            size_t panels = (bn_bf16_panels_size(out, in) * sizeof(bn_bf16) + 63) & ~(size_t)63;
            if (m->low_memory) { /* all at offset 0; used ends as the largest */
                if (base)
                    lin[i].q->wq_bf = (bn_bf16 *)(void *)base;
                used = used > panels ? used : panels;
                panels = 0;
            } else if (base) {
                lin[i].q->wq_bf = (bn_bf16 *)(void *)(base + used);
            }
            used += panels;
            size_t a_dw = (size_t)bn_bf16_rows(out) * bn_bf16_row_ld(N);
            size_t a_dx = (size_t)bn_bf16_rows(N) * bn_bf16_row_ld(out);
            a_max = max3(a_max, a_dw, a_dx);
            b_max = max3(b_max, bn_bf16_panels_size(N, in), 0);
        }
    }
    /* the lm_head's weight gradient per chunk: d(logits)^T (V, rows), final_n as panels */
    int rows = m->logit_rows;
    a_max = max3(a_max, (size_t)bn_bf16_rows(m->cfg.vocab_size) * bn_bf16_row_ld(rows), 0);
    b_max = max3(b_max, bn_bf16_panels_size(rows, m->cfg.hidden_size), 0);
    if (base) {
        m->bl_scratch.a_bf = (bn_bf16 *)(void *)(base + used);
        m->bl_scratch.b_bf = (bn_bf16 *)(void *)(base + used + ((a_max * 2 + 63) & ~(size_t)63));
    }
    return used + ((a_max * 2 + 63) & ~(size_t)63) + ((b_max * 2 + 63) & ~(size_t)63);
}

/* (Re)allocate the bf16 buffers for the current low_memory. */
static bn_status alloc_bf16(bn_model *m, bn_error *err)
{
    if (m->bf16_slab) {
        bn_huge_free(m->bf16_slab);
        m->alloc_bytes -= m->bf16_bytes;
        m->bf16_slab = NULL;
    }
    m->bf16_bytes = layout_bf16(m, NULL);
    m->bf16_slab = COUNTED_HUGE(m, m->bf16_bytes);
    if (!m->bf16_slab)
        return bn_nomem(err, "the bf16 backward's buffers", m->bf16_bytes);
    layout_bf16(m, m->bf16_slab);
    m->ex.wq_bf_shared = m->low_memory;
    return BN_OK;
}

bn_status bn_model_set_low_memory(bn_model *m, int low_memory, bn_error *err)
{
    if (m->mode == BN_MODEL_INFERENCE || !low_memory == !m->low_memory)
        return BN_OK; /* no backward, or nothing changes */
    m->low_memory = low_memory != 0;
    bn_status s = alloc_activations(m, err);
    if (s == BN_OK && m->ex.bf16_backward) {
        m->weights_quantized = 0; /* the panels are packed again, or from now on late */
        s = alloc_bf16(m, err);
    }
    return s;
}

bn_status bn_model_set_backward_precision(bn_model *m, bn_precision precision, bn_error *err)
{
    if (m->mode == BN_MODEL_INFERENCE)
        return BN_OK; /* no backward: nothing to choose */
    int want = precision != BN_PRECISION_FP32;
    bn_bf16_path have = want ? bn_bf16_backward_available() : BN_BF16_NONE;
    if (precision == BN_PRECISION_BF16 && !have)
        return bn_fail(err, BN_ERR_INPUT, "[training] backward_precision = bf16: needs AMX-BF16 "
                                          "or AVX512_BF16, which this CPU (or kernel) does not "
                                          "offer (allowed here: fp32, auto)");
    int had = m->ex.bf16_backward != BN_BF16_NONE;
    m->ex.bf16_backward = have;
    m->weights_quantized = 0; /* the Wq panels are filled with the next ternarization */
    bn_status s = have ? alloc_bf16(m, err) : BN_OK;
    if (s == BN_OK && !had != !have) /* the fp32 backward's dY scratch comes or goes */
        s = alloc_activations(m, err);
    return s;
}

bn_status bn_model_set_head_precision(bn_model *m, bn_precision precision, bn_error *err)
{
    if (m->mode == BN_MODEL_INFERENCE)
        return BN_OK; /* the decoder and inference keep the fp32 head */
    bn_bf16_path have = BN_BF16_NONE;
    if (precision == BN_PRECISION_BF16 ||
        (precision == BN_PRECISION_AUTO && m->ex.bf16_backward))
        have = bn_bf16_backward_available();
    if (precision == BN_PRECISION_BF16 && !have)
        return bn_fail(err, BN_ERR_INPUT, "[training] head_precision = bf16: needs AMX-BF16 "
                                          "or AVX512_BF16, which this CPU (or kernel) does not "
                                          "offer (allowed here: fp32, auto)");
    if (have == m->head_bf16)
        return BN_OK;
    m->head_bf16 = have;
    return alloc_activations(m, err); /* the head's buffers come or go */
}

void bn_model_free(bn_model *m)
{
    bn_huge_free(m->bf16_slab);
    bn_huge_free(m->panels_slab);
    bn_threadpool_destroy(m->pool);
    free(m->tensors);
    free(m->qweights);
    free(m->acts);
    bn_huge_free(m->params);
    bn_huge_free(m->grads);
    free(m->codes_slab);
    bn_huge_free(m->act_slab);
    memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- init */

static void fill_uniform(float *w, size_t n, float bound, bn_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        w[i] = (2.0f * bn_rng_uniform(rng) - 1.0f) * bound;
}

void bn_model_init_weights(bn_model *m, bn_rng *rng)
{
    for (int i = 0; i < m->num_tensors; i++) {
        const bn_tensor_info *t = &m->tensors[i];
        float *w = m->params + t->offset;
        if (t->ndim == 1) {
            for (size_t j = 0; j < t->numel; j++)
                w[j] = 1.0f;
        } else if (i == 0) {
            for (size_t j = 0; j < t->numel; j++)
                w[j] = (float)m->cfg.embedding_init_std * bn_rng_normal(rng);
        } else {
            fill_uniform(w, t->numel, 1.0f / sqrtf((float)t->shape[1]), rng);
        }
    }
    bn_model_params_changed(m);
}

void bn_model_params_changed(bn_model *m)
{
    m->weights_quantized = 0;
    m->head_packed = 0;
}

static void quantize_all_weights(bn_model *m)
{
    for (int l = 0; l < m->cfg.num_layers; l++) {
        linear_ref lin[4];
        layer_linears(m, l, lin);
        for (int i = 0; i < 4; i++)
            bn_bitlinear_quantize_weights(&m->ex, lin[i].q, lin[i].w, lin[i].out, lin[i].in,
                                          &m->bl_scratch);
    }
    m->weights_quantized = 1;
    m->quant_version++;
}

void bn_model_quantize(bn_model *m)
{
    if (!m->weights_quantized)
        quantize_all_weights(m);
}

double bn_model_train_flops_per_token(const bn_model_config *cfg, int seq_len)
{
    double d = cfg->hidden_size, F = cfg->ffn_size, V = cfg->vocab_size, T = seq_len;
    double hd = d / cfg->num_heads;
    double q = (cfg->num_heads + 2.0 * cfg->num_kv_heads) * hd;
    double linear_macs = q * d + d * d + 2.0 * F * d + d * F; /* per layer, per token */
    double attention_macs = 2.0 * T * d;                    /* q.k^T and att.v */
    double forward = 2.0 * (cfg->num_layers * (linear_macs + attention_macs) + V * d);
    return 3.0 * forward;
}

/* Add the codes 0/1/2 (weights -1/0/+1) of one linear's (out, in) to counts. */
static void count_codes(const uint8_t *codes, int out, int in, size_t counts[3])
{
    int kp = bn_kpad(in);
    for (int r = 0; r < out; r++)
        for (int c = 0; c < in; c++)
            counts[codes[(size_t)r * kp + c]]++;
}

void bn_model_ternary_shares(const bn_model *m, double shares[3])
{
    size_t counts[3] = {0, 0, 0}, total = 0;
    int d = m->cfg.hidden_size, F = m->cfg.ffn_size;
    const int out[4] = {m->qkv_dim, d, 2 * F, d}, in[4] = {d, d, d, F};
    for (int l = 0; l < m->cfg.num_layers; l++) {
        const bn_layer_qweights *q = &m->qweights[l];
        const bn_qweight *w[4] = {&q->qkv, &q->out, &q->gate_up, &q->down};
        for (int i = 0; i < 4; i++) {
            count_codes(w[i]->codes, out[i], in[i], counts);
            total += (size_t)out[i] * (size_t)in[i];
        }
    }
    for (int k = 0; k < 3; k++)
        shares[k] = total ? (double)counts[k] / (double)total : 0.0;
}

/* ---------------------------------------------------------------- lm_head */

/* The tied lm_head's weight gradient for positions first.., in bf16 (like the BitLinears'
 * with bf16_backward): head_grad (+)= d(logits)^T . final_n, sums in fp32. */
static void head_weight_grad_bf16(bn_model *m, const float *xn, int rows, int accumulate)
{
    int d = m->cfg.hidden_size, V = m->cfg.vocab_size;
    bn_bitlinear_scratch *sc = &m->bl_scratch;
    bn_bf16_pack_transposed(m->pool, sc->a_bf, m->logits, V, NULL, rows, V);
    bn_bf16_pack_panels(m->pool, sc->b_bf, xn, d, rows, d);
    bn_bf16_gemm(m->pool, m->ex.bf16_backward, m->head_grad, d, sc->a_bf,
                 bn_bf16_row_ld(rows), sc->b_bf, V, d, rows, 1.0f, accumulate);
}

/* The bf16 head's operands from E: panels of E^T for the logits, of E for d(final_n); once
 * per parameter change, with low_memory at each forward (their bytes are the backward's). */
static void pack_head_bf16(bn_model *m)
{
    int d = m->cfg.hidden_size, V = m->cfg.vocab_size;
    const float *emb = bn_model_embedding(m, m->params);
    if (m->head_packed && !m->low_memory)
        return;
    bn_bf16_pack_panels_t(m->pool, m->head_et, emb, d, d, V);
    bn_bf16_pack_panels(m->pool, m->head_e, emb, d, V, d);
    m->head_packed = 1;
}

/* logits (rows, V) = final_n rows . E^T: bf16 operands and fp32 sums, or an fp32 sgemm. */
static void head_logits(bn_model *m, const float *xn, int rows, int bf16)
{
    int d = m->cfg.hidden_size, V = m->cfg.vocab_size;
    if (!bf16) {
        bn_matmul_nt(m->pool, m->logits, xn, bn_model_embedding(m, m->params), rows, V, d, 0);
        return;
    }
    bn_bf16_pack_rows(m->pool, m->head_a, xn, d, rows, d);
    bn_bf16_gemm(m->pool, m->head_bf16, m->logits, V, m->head_a, bn_bf16_row_ld(d), m->head_et,
                 rows, V, d, 1.0f, 0);
}

/* d(final_n) (rows, d) = d(logits) . E in bf16. Each row's target entry (p - 1) / count, its
 * largest, goes in exactly: its row of E times it in fp32 starts the sum, and the entry is
 * zeroed before the rest of the row is rounded to bf16 (README, "The lm_head in bf16"). */
static void head_input_grad_bf16(bn_model *m, const int *tokens, float *dx, int first, int rows)
{
    int d = m->cfg.hidden_size, V = m->cfg.vocab_size, T = m->last_T;
    const float *emb = bn_model_embedding(m, m->params);
    for (int i = 0; i < rows; i++) {
        int n = first + i;
        float *out = dx + (size_t)i * d, *dl = m->logits + (size_t)i * V;
        if ((n + 1) % T == 0) { /* no target: d(logits) is zero */
            memset(out, 0, sizeof(float) * (size_t)d);
            continue;
        }
        int t = tokens[n + 1];
        const float g = dl[t], *e = emb + (size_t)t * d;
        for (int k = 0; k < d; k++)
            out[k] = g * e[k];
        dl[t] = 0.0f;
    }
    bn_bf16_pack_rows(m->pool, m->head_a, m->logits, V, rows, V);
    bn_bf16_gemm(m->pool, m->head_bf16, dx, d, m->head_a, bn_bf16_row_ld(V), m->head_e, rows, d,
                 V, 1.0f, 1);
}

/* The lm_head's backward for the chunk of positions first.. whose logits m->logits holds:
 * they become d(logits); d(final_n) for those positions goes into bw.dnorm, and the head's
 * weight gradient into head_grad (written by the first chunk, added to by the others). The
 * bf16 d(final_n) comes last: it zeroes the targets' entries of d(logits). */
static void head_backward_chunk(bn_model *m, const int *tokens, int first, int rows)
{
    int d = m->cfg.hidden_size, V = m->cfg.vocab_size;
    const float *xn = m->final_n + (size_t)first * d;
    float *dx = m->bw.dnorm + (size_t)first * d;
    bn_cross_entropy_backward_rows(m->pool, m->logits, tokens, m->last_B, m->last_T, V, first,
                                   rows);
    if (m->ex.bf16_backward)
        head_weight_grad_bf16(m, xn, rows, first > 0);
    else
        bn_matmul_tn(m->pool, m->head_grad, m->logits, xn, V, d, rows, first > 0);
    if (m->head_bf16)
        head_input_grad_bf16(m, tokens, dx, first, rows);
    else
        bn_matmul_nn(m->pool, dx, m->logits, bn_model_embedding(m, m->params), rows, d, V, 0);
}

/* The tied lm_head (E, not quantized) and the loss, logit_rows positions at a time, with
 * each chunk's backward when asked. The bf16 head runs only with the backward: a plain
 * forward (the evaluations) keeps the fp32 logits, so a run's val_loss is what `eval` of
 * its checkpoint computes. Returns the mean loss (0 for T == 1). */
static double lm_head(bn_model *m, const int *tokens, int with_backward)
{
    int B = m->last_B, T = m->last_T, N = B * T, d = m->cfg.hidden_size;
    int V = m->cfg.vocab_size, bf16 = m->head_bf16 && with_backward;
    if (bf16)
        pack_head_bf16(m);
    for (int first = 0; first < N; first += m->logit_rows) {
        int rows = N - first < m->logit_rows ? N - first : m->logit_rows;
        head_logits(m, m->final_n + (size_t)first * d, rows, bf16);
        if (T > 1)
            bn_cross_entropy_forward_rows(m->pool, m->logits, tokens, T, V, first, rows,
                                          m->row_loss);
        if (with_backward)
            head_backward_chunk(m, tokens, first, rows);
    }
    m->head_done = with_backward;
    return T > 1 ? bn_cross_entropy_mean(m->row_loss, B, T) : 0.0;
}

/* ---------------------------------------------------------------- forward */


static void embed_forward(float *x, const float *emb, const int *tokens, int N, int d)
{
    for (int n = 0; n < N; n++)
        memcpy(x + (size_t)n * d, emb + (size_t)tokens[n] * d, sizeof(float) * (size_t)d);
}

static void add_inplace(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += x[i];
}

/* x_in (N, d) -> x_out (N, d) through one block. */
static void layer_forward(bn_model *m, int l, float *x_out, int B, int T)
{
    int N = B * T, d = m->cfg.hidden_size, F = m->cfg.ffn_size, Q = m->qkv_dim;
    float eps = (float)m->cfg.norm_eps;
    bn_layer_params p = bn_model_layer_view(m, m->params, l);
    bn_layer_acts *a = &m->acts[l];
    bn_layer_qweights *q = &m->qweights[l];
    bn_bitlinear_scratch *sc = &m->bl_scratch;
    const bn_exec *ex = &m->ex;

    bn_rmsnorm_forward(ex->pool, a->attn_n, a->attn_rstd, a->x_in, p.attn_norm, N, d, eps);
    bn_bitlinear_forward(ex, a->qkv_out, &a->qkv, a->attn_n, p.qkv_norm, &q->qkv, N, d, Q, eps,
                         sc);
    bn_rope_forward(ex->pool, a->qkv_out, m->rope_cos, m->rope_sin, B, T, m->cfg.num_heads,
                    m->cfg.num_kv_heads, m->head_dim);
    bn_attention_forward(ex->pool, a->attn_out, m->att_scratch, a->qkv_out, attn_shape(m, B, T));
    bn_bitlinear_forward(ex, a->x_mid, &a->out, a->attn_out, p.out_norm, &q->out, N, d, d, eps,
                         sc);
    add_inplace(a->x_mid, a->x_in, (size_t)N * d);

    bn_rmsnorm_forward(ex->pool, a->ffn_n, a->ffn_rstd, a->x_mid, p.ffn_norm, N, d, eps);
    bn_bitlinear_forward(ex, a->gu, &a->gate_up, a->ffn_n, p.gate_up_norm, &q->gate_up, N, d,
                         2 * F, eps, sc);
    bn_sqrelu_gate_forward(ex->pool, a->h, a->gu, N, F);
    bn_bitlinear_forward(ex, x_out, &a->down, a->h, p.down_norm, &q->down, N, F, d, eps, sc);
    add_inplace(x_out, a->x_mid, (size_t)N * d);
}

bn_status bn_model_check_shape(const bn_model *m, int B, int T, bn_error *err)
{
    if (B < 1 || B > m->max_batch)
        return bn_fail(err, BN_ERR_INPUT, "a forward of %d rows: this model holds 1 to %d "
                                          "(its max_batch)", B, m->max_batch);
    if (T < 1 || T > m->max_seq)
        return bn_fail(err, BN_ERR_INPUT, "a forward of %d tokens per row: this model holds "
                                          "1 to %d (its max_seq, the run's seq_len)",
                       T, m->max_seq);
    return BN_OK;
}

/* Everything up to the final norm; 0 for a shape the model refuses. */
static int forward_body(bn_model *m, const int *tokens, int B, int T)
{
    int N = B * T, d = m->cfg.hidden_size, L = m->cfg.num_layers;
    m->last_B = m->last_T = 0;
    m->head_done = 0;
    if (bn_model_check_shape(m, B, T, NULL) != BN_OK)
        return 0; /* refused: the buffers hold max_batch x max_seq tokens */
    bn_model_quantize(m);
    m->last_B = B;
    m->last_T = T;
    embed_forward(m->acts[0].x_in, bn_model_embedding(m, m->params), tokens, N, d);
    /* For inference acts[l + 1].x_in is acts[l].x_in (layout_activations). */
    for (int l = 0; l < L; l++)
        layer_forward(m, l, l + 1 < L ? m->acts[l + 1].x_in : m->x_final, B, T);
    bn_rmsnorm_forward(m->pool, m->final_n, m->final_rstd, m->x_final,
                       bn_model_final_norm(m, m->params), N, d, (float)m->cfg.norm_eps);
    return 1;
}

double bn_model_forward(bn_model *m, const int *tokens, int B, int T)
{
    return forward_body(m, tokens, B, T) ? lm_head(m, tokens, 0) : NAN;
}

double bn_model_forward_train(bn_model *m, const int *tokens, int B, int T)
{
    if (!forward_body(m, tokens, B, T))
        return NAN;
    return lm_head(m, tokens, m->mode == BN_MODEL_TRAINING);
}

/* ---------------------------------------------------------------- backward */

void bn_model_zero_grad(bn_model *m)
{
    if (m->grads)
        memset(m->grads, 0, sizeof(float) * m->num_params);
}

/* low_memory: layer l's attention half again from its input, as layer_forward ran it
 * (the same bits): attn_n, q|k|v, the probabilities, attn_out and x_mid. */
static void recompute_attention(bn_model *m, int l, int B, int T)
{
    int N = B * T, d = m->cfg.hidden_size, Q = m->qkv_dim;
    float eps = (float)m->cfg.norm_eps;
    bn_layer_params p = bn_model_layer_view(m, m->params, l);
    bn_layer_acts *a = &m->acts[l];
    bn_layer_qweights *q = &m->qweights[l];
    const bn_exec *ex = &m->ex;
    bn_rmsnorm_forward(ex->pool, a->attn_n, a->attn_rstd, a->x_in, p.attn_norm, N, d, eps);
    bn_bitlinear_forward(ex, a->qkv_out, &a->qkv, a->attn_n, p.qkv_norm, &q->qkv, N, d, Q, eps,
                         &m->bl_scratch);
    bn_rope_forward(ex->pool, a->qkv_out, m->rope_cos, m->rope_sin, B, T, m->cfg.num_heads,
                    m->cfg.num_kv_heads, m->head_dim);
    bn_attention_forward(ex->pool, a->attn_out, m->att_scratch, a->qkv_out,
                         attn_shape(m, B, T));
    bn_bitlinear_forward(ex, a->x_mid, &a->out, a->attn_out, p.out_norm, &q->out, N, d, d, eps,
                         &m->bl_scratch);
    add_inplace(a->x_mid, a->x_in, (size_t)N * d);
}

/* dres (N, d): gradient w.r.t. this layer's output on entry, w.r.t. its input on exit. */
static void layer_backward(bn_model *m, int l, int B, int T)
{
    int N = B * T, d = m->cfg.hidden_size, F = m->cfg.ffn_size, Q = m->qkv_dim;
    bn_layer_params p = bn_model_layer_view(m, m->params, l);
    bn_layer_params g = bn_model_layer_view(m, m->grads, l);
    bn_layer_acts *a = &m->acts[l];
    bn_layer_qweights *q = &m->qweights[l];
    bn_bitlinear_scratch *sc = &m->bl_scratch;
    bn_backward_scratch *bw = &m->bw;

    const bn_exec *ex = &m->ex;
    float *dgp = sc->dg_partial;
    float eps = (float)m->cfg.norm_eps;
    /* The shared activations (carve_layer) hold the last layer's: recompute the others', by
     * the forward's own functions on the same inputs, so the bits are the same. */
    int recompute = l < m->cfg.num_layers - 1;
    if (recompute && m->low_memory)
        recompute_attention(m, l, B, T);

    /* FFN: x_out = x_mid + down(h); dres already holds d(x_out) = d(x_mid) via the skip. */
    if (recompute) {
        bn_rmsnorm_forward(ex->pool, a->ffn_n, a->ffn_rstd, a->x_mid, p.ffn_norm, N, d, eps);
        if (m->low_memory) /* its acts are written again with the same values */
            bn_bitlinear_forward(ex, a->gu, &a->gate_up, a->ffn_n, p.gate_up_norm,
                                 &q->gate_up, N, d, 2 * F, eps, sc);
        bn_sqrelu_gate_forward(ex->pool, a->h, a->gu, N, F);
    }
    bn_bitlinear_backward(ex, bw->dnarrow, g.down_w, g.down_norm, bw->dres, &a->down, a->h,
                          p.down_norm, &q->down, N, F, d, sc);
    bn_sqrelu_gate_backward(ex->pool, bw->dwide, bw->dnarrow, a->gu, N, F);
    bn_bitlinear_backward(ex, bw->dnorm, g.gate_up_w, g.gate_up_norm, bw->dwide, &a->gate_up,
                          a->ffn_n, p.gate_up_norm, &q->gate_up, N, d, 2 * F, sc);
    bn_rmsnorm_backward(ex->pool, bw->dres, g.ffn_norm, dgp, bw->dnorm, a->x_mid, p.ffn_norm,
                        a->ffn_rstd, N, d, 1);

    /* Attention: x_mid = x_in + out_proj(attn(qkv_proj(norm(x_in)))). */
    bn_bitlinear_backward(ex, bw->dnarrow, g.out_w, g.out_norm, bw->dres, &a->out, a->attn_out,
                          p.out_norm, &q->out, N, d, d, sc);
    if (recompute && !m->low_memory)
        bn_rmsnorm_forward(ex->pool, a->attn_n, a->attn_rstd, a->x_in, p.attn_norm, N, d, eps);
    bn_attention_backward(ex->pool, bw->dwide, m->att_scratch, bw->dnarrow, a->qkv_out,
                          attn_shape(m, B, T), ex->bf16_backward != BN_BF16_NONE);
    bn_rope_backward(ex->pool, bw->dwide, m->rope_cos, m->rope_sin, B, T, m->cfg.num_heads,
                     m->cfg.num_kv_heads, m->head_dim);
    bn_bitlinear_backward(ex, bw->dnorm, g.qkv_w, g.qkv_norm, bw->dwide, &a->qkv, a->attn_n,
                          p.qkv_norm, &q->qkv, N, d, Q, sc);
    bn_rmsnorm_backward(ex->pool, bw->dres, g.attn_norm, dgp, bw->dnorm, a->x_in, p.attn_norm,
                        a->attn_rstd, N, d, 1);
}

static void embed_backward(float *demb, const float *dx, const int *tokens, int N, int d)
{
    for (int n = 0; n < N; n++)
        add_inplace(demb + (size_t)tokens[n] * d, dx + (size_t)n * d, (size_t)d);
}

void bn_model_backward(bn_model *m, const int *tokens)
{
    if (m->mode != BN_MODEL_TRAINING || m->last_B == 0)
        return; /* no gradients, or no forward to go back through */
    int N = m->last_B * m->last_T, d = m->cfg.hidden_size, V = m->cfg.vocab_size;
    float *demb = bn_model_embedding(m, m->grads);
    bn_backward_scratch *bw = &m->bw;

    if (!m->head_done) /* a plain forward: the logits are gone, compute them again */
        lm_head(m, tokens, 1);
    m->head_done = 0;
    add_inplace(demb, m->head_grad, (size_t)V * d); /* the lm_head half of the tie */
    bn_rmsnorm_backward(m->pool, bw->dres, bn_model_final_norm(m, m->grads),
                        m->bl_scratch.dg_partial, bw->dnorm, m->x_final,
                        bn_model_final_norm(m, m->params), m->final_rstd, N, d, 0);
    for (int l = m->cfg.num_layers - 1; l >= 0; l--)
        layer_backward(m, l, m->last_B, m->last_T);
    embed_backward(demb, bw->dres, tokens, N, d);
}
