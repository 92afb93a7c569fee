/* catalog.c - scanning experiment directories and the runs directory. */
#include "client/catalog.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"

/* The description = "..." of an INI text, unquoted. */
static void read_description(const char *path, char *out, size_t cap)
{
    char *text = NULL;
    size_t len = 0;
    out[0] = '\0';
    if (bn_read_file(path, &text, &len, NULL) != BN_OK)
        return;
    for (const char *line = text; line && *line; line = strchr(line, '\n')) {
        line += *line == '\n';
        if (strncmp(line, "description", 11) != 0)
            continue;
        const char *v = strchr(line, '=');
        if (!v)
            break;
        v += strspn(v + 1, " ") + 1;
        int quoted = *v == '"';
        v += quoted;
        size_t n = quoted ? strcspn(v, "\"\n") : strcspn(v, ";\n");
        snprintf(out, cap, "%.*s", (int)n, v);
        break;
    }
    free(text);
}

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
        bn_experiment_entry *x = &c->exps[c->n_exps++];
        snprintf(x->name, sizeof x->name, "%s", name);
        snprintf(x->path, sizeof x->path, "%s/%s", dir, e->d_name);
        read_description(x->path, x->description, sizeof x->description);
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
