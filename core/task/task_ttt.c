/* task_ttt.c - the tic-tac-toe task's operations (README, "Tasks"). */
#include "task/task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/jsonio.h"
#include "task/eval_ttt.h"
#include "task/sources.h"

#define EVAL_DEFAULT_GAMES 1000

void bn_ttt_spec_from_config(bn_ttt_spec *spec, const bn_config *cfg)
{
    memset(spec, 0, sizeof *spec);
    spec->random_weight = cfg->data.random_weight;
    spec->minimax_weight = cfg->data.minimax_weight;
    spec->perfect_weight = cfg->data.perfect_weight;
    spec->minimax_epsilon = cfg->data.minimax_epsilon;
    spec->random_start_percent = cfg->data.random_start_percent;
}

static int ttt_validate(const bn_config *cfg, bn_task_problem *out)
{
    if (bn_task_char_vocab_rule(cfg, out))
        return 1;
    const bn_data_config *dc = &cfg->data;
    if (dc->random_weight + dc->minimax_weight + dc->perfect_weight > 0)
        return 0;
    out->section = "data";
    out->key = "perfect_weight";
    snprintf(out->why, sizeof out->why,
             "random_weight + minimax_weight + perfect_weight must be above 0");
    return 1;
}

static bn_status ttt_tokenizer(const bn_config *cfg, bn_tokenizer **out, bn_error *err)
{
    (void)cfg;
    return bn_tok_char(out, "tictactoe", err);
}

static bn_status ttt_source(const bn_config *cfg, const bn_tokenizer *tok,
                            bn_data_source **out, bn_error *err)
{
    bn_ttt_spec spec;
    bn_ttt_spec_from_config(&spec, cfg);
    return bn_ttt_source_open(&spec, tok, BN_DATA_SEED(cfg->train.seed), out, err);
}

/* One example game: its text, what the model wrote after it, and the right Result. */
static json_t *example_json(const char *example, const char *result)
{
    char game[BN_TTT_TEXT_MAX], want[64];
    bn_ttt_game g;
    bn_ttt_parse(example, &g);
    bn_ttt_format(&g, 0, game, sizeof game);
    snprintf(want, sizeof want, " | Result: %s", bn_ttt_result_text(g.result));
    int ok = strncmp(result, want, strlen(want)) == 0;
    return json_pack("{s:s, s:s, s:s, s:b}", "prompt", game, "completion", result, "expected",
                     want, "correct", ok);
}

static json_t *samples_record(const bn_ttt_eval *ev)
{
    json_t *examples = json_array();
    for (int i = 0; i < ev->n_examples; i++)
        json_array_append_new(examples, example_json(ev->examples[i], ev->example_results[i]));
    return json_pack("{s:s, s:o, s:o}", "kind", "tictactoe_eval", "eval", bn_ttt_eval_json(ev),
                     "examples", examples);
}

static void fill_report(const bn_ttt_eval *ev, bn_eval_report *out)
{
    bn_report_metric(out, "eval_legal_rate", bn_ttt_legal_rate(ev), 0);
    bn_report_metric(out, "eval_not_lost_random_x", bn_ttt_not_lost(ev, 0, 0, 0), 0);
    bn_report_metric(out, "eval_not_lost_random_o", bn_ttt_not_lost(ev, 0, 0, 1), 0);
    bn_report_metric(out, "eval_draws_perfect_x", bn_ttt_draws(ev, 0, 1, 0), 0);
    bn_report_metric(out, "eval_draws_perfect_o", bn_ttt_draws(ev, 0, 1, 1), 0);
    bn_report_metric(out, "eval_result_rate", bn_ttt_result_rate(ev), 0);
    bn_report_metric(out, "eval_games", 4 * ev->games_per_match, 1);
    bn_ttt_eval_summary(ev, out->headline, sizeof out->headline);
    snprintf(out->value, sizeof out->value, "legal %.1f%%", 100 * bn_ttt_legal_rate(ev));
    snprintf(out->detail, sizeof out->detail, "random %.0f/%.0f%% perfect %.0f/%.0f%%",
             100 * bn_ttt_not_lost(ev, 0, 0, 0), 100 * bn_ttt_not_lost(ev, 0, 0, 1),
             100 * bn_ttt_draws(ev, 0, 1, 0), 100 * bn_ttt_draws(ev, 0, 1, 1));
    snprintf(out->summary, sizeof out->summary, "legal moves %.1f%%, %s",
             100 * bn_ttt_legal_rate(ev), out->detail);
    out->samples = samples_record(ev);
}

/* n games per mode against random and perfect play, into a new *ev; the solver (perfect
 * play) is kept in *solver for the caller (both freed by the caller, also on failure). */
static bn_status play_games(bn_model *m, const bn_tokenizer *tok, int n, bn_ttt_solver **solver,
                            bn_ttt_eval **ev, bn_error *err)
{
    *solver = malloc(sizeof **solver);
    *ev = malloc(sizeof **ev);
    if (!*solver || !*ev)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for the evaluation");
    bn_ttt_solver_init(*solver);
    return bn_eval_tictactoe(m, tok, *solver, n, *ev, err);
}

/* eval_problems games per mode, against random and perfect play. */
static bn_status ttt_evaluate(bn_model *m, const bn_tokenizer *tok, const bn_config *cfg,
                              int n, bn_eval_report *out, bn_error *err)
{
    (void)cfg;
    bn_ttt_solver *solver = NULL;
    bn_ttt_eval *ev = NULL;
    bn_status s = play_games(m, tok, n, &solver, &ev, err);
    if (s == BN_OK)
        fill_report(ev, out);
    free(solver), free(ev);
    return s;
}

static json_t *positions_json(const bn_ttt_position_eval *pos)
{
    double n = pos->positions ? pos->positions : 1;
    return json_pack("{s:i, s:o, s:o, s:{s:o, s:o}}", "total", pos->positions, "legal_rate",
                     bn_json_number(pos->history_legal / n), "optimal_rate",
                     bn_json_number(pos->history_optimal / n), "as_start_board", "legal_rate",
                     bn_json_number(pos->legal / n), "optimal_rate",
                     bn_json_number(pos->optimal / n));
}

/* N games per mode against random and perfect play, then every position once. */
static bn_status ttt_eval_checkpoint(bn_model *m, const bn_tokenizer *tok,
                                     const bn_config *cfg, const bn_eval_options *opt,
                                     json_t **out, bn_error *err)
{
    (void)cfg;
    bn_ttt_solver *solver = NULL;
    bn_ttt_eval *ev = NULL;
    bn_status s = play_games(m, tok, opt->games > 0 ? opt->games : EVAL_DEFAULT_GAMES,
                             &solver, &ev, err);
    bn_ttt_position_eval pos;
    if (s == BN_OK)
        s = bn_eval_ttt_positions(m, tok, solver, &pos, err);
    if (s == BN_OK) {
        *out = json_pack("{s:s, s:i, s:s, s:o, s:o}", "task", "tictactoe", "games",
                         4 * ev->games_per_match, "move",
                         "most probable digit after the game text + ' | X:' (or O)", "eval",
                         bn_ttt_eval_json(ev), "positions", positions_json(&pos));
        if (!*out)
            s = bn_fail(err, BN_ERR_NOMEM, "out of memory for the evaluation's record");
    }
    free(solver), free(ev);
    return s;
}

const bn_task_ops bn_task_tictactoe = {
    .name = "tictactoe",
    .task = BN_TASK_TICTACTOE,
    .validate = ttt_validate,
    .open_tokenizer = ttt_tokenizer,
    .open_source = ttt_source,
    .evaluate = ttt_evaluate,
    .evaluate_checkpoint = ttt_eval_checkpoint,
};
