/* pane_status.c - the open run's numbers: step and progress, loss, smoothed loss, last eval
 * (a text run: its held-out loss and bits per byte on a line of their own), lr, wd, stage,
 * grad norm, speed, tokens, time, threads, kernel, RSS, ternary shares. Lines that do not
 * fit the pane's height are left out from the bottom. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "draw.h"

/* Resident set size of this process in bytes (0 if unknown). */
static double rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    long size = 0, resident = 0;
    int ok = fscanf(f, "%ld %ld", &size, &resident) == 2;
    fclose(f);
    return ok ? (double)resident * (double)sysconf(_SC_PAGESIZE) : 0;
}

static const char *shown_state(const bn_ui *ui)
{
    const bn_session *s = &ui->session;
    if (bn_session_active(s) && s->pause_wanted && strcmp(s->state, "running") == 0)
        return "pausing";
    if (bn_session_active(s) && !s->pause_wanted && strcmp(s->state, "paused") == 0)
        return "resuming";
    return s->state;
}

static void draw_progress(bn_ui *ui, int y, int x, int w, const bn_train_snapshot *sn)
{
    const bn_step_stats *st = &sn->stats;
    double frac = st->total_steps > 0 ? (double)st->step / (double)st->total_steps : 0;
    int n = snprintf(NULL, 0, "step %ld/%ld ", st->step, st->total_steps);
    bn_draw_printf(ui, y, x, w, BN_ROLE_NORMAL, "step %ld/%ld ", st->step, st->total_steps);
    int bar = w - n - 7;
    if (bar >= 4) {
        bn_draw_bar(ui, y, x + n, bar, frac);
        bn_draw_printf(ui, y, x + n + bar, 7, BN_ROLE_NORMAL, " %5.1f%%", 100.0 * frac);
    }
}

/* The last evaluation's metric `key`, or NaN. */
static double eval_metric(const bn_eval_summary *e, const char *key)
{
    for (int i = 0; e->have && i < e->n_metrics; i++)
        if (strcmp(e->metrics[i].key, key) == 0)
            return e->metrics[i].value;
    return NAN;
}

/* "val 2.3456 (1.2345 bits/byte) @500" for a text run's last evaluation (loss in nats per
 * token, its step); 0 if it has none. */
static int held_out_line(const bn_eval_summary *e, char *out, size_t cap)
{
    double loss = eval_metric(e, "val_loss");
    if (isnan(loss))
        return 0;
    snprintf(out, cap, "val %.4f (%.4f bits/byte) @%ld", loss, eval_metric(e, "val_bpb"),
             e->step);
    return 1;
}

/* The lines of a live run after the loss, from row y; those below `bottom` are left out. */
static void live_lines(bn_ui *ui, int y, int bottom, int x, int w, const bn_train_snapshot *sn)
{
    const bn_step_stats *st = &sn->stats;
    char seen[32], elapsed[32], eta[32], rss[32];
    bn_format_count(seen, sizeof seen, (double)st->tokens_seen);
    bn_format_duration(elapsed, sizeof elapsed, st->elapsed_s);
    bn_format_duration(eta, sizeof eta, st->eta_s);
    bn_format_count(rss, sizeof rss, rss_bytes());
    bn_draw_printf(ui, y++, x, w, BN_ROLE_NORMAL, "lr %.2e wd %.3g stage %d grad %.3f", st->lr,
                   st->wd, st->stage, st->grad_norm);
    bn_draw_printf(ui, y++, x, w, BN_ROLE_NORMAL, "%.0f tok/s  %.0f ms/step  %s tokens",
                   st->tokens_per_sec, st->step_ms, seen);
    bn_draw_printf(ui, y++, x, w, BN_ROLE_NORMAL, "elapsed %s  ETA %s", elapsed, eta);
    if (y < bottom)
        bn_draw_printf(ui, y++, x, w, BN_ROLE_NORMAL, "%d thread%s  kernel %s  RSS %sB",
                       sn->threads, sn->threads == 1 ? "" : "s",
                       sn->kernel[0] ? sn->kernel : "-", rss);
    if (y < bottom)
        bn_draw_printf(ui, y++, x, w, BN_ROLE_NORMAL, "weights -1/0/+1 %.1f%% %.1f%% %.1f%%",
                       100.0 * st->ternary[0], 100.0 * st->ternary[1], 100.0 * st->ternary[2]);
}

static void status_lines(bn_ui *ui, bn_rect in, const bn_train_snapshot *sn, int live)
{
    const bn_step_stats *st = &sn->stats;
    const bn_eval_summary *ev = &sn->eval;
    const char *eval = ev->have ? ev->value : "-";
    char val[64];
    int has_val = held_out_line(ev, val, sizeof val);
    int y = in.y, w = in.w, x = in.x, bottom = in.y + in.h;
    const char *id = strrchr(ui->session.run_dir, '/');
    bn_draw_printf(ui, y++, x, w, BN_ROLE_HEADER, "run %s", id ? id + 1 : ui->session.run_dir);
    if (in.h >= 9 + has_val)
        bn_draw_printf(ui, y++, x, w, BN_ROLE_NORMAL, "exp %s%s%s", ui->session.experiment,
                       ev->detail[0] ? " " : "", ev->detail);
    draw_progress(ui, y++, x, w, sn);
    if (has_val) {
        bn_draw_printf(ui, y++, x, w, BN_ROLE_NORMAL, "loss %.4f smooth %.4f", st->loss,
                       st->loss_ema);
        bn_draw_text(ui, y++, x, w, BN_ROLE_LOSS_VAL, val);
    } else {
        bn_draw_printf(ui, y++, x, w, BN_ROLE_NORMAL, "loss %.4f smooth %.4f eval %s", st->loss,
                       st->loss_ema, eval);
    }
    if (live) {
        live_lines(ui, y, bottom, x, w, sn);
        return;
    }
    const char *ck = strrchr(sn->last_checkpoint, '/');
    bn_draw_printf(ui, y++, x, w, BN_ROLE_NORMAL, "lr at the end %.2e", st->lr);
    bn_draw_printf(ui, y++, x, w, BN_ROLE_NORMAL, "checkpoint %s", ck ? ck + 1 : "none");
    if (y < bottom)
        bn_draw_text(ui, y++, x, w, BN_ROLE_DIM, "(a past run: numbers from its files)");
}

static void status_draw(bn_pane *p, bn_ui *ui)
{
    char title[96];
    const bn_session *s = &ui->session;
    if (s->kind == BN_SESSION_NONE)
        snprintf(title, sizeof title, "Status");
    else
        snprintf(title, sizeof title, "Status: %s, %s", s->experiment, shown_state(ui));
    bn_draw_box(ui, p->rect, title, ui->focus == BN_PANE_STATUS);
    bn_rect in = bn_rect_inner(p->rect);
    if (s->kind == BN_SESSION_NONE) {
        bn_draw_text(ui, in.y, in.x, in.w, BN_ROLE_DIM, "no run open");
        bn_draw_text(ui, in.y + 2, in.x, in.w, BN_ROLE_NORMAL,
                     "Enter on an experiment starts one;");
        bn_draw_text(ui, in.y + 3, in.x, in.w, BN_ROLE_NORMAL, "Enter on a run opens it.");
        return;
    }
    status_lines(ui, in, &s->snap, s->kind == BN_SESSION_LIVE);
}

static int status_key(bn_pane *p, bn_ui *ui, int key)
{
    (void)p;
    (void)ui;
    (void)key;
    return BN_KEY_IGNORED;
}

static void status_resize(bn_pane *p, bn_rect r)
{
    p->rect = r;
}

const bn_pane_ops bn_pane_status_ops = {
    .draw = status_draw,
    .handle_key = status_key,
    .resize = status_resize,
};
