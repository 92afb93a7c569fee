/* attention.h - grouped-query causal self-attention over a packed qkv buffer.
 *
 * qkv is (B*T, (H + 2*KV) * hd), each row q heads | k heads | v heads; query head h reads
 * kv head h / (H / KV). Scores are scaled by 1/sqrt(hd) and masked to s <= t. */
#ifndef BN_ATTENTION_H
#define BN_ATTENTION_H

#include <stddef.h>

#include "base/threadpool.h"

typedef struct {
    int B, T, H, KV, hd;
} bn_attn_shape;

/* Work is split over (batch row, kv head) units: a unit owns its kv head's dk/dv and the dq
 * of the query heads that share it, so threads never write the same memory. */

/* Floats of scratch the forward and the backward need on `threads` threads: per thread, on
 * the register tiles a strip of query rows' probabilities and their gradient with the kv
 * head's keys and values packed (192 KiB at T = 256, head_dim 48; 326 KiB with the bf16
 * backward's operands where AVX512_BF16 is), on the sgemm path two T x T matrices (one
 * head's probabilities and their gradient at a time). */
size_t bn_attention_scratch(int threads, bn_attn_shape s);

/* out (B*T, H*hd). scratch: bn_attention_scratch(pool size, s) floats. Nothing of the
 * probabilities is kept: the backward computes each head's again (README, "Memory"). */
void bn_attention_forward(bn_threadpool *pool, float *out, float *scratch, const float *qkv,
                          bn_attn_shape s);

/* dout (B*T, H*hd) -> dqkv (B*T, (H+2*KV)*hd), overwritten, from qkv as the forward read
 * it: each head's probabilities are computed again, with the forward's bits, into the
 * scratch (bn_attention_scratch(pool size, s) floats). bf16 = 1: the four products after
 * the probabilities in bf16 where bn_attention_bf16_usable(s) (README, "Attention's
 * backward in bf16"); elsewhere, or with 0, in fp32. */
void bn_attention_backward(bn_threadpool *pool, float *dqkv, float *scratch, const float *dout,
                           const float *qkv, bn_attn_shape s, int bf16);

/* 1 when the backward can take its bf16 products here: the register tiles and AVX512_BF16. */
int bn_attention_bf16_usable(bn_attn_shape s);

/* The decoder's attention (README, "Inference"): n new queries at positions pos .. pos+n-1
 * over cached keys and values of positions 0 .. pos+n-1. q (n rows of ld_q floats) holds
 * the query heads at the start of each row; kc and vc hold rows of kv_ld floats, kv head j
 * at j * hd; out (n, H*hd). scores is scratch of (pool size) x
 * bn_attention_cached_scratch(n, pos, s) floats. s.B and s.T are not read. Each score and output is the product head_forward computes for the
 * same position, so the results are those of bn_attention_forward. */
void bn_attention_cached(bn_threadpool *pool, float *out, float *scores, const float *q,
                         int ld_q, const float *kc, const float *vc, int kv_ld, int n, int pos,
                         bn_attn_shape s);

/* Floats of scratch per thread that bn_attention_cached needs. */
size_t bn_attention_cached_scratch(int n, int pos, bn_attn_shape s);

#endif
