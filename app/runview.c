/* runview.c - short forms of figures and a run's status as JSON (see runview.h). */
#include "runview.h"

#include <langinfo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/jsonio.h"

void bn_fmt_duration(char *out, size_t cap, double seconds)
{
    if (!(seconds >= 0)) {
        snprintf(out, cap, "-");
        return;
    }
    long s = (long)(seconds + 0.5);
    snprintf(out, cap, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

void bn_fmt_age(char *out, size_t cap, double seconds)
{
    if (isnan(seconds)) {
        snprintf(out, cap, "-");
        return;
    }
    if (seconds < 0)
        seconds = 0; /* a clock a little behind the file system's */
    double n = seconds;
    char unit = 's';
    if (seconds >= 14 * 86400)
        n = seconds / (7 * 86400), unit = 'w';
    else if (seconds >= 2 * 86400)
        n = seconds / 86400, unit = 'd';
    else if (seconds >= 3600)
        n = seconds / 3600, unit = 'h';
    else if (seconds >= 60)
        n = seconds / 60, unit = 'm';
    snprintf(out, cap, "%.0f%c", floor(n) > 99 ? 99 : floor(n), unit);
}

void bn_fmt_bytes(char *out, size_t cap, long long bytes)
{
    static const char units[] = "BKMGT";
    double v = (double)bytes;
    int u = 0;
    while (v >= 999.5 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u > 0 && v < 9.95)
        snprintf(out, cap, "%.1f%c", v, units[u]);
    else
        snprintf(out, cap, "%.0f%c", v, units[u]);
}

void bn_fmt_count(char *out, size_t cap, double v)
{
    static const struct {
        double below, scale;
        const char *format;
    } forms[] = {{9999.5, 1, "%.0f"},      {99950, 1e3, "%.1fk"}, {999500, 1e3, "%.0fk"},
                 {9.995e6, 1e6, "%.2fM"},  {9.995e7, 1e6, "%.1fM"}, {9.995e8, 1e6, "%.0fM"},
                 {9.995e9, 1e9, "%.2fG"}, {HUGE_VAL, 1e9, "%.0fG"}};
    if (isnan(v)) {
        snprintf(out, cap, "-");
        return;
    }
    size_t i = 0;
    while (i + 1 < sizeof forms / sizeof forms[0] && !(v < forms[i].below))
        i++;
    snprintf(out, cap, forms[i].format, v / forms[i].scale);
}

void bn_fmt_loss(char *out, size_t cap, double v)
{
    if (isnan(v))
        snprintf(out, cap, "-");
    else if (fabs(v) < 9.9995)
        snprintf(out, cap, "%.3f", v);
    else if (fabs(v) < 99.995)
        snprintf(out, cap, "%.2f", v);
    else if (fabs(v) < 999.95)
        snprintf(out, cap, "%.1f", v);
    else
        snprintf(out, cap, "%.0f", v);
}

void bn_fmt_eval(char *out, size_t cap, const bn_run_eval_value *e)
{
    if (e->integer)
        snprintf(out, cap, "%.0f", e->value);
    else if (strncmp(e->key, "eval_", 5) == 0 && e->value >= 0 && e->value <= 1)
        snprintf(out, cap, "%.1f%%", 100 * e->value);
    else
        bn_fmt_loss(out, cap, e->value);
}

int bn_locale_utf8(void)
{
    return strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
}

double bn_wall_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A long as an integer, or null when `have` is false. */
static json_t *maybe_int(int have, long v)
{
    return have ? json_integer((json_int_t)v) : json_null();
}

static json_t *eval_object(const bn_run_status *st)
{
    json_t *o = json_object();
    for (int i = 0; o && i < st->n_evals; i++)
        json_object_set_new(o, st->evals[i].key,
                            st->evals[i].integer ? json_integer((json_int_t)st->evals[i].value)
                                                 : bn_json_number(st->evals[i].value));
    return o;
}

/* The run's figures: where it is, how fast, what it last measured. */
static json_t *progress_json(const bn_run_status *st)
{
    const bn_run_eval_value *main_eval = bn_run_status_main_eval(st);
    return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o, s:I, s:o, s:o, "
                     "s:o, s:o, s:o}",
                     "step", (json_int_t)st->info.step, "total_steps",
                     (json_int_t)st->info.total_steps, "loss", bn_json_number(st->loss),
                     "loss_ema", bn_json_number(st->loss_ema), "lr", bn_json_number(st->lr),
                     "wd", bn_json_number(st->wd), "grad_norm", bn_json_number(st->grad_norm),
                     "stage", bn_run_status_stage(st), "tokens_per_sec",
                     bn_json_number(st->tokens_per_sec), "elapsed_s",
                     bn_json_number(st->elapsed_s), "tokens_seen",
                     (json_int_t)st->tokens_seen, "eta_s",
                     bn_json_number(bn_run_status_eta(st)), "eval_step",
                     maybe_int(st->eval_step >= 0, st->eval_step), "eval", eval_object(st),
                     "eval_metric", main_eval ? json_string(main_eval->key) : json_null(),
                     "eval_value", bn_json_number(main_eval ? main_eval->value : NAN));
}

static json_t *status_json(const bn_run_status *st, double now)
{
    int have_ckpt = st->checkpoint_step >= 0;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", st->info.id, "dir",
                          st->info.dir, "experiment", st->info.experiment, "task", st->task,
                          "state", st->info.state, "pid", maybe_int(st->pid > 0, st->pid));
    json_t *more = json_pack("{s:o, s:o, s:I, s:o, s:I, s:b}", "checkpoint_step",
                             maybe_int(have_ckpt, st->checkpoint_step), "checkpoint_age_s",
                             bn_json_number(have_ckpt ? now - st->checkpoint_mtime : NAN),
                             "updated", (json_int_t)st->updated, "age_s",
                             bn_json_number(now - st->updated), "disk_bytes",
                             (json_int_t)st->disk_bytes, "torn_last_line", st->torn_tail);
    json_t *prog = progress_json(st);
    if (!o || !more || !prog || json_object_update(o, prog) != 0 ||
        json_object_update(o, more) != 0) {
        json_decref(o);
        o = NULL;
    }
    json_decref(more);
    json_decref(prog);
    return o;
}

void bn_run_status_print_json(const bn_run_status *st, double now)
{
    json_t *o = status_json(st, now);
    char *line = o ? bn_json_line(o, BN_JSON_RECORD) : NULL;
    if (line)
        printf("%s\n", line);
    free(line);
    json_decref(o);
}
