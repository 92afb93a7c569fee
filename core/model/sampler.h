/* sampler.h - choosing the next token from logits (README, "Inference"): temperature, top-k,
 * top-p (nucleus), seeded, apart from the decoder. Temperature 0 is greedy (argmax). */
#ifndef BN_SAMPLER_H
#define BN_SAMPLER_H

#include <stdint.h>

#include "base/error.h"
#include "base/rng.h"

typedef struct {
    float temperature; /* >= 0; 0: argmax */
    float top_p;       /* (0, 1]; 1: no nucleus cut */
    int top_k;         /* >= 0; 0: no cut */
} bn_sampling;

/* The previous tool's defaults: temperature 0.9, top-p 0.95, no top-k. */
bn_sampling bn_sampling_defaults(void);

/* BN_ERR_INPUT with a one-line message naming the setting and what is allowed. */
bn_status bn_sampling_check(const bn_sampling *s, bn_error *err);

typedef struct {
    float prob;
    int id;
} bn_prob_index;

typedef struct {
    bn_sampling set;
    bn_rng rng;
    int vocab;
    float *probs;           /* (vocab) */
    bn_prob_index *cand;    /* (vocab) */
} bn_sampler;

/* Settings checked as bn_sampling_check; BN_ERR_NOMEM. */
bn_status bn_sampler_init(bn_sampler *s, int vocab, const bn_sampling *set, uint64_t seed,
                          bn_error *err);
void bn_sampler_free(bn_sampler *s);
void bn_sampler_seed(bn_sampler *s, uint64_t seed);

/* The next id for logits (vocab); the same seed and logits give the same draws. */
int bn_sampler_next(bn_sampler *s, const float *logits);

/* The candidates a draw chooses among: probs (n, summing to 1) sorted by probability (ties:
 * lower id first), cut to the top_k (0: all), then to the smallest prefix whose mass reaches
 * top_p. Writes them to out (room for n) and returns how many. */
int bn_sample_candidates(const float *probs, int n, float top_p, int top_k, bn_prob_index *out);

#endif
