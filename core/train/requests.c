/* requests.c - the request slots of a model server. */
#include "train/requests.h"

#include <stdio.h>
#include <string.h>

enum { SLOT_FREE, SLOT_PENDING, SLOT_SERVING };

void bn_requests_init(bn_requests *r, bn_req_origin origin)
{
    memset(r, 0, sizeof *r);
    r->origin = origin;
}

bn_request bn_request_of(bn_req_kind kind, const char *text, int max_new)
{
    bn_request req = {.kind = kind, .max_new = max_new, .sampling = bn_sampling_defaults()};
    snprintf(req.text, sizeof req.text, "%s", text);
    return req;
}

long bn_requests_post(bn_requests *r, const bn_request *req)
{
    int k = (int)req->kind;
    if (k < 0 || k >= BN_REQ_KINDS || r->state[k] != SLOT_FREE)
        return 0;
    r->slot[k] = *req;
    r->slot[k].origin = r->origin;
    r->slot[k].id = ++r->next_id;
    r->state[k] = SLOT_PENDING;
    r->cancel[k] = 0;
    return r->slot[k].id;
}

int bn_requests_waiting(const bn_requests *r)
{
    for (int k = 0; k < BN_REQ_KINDS; k++)
        if (r->state[k] == SLOT_PENDING)
            return 1;
    return 0;
}

int bn_requests_take(bn_requests *r, bn_request *out)
{
    int best = -1;
    for (int k = 0; k < BN_REQ_KINDS; k++)
        if (r->state[k] == SLOT_PENDING && (best < 0 || r->slot[k].id < r->slot[best].id))
            best = k;
    if (best < 0)
        return 0;
    *out = r->slot[best];
    r->state[best] = SLOT_SERVING;
    return 1;
}

void bn_requests_done(bn_requests *r, bn_req_kind kind)
{
    if ((int)kind >= 0 && (int)kind < BN_REQ_KINDS) {
        r->state[kind] = SLOT_FREE;
        r->cancel[kind] = 0;
    }
}

int bn_requests_cancel(bn_requests *r, long id)
{
    for (int k = 0; k < BN_REQ_KINDS; k++)
        if (r->state[k] != SLOT_FREE && r->slot[k].id == id) {
            r->cancel[k] = 1;
            return 1;
        }
    return 0;
}

int bn_requests_cancelled(const bn_requests *r, bn_req_kind kind)
{
    return (int)kind >= 0 && (int)kind < BN_REQ_KINDS && r->cancel[kind];
}
