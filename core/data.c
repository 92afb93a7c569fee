/* data.c - dispatch from an experiment's task to its data generator. */
#include "data.h"

#include <string.h>

void bn_arith_spec_from_config(bn_arith_spec *spec, const bn_config *cfg)
{
    memset(spec, 0, sizeof *spec);
    spec->max_operand = cfg->data.max_operand;
    memcpy(spec->operators, cfg->data.operators, sizeof spec->operators);
    spec->holdout_percent = cfg->data.holdout_percent;
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
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not available yet: the tic-tac-toe game data lands with its own "
                       "issue (the model section loads and validates)",
                       cfg->source_path[0] ? cfg->source_path : cfg->experiment.name);
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
    /* Only arithmetic reaches here: bn_data_init refuses the others. */
    bn_arith_stream_fill(&data->arith, &data->vocab, &data->arith_stream, tokens, rows, seq_len);
}
