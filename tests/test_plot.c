/* test_plot.c - plot's parts: axis ticks and labels, reading a run's curve (a resumed run's
 * repeated steps once, a torn last line skipped), the terminal chart's raster, and the PNG:
 * it decodes, has the asked size, and the curves' pixels lie where the data says. */
#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "io/curve.h"
#include "pngplot.h"
#include "scale.h"
#include "termplot.h"

static char fixtures[1024];

static void test_ticks(void)
{
    double v[BN_TICKS_MAX];
    bn_scale s = {0.0, 1.0, 0};
    int n = bn_scale_ticks(&s, 6, v);
    CHECK(n == 6 && v[0] == 0.0 && fabs(v[1] - 0.2) < 1e-12 && fabs(v[5] - 1.0) < 1e-12,
          "0..1 in 6: %d ticks, %g %g", n, v[0], v[1]);
    bn_scale l = {0.0, 3.0, 1}; /* 1 .. 1000 */
    n = bn_scale_ticks(&l, 8, v);
    CHECK(n == 4 && v[0] == 1.0 && v[3] == 1000.0, "log decades: %d ticks", n);
    bn_scale w = {13.0, 207.0, 0};
    n = bn_scale_ticks(&w, 5, v);
    CHECK(n == 4 && v[0] == 50.0 && v[3] == 200.0, "13..207 in 5: %d ticks from %g", n, v[0]);
    char label[24];
    bn_scale_label(25600, label, sizeof label);
    CHECK(strcmp(label, "25.6k") == 0, "label %s", label);
    bn_scale_label(0.0005, label, sizeof label);
    CHECK(strcmp(label, "0.0005") == 0, "label %s", label);
    bn_scale f;
    bn_scale_begin(&f, 0);
    double flat[2] = {2.0, 2.0};
    bn_scale_widen(&f, flat, 2);
    CHECK(bn_scale_end(&f, 0.0) && f.lo < 2.0 && f.hi > 2.0, "a flat range is widened");
    CHECK(fabs(bn_scale_frac(&f, 2.0) - 0.5) < 1e-12, "and centred");
}

static void run_dir(char *out, size_t cap, const char *rel)
{
    snprintf(out, cap, "%s/%s", fixtures, rel);
}

/* The resumed run reads as the clean one: steps 10..80 once, the later records' values. */
static void test_resumed(void)
{
    char a[1200], b[1200];
    bn_curve r, c;
    run_dir(a, sizeof a, "resumed/r1");
    run_dir(b, sizeof b, "clean/r1");
    CHECK(bn_curve_read(a, "loss", "step", &r, NULL) == BN_OK, "resumed reads");
    CHECK(bn_curve_read(b, "loss", "step", &c, NULL) == BN_OK, "clean reads");
    CHECK(r.main.n == 8 && c.main.n == 8, "8 steps: %d, %d", r.main.n, c.main.n);
    for (int i = 0; i < r.main.n && i < c.main.n; i++)
        CHECK(r.main.x[i] == 10.0 * (i + 1) && r.main.y[i] == c.main.y[i],
              "point %d: step %g loss %g", i, r.main.x[i], r.main.y[i]);
    CHECK(!r.torn, "not torn");
    bn_curve_free(&r);
    bn_curve_free(&c);
}

static void test_alpha(void)
{
    char a[1200], b[1200];
    bn_curve c;
    run_dir(a, sizeof a, "set/alpha");
    run_dir(b, sizeof b, "set/beta");
    CHECK(bn_curve_read(a, "loss", "tokens", &c, NULL) == BN_OK, "alpha reads");
    CHECK(c.main.n == 20 && c.main.x[0] == 2560.0 && c.main.y[0] == 3.05, "20 points, first "
          "(%g, %g)", c.main.x[0], c.main.y[0]);
    CHECK(c.val.n == 2 && c.val.x[1] == 51200.0, "2 validation points at tokens");
    CHECK(strcmp(c.eval_key, "eval_accuracy") == 0 && c.eval.n == 2 && c.eval.y[1] == 1.0,
          "evaluations: %s", c.eval_key);
    CHECK(c.lr.n == 20, "lr points");
    bn_curve_free(&c);
    bn_error err = {0};
    CHECK(bn_curve_read(b, "val_loss", "step", &c, &err) == BN_ERR_INPUT &&
          strstr(err.msg, "no val_loss values"), "a metric the run lacks: %s", err.msg);
    bn_curve_free(&c);
}

/* A crash's torn last line is skipped, and said. */
static void test_torn(void)
{
    char dir[] = "/tmp/bitnet-plot-torn.XXXXXX", cmd[2400], src[1200];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    run_dir(src, sizeof src, "set/beta/metrics/scalars.jsonl");
    snprintf(cmd, sizeof cmd, "mkdir -p %s/metrics && cp %s %s/metrics/ && printf '{\"step\": "
             "110, \"loss\": 1.7' >> %s/metrics/scalars.jsonl", dir, src, dir, dir);
    CHECK(system(cmd) == 0, "copy");
    bn_curve c;
    CHECK(bn_curve_read(dir, "loss", "step", &c, NULL) == BN_OK, "torn reads");
    CHECK(c.torn && c.main.n == 10, "torn %d, %d points", c.torn, c.main.n);
    bn_curve_free(&c);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "clean up");
}

/* A rising line: bottom-left and top-right cells hold dots, the opposite corners none. */
static void test_termplot(void)
{
    double x[3] = {0, 1, 2}, y[3] = {0, 1, 2};
    bn_xy line = {3, x, y};
    const char *label = "up";
    bn_termplot_opts o = {40, 10, 0, 0, 0, "title", "step"};
    char *t = bn_termplot(&line, &label, 1, &o);
    CHECK(t != NULL, "rendered");
    if (!t)
        return;
    char *rows[16];
    int n = 0;
    for (char *p = strtok(t, "\n"); p && n < 16; p = strtok(NULL, "\n"))
        rows[n++] = p;
    CHECK(n == 10 && strcmp(rows[0], "title") == 0, "10 lines, the title first: %d", n);
    int w = (int)strlen(rows[1]); /* the plot rows are rows[1..6] */
    CHECK(rows[1][w - 1] == '*' && rows[6][w - 1] == ' ', "top right: '%c'", rows[1][w - 1]);
    char *left6 = strchr(rows[6], '+'), *left1 = strchr(rows[1], '+');
    CHECK(left6 && left6[1] == '*', "bottom left starts the line");
    CHECK(left1 && left1[1] == ' ', "top left is empty");
    CHECK(strstr(rows[9], "** up") != NULL, "legend: %s", rows[9]);
    free(t);
}

/* Whether the pixel at (x, y) of an RGB24 image is close to colour rgb (0..255). */
static int pixel_is(cairo_surface_t *s, int x, int y, const int *rgb)
{
    const unsigned char *d = cairo_image_surface_get_data(s);
    const uint32_t px = *(const uint32_t *)(const void *)(d + y * cairo_image_surface_get_stride(s)
                                                          + 4 * x);
    int r = (px >> 16) & 255, g = (px >> 8) & 255, b = px & 255;
    return abs(r - rgb[0]) < 40 && abs(g - rgb[1]) < 40 && abs(b - rgb[2]) < 40;
}

/* Rows of column x within [y0, y1] that hold colour rgb. */
static int rows_with(cairo_surface_t *s, int x, int y0, int y1, const int *rgb)
{
    int n = 0;
    for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < cairo_image_surface_get_height(s); y++)
        n += pixel_is(s, x, y, rgb);
    return n;
}

/* Alpha's and beta's raw curves (no smoothing: drawn opaque): at a few data points the
 * run's colour lies at the data's height and not far from it; beta, half as long, has no
 * pixel right of its last step. */
static void check_pixels(cairo_surface_t *s, const bn_curve *c, const bn_pngplot_opts *o)
{
    static const int blue[3] = {31, 120, 181}, orange[3] = {255, 128, 13};
    bn_rect main, lr;
    bn_scale xs, ys;
    bn_pngplot_layout(o->width, o->height, 1, &main, &lr);
    bn_pngplot_ranges(c, 2, o, &xs, &ys);
    CHECK(xs.lo == 10.0 && xs.hi == 200.0, "x range %g..%g", xs.lo, xs.hi);
    CHECK(fabs(ys.lo - (0.85 - 0.11)) < 1e-9 && fabs(ys.hi - (3.05 + 0.11)) < 1e-9,
          "y range: the data's padded 5%%: %g..%g", ys.lo, ys.hi);
    for (int k = 2; k < 20; k += 5) {
        int x = (int)lround(main.x + (c[0].main.x[k] - 10.0) / 190.0 * main.w);
        int y = (int)lround(main.y + (ys.hi - c[0].main.y[k]) / (ys.hi - ys.lo) * main.h);
        CHECK(rows_with(s, x, y - 3, y + 3, blue) > 0, "alpha at step %g: (%d, %d)",
              c[0].main.x[k], x, y);
        CHECK(rows_with(s, x, y + 40, (int)(main.y + main.h) - 3, blue) == 0 &&
                  rows_with(s, x, (int)main.y + 3, y - 40, blue) == 0,
              "alpha's column %d is empty away from the curve", x);
    }
    int x_end = (int)lround(main.x + (100.0 - 10.0) / 190.0 * main.w);
    int y_end = (int)lround(main.y + (ys.hi - 1.8) / (ys.hi - ys.lo) * main.h);
    CHECK(rows_with(s, x_end - 2, y_end - 4, y_end + 4, orange) > 0, "beta ends at step 100");
    CHECK(rows_with(s, x_end + 30, (int)main.y + 1, (int)(main.y + main.h) - 2, orange) == 0,
          "and draws nothing after it");
}

/* The PNG bn_pngplot_write makes of curves, decoded (a temporary file, removed again);
 * NULL when it was not written. */
static cairo_surface_t *render(const bn_curve *c, const char *const *labels, int n,
                               const bn_pngplot_opts *o)
{
    char path[] = "/tmp/bitnet-plot-test-XXXXXX"; /* mkstemp's template */
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd < 0)
        return NULL;
    close(fd);
    int written = bn_pngplot_write(path, c, labels, n, o, NULL) == BN_OK;
    CHECK(written, "written");
    cairo_surface_t *s = written ? cairo_image_surface_create_from_png(path) : NULL;
    unlink(path);
    return s;
}

static void test_png(void)
{
    char a[1200], b[1200]; /* run directories */
    bn_curve c[2];
    run_dir(a, sizeof a, "set/alpha");
    run_dir(b, sizeof b, "set/beta");
    CHECK(bn_curve_read(a, "loss", "step", &c[0], NULL) == BN_OK, "alpha");
    CHECK(bn_curve_read(b, "loss", "step", &c[1], NULL) == BN_OK, "beta");
    const char *labels[2] = {"alpha", "beta"};
    bn_pngplot_opts o = {900, 700, 0.0, 0, "loss", "step", "alpha, beta"};
    cairo_surface_t *s = render(c, labels, 2, &o);
    int ok = s && cairo_surface_status(s) == CAIRO_STATUS_SUCCESS;
    CHECK(ok, "decodes");
    if (ok) {
        CHECK(cairo_image_surface_get_width(s) == 900 && cairo_image_surface_get_height(s) == 700,
              "900x700: %dx%d", cairo_image_surface_get_width(s),
              cairo_image_surface_get_height(s));
        check_pixels(s, c, &o);
    }
    if (s)
        cairo_surface_destroy(s);
    bn_error err = {0};
    CHECK(bn_pngplot_write("/nonexistent-dir/x.png", c, labels, 2, &o, &err) == BN_ERR_INPUT &&
              strstr(err.msg, "/nonexistent-dir/x.png"), "unwritable: %s", err.msg);
    bn_curve_free(&c[0]);
    bn_curve_free(&c[1]);
}

/* A val_loss plot starts at the first evaluation (step 100) while the learning rate is
 * logged from step 10: the lr curve stays inside its panel, nothing left of its axis. */
static void test_png_lr_clipped(void)
{
    static const int blue[3] = {31, 120, 181};
    char a[1200]; /* the run directory */
    bn_curve c;
    run_dir(a, sizeof a, "set/alpha");
    CHECK(bn_curve_read(a, "val_loss", "step", &c, NULL) == BN_OK, "alpha's val_loss");
    const char *labels[1] = {"alpha"};
    bn_pngplot_opts o = {900, 700, 0.0, 0, "val_loss", "step", "alpha"};
    cairo_surface_t *s = render(&c, labels, 1, &o);
    if (s && cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
        bn_rect main, lr;
        bn_pngplot_layout(o.width, o.height, 1, &main, &lr);
        int left = 0, inside = 0;
        for (int x = (int)lr.x - 60; x < (int)lr.x - 3; x++)
            left += rows_with(s, x, (int)lr.y, (int)(lr.y + lr.h), blue);
        for (int x = (int)lr.x + 5; x < (int)(lr.x + lr.w) - 5; x += 10)
            inside += rows_with(s, x, (int)lr.y, (int)(lr.y + lr.h), blue) > 0;
        CHECK(left == 0, "no lr pixel left of its panel: %d", left);
        CHECK(inside > 0, "the lr curve is drawn inside it");
    } else {
        CHECK(0, "decodes");
    }
    if (s)
        cairo_surface_destroy(s);
    bn_curve_free(&c);
}

int main(void)
{
    const char *src = getenv("srcdir");
    snprintf(fixtures, sizeof fixtures, "%s/tests/fixtures/plot", src ? src : ".");
    test_ticks();
    test_resumed();
    test_alpha();
    test_torn();
    test_termplot();
    test_png();
    test_png_lr_clipped();
    return check_exit("test_plot");
}
