/* test_memory.c - what the training model does to hold less (README, "Memory"): the lm_head
 * over chunks of positions gives the loss and gradients of the whole-batch head whatever the
 * chunk (also chunks that cut a row), the fused training forward gives the same bits as a
 * plain forward followed by the backward, the layers share the activations the backward
 * recomputes (with low_memory gate|up too, the same bits), and the BitLinears keep neither a
 * float copy of the quantized activations nor of the ternary weights. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels/gemm_bf16.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "base/rng.h"

#define B 3
#define T 7
#define V 300

static void tiny(bn_model_config *c)
{
    memset(c, 0, sizeof *c);
    c->vocab_size = V;
    c->hidden_size = 32;
    c->num_layers = 3;
    c->num_heads = 4;
    c->num_kv_heads = 2;
    c->ffn_size = 48;
    c->max_seq_len = T;
    c->rope_theta = 10000.0;
    c->norm_eps = 1e-5;
    c->embedding_init_std = 1.0;
}

/* A training model with the weights of seed 5, its logits held `rows` positions at a time
 * (0: the default). */
static int make(bn_model *m, const char *kernel, int threads, int rows)
{
    bn_model_config c;
    bn_error err = {0};
    tiny(&c);
    if (bn_model_init(m, &c, B, T, bn_kernels_find(kernel, NULL), threads, &err) != BN_OK) {
        fprintf(stderr, "init: %s\n", err.msg);
        return -1;
    }
    bn_rng rng;
    bn_rng_seed(&rng, 5);
    bn_model_init_weights(m, &rng);
    if (rows > 0)
        m->logit_rows = rows; /* smaller than allocated: the buffer holds it */
    return 0;
}

static void tokens_of(int *tok)
{
    bn_rng rng;
    bn_rng_seed(&rng, 11);
    for (int i = 0; i < B * T; i++)
        tok[i] = (int)bn_rng_below(&rng, V);
}

/* Largest |a - b| / (|b| + 1e-3) over n values. */
static double max_rel(const float *a, const float *b, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double r = fabs((double)a[i] - b[i]) / (fabs((double)b[i]) + 1e-3);
        worst = r > worst ? r : worst;
    }
    return worst;
}

/* One training pass: the fused forward (or the plain one), then the backward. */
static double pass(bn_model *m, const int *tok, int fused)
{
    double loss = fused ? bn_model_forward_train(m, tok, B, T) : bn_model_forward(m, tok, B, T);
    bn_model_zero_grad(m);
    bn_model_backward(m, tok);
    return loss;
}

static void test_chunks(const char *kernel)
{
    int tok[B * T];
    tokens_of(tok);
    bn_model whole, cut;
    if (make(&whole, kernel, 1, 0) != 0 || make(&cut, kernel, 2, 5) != 0)
        return;
    CHECK(whole.logit_rows == B * T, "a %d-token vocabulary holds every position's logits "
          "(%d)", V, whole.logit_rows);
    double l1 = pass(&whole, tok, 1), l2 = pass(&cut, tok, 1);
    CHECK(fabs(l1 - l2) <= 1e-6 * fabs(l1), "%s: loss %.9f whole, %.9f in chunks of 5", kernel,
          l1, l2);
    /* The fp32 head's products are BLAS's, whose sums may round differently with the number
     * of rows (OpenBLAS's Haswell kernels, which it picks on Zen 5: 1.8e-4 here; its
     * SkylakeX kernels: below 1e-4). */
    double r = max_rel(cut.grads, whole.grads, whole.num_params);
    CHECK(r < 5e-4, "%s: gradients in chunks of 5 differ from the whole batch's by %.3g",
          kernel, r);
    for (int n = 0; n < B * T; n++)
        CHECK(fabs(cut.row_loss[n] - whole.row_loss[n]) <= 1e-5 * (fabs(whole.row_loss[n]) + 1),
              "position %d: loss %.9f vs %.9f", n, cut.row_loss[n], whole.row_loss[n]);

    /* The plain forward, then the backward (which computes the logits again): same bits. */
    float *fused = malloc(sizeof(float) * cut.num_params);
    if (fused) {
        memcpy(fused, cut.grads, sizeof(float) * cut.num_params);
        double l3 = pass(&cut, tok, 0);
        CHECK(l3 == l2 && memcmp(fused, cut.grads, sizeof(float) * cut.num_params) == 0,
              "%s: the fused training forward and forward + backward give the same bits",
              kernel);
        free(fused);
    }
    bn_model_free(&whole);
    bn_model_free(&cut);
}

/* low_memory: the layers share everything but x_in and down's int8 input, computed again in
 * the backward: the same bits. */
static void test_low_memory(void)
{
    int tok[B * T];
    tokens_of(tok);
    bn_model keep, low;
    bn_error err = {0};
    if (make(&keep, "ref", 2, 0) != 0 || make(&low, "ref", 2, 0) != 0)
        return;
    size_t before = low.alloc_bytes;
    CHECK(bn_model_set_low_memory(&low, 1, &err) == BN_OK, "%s", err.msg);
    for (int l = 1; l < low.cfg.num_layers; l++) {
        const bn_layer_acts *a = &low.acts[l], *a0 = &low.acts[0];
        CHECK(a->gu == a0->gu && a->qkv_out == a0->qkv_out && a->attn_out == a0->attn_out &&
                  a->x_mid == a0->x_mid && a->qkv.xq_i8 == a0->qkv.xq_i8 &&
                  a->out.xq_i8 == a0->out.xq_i8 && a->gate_up.xq_i8 == a0->gate_up.xq_i8,
              "low_memory: layer %d shares q|k|v, attn_out, x_mid, gate|up and their inputs", l);
        CHECK(a->x_in != a0->x_in && a->down.xq_i8 != a0->down.xq_i8,
              "low_memory: layer %d keeps its input and down's", l);
    }
    CHECK(keep.acts[1].gu != keep.acts[0].gu, "without low_memory each layer keeps gate|up");
    /* per layer past the first: gate|up, q|k|v, attn_out and x_mid in floats */
    size_t d = low.cfg.hidden_size, per_token = 2 * low.cfg.ffn_size + low.qkv_dim + 2 * d;
    size_t saved = (size_t)(low.cfg.num_layers - 1) * B * T * per_token * 4;
    CHECK(before - low.alloc_bytes >= saved, "low_memory allocates %zu bytes less (at least %zu)",
          before - low.alloc_bytes, saved);
    double l1 = pass(&keep, tok, 1), l2 = pass(&low, tok, 1);
    CHECK(l1 == l2 && memcmp(keep.grads, low.grads, sizeof(float) * keep.num_params) == 0,
          "low_memory: the same loss and gradients, bit for bit");
    CHECK(bn_model_set_low_memory(&low, 0, &err) == BN_OK && low.acts[1].gu != low.acts[0].gu,
          "and back");
    bn_model_free(&keep);
    bn_model_free(&low);
}

/* low_memory with the bf16 backward: the linears share one Wq panel buffer, packed just
 * before each dX product, and neither model holds the fp32 backward's dY scratch: the same
 * bits as the bf16 backward without low_memory, in less memory. */
static void test_low_memory_bf16(void)
{
    if (!bn_bf16_backward_available()) {
        printf("test_memory: no bf16 backward on this CPU, its low_memory case skipped\n");
        return;
    }
    int tok[B * T];
    tokens_of(tok);
    bn_model keep, low;
    bn_error err = {0};
    if (make(&keep, "ref", 2, 0) != 0 || make(&low, "ref", 2, 0) != 0)
        return;
    CHECK(bn_model_set_backward_precision(&keep, BN_PRECISION_BF16, &err) == BN_OK &&
              bn_model_set_low_memory(&low, 1, &err) == BN_OK &&
              bn_model_set_backward_precision(&low, BN_PRECISION_BF16, &err) == BN_OK,
          "%s", err.msg);
    CHECK(keep.bl_scratch.dy == NULL && low.bl_scratch.dy == NULL,
          "the bf16 backward carves no fp32 dY scratch");
    CHECK(low.qweights[0].qkv.wq_bf == low.qweights[1].down.wq_bf &&
              keep.qweights[0].qkv.wq_bf != keep.qweights[1].down.wq_bf,
          "low_memory: one Wq panel buffer for every linear");
    CHECK(low.bf16_bytes < keep.bf16_bytes, "low_memory: bf16 buffers %zu < %zu bytes",
          low.bf16_bytes, keep.bf16_bytes);
    for (int step = 0; step < 2; step++) { /* the second after an update: panels repacked */
        double l1 = pass(&keep, tok, 1), l2 = pass(&low, tok, 1);
        CHECK(l1 == l2 && memcmp(keep.grads, low.grads, sizeof(float) * keep.num_params) == 0,
              "low_memory with bf16, pass %d: the same loss and gradients, bit for bit", step);
        for (size_t i = 0; i < keep.num_params; i++) {
            keep.params[i] -= 0.01f * keep.grads[i];
            low.params[i] -= 0.01f * low.grads[i];
        }
        bn_model_params_changed(&keep);
        bn_model_params_changed(&low);
    }
    bn_model_free(&keep);
    bn_model_free(&low);
}

/* A model of make()'s with the bf16 backward and the bf16 lm_head (low_memory as asked). */
static int make_head_bf16(bn_model *m, int threads, int rows, int low_memory)
{
    bn_error err = {0};
    if (make(m, "ref", threads, rows) != 0)
        return -1;
    if (bn_model_set_low_memory(m, low_memory, &err) != BN_OK ||
        bn_model_set_backward_precision(m, BN_PRECISION_BF16, &err) != BN_OK ||
        bn_model_set_head_precision(m, BN_PRECISION_AUTO, &err) != BN_OK) {
        CHECK(0, "%s", err.msg);
        bn_model_free(m);
        return -1;
    }
    return 0;
}

/* The bf16 lm_head (README, "The lm_head in bf16"): auto follows the backward; its chunks
 * give the whole batch's losses and d(final_n) bit for bit (each logit and each d(final_n)
 * element is one sum in the same order) and the weight gradient within 1e-4; the fused
 * forward and forward + backward give the same gradients (the plain forward's loss is the
 * fp32 head's, as evaluations want); with low_memory E's panels live in the
 * backward's gradient buffers, are packed again at each forward, and give the same bits. */
static void test_head_bf16(void)
{
    bn_model whole, cut, low, plain;
    bn_error err = {0};
    int tok[B * T];
    tokens_of(tok);
    if (make(&plain, "ref", 1, 0) != 0)
        return;
    CHECK(bn_model_set_head_precision(&plain, BN_PRECISION_AUTO, &err) == BN_OK &&
              plain.head_bf16 == BN_BF16_NONE && plain.head_et == NULL,
          "auto with the fp32 backward: the fp32 head");
    if (!bn_bf16_backward_available()) {
        CHECK(bn_model_set_head_precision(&plain, BN_PRECISION_BF16, &err) == BN_ERR_INPUT,
              "bf16 head refused without AVX512_BF16");
        printf("test_memory: no bf16 on this CPU, the bf16 head's cases skipped\n");
        bn_model_free(&plain);
        return;
    }
    if (make_head_bf16(&whole, 1, 0, 0) != 0 || make_head_bf16(&cut, 2, 5, 0) != 0 ||
        make_head_bf16(&low, 2, 0, 1) != 0)
        return;
    CHECK(whole.head_bf16 == bn_bf16_backward_available() && whole.head_et && whole.head_e,
          "auto with the bf16 backward: the bf16 head, its panels carved");
    CHECK(low.head_et == (bn_bf16 *)low.bw.dwide && whole.head_et != (bn_bf16 *)whole.bw.dwide,
          "low_memory: E's panels in the backward's gradient buffers");
    for (int step = 0; step < 2; step++) { /* the second after an update: E packed again */
        double l1 = pass(&whole, tok, 1), l2 = pass(&cut, tok, 1), l3 = pass(&low, tok, 1);
        double l4 = pass(&plain, tok, 1);
        CHECK(l1 == l2 && memcmp(whole.row_loss, cut.row_loss, sizeof(double) * B * T) == 0,
              "step %d: chunks of 5 give the whole batch's losses bit for bit", step);
        double r = max_rel(cut.grads, whole.grads, whole.num_params);
        CHECK(r < 1e-4, "step %d: gradients in chunks of 5 within %.3g of the whole's", step, r);
        CHECK(l3 == l1 && memcmp(low.grads, whole.grads, sizeof(float) * whole.num_params) == 0,
              "step %d: low_memory gives the same loss and gradients, bit for bit", step);
        CHECK(fabs(l4 - l1) < 1e-2 * l4 && l4 != l1,
              "step %d: the bf16 head's loss %.9f near the fp32 head's %.9f", step, l1, l4);
        bn_model *all[4] = {&whole, &cut, &low, &plain};
        for (int i = 0; i < 4; i++) {
            for (size_t j = 0; j < all[i]->num_params; j++)
                all[i]->params[j] -= 0.01f * whole.grads[j];
            bn_model_params_changed(all[i]);
        }
    }
    /* The plain forward keeps the fp32 logits (its loss is the fp32 head's); the backward
     * then runs the bf16 head: the fused forward's gradients, bit for bit. With low_memory
     * the backward's head packs E again over what the last backward left there. */
    float *fused = malloc(sizeof(float) * cut.num_params);
    bn_model *both[2] = {&cut, &low};
    for (int i = 0; fused && i < 2; i++) {
        double l2 = pass(both[i], tok, 1);
        memcpy(fused, both[i]->grads, sizeof(float) * cut.num_params);
        double l3 = pass(both[i], tok, 0);
        CHECK(memcmp(fused, both[i]->grads, sizeof(float) * cut.num_params) == 0,
              "%s: the fused training forward and forward + backward give the same gradients",
              i ? "low_memory" : "chunks of 5");
        /* The fp32 head's loss whatever its chunks, within BLAS's rounding (see test_chunks),
         * and away from the bf16 head's (2.8e-4 of it here). */
        double lp = bn_model_forward(&plain, tok, B, T);
        CHECK(fabs(l3 - lp) <= 1e-6 * lp && fabs(l3 - l2) > 2e-5 * l3 && fabs(l3 - l2) < 1e-2 * l3,
              "%s: the plain forward's loss %.9f is the fp32 head's %.9f (bf16: %.9f)",
              i ? "low_memory" : "chunks of 5", l3, lp, l2);
    }
    free(fused);
    bn_model_free(&whole);
    bn_model_free(&cut);
    bn_model_free(&low);
    bn_model_free(&plain);
}

static void test_sharing(void)
{
    bn_model m;
    if (make(&m, "ref", 1, 0) != 0)
        return;
    for (int l = 1; l < m.cfg.num_layers; l++) {
        CHECK(m.acts[l].h == m.acts[0].h &&
                  m.acts[l].attn_n == m.acts[0].attn_n && m.acts[l].ffn_n == m.acts[0].ffn_n,
              "layer %d shares the recomputed activations", l);
        CHECK(m.acts[l].x_in != m.acts[0].x_in && m.acts[l].gu != m.acts[0].gu &&
                  m.acts[l].qkv_out != m.acts[0].qkv_out,
              "layer %d keeps its own inputs, gate|up and q|k|v", l);
    }
    bn_model_free(&m);
}

int main(void)
{
    test_chunks("ref");
    if (bn_kernels_find("avx512", NULL))
        test_chunks("avx512");
    test_chunks("blas");
    test_sharing();
    test_low_memory();
    test_low_memory_bf16();
    test_head_bf16();
    return check_exit("test_memory");
}
