/* draw.c - drawing helpers. */
#include "draw.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bn_rect bn_rect_inner(bn_rect r)
{
    bn_rect in = {r.y + 1, r.x + 1, r.h - 2, r.w - 2};
    return in;
}

void bn_draw_clear(bn_rect r)
{
    for (int y = r.y; y < r.y + r.h; y++)
        mvhline(y, r.x, ' ', r.w);
}

void bn_draw_box(const bn_ui *ui, bn_rect r, const char *title, int focused)
{
    attr_t a = bn_theme_attr(&ui->theme, focused ? BN_ROLE_BORDER_FOCUS : BN_ROLE_BORDER);
    attron(a);
    mvhline(r.y, r.x + 1, ACS_HLINE, r.w - 2);
    mvhline(r.y + r.h - 1, r.x + 1, ACS_HLINE, r.w - 2);
    mvvline(r.y + 1, r.x, ACS_VLINE, r.h - 2);
    mvvline(r.y + 1, r.x + r.w - 1, ACS_VLINE, r.h - 2);
    mvaddch(r.y, r.x, ACS_ULCORNER);
    mvaddch(r.y, r.x + r.w - 1, ACS_URCORNER);
    mvaddch(r.y + r.h - 1, r.x, ACS_LLCORNER);
    mvaddch(r.y + r.h - 1, r.x + r.w - 1, ACS_LRCORNER);
    attroff(a);
    if (title && r.w > 6) {
        char t[256];
        snprintf(t, sizeof t, " %s ", title);
        bn_draw_text(ui, r.y, r.x + 2, r.w - 4, focused ? BN_ROLE_BORDER_FOCUS : BN_ROLE_HEADER,
                     t);
    }
}

void bn_draw_text(const bn_ui *ui, int y, int x, int w, bn_role role, const char *text)
{
    if (w <= 0)
        return;
    attr_t a = bn_theme_attr(&ui->theme, role);
    attron(a);
    mvaddnstr(y, x, text, w);
    attroff(a);
}

void bn_draw_printf(const bn_ui *ui, int y, int x, int w, bn_role role, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    bn_draw_text(ui, y, x, w, role, buf);
}

void bn_draw_glyph(const bn_ui *ui, int y, int x, bn_role role, const char *glyph)
{
    attr_t a = bn_theme_attr(&ui->theme, role);
    attron(a);
    mvaddstr(y, x, glyph);
    attroff(a);
}

void bn_draw_bar(const bn_ui *ui, int y, int x, int w, double frac)
{
    if (frac < 0 || frac != frac)
        frac = 0;
    if (frac > 1)
        frac = 1;
    int done = (int)(frac * w + 0.5);
    for (int i = 0; i < w; i++)
        bn_draw_glyph(ui, y, x + i, i < done ? BN_ROLE_BAR : BN_ROLE_DIM,
                      i < done ? ui->theme.glyphs->bar_done : ui->theme.glyphs->bar_todo);
}

void bn_format_duration(char *out, size_t cap, double seconds)
{
    long s = seconds > 0 ? (long)(seconds + 0.5) : 0;
    snprintf(out, cap, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

void bn_format_count(char *out, size_t cap, double v)
{
    if (v >= 1e9)
        snprintf(out, cap, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(out, cap, "%.2fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(out, cap, "%.1fk", v / 1e3);
    else
        snprintf(out, cap, "%.0f", v);
}
