/* test_runs.c - reading runs back: runs written before the redesign (tests/fixtures/v1, their
 * numbers printf-formatted) and a run written here through jansson records (NaN as null, a
 * resumed step logged again, a last line torn by a crash). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "io/rundir.h"
#include "io/metrics.h"
#include "io/runs.h"
#include "io/runstat.h"

static char dir[] = "/tmp/bn_test_runs_XXXXXX";

static void fixture(char *out, size_t cap, const char *run)
{
    const char *srcdir = getenv("srcdir");
    snprintf(out, cap, "%s/tests/fixtures/v1/%s", srcdir ? srcdir : ".", run);
}

static void test_v1_arith(void)
{
    char run[1024];
    fixture(run, sizeof run, "arith");
    bn_run_info info;
    CHECK(bn_run_info_read(run, &info) == 0, "%s is not a run", run);
    CHECK(strcmp(info.experiment, "arithmetic") == 0 && info.total_steps == 20 &&
              info.step == 20 && strcmp(info.state, "finished") == 0,
          "info: %s step %ld of %ld, %s", info.experiment, info.step, info.total_steps,
          info.state);
    CHECK(info.have_loss && info.loss == 3.18185, "last loss %g", info.loss);

    bn_metric_point *pts = NULL;
    int n = 0;
    bn_error err = {0};
    CHECK(bn_run_read_metrics(run, &pts, &n, &err) == BN_OK, "metrics: %s", err.msg);
    CHECK(n == 4 && pts[0].step == 5 && pts[3].step == 20, "%d points", n);
    if (n == 4) {
        CHECK(pts[0].loss == 3.44186 && pts[0].loss_ema == 3.49689 && pts[0].lr == 0.0015,
              "step 5: loss %g ema %g lr %g", pts[0].loss, pts[0].loss_ema, pts[0].lr);
        CHECK(!pts[2].have_eval && pts[3].have_eval && pts[3].eval_accuracy == 0.0 &&
                  pts[3].eval_text[0] == '\0',
              "the eval record folds into step 20");
    }
    free(pts);

    char lines[2][160];
    CHECK(bn_run_read_samples(run, &lines[0][0], 160, 2) == 1, "one samples record");
    const char *want = "step 20: eval 0.0% | 84 + 94 =  (want 178) | 12 / 63 =  (want 0)";
    CHECK(strncmp(lines[0], want, strlen(want)) == 0, "sample line \"%s\"", lines[0]);
}

static void test_v1_ttt(void)
{
    char run[1024];
    fixture(run, sizeof run, "ttt");
    bn_metric_point *pts = NULL;
    int n = 0;
    bn_error err = {0};
    CHECK(bn_run_read_metrics(run, &pts, &n, &err) == BN_OK, "metrics: %s", err.msg);
    CHECK(n == 4 && pts[3].have_eval && pts[3].eval_accuracy == 0.5255 &&
              strcmp(pts[3].eval_text, "random 0/0% perfect 0/0%") == 0,
          "ttt eval: %d points, %g \"%s\"", n, n ? pts[n - 1].eval_accuracy : 0.0,
          n ? pts[n - 1].eval_text : "");
    free(pts);
}

static void append(bn_rundir *run, FILE *f, json_t *rec)
{
    bn_error err = {0};
    CHECK(rec && bn_rundir_append_record(run, f, rec, &err) == BN_OK, "append: %s", err.msg);
    json_decref(rec);
}

static json_t *train_record(long step, double loss)
{
    return json_pack("{s:I, s:o, s:o, s:o}", "step", (json_int_t)step, "loss",
                     bn_json_number(loss), "loss_ema", bn_json_number(loss + 1), "lr",
                     bn_json_number(0.001));
}

static int same(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

/* status's one read of the log gives what the two reads give: the figures of
 * bn_run_status_read and the points of bn_run_read_metrics (want, n_want). */
static void same_in_one_read(const char *run_dir, const bn_metric_point *want, int n_want)
{
    bn_run_status st, one;
    bn_metric_point *pts = NULL;
    int n = -1;
    bn_error err = {0};
    CHECK(bn_run_status_read(run_dir, 0, &st, &err) == BN_OK, "status: %s", err.msg);
    CHECK(bn_run_status_read_history(run_dir, &one, &pts, &n, &err) == BN_OK,
          "status and history: %s", err.msg);
    /* Both memset to zero before they are filled: padding included, the bytes are equal. */
    CHECK(memcmp(&st, &one, sizeof st) == 0, "the figures differ from bn_run_status_read's");
    CHECK(n == n_want, "%d points in one read, %d in bn_run_read_metrics", n, n_want);
    for (int i = 0; i < n && i < n_want; i++)
        CHECK(pts[i].step == want[i].step && same(pts[i].loss, want[i].loss) &&
                  same(pts[i].loss_ema, want[i].loss_ema) && pts[i].lr == want[i].lr &&
                  pts[i].have_eval == want[i].have_eval &&
                  pts[i].eval_accuracy == want[i].eval_accuracy &&
                  same(pts[i].val_loss, want[i].val_loss) &&
                  same(pts[i].val_bpb, want[i].val_bpb) &&
                  strcmp(pts[i].eval_text, want[i].eval_text) == 0,
              "point %d (step %ld) differs", i, want[i].step);
    free(pts);
}

/* A run written through the record API, then damaged as a crash would. */
static void test_written_run(void)
{
    bn_rundir run;
    bn_error err = {0};
    CHECK(bn_rundir_open(&run, dir, "r1", "[experiment]\nname = \"mine\"\n[training]\n"
                                           "num_steps = 40\n",
                         0, &err) == BN_OK,
          "open: %s", err.msg);
    if (!run.scalars)
        return;
    append(&run, run.scalars, train_record(10, 2.5));
    append(&run, run.scalars, train_record(20, 2.25));
    append(&run, run.scalars, train_record(30, NAN)); /* diverged: loss null, not a point */
    append(&run, run.scalars, train_record(20, 2.0)); /* resumed from step 20: it wins */
    append(&run, run.scalars,
           json_pack("{s:I, s:o}", "step", (json_int_t)20, "eval_accuracy",
                     bn_json_number(0.5)));
    append(&run, run.samples,
           json_pack("{s:I, s:f, s:[{s:s, s:s, s:s, s:b}]}", "step", (json_int_t)20,
                     "accuracy", 0.5, "examples", "prompt", "1 + 1 =", "completion", "2",
                     "expected", "2", "correct", 1));
    fputs("{\"step\": 30, \"loss\": 1.", run.scalars); /* torn by a crash */
    bn_rundir_close(&run);
    CHECK(bn_run_marker_write(run.dir, "running", 20, 40, &err) == BN_OK, "marker: %s",
          err.msg);

    bn_metric_point *pts = NULL;
    int n = 0;
    CHECK(bn_run_read_metrics(run.dir, &pts, &n, &err) == BN_OK, "metrics: %s", err.msg);
    CHECK(n == 2 && pts[0].step == 10 && pts[1].step == 20 && pts[1].loss == 2.0 &&
              pts[1].loss_ema == 3.0 && pts[1].have_eval && pts[1].eval_accuracy == 0.5,
          "%d points; last: step %ld loss %g", n, n ? pts[n - 1].step : 0,
          n ? pts[n - 1].loss : 0);
    same_in_one_read(run.dir, pts, n);
    free(pts);

    bn_run_info info;
    CHECK(bn_run_info_read(run.dir, &info) == 0, "not a run");
    /* Our own pid is alive: the marker's "running" stands. */
    CHECK(strcmp(info.state, "running") == 0 && info.step == 20 && info.have_loss &&
              info.loss == 2.0 && info.total_steps == 40 &&
              strcmp(info.experiment, "mine") == 0,
          "info: %s step %ld loss %g of %ld (%s)", info.state, info.step, info.loss,
          info.total_steps, info.experiment);

    char line[128];
    CHECK(bn_run_read_samples(run.dir, line, sizeof line, 1) == 1 &&
              strcmp(line, "step 20: eval 50.0% | 1 + 1 = 2 ok") == 0,
          "sample \"%s\"", line);
    /* A text run's sample (no expected answer): the prompt and its continuation joined. */
    char path[2048];
    snprintf(path, sizeof path, "%s/samples/samples.jsonl", run.dir);
    FILE *f = fopen(path, "a");
    if (f) {
        fputs("{\"step\": 40, \"examples\": [{\"prompt\": \"Once upon a time\", "
              "\"completion\": \" there was a dog\", \"tokens\": 5}]}\n", f);
        fclose(f);
    }
    CHECK(bn_run_read_samples(run.dir, line, sizeof line, 1) == 1 &&
              strcmp(line, "step 40: | Once upon a time there was a dog") == 0,
          "text sample \"%s\"", line);
}

/* The table under the history: rows merge per step, the later value wins, a lower step
 * drops what follows, null is NaN, keys not asked for are not read. */
static void test_metrics_table(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/scalars.jsonl", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot create %s", path);
    if (!f)
        return;
    fputs("{\"step\": 1, \"a\": 1, \"b\": 10}\n"
          "{\"step\": 2, \"a\": 2}\n"
          "{\"step\": 2, \"b\": 20, \"a\": 2.5}\n" /* the same step: merged, a replaced */
          "{\"step\": 3, \"a\": 3}\n"
          "{\"step\": 2, \"a\": null}\n" /* resumed at 2: rows 2 and 3 dropped */
          "{\"a\": 99}\n"                    /* no step: not a row */
          "{\"step\": 4, \"a\": 4, \"c\": 5}\n",
          f);
    fclose(f);
    const char *keys[] = {"a", "b"};
    bn_metric_table t;
    bn_error err = {0};
    CHECK(bn_metrics_read(path, keys, 2, &t, &err) == BN_OK, "read: %s", err.msg);
    CHECK(t.n_rows == 3 && t.rows[0].step == 1 && t.rows[1].step == 2 && t.rows[2].step == 4,
          "%d rows", t.n_rows);
    if (t.n_rows == 3) {
        CHECK(t.rows[0].v[0] == 1 && t.rows[0].v[1] == 10, "row 1");
        CHECK(isnan(t.rows[1].v[0]) && isnan(t.rows[1].v[1]), "row 2 (after the resume)");
        CHECK(t.rows[2].v[0] == 4 && isnan(t.rows[2].v[1]), "row 4");
    }
    CHECK(bn_metrics_column(&t, "b") == 1 && bn_metrics_column(&t, "c") == -1, "columns");
    bn_metrics_free(&t);
    CHECK(t.rows == NULL && t.n_rows == 0, "free clears the table");

    const char *many[BN_METRICS_MAX + 1] = {0};
    CHECK(bn_metrics_read(path, many, BN_METRICS_MAX + 1, &t, &err) == BN_ERR_INPUT,
          "too many keys accepted");
    bn_metrics_free(&t);
    remove(path);
    CHECK(bn_metrics_read(path, keys, 2, &t, &err) == BN_ERR_INPUT && strstr(err.msg, path),
          "missing file: %s", err.msg);
    bn_metrics_free(&t);
}

/* A failed append names the file. */
static void test_append_error(void)
{
    char path[600];
    bn_rundir run = {0};
    snprintf(run.dir, sizeof run.dir, "%s/r1", dir);
    snprintf(path, sizeof path, "%s/metrics/scalars.jsonl", run.dir);
    run.scalars = fopen(path, "r"); /* not writable: fputs fails */
    json_t *rec = train_record(1, 1.0);
    bn_error err = {0};
    char want[700];
    snprintf(want, sizeof want, "%s: cannot append", path);
    CHECK(run.scalars && bn_rundir_append_record(&run, run.scalars, rec, &err) == BN_ERR_IO &&
              strncmp(err.msg, want, strlen(want)) == 0,
          "message \"%s\"", err.msg);
    json_decref(rec);
    bn_rundir_close(&run);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_v1_arith();
    test_v1_ttt();
    test_written_run();
    test_metrics_table();
    test_append_error();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cannot remove %s", dir);
    return check_exit("test_runs");
}
