/* series.c - a growable history of logged steps. */
#include "client/series.h"

#include <stdlib.h>
#include <string.h>

void bn_series_init(bn_series *s)
{
    memset(s, 0, sizeof *s);
}

void bn_series_free(bn_series *s)
{
    free(s->step);
    free(s->loss);
    free(s->lr);
    bn_series_init(s);
}

void bn_series_clear(bn_series *s)
{
    s->n = 0;
}

static int grow(bn_series *s)
{
    int cap = s->cap ? s->cap * 2 : 1024;
    long *step = realloc(s->step, sizeof(long) * (size_t)cap);
    if (step)
        s->step = step;
    double *loss = realloc(s->loss, sizeof(double) * (size_t)cap);
    if (loss)
        s->loss = loss;
    double *lr = realloc(s->lr, sizeof(double) * (size_t)cap);
    if (lr)
        s->lr = lr;
    if (!step || !loss || !lr)
        return -1;
    s->cap = cap;
    return 0;
}

int bn_series_push(bn_series *s, long step, double loss, double lr)
{
    while (s->n > 0 && s->step[s->n - 1] >= step)
        s->n--;
    if (s->n == s->cap && grow(s) != 0)
        return -1;
    s->step[s->n] = step;
    s->loss[s->n] = loss;
    s->lr[s->n] = lr;
    s->n++;
    return 0;
}
