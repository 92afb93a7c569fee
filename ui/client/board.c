/* board.c - the board pane's game against the model. */
#include "client/board.h"

#include <stdio.h>
#include <string.h>

void bn_ui_move_event(bn_ui_event *ev, const bn_ttt_answer *a, const char *error)
{
    ev->kind = BN_UI_EV_MOVE;
    ev->done = a ? 1 : -1;
    if (!a) {
        snprintf(ev->text, sizeof ev->text, "%s", error ? error : "no answer");
        return;
    }
    ev->cell = a->cell;
    ev->top_digit = a->top_digit;
    ev->legal = a->legal;
    memcpy(ev->probs, a->probs, sizeof ev->probs);
}

/* ---------------------------------------------------------------- the game */

void bn_board_new_game(bn_board_game *g, char human)
{
    memset(&g->game, 0, sizeof g->game);
    memset(g->game.start, '_', BN_TTT_CELLS);
    g->human = human == 'O' ? 'O' : 'X';
    g->cursor = 4;
    g->pending = 0;
    g->have_probs = 0;
    g->last_model_cell = -1;
    snprintf(g->message, sizeof g->message, "you play %c%s", g->human,
             g->human == 'X' ? ": your move" : "; the model moves first");
}

void bn_board_cells(const bn_board_game *g, char b[BN_TTT_CELLS])
{
    bn_ttt_game_board(&g->game, b);
}

bn_ttt_result bn_board_result(const bn_board_game *g)
{
    char b[BN_TTT_CELLS];
    bn_board_cells(g, b);
    return bn_ttt_result_of(b, NULL);
}

int bn_board_humans_turn(const bn_board_game *g)
{
    char b[BN_TTT_CELLS];
    bn_board_cells(g, b);
    return bn_ttt_result_of(b, NULL) == BN_TTT_ONGOING && bn_ttt_to_move(b) == g->human;
}

/* After a move: the result line and the score when the game is over. */
static void after_move(bn_board_game *g)
{
    bn_ttt_result r = bn_board_result(g);
    if (r == BN_TTT_ONGOING)
        return;
    bn_ttt_result mine = g->human == 'X' ? BN_TTT_X_WINS : BN_TTT_O_WINS;
    if (r == BN_TTT_DRAW)
        g->draws++;
    else if (r == mine)
        g->wins++;
    else
        g->losses++;
    snprintf(g->message, sizeof g->message, "%s (%s); n: new game",
             r == BN_TTT_DRAW ? "draw" : r == mine ? "you win" : "the model wins",
             bn_ttt_result_text(r));
}

static void add_move(bn_board_game *g, int cell)
{
    g->game.moves[g->game.n_moves++] = cell;
    g->game.result = bn_board_result(g);
    after_move(g);
}

int bn_board_place(bn_board_game *g, int cell)
{
    char b[BN_TTT_CELLS];
    bn_board_cells(g, b);
    if (bn_ttt_result_of(b, NULL) != BN_TTT_ONGOING)
        return 0; /* the result stays in the message, with "n: new game" */
    if (!bn_board_humans_turn(g)) {
        snprintf(g->message, sizeof g->message, "the model is thinking...");
        return 0;
    }
    if (cell < 0 || cell >= BN_TTT_CELLS || b[cell] != '_') {
        snprintf(g->message, sizeof g->message, "cell %d is taken", cell);
        return 0;
    }
    add_move(g, cell);
    if (bn_board_result(g) == BN_TTT_ONGOING)
        snprintf(g->message, sizeof g->message, "the model is thinking...");
    return 1;
}

void bn_board_wait_for(bn_board_game *g, bn_req_origin origin, long id)
{
    g->pending = id;
    g->pending_origin = origin;
}

void bn_board_apply(bn_board_game *g, const bn_ui_event *ev)
{
    if (ev->kind != BN_UI_EV_MOVE || g->pending == 0 || ev->id != g->pending ||
        ev->origin != g->pending_origin)
        return;
    g->pending = 0;
    if (ev->done < 0) {
        snprintf(g->message, sizeof g->message, "no move: %.80s", ev->text);
        return;
    }
    char b[BN_TTT_CELLS];
    bn_board_cells(g, b);
    if (bn_board_humans_turn(g) || bn_ttt_result_of(b, NULL) != BN_TTT_ONGOING ||
        ev->cell < 0 || ev->cell >= BN_TTT_CELLS || b[ev->cell] != '_')
        return; /* a stale answer (a new game began meanwhile) */
    memcpy(g->probs, ev->probs, sizeof g->probs);
    g->have_probs = 1;
    g->last_model_cell = ev->cell;
    g->last_legal = ev->legal;
    snprintf(g->message, sizeof g->message, "model played %d (%.0f%%)%s", ev->cell,
             100.0 * ev->probs[ev->cell], ev->legal ? "" : ", masked");
    add_move(g, ev->cell);
}
