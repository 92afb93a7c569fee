/* rundir.c - creating and appending to a run directory. */
#include "io/rundir.h"

#include "base/fileio.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bn_status open_append(FILE **f, const char *dir, const char *name, bn_error *err)
{
    char path[BN_PATH_MAX];
    bn_status s = bn_path_join(path, dir, name, err);
    if (s != BN_OK)
        return s;
    *f = fopen(path, "a");
    if (!*f)
        return bn_fail(err, BN_ERR_IO, "%s: cannot open for appending: %s", path,
                       strerror(errno));
    return BN_OK;
}

/* run->dir = "<runs_dir>/<run_id>", refused up front when the longest path the run will
 * build under it (a checkpoint file's temporary name) would not fit, rather than at its
 * first checkpoint, hours later. */
static bn_status run_paths_fit(bn_rundir *run, const char *runs_dir, const char *run_id,
                               bn_error *err)
{
    bn_status s = bn_path_join(run->dir, runs_dir, run_id, err);
    int room = snprintf(NULL, 0, "/checkpoints/step_%06ld.tmp/optimizer.safetensors.tmp",
                        LONG_MAX);
    size_t len = strlen(run->dir);
    if (s == BN_OK && len + (size_t)room >= BN_PATH_MAX)
        s = bn_fail(err, BN_ERR_INPUT, "%.80s...: path too long for a run directory (%zu "
                    "bytes; at most %d, so that its checkpoint files' paths fit in %d)",
                    run->dir, len, BN_PATH_MAX - 1 - room, BN_PATH_MAX - 1);
    return s;
}

bn_status bn_rundir_open(bn_rundir *run, const char *runs_dir, const char *run_id,
                         const char *config_ini, int resume, bn_error *err)
{
    memset(run, 0, sizeof *run);
    bn_status s = run_paths_fit(run, runs_dir, run_id, err);
    if (s != BN_OK)
        return s;
    struct stat st;
    int exists = stat(run->dir, &st) == 0;
    if (exists && !resume)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: run directory already exists (choose another --run-id, or "
                       "--resume %s to continue it)",
                       run->dir, run->dir);
    if (!exists && resume)
        return bn_fail(err, BN_ERR_INPUT, "%s: no such run directory to resume", run->dir);
    static const char *const subdirs[] = {"meta", "metrics", "samples", "checkpoints"};
    char path[BN_PATH_MAX];
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        s = bn_path_join(path, run->dir, subdirs[i], err);
        if (s == BN_OK)
            s = bn_mkdirs(path, err);
        if (s != BN_OK)
            return s;
    }
    if (config_ini) { /* on resume too: overrides such as --num-steps change it */
        s = bn_path_join(path, run->dir, "meta/config.ini", err);
        if (s == BN_OK)
            s = bn_write_file_atomic(path, config_ini, err);
        if (s != BN_OK)
            return s;
    }
    s = open_append(&run->scalars, run->dir, "metrics/scalars.jsonl", err);
    if (s == BN_OK)
        s = open_append(&run->samples, run->dir, "samples/samples.jsonl", err);
    if (s != BN_OK)
        bn_rundir_close(run);
    return s;
}

void bn_rundir_close(bn_rundir *run)
{
    if (run->scalars)
        fclose(run->scalars);
    if (run->samples)
        fclose(run->samples);
    run->scalars = run->samples = NULL;
}

bn_status bn_rundir_append_record(bn_rundir *run, FILE *f, const json_t *record,
                                  bn_error *err)
{
    char what[BN_PATH_MAX]; /* the file, for messages; it fits (run_paths_fit) */
    bn_status s = bn_path_join(what, run->dir, f == run->scalars ? "metrics/scalars.jsonl"
                                                                 : "samples/samples.jsonl",
                               err);
    return s == BN_OK ? bn_jsonl_append(f, what, record, err) : s;
}

bn_status bn_rundir_checkpoint_path(const bn_rundir *run, long step, char *out, bn_error *err)
{
    return bn_path_printf(out, err, "%s/checkpoints/step_%06ld", run->dir, step);
}

/* The lines of text[0, len) to keep: whole records at or before step, and records without
 * one. Returns the kept text's length (written over text); *dropped counts the others. */
static size_t keep_through(char *text, size_t len, long step, int *dropped)
{
    size_t out = 0;
    *dropped = 0;
    for (size_t at = 0; at < len;) {
        char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len;
        json_t *rec = nl ? json_loadb(text + at, end - at, JSON_REJECT_DUPLICATES, NULL) : NULL;
        long s = 0;
        int keep = json_is_object(rec) && (bn_json_get_long(rec, "step", &s) != 0 || s <= step);
        json_decref(rec);
        if (keep) {
            memmove(text + out, text + at, end + 1 - at);
            out += end + 1 - at;
        } else {
            (*dropped)++;
        }
        at = end + 1;
    }
    return out;
}

static bn_status drop_after(const char *path, long step, bn_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return BN_OK; /* nothing logged yet */
    char *text = NULL;
    size_t len = 0;
    int dropped = 0;
    bn_status s = bn_read_file(path, &text, &len, err);
    if (s == BN_OK) {
        size_t kept = keep_through(text, len, step, &dropped);
        text[kept] = '\0';
        if (dropped)
            s = bn_write_file_atomic(path, text, err);
    }
    free(text);
    return s;
}

bn_status bn_rundir_drop_after(const char *run_dir, long step, bn_error *err)
{
    char path[BN_PATH_MAX];
    bn_status s = bn_path_join(path, run_dir, "metrics/scalars.jsonl", err);
    if (s == BN_OK)
        s = drop_after(path, step, err);
    if (s == BN_OK)
        s = bn_path_join(path, run_dir, "samples/samples.jsonl", err);
    return s == BN_OK ? drop_after(path, step, err) : s;
}
