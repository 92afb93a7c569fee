/* board.h - the board pane's game against the model, without curses: the game state, the
 * running score, and a worker thread that answers moves from a past run's checkpoint (a live
 * run answers from the training thread, bn_session_move). Answers come back as BN_UI_EV_MOVE
 * events through the UI queue, so the UI never waits on a load or a forward pass. */
#ifndef BN_UI_BOARD_H
#define BN_UI_BOARD_H

#include <pthread.h>

#include "task/eval_ttt.h"
#include "model/model.h"
#include "client/queue.h"
#include "task/ttt.h"
#include "tok/tokenizer.h"

/* Move request ids of the worker start here, apart from the trainer's and the chat's. */
#define BN_BOARD_FIRST_ID 2000000000L

/* Fill a BN_UI_EV_MOVE event from an answer, or from an error (a == NULL). */
void bn_ui_move_event(bn_ui_event *ev, const bn_ttt_answer *a, const char *error);

typedef struct {
    bn_ttt_game game;
    char human;             /* 'X' or 'O' */
    int cursor;             /* 0-8 */
    long pending;           /* id of the model's move being computed, 0 if none */
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
/* Apply the model's answer to request `id` (ignored if it is not the pending one). */
void bn_board_apply(bn_board_game *g, const bn_ui_event *ev);

typedef struct {
    pthread_t thread;
    int started;
    pthread_mutex_t lock;    /* guards the request fields and quit */
    pthread_cond_t wake;
    char ckpt[600];
    char text[BN_TTT_TEXT_MAX];
    int pending, busy, quit;
    long next_id, id;

    /* worker-owned */
    bn_model model;
    int loaded;
    char loaded_ckpt[600];
    bn_tokenizer *tok;
    bn_ui_queue *queue;
    const bn_kernels *kernels;
} bn_board_worker;

int bn_board_worker_start(bn_board_worker *w, bn_ui_queue *queue, const bn_kernels *kernels);
/* Ask for the move of checkpoint ckpt in the game text; the request id, or 0 while busy. */
long bn_board_worker_request(bn_board_worker *w, const char *ckpt, const char *game_text);
void bn_board_worker_stop(bn_board_worker *w);

#endif
