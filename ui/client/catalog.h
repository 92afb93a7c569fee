/* catalog.h - what the experiments pane lists: the INI files of ./experiments and of the
 * installed data directory (a name found in both: the local one), and the runs of ./runs. */
#ifndef BN_UI_CATALOG_H
#define BN_UI_CATALOG_H

#include "io/config.h"
#include "io/runs.h"

#define BN_CATALOG_EXPERIMENTS 32

typedef struct {
    char name[BN_NAME_MAX];
    char path[BN_PATH_MAX];
    char description[160];
} bn_experiment_entry;

typedef struct {
    bn_experiment_entry exps[BN_CATALOG_EXPERIMENTS];
    int n_exps;
    bn_run_info runs[BN_RUNS_MAX];
    int n_runs;
    char runs_dir[BN_PATH_MAX];
} bn_catalog;

void bn_catalog_scan_experiments(bn_catalog *c, const char *installed_dir);
void bn_catalog_scan_runs(bn_catalog *c);

#endif
