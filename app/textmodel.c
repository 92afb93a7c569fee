/* textmodel.c - load a text checkpoint for generate and chat (README, "Inference"). */
#include "textmodel.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "io/infer_load.h"

static bn_status sampling_from_cli(const bn_cli *cli, bn_sampling *s, bn_error *err)
{
    *s = bn_sampling_defaults();
    s->top_k = cli->top_k;
    bn_status st = BN_OK;
    if (cli->temperature)
        st = bn_parse_float("temperature", cli->temperature, &s->temperature, err);
    if (st == BN_OK && cli->top_p)
        st = bn_parse_float("top-p", cli->top_p, &s->top_p, err);
    return st == BN_OK ? bn_sampling_check(s, err) : st;
}

/* Before the model is built: refuse other tasks, apply --set, kernels and threads. The
 * model itself runs no forward (the decoder does), so it gets activations for 1 token. */
static bn_status prepare_text(void *ctx, bn_config *cfg, bn_infer_opts *opts, bn_error *err)
{
    const bn_cli *cli = ctx;
    if (cfg->experiment.task != BN_TASK_TEXT)
        return bn_fail(err, BN_ERR_INPUT, "%s: a %s checkpoint; generate and chat need a text "
                       "one", cli->checkpoint, bn_task_name(cfg->experiment.task));
    bn_status s = bn_cli_apply_sets(cli, cfg, err);
    if (s == BN_OK)
        s = bn_select_kernels(cli->kernel, &opts->kernels, err);
    opts->threads = cli->threads > 0 ? cli->threads : 1;
    opts->max_seq = 1;
    return s;
}

bn_status bn_textmodel_open(bn_textmodel *t, const bn_cli *cli, bn_error *err)
{
    memset(t, 0, sizeof *t);
    bn_sampling set;
    bn_status s = sampling_from_cli(cli, &set, err);
    t->seed = (unsigned long long)time(NULL);
    if (s == BN_OK && cli->seed)
        s = bn_parse_seed(cli->seed, &t->seed, err);
    t->max_tokens = cli->max_tokens > 0 ? cli->max_tokens : 256;
    bn_infer_opts opts = {.max_batch = 1, .threads = 1, .prepare = prepare_text,
                          .ctx = (void *)cli, .tokenizer = &t->tok};
    if (s == BN_OK)
        s = bn_inference_load(cli->checkpoint, &opts, &t->model, &t->cfg, NULL, err);
    if (s == BN_OK)
        s = bn_decoder_init(&t->dec, &t->model, t->cfg.model.max_seq_len, err);
    if (s == BN_OK)
        s = bn_sampler_init(&t->sampler, t->cfg.model.vocab_size, &set, t->seed, err);
    return s;
}

void bn_textmodel_close(bn_textmodel *t)
{
    bn_sampler_free(&t->sampler);
    bn_decoder_free(&t->dec);
    bn_tok_free(t->tok);
    bn_model_free(&t->model);
}
