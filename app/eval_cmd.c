/* eval_cmd.c - `eval CHECKPOINT`: one JSON line with the checkpoint's held-out arithmetic
 * accuracy, or its mean next-token loss on a text file (--data). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "io/infer_load.h"
#include "task/data.h"
#include "task/eval.h"
#include "task/eval_ttt.h"
#include "io/json.h"

#define EVAL_BATCH 64
#define EVAL_DEFAULT_PROBLEMS 1000
#define EVAL_DEFAULT_GAMES 1000

static void print_arith_json(const char *ckpt, long step, int shots, const bn_arith_eval *ev)
{
    char esc[2 * BN_PATH_MAX];
    bn_json_escape(esc, sizeof esc, ckpt);
    printf("{\"checkpoint\": %s, \"step\": %ld, \"task\": \"arithmetic\", \"problems\": %d, "
           "\"correct\": %d, \"accuracy\": %.4f, \"per_op\": {",
           esc, step, ev->total, ev->correct, ev->total ? (double)ev->correct / ev->total : 0.0);
    int first = 1;
    for (int k = 0; k < 4; k++) {
        if (!ev->op_total[k])
            continue;
        printf("%s\"%c\": {\"accuracy\": %.4f, \"correct\": %d, \"total\": %d}",
               first ? "" : ", ", bn_eval_ops[k], (double)ev->op_correct[k] / ev->op_total[k],
               ev->op_correct[k], ev->op_total[k]);
        first = 0;
    }
    printf("}, \"shots\": %d, \"decoding\": \"greedy; %d solved training problems, then "
           "'a op b = '\"}\n",
           shots, shots);
}

static void print_text_json(const char *ckpt, long step, const char *data, int seq_len,
                            double loss, long predictions)
{
    char esc_c[2 * BN_PATH_MAX], esc_d[2 * BN_PATH_MAX];
    bn_json_escape(esc_c, sizeof esc_c, ckpt);
    bn_json_escape(esc_d, sizeof esc_d, data);
    printf("{\"checkpoint\": %s, \"step\": %ld, \"data\": %s, \"seq_len\": %d, "
           "\"rows\": %ld, \"predictions\": %ld, \"loss\": %.6f}\n",
           esc_c, step, esc_d, seq_len, predictions / (seq_len - 1), predictions, loss);
}

/* Tic-tac-toe: N games per mode against random and perfect play, one JSON line. */
static bn_status eval_tictactoe(const bn_cli *cli, bn_model *m, const bn_vocab *v, long step,
                                bn_error *err)
{
    bn_ttt_solver *solver = malloc(sizeof *solver);
    bn_ttt_eval *ev = malloc(sizeof *ev);
    char *json = malloc(8192);
    bn_status s = BN_OK;
    if (!solver || !ev || !json)
        s = bn_fail(err, BN_ERR_NOMEM, "out of memory for the evaluation");
    if (s == BN_OK) {
        bn_ttt_solver_init(solver);
        s = bn_eval_tictactoe(m, v, solver, cli->games ? cli->games : EVAL_DEFAULT_GAMES, ev, err);
    }
    if (s == BN_OK) {
        char esc[2 * BN_PATH_MAX];
        bn_json_escape(esc, sizeof esc, cli->checkpoint);
        bn_ttt_eval_json(ev, json, 8192);
        bn_ttt_position_eval pos;
        bn_eval_ttt_positions(m, v, solver, &pos);
        double n = pos.positions ? pos.positions : 1;
        printf("{\"checkpoint\": %s, \"step\": %ld, \"task\": \"tictactoe\", \"games\": %d, "
               "\"move\": \"most probable digit after the game text + ' | X:' (or O)\", "
               "\"eval\": %s, \"positions\": {\"total\": %d, \"legal_rate\": %.4f, "
               "\"optimal_rate\": %.4f, \"as_start_board\": {\"legal_rate\": %.4f, "
               "\"optimal_rate\": %.4f}}}\n",
               esc, step, 4 * ev->games_per_match, json, pos.positions,
               pos.history_legal / n, pos.history_optimal / n, pos.legal / n, pos.optimal / n);
    }
    free(solver), free(ev), free(json);
    return s;
}

static bn_status run_eval(const bn_cli *cli, const bn_config *cfg, bn_model *m, long step,
                          bn_error *err)
{
    bn_data data;
    bn_vocab *v = &data.vocab;
    memset(&data, 0, sizeof data);
    if (cfg->experiment.task == BN_TASK_ARITHMETIC)
        bn_vocab_arithmetic(v);
    else if (cfg->experiment.task == BN_TASK_TICTACTOE)
        bn_vocab_tictactoe(v);
    else
        return bn_fail(err, BN_ERR_INPUT, "%s: text checkpoints need the BPE tokenizer, which "
                                          "is not available yet", cli->checkpoint);
    if (cli->data_file) {
        double loss;
        long predictions;
        bn_status s = bn_eval_text_loss(m, v, cli->data_file, cfg->train.seq_len, &loss,
                                        &predictions, err);
        if (s == BN_OK)
            print_text_json(cli->checkpoint, step, cli->data_file, cfg->train.seq_len, loss,
                            predictions);
        return s;
    }
    if (cfg->experiment.task == BN_TASK_TICTACTOE)
        return eval_tictactoe(cli, m, v, step, err);
    if (cfg->experiment.task != BN_TASK_ARITHMETIC)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: accuracy eval is for arithmetic checkpoints; use --data FILE",
                       cli->checkpoint);
    bn_arith_spec spec;
    bn_arith_spec_from_config(&spec, cfg);
    bn_arith_eval ev;
    int n = cli->problems ? cli->problems : EVAL_DEFAULT_PROBLEMS;
    int shots = cli->shots >= 0 ? cli->shots : cfg->log.eval_shots;
    bn_status s = bn_eval_arithmetic(m, &spec, v, n, shots, &ev, err);
    if (s == BN_OK)
        print_arith_json(cli->checkpoint, step, shots, &ev);
    return s;
}

/* Before the model is built: apply --set, choose the kernels and the threads. */
static bn_status prepare_eval(void *ctx, bn_config *cfg, bn_infer_opts *opts, bn_error *err)
{
    const bn_cli *cli = ctx;
    bn_status s = bn_cli_apply_sets(cli, cfg, err);
    if (s == BN_OK)
        s = bn_select_kernels(cli->kernel, &opts->kernels, err);
    opts->threads = bn_resolve_threads(cfg->train.threads);
    return s;
}

int bn_cmd_eval(const bn_cli *cli)
{
    bn_error err = {0};
    bn_config cfg;
    bn_model m;
    long step = 0;
    bn_infer_opts opts = {.max_batch = EVAL_BATCH, .threads = 1, .prepare = prepare_eval,
                          .ctx = (void *)cli};
    bn_status s = bn_inference_load(cli->checkpoint, &opts, &m, &cfg, &step, &err);
    if (s == BN_OK)
        s = run_eval(cli, &cfg, &m, step, &err);
    if (s != BN_OK)
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
    bn_model_free(&m);
    return bn_exit_status(s);
}
