/* work.h - the arithmetic of one training step, by the unit each product runs on, for the
 * bench's "share of the peak" (README, "Performance").
 *
 * Counts the matrix products only (a multiply-add is 2 operations), as the model runs them:
 * the BitLinear forward on the int8 unit of its kernel, the backward products in bf16 or fp32
 * (backward_precision), the attention's causal blocks in fp32 (its backward's in bf16 where
 * the bf16 backward takes them), the lm_head's logits and
 * d(final_n) in bf16 or fp32 (head_precision) and its weight gradient with the backward's
 * products. Elementwise passes are not counted: the share of a phase below 100% is what
 * they, the packing and the products' own inefficiency cost together. */
#ifndef BN_WORK_H
#define BN_WORK_H

#include "kernels/peak.h"
#include "model/model.h"

typedef struct {
    double ops[BN_UNIT_COUNT];
} bn_unit_work;

/* The forward (bn_model_forward_train, with the lm_head's fused backward) and the backward
 * (bn_model_backward) of a micro-batch of B x T tokens on m as it is set up now. */
void bn_model_step_work(const bn_model *m, int B, int T, bn_unit_work *forward,
                        bn_unit_work *backward);

/* Seconds the work takes at the given peaks (G(FL)OP/s per unit); work on a unit whose
 * peak is 0 (not measured) counts at the fp32 peak. */
double bn_unit_work_seconds(const bn_unit_work *w, const double peak_g[BN_UNIT_COUNT]);

#endif
