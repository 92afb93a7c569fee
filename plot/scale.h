/* scale.h - a plot's axes, apart from drawing: the range the data spans, round tick values
 * and their labels, and the map from a value to a position (README, "Plotting runs"). */
#ifndef BN_PLOT_SCALE_H
#define BN_PLOT_SCALE_H

#define BN_TICKS_MAX 16

/* An axis: lo..hi in plotted units (log10 of the values when log). */
typedef struct {
    double lo, hi;
    int log;
} bn_scale;

/* Start an empty range (bn_scale_widen then grows it). */
void bn_scale_begin(bn_scale *s, int log);

/* Take the plottable values of v[0..n) into the range (finite; positive on a log axis). */
void bn_scale_widen(bn_scale *s, const double *v, int n);

/* Finish a range: nothing seen becomes 0..1, a flat one is widened around its value, and
 * pad (a fraction of the span, e.g. 0.05) is added on both sides. Returns 0 when nothing was
 * seen. */
int bn_scale_end(bn_scale *s, double pad);

/* Where v lies on the axis: 0 at lo, 1 at hi (outside for values outside); NaN when v
 * cannot be plotted. */
double bn_scale_frac(const bn_scale *s, double v);

/* Round values inside the axis, at most max of them, ascending (steps of 1, 2 or 5 times a
 * power of ten; powers of ten on a log axis spanning a decade or more). Returns the count. */
int bn_scale_ticks(const bn_scale *s, int max, double *out);

/* A tick's label: short (%.4g-like, "1.2k" / "3M" for large values), into out. */
void bn_scale_label(double v, char *out, int cap);

#endif
