/* termplot.h - a chart as terminal text (README, "Plotting runs"): curves drawn with braille
 * cells (2x4 dots each, U+2800..U+28FF) or, without UTF-8, one ASCII symbol per run; y ticks
 * on the left, x ticks under the plot, a title line above and a legend line below that ends
 * with the x unit. Pure text: the caller writes it. */
#ifndef BN_PLOT_TERMPLOT_H
#define BN_PLOT_TERMPLOT_H

#include "io/curve.h"

#define BN_TERMPLOT_MIN_COLS 30
#define BN_TERMPLOT_MIN_ROWS 8

typedef struct {
    int cols, rows;     /* the whole picture in cells (at least the minimums above) */
    int utf8;           /* braille and box drawing; else ASCII */
    int color;          /* ANSI colours, one per curve */
    int log;            /* log10 y axis */
    const char *title;  /* the first line */
    const char *x_unit; /* written at the end of the legend line */
} bn_termplot_opts;

/* The picture of curves[0..n) (labelled labels[i]) as lines of text, each ending in '\n';
 * malloc'd (caller frees), NULL when out of memory. */
char *bn_termplot(const bn_xy *curves, const char *const *labels, int n,
                  const bn_termplot_opts *o);

#endif
