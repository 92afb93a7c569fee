/* layout.h - every rectangle of the screen, from one function of LINES and COLS (no curses
 * here). Below 80x24 the screen is "too small". Up to 110x34 the log, chat and board panes
 * share one slot (the one focused last is shown); above, every pane has its own place. */
#ifndef BN_UI_LAYOUT_H
#define BN_UI_LAYOUT_H

#define BN_MIN_COLS 80
#define BN_MIN_LINES 24

typedef struct {
    int y, x, h, w;
} bn_rect;

/* Panes in focus order (Tab). */
typedef enum {
    BN_PANE_EXPERIMENTS, BN_PANE_LOSS, BN_PANE_STATUS, BN_PANE_LOG, BN_PANE_CHAT,
    BN_PANE_BOARD, BN_PANE_COUNT
} bn_pane_id;

typedef struct {
    int lines, cols;
    int too_small;
    int shared_slot;            /* log, chat and board take turns in one rectangle */
    bn_rect title, footer;
    bn_rect pane[BN_PANE_COUNT];
    int visible[BN_PANE_COUNT];
} bn_layout;

/* Lay out a lines x cols screen. slot_pane (LOG, CHAT or BOARD) is the one shown in the
 * shared slot when there is one. */
void bn_layout_compute(bn_layout *l, int lines, int cols, bn_pane_id slot_pane);

#endif
