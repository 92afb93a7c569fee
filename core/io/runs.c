/* runs.c - listing run directories and reading a run's history back. */
#include "io/runs.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/fileio.h"
#include "io/jsonio.h"
#include "io/metrics.h"

#define TAIL_BYTES 8192

/* ---------------------------------------------------------------- the state marker */

bn_status bn_run_marker_write(const char *run_dir, const char *state, long step,
                              long total_steps, bn_error *err)
{
    char path[BN_PATH_MAX];
    bn_status s = bn_path_join(path, run_dir, "meta/state.json", err);
    if (s != BN_OK)
        return s;
    json_t *doc = json_pack("{s:s, s:I, s:I, s:I}", "state", state, "pid",
                            (json_int_t)getpid(), "step", (json_int_t)step, "total_steps",
                            (json_int_t)total_steps);
    if (!doc)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot write state %s", path, state);
    s = bn_json_write_file(path, doc, BN_JSON_RECORD, err);
    json_decref(doc);
    return s;
}

static int process_alive(long pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* The marker's state ("" when there is none) and its step (kept when higher: a run stopped
 * between two logged steps). */
static void read_marker(const char *run_dir, char *state, size_t cap, long *step)
{
    char path[BN_PATH_MAX];
    json_t *doc = NULL;
    state[0] = '\0';
    if (bn_path_join(path, run_dir, "meta/state.json", NULL) != BN_OK ||
        bn_json_read_file(path, &doc, NULL) != BN_OK)
        return;
    long at = 0, pid = 0;
    if (bn_json_get_long(doc, "step", &at) == 0 && at > *step)
        *step = at;
    const char *st = json_string_value(json_object_get(doc, "state"));
    if (st)
        snprintf(state, cap, "%s", st);
    if (strcmp(state, "running") == 0 && bn_json_get_long(doc, "pid", &pid) == 0 &&
        !process_alive(pid))
        snprintf(state, cap, "stopped");
    json_decref(doc);
}

/* ---------------------------------------------------------------- one run's summary */

/* A training record (one with a loss) updates the run's last step and loss. */
static int take_last_loss(void *ctx, const json_t *rec)
{
    bn_run_info *info = ctx;
    long step;
    const json_t *loss = json_object_get(rec, "loss");
    if (bn_json_get_long(rec, "step", &step) == 0 && json_is_number(loss)) {
        info->step = step;
        info->loss = json_number_value(loss);
        info->have_loss = 1;
    }
    return 0;
}

/* The last training record of scalars.jsonl, found in its tail (a run list reads every
 * run's: a long log is not read whole). */
static void read_last_loss(const char *path, bn_run_info *info)
{
    bn_jsonl_each_tail(path, TAIL_BYTES, take_last_loss, info, NULL);
}

int bn_run_info_read(const char *run_dir, bn_run_info *info)
{
    char path[BN_PATH_MAX], value[BN_NAME_MAX];
    memset(info, 0, sizeof *info);
    if (strlen(run_dir) >= sizeof info->dir || /* a path too long is no run of ours */
        bn_path_join(path, run_dir, "meta/config.ini", NULL) != BN_OK ||
        bn_config_peek(path, "experiment.name", info->experiment, sizeof info->experiment,
                       NULL) != BN_OK ||
        bn_config_peek(path, "training.num_steps", value, sizeof value, NULL) != BN_OK)
        return -1;
    snprintf(info->dir, sizeof info->dir, "%s", run_dir);
    const char *slash = strrchr(run_dir, '/');
    snprintf(info->id, sizeof info->id, "%s", slash ? slash + 1 : run_dir);
    info->total_steps = atol(value);

    if (bn_path_join(path, run_dir, "metrics/scalars.jsonl", NULL) != BN_OK)
        path[0] = '\0';
    struct stat st;
    if (stat(path, &st) == 0 || stat(run_dir, &st) == 0)
        info->mtime = (double)st.st_mtime;
    read_last_loss(path, info);
    read_marker(run_dir, info->state, sizeof info->state, &info->step);
    if (!info->state[0]) /* no marker: an older run */
        snprintf(info->state, sizeof info->state, "%s",
                 info->total_steps > 0 && info->step >= info->total_steps ? "finished"
                                                                          : "stopped");
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    const bn_run_info *x = a, *y = b;
    if (x->mtime != y->mtime)
        return x->mtime < y->mtime ? 1 : -1;
    return strcmp(y->id, x->id);
}

int bn_runs_scan(const char *runs_dir, bn_run_info *out, int cap)
{
    DIR *d = opendir(runs_dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while (n < cap && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char dir[BN_PATH_MAX];
        if (bn_path_join(dir, runs_dir, e->d_name, NULL) == BN_OK &&
            bn_run_info_read(dir, &out[n]) == 0)
            n++;
    }
    closedir(d);
    qsort(out, (size_t)n, sizeof out[0], newest_first);
    return n;
}

/* ---------------------------------------------------------------- history */

/* The scalars.jsonl keys the history shows, in this order (columns of the table). */
enum { K_LOSS, K_LR, K_LOSS_EMA, K_ACC, K_LEGAL, K_RX, K_RO, K_PX, K_PO, K_VAL, K_BPB, N_KEYS };
static const char *const history_keys[N_KEYS] = {
    "loss", "lr", "loss_ema", "eval_accuracy", "eval_legal_rate", "eval_not_lost_random_x",
    "eval_not_lost_random_o", "eval_draws_perfect_x", "eval_draws_perfect_o", "val_loss",
    "val_bpb"};

static double or_zero(double v) { return isnan(v) ? 0.0 : v; }

/* One step's row as the UI's point: the loss, lr and smoothed loss, and the evaluation of
 * that step if there was one (tic-tac-toe: its summary in the trainer's words). */
static bn_metric_point row_point(const bn_metric_row *r)
{
    const double *v = r->v;
    bn_metric_point p = {.step = r->step, .loss = v[K_LOSS], .lr = or_zero(v[K_LR]),
                         .loss_ema = v[K_LOSS_EMA], .val_loss = v[K_VAL],
                         .val_bpb = v[K_BPB]};
    p.have_eval = !isnan(v[K_ACC]) || !isnan(v[K_LEGAL]);
    p.eval_accuracy = or_zero(!isnan(v[K_ACC]) ? v[K_ACC] : v[K_LEGAL]);
    if (p.have_eval && isnan(v[K_ACC]))
        snprintf(p.eval_text, sizeof p.eval_text, "random %.0f/%.0f%% perfect %.0f/%.0f%%",
                 100 * or_zero(v[K_RX]), 100 * or_zero(v[K_RO]), 100 * or_zero(v[K_PX]),
                 100 * or_zero(v[K_PO]));
    return p;
}

bn_status bn_run_history_begin(bn_metric_table *t, const char *path, bn_error *err)
{
    return bn_metrics_begin(t, path, history_keys, N_KEYS, err);
}

bn_status bn_run_history_points(bn_metric_table *t, const char *path, bn_metric_point **points,
                                int *n, bn_error *err)
{
    bn_metric_point *pts = malloc(sizeof *pts * (size_t)(t->n_rows + 1));
    int count = 0;
    for (int i = 0; pts && i < t->n_rows; i++)
        if (!isnan(t->rows[i].v[K_LOSS]) || !isnan(t->rows[i].v[K_VAL])) /* not: diverged */
            pts[count++] = row_point(&t->rows[i]);
    bn_metrics_free(t);
    *points = pts;
    *n = count;
    return pts ? BN_OK : bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
}

bn_status bn_run_read_metrics(const char *run_dir, bn_metric_point **points, int *n,
                              bn_error *err)
{
    char path[BN_PATH_MAX];
    bn_metric_table t;
    *points = NULL;
    *n = 0;
    bn_status s = bn_path_join(path, run_dir, "metrics/scalars.jsonl", err);
    if (s != BN_OK)
        return s;
    s = bn_metrics_read(path, history_keys, N_KEYS, &t, err);
    if (s != BN_OK) {
        bn_metrics_free(&t);
        return s;
    }
    return bn_run_history_points(&t, path, points, n, err);
}

/* " | 12 + 5 = 17 ok" or " | 3 * 4 = 11 (want 12)" for one example (nothing if malformed)
 * into out; returns what snprintf does. */
static size_t example_summary(const json_t *e, char *out, size_t cap)
{
    const char *p = json_string_value(json_object_get(e, "prompt"));
    const char *c = json_string_value(json_object_get(e, "completion"));
    const char *x = json_string_value(json_object_get(e, "expected"));
    int good = json_is_true(json_object_get(e, "correct"));
    if (!p || !c)
        return 0;
    if (!x) /* a text run's sample: the prompt and its continuation, as one text */
        return (size_t)snprintf(out, cap, " | %s%s", p, c);
    return (size_t)snprintf(out, cap, " | %s %s %s%s%s", p, c, good ? "ok" : "(want ",
                            good ? "" : x, good ? "" : ")");
}

/* "step 500: eval 21.0% | 12 + 5 = 17 ok | 3 * 4 = 11 (want 12)", or a text run's
 * "step 500: val 2.3456 (1.2345 bits/byte)", cut to cap bytes. */
static void sample_summary(const json_t *rec, char *out, size_t cap)
{
    long step = 0;
    bn_json_get_long(rec, "step", &step);
    const json_t *acc = json_object_get(rec, "accuracy");
    size_t n = (size_t)snprintf(out, cap, "step %ld:", step);
    if (acc && n < cap)
        n += (size_t)snprintf(out + n, cap - n, " eval %.1f%%",
                              100.0 * json_number_value(acc));
    const json_t *val = json_object_get(rec, "val_loss");
    if (json_is_number(val) && n < cap)
        n += (size_t)snprintf(out + n, cap - n, " val %.4f (%.4f bits/byte)",
                              json_number_value(val), bn_json_get_number(rec, "val_bpb"));
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(rec, "examples"), i, e) {
        if (n >= cap)
            break;
        n += example_summary(e, out + n, cap - n);
    }
}

/* The newest `cap` summaries: when full, the oldest is shifted out. */
typedef struct {
    char *lines;
    int width, cap, count;
} samples_read;

static int take_sample(void *ctx, const json_t *rec)
{
    samples_read *r = ctx;
    if (r->count == r->cap) {
        memmove(r->lines, r->lines + r->width, (size_t)r->width * (size_t)(r->cap - 1));
        r->count--;
    }
    sample_summary(rec, r->lines + (size_t)r->count * (size_t)r->width, (size_t)r->width);
    r->count++;
    return 0;
}

int bn_run_read_samples(const char *run_dir, char *lines, int width, int cap)
{
    char path[BN_PATH_MAX];
    samples_read r = {lines, width, cap, 0};
    if (bn_path_join(path, run_dir, "samples/samples.jsonl", NULL) != BN_OK || cap <= 0 || width <= 0 || bn_jsonl_each(path, take_sample, &r, NULL) != BN_OK)
        return 0;
    return r.count;
}

static int ascending(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int bn_run_checkpoints(const char *run_dir, long *steps, int cap)
{
    char path[BN_PATH_MAX];
    DIR *d = bn_path_join(path, run_dir, "checkpoints", NULL) == BN_OK ? opendir(path) : NULL;
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while (n < cap && (e = readdir(d)) != NULL) {
        long step;
        char rest;
        if (sscanf(e->d_name, "step_%ld%c", &step, &rest) == 1)
            steps[n++] = step;
    }
    closedir(d);
    qsort(steps, (size_t)n, sizeof *steps, ascending);
    return n;
}
