/* trainer.c - the training loop: batch, forward, backward, clip, AdamW; logging, evaluation,
 * checkpoints; pause/stop/save requests from other threads. */
#include "train/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/json.h"
#include "io/runs.h"

#define LOSS_EMA_DECAY 0.98

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *bn_run_state_name(bn_run_state s)
{
    static const char *const names[] = {"starting", "running",  "paused", "finished",
                                        "stopped",  "diverged", "failed"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

void bn_default_run_id(char *out, size_t cap, size_t num_params, const char *experiment,
                       long unix_time)
{
    double millions = (double)num_params / 1e6;
    if (millions >= 1.0)
        snprintf(out, cap, "bitnet_%.0fM_%s_%ld", millions, experiment, unix_time);
    else
        snprintf(out, cap, "bitnet_%.0fK_%s_%ld", (double)num_params / 1e3, experiment,
                 unix_time);
}

/* ---------------------------------------------------------------- snapshot and events */

static void publish(bn_trainer *t, void (*update)(bn_train_snapshot *, const void *),
                    const void *arg)
{
    pthread_mutex_lock(&t->lock);
    update(&t->snap, arg);
    pthread_mutex_unlock(&t->lock);
}

static void set_message(bn_train_snapshot *s, const void *text)
{
    snprintf(s->message, sizeof s->message, "%s", (const char *)text);
}

static void emit_event(bn_trainer *t, const char *text)
{
    publish(t, set_message, text);
    if (t->hooks.on_event)
        t->hooks.on_event(t->hooks.ctx, text);
}

static void set_state(bn_trainer *t, bn_run_state state)
{
    pthread_mutex_lock(&t->lock);
    t->snap.state = state;
    pthread_mutex_unlock(&t->lock);
}

void bn_trainer_snapshot(bn_trainer *t, bn_train_snapshot *out)
{
    pthread_mutex_lock(&t->lock);
    *out = t->snap;
    pthread_mutex_unlock(&t->lock);
}

void bn_trainer_command(bn_trainer *t, bn_train_cmd cmd)
{
    pthread_mutex_lock(&t->lock);
    switch (cmd) {
    case BN_CMD_PAUSE: t->pause_requested = 1; break;
    case BN_CMD_RESUME: t->pause_requested = 0; break;
    case BN_CMD_STOP: t->stop_requested = 1; break;
    case BN_CMD_SAVE: t->save_requested = 1; break;
    }
    pthread_cond_broadcast(&t->wake);
    pthread_mutex_unlock(&t->lock);
}

/* Post a request to the training thread and wake it if it waits in a pause. */
static long post_request(bn_trainer *t, const bn_request *req)
{
    pthread_mutex_lock(&t->lock);
    long id = bn_requests_post(&t->requests, req);
    if (id)
        pthread_cond_broadcast(&t->wake);
    pthread_mutex_unlock(&t->lock);
    return id;
}

long bn_trainer_generate(bn_trainer *t, const char *prompt, int max_new)
{
    bn_request req = bn_request_of(BN_REQ_GENERATE, prompt, max_new);
    return post_request(t, &req);
}

long bn_trainer_move(bn_trainer *t, const char *game_text)
{
    bn_request req = bn_request_of(BN_REQ_MOVE, game_text, 0);
    return post_request(t, &req);
}

/* ---------------------------------------------------------------- init */

static bn_status resume_from(bn_trainer *t, const char *run_dir, bn_error *err)
{
    char ckpt[BN_PATH_MAX + 64];
    bn_status s = bn_checkpoint_latest(run_dir, ckpt, sizeof ckpt, err);
    if (s != BN_OK)
        return s;
    bn_config saved;
    bn_st_file file;
    long step = 0;
    s = bn_checkpoint_open(ckpt, &saved, &file, &step, err);
    if (s != BN_OK)
        return s;
    s = bn_checkpoint_load_params(&t->model, &file, err);
    bn_st_free(&file);
    if (s == BN_OK)
        s = bn_checkpoint_load_training(ckpt, &t->model, &t->opt, &t->state, err);
    if (s == BN_OK && t->state.step >= t->cfg.train.num_steps)
        s = bn_fail(err, BN_ERR_INPUT,
                    "%s: already at step %ld of %ld (raise --num-steps to train further)", ckpt,
                    t->state.step, t->cfg.train.num_steps);
    if (s == BN_OK) {
        bn_data_set_stream_state(&t->data, &t->state.arith);
        snprintf(t->snap.last_checkpoint, sizeof t->snap.last_checkpoint, "%s", ckpt);
    }
    return s;
}

static bn_status fresh_start(bn_trainer *t)
{
    bn_rng rng;
    bn_rng_seed(&rng, t->cfg.train.seed);
    bn_model_init_weights(&t->model, &rng);
    memset(&t->state, 0, sizeof t->state);
    return BN_OK;
}

static bn_status open_run_dir(bn_trainer *t, const char *resume_dir, bn_error *err)
{
    if (resume_dir) {
        /* Reopen runs_dir/run_id as given by the resume path itself. */
        char parent[BN_PATH_MAX];
        snprintf(parent, sizeof parent, "%s", resume_dir);
        size_t n = strlen(parent);
        while (n > 1 && parent[n - 1] == '/')
            parent[--n] = '\0';
        char *slash = strrchr(parent, '/');
        snprintf(t->cfg.log.run_id, sizeof t->cfg.log.run_id, "%s", slash ? slash + 1 : parent);
        if (slash)
            *slash = '\0';
        else
            snprintf(parent, sizeof parent, ".");
        snprintf(t->cfg.log.runs_dir, sizeof t->cfg.log.runs_dir, "%s", parent);
    } else if (!t->cfg.log.run_id[0]) {
        bn_default_run_id(t->cfg.log.run_id, sizeof t->cfg.log.run_id, t->model.num_params,
                          t->cfg.experiment.name, (long)time(NULL));
    }
    free(t->config_ini);
    t->config_ini = bn_config_to_string(&t->cfg);
    if (!t->config_ini)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory");
    return bn_rundir_open(&t->run, t->cfg.log.runs_dir, t->cfg.log.run_id, t->config_ini,
                          resume_dir != NULL, err);
}

bn_status bn_trainer_init(bn_trainer *t, const bn_config *cfg, const char *resume_dir,
                          const bn_kernels *kernels, bn_trainer_hooks hooks, bn_error *err)
{
    memset(t, 0, sizeof *t);
    t->cfg = *cfg;
    t->hooks = hooks;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    bn_status s = bn_config_validate(cfg, err);
    if (s == BN_OK)
        s = bn_data_init(&t->data, cfg, err);
    if (s == BN_OK)
        s = bn_model_init(&t->model, &cfg->model, cfg->train.batch_size, cfg->train.seq_len,
                          kernels, cfg->train.threads, err);
    if (s == BN_OK)
        s = bn_model_set_backward_precision(&t->model, cfg->train.backward_precision, err);
    if (s == BN_OK)
        s = bn_adamw_init(&t->opt, t->model.num_params, cfg->train.beta1, cfg->train.beta2,
                          cfg->train.adam_eps, err);
    t->tokens = malloc(sizeof(int) * (size_t)cfg->train.batch_size * cfg->train.seq_len);
    if (s == BN_OK && !t->tokens)
        s = bn_fail(err, BN_ERR_NOMEM, "out of memory for the batch");
    if (s == BN_OK)
        s = resume_dir ? resume_from(t, resume_dir, err) : fresh_start(t);
    if (s == BN_OK)
        s = open_run_dir(t, resume_dir, err);
    if (s != BN_OK)
        return s;
    t->sched = (bn_schedule){.total_steps = cfg->train.num_steps,
                             .warmup_steps = cfg->train.warmup_steps,
                             .peak_lr = cfg->train.peak_lr,
                             .weight_decay = cfg->train.weight_decay};
    t->snap.state = BN_RUN_STARTING;
    t->snap.step = t->state.step;
    t->snap.total_steps = cfg->train.num_steps;
    t->snap.tokens_seen = t->state.tokens_seen;
    if (t->state.ema_weight > 0) /* resumed: show where the run was */
        t->snap.loss = t->snap.loss_ema = t->state.loss_ema / t->state.ema_weight;
    snprintf(t->snap.run_dir, sizeof t->snap.run_dir, "%s", t->run.dir);
    t->snap.threads = cfg->train.threads;
    snprintf(t->snap.kernel, sizeof t->snap.kernel, "%s",
             t->model.ex.kernels ? t->model.ex.kernels->name : "?");
    return BN_OK;
}

void bn_trainer_free(bn_trainer *t)
{
    bn_rundir_close(&t->run);
    bn_model_free(&t->model);
    bn_adamw_free(&t->opt);
    free(t->tokens);
    free(t->config_ini);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->wake);
    t->tokens = NULL;
    t->config_ini = NULL;
}

/* ---------------------------------------------------------------- logging */

static bn_status log_scalars(bn_trainer *t, const bn_train_snapshot *s, bn_error *err)
{
    char line[512];
    snprintf(line, sizeof line,
             "{\"step\": %ld, \"loss\": %.6g, \"loss_ema\": %.6g, \"lr\": %.6g, \"wd\": %.6g, "
             "\"grad_norm\": %.6g, \"step_time_ms\": %.3f, \"tokens_per_sec\": %.1f, "
             "\"tokens_seen\": %ld, \"elapsed_s\": %.2f}",
             s->step, s->loss, s->loss_ema, s->lr, s->wd, s->grad_norm, s->step_ms,
             s->tokens_per_sec, s->tokens_seen, s->elapsed_s);
    return bn_rundir_append(&t->run, t->run.scalars, line, err);
}

/* The samples.jsonl record and the scalars.jsonl eval keys of one evaluation. */
static bn_status log_eval(bn_trainer *t, long step, const bn_arith_eval *ev, bn_error *err)
{
    char line[4096], esc[3][96];
    int n = snprintf(line, sizeof line,
                     "{\"step\": %ld, \"kind\": \"arithmetic_eval\", \"problems\": %d, "
                     "\"shots\": %d, \"accuracy\": %.4f, \"per_op\": {",
                     step, ev->total, t->cfg.log.eval_shots,
                     ev->total ? (double)ev->correct / ev->total : 0.0);
    int first = 1;
    for (int k = 0; k < 4; k++) {
        if (!ev->op_total[k])
            continue;
        n += snprintf(line + n, sizeof line - (size_t)n, "%s\"%c\": %.4f", first ? "" : ", ",
                      bn_eval_ops[k], (double)ev->op_correct[k] / ev->op_total[k]);
        first = 0;
    }
    n += snprintf(line + n, sizeof line - (size_t)n, "}, \"examples\": [");
    for (int i = 0; i < ev->n_examples; i++) {
        const bn_arith_example *e = &ev->examples[i];
        bn_json_escape(esc[0], sizeof esc[0], e->prompt);
        bn_json_escape(esc[1], sizeof esc[1], e->completion);
        bn_json_escape(esc[2], sizeof esc[2], e->expected);
        n += snprintf(line + n, sizeof line - (size_t)n,
                      "%s{\"prompt\": %s, \"completion\": %s, \"expected\": %s, "
                      "\"correct\": %s}",
                      i ? ", " : "", esc[0], esc[1], esc[2], e->correct ? "true" : "false");
    }
    snprintf(line + n, sizeof line - (size_t)n, "]}");
    bn_status s = bn_rundir_append(&t->run, t->run.samples, line, err);
    if (s != BN_OK)
        return s;
    snprintf(line, sizeof line, "{\"step\": %ld, \"eval_accuracy\": %.4f, \"eval_problems\": %d}",
             step, ev->total ? (double)ev->correct / ev->total : 0.0, ev->total);
    return bn_rundir_append(&t->run, t->run.scalars, line, err);
}

static void set_eval(bn_train_snapshot *s, const void *arg)
{
    const double *v = arg; /* {accuracy, step} */
    s->have_eval = 1;
    s->eval_accuracy = v[0];
    s->eval_step = (long)v[1];
}

static void set_eval_text(bn_train_snapshot *s, const void *text)
{
    snprintf(s->eval_text, sizeof s->eval_text, "%s", (const char *)text);
}

/* samples.jsonl and scalars.jsonl records of a tic-tac-toe evaluation. */
static bn_status log_eval_ttt(bn_trainer *t, long step, const bn_ttt_eval *ev, bn_error *err)
{
    char line[8192], body[4096];
    bn_ttt_eval_json(ev, body, sizeof body);
    int n = snprintf(line, sizeof line, "{\"step\": %ld, \"kind\": \"tictactoe_eval\", \"eval\": %s, "
                     "\"examples\": [", step, body);
    for (int i = 0; i < ev->n_examples && n < (int)sizeof line; i++) {
        char game[BN_TTT_TEXT_MAX], esc[3][2 * BN_TTT_TEXT_MAX], want[64];
        bn_ttt_game g;
        bn_ttt_parse(ev->examples[i], &g);
        bn_ttt_format(&g, 0, game, sizeof game);
        snprintf(want, sizeof want, " | Result: %s", bn_ttt_result_text(g.result));
        bn_json_escape(esc[0], sizeof esc[0], game);
        bn_json_escape(esc[1], sizeof esc[1], ev->example_results[i]);
        bn_json_escape(esc[2], sizeof esc[2], want);
        int ok = strncmp(ev->example_results[i], want, strlen(want)) == 0;
        n += snprintf(line + n, sizeof line - (size_t)n,
                      "%s{\"prompt\": %s, \"completion\": %s, \"expected\": %s, "
                      "\"correct\": %s}", i ? ", " : "", esc[0], esc[1], esc[2],
                      ok ? "true" : "false");
    }
    if (n < (int)sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, "]}");
    bn_status s = bn_rundir_append(&t->run, t->run.samples, line, err);
    if (s != BN_OK)
        return s;
    snprintf(line, sizeof line,
             "{\"step\": %ld, \"eval_legal_rate\": %.4f, \"eval_not_lost_random_x\": %.4f, "
             "\"eval_not_lost_random_o\": %.4f, \"eval_draws_perfect_x\": %.4f, "
             "\"eval_draws_perfect_o\": %.4f, \"eval_result_rate\": %.4f, "
             "\"eval_games\": %d}",
             step, bn_ttt_legal_rate(ev), bn_ttt_not_lost(ev, 0, 0, 0),
             bn_ttt_not_lost(ev, 0, 0, 1), bn_ttt_draws(ev, 0, 1, 0), bn_ttt_draws(ev, 0, 1, 1),
             bn_ttt_result_rate(ev), 4 * ev->games_per_match);
    return bn_rundir_append(&t->run, t->run.scalars, line, err);
}

/* Tic-tac-toe play evaluation (eval_problems games per mode), logged and published. */
static bn_status evaluate_ttt(bn_trainer *t, int games, bn_error *err)
{
    bn_ttt_eval *ev = malloc(sizeof *ev);
    if (!ev)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for the evaluation");
    bn_status s = bn_eval_tictactoe(&t->model, &t->data.vocab, &t->data.solver, games, ev, err);
    if (s == BN_OK)
        s = log_eval_ttt(t, t->state.step, ev, err);
    if (s == BN_OK) {
        double v[2] = {bn_ttt_legal_rate(ev), (double)t->state.step};
        publish(t, set_eval, v);
        char text[64], line[512];
        snprintf(text, sizeof text, "random %.0f/%.0f%% perfect %.0f/%.0f%%",
                 100 * bn_ttt_not_lost(ev, 0, 0, 0), 100 * bn_ttt_not_lost(ev, 0, 0, 1),
                 100 * bn_ttt_draws(ev, 0, 1, 0), 100 * bn_ttt_draws(ev, 0, 1, 1));
        publish(t, set_eval_text, text);
        int n = snprintf(line, sizeof line, "eval step %ld: ", t->state.step);
        bn_ttt_eval_summary(ev, line + n, sizeof line - (size_t)n);
        emit_event(t, line);
    }
    free(ev);
    return s;
}

/* Held-out evaluation (arithmetic), logged and published. */
static bn_status evaluate(bn_trainer *t, int problems, bn_arith_eval *ev, bn_error *err)
{
    if (t->data.task == BN_TASK_TICTACTOE)
        return evaluate_ttt(t, problems, err);
    if (t->data.task != BN_TASK_ARITHMETIC)
        return BN_OK;
    bn_status s = bn_eval_arithmetic(&t->model, &t->data.arith, &t->data.vocab, problems,
                                     t->cfg.log.eval_shots, ev, err);
    if (s == BN_OK)
        s = log_eval(t, t->state.step, ev, err);
    if (s != BN_OK)
        return s;
    double v[2] = {ev->total ? (double)ev->correct / ev->total : 0.0, (double)t->state.step};
    publish(t, set_eval, v);
    char text[256];
    int n = snprintf(text, sizeof text, "eval step %ld: exact match %.1f%% of %d held-out",
                     t->state.step, 100.0 * v[0], ev->total);
    for (int k = 0; k < 4; k++)
        if (ev->op_total[k])
            n += snprintf(text + n, sizeof text - (size_t)n, " %c %.1f%%", bn_eval_ops[k],
                          100.0 * ev->op_correct[k] / ev->op_total[k]);
    emit_event(t, text);
    return BN_OK;
}

static void set_checkpoint(bn_train_snapshot *s, const void *path)
{
    snprintf(s->last_checkpoint, sizeof s->last_checkpoint, "%s", (const char *)path);
}

static bn_status save_checkpoint(bn_trainer *t, bn_error *err)
{
    char dir[BN_PATH_MAX + 64];
    bn_rundir_checkpoint_path(&t->run, t->state.step, dir, sizeof dir);
    bn_data_stream_state(&t->data, &t->state.arith);
    bn_status s = bn_checkpoint_save(dir, &t->model, &t->opt, &t->state, t->config_ini,
                                     t->cfg.experiment.name, err);
    if (s != BN_OK)
        return s;
    publish(t, set_checkpoint, dir);
    char text[BN_PATH_MAX + 96];
    snprintf(text, sizeof text, "checkpoint saved: %s", dir);
    emit_event(t, text);
    return BN_OK;
}

/* ---------------------------------------------------------------- the step */

typedef struct {
    double loss, grad_norm, lr, wd, step_ms;
} step_result;

/* "NaN", "+inf" or "-inf", for messages (printf spells NaN "-nan" on some values). */
static const char *non_finite_name(double v)
{
    return isnan(v) ? "NaN" : (v > 0 ? "+inf" : "-inf");
}

/* One optimizer step. Returns BN_ERR_DIVERGED (params untouched) on a non-finite loss or
 * gradient. */
static bn_status train_step(bn_trainer *t, step_result *r, bn_error *err)
{
    const bn_train_config *tc = &t->cfg.train;
    long step = t->state.step;
    double t0 = now_seconds();
    bn_data_next_batch(&t->data, t->tokens, tc->batch_size, tc->seq_len);
    r->loss = bn_model_forward(&t->model, t->tokens, tc->batch_size, tc->seq_len);
    if (!isfinite(r->loss))
        return bn_fail(err, BN_ERR_DIVERGED, "diverged at step %ld: loss is %s", step + 1,
                       non_finite_name(r->loss));
    bn_model_zero_grad(&t->model);
    bn_model_backward(&t->model, t->tokens);
    r->grad_norm = bn_grad_norm(t->model.pool, t->model.grads, t->model.num_params);
    if (!isfinite(r->grad_norm))
        return bn_fail(err, BN_ERR_DIVERGED, "diverged at step %ld: gradient norm is %s",
                       step + 1, non_finite_name(r->grad_norm));
    bn_clip_grads(t->model.pool, t->model.grads, t->model.num_params, r->grad_norm,
                  tc->grad_clip);
    r->lr = bn_schedule_lr(&t->sched, step);
    r->wd = bn_schedule_wd(&t->sched, step);
    bn_adamw_step(&t->opt, t->model.pool, t->model.params, t->model.grads, r->lr, r->wd);
    bn_model_params_changed(&t->model);
    t->state.step++;
    t->state.tokens_seen += (long)tc->batch_size * tc->seq_len;
    t->state.loss_ema = LOSS_EMA_DECAY * t->state.loss_ema + (1.0 - LOSS_EMA_DECAY) * r->loss;
    t->state.ema_weight = LOSS_EMA_DECAY * t->state.ema_weight + (1.0 - LOSS_EMA_DECAY);
    r->step_ms = (now_seconds() - t0) * 1e3;
    return BN_OK;
}

static void set_step(bn_train_snapshot *s, const void *arg)
{
    const bn_train_snapshot *fresh = arg;
    /* Keep the fields owned by other updates (eval, checkpoint, message). */
    int have_eval = s->have_eval;
    double acc = s->eval_accuracy;
    long eval_step = s->eval_step;
    char eval_text[sizeof s->eval_text];
    memcpy(eval_text, s->eval_text, sizeof eval_text);
    char ckpt[sizeof s->last_checkpoint], msg[sizeof s->message];
    memcpy(ckpt, s->last_checkpoint, sizeof ckpt);
    memcpy(msg, s->message, sizeof msg);
    *s = *fresh;
    s->have_eval = have_eval;
    s->eval_accuracy = acc;
    s->eval_step = eval_step;
    memcpy(s->eval_text, eval_text, sizeof eval_text);
    memcpy(s->last_checkpoint, ckpt, sizeof ckpt);
    memcpy(s->message, msg, sizeof msg);
}

/* Build the published view of the run after a step. */
static void fill_snapshot(bn_trainer *t, const step_result *r, bn_train_snapshot *s)
{
    bn_trainer_snapshot(t, s);
    double now = now_seconds();
    s->state = BN_RUN_RUNNING;
    s->step = t->state.step;
    s->loss = r->loss;
    s->loss_ema = t->state.ema_weight > 0 ? t->state.loss_ema / t->state.ema_weight : r->loss;
    s->lr = r->lr;
    s->wd = r->wd;
    s->grad_norm = r->grad_norm;
    s->stage = bn_schedule_stage(&t->sched, t->state.step - 1);
    s->step_ms = r->step_ms;
    s->tokens_seen = t->state.tokens_seen;
    s->elapsed_s = now - t->started_at;
    double per_step = t->steps_this_session ? s->elapsed_s / (double)t->steps_this_session : 0;
    s->eta_s = per_step * (double)(t->cfg.train.num_steps - t->state.step);
    double span = now - t->interval_started_at;
    if (span > 0 && t->interval_tokens > 0)
        s->tokens_per_sec = (double)t->interval_tokens / span;
    bn_model_ternary_shares(&t->model, s->ternary);
}

/* ---------------------------------------------------------------- requests */

typedef struct {
    bn_trainer *t;
    long id;
} gen_job;

static void gen_token(void *ctx, const char *completion)
{
    gen_job *job = ctx;
    if (job->t->hooks.on_generate)
        job->t->hooks.on_generate(job->t->hooks.ctx, job->id, completion, 0);
}

/* Complete a generate request with the current weights. */
static void serve_generate(bn_trainer *t, const bn_request *req)
{
    char prompt[BN_CHAT_TEXT_MAX], out[BN_CHAT_TEXT_MAX];
    gen_job job = {t, req->id};
    bn_error err = {0};
    bn_chat_prompt(t->data.task, req->text, prompt, sizeof prompt);
    bn_status s = bn_chat_complete(&t->model, &t->data.vocab, t->data.task, prompt,
                                   req->max_new, out, sizeof out, gen_token, &job, &err);
    if (t->hooks.on_generate)
        t->hooks.on_generate(t->hooks.ctx, req->id, s == BN_OK ? out : err.msg, 1);
}

/* Answer a move request with the current weights. */
static void serve_move(bn_trainer *t, const bn_request *req)
{
    bn_ttt_game g;
    const char *why = t->data.task == BN_TASK_TICTACTOE ? bn_ttt_parse(req->text, &g)
                                                          : "not a tic-tac-toe run";
    char b[BN_TTT_CELLS];
    if (!why) {
        bn_ttt_game_board(&g, b);
        why = bn_ttt_check_position(b);
    }
    bn_ttt_answer a;
    if (!why)
        bn_ttt_model_answer(&t->model, &t->data.vocab, &g, 1, &a);
    if (t->hooks.on_move)
        t->hooks.on_move(t->hooks.ctx, req->id, why ? NULL : &a, why);
}

/* Serve the waiting requests, at most one per kind so that training goes on. Called with
 * the lock held (as the pause wait holds it); releases it while the model runs. */
static void serve_requests_locked(bn_trainer *t)
{
    bn_request req;
    for (int i = 0; i < BN_REQ_KINDS && bn_requests_take(&t->requests, &req); i++) {
        pthread_mutex_unlock(&t->lock);
        if (req.kind == BN_REQ_GENERATE)
            serve_generate(t, &req);
        else
            serve_move(t, &req);
        pthread_mutex_lock(&t->lock);
        bn_requests_done(&t->requests, req.kind);
    }
}

static void serve_requests(bn_trainer *t)
{
    pthread_mutex_lock(&t->lock);
    serve_requests_locked(t);
    pthread_mutex_unlock(&t->lock);
}

/* Wait while paused (serving generate requests); returns with the lock released. */
static void wait_while_paused(bn_trainer *t)
{
    pthread_mutex_lock(&t->lock);
    if (t->pause_requested && !t->stop_requested) {
        bn_run_state before = t->snap.state;
        t->snap.state = BN_RUN_PAUSED;
        while (t->pause_requested && !t->stop_requested) {
            if (bn_requests_waiting(&t->requests))
                serve_requests_locked(t);
            else
                pthread_cond_wait(&t->wake, &t->lock);
        }
        t->snap.state = before;
        /* A pause must not count as training time in tokens/s. */
        t->interval_started_at = now_seconds();
        t->interval_tokens = 0;
    }
    pthread_mutex_unlock(&t->lock);
}

static int take_flag(bn_trainer *t, int *flag)
{
    pthread_mutex_lock(&t->lock);
    int v = *flag;
    *flag = 0;
    pthread_mutex_unlock(&t->lock);
    return v;
}

static int stop_pending(bn_trainer *t)
{
    pthread_mutex_lock(&t->lock);
    int v = t->stop_requested;
    pthread_mutex_unlock(&t->lock);
    return v;
}

/* Periodic work after a step: log, evaluate, checkpoint, honour save requests. */
static bn_status after_step(bn_trainer *t, const step_result *r, bn_error *err)
{
    const bn_log_config *lc = &t->cfg.log;
    long step = t->state.step;
    int last = step == t->cfg.train.num_steps;
    t->interval_tokens += (long)t->cfg.train.batch_size * t->cfg.train.seq_len;
    bn_status s = BN_OK;
    if (step % lc->log_interval == 0 || last) {
        bn_train_snapshot snap;
        fill_snapshot(t, r, &snap);
        publish(t, set_step, &snap);
        s = log_scalars(t, &snap, err);
        if (t->hooks.on_log)
            t->hooks.on_log(t->hooks.ctx, &snap);
        t->interval_started_at = now_seconds();
        t->interval_tokens = 0;
    }
    if (s == BN_OK && lc->sample_interval > 0 && step % lc->sample_interval == 0 && !last) {
        bn_arith_eval ev;
        s = evaluate(t, lc->eval_problems, &ev, err);
    }
    int periodic = lc->checkpoint_interval > 0 && step % lc->checkpoint_interval == 0;
    if (s == BN_OK && !last && (periodic || take_flag(t, &t->save_requested)))
        s = save_checkpoint(t, err);
    return s;
}

/* Persist the run's state in meta/state.json (for run lists); a failure is a warning. */
static void mark_run(bn_trainer *t, bn_run_state state)
{
    bn_error err = {0};
    if (bn_run_marker_write(t->run.dir, bn_run_state_name(state), t->state.step,
                            t->cfg.train.num_steps, &err) != BN_OK) {
        char text[sizeof err.msg + 16];
        snprintf(text, sizeof text, "warning: %s", err.msg);
        emit_event(t, text);
    }
}

/* Set the final state, published and on disk. */
static void end_run(bn_trainer *t, bn_run_state state)
{
    set_state(t, state);
    mark_run(t, state);
}

static bn_status finish(bn_trainer *t, bn_run_state final_state, bn_error *err)
{
    bn_status s = save_checkpoint(t, err);
    if (s == BN_OK && (t->data.task == BN_TASK_ARITHMETIC || t->data.task == BN_TASK_TICTACTOE)) {
        bn_arith_eval ev;
        s = evaluate(t, t->cfg.log.eval_problems, &ev, err);
    }
    end_run(t, s == BN_OK ? final_state : BN_RUN_FAILED);
    return s;
}

bn_status bn_trainer_run(bn_trainer *t, bn_error *err)
{
    t->started_at = t->interval_started_at = now_seconds();
    set_state(t, BN_RUN_RUNNING);
    mark_run(t, BN_RUN_RUNNING);
    while (t->state.step < t->cfg.train.num_steps) {
        serve_requests(t);
        wait_while_paused(t);
        if (stop_pending(t))
            return finish(t, BN_RUN_STOPPED, err);
        step_result r = {0};
        bn_status s = train_step(t, &r, err);
        if (s == BN_ERR_DIVERGED) {
            end_run(t, BN_RUN_DIVERGED);
            char text[1200];
            snprintf(text, sizeof text, "%s; nothing saved from this state, last good checkpoint: %s",
                     err->msg, t->snap.last_checkpoint[0] ? t->snap.last_checkpoint : "none");
            bn_fail(err, BN_ERR_DIVERGED, "%s", text);
            emit_event(t, text);
            return s;
        }
        t->steps_this_session++;
        if (s == BN_OK)
            s = after_step(t, &r, err);
        if (s != BN_OK) {
            end_run(t, BN_RUN_FAILED);
            return s;
        }
    }
    return finish(t, BN_RUN_FINISHED, err);
}
