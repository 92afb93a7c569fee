/* rundir.h - a run's directory on disk (README, "Runs on disk"):
 *   <runs_dir>/<run_id>/meta/config.ini        the fully resolved experiment
 *   <runs_dir>/<run_id>/metrics/scalars.jsonl  one JSON object per logged step
 *   <runs_dir>/<run_id>/samples/samples.jsonl  generations / eval results with their step
 *   <runs_dir>/<run_id>/checkpoints/step_NNNNNN/ */
#ifndef BN_RUNDIR_H
#define BN_RUNDIR_H

#include <stdio.h>

#include "io/config.h"
#include "io/jsonio.h"
#include "base/error.h"

typedef struct {
    char dir[BN_PATH_MAX];
    FILE *scalars;
    FILE *samples;
    int scalars_failed, samples_failed; /* an append failed (reported once) */
} bn_rundir;

/* Create a new run directory (refusing one that exists, or one whose files' paths would not
 * fit BN_PATH_MAX: nothing already written is touched)
 * and write meta/config.ini; or, with resume, open an existing one (and rewrite its
 * config.ini with the resolved config, when config_ini is not NULL). Opens both JSONL files
 * for appending. */
bn_status bn_rundir_open(bn_rundir *run, const char *runs_dir, const char *run_id,
                         const char *config_ini, int resume, bn_error *err);
void bn_rundir_close(bn_rundir *run);

/* Append one record (run->scalars or run->samples) as one JSON line and flush it, so a
 * reader sees whole lines and a crash tears at most the last one. The error names the file. */
bn_status bn_rundir_append_record(bn_rundir *run, FILE *f, const json_t *record,
                                  bn_error *err);

/* "<dir>/checkpoints/step_NNNNNN" into out (BN_PATH_MAX bytes). */
bn_status bn_rundir_checkpoint_path(const bn_rundir *run, long step, char *out, bn_error *err);

/* Resuming from the checkpoint at `step`: drop the records of scalars.jsonl and
 * samples.jsonl after that step (and lines a crash tore), so that each step is logged once
 * (README, "Runs on disk"). A file is rewritten through a temporary name and renamed, and
 * only when something is dropped. Call before bn_rundir_open opens them for appending. */
bn_status bn_rundir_drop_after(const char *run_dir, long step, bn_error *err);

#endif
