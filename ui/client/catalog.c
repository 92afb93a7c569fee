/* catalog.c - scanning experiment directories and the runs directory. */
#include "client/catalog.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int known(const bn_catalog *c, const char *name)
{
    for (int i = 0; i < c->n_exps; i++)
        if (strcmp(c->exps[i].name, name) == 0)
            return 1;
    return 0;
}

static void scan_dir(bn_catalog *c, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while (c->n_exps < BN_CATALOG_EXPERIMENTS && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || n - 4 >= BN_NAME_MAX || strcmp(e->d_name + n - 4, ".ini") != 0)
            continue;
        char name[BN_NAME_MAX];
        snprintf(name, sizeof name, "%.*s", (int)(n - 4), e->d_name);
        if (known(c, name))
            continue;
        bn_experiment_entry *x = &c->exps[c->n_exps];
        if (bn_path_join(x->path, dir, e->d_name, NULL) != BN_OK)
            continue; /* not listed: its path could not be opened */
        c->n_exps++;
        snprintf(x->name, sizeof x->name, "%s", name);
        /* Unreadable or not INI: listed without a description; picking it says why. */
        bn_config_peek(x->path, "experiment.description", x->description,
                       sizeof x->description, NULL);
    }
    closedir(d);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const bn_experiment_entry *)a)->name, ((const bn_experiment_entry *)b)->name);
}

void bn_catalog_scan_experiments(bn_catalog *c, const char *installed_dir)
{
    c->n_exps = 0;
    scan_dir(c, "experiments");
    scan_dir(c, installed_dir);
    qsort(c->exps, (size_t)c->n_exps, sizeof c->exps[0], by_name);
}

void bn_catalog_scan_runs(bn_catalog *c)
{
    c->n_runs = bn_runs_scan(c->runs_dir[0] ? c->runs_dir : "runs", c->runs, BN_RUNS_MAX);
}
