/* sources.h - the data sources of the synthetic tasks (README, "Data sources"), and the
 * generator specs their configs give. */
#ifndef BN_SOURCES_H
#define BN_SOURCES_H

#include <stdint.h>

#include "io/config.h"
#include "task/data_arith.h"
#include "task/data_ttt.h"
#include "task/source.h"
#include "tok/tokenizer.h"

/* The stream's seed from the run's: its own, so that changing the model init does not
 * change the data order and vice versa. */
#define BN_DATA_SEED(run_seed) ((run_seed) ^ 0x5eedda7aULL)

void bn_arith_spec_from_config(bn_arith_spec *spec, const bn_config *cfg);
void bn_ttt_spec_from_config(bn_ttt_spec *spec, const bn_config *cfg);

/* The sources keep tok (borrowed: it must outlive them). */
bn_status bn_arith_source_open(const bn_arith_spec *spec, const bn_tokenizer *tok,
                               uint64_t seed, bn_data_source **out, bn_error *err);
bn_status bn_ttt_source_open(const bn_ttt_spec *spec, const bn_tokenizer *tok, uint64_t seed,
                             bn_data_source **out, bn_error *err);

#endif
