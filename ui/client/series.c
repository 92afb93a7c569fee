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
    free(s->val_step);
    free(s->val);
    bn_series_init(s);
}

void bn_series_clear(bn_series *s)
{
    s->n = 0;
    s->n_val = 0;
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
    while (s->n_val > 0 && s->val_step[s->n_val - 1] >= step)
        s->n_val--;
    if (s->n == s->cap && grow(s) != 0)
        return -1;
    s->step[s->n] = step;
    s->loss[s->n] = loss;
    s->lr[s->n] = lr;
    s->n++;
    return 0;
}

static int grow_val(bn_series *s)
{
    int cap = s->cap_val ? s->cap_val * 2 : 256;
    long *step = realloc(s->val_step, sizeof(long) * (size_t)cap);
    if (step)
        s->val_step = step;
    double *val = realloc(s->val, sizeof(double) * (size_t)cap);
    if (val)
        s->val = val;
    if (!step || !val)
        return -1;
    s->cap_val = cap;
    return 0;
}

int bn_series_push_val(bn_series *s, long step, double val)
{
    while (s->n_val > 0 && s->val_step[s->n_val - 1] >= step)
        s->n_val--;
    if (s->n_val == s->cap_val && grow_val(s) != 0)
        return -1;
    s->val_step[s->n_val] = step;
    s->val[s->n_val] = val;
    s->n_val++;
    return 0;
}
