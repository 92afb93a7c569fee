/* attention.h - grouped-query causal self-attention over a packed qkv buffer.
 *
 * qkv is (B*T, (H + 2*KV) * hd), each row q heads | k heads | v heads; query head h reads
 * kv head h / (H / KV). Scores are scaled by 1/sqrt(hd) and masked to s <= t. */
#ifndef BN_ATTENTION_H
#define BN_ATTENTION_H

typedef struct {
    int B, T, H, KV, hd;
} bn_attn_shape;

/* out (B*T, H*hd); att (B, H, T, T) receives the softmax probabilities (0 above the
 * diagonal) for the backward. */
void bn_attention_forward(float *out, float *att, const float *qkv, bn_attn_shape s);

/* dout (B*T, H*hd) -> dqkv (B*T, (H+2*KV)*hd), overwritten. datt_row is scratch (T). */
void bn_attention_backward(float *dqkv, float *datt_row, const float *dout, const float *qkv,
                           const float *att, bn_attn_shape s);

#endif
