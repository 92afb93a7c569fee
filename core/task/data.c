/* data.c - dispatch from an experiment's task to its data generator. */
#include "task/data.h"

#include <string.h>

void bn_arith_spec_from_config(bn_arith_spec *spec, const bn_config *cfg)
{
    memset(spec, 0, sizeof *spec);
    spec->max_operand = cfg->data.max_operand;
    memcpy(spec->operators, cfg->data.operators, sizeof spec->operators);
    spec->holdout_percent = cfg->data.holdout_percent;
}

void bn_ttt_spec_from_config(bn_ttt_spec *spec, const bn_config *cfg)
{
    memset(spec, 0, sizeof *spec);
    spec->random_weight = cfg->data.random_weight;
    spec->minimax_weight = cfg->data.minimax_weight;
    spec->perfect_weight = cfg->data.perfect_weight;
    spec->minimax_epsilon = cfg->data.minimax_epsilon;
    spec->random_start_percent = cfg->data.random_start_percent;
}

void bn_data_stream_state(const bn_data *data, bn_arith_stream *out)
{
    if (data->task == BN_TASK_TICTACTOE) {
        memset(out, 0, sizeof *out);
        out->rng = data->ttt_stream.rng;
        return;
    }
    *out = data->arith_stream;
}

void bn_data_set_stream_state(bn_data *data, const bn_arith_stream *in)
{
    if (data->task == BN_TASK_TICTACTOE)
        data->ttt_stream.rng = in->rng;
    else
        data->arith_stream = *in;
}

bn_status bn_data_init(bn_data *data, const bn_config *cfg, bn_error *err)
{
    memset(data, 0, sizeof *data);
    data->task = cfg->experiment.task;
    switch (cfg->experiment.task) {
    case BN_TASK_ARITHMETIC:
        bn_vocab_arithmetic(&data->vocab);
        bn_arith_spec_from_config(&data->arith, cfg);
        /* The data stream has its own seed, derived from the run's, so that changing the
         * model init does not change the data order and vice versa. */
        bn_arith_stream_init(&data->arith_stream, cfg->train.seed ^ 0x5eedda7aULL);
        return BN_OK;
    case BN_TASK_TICTACTOE:
        bn_vocab_tictactoe(&data->vocab);
        bn_ttt_spec_from_config(&data->ttt, cfg);
        bn_ttt_solver_init(&data->solver);
        bn_ttt_stream_init(&data->ttt_stream, cfg->train.seed ^ 0x5eedda7aULL);
        return BN_OK;
    case BN_TASK_TEXT:
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not available yet: text experiments need the BPE tokenizer, which "
                       "lands with the TinyStories issue (the model section loads and validates)",
                       cfg->source_path[0] ? cfg->source_path : cfg->experiment.name);
    }
    return bn_fail(err, BN_ERR_INPUT, "unknown task");
}

void bn_data_next_batch(bn_data *data, int *tokens, int rows, int seq_len)
{
    /* Arithmetic and tic-tac-toe only: bn_data_init refuses text. */
    if (data->task == BN_TASK_TICTACTOE) {
        bn_ttt_stream_fill(&data->ttt, &data->solver, &data->vocab, &data->ttt_stream, tokens,
                           rows, seq_len);
        return;
    }
    bn_arith_stream_fill(&data->arith, &data->vocab, &data->arith_stream, tokens, rows, seq_len);
}
