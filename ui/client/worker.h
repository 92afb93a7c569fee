/* worker.h - the past-run worker: one thread, one model loaded from a checkpoint for
 * inference (bn_inference_load, once per checkpoint), serving typed requests (README,
 * "Requests"): chat completions (BN_REQ_GENERATE, answered by BN_UI_EV_GEN events that
 * stream the completion) and tic-tac-toe moves (BN_REQ_MOVE, answered by one
 * BN_UI_EV_MOVE), all on one KV-cache decoder over that model, built at its first answer
 * and reset between answers. Its events carry origin BN_ORIGIN_PAST_RUN and the request's id. The UI
 * never waits on a load or a forward pass. No curses here. */
#ifndef BN_UI_WORKER_H
#define BN_UI_WORKER_H

#include <pthread.h>

#include "client/queue.h"
#include "io/config.h"
#include "model/decoder.h"
#include "model/model.h"
#include "task/task.h"
#include "tok/tokenizer.h"
#include "train/requests.h"

typedef struct {
    pthread_t thread;
    int started;
    pthread_mutex_t lock;         /* guards requests, ckpt and quit */
    pthread_cond_t wake;
    bn_requests requests;
    char ckpt[BN_REQ_KINDS][BN_PATH_MAX]; /* the checkpoint each kind's request asks */
    int quit;

    /* worker-owned */
    bn_model model;
    int loaded;
    char loaded_ckpt[BN_PATH_MAX];
    const bn_task_ops *task;
    bn_decoder dec;               /* over model, built at its first answer, kept until the */
    int have_dec;                 /* next load (README, "Inference") */
    int *ids;                     /* dec.max_seq: a move's prompt */
    bn_tokenizer *tok;
    bn_ui_queue *queue;
    const bn_kernels *kernels;
} bn_worker;

/* Start the worker (0, or -1 if no thread could start). */
int bn_worker_start(bn_worker *w, bn_ui_queue *queue, const bn_kernels *kernels);

/* Ask checkpoint directory ckpt to answer req (see requests.h). Returns the request id
 * (> 0), or 0 while a request of the same kind waits or is served. Errors (no such
 * checkpoint, a move asked of an arithmetic run) come back as the answer: done -1 and the
 * message in text. */
long bn_worker_post(bn_worker *w, const char *ckpt, const bn_request *req);

/* The UI no longer wants request id (Esc on a streaming answer): 1 when it waits or is
 * being served, and its answer then stops at the next token (done BN_GEN_STOPPED with
 * the completion so far); 0 when it was answered already. */
int bn_worker_cancel(bn_worker *w, long id);

/* Stop the worker after its current request and free its model. */
void bn_worker_stop(bn_worker *w);

#endif
