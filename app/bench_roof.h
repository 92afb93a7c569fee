/* bench_roof.h - bench's arithmetic roofs: each unit's measured peak and the share of it
 * that the forward and backward phases reach (README, "Performance"). */
#ifndef BN_BENCH_ROOF_H
#define BN_BENCH_ROOF_H

#include <jansson.h>

#include "kernels/peak.h"
#include "model/model.h"

typedef struct {
    double peak[BN_UNIT_COUNT];   /* G(FL)OP/s on the model's threads; 0: not on this CPU */
    double ideal_forward_ms;      /* the forward's products at those peaks */
    double ideal_backward_ms;     /* the backward's */
    double forward_ops[BN_UNIT_COUNT], backward_ops[BN_UNIT_COUNT];
    double tokens;                /* B x T: what one step trains on */
} bench_roofs;

/* Measure the peaks on m's pool and the ideal times of a B x T step of m as set up. */
void bench_roofs_measure(const bn_model *m, int B, int T, bench_roofs *out);

/* Three lines: the peaks, each phase's share (ideal / measured time), and the ceiling: the
 * tokens/s of a step whose products all ran at their unit's peak and nothing else took
 * time (what this CPU allows for this split of the work over its units). */
void bench_roofs_print(const bench_roofs *r, double forward_ms, double backward_ms);

/* {"peaks": {unit: G/s, ...}, "forward_share": x, "backward_share": y, "ceiling_tok_s": z,
 * ...}; NULL when out of memory. */
json_t *bench_roofs_json(const bench_roofs *r, double forward_ms, double backward_ms);

#endif
