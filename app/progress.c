/* progress.c - the progress line of long commands (app/progress.h). */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double bn_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void bn_progress_start(bn_progress *p)
{
    p->t0 = p->last = bn_now_s();
    p->tty = isatty(2);
    p->shown = 0;
}

void bn_progress_show(bn_progress *p, const char *what, long long done, long long total,
                      double unit, const char *units, const char *extra, int force)
{
    double t = bn_now_s();
    if (force ? !p->tty && !p->shown : t - p->last < (p->tty ? 0.5 : 5.0))
        return;
    p->last = t;
    p->shown = 1;
    double rate = done / (t - p->t0 > 1e-9 ? t - p->t0 : 1e-9);
    double eta = rate > 0 && total > done ? (total - done) / rate : 0;
    int dec = unit > 1 ? 1 : 0;
    fprintf(stderr, "%s%s: %.*f / %.*f %s, %.*f %s/s%s%s, ETA %.0f s%s", p->tty ? "\r" : "",
            what, dec, done / unit, dec, total / unit, units, dec, rate / unit, units,
            extra ? ", " : "", extra ? extra : "", eta, p->tty ? "\033[K" : "\n");
    if (force && p->tty)
        fputc('\n', stderr);
}
