/* board.c - the board pane's game and its checkpoint worker. */
#include "client/board.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "io/checkpoint.h"
#include "client/session.h"

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

void bn_board_apply(bn_board_game *g, const bn_ui_event *ev)
{
    if (ev->kind != BN_UI_EV_MOVE || ev->id != g->pending || g->pending == 0)
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

/* ---------------------------------------------------------------- the worker */

static bn_status load(bn_board_worker *w, const char *ckpt, bn_error *err)
{
    if (w->loaded && strcmp(w->loaded_ckpt, ckpt) == 0)
        return BN_OK;
    if (w->loaded)
        bn_model_free(&w->model);
    w->loaded = 0;
    bn_config cfg;
    bn_st_file file;
    long step = 0;
    bn_status s = bn_checkpoint_open(ckpt, &cfg, &file, &step, err);
    if (s != BN_OK)
        return s;
    memset(&w->model, 0, sizeof w->model);
    if (bn_task_find(cfg.experiment.task) != &bn_task_tictactoe)
        s = bn_fail(err, BN_ERR_INPUT, "not a tic-tac-toe run");
    bn_tok_free(w->tok);
    w->tok = NULL;
    if (s == BN_OK)
        s = bn_task_tictactoe.open_tokenizer(&cfg, &w->tok, err);
    if (s == BN_OK)
        s = bn_model_init(&w->model, &cfg.model, 1, cfg.train.seq_len, w->kernels, 1, err);
    if (s == BN_OK)
        s = bn_checkpoint_load_params(&w->model, &file, err);
    bn_st_free(&file);
    if (s != BN_OK) {
        bn_model_free(&w->model);
        return s;
    }
    w->loaded = 1;
    snprintf(w->loaded_ckpt, sizeof w->loaded_ckpt, "%s", ckpt);
    return BN_OK;
}

static void serve(bn_board_worker *w, long id, const char *ckpt, const char *text)
{
    bn_error err = {0};
    bn_ui_event ev = {.kind = BN_UI_EV_MOVE, .id = id};
    bn_ttt_game g;
    const char *why = NULL;
    if (load(w, ckpt, &err) != BN_OK)
        why = err.msg;
    else if ((why = bn_ttt_parse(text, &g)) == NULL) {
        char b[BN_TTT_CELLS];
        bn_ttt_game_board(&g, b);
        why = bn_ttt_check_position(b);
    }
    bn_ttt_answer a;
    if (!why)
        bn_ttt_model_answer(&w->model, w->tok, &g, 1, &a);
    bn_ui_move_event(&ev, why ? NULL : &a, why);
    ev.id = id;
    bn_ui_queue_push(w->queue, &ev);
}

static void *worker(void *arg)
{
    bn_board_worker *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->pending && !w->quit)
            pthread_cond_wait(&w->wake, &w->lock);
        if (w->quit)
            break;
        char ckpt[sizeof w->ckpt], text[sizeof w->text];
        memcpy(ckpt, w->ckpt, sizeof ckpt);
        memcpy(text, w->text, sizeof text);
        long id = w->id;
        w->pending = 0;
        w->busy = 1;
        pthread_mutex_unlock(&w->lock);
        serve(w, id, ckpt, text);
        pthread_mutex_lock(&w->lock);
        w->busy = 0;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int bn_board_worker_start(bn_board_worker *w, bn_ui_queue *queue, const bn_kernels *kernels)
{
    memset(w, 0, sizeof *w);
    w->next_id = BN_BOARD_FIRST_ID;
    w->queue = queue;
    w->kernels = kernels;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    sigset_t old;
    bn_block_stop_signals(&old);
    int rc = pthread_create(&w->thread, NULL, worker, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    w->started = rc == 0;
    return rc == 0 ? 0 : -1;
}

long bn_board_worker_request(bn_board_worker *w, const char *ckpt, const char *game_text)
{
    if (!w->started)
        return 0;
    long id = 0;
    pthread_mutex_lock(&w->lock);
    if (!w->pending && !w->busy) {
        snprintf(w->ckpt, sizeof w->ckpt, "%s", ckpt);
        snprintf(w->text, sizeof w->text, "%s", game_text);
        w->id = id = ++w->next_id;
        w->pending = 1;
        pthread_cond_signal(&w->wake);
    }
    pthread_mutex_unlock(&w->lock);
    return id;
}

void bn_board_worker_stop(bn_board_worker *w)
{
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->quit = 1;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    if (w->loaded)
        bn_model_free(&w->model);
    bn_tok_free(w->tok);
    w->tok = NULL;
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    w->started = w->loaded = 0;
}
