/* queue.c - the engine-to-UI event ring. */
#include "client/queue.h"

#include <stdlib.h>
#include <string.h>

int bn_ui_queue_init(bn_ui_queue *q, int cap)
{
    memset(q, 0, sizeof *q);
    q->ring = calloc((size_t)cap, sizeof *q->ring);
    if (!q->ring)
        return -1;
    q->cap = cap;
    pthread_mutex_init(&q->lock, NULL);
    return 0;
}

void bn_ui_queue_free(bn_ui_queue *q)
{
    if (!q->ring)
        return;
    pthread_mutex_destroy(&q->lock);
    free(q->ring);
    q->ring = NULL;
}

void bn_ui_queue_push(bn_ui_queue *q, const bn_ui_event *ev)
{
    pthread_mutex_lock(&q->lock);
    if (q->count == q->cap) { /* full: the oldest goes */
        q->head = (q->head + 1) % q->cap;
        q->count--;
        q->dropped++;
    }
    q->ring[(q->head + q->count) % q->cap] = *ev;
    q->count++;
    pthread_mutex_unlock(&q->lock);
}

int bn_ui_queue_drain(bn_ui_queue *q, bn_ui_event *out, int max, long *dropped)
{
    pthread_mutex_lock(&q->lock);
    int n = q->count < max ? q->count : max;
    for (int i = 0; i < n; i++)
        out[i] = q->ring[(q->head + i) % q->cap];
    q->head = (q->head + n) % q->cap;
    q->count -= n;
    if (dropped)
        *dropped = q->dropped;
    q->dropped = 0;
    pthread_mutex_unlock(&q->lock);
    return n;
}
