/* trainer.c - the training loop around the step (step.c): logging, evaluation,
 * checkpoints; pause/stop/save requests from other threads; one rank of a job (sync.c). */
#include "train/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/jsonio.h"
#include "io/runs.h"
#include "io/sample_cache.h"
#include "tok/bpe.h"
#include "base/hugemem.h"
#include "train/trainer_impl.h"

double bn_tr_now(void)
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

static void warn(bn_trainer *t, const char *text)
{
    publish(t, set_message, text);
    if (t->hooks.on_warning)
        t->hooks.on_warning(t->hooks.ctx, text);
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

long bn_trainer_request(bn_trainer *t, const bn_request *req)
{
    return post_request(t, req);
}

long bn_trainer_move(bn_trainer *t, const char *game_text)
{
    bn_request req = bn_request_of(BN_REQ_MOVE, game_text, 0);
    return post_request(t, &req);
}

int bn_trainer_cancel(bn_trainer *t, long id)
{
    pthread_mutex_lock(&t->lock);
    int found = bn_requests_cancel(&t->requests, id);
    pthread_mutex_unlock(&t->lock);
    return found;
}

/* ---------------------------------------------------------------- init */

/* A checkpoint that carries a tokenizer (text) resumes only with that tokenizer: the one the
 * run opened (its dataset's, checked against the dataset's manifest) must hash the same.
 * *mismatch: the checkpoint is whole but this run's data is not its (not a damaged file). */
static bn_status check_resume_tokenizer(const bn_trainer *t, const char *ckpt,
                                        const bn_st_file *file, int *mismatch, bn_error *err)
{
    bn_tokenizer *carried = NULL;
    char want[BN_TOK_HASH_CAP], have[BN_TOK_HASH_CAP];
    bn_status s = bn_checkpoint_tokenizer(ckpt, file, &carried, err);
    if (s != BN_OK || !carried)
        return s;
    s = bn_tok_hash(carried, want, err);
    if (s == BN_OK)
        s = bn_tok_hash(t->tok, have, err);
    if (s == BN_OK && strcmp(want, have) != 0) {
        *mismatch = 1;
        s = bn_fail(err, BN_ERR_INPUT,
                    "%s: the checkpoint's tokenizer is %s, this run's dataset tokenizer (%s) "
                    "is %s", ckpt, want, bn_tok_name(t->tok), have);
    }
    bn_tok_free(carried);
    return s;
}

/* Load the checkpoint directory ckpt: weights, AdamW moments and step, trainer state, data
 * position. Each file is checked whole before anything is copied from it; a failure may
 * leave the weights or optimizer of this checkpoint loaded (the caller loads another one or
 * fails the run), never a half-copied tensor. *mismatch as in check_resume_tokenizer: the
 * run's tokenizer or data (every checkpoint of the run would fail alike). */
static bn_status load_checkpoint(bn_trainer *t, const char *ckpt, int *mismatch,
                                 bn_error *err)
{
    bn_config saved;
    bn_st_file file;
    long step = 0;
    bn_status s = bn_checkpoint_open(ckpt, &saved, &file, &step, err);
    if (s != BN_OK)
        return s;
    s = check_resume_tokenizer(t, ckpt, &file, mismatch, err);
    if (s == BN_OK)
        s = bn_checkpoint_load_params(&t->model, &file, err);
    bn_st_free(&file);
    if (s == BN_OK)
        s = bn_checkpoint_load_training(ckpt, &t->model, &t->opt, &t->state, err);
    if (s == BN_OK && t->state.step != step)
        s = bn_fail(err, BN_ERR_INPUT, "%s: trainer_state.json is at step %ld, "
                    "model.safetensors at step %ld (files of two checkpoints?)", ckpt,
                    t->state.step, step);
    if (s == BN_OK) {
        char what[BN_PATH_MAX + 96];
        snprintf(what, sizeof what, "%s/trainer_state.json: data", ckpt);
        s = bn_source_load_state(t->source, t->state.data, what, err);
        *mismatch = s != BN_OK;
    }
    return s;
}

/* Say that ckpt is skipped and why (its message, without the checkpoint's own path). */
static void warn_skipped(bn_trainer *t, const char *ckpt, const bn_error *why)
{
    char text[BN_PATH_MAX + sizeof why->msg + 32];
    size_t n = strlen(ckpt);
    const char *msg = why->msg;
    if (strncmp(msg, ckpt, n) == 0 && (msg[n] == '/' || msg[n] == ':'))
        msg += msg[n] == '/' ? n + 1 : n + 2;
    snprintf(text, sizeof text, "skipping %s: %s", ckpt, msg);
    warn(t, text);
}

/* Try the checkpoints of run_dir newest first (only step `pinned` when >= 0) until one
 * loads whole (README, "Resume"); each skipped one is told to on_warning. */
static bn_status load_newest_good(bn_trainer *t, const char *run_dir, long pinned,
                                  const bn_checkpoint_list *list, char *ckpt, bn_error *err)
{
    char tried[512] = "";
    size_t used = 0;
    int count = 0;
    for (size_t i = 0; i < list->n; i++) {
        if (pinned >= 0 && list->at[i].step != pinned)
            continue;
        bn_status s = bn_path_printf(ckpt, err, "%s/checkpoints/%s", run_dir, list->at[i].name);
        if (s != BN_OK)
            return s;
        bn_error why = {0};
        int mismatch = 0;
        s = load_checkpoint(t, ckpt, &mismatch, &why);
        if (s == BN_OK)
            return BN_OK;
        /* Out of memory or another dataset is not the checkpoint's fault (an older one would
         * fail alike); the only one tried fails as itself. */
        if (s == BN_ERR_NOMEM || mismatch || pinned >= 0 || (count == 0 && i + 1 == list->n))
            return bn_fail(err, s, "%s", why.msg);
        warn_skipped(t, ckpt, &why);
        count++;
        if (used < sizeof tried)
            used += (size_t)snprintf(tried + used, sizeof tried - used, "%s%s",
                                     used ? ", " : "", list->at[i].name);
    }
    if (count == 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: no checkpoints in %s/checkpoints", run_dir,
                       run_dir);
    return bn_fail(err, BN_ERR_INPUT, "%s: none of its %d checkpoint%s loads (%s; each "
                   "skipped above with why)", run_dir, count, count == 1 ? "" : "s", tried);
}

/* Resume from --resume's target: a run directory's newest checkpoint that loads, or the
 * checkpoint it names. */
static bn_status resume_from(bn_trainer *t, const char *target, bn_error *err)
{
    char run_dir[BN_PATH_MAX], ckpt[BN_PATH_MAX];
    long pinned = -1;
    bn_checkpoint_list list;
    bn_status s = bn_checkpoint_resume_target(target, run_dir, sizeof run_dir, &pinned, err);
    if (s == BN_OK)
        s = bn_checkpoint_list_run(run_dir, &list, err);
    if (s != BN_OK)
        return s;
    s = load_newest_good(t, run_dir, pinned, &list, ckpt, err);
    bn_checkpoint_list_free(&list);
    if (s == BN_OK && t->state.step >= t->cfg.train.num_steps)
        s = bn_fail(err, BN_ERR_INPUT,
                    "%s: already at step %ld of %ld (raise --num-steps to train further)", ckpt,
                    t->state.step, t->cfg.train.num_steps);
    if (s == BN_OK)
        snprintf(t->snap.last_checkpoint, sizeof t->snap.last_checkpoint, "%s", ckpt);
    return s;
}

static bn_status fresh_start(bn_trainer *t)
{
    bn_rng rng;
    bn_rng_seed(&rng, t->cfg.train.seed);
    bn_model_init_weights(&t->model, &rng);
    bn_train_state_clear(&t->state);
    memset(&t->state, 0, sizeof t->state);
    return BN_OK;
}

/* A resumed run, once its checkpoint loaded: the save directories a crash left go, and
 * what was logged after the checkpoint (one record per step). */
static bn_status tidy_resumed(bn_trainer *t, const char *dir, bn_error *err)
{
    int removed = 0;
    bn_status s = bn_checkpoint_remove_tmp(dir, &removed, err);
    if (s == BN_OK && removed) {
        char text[BN_PATH_MAX + 96];
        snprintf(text, sizeof text, "removed %d unfinished checkpoint%s (*.tmp) in "
                 "%s/checkpoints", removed, removed == 1 ? "" : "s", dir);
        warn(t, text);
    }
    return s == BN_OK ? bn_rundir_drop_after(dir, t->state.step, err) : s;
}

static bn_status open_run_dir(bn_trainer *t, const char *resume_target, bn_error *err)
{
    char resume_dir[BN_PATH_MAX];
    long pinned;
    if (resume_target && bn_checkpoint_resume_target(resume_target, resume_dir,
                                                     sizeof resume_dir, &pinned, err) != BN_OK)
        return BN_ERR_INPUT;
    if (resume_target) {
        /* Reopen runs_dir/run_id as given by the resume path itself. */
        char parent[BN_PATH_MAX];
        snprintf(parent, sizeof parent, "%s", resume_dir);
        size_t n = strlen(parent);
        while (n > 1 && parent[n - 1] == '/')
            parent[--n] = '\0';
        char *slash = strrchr(parent, '/');
        const char *id = slash ? slash + 1 : parent;
        if (strlen(id) >= sizeof t->cfg.log.run_id) /* never a cut name: another run's */
            return bn_fail(err, BN_ERR_INPUT, "--resume %s: a run id of at most %zu "
                           "characters", resume_target, sizeof t->cfg.log.run_id - 1);
        snprintf(t->cfg.log.run_id, sizeof t->cfg.log.run_id, "%s", id);
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
        return bn_fail(err, BN_ERR_NOMEM,
                       "out of memory allocating the run's configuration text");
    if (resume_target) {
        char dir[BN_PATH_MAX];
        bn_status s = bn_path_join(dir, t->cfg.log.runs_dir, t->cfg.log.run_id, err);
        if (s == BN_OK)
            s = tidy_resumed(t, dir, err);
        if (s != BN_OK)
            return s;
    }
    return bn_rundir_open(&t->run, t->cfg.log.runs_dir, t->cfg.log.run_id, t->config_ini,
                          resume_target != NULL, err);
}

/* What every rank builds for itself: tokenizer, data source, model, optimizer, the
 * micro-batch and (accumulating) the gradient sum. */
static bn_status build_local(bn_trainer *t, const bn_kernels *kernels, bn_error *err)
{
    const bn_train_config *tc = &t->cfg.train;
    bn_status s = bn_task_open_tokenizer(&t->cfg, &t->tok, err);
    if (s == BN_OK)
        s = bn_task_open_source(&t->cfg, t->tok, &t->source, err);
    if (s == BN_OK)
        s = bn_model_init(&t->model, &t->cfg.model, tc->batch_size, tc->seq_len, kernels,
                          tc->threads, err);
    if (s == BN_OK)
        s = bn_model_set_low_memory(&t->model, tc->low_memory, err);
    if (s == BN_OK)
        s = bn_model_set_backward_precision(&t->model, tc->backward_precision, err);
    if (s == BN_OK)
        s = bn_model_set_head_precision(&t->model, tc->head_precision, err);
    size_t lo = 0, hi = 0;
    if (s == BN_OK)
        s = bn_tr_shard_init(t, err);
    bn_tr_shard_slice(t, &lo, &hi);
    if (s == BN_OK)
        s = bn_adamw_init(&t->opt, hi - lo, tc->beta1, tc->beta2, tc->adam_eps, err);
    t->opt.lo = lo; /* ZeRO-1: this rank's slice (README, "Training on many machines") */
    t->tokens = malloc(sizeof(int) * (size_t)tc->batch_size * tc->seq_len);
    if (s == BN_OK && !t->tokens)
        s = bn_nomem(err, "the batch's tokens",
                     sizeof(int) * (size_t)tc->batch_size * tc->seq_len);
    if (s == BN_OK && tc->grad_accum_steps > 1 &&
        !(t->grad_sum = bn_huge_calloc(sizeof(float) * t->model.num_params)))
        s = bn_nomem(err, "the gradient sum", sizeof(float) * t->model.num_params);
    return s;
}

/* Weights, optimizer and data position: fresh, or (rank 0) the run's latest checkpoint,
 * then sent to the others; rank 0 opens the run directory. Every rank makes the same
 * collective calls whatever fails. */
static bn_status start_state(bn_trainer *t, bn_status s, int resuming, const char *resume_dir,
                             bn_error *err)
{
    if (s == BN_OK && t->dist.rank == 0 && resuming)
        s = resume_from(t, resume_dir, err);
    else if (s == BN_OK)
        s = fresh_start(t); /* the same seed: the same weights on every rank */
    if (s == BN_OK && t->dist.rank == 0)
        s = open_run_dir(t, resuming ? resume_dir : NULL, err);
    s = bn_tr_agree(&t->dist, s, err);
    if (s == BN_OK && resuming)
        s = bn_tr_share_resume(t, err);
    if (s == BN_OK)
        s = bn_tr_share_run_dir(t, err);
    t->saved_step = resuming ? t->state.step : -1; /* a resumed run's step is saved */
    return s;
}

/* The schedule and the snapshot of a run about to start. */
static void set_start(bn_trainer *t)
{
    const bn_train_config *tc = &t->cfg.train;
    t->sched = (bn_schedule){.total_steps = tc->num_steps,
                             .warmup_steps = tc->warmup_steps,
                             .peak_lr = tc->peak_lr,
                             .weight_decay = tc->weight_decay};
    t->snap.state = BN_RUN_STARTING;
    t->snap.stats.step = t->state.step;
    t->snap.stats.total_steps = tc->num_steps;
    t->snap.stats.tokens_seen = t->state.tokens_seen;
    if (t->state.ema_weight > 0) /* resumed: show where the run was */
        t->snap.stats.loss = t->snap.stats.loss_ema = t->state.loss_ema / t->state.ema_weight;
    snprintf(t->snap.run_dir, sizeof t->snap.run_dir, "%s", t->run.dir);
    t->snap.threads = tc->threads;
    snprintf(t->snap.kernel, sizeof t->snap.kernel, "%s",
             t->model.ex.kernels ? t->model.ex.kernels->name : "?");
}

static bn_status check_dist(const bn_dist *d, bn_error *err)
{
    if (d->size < 1 || d->rank < 0 || d->rank >= d->size || (d->size > 1 && !d->ops))
        return bn_fail(err, BN_ERR_INPUT, "data-parallel job: rank %d of %d processes%s",
                       d->rank, d->size, d->size > 1 && !d->ops ? " without operations" : "");
    return BN_OK;
}

bn_status bn_trainer_init_dist(bn_trainer *t, const bn_config *cfg, const char *resume_dir,
                               const bn_kernels *kernels, bn_trainer_hooks hooks,
                               const bn_dist *dist, bn_error *err)
{
    memset(t, 0, sizeof *t);
    t->cfg = *cfg;
    t->hooks = hooks;
    t->dist = dist ? *dist : (bn_dist){.rank = 0, .size = 1};
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    int resuming = resume_dir != NULL;
    bn_status s = check_dist(&t->dist, err);
    if (s == BN_OK)
        s = bn_tr_share_config(t, &resuming, err);
    if (s != BN_OK)
        return s;
    t->task = bn_task_find(t->cfg.experiment.task);
    s = bn_config_validate(&t->cfg, err);
    if (s == BN_OK) /* the shipped sample for an empty [data] path: t->cfg gets its dir */
        s = bn_sample_resolve(&t->cfg, hooks.on_prepare, hooks.ctx, &t->sample, err);
    if (s == BN_OK)
        s = build_local(t, kernels, err);
    s = bn_tr_agree(&t->dist, s, err);
    s = start_state(t, s, resuming, resume_dir, err);
    if (s == BN_OK)
        set_start(t);
    return s;
}

bn_status bn_trainer_init(bn_trainer *t, const bn_config *cfg, const char *resume_dir,
                          const bn_kernels *kernels, bn_trainer_hooks hooks, bn_error *err)
{
    return bn_trainer_init_dist(t, cfg, resume_dir, kernels, hooks, NULL, err);
}

void bn_trainer_free(bn_trainer *t)
{
    bn_rundir_close(&t->run);
    bn_model_free(&t->model);
    bn_adamw_free(&t->opt);
    bn_source_close(t->source);
    bn_tok_free(t->tok);
    bn_train_state_clear(&t->state);
    t->source = NULL;
    t->tok = NULL;
    free(t->tokens);
    bn_huge_free(t->grad_sum);
    free(t->bounds);
    free(t->chunk);
    free(t->next);
    t->bounds = t->next = NULL;
    t->chunk = NULL;
    free(t->config_ini);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->wake);
    t->tokens = NULL;
    t->grad_sum = NULL;
    t->config_ini = NULL;
}

/* ---------------------------------------------------------------- logging */

/* Append a record to run.scalars or run.samples. A write failure (a full disk) does not end
 * the run, whose checkpoints are what matters: it is reported once per file through
 * on_warning, and later records of that file are lost (README, "Runs on disk"). */
static bn_status append_record(bn_trainer *t, FILE *f, const json_t *rec, bn_error *err)
{
    bn_error why = {0};
    bn_status s = bn_rundir_append_record(&t->run, f, rec, &why);
    if (s == BN_OK || s == BN_ERR_NOMEM)
        return s == BN_OK ? BN_OK : bn_fail(err, s, "%s", why.msg);
    clearerr(f); /* the next record is tried again: a freed disk takes it */
    int *failed = f == t->run.scalars ? &t->run.scalars_failed : &t->run.samples_failed;
    if (!*failed) {
        char text[sizeof why.msg + 96];
        snprintf(text, sizeof text, "warning: %s (training goes on; further records of this "
                 "file may be lost and are not reported again)", why.msg);
        warn(t, text);
    }
    *failed = 1;
    return BN_OK;
}

static bn_status log_scalars(bn_trainer *t, const bn_step_stats *s, bn_error *err)
{
    json_t *rec = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o}", "step",
                            (json_int_t)s->step, "loss", bn_json_number(s->loss), "loss_ema",
                            bn_json_number(s->loss_ema), "lr", bn_json_number(s->lr), "wd",
                            bn_json_number(s->wd), "grad_norm", bn_json_number(s->grad_norm),
                            "step_time_ms", bn_json_number(s->step_ms), "tokens_per_sec",
                            bn_json_number(s->tokens_per_sec), "tokens_seen",
                            (json_int_t)s->tokens_seen, "elapsed_s",
                            bn_json_number(s->elapsed_s));
    if (!rec)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for a scalars.jsonl record");
    bn_status st = append_record(t, t->run.scalars, rec, err);
    json_decref(rec);
    return st;
}

/* The evaluation's samples.jsonl record ({"step": N, ...the task's}) and scalars.jsonl
 * record ({"step": N, "eval_...": ...}). */
static bn_status log_eval(bn_trainer *t, long step, const bn_eval_report *r, bn_error *err)
{
    bn_status s = BN_OK;
    if (r->samples) {
        json_t *rec = json_pack("{s:I}", "step", (json_int_t)step);
        if (!rec || json_object_update(rec, r->samples) != 0)
            s = bn_fail(err, BN_ERR_NOMEM, "out of memory for a samples.jsonl record");
        if (s == BN_OK)
            s = append_record(t, t->run.samples, rec, err);
        json_decref(rec);
    }
    if (r->n_metrics == 0) /* nothing measured (a text dataset with no val split) */
        return s;
    json_t *sc = json_pack("{s:I}", "step", (json_int_t)step);
    for (int i = 0; sc && i < r->n_metrics; i++) {
        const bn_metric *m = &r->metrics[i];
        json_object_set_new(sc, m->key, m->count ? json_integer((json_int_t)m->value)
                                                 : bn_json_number(m->value));
    }
    if (s == BN_OK && !sc)
        s = bn_fail(err, BN_ERR_NOMEM, "out of memory for a scalars.jsonl record");
    if (s == BN_OK)
        s = append_record(t, t->run.scalars, sc, err);
    json_decref(sc);
    return s;
}

typedef struct {
    long step;
    const bn_eval_report *report;
} eval_update;

static void set_eval(bn_train_snapshot *s, const void *arg)
{
    const eval_update *u = arg;
    bn_eval_summary *e = &s->eval;
    e->have = 1;
    e->step = u->step;
    e->n_metrics = u->report->n_metrics;
    memcpy(e->metrics, u->report->metrics, sizeof e->metrics);
    snprintf(e->value, sizeof e->value, "%s", u->report->value);
    snprintf(e->detail, sizeof e->detail, "%s", u->report->detail);
    snprintf(e->summary, sizeof e->summary, "%s", u->report->summary);
    snprintf(e->headline, sizeof e->headline, "%s", u->report->headline);
    snprintf(s->message, sizeof s->message, "eval step %ld: %s", u->step, u->report->headline);
}

/* The task's evaluation (n problems or games; with samples when they are due), logged and
 * published. */
static bn_status evaluate(bn_trainer *t, int n, int samples_due, bn_error *err)
{
    if (!t->task || !t->task->evaluate)
        return BN_OK;
    bn_eval_report report;
    memset(&report, 0, sizeof report);
    report.samples_due = samples_due;
    bn_status s = t->task->evaluate(&t->model, t->tok, &t->cfg, n, &report, err);
    if (s == BN_OK)
        s = log_eval(t, t->state.step, &report, err);
    if (s == BN_OK) {
        eval_update u = {t->state.step, &report};
        publish(t, set_eval, &u);
        if (t->hooks.on_eval)
            t->hooks.on_eval(t->hooks.ctx, t->state.step, &report);
    }
    bn_report_clear(&report);
    return s;
}

static void set_checkpoint(bn_train_snapshot *s, const void *path)
{
    snprintf(s->last_checkpoint, sizeof s->last_checkpoint, "%s", (const char *)path);
    snprintf(s->message, sizeof s->message, "checkpoint saved: %s", (const char *)path);
}

/* Older checkpoints beyond keep_checkpoints go once a new one is complete; a failure to
 * delete is a warning (README, "Runs on disk"). */
static void prune_checkpoints(bn_trainer *t)
{
    bn_error err = {0};
    if (bn_checkpoint_prune(t->run.dir, t->state.step, t->cfg.log.keep_checkpoints,
                            t->cfg.log.keep_every, &err) != BN_OK) {
        char text[sizeof err.msg + 48];
        snprintf(text, sizeof text, "warning: keep_checkpoints: %s", err.msg);
        warn(t, text);
    }
}

/* Rank 0's checkpoint of the current step; the moments from src (a sharded run) or its own
 * optimizer (src NULL). */
static bn_status write_checkpoint(bn_trainer *t, const bn_moment_source *src, bn_error *err)
{
    char dir[BN_PATH_MAX];
    bn_status s = bn_rundir_checkpoint_path(&t->run, t->state.step, dir, err);
    if (s != BN_OK)
        return s;
    bn_train_state_clear(&t->state);
    t->state.data = bn_source_save_state(t->source);
    if (!t->state.data)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory for the data position", dir);
    s = bn_checkpoint_save_from(dir, &t->model, &t->opt, src, &t->state, t->config_ini,
                                t->cfg.experiment.name, t->tok, err);
    if (s != BN_OK)
        return s;
    prune_checkpoints(t);
    publish(t, set_checkpoint, dir);
    if (t->hooks.on_checkpoint)
        t->hooks.on_checkpoint(t->hooks.ctx, t->state.step, dir);
    return BN_OK;
}

/* A checkpoint: rank 0's alone, or (sharded) with every rank sending its moments; prior
 * is rank 0's earlier failure in this step, which skips the writing but not the others'
 * sends (they must not wait). */
static bn_status save_checkpoint(bn_trainer *t, bn_status prior, bn_error *err)
{
    if (bn_tr_sharded(t))
        return bn_tr_save_sharded(t, write_checkpoint, prior, err);
    return prior == BN_OK ? write_checkpoint(t, NULL, err) : prior;
}

/* ---------------------------------------------------------------- after a step */

static void set_step(bn_train_snapshot *s, const void *arg)
{
    s->state = BN_RUN_RUNNING;
    s->stats = *(const bn_step_stats *)arg;
}

/* Build the published view of the run after a step. */
static void fill_stats(bn_trainer *t, const bn_step_result *r, bn_step_stats *s)
{
    double now = bn_tr_now();
    memset(s, 0, sizeof *s);
    s->step = t->state.step;
    s->total_steps = t->cfg.train.num_steps;
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
    int stopped; /* cancelled by its asker (bn_trainer_cancel) */
} gen_job;

/* The completion so far to the hook; stop once the asker cancelled the request. */
static int gen_token(void *ctx, const char *completion)
{
    gen_job *job = ctx;
    if (completion && job->t->hooks.on_generate)
        job->t->hooks.on_generate(job->t->hooks.ctx, job->id, completion, 0);
    pthread_mutex_lock(&job->t->lock);
    job->stopped = bn_requests_cancelled(&job->t->requests, BN_REQ_GENERATE);
    pthread_mutex_unlock(&job->t->lock);
    return job->stopped;
}

/* Complete a generate request with the current weights: greedily to the end of an answer,
 * or (a task whose chat samples) a story continued with the request's sampling settings. */
static void serve_generate(bn_trainer *t, const bn_request *req)
{
    char prompt[BN_CHAT_TEXT_MAX], out[BN_CHAT_ANSWER_MAX];
    gen_job job = {t, req->id, 0};
    bn_error err = {0};
    bn_task_prompt(t->task, req->text, prompt, sizeof prompt);
    bn_status s = BN_OK;
    out[0] = '\0';
    if (!gen_token(&job, NULL)) /* not cancelled while it waited */
        s = t->task->chat_samples
            ? bn_chat_sample(&t->model, t->tok, prompt, &req->sampling, req->seed,
                             req->max_new, out, sizeof out, gen_token, &job, &err)
            : bn_chat_complete(&t->model, t->tok, t->task->ends_answer, prompt, req->max_new,
                               out, sizeof out, gen_token, &job, &err);
    if (t->hooks.on_generate)
        t->hooks.on_generate(t->hooks.ctx, req->id, s == BN_OK ? out : err.msg,
                             s == BN_OK && job.stopped ? BN_GEN_STOPPED : 1);
}

/* Answer a move request with the current weights. */
static void serve_move(bn_trainer *t, const bn_request *req)
{
    bn_ttt_game g;
    const char *why = t->task == &bn_task_tictactoe ? bn_ttt_parse(req->text, &g)
                                                     : "not a tic-tac-toe run";
    char b[BN_TTT_CELLS];
    if (!why) {
        bn_ttt_game_board(&g, b);
        why = bn_ttt_check_position(b);
    }
    bn_ttt_answer a;
    bn_error err = {0};
    if (!why && bn_ttt_model_answer(&t->model, t->tok, &g, 1, &a, &err) != BN_OK)
        why = err.msg;
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
        t->interval_started_at = bn_tr_now();
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

int bn_tr_stop_pending(bn_trainer *t)
{
    pthread_mutex_lock(&t->lock);
    int v = t->stop_requested;
    pthread_mutex_unlock(&t->lock);
    return v;
}

/* Periodic work after a step: log, evaluate, checkpoint, honour save requests. */
/* Log a due step: published on every rank, written and told to on_log on rank 0. */
static bn_status log_step(bn_trainer *t, const bn_step_result *r, bn_error *err)
{
    bn_step_stats stats;
    fill_stats(t, r, &stats);
    publish(t, set_step, &stats);
    bn_status s = BN_OK;
    if (t->dist.rank == 0)
        s = log_scalars(t, &stats, err);
    if (t->dist.rank == 0 && t->hooks.on_log) {
        bn_train_snapshot snap;
        bn_trainer_snapshot(t, &snap);
        t->hooks.on_log(t->hooks.ctx, &snap);
    }
    t->interval_started_at = bn_tr_now();
    t->interval_tokens = 0;
    return s;
}

/* Periodic work after a step: log, evaluate, checkpoint, honour save requests. Evaluations
 * and checkpoints are rank 0's (the others wait for it at the next step's collective). */
static bn_status after_step(bn_trainer *t, const bn_step_result *r, bn_error *err)
{
    const bn_log_config *lc = &t->cfg.log;
    long step = t->state.step;
    int last = step == t->cfg.train.num_steps;
    t->interval_tokens += bn_tr_step_tokens(t);
    bn_status s = BN_OK;
    if (step % lc->log_interval == 0 || last)
        s = log_step(t, r, err);
    /* A sharded run's periodic save needs every rank (README, "Training on many machines");
     * a save asked for (the terminal UI's, one process) is rank 0's alone. */
    int periodic = lc->checkpoint_interval > 0 && step % lc->checkpoint_interval == 0 && !last;
    int collective = bn_tr_sharded(t);
    if (t->dist.rank != 0)
        return collective && periodic ? save_checkpoint(t, s, err) : s;
    int every = bn_config_eval_interval(&t->cfg);
    int samples_due = t->task && t->task->generates_samples && lc->sample_interval > 0 &&
                      step % lc->sample_interval == 0;
    if (s == BN_OK && ((every > 0 && step % every == 0) || samples_due) && !last) {
        s = evaluate(t, lc->eval_problems, samples_due, err);
        t->interval_started_at = bn_tr_now(); /* tokens/s counts training time only */
        t->interval_tokens = 0;
    }
    if (periodic || (!collective && !last && s == BN_OK && take_flag(t, &t->save_requested)))
        s = save_checkpoint(t, s, err);
    return s;
}

/* Persist the run's state in meta/state.json (for run lists); a failure is a warning.
 * Rank 0's alone. */
static void mark_run(bn_trainer *t, bn_run_state state)
{
    bn_error err = {0};
    if (t->dist.rank == 0 &&
        bn_run_marker_write(t->run.dir, bn_run_state_name(state), t->state.step,
                            t->cfg.train.num_steps, &err) != BN_OK) {
        char text[sizeof err.msg + 16];
        snprintf(text, sizeof text, "warning: %s", err.msg);
        warn(t, text);
    }
}

/* Set the final state, published and on disk. */
static void end_run(bn_trainer *t, bn_run_state state)
{
    set_state(t, state);
    mark_run(t, state);
}

/* Whether the newest checkpoint is of this step (a stop that came during its save); in a
 * sharded run, whether every rank took part in a save of this step (rank 0's may have
 * failed: it then ends the run). */
static int saved_this_step(bn_trainer *t)
{
    if (bn_tr_sharded(t))
        return t->saved_step == t->state.step;
    char dir[BN_PATH_MAX];
    if (bn_rundir_checkpoint_path(&t->run, t->state.step, dir, NULL) != BN_OK)
        return 0; /* cannot be: the run's paths fit (bn_rundir_open) */
    pthread_mutex_lock(&t->lock);
    int same = strcmp(t->snap.last_checkpoint, dir) == 0;
    pthread_mutex_unlock(&t->lock);
    return same;
}

/* The last checkpoint (unless this step's is written) and evaluation (rank 0's), and the
 * final state. */
static bn_status finish(bn_trainer *t, bn_run_state final_state, bn_error *err)
{
    int saves = t->dist.rank == 0 || bn_tr_sharded(t);
    bn_status s = saves && !saved_this_step(t) ? save_checkpoint(t, BN_OK, err) : BN_OK;
    if (s == BN_OK && t->dist.rank == 0)
        s = evaluate(t, t->cfg.log.eval_problems,
                     t->task && t->task->generates_samples && t->cfg.log.sample_interval > 0,
                     err);
    end_run(t, s == BN_OK ? final_state : BN_RUN_FAILED);
    return s;
}

/* The run diverged at this step (on every rank alike): say so, keep the last checkpoint. */
static bn_status diverged(bn_trainer *t, bn_error *err)
{
    end_run(t, BN_RUN_DIVERGED);
    char text[1200];
    if (t->dist.rank != 0)
        snprintf(text, sizeof text, "%s; nothing saved from this state (rank 0 keeps the "
                                    "run's checkpoints)", err->msg);
    else
        snprintf(text, sizeof text, "%s; nothing saved from this state, last good checkpoint: "
                                    "%s", err->msg,
                 t->snap.last_checkpoint[0] ? t->snap.last_checkpoint : "none");
    bn_fail(err, BN_ERR_DIVERGED, "%s", text);
    publish(t, set_message, text);
    if (t->hooks.on_error && t->dist.rank == 0)
        t->hooks.on_error(t->hooks.ctx, text);
    return BN_ERR_DIVERGED;
}

bn_status bn_trainer_run(bn_trainer *t, bn_error *err)
{
    t->started_at = t->interval_started_at = bn_tr_now();
    set_state(t, BN_RUN_RUNNING);
    mark_run(t, BN_RUN_RUNNING);
    while (t->state.step < t->cfg.train.num_steps) {
        serve_requests(t);
        wait_while_paused(t);
        /* One process stops before the step; a job's ranks agree on it in the step. */
        if (t->dist.size == 1 && bn_tr_stop_pending(t))
            return finish(t, BN_RUN_STOPPED, err);
        bn_step_result r = {0};
        bn_status s = bn_tr_step(t, &r, err);
        if (s == BN_ERR_DIVERGED)
            return diverged(t, err);
        if (s == BN_OK) {
            t->steps_this_session++;
            s = after_step(t, &r, err);
            if (s != BN_OK)
                bn_tr_share_failure(t, s);
        }
        if (s != BN_OK) {
            end_run(t, BN_RUN_FAILED);
            return s;
        }
        if (t->stop_agreed && t->state.step < t->cfg.train.num_steps)
            return finish(t, BN_RUN_STOPPED, err);
    }
    return finish(t, BN_RUN_FINISHED, err);
}
