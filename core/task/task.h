/* task.h - what differs between tasks, in one table of operations per task (README,
 * "Tasks"): config rules, tokenizer, training data, evaluation and how a typed prompt reads.
 * Everything else (trainer, commands, UI) asks the table and never switches on the task. */
#ifndef BN_TASK_H
#define BN_TASK_H

#include <stddef.h>

#include "base/error.h"
#include "io/config.h"
#include "model/model.h"
#include "task/report.h"
#include "task/source.h"
#include "tok/tokenizer.h"

/* A config rule a task's settings break: bn_config_validate turns it into its usual
 * "<origin>: [section] key = value: why" message. */
typedef struct {
    const char *section, *key;
    char why[256];
} bn_task_problem;

/* What the `eval` command asks beyond the config (0 / -1: the defaults). */
typedef struct {
    int problems;  /* arithmetic: held-out problems */
    int games;     /* tic-tac-toe: games per mode */
    int shots;     /* arithmetic: solved problems before the prompt; -1: the config's */
} bn_eval_options;

typedef struct {
    const char *name;  /* "arithmetic", "tictactoe", "text" */
    bn_task task;
    /* 0 if the task's settings are consistent, else 1 with the rule broken. */
    int (*validate)(const bn_config *cfg, bn_task_problem *out);
    bn_status (*open_tokenizer)(const bn_config *cfg, bn_tokenizer **out, bn_error *err);
    /* The training stream (its own seed, derived from the run's). */
    bn_status (*open_source)(const bn_config *cfg, const bn_tokenizer *tok,
                             bn_data_source **out, bn_error *err);
    /* The periodic evaluation of a training run: n problems or games (eval_problems). */
    bn_status (*evaluate)(bn_model *m, const bn_tokenizer *tok, const bn_config *cfg, int n,
                          bn_eval_report *out, bn_error *err);
    /* 1: evaluate also generates samples when the report says they are due (every
     * sample_interval), so the trainer evaluates at those steps too. */
    int generates_samples;
    /* 1: the chat pane continues a prompt by sampling (temperature, top-p, top-k, seed; model/
     * chat.h bn_chat_sample), as a story; 0: it completes it greedily to the end of an answer
     * (normalize_prompt, ends_answer; bn_chat_complete). */
    int chat_samples;
    /* The `eval` command's result (a new JSON object, without checkpoint and step). */
    bn_status (*evaluate_checkpoint)(bn_model *m, const bn_tokenizer *tok,
                                     const bn_config *cfg, const bn_eval_options *opt,
                                     json_t **out, bn_error *err);
    /* A typed prompt as the model saw such text in training. */
    void (*normalize_prompt)(const char *typed, char *out, size_t cap);
    /* Whether a completion stops before the piece `piece` (answer_chars: non-space
     * characters of the completion so far). NULL: only </s> stops. */
    int (*ends_answer)(const char *piece, int answer_chars);
} bn_task_ops;

/* The table of a task, and by name (NULL if unknown). */
const bn_task_ops *bn_task_find(bn_task task);
const bn_task_ops *bn_task_find_name(const char *name);

/* The task's tokenizer, source, ... or, for a task that has none, the refusal
 * "<origin>: not available: ..." (BN_ERR_INPUT). */
bn_status bn_task_open_tokenizer(const bn_config *cfg, bn_tokenizer **out, bn_error *err);
bn_status bn_task_open_source(const bn_config *cfg, const bn_tokenizer *tok,
                              bn_data_source **out, bn_error *err);

/* The typed prompt in the task's training form (copied when the task has no rule). */
void bn_task_prompt(const bn_task_ops *ops, const char *typed, char *out, size_t cap);

/* The rule of both character-vocabulary tasks: [model] vocab_size must be 32. */
int bn_task_char_vocab_rule(const bn_config *cfg, bn_task_problem *out);

/* The tables (task_arith.c, task_ttt.c, task_text.c). */
extern const bn_task_ops bn_task_arithmetic;
extern const bn_task_ops bn_task_tictactoe;
extern const bn_task_ops bn_task_text;

#endif
