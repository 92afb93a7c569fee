/* chart.h - the loss chart's arithmetic, apart from drawing (no curses here, so tests can
 * check it): a history compressed to the pane's width, its smoothing, an auto-scaled y axis,
 * and the level of each column in sub-cell steps. */
#ifndef BN_UI_CHART_H
#define BN_UI_CHART_H

/* A y axis: values lo..hi map to the bottom..top of the plot; with log set, log10 of them. */
typedef struct {
    double lo, hi; /* in plotted units (log10 of the values when log) */
    int log;
} bn_chart_axis;

/* Compress n samples into k = min(n, width) columns: column c is the mean of the samples
 * [c*n/k, (c+1)*n/k) (integer division), so every sample lands in exactly one column and the
 * whole history fits. Returns the number of columns written to out. */
int bn_chart_compress(const double *y, int n, int width, double *out);

/* Debiased exponential moving average: out[i] = m_i / (1 - decay^(i+1)) with
 * m_i = decay m_{i-1} + (1 - decay) x_i, m_{-1} = 0 (decay 0: out = x). */
void bn_chart_ema(const double *x, int n, double decay, double *out);

/* Fit an axis to the finite values of a[0..na) and b[0..nb) (b may be NULL); with log, to
 * the positive ones. A flat series gets a range around its value. Returns 0 when there is
 * nothing to plot. */
int bn_chart_axis_fit(bn_chart_axis *ax, const double *a, int na, const double *b, int nb,
                      int log);

/* The level of v on a plot of `levels` sub-cell steps: 0 (bottom) .. levels (top), rounded,
 * clamped; -1 when v cannot be plotted (NaN, or <= 0 on a log axis). */
int bn_chart_level(const bn_chart_axis *ax, double v, int levels);

/* The value at height frac (0 bottom, 1 top) of the axis, for labels. */
double bn_chart_value_at(const bn_chart_axis *ax, double frac);

/* Points at some steps (a validation series: an evaluation's held-out loss). */
typedef struct {
    const long *step;  /* ascending */
    const double *v;
    int n;
} bn_chart_points;

/* Everything one drawing of the chart needs, for `width` columns and `levels` steps. */
typedef struct {
    int columns;       /* used columns (<= width) */
    int *raw;          /* (columns) level of the mean raw loss, -1 = none */
    int *smooth;       /* (columns) level of the smoothed loss */
    int *val;          /* (columns) level of the mean validation point of the column, -1 =
                          none; NULL without a validation series */
    int *lr;           /* (columns) level of the LR on its own 0..max axis, or NULL */
    int *overlay;      /* (columns) level of a second run's smoothed loss, -1 = none; NULL
                          without one */
    bn_chart_axis axis;
    double lr_max;
    long first_step, last_step;
} bn_chart_columns;

/* Compute the columns of a history (steps, loss, lr of n records; lr may be NULL) with the
 * given EMA decay, and of a validation series (val: NULL or no points for none). A
 * validation point at step s belongs to the column of the last record at or before s (the
 * first record's when s is before it); the y axis spans the validation points too. The
 * arrays are malloc'd; free with bn_chart_columns_free. Returns 0 on success, -1 on
 * allocation failure or when n == 0 (columns is 0 then). */
int bn_chart_columns_compute(bn_chart_columns *c, const long *steps, const double *loss,
                             const double *lr, int n, const bn_chart_points *val, int width,
                             int levels, double decay, int log);

/* A second run's history drawn over the first (the TUI's overlay, README "Terminal UI"):
 * its smoothed loss (the same decay), each column the mean of its records whose step falls
 * in that column's steps (the last record of the first run at or before it); records before
 * the first run's first step or after its last are not shown. The y axis spans them too. */
typedef struct {
    const long *step;  /* ascending */
    const double *loss;
    int n;
} bn_chart_overlay;

/* bn_chart_columns_compute, with an overlay (NULL: none; c->overlay is NULL then). */
int bn_chart_columns_compute_overlay(bn_chart_columns *c, const long *steps,
                                     const double *loss, const double *lr, int n,
                                     const bn_chart_points *val, const bn_chart_overlay *over,
                                     int width, int levels, double decay, int log);

/* The column (of `cols` over n records, as bn_chart_compress cuts them) that holds the
 * record of index j. */
int bn_chart_column_of(int j, int n, int cols);
void bn_chart_columns_free(bn_chart_columns *c);

#endif
