/* theme.c - the colour and monochrome schemes and the glyph sets. */
#include "theme.h"

static const bn_scheme scheme_color = {
    "color",
    {
        [BN_ROLE_NORMAL] = {-1, -1, A_NORMAL},
        [BN_ROLE_DIM] = {-1, -1, A_DIM},
        [BN_ROLE_TITLE] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL},
        [BN_ROLE_BORDER] = {COLOR_BLUE, -1, A_NORMAL},
        [BN_ROLE_BORDER_FOCUS] = {COLOR_CYAN, -1, A_BOLD},
        [BN_ROLE_SELECTED] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL},
        [BN_ROLE_HEADER] = {COLOR_YELLOW, -1, A_BOLD},
        [BN_ROLE_LOSS_RAW] = {COLOR_BLUE, -1, A_NORMAL},
        [BN_ROLE_LOSS_SMOOTH] = {COLOR_YELLOW, -1, A_BOLD},
        [BN_ROLE_LR] = {COLOR_MAGENTA, -1, A_NORMAL},
        [BN_ROLE_AXIS] = {-1, -1, A_DIM},
        [BN_ROLE_BAR] = {COLOR_GREEN, -1, A_NORMAL},
        [BN_ROLE_GOOD] = {COLOR_GREEN, -1, A_NORMAL},
        [BN_ROLE_WARN] = {COLOR_YELLOW, -1, A_BOLD},
        [BN_ROLE_ERROR] = {COLOR_RED, -1, A_BOLD},
        [BN_ROLE_KEY] = {COLOR_CYAN, -1, A_BOLD},
        [BN_ROLE_BOARD_X] = {COLOR_RED, -1, A_BOLD},
        [BN_ROLE_BOARD_O] = {COLOR_CYAN, -1, A_BOLD},
        [BN_ROLE_INPUT] = {-1, -1, A_BOLD},
        [BN_ROLE_LOSS_VAL] = {COLOR_GREEN, -1, A_BOLD},
        [BN_ROLE_OVERLAY] = {COLOR_CYAN, -1, A_BOLD},
    },
};

/* Attributes only: what NO_COLOR and colourless terminals get. */
static const bn_scheme scheme_mono = {
    "monochrome",
    {
        [BN_ROLE_NORMAL] = {-1, -1, A_NORMAL},
        [BN_ROLE_DIM] = {-1, -1, A_DIM},
        [BN_ROLE_TITLE] = {-1, -1, A_REVERSE},
        [BN_ROLE_BORDER] = {-1, -1, A_NORMAL},
        [BN_ROLE_BORDER_FOCUS] = {-1, -1, A_BOLD},
        [BN_ROLE_SELECTED] = {-1, -1, A_REVERSE},
        [BN_ROLE_HEADER] = {-1, -1, A_BOLD},
        [BN_ROLE_LOSS_RAW] = {-1, -1, A_DIM},
        [BN_ROLE_LOSS_SMOOTH] = {-1, -1, A_BOLD},
        [BN_ROLE_LR] = {-1, -1, A_NORMAL},
        [BN_ROLE_AXIS] = {-1, -1, A_NORMAL},
        [BN_ROLE_BAR] = {-1, -1, A_BOLD},
        [BN_ROLE_GOOD] = {-1, -1, A_NORMAL},
        [BN_ROLE_WARN] = {-1, -1, A_BOLD},
        [BN_ROLE_ERROR] = {-1, -1, A_BOLD | A_UNDERLINE},
        [BN_ROLE_KEY] = {-1, -1, A_BOLD},
        [BN_ROLE_BOARD_X] = {-1, -1, A_BOLD},
        [BN_ROLE_BOARD_O] = {-1, -1, A_UNDERLINE},
        [BN_ROLE_INPUT] = {-1, -1, A_BOLD},
        [BN_ROLE_LOSS_VAL] = {-1, -1, A_BOLD | A_REVERSE},
        [BN_ROLE_OVERLAY] = {-1, -1, A_BOLD},
    },
};

static const bn_glyphs glyphs_unicode = {
    {" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"},
    "\u2022", "\u00b7", "\u2588", "\u2591", "\u25c6", "\u00d7",
};

static const bn_glyphs glyphs_ascii = {
    {" ", ".", ".", ".", ":", ":", ":", "|", "|"}, "*", "+", "#", "-", "o", "x",
};

void bn_theme_init(bn_theme *t, int no_color, int unicode)
{
    t->color = !no_color && has_colors();
    t->scheme = t->color ? &scheme_color : &scheme_mono;
    t->unicode = unicode;
    t->glyphs = unicode ? &glyphs_unicode : &glyphs_ascii;
    if (!t->color)
        return;
    start_color();
    use_default_colors();
    for (int r = 0; r < BN_ROLE_COUNT; r++)
        init_pair((short)(r + 1), t->scheme->style[r].fg, t->scheme->style[r].bg);
}

attr_t bn_theme_attr(const bn_theme *t, bn_role role)
{
    attr_t a = t->scheme->style[role].attr;
    return t->color ? a | COLOR_PAIR(role + 1) : a;
}
