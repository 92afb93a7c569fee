/* runstat.h - one run in full, as `runs` and `status` show it (README, "Run tools"): its
 * summary (runs.h), the figures of its last training record, its last evaluation per
 * metric, its newest checkpoint and the disk it takes. Curses-free; reads only. */
#ifndef BN_RUNSTAT_H
#define BN_RUNSTAT_H

#include <stddef.h>

#include "io/runs.h"

#define BN_RUN_EVALS_MAX 16

typedef struct {
    char key[48];
    double value; /* NaN: null in the record */
    int integer;  /* written as an integer (a count: eval_problems, eval_games) */
} bn_run_eval_value;

typedef struct {
    bn_run_info info;     /* id, dir, experiment, state (a dead pid reads stopped), step */
    char task[16];        /* experiment.task: arithmetic, tictactoe, text */
    long pid;             /* meta/state.json's, 0 when none */
    long warmup_steps;
    /* The last training record (have_record): NaN where it had no number. */
    int have_record;
    long logged_step, tokens_seen;
    double loss, loss_ema, lr, wd, grad_norm, tokens_per_sec, elapsed_s;
    /* The last evaluation (eval_step -1: none), its metrics in the record's order. */
    long eval_step;
    int n_evals;
    bn_run_eval_value evals[BN_RUN_EVALS_MAX];
    long checkpoint_step; /* the newest checkpoint's, -1: none */
    double checkpoint_mtime;
    double updated;       /* mtime of scalars.jsonl (else of the directory) */
    long long disk_bytes; /* every file under the run directory */
    int torn_tail;        /* scalars.jsonl's last line does not parse (a crash tore it) */
} bn_run_status;

/* Read run_dir. tail_bytes 0 reads all of scalars.jsonl, else only its last tail_bytes (a
 * list of many runs; an evaluation further back is then not seen). Not a run directory, or
 * a meta/state.json that does not parse, is BN_ERR_INPUT naming the file. */
bn_status bn_run_status_read(const char *run_dir, size_t tail_bytes, bn_run_status *st,
                             bn_error *err);

/* bn_run_status_read of all of scalars.jsonl, and in the same pass the loss history as
 * bn_run_read_metrics gives it (*points malloc'd, the caller frees): what `status` shows,
 * from one read of the log. A history that does not fit in memory is left out (NULL, 0), as
 * is one of a run without a log; the figures are still read. */
bn_status bn_run_status_read_history(const char *run_dir, bn_run_status *st,
                                     bn_metric_point **points, int *n, bn_error *err);

/* The evaluation a one-line summary shows: val_loss for a text run, else the first metric
 * of the record (eval_accuracy, eval_legal_rate); NULL when there is none. */
const bn_run_eval_value *bn_run_status_main_eval(const bn_run_status *st);

/* The schedule's stage at the run's step: 0 warmup, 1 or 2 (README, "The model"). */
int bn_run_status_stage(const bn_run_status *st);

/* Seconds left at the last record's speed; NaN when not running or not known. */
double bn_run_status_eta(const bn_run_status *st);

/* RUN as a path to a run directory, else an id in runs_dir (exact, else the one id that
 * starts with or contains it), into out (BN_PATH_MAX bytes). BN_ERR_INPUT naming RUN when
 * there is no such run or several, or the path does not fit. */
bn_status bn_run_resolve(const char *runs_dir, const char *run, char *out, bn_error *err);

#endif
