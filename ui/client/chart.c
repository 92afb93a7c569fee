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
    free(c->overlay);
    memset(c, 0, sizeof *c);
}

int bn_chart_column_of(int j, int n, int cols)
{
    /* The largest c with floor(c n / cols) <= j. */
    return (int)(((long)(j + 1) * cols + n - 1) / n) - 1;
}

/* Each column's mean validation point (NaN where none): out (cols). -1 when out of memory. */
static int val_columns(const long *steps, int n, int cols, const bn_chart_points *val,
                       double *out)
{
    int *count = calloc((size_t)cols, sizeof *count);
    if (!count)
        return -1;
    for (int c = 0; c < cols; c++)
        out[c] = 0.0;
    int j = 0; /* the last record at or before the point's step */
    for (int i = 0; i < val->n; i++) {
        if (!isfinite(val->v[i]))
            continue;
        while (steps && j + 1 < n && steps[j + 1] <= val->step[i])
            j++;
        int c = bn_chart_column_of(j, n, cols);
        out[c] += val->v[i];
        count[c]++;
    }
    for (int c = 0; c < cols; c++)
        out[c] = count[c] ? out[c] / count[c] : NAN;
    free(count);
    return 0;
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

/* The axis widened to the finite values of v (cols of them). */
static void widen_to(bn_chart_columns *c, const double *v)
{
    bn_chart_axis ax;
    if (!bn_chart_axis_fit(&ax, v, c->columns, NULL, 0, c->axis.log))
        return;
    double lo = c->axis.lo, hi = c->axis.hi;
    c->axis.lo = ax.lo < lo ? ax.lo : lo;
    c->axis.hi = ax.hi > hi ? ax.hi : hi;
}

/* The axis widened to hold the plottable values of v (cols of them), unpadded. */
static void widen_exact(bn_chart_columns *c, const double *v)
{
    for (int i = 0; i < c->columns; i++) {
        if (!plottable(v[i], c->axis.log))
            continue;
        double u = to_axis(v[i], c->axis.log);
        c->axis.lo = u < c->axis.lo ? u : c->axis.lo;
        c->axis.hi = u > c->axis.hi ? u : c->axis.hi;
    }
}

/* The overlay's smoothed loss by column (NaN where none), for the steps of the first run
 * only. Returns -1 when out of memory. */
static int overlay_values(const long *steps, int n, int cols, const bn_chart_overlay *o,
                          double decay, double *out)
{
    double *ema = malloc(sizeof(double) * (size_t)o->n);
    if (!ema)
        return -1;
    bn_chart_ema(o->loss, o->n, decay, ema);
    int lo = 0, hi = o->n;
    while (lo < hi && o->step[lo] < steps[0])
        lo++;
    while (hi > lo && o->step[hi - 1] > steps[n - 1])
        hi--;
    bn_chart_points p = {o->step + lo, ema + lo, hi - lo};
    int r = val_columns(steps, n, cols, &p, out);
    free(ema);
    return r;
}

static int alloc_levels(bn_chart_columns *c, int cols, int lr, int val, int over)
{
    c->raw = malloc(sizeof(int) * (size_t)cols);
    c->smooth = malloc(sizeof(int) * (size_t)cols);
    c->lr = lr ? malloc(sizeof(int) * (size_t)cols) : NULL;
    c->val = val ? malloc(sizeof(int) * (size_t)cols) : NULL;
    c->overlay = over ? malloc(sizeof(int) * (size_t)cols) : NULL;
    return c->raw && c->smooth && (!lr || c->lr) && (!val || c->val) && (!over || c->overlay)
               ? 0 : -1;
}

/* The levels of the columns' values (work: raw, smoothed, -, validation, overlay). */
static void set_levels(bn_chart_columns *c, const double *work, int levels)
{
    int cols = c->columns;
    for (int i = 0; i < cols; i++) {
        c->raw[i] = bn_chart_level(&c->axis, work[i], levels);
        c->smooth[i] = bn_chart_level(&c->axis, work[cols + i], levels);
        if (c->val)
            c->val[i] = bn_chart_level(&c->axis, work[3 * cols + i], levels);
        if (c->overlay)
            c->overlay[i] = bn_chart_level(&c->axis, work[4 * cols + i], levels);
    }
}

int bn_chart_columns_compute_overlay(bn_chart_columns *c, const long *steps,
                                     const double *loss, const double *lr, int n,
                                     const bn_chart_points *val, const bn_chart_overlay *over,
                                     int width, int levels, double decay, int log)
{
    memset(c, 0, sizeof *c);
    if (n <= 0 || width <= 0)
        return -1;
    int cols = n < width ? n : width, has_val = val && val->n > 0;
    int has_over = over && over->n > 0 && steps;
    double *ema = malloc(sizeof(double) * (size_t)n);
    double *work = malloc(sizeof(double) * (size_t)cols * 5);
    int ok = ema && work && alloc_levels(c, cols, lr != NULL, has_val, has_over) == 0;
    double *ema_cols = ok ? work + cols : NULL, *lr_cols = ok ? work + 2 * cols : NULL;
    if (ok) {
        bn_chart_ema(loss, n, decay, ema);
        c->columns = bn_chart_compress(loss, n, width, work);
        bn_chart_compress(ema, n, width, ema_cols);
        bn_chart_axis_fit(&c->axis, work, cols, ema_cols, cols, log);
        if (has_val && (ok = val_columns(steps, n, cols, val, work + 3 * cols) == 0))
            widen_to(c, work + 3 * cols);
        ok = ok && (!has_over || overlay_values(steps, n, cols, over, decay, work + 4 * cols) == 0);
    }
    if (ok && has_over)
        widen_exact(c, work + 4 * cols);
    if (ok)
        set_levels(c, work, levels);
    if (ok && lr) {
        bn_chart_compress(lr, n, width, lr_cols);
        lr_levels(c, lr_cols, levels);
    }
    c->first_step = steps ? steps[0] : 0;
    c->last_step = steps ? steps[n - 1] : n - 1;
    free(ema);
    free(work);
    if (!ok)
        bn_chart_columns_free(c);
    return ok ? 0 : -1;
}

int bn_chart_columns_compute(bn_chart_columns *c, const long *steps, const double *loss,
                             const double *lr, int n, const bn_chart_points *val, int width,
                             int levels, double decay, int log)
{
    return bn_chart_columns_compute_overlay(c, steps, loss, lr, n, val, NULL, width, levels,
                                            decay, log);
}
