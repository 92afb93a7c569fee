/* rng.h - a small deterministic random generator (xoshiro256** seeded by splitmix64).
 * Its whole state is four words, so checkpoints can store and restore it exactly. */
#ifndef BN_RNG_H
#define BN_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} bn_rng;

void bn_rng_seed(bn_rng *rng, uint64_t seed);
uint64_t bn_rng_next(bn_rng *rng);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t bn_rng_below(bn_rng *rng, uint64_t n);
/* Uniform float in [0, 1) with 24 random bits. */
float bn_rng_uniform(bn_rng *rng);
/* Standard normal (Box-Muller, one value per call). */
float bn_rng_normal(bn_rng *rng);

#endif
