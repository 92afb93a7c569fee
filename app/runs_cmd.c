/* runs_cmd.c - `runs [--runs-dir DIR] [--json]`: the runs of a runs directory, newest
 * first, one line each (README, "Run tools"). */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "io/jsonio.h"
#include "runview.h"

/* scalars.jsonl's tail read per run: the newest records without reading a long log whole
 * (an evaluation further back than this shows as none). */
#define RUNS_TAIL (256 * 1024)
#define ID_MIN 15 /* the ID column at 80 columns; a wider terminal widens it */

/* ID, cut in the middle when longer than width: the head and the tail (the run's start
 * time, its unique part) stay. */
static void fit_id(char *out, size_t cap, const char *id, int width, int utf8)
{
    int len = (int)strlen(id);
    if (len <= width) {
        snprintf(out, cap, "%-*s", width, id);
        return;
    }
    int head = (width - 1) / 3, tail = width - 1 - head;
    snprintf(out, cap, "%.*s%s%s", head, id, utf8 ? "\u2026" : "~", id + len - tail);
}

/* A text cut to width (the last kept character replaced by ~), padded to width. */
static void fit_text(char *out, size_t cap, const char *text, int width)
{
    if ((int)strlen(text) <= width)
        snprintf(out, cap, "%-*s", width, text);
    else
        snprintf(out, cap, "%.*s~", width - 1, text);
}

static void step_cell(char *out, size_t cap, long step, long total)
{
    char a[16], b[16];
    bn_fmt_count(a, sizeof a, (double)step);
    bn_fmt_count(b, sizeof b, (double)total);
    snprintf(out, cap, "%s/%s", a, b);
}

static void print_row(const bn_run_status *st, int id_width, int utf8, double now)
{
    char id[256], exp[64], step[32], loss[16], ema[16], eval[16] = "-", tps[16], age[16],
        size[16];
    const bn_run_eval_value *e = bn_run_status_main_eval(st);
    fit_id(id, sizeof id, st->info.id, id_width, utf8);
    fit_text(exp, sizeof exp, st->info.experiment, 10);
    step_cell(step, sizeof step, st->info.step, st->info.total_steps);
    bn_fmt_loss(loss, sizeof loss, st->loss);
    bn_fmt_loss(ema, sizeof ema, st->loss_ema);
    if (e)
        bn_fmt_eval(eval, sizeof eval, e);
    bn_fmt_count(tps, sizeof tps, st->tokens_per_sec);
    bn_fmt_age(age, sizeof age, now - st->updated);
    bn_fmt_bytes(size, sizeof size, st->disk_bytes);
    printf("%s %s %-8s %9s %5s %6s %5s %5s %3s %4s\n", id, exp, st->info.state, step, loss, ema,
           eval, tps, age, size);
}

/* The ID column's width: 15 at 80 columns, more on a wider terminal, at most the longest. */
static int id_width(const bn_run_info *runs, int n)
{
    struct winsize ws;
    int cols = isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col
                   ? ws.ws_col
                   : 80;
    int longest = ID_MIN;
    for (int i = 0; i < n; i++)
        if ((int)strlen(runs[i].id) > longest)
            longest = (int)strlen(runs[i].id);
    int width = ID_MIN + (cols > 80 ? cols - 80 : 0);
    return width < longest ? width : longest;
}

/* One run's line (or its JSON); a run that cannot be read is a warning, not the end. */
static void show_run(const bn_run_info *run, int json, int width, int utf8, double now)
{
    bn_run_status st;
    bn_error err = {0};
    if (bn_run_status_read(run->dir, RUNS_TAIL, &st, &err) != BN_OK) {
        fprintf(stderr, "bitnet-tui: warning: %s (skipped)\n", err.msg);
        return;
    }
    if (st.torn_tail)
        fprintf(stderr, "bitnet-tui: warning: %s/metrics/scalars.jsonl: the last line is not "
                "a whole record (a crash tore it?); skipped\n", run->dir);
    if (json)
        bn_run_status_print_json(&st, now);
    else
        print_row(&st, width, utf8, now);
}

int bn_cmd_runs(const bn_cli *cli)
{
    const char *dir = cli->runs_dir ? cli->runs_dir : "runs";
    struct stat s;
    if (cli->runs_dir && (stat(dir, &s) != 0 || !S_ISDIR(s.st_mode))) {
        fprintf(stderr, "bitnet-tui: --runs-dir %s: no such directory\n", dir);
        return BN_EXIT_INPUT;
    }
    setlocale(LC_CTYPE, "");
    int utf8 = bn_locale_utf8();
    bn_run_info *runs = malloc(sizeof *runs * BN_RUNS_MAX);
    if (!runs) {
        fprintf(stderr, "bitnet-tui: out of memory\n");
        return BN_EXIT_RUNTIME;
    }
    int n = bn_runs_scan(dir, runs, BN_RUNS_MAX);
    int width = id_width(runs, n);
    double now = bn_wall_clock();
    if (!cli->json)
        printf("%-*s %-10s %-8s %9s %5s %6s %5s %5s %3s %4s\n", width, "ID", "EXPERIMENT",
               "STATE", "STEP", "LOSS", "SMOOTH", "EVAL", "TOK/S", "AGE", "SIZE");
    for (int i = 0; i < n; i++)
        show_run(&runs[i], cli->json, width, utf8, now);
    if (n == 0 && !cli->json)
        printf("(no runs in %s)\n", dir);
    free(runs);
    return BN_EXIT_OK;
}
