/* eval_cmd.c - `eval CHECKPOINT`: one JSON line with the checkpoint's evaluation by its task
 * (held-out arithmetic accuracy, tic-tac-toe play, a text model's loss on its val split), or
 * its mean next-token loss and bits per byte on --data (a dataset, a shard or a text file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "experiments.h"
#include "io/sample_cache.h"
#include "io/infer_load.h"
#include "io/jsonio.h"
#include "task/eval_text.h"
#include "task/task.h"

#define EVAL_BATCH 64

/* Print one JSON line: {"checkpoint": ..., "step": ..., then the body's keys}. */
static bn_status print_record(const char *ckpt, long step, json_t *body, bn_error *err)
{
    json_t *rec = json_pack("{s:s, s:I}", "checkpoint", ckpt, "step", (json_int_t)step);
    bn_status s = BN_OK;
    if (!rec || json_object_update(rec, body) != 0)
        s = bn_fail(err, BN_ERR_NOMEM, "out of memory for the result");
    if (s == BN_OK)
        s = bn_jsonl_append(stdout, "standard output", rec, err);
    json_decref(rec);
    json_decref(body);
    return s;
}

/* tok: the checkpoint's (io/infer_load.h). */
static bn_status run_eval(const bn_cli *cli, const bn_config *cfg, bn_model *m,
                          const bn_tokenizer *tok, long step, bn_error *err)
{
    const bn_task_ops *task = bn_task_find(cfg->experiment.task);
    json_t *body = NULL;
    bn_status s = BN_OK;
    if (cli->data_file) {
        s = bn_eval_text_data(m, tok, cli->data_file, cfg->train.seq_len, &body, err);
    } else if (!task || !task->evaluate_checkpoint) {
        s = bn_fail(err, BN_ERR_INPUT, "%s: %s checkpoints have no evaluation of their own "
                    "(give --data)", cli->checkpoint, bn_task_name(cfg->experiment.task));
    } else {
        bn_eval_options opt = {.problems = cli->problems, .games = cli->games,
                               .shots = cli->shots};
        s = task->evaluate_checkpoint(m, tok, cfg, &opt, &body, err);
    }
    if (s == BN_OK)
        s = print_record(cli->checkpoint, step, body, err);
    return s;
}

/* Before the model is built: apply --set, choose the kernels and the threads, and the rows
 * the model holds: EVAL_BATCH for a text loss (batched forwards of whole rows), one for
 * arithmetic and tic-tac-toe, which answer on a KV-cache decoder over the weights and never
 * run the model's own forward (README, "Inference"): its activations for 64 rows would go
 * unused. The decoder's context follows the rows' length, not their count: the same JSON. */
static bn_status prepare_eval(void *ctx, bn_config *cfg, bn_infer_opts *opts, bn_error *err)
{
    const bn_cli *cli = ctx;
    bn_sample_outcome outcome;
    bn_status s = bn_cli_apply_sets(cli, cfg, err);
    /* A run on the shipped sample whose cache was removed since: prepared again. */
    if (s == BN_OK && cfg->experiment.task == BN_TASK_TEXT && !cli->data_file &&
        bn_text_sample_locate(&cfg->data.sample, err) == BN_OK)
        s = bn_sample_resolve(cfg, NULL, NULL, &outcome, err);
    if (s == BN_OK)
        s = bn_select_kernels(cli->kernel, &opts->kernels, err);
    opts->threads = bn_resolve_threads(cfg->train.threads);
    if (!cli->data_file && cfg->experiment.task != BN_TASK_TEXT)
        opts->max_batch = 1;
    return s;
}

int bn_cmd_eval(const bn_cli *cli)
{
    bn_error err = {0};
    bn_config cfg;
    bn_model m;
    long step = 0;
    memset(&m, 0, sizeof m);
    bn_tokenizer *tok = NULL;
    bn_infer_opts opts = {.max_batch = EVAL_BATCH, .threads = 1, .prepare = prepare_eval,
                          .ctx = (void *)cli, .tokenizer = &tok};
    bn_status s = bn_inference_load(cli->checkpoint, &opts, &m, &cfg, &step, &err);
    if (s == BN_OK)
        s = run_eval(cli, &cfg, &m, tok, step, &err);
    if (s != BN_OK)
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
    bn_tok_free(tok);
    bn_model_free(&m);
    return bn_exit_status(s);
}
