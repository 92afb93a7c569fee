/* sources.h - the data sources of the tasks (README, "Data sources"), and the
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

/* The text task's stream (source_shard.c): rows of seq_len tokens of the train split of the
 * dataset at path (io/dataset.h, opened and validated against vocab_size), in a seeded
 * shuffled order that changes each epoch. tokenizer_hash identifies the tokenizer in the
 * saved state (a resume with another is refused). */
bn_status bn_shard_source_open(const char *path, int vocab_size, int seq_len, uint64_t seed,
                               const char *tokenizer_hash, bn_data_source **out,
                               bn_error *err);
/* Rows per epoch, and the epoch being served (0 first). Only for a shard source. */
long long bn_shard_source_rows(const bn_data_source *src);
long long bn_shard_source_epoch(const bn_data_source *src);

#endif
