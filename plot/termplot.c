/* termplot.c - curves as braille (or ASCII) text with axes and a legend (see termplot.h). */
#include "termplot.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scale.h"

static const char symbols[] = "*+ox#@%&";
static const int colors[] = {36, 33, 35, 32, 31, 34}; /* ANSI foreground codes */
#define N_COLORS (int)(sizeof colors / sizeof colors[0])

/* A growing text; oom set once an append fails (the rest is dropped). */
typedef struct {
    char *s;
    size_t len, cap;
    int oom;
} text;

static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[1024];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || t->oom)
        return;
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = (t->cap + (size_t)n + 1) * 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->oom = 1;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
    memcpy(t->s + t->len, tmp, (size_t)n + 1);
    t->len += (size_t)n;
}

/* The plot area: w x h cells, each with its braille dots and the curve that drew last. */
typedef struct {
    int w, h;
    unsigned char *dots;
    signed char *owner;
} canvas;

static void dot(canvas *c, int px, int py, int who)
{
    static const unsigned char bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20},
                                            {0x40, 0x80}};
    if (px < 0 || py < 0 || px >= 2 * c->w || py >= 4 * c->h)
        return;
    int cell = (py / 4) * c->w + px / 2;
    c->dots[cell] |= bit[py % 4][px % 2];
    c->owner[cell] = (signed char)who;
}

/* Every dot on the segment (x0, y0)-(x1, y1) (Bresenham). */
static void segment(canvas *c, int x0, int y0, int x1, int y1, int who)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, e = dx + dy;
    for (;;) {
        dot(c, x0, y0, who);
        if (x0 == x1 && y0 == y1)
            return;
        int e2 = 2 * e;
        if (e2 >= dy) {
            e += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            e += dx;
            y0 += sy;
        }
    }
}

static void draw_curve(canvas *c, const bn_xy *p, const bn_scale *xs, const bn_scale *ys,
                       int who)
{
    int have = 0, lx = 0, ly = 0;
    for (int i = 0; i < p->n; i++) {
        double fx = bn_scale_frac(xs, p->x[i]), fy = bn_scale_frac(ys, p->y[i]);
        if (isnan(fx) || isnan(fy)) {
            have = 0; /* a gap: a value a log axis cannot show */
            continue;
        }
        int px = (int)lround(fx * (2 * c->w - 1)), py = (int)lround((1 - fy) * (4 * c->h - 1));
        if (have)
            segment(c, lx, ly, px, py, who);
        else
            dot(c, px, py, who);
        have = 1;
        lx = px;
        ly = py;
    }
}

static void put_cell(text *t, const canvas *c, int cell, const bn_termplot_opts *o)
{
    if (!c->dots[cell])
        put(t, " ");
    else if (o->utf8)
        put(t, "%c%c%c", 0xE2, 0xA0 + (c->dots[cell] >> 6), 0x80 + (c->dots[cell] & 0x3F));
    else
        put(t, "%c", symbols[c->owner[cell] % (int)(sizeof symbols - 1)]);
}

/* One row of the plot: colour switches only where the owner changes. */
static void put_row(text *t, const canvas *c, int row, const bn_termplot_opts *o)
{
    int shown = -1;
    for (int x = 0; x < c->w; x++) {
        int cell = row * c->w + x, who = c->dots[cell] ? c->owner[cell] : shown;
        if (o->color && who != shown) {
            put(t, "\033[%dm", colors[who % N_COLORS]);
            shown = who;
        }
        put_cell(t, c, cell, o);
    }
    if (o->color && shown >= 0)
        put(t, "\033[0m");
}

/* The y tick labels by row (NULL where none) and their width. */
typedef struct {
    char label[BN_TICKS_MAX][24];
    int row[BN_TICKS_MAX], n, width;
} y_ticks;

static void make_y_ticks(y_ticks *yt, const bn_scale *ys, int h)
{
    double v[BN_TICKS_MAX];
    yt->n = bn_scale_ticks(ys, h / 3 + 1, v);
    yt->width = 1;
    for (int i = 0; i < yt->n; i++) {
        bn_scale_label(v[i], yt->label[i], sizeof yt->label[i]);
        yt->row[i] = (int)lround((1 - bn_scale_frac(ys, v[i])) * (4 * h - 1)) / 4;
        int w = (int)strlen(yt->label[i]);
        yt->width = w > yt->width ? w : yt->width;
    }
}

static void put_plot_rows(text *t, const canvas *c, const y_ticks *yt,
                          const bn_termplot_opts *o)
{
    for (int r = 0; r < c->h; r++) {
        const char *label = "";
        for (int i = 0; i < yt->n; i++)
            if (yt->row[i] == r)
                label = yt->label[i];
        put(t, "%*s %s", yt->width, label,
            label[0] ? (o->utf8 ? "\xE2\x94\xA4" : "+") : (o->utf8 ? "\xE2\x94\x82" : "|"));
        put_row(t, c, r, o);
        put(t, "\n");
    }
}

/* The x axis line with a mark under each tick, then the tick labels and the unit. */
static void put_x_axis(text *t, const bn_scale *xs, int left, int w, const bn_termplot_opts *o)
{
    double v[BN_TICKS_MAX];
    int n = bn_scale_ticks(xs, w / 10 + 1, v), col[BN_TICKS_MAX];
    char line[1024];
    memset(line, ' ', sizeof line);
    put(t, "%*s %s", left, "", o->utf8 ? "\xE2\x94\x94" : "+");
    for (int i = 0; i < n; i++)
        col[i] = (int)lround(bn_scale_frac(xs, v[i]) * (2 * w - 1)) / 2;
    for (int x = 0, k = 0; x < w; x++) {
        int mark = k < n && col[k] == x;
        k += mark;
        put(t, "%s", mark ? (o->utf8 ? "\xE2\x94\xAC" : "+") : (o->utf8 ? "\xE2\x94\x80" : "-"));
    }
    put(t, "\n");
    int end = 0, width = left + 2 + w;
    for (int i = 0; i < n && width < (int)sizeof line; i++) {
        char label[24];
        bn_scale_label(v[i], label, sizeof label);
        int len = (int)strlen(label), at = left + 2 + col[i] - len / 2;
        at = at < 0 ? 0 : at + len > width ? width - len : at;
        if (at >= end) {
            memcpy(line + at, label, (size_t)len);
            end = at + len + 1;
        }
    }
    while (width > 0 && line[width - 1] == ' ')
        width--;
    put(t, "%.*s\n", width, line);
}

static void put_legend(text *t, const char *const *labels, int n, const bn_termplot_opts *o)
{
    for (int i = 0; i < n; i++) {
        put(t, "  ");
        if (o->color)
            put(t, "\033[%dm", colors[i % N_COLORS]);
        if (o->utf8)
            put(t, "\xE2\xA3\xBF\xE2\xA3\xBF");
        else
            put(t, "%c%c", symbols[i % (int)(sizeof symbols - 1)],
                symbols[i % (int)(sizeof symbols - 1)]);
        if (o->color)
            put(t, "\033[0m");
        put(t, " %s", labels[i]);
    }
    put(t, "   x: %s\n", o->x_unit);
}

static void fit(const bn_xy *curves, int n, int log, bn_scale *xs, bn_scale *ys)
{
    bn_scale_begin(xs, 0);
    bn_scale_begin(ys, log);
    for (int i = 0; i < n; i++) {
        bn_scale_widen(xs, curves[i].x, curves[i].n);
        bn_scale_widen(ys, curves[i].y, curves[i].n);
    }
    bn_scale_end(xs, 0.0);
    bn_scale_end(ys, 0.0);
}

char *bn_termplot(const bn_xy *curves, const char *const *labels, int n,
                  const bn_termplot_opts *o)
{
    int cols = o->cols < BN_TERMPLOT_MIN_COLS ? BN_TERMPLOT_MIN_COLS : o->cols;
    int rows = o->rows < BN_TERMPLOT_MIN_ROWS ? BN_TERMPLOT_MIN_ROWS : o->rows;
    bn_scale xs, ys;
    fit(curves, n, o->log, &xs, &ys);
    y_ticks yt;
    canvas c = {0, rows - 4, NULL, NULL};
    make_y_ticks(&yt, &ys, c.h);
    c.w = cols - yt.width - 2;
    c.w = c.w > 1000 ? 1000 : c.w;
    c.dots = calloc((size_t)(c.w * c.h), 1);
    c.owner = calloc((size_t)(c.w * c.h), 1);
    text t = {NULL, 0, 0, !c.dots || !c.owner};
    for (int i = 0; i < n && !t.oom; i++)
        draw_curve(&c, &curves[i], &xs, &ys, i);
    put(&t, "%s\n", o->title);
    put_plot_rows(&t, &c, &yt, o);
    put_x_axis(&t, &xs, yt.width, c.w, o);
    put_legend(&t, labels, n, o);
    free(c.dots);
    free(c.owner);
    if (t.oom) {
        free(t.s);
        return NULL;
    }
    return t.s;
}
