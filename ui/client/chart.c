/* chart.c - compression, smoothing and scaling for the loss chart. */
#include "client/chart.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int bn_chart_compress(const double *y, int n, int width, double *out)
{
    if (n <= 0 || width <= 0)
        return 0;
    int cols = n < width ? n : width;
    for (int c = 0; c < cols; c++) {
        long lo = (long)c * n / cols, hi = (long)(c + 1) * n / cols;
        double sum = 0.0;
        for (long i = lo; i < hi; i++)
            sum += y[i];
        out[c] = sum / (double)(hi - lo);
    }
    return cols;
}

void bn_chart_ema(const double *x, int n, double decay, double *out)
{
    double m = 0.0, weight = 0.0;
    for (int i = 0; i < n; i++) {
        m = decay * m + (1.0 - decay) * x[i];
        weight = decay * weight + (1.0 - decay);
        out[i] = weight > 0 ? m / weight : x[i];
    }
}

static int plottable(double v, int log)
{
    return isfinite(v) && (!log || v > 0);
}

static double to_axis(double v, int log)
{
    return log ? log10(v) : v;
}

static void widen(double *lo, double *hi, const double *v, int n, int log)
{
    for (int i = 0; i < n; i++) {
        if (!plottable(v[i], log))
            continue;
        double u = to_axis(v[i], log);
        if (u < *lo)
            *lo = u;
        if (u > *hi)
            *hi = u;
    }
}

int bn_chart_axis_fit(bn_chart_axis *ax, const double *a, int na, const double *b, int nb,
                      int log)
{
    double lo = INFINITY, hi = -INFINITY;
    widen(&lo, &hi, a, na, log);
    if (b)
        widen(&lo, &hi, b, nb, log);
    ax->log = log;
    if (lo > hi) {
        ax->lo = 0.0;
        ax->hi = 1.0;
        return 0;
    }
    if (hi - lo < 1e-12) { /* flat: centre it */
        double pad = fabs(lo) > 1e-12 ? fabs(lo) * 0.05 : 0.5;
        lo -= pad;
        hi += pad;
    }
    ax->lo = lo;
    ax->hi = hi;
    return 1;
}

int bn_chart_level(const bn_chart_axis *ax, double v, int levels)
{
    if (!plottable(v, ax->log))
        return -1;
    double f = (to_axis(v, ax->log) - ax->lo) / (ax->hi - ax->lo);
    long level = lround(f * levels);
    return level < 0 ? 0 : level > levels ? levels : (int)level;
}

double bn_chart_value_at(const bn_chart_axis *ax, double frac)
{
    double u = ax->lo + frac * (ax->hi - ax->lo);
    return ax->log ? pow(10.0, u) : u;
}

void bn_chart_columns_free(bn_chart_columns *c)
{
    free(c->raw);
    free(c->smooth);
    free(c->lr);
    free(c->val);
    memset(c, 0, sizeof *c);
}

int bn_chart_column_of(int j, int n, int cols)
{
    /* The largest c with floor(c n / cols) <= j. */
    return (int)(((long)(j + 1) * cols + n - 1) / n) - 1;
}

/* Each column's mean validation point (NaN where none): out (cols). */
static void val_columns(const long *steps, int n, int cols, const bn_chart_points *val,
                        double *out)
{
    int *count = calloc((size_t)cols, sizeof *count);
    for (int c = 0; c < cols; c++)
        out[c] = 0.0;
    int j = 0; /* the last record at or before the point's step */
    for (int i = 0; count && i < val->n; i++) {
        if (!isfinite(val->v[i]))
            continue;
        while (steps && j + 1 < n && steps[j + 1] <= val->step[i])
            j++;
        int c = bn_chart_column_of(j, n, cols);
        out[c] += val->v[i];
        count[c]++;
    }
    for (int c = 0; c < cols; c++)
        out[c] = count && count[c] ? out[c] / count[c] : NAN;
    free(count);
}

/* Levels of the LR on its own axis, 0 .. its maximum. */
static void lr_levels(bn_chart_columns *c, const double *lr_cols, int levels)
{
    c->lr_max = 0.0;
    for (int i = 0; i < c->columns; i++)
        if (isfinite(lr_cols[i]) && lr_cols[i] > c->lr_max)
            c->lr_max = lr_cols[i];
    bn_chart_axis ax = {0.0, c->lr_max > 0 ? c->lr_max : 1.0, 0};
    for (int i = 0; i < c->columns; i++)
        c->lr[i] = bn_chart_level(&ax, lr_cols[i], levels);
}

/* The validation series' columns and the axis widened to them; their levels come later. */
static void fit_val(bn_chart_columns *c, const long *steps, int n, const bn_chart_points *val,
                    double *val_cols)
{
    val_columns(steps, n, c->columns, val, val_cols);
    bn_chart_axis ax;
    if (!bn_chart_axis_fit(&ax, val_cols, c->columns, NULL, 0, c->axis.log))
        return;
    double lo = c->axis.lo, hi = c->axis.hi;
    c->axis.lo = ax.lo < lo ? ax.lo : lo;
    c->axis.hi = ax.hi > hi ? ax.hi : hi;
}

int bn_chart_columns_compute(bn_chart_columns *c, const long *steps, const double *loss,
                             const double *lr, int n, const bn_chart_points *val, int width,
                             int levels, double decay, int log)
{
    memset(c, 0, sizeof *c);
    if (n <= 0 || width <= 0)
        return -1;
    int cols = n < width ? n : width, has_val = val && val->n > 0;
    double *ema = malloc(sizeof(double) * (size_t)n);
    double *raw_cols = malloc(sizeof(double) * (size_t)cols * 4);
    c->raw = malloc(sizeof(int) * (size_t)cols);
    c->smooth = malloc(sizeof(int) * (size_t)cols);
    c->lr = lr ? malloc(sizeof(int) * (size_t)cols) : NULL;
    c->val = has_val ? malloc(sizeof(int) * (size_t)cols) : NULL;
    if (!ema || !raw_cols || !c->raw || !c->smooth || (lr && !c->lr) || (has_val && !c->val)) {
        free(ema);
        free(raw_cols);
        bn_chart_columns_free(c);
        return -1;
    }
    double *ema_cols = raw_cols + cols, *lr_cols = raw_cols + 2 * cols;
    double *val_cols = raw_cols + 3 * cols;
    bn_chart_ema(loss, n, decay, ema);
    c->columns = bn_chart_compress(loss, n, width, raw_cols);
    bn_chart_compress(ema, n, width, ema_cols);
    bn_chart_axis_fit(&c->axis, raw_cols, cols, ema_cols, cols, log);
    if (has_val)
        fit_val(c, steps, n, val, val_cols);
    for (int i = 0; i < cols; i++) {
        c->raw[i] = bn_chart_level(&c->axis, raw_cols[i], levels);
        c->smooth[i] = bn_chart_level(&c->axis, ema_cols[i], levels);
        if (has_val)
            c->val[i] = bn_chart_level(&c->axis, val_cols[i], levels);
    }
    if (lr) {
        bn_chart_compress(lr, n, width, lr_cols);
        lr_levels(c, lr_cols, levels);
    }
    c->first_step = steps ? steps[0] : 0;
    c->last_step = steps ? steps[n - 1] : n - 1;
    free(ema);
    free(raw_cols);
    return 0;
}
