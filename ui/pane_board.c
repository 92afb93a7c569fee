/* pane_board.c - the tic-tac-toe board. A placeholder until the tic-tac-toe issue brings the
 * game API: an empty 3x3 board and a note. */
#include "draw.h"

static void board_draw(bn_pane *p, bn_ui *ui)
{
    bn_draw_box(ui, p->rect, "Board", ui->focus == BN_PANE_BOARD);
    bn_rect in = bn_rect_inner(p->rect);
    static const char *const rows[5] = {" . | . | . ", "---+---+---", " . | . | . ",
                                        "---+---+---", " . | . | . "};
    int x = in.x + (in.w - 11) / 2, y = in.y;
    for (int i = 0; i < 5 && i < in.h - 2; i++)
        bn_draw_text(ui, y + i, x, 11, BN_ROLE_DIM, rows[i]);
    bn_draw_text(ui, in.y + in.h - 2, in.x, in.w, BN_ROLE_NORMAL, "tic-tac-toe arrives with");
    bn_draw_text(ui, in.y + in.h - 1, in.x, in.w, BN_ROLE_NORMAL, "its issue (not built yet)");
}

static int board_key(bn_pane *p, bn_ui *ui, int key)
{
    (void)p;
    (void)ui;
    (void)key;
    return BN_KEY_IGNORED;
}

static void board_resize(bn_pane *p, bn_rect r)
{
    p->rect = r;
}

const bn_pane_ops bn_pane_board_ops = {
    .draw = board_draw,
    .handle_key = board_key,
    .resize = board_resize,
};
