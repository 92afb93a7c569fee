/* pngplot.c - runs' curves drawn with cairo into a PNG (see pngplot.h). */
#include "pngplot.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/path.h"
#include "client/chart.h"

#define PI 3.14159265358979323846

static const double palette[][3] = {
    {0.12, 0.47, 0.71}, {1.00, 0.50, 0.05}, {0.17, 0.63, 0.17},
    {0.84, 0.15, 0.16}, {0.58, 0.40, 0.74}, {0.55, 0.34, 0.29},
};
#define N_PALETTE (int)(sizeof palette / sizeof palette[0])

/* What one panel maps: its rectangle and its two scales. */
typedef struct {
    cairo_t *cr;
    bn_rect r;
    bn_scale xs, ys;
} panel;

void bn_pngplot_layout(int width, int height, int has_lr, bn_rect *main, bn_rect *lr)
{
    double left = 90, right = 70, top = 50, bottom = 60, gap = 50;
    double h = height - top - bottom;
    double lr_h = has_lr ? floor((h - gap) * 0.25) : 0;
    *main = (bn_rect){left, top, width - left - right, has_lr ? h - gap - lr_h : h};
    *lr = (bn_rect){left, top + main->h + gap, main->w, lr_h};
}

int bn_pngplot_ranges(const bn_curve *curves, int n, const bn_pngplot_opts *o, bn_scale *xs,
                      bn_scale *ys)
{
    int r = 0;
    bn_scale_begin(xs, 0);
    bn_scale_begin(ys, o->log);
    for (int i = 0; i < n; i++) {
        const bn_curve *c = &curves[i];
        double *ema = malloc(sizeof(double) * (size_t)(c->main.n + 1));
        bn_scale_widen(xs, c->main.x, c->main.n);
        bn_scale_widen(ys, c->main.y, c->main.n);
        bn_scale_widen(ys, c->val.y, c->val.n);
        if (ema) {
            bn_chart_ema(c->main.y, c->main.n, o->smooth, ema);
            bn_scale_widen(ys, ema, c->main.n);
        } else {
            r = -1;
        }
        free(ema);
    }
    bn_scale_end(xs, 0.0);
    bn_scale_end(ys, 0.05);
    return r;
}

static double px_x(const panel *p, double v)
{
    return p->r.x + bn_scale_frac(&p->xs, v) * p->r.w;
}

static double px_y(const panel *p, double v)
{
    return p->r.y + (1 - bn_scale_frac(&p->ys, v)) * p->r.h;
}

static void set_color(cairo_t *cr, int i, double alpha)
{
    const double *c = palette[i % N_PALETTE];
    cairo_set_source_rgba(cr, c[0], c[1], c[2], alpha);
}

/* A polyline through the points a log axis can show (a gap where it cannot). */
static void polyline(const panel *p, const double *x, const double *y, int n, double width)
{
    int open = 0;
    for (int i = 0; i < n; i++) {
        double px = px_x(p, x[i]), py = px_y(p, y[i]);
        if (!isfinite(px) || !isfinite(py)) {
            open = 0;
            continue;
        }
        if (open)
            cairo_line_to(p->cr, px, py);
        else
            cairo_move_to(p->cr, px, py);
        open = 1;
    }
    cairo_set_line_width(p->cr, width);
    cairo_set_line_join(p->cr, CAIRO_LINE_JOIN_ROUND);
    cairo_stroke(p->cr);
}

static void text_at(cairo_t *cr, double x, double y, double align, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - align * e.x_advance, y);
    cairo_show_text(cr, s);
}

/* The frame, light grid lines at the ticks and the tick labels of a panel. */
static void axes(const panel *p, int x_labels)
{
    cairo_t *cr = p->cr;
    double v[BN_TICKS_MAX];
    char label[24];
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
    int n = bn_scale_ticks(&p->ys, (int)(p->r.h / 40) + 2, v);
    for (int i = 0; i < n; i++) {
        double y = floor(px_y(p, v[i])) + 0.5;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, p->r.x, y);
        cairo_line_to(cr, p->r.x + p->r.w, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        bn_scale_label(v[i], label, sizeof label);
        text_at(cr, p->r.x - 6, y + 4, 1.0, label);
    }
    n = bn_scale_ticks(&p->xs, (int)(p->r.w / 100) + 2, v);
    for (int i = 0; i < n; i++) {
        double x = floor(px_x(p, v[i])) + 0.5;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, x, p->r.y);
        cairo_line_to(cr, x, p->r.y + p->r.h);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        bn_scale_label(v[i], label, sizeof label);
        if (x_labels)
            text_at(cr, x, p->r.y + p->r.h + 16, 0.5, label);
    }
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_rectangle(cr, p->r.x + 0.5, p->r.y + 0.5, p->r.w - 1, p->r.h - 1);
    cairo_stroke(cr);
}

/* A label along the left side of a panel, turned a quarter. */
static void y_label(const panel *p, const char *s)
{
    cairo_save(p->cr);
    cairo_translate(p->cr, p->r.x - 62, p->r.y + p->r.h / 2);
    cairo_rotate(p->cr, -PI / 2);
    cairo_set_source_rgb(p->cr, 0.1, 0.1, 0.1);
    cairo_set_font_size(p->cr, 13);
    text_at(p->cr, 0, 0, 0.5, s);
    cairo_restore(p->cr);
}

static void marker(cairo_t *cr, double x, double y, int hollow)
{
    if (!isfinite(x) || !isfinite(y))
        return;
    if (hollow) {
        cairo_move_to(cr, x, y - 6);
        cairo_line_to(cr, x + 5, y + 4);
        cairo_line_to(cr, x - 5, y + 4);
        cairo_close_path(cr);
        cairo_set_line_width(cr, 1.8);
        cairo_stroke(cr);
    } else {
        cairo_arc(cr, x, y, 4.5, 0, 2 * PI);
        cairo_fill(cr);
    }
}

/* Run i's metric: raw faint, smoothed bold, then its validation and evaluation markers
 * (evaluations on the right-hand 0..1 axis). */
static int draw_run(const panel *p, const bn_curve *c, int i, double smooth)
{
    double *ema = malloc(sizeof(double) * (size_t)(c->main.n + 1));
    if (!ema)
        return -1;
    int smoothed = smooth > 0;
    set_color(p->cr, i, smoothed ? 0.25 : 1.0);
    polyline(p, c->main.x, c->main.y, c->main.n, smoothed ? 1.0 : 2.0);
    if (smoothed) {
        bn_chart_ema(c->main.y, c->main.n, smooth, ema);
        set_color(p->cr, i, 1.0);
        polyline(p, c->main.x, ema, c->main.n, 2.5);
    }
    free(ema);
    set_color(p->cr, i, 1.0);
    for (int k = 0; k < c->val.n; k++)
        marker(p->cr, px_x(p, c->val.x[k]), px_y(p, c->val.y[k]), 0);
    bn_scale unit = {0.0, 1.0, 0};
    for (int k = 0; k < c->eval.n; k++)
        marker(p->cr, px_x(p, c->eval.x[k]),
               p->r.y + (1 - bn_scale_frac(&unit, c->eval.y[k])) * p->r.h, 1);
    return 0;
}

/* The right-hand axis of the evaluations (0..1), when a run has any. */
static void eval_axis(const panel *p)
{
    cairo_t *cr = p->cr;
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_font_size(cr, 12);
    for (int i = 0; i <= 4; i++)
        text_at(cr, p->r.x + p->r.w + 10, p->r.y + (1 - i / 4.0) * p->r.h + 4, 0.0,
                i == 0 ? "0" : i == 4 ? "1" : i == 2 ? "0.5" : i == 1 ? "0.25" : "0.75");
    cairo_save(cr);
    cairo_translate(cr, p->r.x + p->r.w + 56, p->r.y + p->r.h / 2);
    cairo_rotate(cr, PI / 2);
    cairo_set_font_size(cr, 13);
    text_at(cr, 0, 0, 0.5, "\xE2\x96\xB3 evaluation (fraction)");
    cairo_restore(cr);
}

/* A run's legend entry: its id, and the evaluation its triangles show. */
static void entry(const bn_curve *c, const char *label, char *out, size_t cap)
{
    if (c->eval.n > 0)
        snprintf(out, cap, "%s (\xE2\x96\xB3 %s)", label, c->eval_key);
    else
        snprintf(out, cap, "%s", label);
}

/* The legend in the top right corner of the panel: a swatch per run, then the markers. */
static void legend(const panel *p, const bn_curve *curves, const char *const *labels, int n,
                   int has_val)
{
    cairo_t *cr = p->cr;
    cairo_set_font_size(cr, 12);
    double w = 0;
    char s[256];
    for (int i = 0; i < n; i++) {
        cairo_text_extents_t e;
        entry(&curves[i], labels[i], s, sizeof s);
        cairo_text_extents(cr, s, &e);
        w = e.x_advance > w ? e.x_advance : w;
    }
    w = (w < 80 ? 80 : w) + 40;
    int rows = n + has_val;
    double x = p->r.x + p->r.w - w - 10, y = p->r.y + 10;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, x, y, w, rows * 18 + 8);
    cairo_fill(cr);
    for (int i = 0; i < n; i++) {
        set_color(cr, i, 1.0);
        cairo_rectangle(cr, x + 8, y + 9 + i * 18, 18, 4);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        entry(&curves[i], labels[i], s, sizeof s);
        text_at(cr, x + 32, y + 16 + i * 18, 0.0, s);
    }
    if (has_val) {
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        marker(cr, x + 17, y + 11 + n * 18, 0);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text_at(cr, x + 32, y + 16 + n * 18, 0.0, "val_loss");
    }
}

static void draw_lr(panel *lp, const bn_curve *curves, int n, const bn_pngplot_opts *o)
{
    bn_scale_begin(&lp->ys, 0);
    double zero = 0.0;
    bn_scale_widen(&lp->ys, &zero, 1);
    for (int i = 0; i < n; i++)
        bn_scale_widen(&lp->ys, curves[i].lr.y, curves[i].lr.n);
    bn_scale_end(&lp->ys, 0.05);
    axes(lp, 1);
    y_label(lp, "learning rate");
    /* the x range is the main panel's: a val_loss plot starts at the first evaluation, while
       the learning rate is logged from step 1 */
    cairo_save(lp->cr);
    cairo_rectangle(lp->cr, lp->r.x, lp->r.y - 2, lp->r.w, lp->r.h + 4);
    cairo_clip(lp->cr);
    for (int i = 0; i < n; i++) {
        set_color(lp->cr, i, 1.0);
        polyline(lp, curves[i].lr.x, curves[i].lr.y, curves[i].lr.n, 1.5);
    }
    cairo_restore(lp->cr);
    cairo_set_source_rgb(lp->cr, 0.1, 0.1, 0.1);
    cairo_set_font_size(lp->cr, 13);
    text_at(lp->cr, lp->r.x + lp->r.w / 2, lp->r.y + lp->r.h + 40, 0.5, o->x_unit);
}

static int any(const bn_curve *curves, int n, size_t member)
{
    for (int i = 0; i < n; i++)
        if (((const bn_xy *)(const void *)((const char *)&curves[i] + member))->n > 0)
            return 1;
    return 0;
}

/* -1 when out of memory. */
static int draw_all(cairo_t *cr, const bn_curve *curves, const char *const *labels, int n,
                    const bn_pngplot_opts *o)
{
    int has_lr = any(curves, n, offsetof(bn_curve, lr));
    panel mp = {cr, {0, 0, 0, 0}, {0, 0, 0}, {0, 0, 0}}, lp = mp;
    bn_pngplot_layout(o->width, o->height, has_lr, &mp.r, &lp.r);
    int r = bn_pngplot_ranges(curves, n, o, &mp.xs, &mp.ys);
    lp.xs = mp.xs;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
    cairo_set_font_size(cr, 16);
    text_at(cr, o->width / 2.0, 30, 0.5, o->title);
    axes(&mp, 1);
    char ylabel[96];
    int nats = strcmp(o->metric, "loss") == 0 || strcmp(o->metric, "val_loss") == 0;
    snprintf(ylabel, sizeof ylabel, "%s%s%s", o->metric, nats ? " (nats per token)" : "",
             o->log ? ", log scale" : "");
    y_label(&mp, ylabel);
    cairo_save(cr); /* curves stay in the panel; markers on its edge show whole */
    cairo_rectangle(cr, mp.r.x - 8, mp.r.y - 8, mp.r.w + 16, mp.r.h + 16);
    cairo_clip(cr);
    for (int i = 0; i < n && r == 0; i++)
        r = draw_run(&mp, &curves[i], i, o->smooth);
    cairo_restore(cr);
    if (any(curves, n, offsetof(bn_curve, eval)))
        eval_axis(&mp);
    legend(&mp, curves, labels, n, any(curves, n, offsetof(bn_curve, val)));
    if (has_lr)
        draw_lr(&lp, curves, n, o);
    else {
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text_at(cr, mp.r.x + mp.r.w / 2, mp.r.y + mp.r.h + 40, 0.5, o->x_unit);
    }
    return r;
}

bn_status bn_pngplot_write(const char *path, const bn_curve *curves,
                           const char *const *labels, int n, const bn_pngplot_opts *o,
                           bn_error *err)
{
    char tmp[BN_PATH_MAX];
    bn_status bst = bn_path_printf(tmp, err, "%s.tmp.%ld", path, (long)getpid());
    if (bst != BN_OK)
        return bst;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, o->width, o->height);
    cairo_t *cr = cairo_create(s);
    cairo_status_t st = draw_all(cr, curves, labels, n, o) == 0 ? cairo_status(cr)
                                                                 : CAIRO_STATUS_NO_MEMORY;
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_write_to_png(s, tmp);
    cairo_surface_destroy(s);
    /* No cairo object is left: let go of its and fontconfig's font caches, so that a leak
     * checker sees none (LeakSanitizer under --enable-sanitizers). */
    cairo_debug_reset_static_data();
    FcFini();
    if (st != CAIRO_STATUS_SUCCESS) {
        unlink(tmp);
        return bn_fail(err, st == CAIRO_STATUS_NO_MEMORY ? BN_ERR_NOMEM : BN_ERR_INPUT,
                       "%s: cannot write the image (%s)", path, cairo_status_to_string(st));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot write the image (%s)", path, strerror(e));
    }
    return BN_OK;
}
