/* scalars.c - fuzz target: a run's metrics/scalars.jsonl and samples/samples.jsonl (the
 * input split at a "--8<--" line; README, "Runs on disk"), read by every reader of a run:
 * the metrics table and `plot`'s curves (io/metrics.h, io/curve.h), `runs`/`status`
 * (io/runstat.h), the UI's history and samples (io/runs.h), the torn-line checks, and a
 * resume's cut of the records after its checkpoint (bn_rundir_drop_after), last since it
 * rewrites the files (in the temporary directory). */
#include "fuzz.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "io/curve.h"
#include "io/jsonio.h"
#include "io/metrics.h"
#include "io/rundir.h"
#include "io/runs.h"
#include "io/runstat.h"

static const char *const dirs[] = {"run", "run/meta", "run/metrics", "run/samples"};
enum { N_DIRS = 4 };
static const char state_json[] =
    "{\"state\": \"finished\", \"pid\": 0, \"step\": 4, \"total_steps\": 4}\n";
static const char config_ini[] = "[experiment]\nname = fuzz\ntask = text\n"
                                 "[training]\nnum_steps = 4\nwarmup_steps = 1\n";

static int count_record(void *ctx, const json_t *record)
{
    (void)record;
    ++*(long *)ctx;
    return 0;
}

static void read_curves(const char *run)
{
    static const char *const metric_x[][2] = {{"loss", "step"}, {"val_loss", "tokens"},
                                              {"eval_accuracy", "time"}, {"lr", "step"}};
    for (int i = 0; i < 4; i++) {
        bn_curve c;
        bn_error err = {0};
        bn_curve_read(run, metric_x[i][0], metric_x[i][1], &c, &err);
        bn_curve_free(&c);
    }
}

static int read_run(const char *run, const char *scalars)
{
    static const char *const keys[] = {"loss", "val_loss", "lr", "eval_accuracy",
                                       "tokens_seen", "elapsed_s"};
    bn_metric_table t;
    bn_error err = {0};
    int loaded = bn_metrics_read(scalars, keys, 6, &t, &err) == BN_OK;
    bn_metrics_free(&t);
    read_curves(run);
    bn_jsonl_last_line_torn(scalars);
    bn_jsonl_torn_tail(scalars);
    long records = 0;
    bn_jsonl_each(scalars, count_record, &records, &err);
    bn_jsonl_each_tail(scalars, 128, count_record, &records, &err);
    bn_run_status st;
    loaded = bn_run_status_read(run, 0, &st, &err) == BN_OK && loaded;
    bn_run_status_read(run, 200, &st, &err);
    bn_metric_point *points = NULL;
    int n = 0;
    if (bn_run_read_metrics(run, &points, &n, &err) == BN_OK)
        free(points);
    else
        loaded = 0;
    if (bn_run_status_read_history(run, &st, &points, &n, &err) == BN_OK)
        free(points);
    char lines[4][80];
    bn_run_read_samples(run, &lines[0][0], 80, 4);
    bn_rundir_drop_after(run, 3, &err);
    return loaded;
}

int bn_fuzz_scalars(const uint8_t *data, size_t size)
{
    const uint8_t *parts[2];
    size_t sizes[2];
    int n = bn_fuzz_split(data, size, parts, sizes, 2);
    char run[512], scalars[512];
    int loaded = 0;
    for (int i = 0; i < N_DIRS; i++) {
        char dir[512];
        if (!bn_fuzz_path(dirs[i], dir, sizeof dir) ||
            (mkdir(dir, 0700) != 0 && errno != EEXIST))
            return 0;
    }
    if (bn_fuzz_path("run", run, sizeof run) &&
        bn_fuzz_path("run/metrics/scalars.jsonl", scalars, sizeof scalars) &&
        bn_fuzz_write("run/meta/state.json", state_json, sizeof state_json - 1) &&
        bn_fuzz_write("run/meta/config.ini", config_ini, sizeof config_ini - 1) &&
        bn_fuzz_write("run/metrics/scalars.jsonl", parts[0], sizes[0]) &&
        (n < 2 || bn_fuzz_write("run/samples/samples.jsonl", parts[1], sizes[1])))
        loaded = read_run(run, scalars);
    bn_fuzz_remove("run/meta/state.json");
    bn_fuzz_remove("run/meta/config.ini");
    bn_fuzz_remove("run/metrics/scalars.jsonl");
    bn_fuzz_remove("run/samples/samples.jsonl");
    for (int i = N_DIRS - 1; i >= 0; i--)
        bn_fuzz_remove(dirs[i]);
    return loaded;
}
