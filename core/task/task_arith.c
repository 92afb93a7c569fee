/* task_arith.c - the arithmetic task's operations (README, "Tasks"). */
#include "task/task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/jsonio.h"
#include "task/eval.h"
#include "task/sources.h"

#define EVAL_DEFAULT_PROBLEMS 1000

void bn_arith_spec_from_config(bn_arith_spec *spec, const bn_config *cfg)
{
    memset(spec, 0, sizeof *spec);
    spec->max_operand = cfg->data.max_operand;
    memcpy(spec->operators, cfg->data.operators, sizeof spec->operators);
    spec->holdout_percent = cfg->data.holdout_percent;
}

int bn_task_char_vocab_rule(const bn_config *cfg, bn_task_problem *out)
{
    if (cfg->model.vocab_size == 32)
        return 0;
    out->section = "model";
    out->key = "vocab_size";
    snprintf(out->why, sizeof out->why, "must be 32 for task %s (its character vocabulary)",
             bn_task_name(cfg->experiment.task));
    return 1;
}

static bn_status arith_tokenizer(const bn_config *cfg, bn_tokenizer **out, bn_error *err)
{
    (void)cfg;
    return bn_tok_char(out, "arithmetic", err);
}

static bn_status arith_source(const bn_config *cfg, const bn_tokenizer *tok,
                              bn_data_source **out, bn_error *err)
{
    bn_arith_spec spec;
    bn_arith_spec_from_config(&spec, cfg);
    return bn_arith_source_open(&spec, tok, BN_DATA_SEED(cfg->train.seed), out, err);
}

static double share(int part, int whole)
{
    return whole ? (double)part / whole : 0.0;
}

/* The samples.jsonl record: accuracy, per operator, and the first examples. */
static json_t *samples_record(const bn_arith_eval *ev, int shots)
{
    json_t *per_op = json_object(), *examples = json_array();
    for (int k = 0; k < 4; k++)
        if (ev->op_total[k]) {
            char op[2] = {bn_eval_ops[k], 0};
            json_object_set_new(per_op, op, bn_json_number(share(ev->op_correct[k],
                                                                 ev->op_total[k])));
        }
    for (int i = 0; i < ev->n_examples; i++) {
        const bn_arith_example *e = &ev->examples[i];
        json_array_append_new(examples, json_pack("{s:s, s:s, s:s, s:b}", "prompt", e->prompt,
                                                  "completion", e->completion, "expected",
                                                  e->expected, "correct", e->correct));
    }
    return json_pack("{s:s, s:i, s:i, s:o, s:o, s:o}", "kind", "arithmetic_eval", "problems",
                     ev->total, "shots", shots, "accuracy",
                     bn_json_number(share(ev->correct, ev->total)), "per_op", per_op,
                     "examples", examples);
}

static void fill_report(const bn_arith_eval *ev, int shots, bn_eval_report *out)
{
    double acc = share(ev->correct, ev->total);
    bn_report_metric(out, "eval_accuracy", acc, 0);
    bn_report_metric(out, "eval_problems", ev->total, 1);
    int n = snprintf(out->headline, sizeof out->headline, "exact match %.1f%% of %d held-out",
                     100.0 * acc, ev->total);
    for (int k = 0; k < 4 && n < (int)sizeof out->headline; k++)
        if (ev->op_total[k])
            n += snprintf(out->headline + n, sizeof out->headline - (size_t)n, " %c %.1f%%",
                          bn_eval_ops[k], 100.0 * share(ev->op_correct[k], ev->op_total[k]));
    snprintf(out->value, sizeof out->value, "%.1f%%", 100.0 * acc);
    snprintf(out->summary, sizeof out->summary, "%.1f%% exact match on held-out problems",
             100.0 * acc);
    out->samples = samples_record(ev, shots);
}

static bn_status arith_evaluate(bn_model *m, const bn_tokenizer *tok, const bn_config *cfg,
                                int n, bn_eval_report *out, bn_error *err)
{
    bn_arith_spec spec;
    bn_arith_spec_from_config(&spec, cfg);
    bn_arith_eval *ev = malloc(sizeof *ev);
    if (!ev)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for the evaluation");
    bn_status s = bn_eval_arithmetic(m, &spec, tok, n, cfg->log.eval_shots, ev, err);
    if (s == BN_OK)
        fill_report(ev, cfg->log.eval_shots, out);
    free(ev);
    return s;
}

static json_t *checkpoint_record(const bn_arith_eval *ev, int shots)
{
    json_t *per_op = json_object();
    for (int k = 0; k < 4; k++)
        if (ev->op_total[k]) {
            char op[2] = {bn_eval_ops[k], 0};
            json_object_set_new(per_op, op,
                                json_pack("{s:o, s:i, s:i}", "accuracy",
                                          bn_json_number(share(ev->op_correct[k],
                                                               ev->op_total[k])),
                                          "correct", ev->op_correct[k], "total",
                                          ev->op_total[k]));
        }
    char decoding[96];
    snprintf(decoding, sizeof decoding, "greedy; %d solved training problems, then 'a op b = '",
             shots);
    return json_pack("{s:s, s:i, s:i, s:o, s:o, s:i, s:s}", "task", "arithmetic", "problems",
                     ev->total, "correct", ev->correct, "accuracy",
                     bn_json_number(share(ev->correct, ev->total)), "per_op", per_op, "shots",
                     shots, "decoding", decoding);
}

static bn_status arith_eval_checkpoint(bn_model *m, const bn_tokenizer *tok,
                                       const bn_config *cfg, const bn_eval_options *opt,
                                       json_t **out, bn_error *err)
{
    bn_arith_spec spec;
    bn_arith_spec_from_config(&spec, cfg);
    int n = opt->problems > 0 ? opt->problems : EVAL_DEFAULT_PROBLEMS;
    int shots = opt->shots >= 0 ? opt->shots : cfg->log.eval_shots;
    bn_arith_eval *ev = malloc(sizeof *ev);
    if (!ev)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for the evaluation");
    bn_status s = bn_eval_arithmetic(m, &spec, tok, n, shots, ev, err);
    if (s == BN_OK) {
        *out = checkpoint_record(ev, shots);
        if (!*out)
            s = bn_fail(err, BN_ERR_NOMEM, "out of memory for the evaluation's record");
    }
    free(ev);
    return s;
}

static int is_arith_symbol(char c)
{
    return c == '+' || c == '-' || c == '*' || c == '/' || c == '=';
}

/* Append c to out (keeping room for the terminator). */
static void put(char *out, size_t cap, size_t *n, char c)
{
    if (*n + 1 < cap)
        out[(*n)++] = c;
}

/* "12+34=" becomes "12 + 34 = ": one space around operators and '=', a trailing space
 * after '=' (the problems' training form). */
static void arith_prompt(const char *in, char *out, size_t cap)
{
    if (cap == 0)
        return;
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        if (*p == ' ')
            continue;
        /* A '-' right after an operator or at the start is a sign, not an operator. */
        int binary = is_arith_symbol(*p) && !(*p == '-' && (n == 0 || out[n - 1] == ' '));
        if (binary) {
            if (n > 0 && out[n - 1] != ' ')
                put(out, cap, &n, ' ');
            put(out, cap, &n, *p);
            put(out, cap, &n, ' ');
        } else {
            put(out, cap, &n, *p);
        }
    }
    out[n] = '\0';
}

/* The answer ends at the first space after it. */
static int arith_ends(const char *piece, int answer_chars)
{
    return piece[0] == ' ' && answer_chars > 0;
}

const bn_task_ops bn_task_arithmetic = {
    .name = "arithmetic",
    .task = BN_TASK_ARITHMETIC,
    .validate = bn_task_char_vocab_rule,
    .open_tokenizer = arith_tokenizer,
    .open_source = arith_source,
    .evaluate = arith_evaluate,
    .evaluate_checkpoint = arith_eval_checkpoint,
    .normalize_prompt = arith_prompt,
    .ends_answer = arith_ends,
};
