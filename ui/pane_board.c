/* pane_board.c - tic-tac-toe against the open run's model: a 3x3 board (cells 5 wide, 2
 * high: the mark or the cell's number, then the model's probability for that cell at its
 * last move as a heat map), the cursor, the result and a running score. Keys: arrows or
 * h/j/k/l move, Enter places, 0-8 place at once, c changes side and x / o choose one (a new
 * game), n new game,
 * m asks the model to move. The model answers from the training thread (live run) or from
 * the past-run worker (client/worker.h), which loads the run's latest checkpoint; the UI never
 * waits for it. */
#include <stdio.h>
#include <string.h>

#include "io/checkpoint.h"
#include "draw.h"

#define CELL_W 5
#define BOARD_W (3 * CELL_W + 2)

/* Whether the open run can play (says why not in the message). */
static int board_ready(bn_ui *ui)
{
    const bn_session *s = &ui->session;
    if (s->kind != BN_SESSION_NONE && s->task == &bn_task_tictactoe)
        return 1;
    snprintf(ui->board.message, sizeof ui->board.message,
             "open a tictactoe run to play its model");
    return 0;
}

/* Ask the model for its move, if it is its turn. */
static void board_ask(bn_ui *ui)
{
    bn_board_game *g = &ui->board;
    char b[BN_TTT_CELLS];
    bn_board_cells(g, b);
    if (g->pending || bn_board_humans_turn(g) || bn_ttt_result_of(b, NULL) != BN_TTT_ONGOING)
        return;
    bn_session *s = &ui->session;
    if (!board_ready(ui))
        return;
    char text[BN_TTT_TEXT_MAX];
    bn_ttt_format(&g->game, 0, text, sizeof text);
    long id = 0;
    bn_req_origin origin = BN_ORIGIN_LIVE_RUN;
    if (bn_session_active(s)) {
        id = bn_session_move(s, text);
    } else {
        char ckpt[BN_PATH_MAX];
        bn_error err = {0};
        if (bn_checkpoint_latest(s->run_dir, ckpt, sizeof ckpt, &err) != BN_OK) {
            snprintf(g->message, sizeof g->message, "this run has no checkpoint to play");
            return;
        }
        bn_request req = bn_request_of(BN_REQ_MOVE, text, 0);
        id = bn_worker_post(&ui->worker, ckpt, &req);
        origin = BN_ORIGIN_PAST_RUN;
    }
    if (id)
        bn_board_wait_for(g, origin, id);
    snprintf(g->message, sizeof g->message, "%s",
             id ? "the model is thinking..." : "the model is busy: m asks again");
}

static bn_role heat_role(float p)
{
    return p >= 0.5f ? BN_ROLE_GOOD : p >= 0.15f ? BN_ROLE_WARN : BN_ROLE_DIM;
}

static void draw_cell(bn_pane *p, bn_ui *ui, const char b[BN_TTT_CELLS], int i, int y, int x)
{
    const bn_board_game *g = &ui->board;
    int cursor = ui->focus == BN_PANE_BOARD && g->cursor == i;
    char mark[CELL_W + 1];
    snprintf(mark, sizeof mark, "  %c  ", b[i] == '_' ? (char)('0' + i) : b[i]);
    bn_role role = b[i] == 'X' ? BN_ROLE_BOARD_X : b[i] == 'O' ? BN_ROLE_BOARD_O : BN_ROLE_DIM;
    bn_draw_text(ui, y, x, CELL_W, cursor ? BN_ROLE_SELECTED : role, mark);
    if (!g->have_probs || p->rect.h < 10)
        return;
    float pr = g->probs[i];
    int level = (int)(pr * 8.0f + 0.5f);
    level = level < 0 ? 0 : level > 8 ? 8 : level;
    bn_draw_glyph(ui, y + 1, x, heat_role(pr), ui->theme.glyphs->blocks[level]);
    bn_draw_printf(ui, y + 1, x + 1, CELL_W - 1, heat_role(pr), "%3.0f%%", 100.0 * pr);
}

static void draw_grid(bn_pane *p, bn_ui *ui, int y, int x)
{
    char b[BN_TTT_CELLS];
    bn_board_cells(&ui->board, b);
    int cell_h = p->rect.h >= 10 ? 2 : 1;
    for (int r = 0; r < 3; r++) {
        int cy = y + r * (cell_h + 1);
        for (int c = 0; c < 3; c++) {
            int cx = x + c * (CELL_W + 1);
            draw_cell(p, ui, b, r * 3 + c, cy, cx);
            if (c < 2)
                for (int k = 0; k < cell_h; k++)
                    bn_draw_text(ui, cy + k, cx + CELL_W, 1, BN_ROLE_BORDER, "|");
        }
        if (r < 2)
            bn_draw_text(ui, cy + cell_h, x, BOARD_W, BN_ROLE_BORDER, "-----+-----+-----");
    }
}

/* The message, wrapped into the rectangle's lines. */
static void draw_wrapped(bn_ui *ui, int y, int x, int w, int lines, bn_role role,
                         const char *text)
{
    int len = (int)strlen(text), pos = 0;
    for (int l = 0; l < lines && pos < len && w > 0; l++) {
        int n = len - pos <= w ? len - pos : w;
        if (pos + n < len) /* break at the last space that fits */
            for (int k = n; k > w / 2; k--)
                if (text[pos + k] == ' ') {
                    n = k;
                    break;
                }
        char line[128];
        snprintf(line, sizeof line, "%.*s", n, text + pos);
        bn_draw_text(ui, y + l, x, w, role, line);
        pos += n;
        while (text[pos] == ' ')
            pos++;
    }
}

static void board_draw(bn_pane *p, bn_ui *ui)
{
    bn_board_game *g = &ui->board;
    char title[64];
    snprintf(title, sizeof title, "Board: you %c  %d-%d-%d", g->human, g->wins, g->losses,
             g->draws);
    bn_draw_box(ui, p->rect, title, ui->focus == BN_PANE_BOARD);
    bn_rect in = bn_rect_inner(p->rect);
    draw_grid(p, ui, in.y, in.x);
    int grid_h = p->rect.h >= 10 ? 8 : 5;
    int info_x = in.x + BOARD_W + 2, info_w = in.x + in.w - info_x;
    bn_ttt_result r = bn_board_result(g);
    bn_role role = r == BN_TTT_ONGOING ? BN_ROLE_NORMAL : BN_ROLE_GOOD;
    if (info_w >= 12) {
        bn_draw_printf(ui, in.y, info_x, info_w, BN_ROLE_HEADER, "you %c, model %c", g->human,
                       g->human == 'X' ? 'O' : 'X');
        bn_draw_printf(ui, in.y + 1, info_x, info_w, BN_ROLE_NORMAL, "won %d lost %d drawn %d",
                       g->wins, g->losses, g->draws);
        int lines = in.h - 4;
        draw_wrapped(ui, in.y + 2, info_x, info_w, lines > 1 ? lines : 1, role, g->message);
        if (in.h >= 6)
            bn_draw_text(ui, in.y + in.h - 2, info_x, info_w, BN_ROLE_KEY, "0-8/arrows Enter");
        bn_draw_text(ui, in.y + in.h - 1, info_x, info_w, BN_ROLE_KEY, "c side  n new");
    } else if (in.h > grid_h) {
        draw_wrapped(ui, in.y + grid_h, in.x, in.w, in.h - grid_h, role, g->message);
    }
}

static int board_key(bn_pane *p, bn_ui *ui, int key)
{
    (void)p;
    bn_board_game *g = &ui->board;
    int r = g->cursor / 3, c = g->cursor % 3;
    switch (key) {
    case KEY_UP: case 'k': r = (r + 2) % 3; break;
    case KEY_DOWN: case 'j': r = (r + 1) % 3; break;
    case KEY_LEFT: case 'h': c = (c + 2) % 3; break;
    case KEY_RIGHT: case 'l': c = (c + 1) % 3; break;
    case '\n': case '\r': case KEY_ENTER:
        if (board_ready(ui) && bn_board_place(g, g->cursor))
            board_ask(ui);
        return BN_KEY_HANDLED | BN_KEY_REDRAW;
    case 'n': case 'N':
        bn_board_new_game(g, g->human);
        board_ask(ui);
        return BN_KEY_HANDLED | BN_KEY_REDRAW;
    case 'c': case 'C': case 'X': case 'O': case 'x': case 'o': {
        char side = key == 'X' || key == 'x' ? 'X' : key == 'O' || key == 'o' ? 'O' : 0;
        bn_board_new_game(g, side ? side : g->human == 'X' ? 'O' : 'X');
        board_ask(ui);
        return BN_KEY_HANDLED | BN_KEY_REDRAW;
    }
    case 'm': case 'M':
        g->pending = 0; /* an answer lost with its run is not waited for */
        board_ask(ui);
        return BN_KEY_HANDLED | BN_KEY_REDRAW;
    default:
        /* Digits place marks in a tic-tac-toe run; elsewhere 1-6 still choose a pane. */
        if (key >= '0' && key <= '8' && ui->session.task == &bn_task_tictactoe &&
            ui->session.kind != BN_SESSION_NONE) {
            g->cursor = key - '0';
            if (bn_board_place(g, g->cursor))
                board_ask(ui);
            return BN_KEY_HANDLED | BN_KEY_REDRAW;
        }
        return BN_KEY_IGNORED;
    }
    g->cursor = r * 3 + c;
    return BN_KEY_HANDLED | BN_KEY_REDRAW;
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
