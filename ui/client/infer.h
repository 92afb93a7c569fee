/* infer.h - chat with a past run: a worker thread that loads a checkpoint (once per
 * checkpoint) and completes prompts, streaming the completion through the event queue, so
 * the UI never waits on a load or a forward pass. No curses here. */
#ifndef BN_UI_INFER_H
#define BN_UI_INFER_H

#include <pthread.h>

#include "model/chat.h"
#include "model/model.h"
#include "client/queue.h"
#include "task/task.h"

/* Request ids start here, apart from the trainer's (which count from 1). */
#define BN_INFER_FIRST_ID 1000000000L

typedef struct {
    pthread_t thread;
    int started;
    pthread_mutex_t lock;      /* guards the request fields and quit */
    pthread_cond_t wake;
    char ckpt[BN_PATH_MAX + 64];
    char prompt[BN_CHAT_TEXT_MAX];
    int max_new, pending, busy, quit;
    long next_id, id;

    /* worker-owned */
    bn_model model;
    int loaded;
    char loaded_ckpt[BN_PATH_MAX + 64];
    const bn_task_ops *task;
    bn_tokenizer *tok;
    bn_ui_queue *queue;
    const bn_kernels *kernels;
} bn_infer;

/* Start the worker (0, or -1 if no thread could start). */
int bn_infer_start(bn_infer *w, bn_ui_queue *queue, const bn_kernels *kernels);

/* Ask for a completion of `prompt` (as typed) by the checkpoint directory ckpt. Returns the
 * request id (> 0), or 0 while the worker is busy with another. Events: BN_UI_EV_GEN with
 * done 0 while it grows, 1 at the end, -1 with an error message instead. */
long bn_infer_request(bn_infer *w, const char *ckpt, const char *prompt, int max_new);

/* Stop the worker after its current request and free its model. */
void bn_infer_stop(bn_infer *w);

#endif
