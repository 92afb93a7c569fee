/* test_chart.c - the loss chart's arithmetic: compression of a known series into known
 * columns, EMA, axis fitting and levels (linear and log), the validation series' columns,
 * the series' resume handling (both series), and
 * the layout's rectangles at the sizes that matter. */
#include <math.h>
#include <string.h>

#include "client/chart.h"
#include "check.h"
#include "client/layout.h"
#include "client/series.h"

static int near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

static void test_compress(void)
{
    double y[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, out[16];
    int n = bn_chart_compress(y, 10, 5, out);
    CHECK(n == 5, "10 samples into 5 columns gave %d", n);
    const double want5[5] = {0.5, 2.5, 4.5, 6.5, 8.5};
    for (int i = 0; i < 5; i++)
        CHECK(near(out[i], want5[i]), "column %d = %g, want %g", i, out[i], want5[i]);
    /* Uneven buckets: [0,2) [2,5) [5,7) [7,10). */
    n = bn_chart_compress(y, 10, 4, out);
    const double want4[4] = {0.5, 3.0, 5.5, 8.0};
    CHECK(n == 4, "10 into 4 gave %d", n);
    for (int i = 0; i < 4; i++)
        CHECK(near(out[i], want4[i]), "column %d = %g, want %g", i, out[i], want4[i]);
    /* Fewer samples than columns: one column each, unchanged. */
    n = bn_chart_compress(y, 3, 16, out);
    CHECK(n == 3 && out[0] == 0 && out[2] == 2, "short series: %d columns", n);
    CHECK(bn_chart_compress(y, 0, 16, out) == 0, "empty series");
}

static void test_ema(void)
{
    double x[3] = {1.0, 2.0, 4.0}, out[3];
    bn_chart_ema(x, 3, 0.5, out);
    /* m: 0.5, 1.25, 2.625; weight: 0.5, 0.75, 0.875 */
    CHECK(near(out[0], 1.0), "debiased first value %g", out[0]);
    CHECK(near(out[1], 1.25 / 0.75), "second %g", out[1]);
    CHECK(near(out[2], 2.625 / 0.875), "third %g", out[2]);
    bn_chart_ema(x, 3, 0.0, out);
    CHECK(out[0] == 1 && out[1] == 2 && out[2] == 4, "decay 0 is the identity");
}

static void test_axis(void)
{
    double a[4] = {1.0, 3.0, NAN, 2.0};
    bn_chart_axis ax;
    CHECK(bn_chart_axis_fit(&ax, a, 4, NULL, 0, 0) == 1, "fit");
    CHECK(ax.lo == 1.0 && ax.hi == 3.0, "range %g..%g", ax.lo, ax.hi);
    CHECK(bn_chart_level(&ax, 1.0, 16) == 0, "min at the bottom");
    CHECK(bn_chart_level(&ax, 3.0, 16) == 16, "max at the top");
    CHECK(bn_chart_level(&ax, 2.0, 16) == 8, "middle");
    CHECK(bn_chart_level(&ax, 9.0, 16) == 16 && bn_chart_level(&ax, -5, 16) == 0, "clamped");
    CHECK(bn_chart_level(&ax, NAN, 16) == -1, "NaN not plotted");
    CHECK(near(bn_chart_value_at(&ax, 0.5), 2.0), "label value");

    double b[3] = {0.1, 1.0, 10.0};
    CHECK(bn_chart_axis_fit(&ax, b, 3, NULL, 0, 1) == 1, "log fit");
    CHECK(near(ax.lo, -1.0) && near(ax.hi, 1.0), "log range %g..%g", ax.lo, ax.hi);
    CHECK(bn_chart_level(&ax, 1.0, 8) == 4, "1 is the middle of 0.1..10 on a log axis");
    CHECK(bn_chart_level(&ax, 0.0, 8) == -1, "0 not plotted on a log axis");
    CHECK(near(bn_chart_value_at(&ax, 1.0), 10.0), "log label");

    double flat[2] = {2.0, 2.0};
    bn_chart_axis_fit(&ax, flat, 2, NULL, 0, 0);
    CHECK(ax.lo < 2.0 && ax.hi > 2.0 && bn_chart_level(&ax, 2.0, 10) == 5, "flat centred");
    double none[1] = {NAN};
    CHECK(bn_chart_axis_fit(&ax, none, 1, NULL, 0, 0) == 0, "nothing to plot");
}

static void test_columns(void)
{
    /* 8 records into 4 columns of 2: raw means 3.5, 2.5, 1.5, 0.5 -> levels 8 .. 0. */
    long steps[8] = {10, 20, 30, 40, 50, 60, 70, 80};
    double loss[8] = {4, 3, 3, 2, 2, 1, 1, 0}, lr[8] = {0, 1, 2, 2, 2, 2, 1, 0};
    bn_chart_columns c;
    CHECK(bn_chart_columns_compute(&c, steps, loss, lr, 8, NULL, 4, 8, 0.0, 0) == 0, "compute");
    CHECK(c.columns == 4, "columns %d", c.columns);
    CHECK(near(c.axis.lo, 0.5) && near(c.axis.hi, 3.5), "axis %g..%g", c.axis.lo, c.axis.hi);
    const int want_raw[4] = {8, 5, 3, 0};
    for (int i = 0; i < 4; i++) {
        CHECK(c.raw[i] == want_raw[i], "raw column %d level %d, want %d", i, c.raw[i],
              want_raw[i]);
        CHECK(c.smooth[i] == c.raw[i], "decay 0: smooth = raw at %d", i);
    }
    CHECK(c.lr_max == 2.0 && c.lr[0] == 2 && c.lr[1] == 8 && c.lr[3] == 2, "lr levels %d %d %d",
          c.lr[0], c.lr[1], c.lr[3]);
    CHECK(c.first_step == 10 && c.last_step == 80, "step range");
    CHECK(c.val == NULL, "no validation series, no val levels");
    bn_chart_columns_free(&c);
    CHECK(bn_chart_columns_compute(&c, steps, loss, NULL, 0, NULL, 4, 8, 0.9, 0) == -1, "empty");
}

/* The validation series: each point in the column of the last record at or before its
 * step, a column's points averaged, the axis widened to them. */
static void test_val(void)
{
    const int col_of[10] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 2}; /* 10 records, 3 columns */
    for (int j = 0; j < 10; j++)
        CHECK(bn_chart_column_of(j, 10, 3) == col_of[j], "record %d in column %d, want %d", j,
              bn_chart_column_of(j, 10, 3), col_of[j]);
    for (int j = 0; j < 5; j++)
        CHECK(bn_chart_column_of(j, 5, 5) == j, "one record a column: %d", j);
    long steps[8] = {10, 20, 30, 40, 50, 60, 70, 80};
    double loss[8] = {4, 3, 3, 2, 2, 1, 1, 0};
    /* Columns {10,20} {30,40} {50,60} {70,80}: step 5 and 20 in the first (mean 5.0), 45 in
     * the second (after step 40), 50 and 60 in the third (mean 2.5), none in the last. */
    long vstep[5] = {5, 20, 45, 50, 60};
    double vv[5] = {4.5, 5.5, 1.0, 2.0, 3.0};
    bn_chart_points val = {vstep, vv, 5};
    bn_chart_columns c;
    CHECK(bn_chart_columns_compute(&c, steps, loss, NULL, 8, &val, 4, 9, 0.0, 0) == 0,
          "compute with val");
    CHECK(c.val != NULL, "val levels");
    if (!c.val)
        return;
    CHECK(near(c.axis.lo, 0.5) && near(c.axis.hi, 5.0), "axis widened to val: %g..%g",
          c.axis.lo, c.axis.hi);
    const int want_val[4] = {9, 1, 4, -1}, want_raw[4] = {6, 4, 2, 0};
    for (int i = 0; i < 4; i++) {
        CHECK(c.val[i] == want_val[i], "val column %d level %d, want %d", i, c.val[i],
              want_val[i]);
        CHECK(c.raw[i] == want_raw[i], "raw column %d level %d, want %d", i, c.raw[i],
              want_raw[i]);
    }
    bn_chart_columns_free(&c);
    /* A NaN point is no point; all NaN: the axis stays the loss's. */
    double nan_v[1] = {NAN};
    bn_chart_points none = {vstep, nan_v, 1};
    CHECK(bn_chart_columns_compute(&c, steps, loss, NULL, 8, &none, 4, 9, 0.0, 0) == 0 &&
              c.val && c.val[0] == -1 && near(c.axis.hi, 3.5),
          "NaN val: no level, axis of the loss");
    bn_chart_columns_free(&c);
}

/* A second run over the first: by step, smoothed, only within the first run's steps. */
static void test_overlay(void)
{
    long steps[10], ostep[20];
    double loss[10], oloss[20];
    for (int i = 0; i < 10; i++) {
        steps[i] = 10 * (i + 1);
        loss[i] = 1.0 + 0.1 * i; /* 1.0 .. 1.9 */
    }
    for (int j = 0; j < 20; j++) { /* steps 50 .. 240; past 100 a value that must not show */
        ostep[j] = 50 + 10 * j;
        oloss[j] = ostep[j] <= 100 ? 3.0 : 50.0;
    }
    bn_chart_overlay over = {ostep, oloss, 20};
    bn_chart_columns c;
    CHECK(bn_chart_columns_compute_overlay(&c, steps, loss, NULL, 10, NULL, &over, 10, 20, 0.0,
                                           0) == 0, "compute with an overlay");
    CHECK(c.overlay != NULL && c.columns == 10, "overlay levels");
    CHECK(c.axis.hi == 3.0 && c.axis.lo == 1.0, "axis spans the overlay's shown part: %g..%g",
          c.axis.lo, c.axis.hi);
    for (int i = 0; c.overlay && i < 10; i++)
        CHECK(c.overlay[i] == (i < 4 ? -1 : 20), "column %d: %d", i, c.overlay[i]);
    CHECK(c.smooth[0] == 0 && c.smooth[9] == 9, "the first run's levels: %d %d", c.smooth[0],
          c.smooth[9]);
    bn_chart_columns_free(&c);
    CHECK(bn_chart_columns_compute_overlay(&c, steps, loss, NULL, 10, NULL, NULL, 10, 20, 0.0,
                                           0) == 0 && c.overlay == NULL, "no overlay");
    bn_chart_columns_free(&c);
}

static void test_series(void)
{
    bn_series s;
    bn_series_init(&s);
    for (long i = 1; i <= 3000; i++)
        CHECK(bn_series_push(&s, i * 10, 1.0 / (double)i, 1e-3) == 0, "push");
    CHECK(s.n == 3000, "n %d", s.n);
    bn_series_push(&s, 20000, 0.5, 1e-3); /* a resumed run logs from step 20000 again */
    CHECK(s.n == 2000 && s.step[1999] == 20000 && s.loss[1999] == 0.5, "resume: n %d", s.n);
    bn_series_clear(&s);
    /* The validation series: a logged step at or before an evaluation drops it (resume). */
    for (long i = 1; i <= 5; i++) {
        bn_series_push(&s, i * 10, 1.0, 1e-3);
        if (i % 2 == 0)
            CHECK(bn_series_push_val(&s, i * 10, 2.0 + (double)i) == 0, "push val");
    }
    CHECK(s.n_val == 2 && s.val_step[0] == 20 && s.val_step[1] == 40 && s.val[1] == 6.0,
          "val: n %d", s.n_val);
    bn_series_push(&s, 30, 1.0, 1e-3); /* resumed from step 20 */
    CHECK(s.n == 3 && s.n_val == 1 && s.val_step[0] == 20, "val after resume: n %d", s.n_val);
    bn_series_push_val(&s, 30, 7.0);
    CHECK(s.n_val == 2 && s.val_step[1] == 30 && s.val[1] == 7.0, "val at 30: n %d", s.n_val);
    bn_series_clear(&s);
    CHECK(s.n == 0 && s.n_val == 0, "clear empties both");
    bn_series_free(&s);
}

static void test_layout(void)
{
    bn_layout l;
    bn_layout_compute(&l, 23, 80, BN_PANE_LOG);
    CHECK(l.too_small, "79x23 is too small");
    const int sizes[3][2] = {{24, 80}, {30, 100}, {40, 120}};
    for (int k = 0; k < 3; k++) {
        bn_layout_compute(&l, sizes[k][0], sizes[k][1], BN_PANE_CHAT);
        CHECK(!l.too_small, "%dx%d fits", sizes[k][1], sizes[k][0]);
        for (int p = 0; p < BN_PANE_COUNT; p++) {
            bn_rect r = l.pane[p];
            if (!l.visible[p])
                continue;
            CHECK(r.y >= 1 && r.x >= 0 && r.y + r.h <= l.lines - 1 && r.x + r.w <= l.cols,
                  "pane %d inside the screen at %dx%d", p, l.cols, l.lines);
            CHECK(r.h >= 5 && r.w >= 20, "pane %d big enough (%dx%d)", p, r.w, r.h);
            for (int q = 0; q < p; q++) {
                bn_rect o = l.pane[q];
                int overlap = l.visible[q] && r.x < o.x + o.w && o.x < r.x + r.w &&
                              r.y < o.y + o.h && o.y < r.y + r.h;
                CHECK(!overlap, "panes %d and %d overlap at %dx%d", p, q, l.cols, l.lines);
            }
        }
    }
    bn_layout_compute(&l, 24, 80, BN_PANE_CHAT);
    CHECK(l.shared_slot && l.visible[BN_PANE_CHAT] && !l.visible[BN_PANE_LOG], "80x24 slot");
    bn_layout_compute(&l, 40, 120, BN_PANE_CHAT);
    CHECK(!l.shared_slot && l.visible[BN_PANE_LOG] && l.visible[BN_PANE_BOARD], "120x40 all");
}

int main(void)
{
    test_compress();
    test_ema();
    test_axis();
    test_columns();
    test_val();
    test_overlay();
    test_series();
    test_layout();
    return check_exit("test_chart");
}
