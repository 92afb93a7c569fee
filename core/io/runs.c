/* runs.c - listing run directories and reading a run's history back. */
#include "io/runs.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/fileio.h"
#include "io/json.h"

#define TAIL_BYTES 8192

/* ---------------------------------------------------------------- the state marker */

bn_status bn_run_marker_write(const char *run_dir, const char *state, long step,
                              long total_steps, bn_error *err)
{
    char path[BN_PATH_MAX + BN_NAME_MAX + 32], text[256];
    snprintf(path, sizeof path, "%s/meta/state.json", run_dir);
    snprintf(text, sizeof text,
             "{\"state\": \"%s\", \"pid\": %ld, \"step\": %ld, \"total_steps\": %ld}\n", state,
             (long)getpid(), step, total_steps);
    return bn_write_file_atomic(path, text, err);
}

static int process_alive(long pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* The marker's state ("" when there is none) and its step (kept when higher: a run stopped
 * between two logged steps). */
static void read_marker(const char *run_dir, char *state, size_t cap, long *step)
{
    char path[BN_PATH_MAX + BN_NAME_MAX + 32], *text = NULL;
    size_t len = 0;
    state[0] = '\0';
    snprintf(path, sizeof path, "%s/meta/state.json", run_dir);
    if (bn_read_file(path, &text, &len, NULL) != BN_OK)
        return;
    bn_json_doc doc;
    if (bn_json_parse(&doc, text, len) == 0) {
        const bn_json *st = bn_json_get(doc.root, "state");
        const bn_json *pid = bn_json_get(doc.root, "pid");
        const bn_json *at = bn_json_get(doc.root, "step");
        if (at && at->type == BN_JSON_NUMBER && (long)at->number > *step)
            *step = (long)at->number;
        if (st && st->type == BN_JSON_STRING)
            snprintf(state, cap, "%s", st->string);
        if (strcmp(state, "running") == 0 && pid && !process_alive((long)pid->number))
            snprintf(state, cap, "stopped");
        bn_json_free(&doc);
    }
    free(text);
}

/* ---------------------------------------------------------------- one run's summary */

/* The last training record of scalars.jsonl: step and loss. */
static void read_last_loss(const char *path, bn_run_info *info)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char buf[TAIL_BYTES + 1];
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long start = size > TAIL_BYTES ? size - TAIL_BYTES : 0;
    fseek(f, start, SEEK_SET);
    size_t n = fread(buf, 1, TAIL_BYTES, f);
    fclose(f);
    buf[n] = '\0';
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        bn_json_doc doc;
        if (bn_json_parse(&doc, line, strlen(line)) != 0)
            continue;
        const bn_json *step = bn_json_get(doc.root, "step");
        const bn_json *loss = bn_json_get(doc.root, "loss");
        if (step && loss && loss->type == BN_JSON_NUMBER) {
            info->step = (long)step->number;
            info->loss = loss->number;
            info->have_loss = 1;
        }
        bn_json_free(&doc);
    }
}

int bn_run_info_read(const char *run_dir, bn_run_info *info)
{
    char path[BN_PATH_MAX + BN_NAME_MAX + 32], value[BN_NAME_MAX];
    memset(info, 0, sizeof *info);
    snprintf(path, sizeof path, "%s/meta/config.ini", run_dir);
    if (bn_config_peek(path, "experiment.name", info->experiment, sizeof info->experiment,
                       NULL) != BN_OK ||
        bn_config_peek(path, "training.num_steps", value, sizeof value, NULL) != BN_OK)
        return -1;
    snprintf(info->dir, sizeof info->dir, "%s", run_dir);
    const char *slash = strrchr(run_dir, '/');
    snprintf(info->id, sizeof info->id, "%s", slash ? slash + 1 : run_dir);
    info->total_steps = atol(value);

    snprintf(path, sizeof path, "%s/metrics/scalars.jsonl", run_dir);
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
        char dir[BN_PATH_MAX + BN_NAME_MAX + 2];
        snprintf(dir, sizeof dir, "%s/%s", runs_dir, e->d_name);
        if (bn_run_info_read(dir, &out[n]) == 0)
            n++;
    }
    closedir(d);
    qsort(out, (size_t)n, sizeof out[0], newest_first);
    return n;
}

/* ---------------------------------------------------------------- history */

/* Append or replace: a step at or before the last one (a resumed run) drops what follows. */
static void put_point(bn_metric_point *pts, int *n, const bn_metric_point *p)
{
    while (*n > 0 && pts[*n - 1].step >= p->step)
        (*n)--;
    pts[(*n)++] = *p;
}

static double number_or_zero(const bn_json *root, const char *key)
{
    const bn_json *v = bn_json_get(root, key);
    return v && v->type == BN_JSON_NUMBER ? v->number : 0.0;
}

/* The tic-tac-toe eval record's summary, in the trainer's words (core/trainer.c). */
static void ttt_eval_text(const bn_json *root, char *out, size_t cap)
{
    snprintf(out, cap, "random %.0f/%.0f%% perfect %.0f/%.0f%%",
             100 * number_or_zero(root, "eval_not_lost_random_x"),
             100 * number_or_zero(root, "eval_not_lost_random_o"),
             100 * number_or_zero(root, "eval_draws_perfect_x"),
             100 * number_or_zero(root, "eval_draws_perfect_o"));
}

/* Fold one JSONL record into the history. */
static void take_record(const bn_json *root, bn_metric_point *pts, int *n)
{
    const bn_json *step = bn_json_get(root, "step");
    const bn_json *loss = bn_json_get(root, "loss");
    const bn_json *lr = bn_json_get(root, "lr");
    const bn_json *acc = bn_json_get(root, "eval_accuracy");
    const bn_json *legal = bn_json_get(root, "eval_legal_rate");
    if (!step)
        return;
    if (loss && loss->type == BN_JSON_NUMBER) {
        bn_metric_point p = {.step = (long)step->number, .loss = loss->number,
                             .lr = lr ? lr->number : 0.0};
        put_point(pts, n, &p);
    } else if ((acc || legal) && *n > 0 && pts[*n - 1].step == (long)step->number) {
        pts[*n - 1].have_eval = 1;
        pts[*n - 1].eval_accuracy = acc ? acc->number : legal->number;
        if (!acc)
            ttt_eval_text(root, pts[*n - 1].eval_text, sizeof pts[*n - 1].eval_text);
    }
}

bn_status bn_run_read_metrics(const char *run_dir, bn_metric_point **points, int *n,
                              bn_error *err)
{
    char path[BN_PATH_MAX + BN_NAME_MAX + 32], *text = NULL;
    size_t len = 0;
    *points = NULL;
    *n = 0;
    snprintf(path, sizeof path, "%s/metrics/scalars.jsonl", run_dir);
    bn_status s = bn_read_file(path, &text, &len, err);
    if (s != BN_OK)
        return s;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    bn_metric_point *pts = malloc(sizeof *pts * lines);
    if (!pts) {
        free(text);
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    }
    int count = 0;
    for (char *line = text, *end; line < text + len; line = end + 1) {
        end = strchr(line, '\n');
        if (!end)
            end = text + len;
        bn_json_doc doc;
        if (end > line && bn_json_parse(&doc, line, (size_t)(end - line)) == 0) {
            take_record(doc.root, pts, &count);
            bn_json_free(&doc);
        }
    }
    free(text);
    *points = pts;
    *n = count;
    return BN_OK;
}

/* "step 500: eval 21.0% | 12 + 5 = 17 ok | 3 * 4 = 11 (want 12)" */
static void sample_summary(const bn_json *root, char *out, size_t cap)
{
    const bn_json *step = bn_json_get(root, "step");
    const bn_json *acc = bn_json_get(root, "accuracy");
    const bn_json *ex = bn_json_get(root, "examples");
    int n = snprintf(out, cap, "step %ld:", step ? (long)step->number : 0L);
    if (acc)
        n += snprintf(out + n, cap > (size_t)n ? cap - (size_t)n : 0, " eval %.1f%%",
                      100.0 * acc->number);
    for (const bn_json *e = ex ? ex->child : NULL; e && (size_t)n < cap; e = e->next) {
        const bn_json *p = bn_json_get(e, "prompt"), *c = bn_json_get(e, "completion");
        const bn_json *x = bn_json_get(e, "expected"), *ok = bn_json_get(e, "correct");
        if (!p || !c || !x || p->type != BN_JSON_STRING || c->type != BN_JSON_STRING ||
            x->type != BN_JSON_STRING)
            continue;
        int good = ok && ok->number != 0;
        n += snprintf(out + n, cap - (size_t)n, " | %s %s %s%s%s", p->string, c->string,
                      good ? "ok" : "(want ", good ? "" : x->string, good ? "" : ")");
    }
}

int bn_run_read_samples(const char *run_dir, char *lines, int width, int cap)
{
    char path[BN_PATH_MAX + BN_NAME_MAX + 32], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/samples/samples.jsonl", run_dir);
    if (cap <= 0 || bn_read_file(path, &text, &len, NULL) != BN_OK)
        return 0;
    int count = 0;
    for (char *line = text, *end; line < text + len; line = end + 1) {
        end = strchr(line, '\n');
        if (!end)
            end = text + len;
        bn_json_doc doc;
        if (end > line && bn_json_parse(&doc, line, (size_t)(end - line)) == 0) {
            if (count == cap) { /* keep the newest: shift out the oldest */
                memmove(lines, lines + width, (size_t)width * (size_t)(cap - 1));
                count--;
            }
            sample_summary(doc.root, lines + (size_t)count * (size_t)width, (size_t)width);
            count++;
            bn_json_free(&doc);
        }
    }
    free(text);
    return count;
}

static int ascending(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int bn_run_checkpoints(const char *run_dir, long *steps, int cap)
{
    char path[BN_PATH_MAX + BN_NAME_MAX + 32];
    snprintf(path, sizeof path, "%s/checkpoints", run_dir);
    DIR *d = opendir(path);
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
