/* actions.c - the UI's reactions: engine events, run start and end, the form, past runs,
 * chat. Only the UI thread runs this; it never waits on a training step. */
#include "actions.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/checkpoint.h"

#define CHAT_MAX_NEW 24
#define CHAT_STORY_TOKENS 96 /* a text run's answer: a few lines of the chat pane */
#define CHAT_MAX_TOKENS 100000 /* /max_tokens: the context ends an answer first */
#define SAMPLE_LINES 40

double bn_ui_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bn_ui_log(bn_ui *ui, bn_log_kind kind, const char *fmt, ...)
{
    char buf[BN_LOG_WIDTH];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    bn_loglines_add(&ui->log, kind, buf);
    ui->dirty = 1;
}

void bn_ui_flash(bn_ui *ui, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->flash, sizeof ui->flash, fmt, ap);
    va_end(ap);
    ui->flash_until = bn_ui_now() + 4.0;
    ui->dirty = 1;
}

/* ---------------------------------------------------------------- engine events */

static bn_chat_entry *chat_entry(bn_ui *ui, bn_req_origin origin, long id)
{
    for (int i = ui->chat.n_entries - 1; i >= 0; i--)
        if (ui->chat.entry[i].id == id && ui->chat.entry[i].origin == origin)
            return &ui->chat.entry[i];
    return NULL;
}

/* A cancelled answer has stopped: how long after Esc, and how much of it there is. */
static void log_stopped(bn_ui *ui, const bn_chat_entry *e)
{
    double ms = e->cancelled_at > 0 ? 1000.0 * (bn_ui_now() - e->cancelled_at) : 0.0;
    bn_ui_log(ui, BN_LOG_INFO, "chat: stopped by Esc in %.0f ms, %zu bytes: %s", ms,
              strlen(e->completion), e->prompt);
}

static void apply_event(bn_ui *ui, const bn_ui_event *ev)
{
    switch (ev->kind) {
    case BN_UI_EV_LOG:
        bn_series_push(&ui->series, ev->step, ev->loss, ev->lr);
        break;
    case BN_UI_EV_TEXT:
        bn_ui_log(ui, BN_LOG_INFO, "%s", ev->text);
        break;
    case BN_UI_EV_EVAL:
        if (!isnan(ev->loss))
            bn_series_push_val(&ui->series, ev->step, ev->loss);
        bn_ui_log(ui, BN_LOG_SAMPLE, "%s", ev->text);
        if (ev->sample[0])
            bn_ui_log(ui, BN_LOG_SAMPLE, "%s", ev->sample);
        break;
    case BN_UI_EV_CHECKPOINT:
        bn_ui_log(ui, BN_LOG_GOOD, "checkpoint saved: %s", ev->text);
        break;
    case BN_UI_EV_WARNING:
        bn_ui_log(ui, BN_LOG_WARN, "%s", ev->text);
        break;
    case BN_UI_EV_ERROR:
        bn_ui_log(ui, BN_LOG_ERROR, "%s", ev->text);
        break;
    case BN_UI_EV_MOVE:
        bn_board_apply(&ui->board, ev);
        break;
    case BN_UI_EV_GEN: {
        bn_chat_entry *e = chat_entry(ui, ev->origin, ev->id);
        if (e) {
            snprintf(e->completion, sizeof e->completion, "%s", ev->text);
            e->state = ev->done;
            if (ev->done == BN_GEN_STOPPED)
                log_stopped(ui, e);
        }
        break;
    }
    }
}

void bn_ui_pump_events(bn_ui *ui)
{
    bn_ui_event evs[64];
    long dropped = 0;
    int n;
    do {
        n = bn_ui_queue_drain(&ui->queue, evs, 64, &dropped);
        for (int i = 0; i < n; i++)
            apply_event(ui, &evs[i]);
        if (dropped)
            bn_ui_log(ui, BN_LOG_WARN, "warning: %ld engine events dropped (UI too slow)",
                      dropped);
        if (n)
            ui->dirty = 1;
    } while (n == 64);
}

/* ---------------------------------------------------------------- a run's start and end */

/* Chat requests the training thread did not answer before its run ended. */
static void orphan_trainer_requests(bn_ui *ui)
{
    for (int i = 0; i < ui->chat.n_entries; i++) {
        bn_chat_entry *e = &ui->chat.entry[i];
        if (e->state == 0 && e->origin == BN_ORIGIN_LIVE_RUN) {
            e->state = -1;
            snprintf(e->completion, sizeof e->completion, "(the run ended first; ask again)");
        }
    }
}

static void log_end(bn_ui *ui)
{
    bn_error err = {0};
    bn_status st = bn_session_result(&ui->session, &err);
    const bn_train_snapshot *sn = &ui->session.snap;
    if (st != BN_OK && st != BN_ERR_DIVERGED)
        bn_ui_log(ui, BN_LOG_ERROR, "run failed: %s", err.msg);
    bn_ui_log(ui, st == BN_OK ? BN_LOG_GOOD : BN_LOG_ERROR,
              "run %s at step %ld/%ld, loss %.4f (smoothed %.4f); checkpoint %s",
              ui->session.state, sn->stats.step, sn->stats.total_steps, sn->stats.loss,
              sn->stats.loss_ema,
              sn->last_checkpoint[0] ? sn->last_checkpoint : "none");
    bn_ui_flash(ui, "run %s", ui->session.state);
}

void bn_ui_poll_session(bn_ui *ui)
{
    bn_poll_event ev = bn_session_poll(&ui->session);
    bn_error err = {0};
    switch (ev) {
    case BN_POLL_NOTHING:
        return;
    case BN_POLL_STARTED:
        bn_ui_log(ui, BN_LOG_INFO, "run started: %s (%d thread%s, kernel %s)",
                  ui->session.run_dir, ui->session.snap.threads,
                  ui->session.snap.threads == 1 ? "" : "s", ui->session.snap.kernel);
        if (ui->session.trainer->sample != BN_SAMPLE_UNUSED)
            bn_ui_log(ui, BN_LOG_INFO, "data: the shipped sample, %s %s",
                      ui->session.trainer->sample == BN_SAMPLE_PREPARED ? "prepared into"
                                                                       : "prepared before in",
                      ui->session.trainer->cfg.data.path);
        bn_catalog_scan_runs(&ui->catalog);
        break;
    case BN_POLL_ENDED:
        bn_ui_pump_events(ui); /* the last records before the summary */
        orphan_trainer_requests(ui);
        log_end(ui);
        bn_catalog_scan_runs(&ui->catalog);
        break;
    case BN_POLL_INIT_FAILED:
        bn_session_result(&ui->session, &err);
        bn_ui_log(ui, BN_LOG_ERROR, "could not start: %s", err.msg);
        bn_ui_flash(ui, "could not start the run (see the log)");
        bn_session_close(&ui->session);
        break;
    }
    ui->dirty = 1;
}

/* ---------------------------------------------------------------- starting and opening */

void bn_ui_open_form(bn_ui *ui, int index)
{
    bn_error err = {0};
    const bn_experiment_entry *e = &ui->catalog.exps[index];
    if (bn_session_active(&ui->session)) {
        bn_ui_flash(ui, "a run is training: stop it (x) before starting another");
        return;
    }
    if (bn_form_open(&ui->form, e->name, e->path, &err) != BN_OK) {
        bn_ui_log(ui, BN_LOG_ERROR, "%s", err.msg);
        bn_ui_flash(ui, "cannot load %s (see the log)", e->path);
        return;
    }
    ui->screen = BN_SCREEN_FORM;
}

static void reset_views(bn_ui *ui)
{
    bn_session_close(&ui->session);
    bn_series_clear(&ui->series);
    ui->logview.scroll = 0;
}

void bn_ui_submit_form(bn_ui *ui)
{
    bn_config cfg;
    bn_error err = {0};
    if (bn_form_config(&ui->form, &cfg, &err) != BN_OK) {
        snprintf(ui->form.error, sizeof ui->form.error, "%s", err.msg);
        return;
    }
    if (cfg.train.threads <= 0)
        cfg.train.threads = ui->cores;
    cfg.data.sample = ui->sample; /* prepared on the training thread when needed */
    reset_views(ui);
    if (bn_session_start(&ui->session, &cfg, ui->kernels, &ui->queue, &err) != BN_OK) {
        snprintf(ui->form.error, sizeof ui->form.error, "%s", err.msg);
        return;
    }
    bn_ui_log(ui, BN_LOG_INFO, "starting %s: %ld steps of %d x %d tokens, %d thread%s",
              cfg.experiment.name, cfg.train.num_steps, cfg.train.batch_size, cfg.train.seq_len,
              cfg.train.threads, cfg.train.threads == 1 ? "" : "s");
    ui->screen = BN_SCREEN_MAIN;
    ui->focus = BN_PANE_LOSS;
}

/* A past run's last evaluation as the status pane shows it: the run reader gives the
 * tic-tac-toe figures as text, and only for tic-tac-toe (README, "Runs on disk"). */
static void past_eval(bn_eval_summary *e, const bn_metric_point *p)
{
    e->have = 1;
    e->step = p->step;
    snprintf(e->value, sizeof e->value, "%s%.1f%%", p->eval_text[0] ? "legal " : "",
             100.0 * p->eval_accuracy);
    snprintf(e->detail, sizeof e->detail, "%s", p->eval_text);
}

/* A past text run's last held-out evaluation, as the trainer publishes it. */
static void past_val(bn_eval_summary *e, const bn_metric_point *p)
{
    memset(e, 0, sizeof *e);
    e->have = 1;
    e->step = p->step;
    e->n_metrics = 2;
    e->metrics[0] = (bn_metric){.key = "val_loss", .value = p->val_loss};
    e->metrics[1] = (bn_metric){.key = "val_bpb", .value = p->val_bpb};
    snprintf(e->value, sizeof e->value, "%.4f (%.3f bpb)", p->val_loss, p->val_bpb);
}

/* A past run's loss history, samples and checkpoints. */
static void load_history(bn_ui *ui)
{
    bn_metric_point *pts = NULL;
    int n = 0;
    bn_error err = {0};
    bn_train_snapshot *sn = &ui->session.snap;
    if (bn_run_read_metrics(ui->session.run_dir, &pts, &n, &err) != BN_OK)
        bn_ui_log(ui, BN_LOG_WARN, "warning: %s", err.msg);
    for (int i = 0; i < n; i++) {
        if (!isnan(pts[i].loss))
            bn_series_push(&ui->series, pts[i].step, pts[i].loss, pts[i].lr);
        if (!isnan(pts[i].val_loss)) {
            bn_series_push_val(&ui->series, pts[i].step, pts[i].val_loss);
            past_val(&sn->eval, &pts[i]);
        }
        if (pts[i].have_eval)
            past_eval(&sn->eval, &pts[i]);
    }
    if (ui->series.n > 0) { /* the trainer's smoothing: decay 0.98, debiased */
        double m = 0, w = 0;
        for (int i = 0; i < ui->series.n; i++) {
            m = 0.98 * m + 0.02 * ui->series.loss[i];
            w = 0.98 * w + 0.02;
        }
        sn->stats.loss_ema = m / w;
        sn->stats.lr = ui->series.lr[ui->series.n - 1];
    }
    free(pts);
}

static void load_samples_and_checkpoints(bn_ui *ui)
{
    static char lines[SAMPLE_LINES][BN_LOG_WIDTH];
    int n = bn_run_read_samples(ui->session.run_dir, &lines[0][0], BN_LOG_WIDTH, SAMPLE_LINES);
    for (int i = 0; i < n; i++)
        bn_ui_log(ui, BN_LOG_SAMPLE, "%s", lines[i]);
    long steps[64];
    int k = bn_run_checkpoints(ui->session.run_dir, steps, 64);
    char text[BN_LOG_WIDTH];
    int len = snprintf(text, sizeof text, "checkpoints (%d):", k);
    for (int i = 0; i < k && len < (int)sizeof text; i++)
        len += snprintf(text + len, sizeof text - (size_t)len, " %ld", steps[i]);
    bn_ui_log(ui, k ? BN_LOG_INFO : BN_LOG_WARN, "%s%s", text,
              k ? "; chat uses the latest" : " none: chat needs one");
    if (k && bn_path_printf(ui->session.snap.last_checkpoint, NULL, "%s/checkpoints/step_%06ld",
                            ui->session.run_dir, steps[k - 1]) != BN_OK)
        bn_ui_log(ui, BN_LOG_WARN, "%.80s...: path too long", ui->session.run_dir);
}

void bn_ui_open_run(bn_ui *ui, int index)
{
    if (bn_session_active(&ui->session)) {
        bn_ui_flash(ui, "a run is training: stop it (x) before opening another");
        return;
    }
    bn_run_info info;
    char dir[sizeof info.dir];
    snprintf(dir, sizeof dir, "%s", ui->catalog.runs[index].dir);
    if (bn_run_info_read(dir, &info) != 0) { /* fresh numbers */
        bn_ui_flash(ui, "%s: not a run directory any more", dir);
        return;
    }
    reset_views(ui);
    bn_session_open_past(&ui->session, &info);
    bn_ui_log(ui, BN_LOG_INFO, "opened %s: %s, %s at step %ld/%ld", info.dir, info.experiment,
              info.state, info.step, info.total_steps);
    load_history(ui);
    load_samples_and_checkpoints(ui);
    ui->focus = BN_PANE_LOSS;
}

void bn_ui_toggle_overlay(bn_ui *ui, int index)
{
    const bn_run_info *run = &ui->catalog.runs[index];
    int same = strcmp(ui->overlay_id, run->id) == 0;
    bn_series_clear(&ui->overlay);
    ui->overlay_id[0] = '\0';
    if (same) {
        bn_ui_flash(ui, "overlay off");
        return;
    }
    bn_metric_point *pts = NULL;
    int n = 0;
    bn_error err = {0};
    if (bn_run_read_metrics(run->dir, &pts, &n, &err) != BN_OK) {
        bn_ui_flash(ui, "%s", err.msg);
        return;
    }
    for (int i = 0; i < n; i++)
        if (!isnan(pts[i].loss))
            bn_series_push(&ui->overlay, pts[i].step, pts[i].loss, pts[i].lr);
    free(pts);
    snprintf(ui->overlay_id, sizeof ui->overlay_id, "%s", run->id);
    bn_ui_flash(ui, "overlay: %s (%d steps); o on it again: off", run->id, ui->overlay.n);
}

/* ---------------------------------------------------------------- keys on the run */

void bn_ui_toggle_pause(bn_ui *ui)
{
    bn_session *s = &ui->session;
    if (!bn_session_active(s)) {
        bn_ui_flash(ui, "no run is training");
        return;
    }
    int resume = s->pause_wanted;
    bn_session_command(s, resume ? BN_CMD_RESUME : BN_CMD_PAUSE);
    bn_ui_flash(ui, resume ? "resuming" : "pausing after this step");
}

void bn_ui_save_now(bn_ui *ui)
{
    if (!bn_session_active(&ui->session)) {
        bn_ui_flash(ui, "no run is training");
        return;
    }
    bn_session_command(&ui->session, BN_CMD_SAVE);
    bn_ui_flash(ui, "saving a checkpoint after this step");
}

void bn_ui_stop_run(bn_ui *ui)
{
    if (!bn_session_active(&ui->session)) {
        bn_ui_flash(ui, "no run is training");
        return;
    }
    bn_session_command(&ui->session, BN_CMD_STOP);
    bn_ui_flash(ui, "stopping: saving a checkpoint...");
}

/* ---------------------------------------------------------------- chat */

/* Whether the open run's chat samples (a text run): its prompts carry the settings. */
static int chat_samples(const bn_ui *ui)
{
    return ui->session.task && ui->session.task->chat_samples;
}

/* The request for a prompt: a text run's carries the settings and a seed (the fixed one, or
 * a new one per prompt), and asks for a few lines of story. */
static bn_request chat_request(bn_ui *ui, const char *prompt)
{
    bn_chat_view *c = &ui->chat;
    if (!chat_samples(ui))
        return bn_request_of(BN_REQ_GENERATE, prompt, CHAT_MAX_NEW);
    bn_request req = bn_request_of(BN_REQ_GENERATE, prompt,
                                   c->max_tokens > 0 ? c->max_tokens : CHAT_STORY_TOKENS);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    req.sampling = c->sampling;
    req.seed = c->seed_fixed ? c->seed
                             : ((unsigned long long)ts.tv_sec * 1000003ULL +
                                (unsigned long long)ts.tv_nsec) % 1000000000ULL;
    c->last_seed = req.seed;
    return req;
}

/* Send the prompt to the training thread (live run) or the worker (past run): the request's
 * id, 0 if refused (the flash says why); *origin gets who answers it. */
static long route_prompt(bn_ui *ui, const char *prompt, bn_req_origin *origin)
{
    bn_session *s = &ui->session;
    bn_request req = chat_request(ui, prompt);
    *origin = BN_ORIGIN_LIVE_RUN;
    if (bn_session_active(s)) {
        long id = bn_session_generate(s, &req);
        if (!id)
            bn_ui_flash(ui, s->seen_phase == BN_PHASE_INIT ? "the run is starting; ask again"
                                                           : "busy with the previous prompt");
        return id;
    }
    char ckpt[BN_PATH_MAX];
    bn_error err = {0};
    if (bn_checkpoint_latest(s->run_dir, ckpt, sizeof ckpt, &err) != BN_OK) {
        bn_ui_flash(ui, "this run has no checkpoint to chat with");
        return 0;
    }
    long id = bn_worker_post(&ui->worker, ckpt, &req);
    *origin = BN_ORIGIN_PAST_RUN;
    if (!id)
        bn_ui_flash(ui, "busy with the previous prompt");
    return id;
}

/* "/max_tokens N" (1 .. CHAT_MAX_TOKENS): how long a story may grow, to the end of the
 * context at most. Whether line was that command. */
static int max_tokens_command(bn_chat_view *c, const char *line)
{
    static const char name[] = "/max_tokens";
    size_t k = sizeof name - 1;
    if (strncmp(line, name, k) != 0 || (line[k] != ' ' && line[k] != '\0'))
        return 0;
    char *end;
    long n = strtol(line + k, &end, 10);
    while (*end == ' ')
        end++;
    c->note_bad = end == line + k || *end || n < 1 || n > CHAT_MAX_TOKENS;
    if (c->note_bad)
        snprintf(c->note, sizeof c->note, "max tokens %s: must be a whole number from 1 to %d",
                 line + k + (line[k] == ' '), CHAT_MAX_TOKENS);
    else {
        c->max_tokens = (int)n;
        snprintf(c->note, sizeof c->note, "answers of up to %ld tokens", n);
    }
    return 1;
}

/* A /command typed into a text run's chat (model/sampling_cmd.h): the settings change, or a
 * one-line refusal changes nothing. */
static void chat_command(bn_ui *ui, const char *line)
{
    bn_chat_view *c = &ui->chat;
    if (max_tokens_command(c, line))
        return;
    bn_error err = {0};
    unsigned long long seed = c->seed;
    bn_sampling_cmd_kind kind;
    c->note_bad = bn_sampling_command(line, &c->sampling, &seed, &kind, &err) != BN_OK;
    if (c->note_bad)
        snprintf(c->note, sizeof c->note, "%s", err.msg);
    else if (kind == BN_SAMPLING_CMD_NONE) {
        c->note_bad = 1;
        snprintf(c->note, sizeof c->note,
                 "unknown command %s: /temp /top_p /top_k /seed /max_tokens", line);
    } else if (kind == BN_SAMPLING_CMD_SEED) {
        c->seed = seed;
        c->seed_fixed = 1;
        snprintf(c->note, sizeof c->note, "seed %llu for every prompt", seed);
    } else {
        c->note[0] = '\0';
    }
    ui->dirty = 1;
}

static void clear_input(bn_chat_view *c)
{
    c->len = 0;
    c->input[0] = '\0';
}

void bn_ui_chat_cancel(bn_ui *ui)
{
    for (int i = ui->chat.n_entries - 1; i >= 0; i--) {
        bn_chat_entry *e = &ui->chat.entry[i];
        if (e->state != 0 || e->cancelled_at > 0)
            continue;
        int sent = e->origin == BN_ORIGIN_PAST_RUN ? bn_worker_cancel(&ui->worker, e->id)
                                                   : bn_session_cancel(&ui->session, e->id);
        if (sent)
            e->cancelled_at = bn_ui_now();
        return;
    }
}

void bn_ui_chat_send(bn_ui *ui)
{
    bn_chat_view *c = &ui->chat;
    if (c->len == 0)
        return;
    if (c->input[0] == '/' && (chat_samples(ui) || !ui->session.task)) {
        chat_command(ui, c->input);
        clear_input(c);
        return;
    }
    if (ui->session.kind == BN_SESSION_NONE) {
        bn_ui_flash(ui, "open a run first (Enter on an experiment or a run)");
        return;
    }
    bn_req_origin origin;
    long id = route_prompt(ui, c->input, &origin);
    if (!id)
        return;
    if (chat_samples(ui))
        bn_ui_log(ui, BN_LOG_INFO, "chat: temp %g top-p %g top-k %d seed %llu: %s",
                  (double)c->sampling.temperature, (double)c->sampling.top_p,
                  c->sampling.top_k, c->last_seed, c->input);
    c->note[0] = '\0';
    if (c->n_entries == BN_CHAT_HISTORY) {
        memmove(&c->entry[0], &c->entry[1], sizeof c->entry[0] * (BN_CHAT_HISTORY - 1));
        c->n_entries--;
    }
    bn_chat_entry *e = &c->entry[c->n_entries++];
    memset(e, 0, sizeof *e);
    snprintf(e->prompt, sizeof e->prompt, "%s", c->input);
    e->origin = origin;
    e->id = id;
    clear_input(c);
}
