/* runview.h - what `runs` and `status` share: short forms of durations, sizes and figures
 * for a table cell, and a run's status as one JSON object (README, "Run tools"). */
#ifndef BN_RUNVIEW_H
#define BN_RUNVIEW_H

#include <stddef.h>

#include <jansson.h>

#include "io/runstat.h"

/* "1:02:03" (hours unbounded); "-" for NaN or negative. */
void bn_fmt_duration(char *out, size_t cap, double seconds);

/* At most 3 characters: "45s", "12m", "3h", "5d", "12w"; "-" for NaN. */
void bn_fmt_age(char *out, size_t cap, double seconds);

/* At most 4 characters: "812B", "12K", "1.2M", "123M", "1.2G". */
void bn_fmt_bytes(char *out, size_t cap, long long bytes);

/* At most 5 characters: "842", "12.3k", "123k", "1.23M"; "-" for NaN. */
void bn_fmt_count(char *out, size_t cap, double v);

/* A loss in at most 5 characters ("1.234", "12.34", "123.4"); "-" for NaN. */
void bn_fmt_loss(char *out, size_t cap, double v);

/* An evaluation's value in at most 6 characters: a count as an integer, a rate (an eval_ key in [0, 1]) as a
 * percentage "97.3%", anything else as bn_fmt_loss does (val_loss, val_bpb, counts). */
void bn_fmt_eval(char *out, size_t cap, const bn_run_eval_value *e);

/* Whether the locale's characters are UTF-8 (after setlocale(LC_CTYPE, "")). */
int bn_locale_utf8(void);

/* Everything `status` shows, as one JSON line on stdout (now: the clock, for the ages);
 * nothing when out of memory. */
void bn_run_status_print_json(const bn_run_status *st, double now);

/* Seconds since the epoch, as the files' mtimes count them. */
double bn_wall_clock(void);

#endif
