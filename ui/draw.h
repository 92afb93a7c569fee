/* draw.h - small drawing helpers over stdscr: boxes with titles, clipped text by role, a
 * progress bar, and number formats shared by the panes. */
#ifndef BN_UI_DRAW_H
#define BN_UI_DRAW_H

#include <stddef.h>

#include "ui.h"

/* The inside of a boxed rectangle. */
bn_rect bn_rect_inner(bn_rect r);

void bn_draw_clear(bn_rect r);
void bn_draw_box(const bn_ui *ui, bn_rect r, const char *title, int focused);

/* ASCII text at (y, x), cut to w columns. */
void bn_draw_text(const bn_ui *ui, int y, int x, int w, bn_role role, const char *text);
void bn_draw_printf(const bn_ui *ui, int y, int x, int w, bn_role role, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* One glyph (a UTF-8 or ASCII string of one cell). */
void bn_draw_glyph(const bn_ui *ui, int y, int x, bn_role role, const char *glyph);

/* A bar of w cells, frac of it done. */
void bn_draw_bar(const bn_ui *ui, int y, int x, int w, double frac);

/* "1:02:03" */
void bn_format_duration(char *out, size_t cap, double seconds);
/* "950", "12.3k", "4.56M", "1.23G" */
void bn_format_count(char *out, size_t cap, double v);

#endif
