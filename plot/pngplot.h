/* pngplot.h - runs' curves as a PNG image through cairo (README, "Plotting runs"): the
 * metric raw (faint) and smoothed (debiased EMA, bold) per run in its own colour, validation
 * loss as filled dots and evaluations as hollow triangles on a 0..1 axis at the right (when
 * the metric is loss), the learning rate in a panel underneath, axis labels with units, a
 * legend and a title. Written through a temporary name and renamed. */
#ifndef BN_PLOT_PNGPLOT_H
#define BN_PLOT_PNGPLOT_H

#include "base/error.h"
#include "io/curve.h"
#include "scale.h"

typedef struct {
    int width, height;  /* pixels */
    double smooth;      /* EMA decay, 0 <= smooth < 1 (0: the raw curve only) */
    int log;            /* log10 y axis for the metric */
    const char *metric; /* its name, for the y label */
    const char *x_unit; /* the x label */
    const char *title;
} bn_pngplot_opts;

typedef struct {
    double x, y, w, h; /* pixels, y down */
} bn_rect;

/* Where the metric's panel and the LR panel (h 0 when there is no LR) lie in an image. */
void bn_pngplot_layout(int width, int height, int has_lr, bn_rect *main, bn_rect *lr);

/* The x range (unpadded) and the metric's y range (raw, smoothed and validation values,
 * padded 5%) that the image uses; -1 when out of memory (for the smoothed values). */
int bn_pngplot_ranges(const bn_curve *curves, int n, const bn_pngplot_opts *o, bn_scale *xs,
                       bn_scale *ys);

/* Draw curves[0..n) (labelled labels[i]) into path. An unwritable path is BN_ERR_INPUT
 * naming it; nothing is left at path then. */
bn_status bn_pngplot_write(const char *path, const bn_curve *curves,
                           const char *const *labels, int n, const bn_pngplot_opts *o,
                           bn_error *err);

#endif
