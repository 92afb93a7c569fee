/* requests.h - typed requests to whatever serves a model: the training thread of a live run
 * or the checkpoint worker of a past one (README, "Requests").
 *
 * A request says what it asks for (kind) and who serves it (origin); its id is numbered by
 * that server from 1. The pair (origin, id) names an answer, so no id range encodes where a
 * request went. A server holds one slot per kind: a chat prompt and a move can wait
 * together, and a second of the same kind is refused (id 0) until the first is answered.
 * No lock in here: the server's own mutex guards its bn_requests. */
#ifndef BN_REQUESTS_H
#define BN_REQUESTS_H

#include "model/sampler.h"

#define BN_REQ_TEXT_MAX 256

/* A generate request's last answer (done) when its asker cancelled it: the completion so far,
 * cut there. The others: 0 while it grows, 1 complete, -1 an error. */
#define BN_GEN_STOPPED 2

typedef enum { BN_REQ_GENERATE, BN_REQ_MOVE } bn_req_kind;
#define BN_REQ_KINDS 2

/* BN_ORIGIN_LIVE_RUN is 0, so a zeroed bn_requests is a live run's. */
typedef enum { BN_ORIGIN_LIVE_RUN, BN_ORIGIN_PAST_RUN } bn_req_origin;

typedef struct {
    bn_req_kind kind;
    bn_req_origin origin;       /* set by bn_requests_post */
    long id;                    /* set by bn_requests_post, > 0 */
    char text[BN_REQ_TEXT_MAX]; /* generate: the prompt as typed; move: the game text */
    int max_new;                /* generate: the most tokens to add */
    /* generate, for a task whose chat samples (bn_task_ops.chat_samples: text): the settings
     * and the seed of the draws; a task that answers greedily ignores them. */
    bn_sampling sampling;
    unsigned long long seed;
} bn_request;

typedef struct {
    bn_request slot[BN_REQ_KINDS];
    int state[BN_REQ_KINDS];    /* 0 free, 1 pending, 2 being served */
    int cancel[BN_REQ_KINDS];   /* the asker no longer wants the answer (bn_requests_cancel) */
    bn_req_origin origin;
    long next_id;
} bn_requests;

/* An empty set of slots for a server of `origin` (a zeroed one is a live run's). */
void bn_requests_init(bn_requests *r, bn_req_origin origin);

/* A request of `kind` for `text`, ready to post (text longer than BN_REQ_TEXT_MAX - 1 bytes
 * is cut; the callers' own buffers are no longer), with the default sampling settings
 * (bn_sampling_defaults) and seed 0. */
bn_request bn_request_of(bn_req_kind kind, const char *text, int max_new);

/* Put req in its kind's slot: its id (> 0), or 0 while that slot is pending or served. */
long bn_requests_post(bn_requests *r, const bn_request *req);

/* Whether a request waits to be taken. */
int bn_requests_waiting(const bn_requests *r);

/* Move the oldest waiting request into out (its slot stays busy until bn_requests_done):
 * 1, or 0 when none waits. */
int bn_requests_take(bn_requests *r, bn_request *out);

/* The asker no longer wants request `id` (Esc on a streaming answer): 1 when it is still
 * pending or being served, and its server stops at its next token (bn_requests_cancelled),
 * 0 when it was answered already. */
int bn_requests_cancel(bn_requests *r, long id);

/* Whether the request of `kind` being served was cancelled. */
int bn_requests_cancelled(const bn_requests *r, bn_req_kind kind);

/* The request of `kind` is answered: its slot takes new requests again. */
void bn_requests_done(bn_requests *r, bn_req_kind kind);

#endif
