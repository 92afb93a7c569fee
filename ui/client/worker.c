/* worker.c - the past-run worker thread. */
#include "client/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/board.h"
#include "client/session.h"
#include "io/infer_load.h"
#include "model/chat.h"
#include "task/eval_ttt.h"

/* The decoder goes with the model it was built over. */
static void drop_model(bn_worker *w)
{
    if (w->have_dec)
        bn_decoder_free(&w->dec);
    free(w->ids);
    w->ids = NULL;
    w->have_dec = 0;
    if (w->loaded)
        bn_model_free(&w->model);
    w->loaded = 0;
}

/* The loaded model's decoder, built once: the context bn_chat_complete (and a move, the
 * same rows) or bn_chat_sample would give theirs, so the answers are theirs bit for bit. */
static bn_status decoder(bn_worker *w, bn_error *err)
{
    if (w->have_dec)
        return BN_OK;
    int seq = bn_chat_decoder_seq(&w->model, w->task->chat_samples);
    w->ids = malloc(sizeof(int) * (size_t)seq);
    if (!w->ids)
        return bn_nomem(err, "a prompt's tokens", sizeof(int) * (size_t)seq);
    bn_status s = bn_decoder_init(&w->dec, &w->model, seq, err);
    w->have_dec = s == BN_OK;
    if (s != BN_OK) {
        free(w->ids);
        w->ids = NULL;
    }
    return s;
}

/* Load ckpt for forwards of one row (once per checkpoint), and its decoder. */
static bn_status load(bn_worker *w, const char *ckpt, bn_error *err)
{
    if (w->loaded && strcmp(w->loaded_ckpt, ckpt) == 0)
        return decoder(w, err);
    drop_model(w);
    bn_config cfg;
    bn_tok_free(w->tok);
    w->tok = NULL;
    bn_infer_opts opts = {.max_batch = 1, .kernels = w->kernels, .threads = 1,
                          .tokenizer = &w->tok};
    bn_status s = bn_inference_load(ckpt, &opts, &w->model, &cfg, NULL, err);
    if (s != BN_OK) {
        bn_model_free(&w->model);
        return s;
    }
    w->task = bn_task_find(cfg.experiment.task);
    w->loaded = 1;
    snprintf(w->loaded_ckpt, sizeof w->loaded_ckpt, "%s", ckpt);
    return decoder(w, err);
}

static void push_gen(bn_worker *w, long id, const char *text, int done)
{
    bn_ui_event ev = {.kind = BN_UI_EV_GEN, .origin = BN_ORIGIN_PAST_RUN, .id = id,
                      .done = done};
    snprintf(ev.text, sizeof ev.text, "%s", text);
    bn_ui_queue_push(w->queue, &ev);
}

typedef struct {
    bn_worker *w;
    long id;
    int stopped; /* cancelled by the UI (Esc): the answer ends where it is */
} token_ctx;

/* The completion so far to the UI; stop once the UI cancelled the request. */
static int on_token(void *ctx, const char *completion)
{
    token_ctx *t = ctx;
    if (completion)
        push_gen(t->w, t->id, completion, 0);
    pthread_mutex_lock(&t->w->lock);
    t->stopped = bn_requests_cancelled(&t->w->requests, BN_REQ_GENERATE);
    pthread_mutex_unlock(&t->w->lock);
    return t->stopped;
}

/* A completion, streamed (greedy, or sampled for a task whose chat samples); err holds a
 * failed load. */
static void serve_generate(bn_worker *w, const bn_request *req, bn_status loaded,
                           bn_error *err)
{
    char prompt[BN_CHAT_TEXT_MAX], out[BN_CHAT_ANSWER_MAX];
    bn_status s = loaded;
    token_ctx ctx = {w, req->id, 0};
    out[0] = '\0';
    if (s == BN_OK && !on_token(&ctx, NULL)) { /* not cancelled while it waited */
        bn_task_prompt(w->task, req->text, prompt, sizeof prompt);
        s = w->task->chat_samples
            ? bn_chat_sample_on(&w->dec, w->tok, prompt, &req->sampling, req->seed,
                                req->max_new, out, sizeof out, on_token, &ctx, err)
            : bn_chat_complete_on(&w->dec, w->tok, w->task->ends_answer, prompt,
                                  req->max_new, out, sizeof out, on_token, &ctx, err);
    }
    push_gen(w, req->id, s == BN_OK ? out : err->msg,
             s != BN_OK ? -1 : ctx.stopped ? BN_GEN_STOPPED : 1);
}

/* The model's move in the game text; err holds a failed load. */
static void serve_move(bn_worker *w, const bn_request *req, bn_status loaded, bn_error *err)
{
    bn_ui_event ev = {.origin = BN_ORIGIN_PAST_RUN};
    bn_ttt_game g;
    const char *why = NULL;
    if (loaded != BN_OK)
        why = err->msg;
    else if (w->task != &bn_task_tictactoe)
        why = "not a tic-tac-toe run";
    else if ((why = bn_ttt_parse(req->text, &g)) == NULL) {
        char b[BN_TTT_CELLS];
        bn_ttt_game_board(&g, b);
        why = bn_ttt_check_position(b);
    }
    bn_ttt_answer a;
    if (!why) /* the prompt's tokens fit: ids holds the decoder's max_seq */
        bn_ttt_decoder_answer(&w->dec, w->tok, &g, 1, &a, w->ids);
    bn_ui_move_event(&ev, why ? NULL : &a, why);
    ev.id = req->id;
    bn_ui_queue_push(w->queue, &ev);
}

static void serve(bn_worker *w, const bn_request *req, const char *ckpt)
{
    bn_error err = {0};
    bn_status s = load(w, ckpt, &err);
    if (req->kind == BN_REQ_GENERATE)
        serve_generate(w, req, s, &err);
    else
        serve_move(w, req, s, &err);
}

static void *worker_main(void *arg)
{
    bn_worker *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        bn_request req;
        while (!w->quit && !bn_requests_waiting(&w->requests))
            pthread_cond_wait(&w->wake, &w->lock);
        if (w->quit || !bn_requests_take(&w->requests, &req))
            break;
        char ckpt[sizeof w->ckpt[0]];
        memcpy(ckpt, w->ckpt[req.kind], sizeof ckpt);
        pthread_mutex_unlock(&w->lock);
        serve(w, &req, ckpt);
        pthread_mutex_lock(&w->lock);
        bn_requests_done(&w->requests, req.kind);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int bn_worker_start(bn_worker *w, bn_ui_queue *queue, const bn_kernels *kernels)
{
    memset(w, 0, sizeof *w);
    bn_requests_init(&w->requests, BN_ORIGIN_PAST_RUN);
    w->queue = queue;
    w->kernels = kernels;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    sigset_t old;
    bn_block_stop_signals(&old);
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    w->started = rc == 0;
    return rc == 0 ? 0 : -1;
}

long bn_worker_post(bn_worker *w, const char *ckpt, const bn_request *req)
{
    if (!w->started)
        return 0;
    pthread_mutex_lock(&w->lock);
    long id = bn_requests_post(&w->requests, req);
    if (id) {
        snprintf(w->ckpt[req->kind], sizeof w->ckpt[0], "%s", ckpt);
        pthread_cond_signal(&w->wake);
    }
    pthread_mutex_unlock(&w->lock);
    return id;
}

int bn_worker_cancel(bn_worker *w, long id)
{
    if (!w->started)
        return 0;
    pthread_mutex_lock(&w->lock);
    int found = bn_requests_cancel(&w->requests, id);
    pthread_mutex_unlock(&w->lock);
    return found;
}

void bn_worker_stop(bn_worker *w)
{
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->quit = 1;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    drop_model(w);
    bn_tok_free(w->tok);
    w->tok = NULL;
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    w->started = w->loaded = 0;
}
