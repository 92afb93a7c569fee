/* board.h - the board pane's game against the model, without curses: the game state and
 * the running score. The model's moves are requests (BN_REQ_MOVE) to the training thread (a
 * live run, bn_session_move) or to the past-run worker (worker.h); the answers come back as
 * BN_UI_EV_MOVE events through the UI queue, so the UI never waits on a forward pass. */
#ifndef BN_UI_BOARD_H
#define BN_UI_BOARD_H

#include "client/queue.h"
#include "task/eval_ttt.h"
#include "task/ttt.h"
#include "train/requests.h"

/* Fill a BN_UI_EV_MOVE event from an answer, or from an error (a == NULL). */
void bn_ui_move_event(bn_ui_event *ev, const bn_ttt_answer *a, const char *error);

typedef struct {
    bn_ttt_game game;
    char human;             /* 'X' or 'O' */
    int cursor;             /* 0-8 */
    long pending;           /* id of the model's move being computed, 0 if none */
    bn_req_origin pending_origin; /* who computes it: the training thread or the worker */
    int have_probs;         /* probs: the model's probabilities at its last move */
    float probs[BN_TTT_CELLS];
    int last_model_cell, last_legal;
    int wins, losses, draws; /* the person's running score */
    char message[96];
} bn_board_game;

void bn_board_new_game(bn_board_game *g, char human);
/* The board now, and its result. */
void bn_board_cells(const bn_board_game *g, char b[BN_TTT_CELLS]);
bn_ttt_result bn_board_result(const bn_board_game *g);
/* Whose turn: 1 the person's, 0 the model's (or the game is over). */
int bn_board_humans_turn(const bn_board_game *g);
/* Place the person's mark; returns 0 (with a message) when the cell is taken or it is not
 * their turn. Updates the score when the game ends. */
int bn_board_place(bn_board_game *g, int cell);
/* Ask for the model's move next: the request (origin, id) now pending. */
void bn_board_wait_for(bn_board_game *g, bn_req_origin origin, long id);
/* Apply the model's answer (ignored unless it answers the pending request, by origin and
 * id). */
void bn_board_apply(bn_board_game *g, const bn_ui_event *ev);

#endif
