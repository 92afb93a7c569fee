/* queue.h - events from the engine's threads to the UI thread: a ring behind a mutex.
 *
 * Producers (the trainer's hooks on the training thread, the chat worker) push and return at
 * once: the lock is held for one copy, never while the UI draws, and a full ring drops its
 * oldest event (counted) instead of waiting. The UI thread drains it on its timer. */
#ifndef BN_UI_QUEUE_H
#define BN_UI_QUEUE_H

#include <pthread.h>

#include "model/chat.h"
#include "train/requests.h"

/* A sampled chat answer so far fits (BN_CHAT_ANSWER_MAX), so a dropped event loses none. */
#define BN_UI_EVENT_TEXT BN_CHAT_ANSWER_MAX

#define BN_UI_EVENT_SAMPLE 320

typedef enum {
    BN_UI_EV_LOG,  /* a logged step: step, loss, loss_ema, lr */
    BN_UI_EV_TEXT, /* another line for the log: text */
    BN_UI_EV_GEN,  /* a chat completion so far: origin, id, text, done (0 growing, 1 complete,
                    * -1 an error in text, BN_GEN_STOPPED cancelled: cut where it was) */
    BN_UI_EV_MOVE, /* a tic-tac-toe move: origin, id, cell, top_digit, legal, probs; done -1 and text
                    * on an error */
    BN_UI_EV_EVAL,       /* an evaluation: step, text (its log line), sample (its examples),
                          * loss (its held-out loss, NaN if it has none) */
    BN_UI_EV_CHECKPOINT, /* a checkpoint saved: step, text (its path) */
    BN_UI_EV_WARNING,    /* the run goes on: text */
    BN_UI_EV_ERROR       /* the run stopped on it: text */
} bn_ui_event_kind;

typedef struct {
    bn_ui_event_kind kind;
    long step;
    double loss, loss_ema, lr;
    bn_req_origin origin; /* BN_UI_EV_GEN, _MOVE: who answered request id */
    long id;
    int done;
    char text[BN_UI_EVENT_TEXT];
    char sample[BN_UI_EVENT_SAMPLE]; /* BN_UI_EV_EVAL */
    int cell, top_digit, legal; /* BN_UI_EV_MOVE */
    float probs[9];
} bn_ui_event;

typedef struct {
    pthread_mutex_t lock;
    bn_ui_event *ring; /* (cap) */
    int cap, head, count;
    long dropped;      /* events lost to a full ring since the last drain */
} bn_ui_queue;

/* 0 on success, -1 when out of memory. */
int bn_ui_queue_init(bn_ui_queue *q, int cap);
void bn_ui_queue_free(bn_ui_queue *q);

/* Copy ev in; never waits for the consumer. */
void bn_ui_queue_push(bn_ui_queue *q, const bn_ui_event *ev);

/* Move up to max events, oldest first, into out; *dropped gets (and resets) the count of
 * events lost since the last drain. Returns the number moved. */
int bn_ui_queue_drain(bn_ui_queue *q, bn_ui_event *out, int max, long *dropped);

#endif
