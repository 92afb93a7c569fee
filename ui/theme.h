/* theme.h - colours by role through a scheme table (a colour scheme and a monochrome one
 * for NO_COLOR and terminals without colour), and the glyphs: Unicode blocks, or ASCII when
 * the locale is not UTF-8. */
#ifndef BN_UI_THEME_H
#define BN_UI_THEME_H

#include "curses_inc.h"

typedef enum {
    BN_ROLE_NORMAL, BN_ROLE_DIM, BN_ROLE_TITLE, BN_ROLE_BORDER, BN_ROLE_BORDER_FOCUS,
    BN_ROLE_SELECTED, BN_ROLE_HEADER, BN_ROLE_LOSS_RAW, BN_ROLE_LOSS_SMOOTH, BN_ROLE_LR,
    BN_ROLE_AXIS, BN_ROLE_BAR, BN_ROLE_GOOD, BN_ROLE_WARN, BN_ROLE_ERROR, BN_ROLE_KEY,
    BN_ROLE_BOARD_X, BN_ROLE_BOARD_O, BN_ROLE_INPUT, BN_ROLE_LOSS_VAL, BN_ROLE_OVERLAY,
    BN_ROLE_COUNT
} bn_role;

typedef struct {
    short fg, bg; /* curses colours; -1 = the terminal's default */
    attr_t attr;
} bn_style;

typedef struct {
    const char *name;
    bn_style style[BN_ROLE_COUNT];
} bn_scheme;

typedef struct {
    const char *blocks[9]; /* 0..8 eighths of a cell filled from the bottom */
    const char *smooth;    /* the smoothed loss */
    const char *lr;        /* the LR curve */
    const char *bar_done, *bar_todo; /* progress bar */
    const char *val;       /* the validation loss (held-out evaluations) */
    const char *overlay;   /* a second run's smoothed loss */
} bn_glyphs;

typedef struct {
    const bn_scheme *scheme;
    const bn_glyphs *glyphs;
    int color, unicode;
} bn_theme;

/* Pick the scheme (colour unless no_color or the terminal has none) and the glyphs; sets up
 * the colour pairs. Call after initscr. */
void bn_theme_init(bn_theme *t, int no_color, int unicode);

/* The attributes (colour pair included) of a role. */
attr_t bn_theme_attr(const bn_theme *t, bn_role role);

#endif
