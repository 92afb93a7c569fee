/* layout.c - the screen's rectangles. */
#include "client/layout.h"

#include <string.h>

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static bn_rect rect(int y, int x, int h, int w)
{
    bn_rect r = {y, x, h, w};
    return r;
}

/* Up to 110x34: experiments | loss over status | one slot for log, chat or board. */
static void layout_compact(bn_layout *l, bn_pane_id slot_pane)
{
    int body = l->lines - 2, top = 1;
    int bottom_h = clamp(body * 42 / 100, 10, body - 10);
    int top_h = body - bottom_h;
    int left_w = clamp(l->cols * 30 / 100, 24, 34);
    int status_w = clamp(l->cols / 2, 42, 46);
    l->shared_slot = 1;
    l->pane[BN_PANE_EXPERIMENTS] = rect(top, 0, top_h, left_w);
    l->pane[BN_PANE_LOSS] = rect(top, left_w, top_h, l->cols - left_w);
    l->pane[BN_PANE_STATUS] = rect(top + top_h, 0, bottom_h, status_w);
    bn_rect slot = rect(top + top_h, status_w, bottom_h, l->cols - status_w);
    if (slot_pane != BN_PANE_LOG && slot_pane != BN_PANE_CHAT && slot_pane != BN_PANE_BOARD)
        slot_pane = BN_PANE_LOG;
    for (int p = BN_PANE_LOG; p <= BN_PANE_BOARD; p++) {
        l->pane[p] = slot;
        l->visible[p] = p == (int)slot_pane;
    }
    l->visible[BN_PANE_EXPERIMENTS] = l->visible[BN_PANE_LOSS] = 1;
    l->visible[BN_PANE_STATUS] = 1;
}

/* Larger: experiments over board on the left; loss, then status | log, then chat. */
static void layout_wide(bn_layout *l)
{
    int body = l->lines - 2, top = 1;
    int left_w = clamp(l->cols / 4, 28, 40);
    int board_h = 11, chat_h = clamp(body / 5, 7, 12), status_h = 11;
    int right_w = l->cols - left_w, status_w = 46;
    int loss_h = body - chat_h - status_h;
    l->shared_slot = 0;
    l->pane[BN_PANE_EXPERIMENTS] = rect(top, 0, body - board_h, left_w);
    l->pane[BN_PANE_BOARD] = rect(top + body - board_h, 0, board_h, left_w);
    l->pane[BN_PANE_LOSS] = rect(top, left_w, loss_h, right_w);
    l->pane[BN_PANE_STATUS] = rect(top + loss_h, left_w, status_h, status_w);
    l->pane[BN_PANE_LOG] = rect(top + loss_h, left_w + status_w, status_h, right_w - status_w);
    l->pane[BN_PANE_CHAT] = rect(top + loss_h + status_h, left_w, chat_h, right_w);
    for (int p = 0; p < BN_PANE_COUNT; p++)
        l->visible[p] = 1;
}

void bn_layout_compute(bn_layout *l, int lines, int cols, bn_pane_id slot_pane)
{
    memset(l, 0, sizeof *l);
    l->lines = lines;
    l->cols = cols;
    if (lines < BN_MIN_LINES || cols < BN_MIN_COLS) {
        l->too_small = 1;
        return;
    }
    l->title = rect(0, 0, 1, cols);
    l->footer = rect(lines - 1, 0, 1, cols);
    if (cols >= 110 && lines >= 34)
        layout_wide(l);
    else
        layout_compact(l, slot_pane);
}
