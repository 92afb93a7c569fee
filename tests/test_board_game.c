/* test_board_game.c - the board pane's game without curses: turns, taken cells, the model's
 * answers (stale ones and other servers' ignored), results and the running score; and the
 * typed request slots that carry the moves. */
#include <string.h>

#include "client/board.h"
#include "check.h"

/* The model's answer event for the worker's request id: cell, with some probabilities. */
static bn_ui_event answer(long id, int cell)
{
    bn_ui_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = BN_UI_EV_MOVE;
    ev.origin = BN_ORIGIN_PAST_RUN;
    ev.id = id;
    ev.done = 1;
    ev.cell = ev.top_digit = cell;
    ev.legal = 1;
    for (int i = 0; i < 9; i++)
        ev.probs[i] = i == cell ? 0.9f : 0.0125f;
    return ev;
}

/* One slot per kind, ids numbered per server, oldest first, refused while busy. */
static void check_requests(void)
{
    bn_requests r;
    bn_requests_init(&r, BN_ORIGIN_PAST_RUN);
    bn_request out;
    CHECK(!bn_requests_waiting(&r) && !bn_requests_take(&r, &out), "empty at first");
    bn_request move = bn_request_of(BN_REQ_MOVE, "X4 O0", 0);
    bn_request gen = bn_request_of(BN_REQ_GENERATE, "12+34=", 8);
    CHECK(bn_requests_post(&r, &move) == 1, "the first request is id 1");
    CHECK(bn_requests_post(&r, &move) == 0, "a second move waits for the first");
    CHECK(bn_requests_post(&r, &gen) == 2, "a prompt has its own slot");
    CHECK(bn_requests_take(&r, &out) && out.kind == BN_REQ_MOVE && out.id == 1 &&
              out.origin == BN_ORIGIN_PAST_RUN && strcmp(out.text, "X4 O0") == 0,
          "the oldest comes first, with its origin and text");
    CHECK(bn_requests_post(&r, &move) == 0, "a move being served still refuses another");
    CHECK(bn_requests_take(&r, &out) && out.kind == BN_REQ_GENERATE && out.max_new == 8,
          "then the prompt");
    CHECK(!bn_requests_take(&r, &out), "nothing more waits");
    bn_requests_done(&r, BN_REQ_MOVE);
    CHECK(bn_requests_post(&r, &move) == 3, "answered: the slot takes the next, id 3");
    bn_requests live;
    memset(&live, 0, sizeof live);
    CHECK(bn_requests_post(&live, &gen) == 1 && live.slot[BN_REQ_GENERATE].origin ==
                                                     BN_ORIGIN_LIVE_RUN,
          "a zeroed set is a live run's, numbering its own ids");
}

int main(void)
{
    check_requests();
    bn_board_game g;
    memset(&g, 0, sizeof g);
    bn_board_new_game(&g, 'X');
    CHECK(bn_board_humans_turn(&g), "X starts");
    CHECK(bn_board_place(&g, 4), "place the centre");
    CHECK(!bn_board_place(&g, 0), "not twice in a row");
    bn_board_wait_for(&g, BN_ORIGIN_PAST_RUN, 7);
    bn_ui_event stale = answer(6, 0);
    bn_board_apply(&g, &stale);
    CHECK(g.pending == 7 && !bn_board_humans_turn(&g), "another request's answer is ignored");
    bn_ui_event live = answer(7, 0);
    live.origin = BN_ORIGIN_LIVE_RUN;
    bn_board_apply(&g, &live);
    CHECK(g.pending == 7 && !bn_board_humans_turn(&g),
          "the training thread's request 7 is not the worker's");
    bn_ui_event ev = answer(7, 4);
    bn_board_apply(&g, &ev);
    CHECK(g.pending == 0 && !bn_board_humans_turn(&g), "an answer on a taken cell is dropped");
    bn_board_wait_for(&g, BN_ORIGIN_PAST_RUN, 8);
    ev = answer(8, 0);
    bn_board_apply(&g, &ev);
    char b[9];
    bn_board_cells(&g, b);
    CHECK(b[0] == 'O' && b[4] == 'X' && bn_board_humans_turn(&g), "the model's O on 0");
    CHECK(g.have_probs && g.probs[0] > 0.8f, "the heat map keeps its probabilities");
    CHECK(!bn_board_place(&g, 0) && strstr(g.message, "taken"), "a taken cell is refused");
    /* X: 4, 1, 7 wins the middle column. */
    bn_board_place(&g, 1);
    bn_board_wait_for(&g, BN_ORIGIN_PAST_RUN, 9);
    ev = answer(9, 2);
    bn_board_apply(&g, &ev);
    CHECK(bn_board_place(&g, 7), "X completes the column");
    CHECK(bn_board_result(&g) == BN_TTT_X_WINS, "X wins");
    CHECK(g.wins == 1 && g.losses == 0 && g.draws == 0, "score %d-%d-%d", g.wins, g.losses,
          g.draws);
    CHECK(strstr(g.message, "you win") != NULL, "message: %s", g.message);
    CHECK(!bn_board_place(&g, 3), "no move after the end");
    /* As O: the model opens; an error answer leaves the board as it was. */
    bn_board_new_game(&g, 'O');
    CHECK(!bn_board_humans_turn(&g) && g.wins == 1, "as O the model moves first; score kept");
    bn_board_wait_for(&g, BN_ORIGIN_PAST_RUN, 10);
    ev = answer(10, 0);
    ev.done = -1;
    snprintf(ev.text, sizeof ev.text, "no checkpoint");
    bn_board_apply(&g, &ev);
    bn_board_cells(&g, b);
    CHECK(memcmp(b, "_________", 9) == 0 && strstr(g.message, "no checkpoint"), "error: %s",
          g.message);
    return check_exit("test_board_game");
}
