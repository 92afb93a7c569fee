/* model.h - the BitNet b1.58 transformer (README, "The model").
 *
 * Memory: parameters, gradients, quantized weights and activations each live in one slab,
 * sized once at bn_model_init for at most max_batch x max_seq tokens; a training step
 * allocates nothing. Per-layer pointers come from one function (layer view), never from
 * offset arithmetic written twice. An inference model (BN_MODEL_INFERENCE) has no gradient
 * slab and no backward buffers, and its layers share one set of activations (README,
 * "Inference"). */
#ifndef BN_MODEL_H
#define BN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "nn/bitlinear.h"
#include "io/config.h"
#include "base/error.h"
#include "kernels/kernels.h"
#include "base/rng.h"
#include "base/threadpool.h"

/* One layer's parameters (or gradients: same layout), in checkpoint order. */
typedef struct {
    float *attn_norm;    /* (d) */
    float *qkv_w;        /* (Q, d), Q = (H + 2*KV) * hd */
    float *qkv_norm;     /* (d) */
    float *out_w;        /* (d, H*hd) */
    float *out_norm;     /* (H*hd) */
    float *ffn_norm;     /* (d) */
    float *gate_up_w;    /* (2F, d) */
    float *gate_up_norm; /* (d) */
    float *down_w;       /* (d, F) */
    float *down_norm;    /* (F) */
} bn_layer_params;

/* What one layer keeps from the forward pass for its backward. */
typedef struct {
    float *x_in;      /* (N, d) residual stream entering the layer */
    float *attn_n;    /* (N, d) attention pre-norm output */
    float *attn_rstd; /* (N) */
    bn_bitlinear_acts qkv;
    float *qkv_out;   /* (N, Q) q|k|v, q and k after RoPE */
    float *attn_out;  /* (N, H*hd) heads concatenated */
    bn_bitlinear_acts out;
    float *x_mid;     /* (N, d) residual after attention */
    float *ffn_n;     /* (N, d) FFN pre-norm output */
    float *ffn_rstd;  /* (N) */
    bn_bitlinear_acts gate_up;
    float *gu;        /* (N, 2F) gate | up */
    float *h;         /* (N, F) relu(gate)^2 * up */
    bn_bitlinear_acts down;
} bn_layer_acts;

/* The four BitLinears of a layer, ternarized once per optimizer step. */
typedef struct {
    bn_qweight qkv, out, gate_up, down;
} bn_layer_qweights;

/* Backward scratch shared by all layers. */
typedef struct {
    float *dres;      /* (N, d) gradient of the residual stream */
    float *dnorm;     /* (N, d) gradient of a pre-norm output */
    float *dwide;     /* (N, max(Q, 2F)) gradient of qkv or gate|up */
    float *dnarrow;   /* (N, max(H*hd, F)) gradient of attn_out or h */
} bn_backward_scratch;

/* A named tensor inside the parameter slab. */
typedef struct {
    char name[96];
    size_t offset; /* in floats */
    size_t numel;
    int ndim;
    int64_t shape[2];
} bn_tensor_info;

/* What a model is built for: training keeps every layer's activations for the backward;
 * inference keeps none of it and cannot run a backward. */
typedef enum { BN_MODEL_TRAINING, BN_MODEL_INFERENCE } bn_model_mode;

typedef struct {
    bn_model_config cfg;
    bn_model_mode mode;
    int head_dim, qkv_dim;  /* hd, Q */
    int max_batch, max_seq; /* the largest forward: rows x tokens per row */
    size_t alloc_bytes;     /* every slab and table this model allocated */
    size_t layer_numel;     /* floats per layer */
    size_t num_params;

    float *params;          /* (num_params) latent fp32 weights */
    float *grads;           /* (num_params); NULL for inference */
    uint8_t *codes_slab;    /* every linear's (out, Kp) codes w + 1, back to back */
    bn_layer_qweights *qweights; /* (L) */
    int weights_quantized;  /* 0 after an update: the next forward re-ternarizes */
    unsigned long quant_version; /* counts ternarizations (a decoder's packed copy follows) */

    bn_tensor_info *tensors; /* (num_tensors) in checkpoint order */
    int num_tensors;

    void *act_slab;
    size_t act_bytes;       /* its size */
    bn_layer_acts *acts;    /* (L); for inference L copies of one set (layers run in turn) */
    float *x_final;         /* (N, d) residual after the last layer */
    float *final_n;         /* (N, d) */
    float *final_rstd;      /* (N) */
    float *logits;          /* (logit_rows, V): the lm_head's output for a chunk of positions */
    int logit_rows;         /* N for inference; training holds a chunk (README, "Memory") */
    float *head_grad;       /* (V, d) training: the lm_head's share of d(embedding) */
    int head_done;          /* the last forward also ran the lm_head's backward */
    int low_memory;         /* the layers share all but x_in and down's input (README, "Memory") */
    double *row_loss;       /* (N) per-position losses, summed in order */
    float *rope_cos, *rope_sin; /* (max_seq, hd/2) */
    float *att_scratch;     /* bn_attention_scratch(threads, ...): one head's probabilities
                               and their gradient per thread, forward and backward */
    bn_bitlinear_scratch bl_scratch;
    bn_backward_scratch bw; /* all NULL for inference */
    int last_B, last_T;     /* shape of the last forward */

    bn_bf16_path head_bf16; /* the lm_head's logits and d(final_n) in bf16 (NONE: fp32) */
    bn_bf16 *head_et;       /* E as B panels of E^T (d x V): the logits' product */
    bn_bf16 *head_e;        /* E as B panels (V x d): d(final_n)'s product */
    bn_bf16 *head_a;        /* a chunk's final_n or d(logits) as bf16 pair rows */
    int head_packed;        /* head_et and head_e hold the current E */
    void *bf16_slab;        /* bf16 backward: Wq panels of every linear, A/B scratch */
    size_t bf16_bytes;      /* its size */
    uint8_t *panels_slab;   /* amx and avx512 kernels: every linear's quad panels, back to back */
    bn_threadpool *pool;    /* owned; NULL when threads == 1 */
    bn_exec ex;             /* kernels + pool, as the layers take them */
} bn_model;

/* The parameter count of a model of this config, without allocating one (the same walk
 * over the tensor table as bn_model_init, so always m->num_params). */
size_t bn_model_param_count(const bn_model_config *cfg);

/* Allocate every slab for batches up to max_batch x max_seq, and a pool of `threads`
 * compute threads (the caller's included) for the loops outside sgemm. */
bn_status bn_model_init(bn_model *m, const bn_model_config *cfg, int max_batch, int max_seq,
                        const bn_kernels *kernels, int threads, bn_error *err);
/* The same for a chosen mode (bn_model_init is BN_MODEL_TRAINING). Use bn_inference_load
 * (io/infer_load.h) to run a checkpoint. */
bn_status bn_model_init_mode(bn_model *m, const bn_model_config *cfg, int max_batch,
                             int max_seq, const bn_kernels *kernels, int threads,
                             bn_model_mode mode, bn_error *err);
void bn_model_free(bn_model *m);

/* Choose the precision of the BitLinear backward products (fp32 after init). bf16 needs
 * AMX: asking for it elsewhere is BN_ERR_INPUT naming the key; auto falls back to fp32.
 * Allocates the bf16 buffers once. */
bn_status bn_model_set_backward_precision(bn_model *m, bn_precision precision, bn_error *err);

/* Choose the precision of the tied lm_head's logits and d(final_n) products (fp32 after
 * init; README, "The lm_head in bf16"). bf16 packs E as bf16 panels in both orientations
 * once per parameter change (with low_memory at each forward, into the backward's gradient
 * buffers dwide and dnarrow, idle while the head runs) and rounds each chunk's final_n and
 * d(logits); the target's entry of d(logits) stays exact in fp32. Only the training forward
 * (bn_model_forward_train) and the backward run it: a plain bn_model_forward (evaluations)
 * keeps the fp32 logits, as an inference model does. auto: bf16 exactly when the backward
 * is (call it after bn_model_set_backward_precision). bf16 where the CPU has neither
 * AMX-BF16 nor AVX512_BF16 is BN_ERR_INPUT naming the key. The head's weight gradient
 * follows the backward's precision. Lays the activations out again, so call it before the
 * first forward. */
bn_status bn_model_set_head_precision(bn_model *m, bn_precision precision, bn_error *err);

/* low_memory 1: each layer keeps only its input and the down projection's int8 input; the
 * backward computes the rest of the layer's forward again from them (the q|k|v, out and
 * gate|up products once more and the attention, which it recomputes anyway; the same bits;
 * README, "Memory"); 0: each layer keeps its q|k|v, attention output, x_mid and gate|up.
 * Lays the activations out again, so call it before the first forward. */
bn_status bn_model_set_low_memory(bn_model *m, int low_memory, bn_error *err);

/* PyTorch-default init: Linear U(-1/sqrt(in), 1/sqrt(in)); embedding N(0, std); gains 1. */
void bn_model_init_weights(bn_model *m, bn_rng *rng);

/* Pointers to layer l's tensors inside a slab laid out like params (params, grads, moments). */
bn_layer_params bn_model_layer_view(const bn_model *m, float *slab, int l);
float *bn_model_embedding(const bn_model *m, float *slab);  /* (V, d) */
float *bn_model_final_norm(const bn_model *m, float *slab); /* (d) */

/* Whether a forward of B rows of T tokens fits the model (1 <= B <= max_batch,
 * 1 <= T <= max_seq): BN_OK, or BN_ERR_INPUT naming the limit. Every caller whose shapes do
 * not come from the model's own limits checks here first. */
bn_status bn_model_check_shape(const bn_model *m, int B, int T, bn_error *err);

/* Forward tokens (B, T). Returns the mean next-token loss (0 for T == 1), with each
 * position's loss in m->row_loss. An inference model leaves every position's logits in
 * m->logits (B*T, V); a training model computes them a chunk of logit_rows positions at a
 * time and keeps only the last chunk. A shape that bn_model_check_shape refuses is refused
 * here too: nothing is computed or written, and the result is NAN. */
double bn_model_forward(bn_model *m, const int *tokens, int B, int T);

/* The training forward: bn_model_forward, and with each chunk of logits, while it is
 * there, the lm_head's backward (d(logits), d(final_n), the head's share of d(embedding)),
 * so the next bn_model_backward need not compute the logits again. Same results, but for
 * the bf16 head (bn_model_set_head_precision), whose logits only this forward and the
 * backward use: the loss is then the bf16 logits'. */
double bn_model_forward_train(bn_model *m, const int *tokens, int B, int T);

/* Zero the gradients (nothing to do for inference). */
void bn_model_zero_grad(bn_model *m);

/* Backward of the last forward (same tokens): accumulates into m->grads. After a plain
 * bn_model_forward it computes the logits again, a chunk at a time. Does nothing for an
 * inference model, or after a refused forward. */
void bn_model_backward(bn_model *m, const int *tokens);

/* Call after changing m->params (optimizer step, checkpoint load). */
void bn_model_params_changed(bn_model *m);

/* Ternarize the weights now when a parameter change left them stale (the forward does the
 * same first); a decoder borrowing the model calls it before it reads them. */
void bn_model_quantize(bn_model *m);

/* Find a tensor by its checkpoint name; NULL if none. */
const bn_tensor_info *bn_model_find_tensor(const bn_model *m, const char *name);

/* Training FLOPs per token (counting a multiply-add as 2) for rows of seq_len tokens, as the
 * engine computes them: the BitLinear products (forward int8, backward two fp32 products of
 * the same size), the tied lm_head, and attention's score and value products over the full
 * T x T block (masking does not skip work), each backward twice its forward. Norms,
 * quantizers, softmax and the optimizer are not counted. */
double bn_model_train_flops_per_token(const bn_model_config *cfg, int seq_len);

/* Share of all ternarized weights at -1, 0, +1 (from the last quantization). */
void bn_model_ternary_shares(const bn_model *m, double shares[3]);

#endif
