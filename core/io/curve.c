/* curve.c - a run's metric, validation loss, evaluation and LR as x/y points (see curve.h). */
#include "io/curve.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "io/jsonio.h"
#include "io/metrics.h"

int bn_curve_metric_known(const char *metric)
{
    return strcmp(metric, "loss") == 0 || strcmp(metric, "val_loss") == 0 ||
           strcmp(metric, "lr") == 0 || strcmp(metric, "grad_norm") == 0 ||
           (strncmp(metric, "eval_", 5) == 0 && metric[5]);
}

const char *bn_curve_x_key(const char *x)
{
    return strcmp(x, "step") == 0     ? "step"
           : strcmp(x, "tokens") == 0 ? "tokens_seen"
           : strcmp(x, "time") == 0   ? "elapsed_s"
                                      : NULL;
}

/* The first eval_* member holding a real (counts such as eval_games are integers). */
static int find_eval_key(void *ctx, const json_t *rec)
{
    char *key_out = ctx;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)rec, key, v) {
        if (strncmp(key, "eval_", 5) == 0 && json_is_real(v) && strlen(key) < 64) {
            strcpy(key_out, key);
            return 1;
        }
    }
    return 0;
}

/* The rows' (x, y) pairs where both are numbers; xcol -1: the step. */
static bn_status take_xy(const bn_metric_table *t, int xcol, int ycol, bn_xy *out,
                         bn_error *err)
{
    out->x = malloc(sizeof(double) * (size_t)(t->n_rows + 1));
    out->y = malloc(sizeof(double) * (size_t)(t->n_rows + 1));
    if (!out->x || !out->y)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for a plot's points");
    for (int i = 0; i < t->n_rows; i++) {
        double x = xcol < 0 ? (double)t->rows[i].step : t->rows[i].v[xcol];
        double y = t->rows[i].v[ycol];
        if (isfinite(x) && isfinite(y)) {
            out->x[out->n] = x;
            out->y[out->n++] = y;
        }
    }
    return BN_OK;
}

static bn_status fill(bn_curve *c, const bn_metric_table *t, const char *metric, int xcol,
                      bn_error *err)
{
    int is_loss = strcmp(metric, "loss") == 0;
    bn_status s = take_xy(t, xcol, 0, &c->main, err);
    if (s == BN_OK)
        s = take_xy(t, xcol, 2, &c->lr, err);
    if (s == BN_OK && is_loss)
        s = take_xy(t, xcol, 1, &c->val, err);
    if (s == BN_OK && is_loss && c->eval_key[0])
        s = take_xy(t, xcol, 4, &c->eval, err);
    return s;
}

bn_status bn_curve_read(const char *run_dir, const char *metric, const char *x, bn_curve *c,
                        bn_error *err)
{
    memset(c, 0, sizeof *c);
    char path[BN_PATH_MAX];
    bn_status s = bn_path_join(path, run_dir, "metrics/scalars.jsonl", err);
    if (s != BN_OK)
        return s;
    const char *xkey = bn_curve_x_key(x);
    if (!xkey)
        return bn_fail(err, BN_ERR_INPUT, "--x %s: must be step, tokens or time", x);
    s = bn_jsonl_each(path, find_eval_key, c->eval_key, err);
    if (s != BN_OK)
        return s;
    const char *keys[5] = {metric, "val_loss", "lr", xkey, c->eval_key[0] ? c->eval_key
                                                                          : "eval_"};
    bn_metric_table t;
    s = bn_metrics_read(path, keys, 5, &t, err);
    if (s == BN_OK)
        s = fill(c, &t, metric, strcmp(xkey, "step") == 0 ? -1 : 3, err);
    bn_metrics_free(&t);
    if (s == BN_OK && c->main.n == 0)
        s = bn_fail(err, BN_ERR_INPUT, "%s: no %s values in metrics/scalars.jsonl%s", run_dir,
                    metric, xkey[0] == 's' ? "" : " (with the x asked for)");
    if (s == BN_OK)
        c->torn = bn_jsonl_last_line_torn(path);
    return s;
}

static void xy_free(bn_xy *p)
{
    free(p->x);
    free(p->y);
    memset(p, 0, sizeof *p);
}

void bn_curve_free(bn_curve *c)
{
    xy_free(&c->main);
    xy_free(&c->val);
    xy_free(&c->eval);
    xy_free(&c->lr);
}

int bn_jsonl_last_line_torn(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char buf[65536];
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    long from = size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0;
    size_t n = size >= 0 && fseek(f, from, SEEK_SET) == 0 ? fread(buf, 1, sizeof buf - 1, f)
                                                          : 0;
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
        n--;
    if (n == 0)
        return 0;
    size_t start = n;
    while (start > 0 && buf[start - 1] != '\n')
        start--;
    json_t *doc = NULL;
    int torn = bn_json_parse_text(path, buf + start, n - start, &doc, NULL) != BN_OK ||
               !json_is_object(doc);
    json_decref(doc);
    return torn;
}
