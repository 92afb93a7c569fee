/* data.h - the training data of an experiment, whatever its task: one interface for the
 * trainer (next batch, save/restore state) over the task-specific generators. */
#ifndef BN_DATA_H
#define BN_DATA_H

#include "config.h"
#include "data_arith.h"
#include "error.h"
#include "vocab.h"

typedef struct {
    bn_task task;
    bn_vocab vocab;
    bn_arith_spec arith;
    bn_arith_stream arith_stream;
} bn_data;

/* Set up the task's data. Tasks whose issue has not landed are refused with
 * "not available yet: ..." (BN_ERR_INPUT). */
bn_status bn_data_init(bn_data *data, const bn_config *cfg, bn_error *err);

/* rows x seq_len token ids, row-major, from the training stream. */
void bn_data_next_batch(bn_data *data, int *tokens, int rows, int seq_len);

/* The arithmetic spec of a config (for evaluation from a checkpoint). */
void bn_arith_spec_from_config(bn_arith_spec *spec, const bn_config *cfg);

#endif
