/* decoder.h - running a model one row at a time with a KV cache (README, "Inference").
 *
 * A decoder is built over a bn_model's weights, which it borrows and never copies: the
 * latent embedding and norm gains, and the ternarized BitLinear weights (re-ternarized
 * first when the model's parameters changed, as the forward does). It owns only what one
 * row needs: per layer a cache of keys and values (max_seq x kv_dim each), activation
 * buffers for up to max_seq new tokens, and its own RoPE table; on AVX-512 VNNI also a
 * 2-bit packed form of the ternary weights for single tokens (ternary_gemv2.h), which
 * reads a quarter of the bytes the u8 codes take. No gradients, optimizer moments or
 * training activations.
 *
 * feed() runs n new tokens in one batched pass through the same kernels as
 * bn_model_forward (int8 activations quantized per token, ternary weights), so the logits at
 * every position are bit for bit those of bn_model_forward on the whole prefix
 * (tests/test_decoder.c). The decoder uses the model's thread pool: do not run it while
 * another thread runs the model. After the model's weights change (a training step), the
 * cache describes the old weights: reset before the next use. */
#ifndef BN_DECODER_H
#define BN_DECODER_H

#include <stdint.h>

#include "base/error.h"
#include "model/model.h"

typedef struct {
    bn_model *m;          /* borrowed */
    int max_seq, pos;     /* capacity; tokens in the cache */
    int n_last;           /* tokens of the last feed (rows of logits) */
    size_t alloc_bytes;
    float *k_cache, *v_cache; /* (L, max_seq, kv_dim) */
    float *x, *xn, *rstd, *qkv, *attn_out, *x_mid, *gu, *h; /* per token, max_seq rows */
    float *scores;        /* attention scratch per thread (bn_attention_cached) */
    float *logits;        /* (max_seq, V) */
    float *rope_cos, *rope_sin;
    bn_bitlinear_acts bl; /* one BitLinear's quantized input (the layers run in turn) */
    /* One token's path on AVX-512 VNNI: the ternary weights again at 2 bits (1/16 of their
     * fp32 size; kernels/ternary_gemv2.h), repacked when the model re-ternarizes. */
    uint8_t *w2;          /* every linear's packed rows, layer by layer; NULL: not used */
    unsigned long w2_version;
    int32_t *acc;         /* (widest out) the one-token products */
    bn_bitlinear_scratch sc;
    void *slab;
} bn_decoder;

/* A decoder over m for contexts of up to max_seq tokens (1 .. the model's
 * max_seq_len): BN_ERR_INPUT outside that, BN_ERR_NOMEM. */
bn_status bn_decoder_init(bn_decoder *d, bn_model *m, int max_seq, bn_error *err);
void bn_decoder_free(bn_decoder *d);

/* Empty the cache (position 0). */
void bn_decoder_reset(bn_decoder *d);

/* Tokens in the cache. */
int bn_decoder_pos(const bn_decoder *d);

/* Append n tokens at positions pos .. pos+n-1 in one pass, with the logits of every one of
 * them (bn_decoder_logits). BN_ERR_INPUT, with nothing changed, when pos + n > max_seq,
 * n < 1 or an id is outside the vocabulary. */
bn_status bn_decoder_feed(bn_decoder *d, const int *tokens, int n, bn_error *err);

/* The same, computing the logits of the last token only (a prompt's prefill). Its lm_head
 * is a one-row product, which OpenBLAS may sum in another order than the forward's over all
 * rows (a last-bit difference, README "Inference"): use feed where bits must match. */
bn_status bn_decoder_prefill(bn_decoder *d, const int *tokens, int n, bn_error *err);

/* One token: bn_decoder_prefill of 1. Returns its logits (V), or NULL on error. */
const float *bn_decoder_step(bn_decoder *d, int token, bn_error *err);

/* The logits (V) of row i of the last feed (0 <= i < its n; after a prefill only n - 1). */
const float *bn_decoder_logits(const bn_decoder *d, int i);

#endif
