/* metrics.c - scalars.jsonl as a table of steps and keys (see metrics.h). */
#include "io/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/jsonio.h"

/* The row for `step`: the last one when it has that step, else a new one at the end (after
 * dropping rows a resumed run logs again); NULL when out of memory. */
static bn_metric_row *row_for(bn_metric_table *t, long step)
{
    if (t->n_rows > 0 && t->rows[t->n_rows - 1].step == step)
        return &t->rows[t->n_rows - 1];
    while (t->n_rows > 0 && t->rows[t->n_rows - 1].step >= step)
        t->n_rows--;
    if (t->n_rows == t->cap) {
        int cap = t->cap ? 2 * t->cap : 256;
        bn_metric_row *rows = realloc(t->rows, sizeof *rows * (size_t)cap);
        if (!rows)
            return NULL;
        t->rows = rows;
        t->cap = cap;
    }
    bn_metric_row *r = &t->rows[t->n_rows++];
    r->step = step;
    for (int i = 0; i < BN_METRICS_MAX; i++)
        r->v[i] = NAN;
    return r;
}

int bn_metrics_take(bn_metric_table *t, const json_t *rec)
{
    long step;
    if (bn_json_get_long(rec, "step", &step) != 0)
        return 0;
    bn_metric_row *r = row_for(t, step);
    if (!r)
        return -1;
    for (int i = 0; i < t->n_keys; i++)
        if (json_object_get(rec, t->keys[i])) /* present: a number, or null (NaN) */
            r->v[i] = bn_json_get_number(rec, t->keys[i]);
    return 0;
}

typedef struct {
    bn_metric_table *t;
    int oom;
} reading;

/* bn_jsonl_each's callback: stops when out of memory. */
static int take_record(void *ctx, const json_t *rec)
{
    reading *rd = ctx;
    return rd->oom = bn_metrics_take(rd->t, rec) != 0;
}

bn_status bn_metrics_begin(bn_metric_table *t, const char *path, const char *const *keys,
                           int n_keys, bn_error *err)
{
    memset(t, 0, sizeof *t);
    if (n_keys < 0 || n_keys > BN_METRICS_MAX)
        return bn_fail(err, BN_ERR_INPUT, "%s: %d metric keys asked for (at most %d)", path,
                       n_keys, BN_METRICS_MAX);
    for (int i = 0; i < n_keys; i++)
        t->keys[i] = keys[i];
    t->n_keys = n_keys;
    return BN_OK;
}

bn_status bn_metrics_read(const char *path, const char *const *keys, int n_keys,
                          bn_metric_table *t, bn_error *err)
{
    reading rd = {t, 0};
    bn_status s = bn_metrics_begin(t, path, keys, n_keys, err);
    if (s == BN_OK)
        s = bn_jsonl_each(path, take_record, &rd, err);
    if (s == BN_OK && rd.oom)
        s = bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    return s;
}

void bn_metrics_free(bn_metric_table *t)
{
    free(t->rows);
    memset(t, 0, sizeof *t);
}

int bn_metrics_column(const bn_metric_table *t, const char *key)
{
    for (int i = 0; i < t->n_keys; i++)
        if (strcmp(t->keys[i], key) == 0)
            return i;
    return -1;
}
