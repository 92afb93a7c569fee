/* session.c - a live run on its own thread, or a past run's summary. */
#include "client/session.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/board.h"
#include "client/loglines.h"

void bn_session_init(bn_session *s)
{
    memset(s, 0, sizeof *s);
    s->kind = BN_SESSION_NONE;
}

/* ---------------------------------------------------------------- hooks (training thread) */

static void hook_log(void *ctx, const bn_train_snapshot *snap)
{
    const bn_step_stats *st = &snap->stats;
    bn_ui_event ev = {.kind = BN_UI_EV_LOG, .step = st->step, .loss = st->loss,
                      .loss_ema = st->loss_ema, .lr = st->lr};
    bn_ui_queue_push(ctx, &ev);
}

static void hook_eval(void *ctx, long step, const bn_eval_report *report)
{
    /* loss: the held-out loss for the chart's validation series (NaN: none) */
    bn_ui_event ev = {.kind = BN_UI_EV_EVAL, .step = step,
                      .loss = bn_report_get(report, "val_loss")};
    snprintf(ev.text, sizeof ev.text, "eval step %ld: %s", step, report->headline);
    if (report->samples)
        bn_loglines_sample(report->samples, step, ev.sample, sizeof ev.sample);
    bn_ui_queue_push(ctx, &ev);
}

static void hook_checkpoint(void *ctx, long step, const char *path)
{
    bn_ui_event ev = {.kind = BN_UI_EV_CHECKPOINT, .step = step};
    snprintf(ev.text, sizeof ev.text, "%s", path);
    bn_ui_queue_push(ctx, &ev);
}

static void push_text(void *ctx, bn_ui_event_kind kind, const char *text)
{
    bn_ui_event ev = {.kind = kind};
    snprintf(ev.text, sizeof ev.text, "%s", text);
    bn_ui_queue_push(ctx, &ev);
}

/* Preparing the shipped sample before the run starts: a log line per block read. */
static int hook_prepare(void *ctx, const bn_prepare_progress *p)
{
    bn_ui_event ev = {.kind = BN_UI_EV_TEXT};
    if (p->done)
        snprintf(ev.text, sizeof ev.text, "prepared the shipped sample: %lld tokens, %.1f MB "
                 "of text in %.1f s", p->tokens, (double)p->bytes / 1e6, p->seconds);
    else
        snprintf(ev.text, sizeof ev.text, "preparing the shipped sample: %.1f / %.1f MB",
                 (double)p->disk_bytes / 1e6, (double)p->disk_total / 1e6);
    bn_ui_queue_push(ctx, &ev);
    return 0;
}

static void hook_warning(void *ctx, const char *text)
{
    push_text(ctx, BN_UI_EV_WARNING, text);
}

static void hook_error(void *ctx, const char *text)
{
    push_text(ctx, BN_UI_EV_ERROR, text);
}

static void hook_generate(void *ctx, long id, const char *text, int done)
{
    bn_ui_event ev = {.kind = BN_UI_EV_GEN, .origin = BN_ORIGIN_LIVE_RUN, .id = id,
                      .done = done};
    snprintf(ev.text, sizeof ev.text, "%s", text);
    bn_ui_queue_push(ctx, &ev);
}

static void hook_move(void *ctx, long id, const bn_ttt_answer *a, const char *error)
{
    bn_ui_event ev = {.kind = BN_UI_EV_MOVE, .origin = BN_ORIGIN_LIVE_RUN, .id = id};
    bn_ui_move_event(&ev, a, error);
    bn_ui_queue_push(ctx, &ev);
}

/* ---------------------------------------------------------------- the thread */

static void set_phase(bn_session *s, bn_session_phase phase, bn_status st, const bn_error *err)
{
    pthread_mutex_lock(&s->lock);
    s->phase = phase;
    s->status = st;
    if (err)
        s->err = *err;
    pthread_mutex_unlock(&s->lock);
}

static void *session_thread(void *arg)
{
    bn_session *s = arg;
    bn_error err = {0};
    bn_trainer_hooks hooks = {.ctx = s->queue,
                              .on_log = hook_log,
                              .on_eval = hook_eval,
                              .on_checkpoint = hook_checkpoint,
                              .on_warning = hook_warning,
                              .on_error = hook_error,
                              .on_generate = hook_generate,
                              .on_move = hook_move,
                              .on_prepare = hook_prepare};
    bn_status st = bn_trainer_init(s->trainer, &s->cfg, NULL, s->kernels, hooks, &err);
    if (st != BN_OK) {
        set_phase(s, BN_PHASE_DONE, st, &err);
        return NULL;
    }
    pthread_mutex_lock(&s->lock);
    s->phase = BN_PHASE_RUNNING;
    s->built = 1;
    if (s->stop_early)
        bn_trainer_command(s->trainer, BN_CMD_STOP);
    pthread_mutex_unlock(&s->lock);
    st = bn_trainer_run(s->trainer, &err);
    set_phase(s, BN_PHASE_DONE, st, &err);
    return NULL;
}

void bn_block_stop_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGWINCH);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

bn_status bn_session_start(bn_session *s, const bn_config *cfg, const bn_kernels *kernels,
                           bn_ui_queue *queue, bn_error *err)
{
    bn_session_init(s);
    s->kind = BN_SESSION_LIVE;
    s->cfg = *cfg;
    s->kernels = kernels;
    s->queue = queue;
    s->task = bn_task_find(cfg->experiment.task);
    snprintf(s->experiment, sizeof s->experiment, "%s", cfg->experiment.name);
    snprintf(s->state, sizeof s->state, "starting");
    s->snap.stats.total_steps = cfg->train.num_steps;
    s->snap.threads = cfg->train.threads;
    s->trainer = calloc(1, sizeof *s->trainer);
    if (!s->trainer) {
        s->kind = BN_SESSION_NONE;
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for the trainer");
    }
    pthread_mutex_init(&s->lock, NULL);
    sigset_t old;
    bn_block_stop_signals(&old); /* the thread inherits the mask */
    int rc = pthread_create(&s->thread, NULL, session_thread, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_mutex_destroy(&s->lock);
        free(s->trainer);
        bn_session_init(s);
        return bn_fail(err, BN_ERR_IO, "cannot start the training thread");
    }
    return BN_OK;
}

/* A past run's task: [experiment] task of its meta/config.ini, else of its latest checkpoint's
 * config (a run directory copied without meta/); NULL when neither reads. */
static const bn_task_ops *past_task(const char *dir)
{
    char path[BN_PATH_MAX];
    bn_config cfg;
    bn_error err = {0};
    bn_config_defaults(&cfg);
    if (bn_path_join(path, dir, "meta/config.ini", &err) == BN_OK &&
        bn_config_load(&cfg, path, &err) == BN_OK)
        return bn_task_find(cfg.experiment.task);
    bn_st_file file;
    long step;
    if (bn_checkpoint_latest(dir, path, sizeof path, &err) != BN_OK ||
        bn_checkpoint_open(path, &cfg, &file, &step, &err) != BN_OK)
        return NULL;
    bn_st_free(&file);
    return bn_task_find(cfg.experiment.task);
}

void bn_session_open_past(bn_session *s, const bn_run_info *info)
{
    bn_session_init(s);
    s->kind = BN_SESSION_PAST;
    snprintf(s->run_dir, sizeof s->run_dir, "%s", info->dir);
    snprintf(s->experiment, sizeof s->experiment, "%s", info->experiment);
    snprintf(s->state, sizeof s->state, "%s", info->state);
    s->task = past_task(info->dir);
    s->snap.stats.step = info->step;
    s->snap.stats.total_steps = info->total_steps;
    s->snap.stats.loss = s->snap.stats.loss_ema = info->have_loss ? info->loss : 0.0;
    snprintf(s->snap.run_dir, sizeof s->snap.run_dir, "%s", info->dir);
}

static bn_session_phase phase_of(bn_session *s, int *built)
{
    pthread_mutex_lock(&s->lock);
    bn_session_phase p = s->phase;
    if (built)
        *built = s->built;
    pthread_mutex_unlock(&s->lock);
    return p;
}

bn_poll_event bn_session_poll(bn_session *s)
{
    if (s->kind != BN_SESSION_LIVE || s->joined)
        return BN_POLL_NOTHING;
    int built = 0;
    bn_session_phase p = phase_of(s, &built);
    bn_poll_event ev = BN_POLL_NOTHING;
    if (built) { /* also after the end: the final numbers */
        bn_trainer_snapshot(s->trainer, &s->snap);
        snprintf(s->run_dir, sizeof s->run_dir, "%s", s->snap.run_dir);
        snprintf(s->state, sizeof s->state, "%s", bn_run_state_name(s->snap.state));
    }
    if (built && !s->start_reported) {
        s->start_reported = 1;
        ev = BN_POLL_STARTED;
    }
    if (p == BN_PHASE_DONE && ev == BN_POLL_NOTHING) { /* a start is reported first */
        pthread_join(s->thread, NULL);
        s->joined = 1;
        ev = built ? BN_POLL_ENDED : BN_POLL_INIT_FAILED;
        if (!built)
            snprintf(s->state, sizeof s->state, "failed");
    }
    s->seen_phase = (int)p;
    return ev;
}

int bn_session_active(const bn_session *s)
{
    return s->kind == BN_SESSION_LIVE && !s->joined;
}

int bn_session_run_over(const bn_session *s)
{
    static const char *const over[] = {"finished", "stopped", "diverged", "failed"};
    for (size_t i = 0; i < sizeof over / sizeof over[0]; i++)
        if (strcmp(s->state, over[i]) == 0)
            return 1;
    return 0;
}

void bn_session_command(bn_session *s, bn_train_cmd cmd)
{
    if (!bn_session_active(s))
        return;
    pthread_mutex_lock(&s->lock);
    int sent = s->phase == BN_PHASE_RUNNING;
    if (sent)
        bn_trainer_command(s->trainer, cmd);
    else if (s->phase == BN_PHASE_INIT && cmd == BN_CMD_STOP)
        s->stop_early = 1;
    pthread_mutex_unlock(&s->lock);
    if (sent && (cmd == BN_CMD_PAUSE || cmd == BN_CMD_RESUME))
        s->pause_wanted = cmd == BN_CMD_PAUSE;
}

long bn_session_generate(bn_session *s, const bn_request *req)
{
    if (!bn_session_active(s) || phase_of(s, NULL) != BN_PHASE_RUNNING)
        return 0;
    return bn_trainer_request(s->trainer, req);
}

int bn_session_cancel(bn_session *s, long id)
{
    if (!bn_session_active(s) || phase_of(s, NULL) != BN_PHASE_RUNNING)
        return 0;
    return bn_trainer_cancel(s->trainer, id);
}

long bn_session_move(bn_session *s, const char *game_text)
{
    if (!bn_session_active(s) || phase_of(s, NULL) != BN_PHASE_RUNNING)
        return 0;
    return bn_trainer_move(s->trainer, game_text);
}

bn_status bn_session_result(bn_session *s, bn_error *err)
{
    pthread_mutex_lock(&s->lock);
    bn_status st = s->status;
    if (err)
        *err = s->err;
    pthread_mutex_unlock(&s->lock);
    return st;
}

void bn_session_close(bn_session *s)
{
    if (s->kind == BN_SESSION_LIVE) {
        if (!s->joined)
            pthread_join(s->thread, NULL);
        bn_trainer_free(s->trainer);
        free(s->trainer);
        pthread_mutex_destroy(&s->lock);
    }
    bn_session_init(s);
}
