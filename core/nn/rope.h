/* rope.h - rotary position embedding, split-halves convention.
 * A head vector [a | b] (halves of hd/2) at position t becomes
 * [a*cos - b*sin | a*sin + b*cos] with angle t * theta^(-2i/hd) for pair i. */
#ifndef BN_ROPE_H
#define BN_ROPE_H

#include "base/threadpool.h"

/* cos/sin tables (max_t, hd/2), computed in double once. */
void bn_rope_tables(float *cos_t, float *sin_t, int max_t, int hd, double theta);

/* Rotate q and k in place inside qkv (B*T, (H + 2*KV) * hd), rows ordered (b, t). */
void bn_rope_forward(bn_threadpool *pool, float *qkv, const float *cos_t, const float *sin_t,
                     int B, int T, int H, int KV, int hd);
/* The inverse rotation, applied to the gradient of q and k in dqkv. */
void bn_rope_backward(bn_threadpool *pool, float *dqkv, const float *cos_t,
                      const float *sin_t, int B, int T, int H, int KV, int hd);

#endif
