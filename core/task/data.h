/* data.h - the training data of an experiment, whatever its task: one interface for the
 * trainer (next batch, save/restore state) over the task-specific generators. */
#ifndef BN_DATA_H
#define BN_DATA_H

#include "io/config.h"
#include "task/data_arith.h"
#include "task/data_ttt.h"
#include "base/error.h"
#include "tok/vocab.h"

typedef struct {
    bn_task task;
    bn_vocab vocab;
    bn_arith_spec arith;
    bn_arith_stream arith_stream;
    bn_ttt_spec ttt;
    bn_ttt_stream ttt_stream;
    bn_ttt_solver solver; /* tictactoe: perfect play, for the players and the evaluation */
} bn_data;

/* Set up the task's data. Tasks whose issue has not landed are refused with
 * "not available yet: ..." (BN_ERR_INPUT). */
bn_status bn_data_init(bn_data *data, const bn_config *cfg, bn_error *err);

/* rows x seq_len token ids, row-major, from the training stream. */
void bn_data_next_batch(bn_data *data, int *tokens, int rows, int seq_len);

/* The data stream's position for a checkpoint, in the checkpoint's stream record (an RNG
 * and a pending tail; tic-tac-toe rows leave no tail, so only the RNG is used), and back. */
void bn_data_stream_state(const bn_data *data, bn_arith_stream *out);
void bn_data_set_stream_state(bn_data *data, const bn_arith_stream *in);

/* The tic-tac-toe generator spec of a config. */
void bn_ttt_spec_from_config(bn_ttt_spec *spec, const bn_config *cfg);

/* The arithmetic spec of a config (for evaluation from a checkpoint). */
void bn_arith_spec_from_config(bn_arith_spec *spec, const bn_config *cfg);

#endif
