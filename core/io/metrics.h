/* metrics.h - a run's metrics/scalars.jsonl as a table: one row per logged step, one column
 * per key asked for (README, "Runs on disk").
 *
 * Records of the same step merge into its row (a training record and the evaluation at that
 * step), the later record's value winning for a key both carry. A record whose step is lower
 * than the last row's is a resumed run logging again: the rows from that step on are
 * dropped first. Lines that do not parse (a last line torn by a crash) are skipped. */
#ifndef BN_METRICS_H
#define BN_METRICS_H

#include <jansson.h>

#include "base/error.h"

#define BN_METRICS_MAX 16

typedef struct {
    long step;
    double v[BN_METRICS_MAX]; /* v[i] is keys[i]'s value; NaN where no record gave a number */
} bn_metric_row;

typedef struct {
    const char *keys[BN_METRICS_MAX]; /* the caller's strings (they must outlive the table) */
    int n_keys;
    bn_metric_row *rows;              /* in step order */
    int n_rows, cap;
} bn_metric_table;

/* Read path (a scalars.jsonl) into t for the given keys (at most BN_METRICS_MAX). A missing
 * file is BN_ERR_INPUT naming it. bn_metrics_free(t) afterwards, also on failure. */
bn_status bn_metrics_read(const char *path, const char *const *keys, int n_keys,
                          bn_metric_table *t, bn_error *err);
void bn_metrics_free(bn_metric_table *t);

/* bn_metrics_read in steps, for a reader that goes over the file once for more than this
 * table: bn_metrics_begin sets t up (path only names the file in the message), then
 * bn_metrics_take each record in file order. bn_metrics_take returns -1 when out of memory
 * (the record not taken), else 0. */
bn_status bn_metrics_begin(bn_metric_table *t, const char *path, const char *const *keys,
                           int n_keys, bn_error *err);
int bn_metrics_take(bn_metric_table *t, const json_t *rec);

/* keys[i]'s column index i, or -1 when it was not asked for. */
int bn_metrics_column(const bn_metric_table *t, const char *key);

#endif
