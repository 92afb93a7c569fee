/* plot_cmd.c - `bitnet-tui plot RUN...` (README, "Plotting runs"): runs' curves as a braille
 * chart in the terminal, or as a PNG with --png. Parses its own flags, since it takes any
 * number of runs. */
#define _DEFAULT_SOURCE 1 /* TIOCGWINSZ */

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/chart.h"
#include "commands.h"
#include "io/curve.h"
#include "pngplot.h"
#include "termplot.h"

#define MAX_RUNS 16

typedef struct {
    const char *runs[MAX_RUNS], *runs_dir, *metric, *x, *png;
    char dirs[MAX_RUNS][BN_PATH_MAX], labels[MAX_RUNS][BN_NAME_MAX];
    int n_runs, want_png, log, width, height, help, smooth_given;
    double smooth;
} plot_args;

static const char usage[] =
    "usage: bitnet-tui plot RUN [RUN...] [--png [FILE]] [--metric NAME] [--x step|tokens|time]\n"
    "                       [--smooth A] [--log] [--size WxH] [--runs-dir DIR]\n"
    "Plot runs' metrics from their metrics/scalars.jsonl: in the terminal (braille, or ASCII\n"
    "outside a UTF-8 locale), or as a PNG image.\n"
    "  --png [FILE]        write a PNG instead [default RUN_DIR/plots/METRIC.png of the first\n"
    "                      run]; FILE is taken when it ends in .png\n"
    "  --metric NAME       loss, val_loss, lr, grad_norm or eval_<name> [default loss]\n"
    "  --x AXIS            step, tokens (tokens seen) or time (elapsed seconds) [default step]\n"
    "  --smooth A          EMA decay in [0, 1), debiased as the TUI's; 0 = raw [default 0.98\n"
    "                      for loss and grad_norm, else 0]\n"
    "  --log               log10 y axis\n"
    "  --size WxH          PNG pixels [default 1200x800]; terminal characters [default the\n"
    "                      terminal's width (else $COLUMNS, else 80) by 24]\n"
    "  --runs-dir DIR      where RUN ids are looked up [default runs]\n"
    "RUN is a run id in the runs directory or a path to a run directory. The last record of\n"
    "a step wins: a resumed run's repeated steps are drawn once.\n";

static bn_status parse_size(const char *v, plot_args *a, bn_error *err)
{
    char *end;
    long w = strtol(v, &end, 10), h = *end == 'x' ? strtol(end + 1, &end, 10) : -1;
    if (*end || w < 1 || w > 20000 || h < 1 || h > 20000)
        return bn_fail(err, BN_ERR_INPUT, "--size %s: must be WIDTHxHEIGHT, e.g. 1200x800", v);
    a->width = (int)w;
    a->height = (int)h;
    return BN_OK;
}

static bn_status take_value(plot_args *a, const char *f, const char *v, bn_error *err)
{
    char *end;
    if (strcmp(f, "--metric") == 0)
        a->metric = v;
    else if (strcmp(f, "--x") == 0)
        a->x = v;
    else if (strcmp(f, "--runs-dir") == 0)
        a->runs_dir = v;
    else if (strcmp(f, "--size") == 0)
        return parse_size(v, a, err);
    else { /* --smooth */
        a->smooth_given = 1;
        a->smooth = strtod(v, &end);
        if (!*v || *end || !(a->smooth >= 0 && a->smooth < 1))
            return bn_fail(err, BN_ERR_INPUT, "--smooth %s: must be a number in [0, 1)", v);
    }
    return BN_OK;
}

static int ends_with_png(const char *s)
{
    size_t n = strlen(s);
    return n > 4 && strcmp(s + n - 4, ".png") == 0;
}

static int takes_value(const char *f)
{
    static const char *const names[] = {"--metric", "--x", "--runs-dir", "--size", "--smooth"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(f, names[i]) == 0)
            return 1;
    return 0;
}

/* argv[*i] is a flag: --log, --help, --png [FILE], --name VALUE or --name=VALUE. */
static bn_status parse_flag(plot_args *a, int argc, char **argv, int *i, bn_error *err)
{
    char name[64];
    const char *arg = argv[(*i)++], *eq = strchr(arg, '=');
    snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
    if (!eq && (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)) {
        a->help = 1;
    } else if (!eq && strcmp(name, "--log") == 0) {
        a->log = 1;
    } else if (strcmp(name, "--png") == 0) {
        a->want_png = 1;
        if (eq)
            a->png = eq + 1;
        else if (*i < argc && ends_with_png(argv[*i]))
            a->png = argv[(*i)++];
    } else if (!takes_value(name)) {
        return bn_fail(err, BN_ERR_INPUT, "%s: unknown flag (see `bitnet-tui plot --help`)",
                       name);
    } else {
        const char *v = eq ? eq + 1 : *i < argc ? argv[(*i)++] : NULL;
        if (!v || !*v)
            return bn_fail(err, BN_ERR_INPUT, "%s: needs a value (see `bitnet-tui plot "
                           "--help`)", name);
        return take_value(a, name, v, err);
    }
    return BN_OK;
}

static bn_status parse_args(plot_args *a, int argc, char **argv, bn_error *err)
{
    memset(a, 0, sizeof *a);
    a->runs_dir = "runs";
    a->metric = "loss";
    a->x = "step";
    a->smooth = 0.98;
    bn_status st = BN_OK;
    int only_runs = 0;
    for (int i = 0; i < argc && st == BN_OK;) {
        if (!only_runs && strcmp(argv[i], "--") == 0) {
            only_runs = 1;
            i++;
        } else if (!only_runs && argv[i][0] == '-' && argv[i][1])
            st = parse_flag(a, argc, argv, &i, err);
        else if (a->n_runs == MAX_RUNS)
            st = bn_fail(err, BN_ERR_INPUT, "%s: more than %d runs", argv[i], MAX_RUNS);
        else
            a->runs[a->n_runs++] = argv[i++];
    }
    if (st != BN_OK || a->help)
        return st;
    if (a->n_runs == 0)
        return bn_fail(err, BN_ERR_INPUT, "plot needs a RUN (a run id or a run directory)");
    if (!bn_curve_metric_known(a->metric))
        return bn_fail(err, BN_ERR_INPUT, "--metric %s: must be loss, val_loss, lr, grad_norm "
                       "or eval_<name>", a->metric);
    if (!bn_curve_x_key(a->x))
        return bn_fail(err, BN_ERR_INPUT, "--x %s: must be step, tokens or time", a->x);
    /* Per-step noise is smoothed by default; evaluations are few and the LR is smooth. */
    if (!a->smooth_given && strcmp(a->metric, "loss") != 0 && strcmp(a->metric, "grad_norm") != 0)
        a->smooth = 0.0;
    return BN_OK;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* RUN as a path to a run directory, else an id in the runs directory; its label is the
 * directory's last name. */
static bn_status resolve_run(plot_args *a, int i, bn_error *err)
{
    const char *run = a->runs[i];
    char in_runs[BN_PATH_MAX];
    bn_status s = bn_path_printf(a->dirs[i], err, "%s", run);
    if (s == BN_OK)
        s = bn_path_join(in_runs, a->runs_dir, run, err);
    if (s != BN_OK)
        return s;
    if (!strchr(run, '/') && is_dir(in_runs))
        snprintf(a->dirs[i], sizeof a->dirs[i], "%s", in_runs);
    else if (!is_dir(run))
        return bn_fail(err, BN_ERR_INPUT, "%s: no such run (not a run directory, nor a run id "
                       "in %s)", run, a->runs_dir);
    size_t n = strlen(a->dirs[i]);
    while (n > 1 && a->dirs[i][n - 1] == '/')
        a->dirs[i][--n] = '\0';
    const char *slash = strrchr(a->dirs[i], '/');
    snprintf(a->labels[i], sizeof a->labels[i], "%s", slash ? slash + 1 : a->dirs[i]);
    return BN_OK;
}

static const char *x_unit(const char *x)
{
    return strcmp(x, "tokens") == 0 ? "tokens seen" : strcmp(x, "time") == 0 ? "seconds"
                                                                               : "step";
}

static int terminal_columns(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *env = getenv("COLUMNS");
    int n = env ? atoi(env) : 0;
    return n > 0 ? n : 80;
}

/* The terminal chart of the smoothed curves (the raw ones with --smooth 0). */
static int plot_terminal(const plot_args *a, const bn_curve *curves)
{
    bn_xy shown[MAX_RUNS];
    const char *labels[MAX_RUNS];
    int ok = 1;
    for (int i = 0; i < a->n_runs; i++) {
        shown[i] = curves[i].main;
        shown[i].y = malloc(sizeof(double) * (size_t)(shown[i].n + 1));
        ok = ok && shown[i].y;
        if (shown[i].y)
            bn_chart_ema(curves[i].main.y, shown[i].n, a->smooth, shown[i].y);
        labels[i] = a->labels[i];
    }
    setlocale(LC_CTYPE, "");
    char title[256], how[32] = "raw";
    if (a->smooth > 0)
        snprintf(how, sizeof how, "EMA %g", a->smooth);
    snprintf(title, sizeof title, "%s (%s%s) against %s", a->metric, how,
             a->log ? ", log scale" : "", x_unit(a->x));
    const char *no_color = getenv("NO_COLOR");
    bn_termplot_opts o = {a->width ? a->width : terminal_columns(), a->height ? a->height : 24,
                          strcmp(nl_langinfo(CODESET), "UTF-8") == 0,
                          isatty(STDOUT_FILENO) && !(no_color && no_color[0]), a->log, title,
                          x_unit(a->x)};
    char *text = ok ? bn_termplot(shown, labels, a->n_runs, &o) : NULL;
    for (int i = 0; i < a->n_runs; i++)
        free(shown[i].y);
    if (!text) {
        fprintf(stderr, "bitnet-tui: out of memory for the plot\n");
        return BN_EXIT_RUNTIME;
    }
    fputs(text, stdout);
    free(text);
    return BN_EXIT_OK;
}

/* The PNG's path: --png FILE, else the first run's plots/METRIC.png (plots/ made). */
static bn_status png_path(const plot_args *a, char *out, bn_error *err)
{
    if (a->png)
        return bn_path_printf(out, err, "%s", a->png);
    bn_status s = bn_path_printf(out, err, "%s/plots/%s.png", a->dirs[0], a->metric);
    if (s == BN_OK)
        s = bn_path_join(out, a->dirs[0], "plots", err);
    if (s == BN_OK && mkdir(out, 0777) != 0 && errno != EEXIST)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot make the directory (%s)", out,
                       strerror(errno));
    return s == BN_OK ? bn_path_printf(out, err, "%s/plots/%s.png", a->dirs[0], a->metric) : s;
}

static bn_status plot_png(const plot_args *a, const bn_curve *curves, bn_error *err)
{
    char path[BN_PATH_MAX], title[512];
    snprintf(title, sizeof title, "%s: ", a->metric);
    const char *labels[MAX_RUNS];
    for (int i = 0; i < a->n_runs; i++) {
        labels[i] = a->labels[i];
        size_t n = strlen(title);
        snprintf(title + n, sizeof title - n, "%s%s", i ? ", " : "", a->labels[i]);
    }
    if (a->width && (a->width < 200 || a->height < 150))
        return bn_fail(err, BN_ERR_INPUT, "--size %dx%d: a PNG is at least 200x150", a->width,
                       a->height);
    bn_status s = png_path(a, path, err);
    bn_pngplot_opts o = {a->width ? a->width : 1200, a->height ? a->height : 800, a->smooth,
                         a->log, a->metric, x_unit(a->x), title};
    if (s == BN_OK)
        s = bn_pngplot_write(path, curves, labels, a->n_runs, &o, err);
    if (s == BN_OK)
        printf("%s\n", path);
    return s;
}

static bn_status read_curves(plot_args *a, bn_curve *curves, bn_error *err)
{
    bn_status s = BN_OK;
    for (int i = 0; i < a->n_runs && s == BN_OK; i++) {
        s = resolve_run(a, i, err);
        if (s == BN_OK)
            s = bn_curve_read(a->dirs[i], a->metric, a->x, &curves[i], err);
        if (s == BN_OK && curves[i].torn)
            fprintf(stderr, "bitnet-tui: warning: %s/metrics/scalars.jsonl: the last line is "
                    "cut short (a crash?); skipped\n", a->dirs[i]);
    }
    return s;
}

int bn_cmd_plot(int argc, char **argv)
{
    plot_args a;
    bn_error err = {0};
    bn_curve curves[MAX_RUNS];
    memset(curves, 0, sizeof curves);
    bn_status s = parse_args(&a, argc, argv, &err);
    if (s == BN_OK && a.help) {
        fputs(usage, stdout);
        return BN_EXIT_OK;
    }
    if (s == BN_OK)
        s = read_curves(&a, curves, &err);
    int status = BN_EXIT_OK;
    if (s == BN_OK && a.want_png)
        s = plot_png(&a, curves, &err);
    else if (s == BN_OK)
        status = plot_terminal(&a, curves);
    for (int i = 0; i < MAX_RUNS; i++)
        bn_curve_free(&curves[i]);
    if (s != BN_OK) {
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        return bn_exit_status(s);
    }
    return status;
}
