/* peak.h - the machine's arithmetic roofs: what each multiply-add unit the engine can use does
 * per second when nothing but it runs (README, "Performance").
 *
 * Each unit is timed on a loop of independent multiply-adds on registers (or AMX tiles) only,
 * on every thread of a pool at once, best of a few repeats. The result is an upper bound no
 * matrix product reaches, which makes "share of the peak" mean: how much of the hardware a
 * phase of training uses, and so how much headroom is left. */
#ifndef BN_PEAK_H
#define BN_PEAK_H

#include "base/threadpool.h"

typedef enum {
    BN_UNIT_FP32_FMA,   /* vfmadd231ps, 512-bit (or 256-bit with AVX2 only): fp32 FLOP/s */
    BN_UNIT_BF16_DOT,   /* vdpbf16ps, AVX512_BF16: bf16 pairs summed in fp32, FLOP/s */
    BN_UNIT_INT8_DOT,   /* vpdpbusd, AVX512_VNNI: u8 x s8 quads summed in int32, OP/s */
    BN_UNIT_AMX_BF16,   /* tdpbf16ps on AMX tiles, FLOP/s */
    BN_UNIT_AMX_INT8,   /* tdpbssd on AMX tiles, OP/s */
    BN_UNIT_COUNT
} bn_unit;

/* "fp32 FMA", "bf16 dot", "int8 dot", "AMX bf16", "AMX int8". */
const char *bn_unit_name(bn_unit unit);

/* 1 when this CPU (and, for AMX, the kernel) offers the unit. Asking about an AMX unit
 * requests the tile state for the process, as the AMX kernels do. */
int bn_unit_available(bn_unit unit);

/* The unit's throughput on all of the pool's threads together, in G(FL)OP/s counting a
 * multiply-add as 2; 0 when the unit is absent. Takes about 0.1 s per unit. */
double bn_unit_peak(bn_threadpool *pool, bn_unit unit);

#endif
