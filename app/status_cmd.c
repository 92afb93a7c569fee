/* status_cmd.c - `status RUN [--watch [SECONDS]] [--json] [--runs-dir DIR]`: one run in
 * full; --watch redraws it in place until the run ends (README, "Run tools"). It parses its
 * own arguments: --watch takes an optional value, which getopt_long can only take as
 * --watch=SECONDS. */
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "io/jsonio.h"
#include "runview.h"

#define MAX_LINES 48
#define LINE_BYTES 640
#define BAR_CELLS 30
#define SPARK_CELLS 40
#define WATCH_DEFAULT 10.0
#define WATCH_MAX 86400.0

typedef struct {
    const char *run, *runs_dir;
    int json, watch;
    double every;
} status_args;

/* The lines of one snapshot. */
typedef struct {
    char text[MAX_LINES][LINE_BYTES];
    int n;
    int utf8;
} snapshot;

static void add(snapshot *s, const char *fmt, ...)
{
    if (s->n == MAX_LINES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->text[s->n++], LINE_BYTES, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- pieces */

/* [#########---------] in cells of a full and an empty glyph. */
static void bar(char *out, size_t cap, double fraction, int utf8)
{
    int full = (int)(fraction * BAR_CELLS + 0.5);
    size_t n = 0;
    full = full < 0 ? 0 : full > BAR_CELLS ? BAR_CELLS : full;
    for (int i = 0; i < BAR_CELLS && n + 4 < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s",
                              i < full ? (utf8 ? "\u2588" : "#") : (utf8 ? "\u2591" : "-"));
}

/* The loss history as SPARK_CELLS cells of eight heights: each cell the mean of its share of
 * the logged steps. *lo and *hi get the range drawn. Empty when there is no history. */
static void sparkline(const bn_metric_point *p, int n, int utf8, char *out, size_t cap,
                      double *lo, double *hi)
{
    static const char *const blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                          "\u2585", "\u2586", "\u2587", "\u2588"};
    static const char ascii[] = "._-~=+*#";
    double cell[SPARK_CELLS];
    int cells = n < SPARK_CELLS ? n : SPARK_CELLS, used = 0;
    *lo = HUGE_VAL, *hi = -HUGE_VAL;
    for (int c = 0; c < cells; c++) {
        double sum = 0;
        int k = 0;
        for (int i = c * n / cells; i < (c + 1) * n / cells; i++)
            if (!isnan(p[i].loss))
                sum += p[i].loss, k++;
        cell[c] = k ? sum / k : NAN;
        if (k)
            *lo = fmin(*lo, cell[c]), *hi = fmax(*hi, cell[c]);
    }
    out[0] = '\0';
    for (int c = 0; c < cells && (size_t)used + 4 < cap; c++) {
        int level = isnan(cell[c]) || *hi <= *lo ? 0 : (int)((cell[c] - *lo) / (*hi - *lo) * 7 + 0.5);
        used += utf8 ? snprintf(out + used, cap - (size_t)used, "%s", blocks[level])
                     : snprintf(out + used, cap - (size_t)used, "%c", ascii[level]);
    }
}

static void add_sparkline(snapshot *s, const bn_metric_point *pts, int n)
{
    char line[SPARK_CELLS * 4 + 1];
    double lo, hi;
    if (n > 0) {
        sparkline(pts, n, s->utf8, line, sizeof line, &lo, &hi);
        if (lo <= hi)
            add(s, "history   %s  %.3f..%.3f over steps %ld..%ld", line, lo, hi, pts[0].step,
                pts[n - 1].step);
    }
}

/* ---------------------------------------------------------------- the snapshot */

static void add_progress(snapshot *s, const bn_run_status *st)
{
    char cells[BAR_CELLS * 4 + 1], eta[32];
    long step = st->info.step, total = st->info.total_steps;
    double fraction = total > 0 ? (double)step / (double)total : 0;
    bar(cells, sizeof cells, fraction, s->utf8);
    bn_fmt_duration(eta, sizeof eta, bn_run_status_eta(st));
    add(s, "progress  %s %3.0f%%  step %ld/%ld  ETA %s", cells, 100 * fraction, step, total,
        strcmp(st->info.state, "running") == 0 ? eta : "-");
}

static void add_training(snapshot *s, const bn_run_status *st)
{
    static const char *const stages[] = {"warmup", "1", "2"};
    char elapsed[32], seen[16], tps[16];
    if (!st->have_record) {
        add(s, "loss      - (nothing logged yet)");
        return;
    }
    add(s, "loss      %.4f  smoothed %.4f  (step %ld)", st->loss, st->loss_ema, st->logged_step);
    add(s, "lr        %.3e  wd %g  stage %s", st->lr, st->wd, stages[bn_run_status_stage(st)]);
    add(s, "grad norm %.4f", st->grad_norm);
    bn_fmt_duration(elapsed, sizeof elapsed, st->elapsed_s);
    bn_fmt_count(seen, sizeof seen, (double)st->tokens_seen);
    bn_fmt_count(tps, sizeof tps, st->tokens_per_sec);
    add(s, "speed     %s tok/s  %s tokens seen  elapsed %s (this session)", tps, seen,
        elapsed);
}

/* The held-out loss (text runs) and every metric of the last evaluation. */
static void add_evals(snapshot *s, const bn_run_status *st)
{
    if (st->eval_step < 0) {
        add(s, "eval      none yet");
        return;
    }
    double val = NAN, bpb = NAN;
    for (int i = 0; i < st->n_evals; i++) {
        if (strcmp(st->evals[i].key, "val_loss") == 0)
            val = st->evals[i].value;
        else if (strcmp(st->evals[i].key, "val_bpb") == 0)
            bpb = st->evals[i].value;
    }
    if (!isnan(val))
        add(s, "val loss  %.4f  %.4f bits/byte  (step %ld)", val, bpb, st->eval_step);
    add(s, "eval      step %ld", st->eval_step);
    for (int i = 0; i < st->n_evals; i++) {
        const bn_run_eval_value *e = &st->evals[i];
        char v[32];
        if (e->integer || strncmp(e->key, "eval_", 5) == 0)
            bn_fmt_eval(v, sizeof v, e);
        else
            snprintf(v, sizeof v, "%.4f", e->value);
        add(s, "  %-26s %s", st->evals[i].key, v);
    }
}

static void add_disk(snapshot *s, const bn_run_status *st, double now)
{
    char age[16], size[16];
    bn_fmt_age(age, sizeof age, now - st->checkpoint_mtime);
    if (st->checkpoint_step >= 0)
        add(s, "checkpoint step %ld, %s ago (%s/checkpoints/step_%06ld)", st->checkpoint_step,
            age, st->info.dir, st->checkpoint_step);
    else
        add(s, "checkpoint none");
    bn_fmt_bytes(size, sizeof size, st->disk_bytes);
    bn_fmt_age(age, sizeof age, now - st->updated);
    add(s, "disk      %s  (last record %s ago)", size, age);
}

/* The run's figures and its loss history (pts, n), both from one read of its log. */
static void take_snapshot(snapshot *s, const bn_run_status *st, const bn_metric_point *pts,
                          int n, double now)
{
    char pid[32] = "";
    s->n = 0;
    if (st->pid > 0 && strcmp(st->info.state, "running") == 0)
        snprintf(pid, sizeof pid, " (pid %ld)", st->pid);
    add(s, "run       %s  %s", st->info.id, st->info.dir);
    add(s, "state     %s%s  %s (%s)", st->info.state, pid, st->info.experiment,
        st->task[0] ? st->task : "?");
    add_progress(s, st);
    add_training(s, st);
    add_evals(s, st);
    add_disk(s, st, now);
    add_sparkline(s, pts, n);
}

/* ---------------------------------------------------------------- output */

/* On a terminal: the cursor home, each line overwritten and cleared to its end, then the
 * rest of the screen cleared, so a redraw never blanks the screen (no flicker). Piped: the
 * lines as they are, a blank line after each snapshot. */
static void show(const snapshot *s, int tty, int first)
{
    if (tty)
        fputs("\033[H", stdout);
    else if (!first)
        fputc('\n', stdout);
    for (int i = 0; i < s->n; i++)
        printf("%s%s\n", s->text[i], tty ? "\033[K" : "");
    if (tty)
        fputs("\033[J", stdout);
    fflush(stdout);
}

static void pause_for(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - floor(seconds)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Read and show the run once; 0 when it is still running, 1 when it has ended, -1 when it
 * could not be read (the message printed). *shown: a snapshot was shown before (a torn
 * line's warning is given once). */
static int show_once(const char *run_dir, const status_args *a, snapshot *s, int tty,
                     int *shown)
{
    bn_run_status st;
    bn_error err = {0};
    bn_metric_point *pts = NULL; /* the history, for the text only (one read of the log) */
    int n = 0;
    bn_status read = a->json ? bn_run_status_read(run_dir, 0, &st, &err)
                             : bn_run_status_read_history(run_dir, &st, &pts, &n, &err);
    if (read != BN_OK) {
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        return -1;
    }
    if (st.torn_tail && !*shown)
        fprintf(stderr, "bitnet-tui: warning: %s/metrics/scalars.jsonl: the last line is not "
                "a whole record (a crash tore it?); skipped\n", run_dir);
    double now = bn_wall_clock();
    if (a->json) {
        bn_run_status_print_json(&st, now);
        fflush(stdout); /* each --watch record as it comes, through a pipe too */
    } else {
        take_snapshot(s, &st, pts, n, now);
        show(s, tty, !*shown);
    }
    free(pts);
    *shown = 1;
    return strcmp(st.info.state, "running") != 0;
}

static int watch(const char *run_dir, const status_args *a)
{
    snapshot *s = malloc(sizeof *s);
    if (!s) {
        fprintf(stderr, "bitnet-tui: out of memory\n");
        return BN_EXIT_RUNTIME;
    }
    s->utf8 = bn_locale_utf8();
    int tty = a->watch && !a->json && isatty(STDOUT_FILENO), shown = 0, ended;
    if (tty)
        fputs("\033[H\033[2J", stdout); /* once: later frames overwrite in place */
    while ((ended = show_once(run_dir, a, s, tty, &shown)) == 0 && a->watch)
        pause_for(a->every);
    free(s);
    return ended < 0 ? BN_EXIT_INPUT : BN_EXIT_OK;
}

/* ---------------------------------------------------------------- arguments */

static void usage(FILE *out)
{
    fputs("usage: bitnet-tui status RUN [--watch [SECONDS]] [--json] [--runs-dir DIR]\n"
          "One run in full: state, progress and ETA, loss, evaluations, learning rate,\n"
          "speed, checkpoint, disk and a loss sparkline.\n\n"
          "Options:\n"
          "  --watch [SECONDS]          redraw every SECONDS (default 10) until the run ends\n"
          "                             or Ctrl-C; piped, a snapshot after another\n"
          "  --json                     one JSON object (per snapshot with --watch)\n"
          "  --runs-dir DIR             where run ids are looked up [default runs]\n"
          "  --help                     this text\n\n"
          "RUN is a run directory, or a run id in the runs directory (or the one id that\n"
          "starts with or contains it).\n",
          out);
}

/* SECONDS for --watch: a number in (0, WATCH_MAX]; -1 when text is not one. */
static double seconds_value(const char *text)
{
    char *end;
    double v = strtod(text, &end);
    return *text && !*end && v > 0 && v <= WATCH_MAX ? v : -1;
}

static int is_number(const char *text)
{
    char *end;
    strtod(text, &end);
    return *text && !*end;
}

static int refuse(const char *what, const char *why)
{
    fprintf(stderr, "bitnet-tui: status: %s: %s (see `bitnet-tui status --help`)\n", what,
            why);
    return BN_EXIT_INPUT;
}

/* --watch, alone or with SECONDS (next, if it is a number, or after =). Returns the
 * arguments it used (1 or 2), or -1 after refusing. */
static int take_watch(status_args *a, int argc, char **argv, int i)
{
    const char *eq = strchr(argv[i], '=');
    const char *value = eq ? eq + 1 : i + 1 < argc && is_number(argv[i + 1]) ? argv[i + 1] : NULL;
    a->watch = 1;
    a->every = WATCH_DEFAULT;
    if (!value)
        return 1;
    a->every = seconds_value(value);
    if (a->every < 0) {
        char what[64];
        snprintf(what, sizeof what, "--watch %.40s", value);
        refuse(what, "must be a number of seconds > 0 and <= 86400");
        return -1;
    }
    return eq ? 1 : 2;
}

/* 0: parsed; BN_EXIT_INPUT: refused (said); 1: --help shown. */
static int parse_args(status_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->runs_dir = "runs";
    for (int i = 0; i < argc;) {
        const char *f = argv[i];
        int used = 1;
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0)
            return 1;
        if (strcmp(f, "--json") == 0)
            a->json = 1;
        else if (strcmp(f, "--watch") == 0 || strncmp(f, "--watch=", 8) == 0)
            used = take_watch(a, argc, argv, i);
        else if (strncmp(f, "--runs-dir=", 11) == 0)
            a->runs_dir = f + 11;
        else if (strcmp(f, "--runs-dir") == 0 && i + 1 < argc)
            a->runs_dir = argv[i + 1], used = 2;
        else if (strcmp(f, "--runs-dir") == 0)
            return refuse(f, "needs a value");
        else if (f[0] == '-' && f[1])
            return refuse(f, "unknown option");
        else if (a->run)
            return refuse(f, "unexpected argument (one RUN at a time)");
        else
            a->run = f;
        if (used < 0)
            return BN_EXIT_INPUT;
        i += used;
    }
    if (!a->run) {
        fprintf(stderr, "bitnet-tui: status needs a RUN (a run directory or a run id; see "
                "`bitnet-tui runs`)\n");
        return BN_EXIT_INPUT;
    }
    return 0;
}

int bn_cmd_status(int argc, char **argv)
{
    status_args a;
    int r = parse_args(&a, argc, argv);
    if (r == 1)
        usage(stdout);
    if (r != 0)
        return r == 1 ? BN_EXIT_OK : r;
    char dir[BN_PATH_MAX];
    bn_error err = {0};
    if (bn_run_resolve(a.runs_dir, a.run, dir, &err) != BN_OK) {
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        return BN_EXIT_INPUT;
    }
    setlocale(LC_CTYPE, "");
    return watch(dir, &a);
}
