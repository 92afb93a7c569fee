/* ffn.h - the squared-ReLU gate: gu (N, 2F) = [gate | up] -> h = relu(gate)^2 * up. */
#ifndef BN_FFN_H
#define BN_FFN_H

#include "base/threadpool.h"

void bn_sqrelu_gate_forward(bn_threadpool *pool, float *h, const float *gu, int N, int F);
/* dh (N, F) -> dgu (N, 2F), overwritten. */
void bn_sqrelu_gate_backward(bn_threadpool *pool, float *dgu, const float *dh, const float *gu,
                             int N, int F);

#endif
