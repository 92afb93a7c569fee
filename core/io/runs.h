/* runs.h - the runs in a runs directory, as the experiment list shows them, and what a front
 * end reads back from one run: its loss history, its samples, its checkpoints.
 *
 * Each run directory carries meta/state.json, written atomically by the trainer when a run
 * starts and when it ends: {"state": "running", "pid": 1234, "step": 0, "total_steps": 6000}
 * (indented over several lines).
 * A "running" marker whose process is gone reads as stopped (the run was killed). Runs
 * without a marker (older ones) read as finished when their last step is the total, else as
 * stopped. */
#ifndef BN_RUNS_H
#define BN_RUNS_H

#include "io/config.h"
#include "io/metrics.h"
#include "base/error.h"

#define BN_RUNS_MAX 256

typedef struct {
    char id[BN_NAME_MAX];
    char dir[BN_PATH_MAX];
    char experiment[BN_NAME_MAX];
    char state[16];      /* running | finished | stopped | diverged | failed */
    long step, total_steps;
    double loss;         /* the last logged loss; have_loss says whether there is one */
    int have_loss;
    double mtime;        /* of the run's scalars.jsonl (or directory): newest first */
} bn_run_info;

/* Write meta/state.json of run_dir (state names as bn_run_state_name). */
bn_status bn_run_marker_write(const char *run_dir, const char *state, long step,
                              long total_steps, bn_error *err);

/* Every run directory under runs_dir (those with meta/config.ini), newest first, at most
 * `cap`. A missing runs_dir is no runs. Returns the count. */
int bn_runs_scan(const char *runs_dir, bn_run_info *out, int cap);

/* Read one run's summary (as bn_runs_scan does for each). 0 on success, -1 if not a run. */
int bn_run_info_read(const char *run_dir, bn_run_info *info);

/* One scalars.jsonl record of a training step (eval records are folded into the step's). */
typedef struct {
    long step;
    double loss, lr;
    double loss_ema;      /* the trainer's smoothed loss at this step; NaN if not recorded */
    int have_eval;
    double eval_accuracy; /* arithmetic exact match, or tic-tac-toe legal-move rate */
    char eval_text[64];   /* tic-tac-toe: "random 97/88% perfect 64/51%" as the trainer shows */
    double val_loss, val_bpb; /* a text run's held-out evaluation at this step; NaN if none */
} bn_metric_point;

/* The run's loss history from metrics/scalars.jsonl, in step order; where a resumed run
 * logged a step again, the later record wins. *points is malloc'd (caller frees). Lines that
 * do not parse (such as a last line torn by a crash) are skipped; a step with neither a
 * loss (null: the run diverged) nor a val_loss is not a point, and a point's loss may be
 * NaN when it has only a val_loss (an evaluation at a step that was not logged). */
bn_status bn_run_read_metrics(const char *run_dir, bn_metric_point **points, int *n,
                              bn_error *err);

/* bn_run_read_metrics in steps, for a reader that goes over scalars.jsonl once for more than
 * the history (runstat.h's bn_run_status_read_history): bn_run_history_begin sets t up for
 * the history's keys (path names the file in messages), bn_metrics_take feeds it each record
 * in file order, and bn_run_history_points turns it into the points bn_run_read_metrics
 * gives and frees t (also on failure). */
bn_status bn_run_history_begin(bn_metric_table *t, const char *path, bn_error *err);
bn_status bn_run_history_points(bn_metric_table *t, const char *path, bn_metric_point **points,
                                int *n, bn_error *err);

/* Up to `cap` one-line summaries of samples/samples.jsonl records, the newest last, written
 * into lines[i] (each `width` bytes): "step 500: eval 21.0% | 12 + 5 = 17 ok | 3 * 4 = 11 (want 12)".
 * Returns the count. */
int bn_run_read_samples(const char *run_dir, char *lines, int width, int cap);

/* The checkpoints' steps (ascending) of a run, at most cap; returns the count. */
int bn_run_checkpoints(const char *run_dir, long *steps, int cap);

#endif
