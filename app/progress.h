/* progress.h - the progress line of long commands (tokenizer train, prepare) on stderr: a
 * terminal gets one line redrawn in place twice a second, a pipe or file a line every 5 s
 * (and a last one at the end when it got any). */
#ifndef BN_PROGRESS_H
#define BN_PROGRESS_H

typedef struct {
    double t0, last; /* start, last line shown (seconds, monotonic) */
    int tty, shown;  /* shown: a line was printed (a pipe gets a final one only then) */
} bn_progress;

/* Seconds on the monotonic clock. */
double bn_now_s(void);

/* Start the clock now; tty from whether stderr is a terminal. */
void bn_progress_start(bn_progress *p);

/* "WHAT: DONE / TOTAL UNITS, RATE UNITS/s[, EXTRA], ETA S s", done and total divided by
 * unit (one decimal when unit > 1). Shown when due, or when force (the last line). */
void bn_progress_show(bn_progress *p, const char *what, long long done, long long total,
                      double unit, const char *units, const char *extra, int force);

#endif
