/* runstat.c - one run in full (see runstat.h). */
#include "io/runstat.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/jsonio.h"

#define DISK_DEPTH 8 /* run/checkpoints/step_N/file is 3 deep; more is not ours */

/* ---------------------------------------------------------------- scalars.jsonl */

/* A training record carries "loss"; any other record with a step is an evaluation. */
static void take_training(bn_run_status *st, const json_t *rec, long step)
{
    st->have_record = 1;
    st->logged_step = step;
    st->loss = bn_json_get_number(rec, "loss");
    st->loss_ema = bn_json_get_number(rec, "loss_ema");
    st->lr = bn_json_get_number(rec, "lr");
    st->wd = bn_json_get_number(rec, "wd");
    st->grad_norm = bn_json_get_number(rec, "grad_norm");
    st->tokens_per_sec = bn_json_get_number(rec, "tokens_per_sec");
    st->elapsed_s = bn_json_get_number(rec, "elapsed_s");
    long seen = 0;
    st->tokens_seen = bn_json_get_long(rec, "tokens_seen", &seen) == 0 ? seen : 0;
}

/* An evaluation's metrics replace the previous evaluation's; records of the same step
 * (none today, but cheap to allow) add to it, a key given twice keeping the later value. */
static void take_eval(bn_run_status *st, const json_t *rec, long step)
{
    if (step != st->eval_step)
        st->n_evals = 0;
    st->eval_step = step;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)rec, key, v) {
        if (strcmp(key, "step") == 0)
            continue;
        int i = 0;
        while (i < st->n_evals && strcmp(st->evals[i].key, key) != 0)
            i++;
        if (i == BN_RUN_EVALS_MAX)
            break;
        snprintf(st->evals[i].key, sizeof st->evals[i].key, "%s", key);
        st->evals[i].value = json_is_number(v) ? json_number_value(v) : NAN;
        st->evals[i].integer = json_is_integer(v);
        if (i == st->n_evals)
            st->n_evals++;
    }
}

/* A resumed run's older log may carry steps past the checkpoint (runs from before the
 * resume rewrite): a record at a lower step than the last starts the history over there. */
static int take_record(void *ctx, const json_t *rec)
{
    bn_run_status *st = ctx;
    long step;
    if (bn_json_get_long(rec, "step", &step) != 0)
        return 0;
    if (st->eval_step > step)
        st->eval_step = -1, st->n_evals = 0;
    if (json_object_get(rec, "loss"))
        take_training(st, rec, step);
    else
        take_eval(st, rec, step);
    return 0;
}

/* ---------------------------------------------------------------- the rest of the run */

static long long dir_bytes(const char *path, int depth)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    long long total = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[BN_PATH_MAX];
        struct stat s;
        if (bn_path_join(sub, path, e->d_name, NULL) != BN_OK || lstat(sub, &s) != 0)
            continue;
        if (S_ISDIR(s.st_mode) && depth > 0)
            total += dir_bytes(sub, depth - 1);
        else if (S_ISREG(s.st_mode))
            total += (long long)s.st_size;
    }
    closedir(d);
    return total;
}

/* meta/state.json's pid; a file there that does not parse is bad input. */
static bn_status read_pid(const char *run_dir, long *pid, bn_error *err)
{
    char path[BN_PATH_MAX];
    struct stat s;
    json_t *doc = NULL;
    *pid = 0;
    bn_status st = bn_path_join(path, run_dir, "meta/state.json", err);
    if (st != BN_OK || stat(path, &s) != 0)
        return st; /* BN_OK: an older run, no marker */
    st = bn_json_read_file(path, &doc, err);
    if (st == BN_OK && !json_is_string(json_object_get(doc, "state")))
        st = bn_fail(err, BN_ERR_INPUT, "%s: no \"state\" string (running, finished, "
                     "stopped, diverged or failed)", path);
    if (st == BN_OK)
        bn_json_get_long(doc, "pid", pid);
    json_decref(doc);
    return st;
}

static void read_config(const char *run_dir, bn_run_status *st)
{
    char path[BN_PATH_MAX], value[BN_NAME_MAX];
    if (bn_path_join(path, run_dir, "meta/config.ini", NULL) != BN_OK)
        return; /* cannot be: bn_run_info_read read it */
    bn_config_peek(path, "experiment.task", st->task, sizeof st->task, NULL);
    if (bn_config_peek(path, "training.warmup_steps", value, sizeof value, NULL) == BN_OK)
        st->warmup_steps = atol(value);
}

static void read_checkpoint(const char *run_dir, bn_run_status *st)
{
    long steps[512];
    int n = bn_run_checkpoints(run_dir, steps, 512);
    st->checkpoint_step = n > 0 ? steps[n - 1] : -1;
    if (n == 0)
        return;
    char path[BN_PATH_MAX];
    struct stat s;
    if (bn_path_printf(path, NULL, "%s/checkpoints/step_%06ld", run_dir, steps[n - 1]) ==
            BN_OK && stat(path, &s) == 0)
        st->checkpoint_mtime = (double)s.st_mtime;
}

/* One pass over scalars.jsonl feeding the figures and, when asked (t not NULL), the history. */
typedef struct {
    bn_run_status *st;
    bn_metric_table *t;
    int oom;
} both;

static int take_both(void *ctx, const json_t *rec)
{
    both *b = ctx;
    take_record(b->st, rec);
    if (b->t && !b->oom && bn_metrics_take(b->t, rec) != 0)
        b->oom = 1; /* the history stops; the figures go on */
    return 0;
}

/* bn_run_status_read, the history read in the same pass when t is not NULL (*oom: it ran
 * out of memory). */
static bn_status read_status(const char *run_dir, size_t tail_bytes, bn_run_status *st,
                             bn_metric_table *t, int *oom, bn_error *err)
{
    memset(st, 0, sizeof *st);
    st->eval_step = -1;
    st->logged_step = -1;
    st->loss = st->loss_ema = st->lr = st->wd = st->grad_norm = NAN;
    st->tokens_per_sec = st->elapsed_s = NAN;
    char path[BN_PATH_MAX];
    bn_status s = bn_path_join(path, run_dir, "metrics/scalars.jsonl", err);
    if (s != BN_OK)
        return s;
    if (bn_run_info_read(run_dir, &st->info) != 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: not a run directory (no meta/config.ini with "
                       "experiment.name and training.num_steps)", run_dir);
    s = read_pid(run_dir, &st->pid, err);
    if (s != BN_OK)
        return s;
    read_config(run_dir, st);
    both b = {st, t, 0};
    if (tail_bytes)
        bn_jsonl_each_tail(path, tail_bytes, take_both, &b, NULL);
    else
        bn_jsonl_each(path, take_both, &b, NULL);
    *oom = b.oom;
    st->torn_tail = bn_jsonl_torn_tail(path);
    st->updated = st->info.mtime;
    read_checkpoint(run_dir, st);
    st->disk_bytes = dir_bytes(run_dir, DISK_DEPTH);
    return BN_OK;
}

bn_status bn_run_status_read(const char *run_dir, size_t tail_bytes, bn_run_status *st,
                             bn_error *err)
{
    int oom = 0;
    return read_status(run_dir, tail_bytes, st, NULL, &oom, err);
}

bn_status bn_run_status_read_history(const char *run_dir, bn_run_status *st,
                                     bn_metric_point **points, int *n, bn_error *err)
{
    char path[BN_PATH_MAX];
    bn_metric_table t;
    int oom = 0;
    *points = NULL;
    *n = 0;
    bn_status s = bn_path_join(path, run_dir, "metrics/scalars.jsonl", err);
    if (s == BN_OK)
        s = bn_run_history_begin(&t, path, err);
    if (s != BN_OK)
        return s;
    s = read_status(run_dir, 0, st, &t, &oom, err);
    if (s != BN_OK || oom) {
        bn_metrics_free(&t);
        return s; /* out of memory for the history: the figures alone, as it says */
    }
    bn_run_history_points(&t, path, points, n, NULL); /* out of memory: NULL and 0 */
    return BN_OK;
}

/* ---------------------------------------------------------------- derived figures */

const bn_run_eval_value *bn_run_status_main_eval(const bn_run_status *st)
{
    for (int i = 0; i < st->n_evals; i++)
        if (strcmp(st->evals[i].key, "val_loss") == 0)
            return &st->evals[i];
    return st->n_evals > 0 ? &st->evals[0] : NULL;
}

int bn_run_status_stage(const bn_run_status *st)
{
    long step = st->info.step;
    if (step < st->warmup_steps)
        return 0;
    return step < st->info.total_steps / 2 ? 1 : 2;
}

double bn_run_status_eta(const bn_run_status *st)
{
    long step = st->info.step, left = st->info.total_steps - step;
    if (strcmp(st->info.state, "running") != 0 || st->logged_step <= 0 || st->tokens_seen <= 0 ||
        !(st->tokens_per_sec > 0) || left < 0)
        return NAN;
    double tokens_per_step = (double)st->tokens_seen / (double)st->logged_step;
    return (double)left * tokens_per_step / st->tokens_per_sec;
}

/* ---------------------------------------------------------------- finding a run */

static int is_run(const char *dir)
{
    char path[BN_PATH_MAX];
    struct stat s;
    return bn_path_join(path, dir, "meta/config.ini", NULL) == BN_OK && stat(path, &s) == 0;
}

/* The one id in runs_dir that starts with run (else contains it): 1 found, 0 none, -1 several. */
static int match_id(const char *runs_dir, const char *run, char *id, size_t cap)
{
    DIR *d = opendir(runs_dir);
    int prefix = 0, inside = 0;
    char by_prefix[BN_NAME_MAX * 4] = "", by_inside[BN_NAME_MAX * 4] = "";
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char dir[BN_PATH_MAX];
        if (e->d_name[0] == '.' || !strstr(e->d_name, run) ||
            bn_path_join(dir, runs_dir, e->d_name, NULL) != BN_OK || !is_run(dir))
            continue;
        int starts = strncmp(e->d_name, run, strlen(run)) == 0;
        snprintf(starts ? by_prefix : by_inside, sizeof by_prefix, "%s", e->d_name);
        *(starts ? &prefix : &inside) += 1;
    }
    if (d)
        closedir(d);
    int n = prefix ? prefix : inside;
    if (n == 1)
        snprintf(id, cap, "%s", prefix ? by_prefix : by_inside);
    return n == 1 ? 1 : n == 0 ? 0 : -1;
}

bn_status bn_run_resolve(const char *runs_dir, const char *run, char *out, bn_error *err)
{
    char id[BN_NAME_MAX * 4];
    bn_status s = bn_path_printf(out, err, "%s", run);
    if (s != BN_OK || is_run(run))
        return s;
    s = bn_path_join(out, runs_dir, run, err);
    if (s != BN_OK || (!strchr(run, '/') && is_run(out)))
        return s;
    int found = strchr(run, '/') || !run[0] ? 0 : match_id(runs_dir, run, id, sizeof id);
    if (found == 1)
        return bn_path_join(out, runs_dir, id, err);
    if (found < 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: several runs in %s match (give more of the id)",
                       run, runs_dir);
    return bn_fail(err, BN_ERR_INPUT, "%s: no such run (not a run directory, nor an id in %s)",
                   run, runs_dir);
}
