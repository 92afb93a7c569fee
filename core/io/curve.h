/* curve.h - what `bitnet-tui plot` draws of one run, read from its metrics/scalars.jsonl
 * (README, "Plotting runs"): the asked metric against the asked x (step, tokens seen or
 * elapsed seconds), and beside it the validation loss, the first evaluation metric and the
 * learning rate. Read through io/metrics.h, so the last record of a step wins and a resumed
 * run's repeated steps appear once. */
#ifndef BN_CURVE_H
#define BN_CURVE_H

#include "base/error.h"

/* Points (x ascending), malloc'd. */
typedef struct {
    int n;
    double *x, *y;
} bn_xy;

typedef struct {
    bn_xy main;         /* the metric */
    bn_xy val;          /* val_loss (only when the metric is loss) */
    bn_xy eval;         /* eval_key's values (only when the metric is loss) */
    bn_xy lr;           /* the learning rate */
    char eval_key[64];  /* the run's first real-valued eval_* key, "" when none */
    int torn;           /* the file's last line was cut short (a crash): it was skipped */
} bn_curve;

/* Whether `metric` is one plot knows: loss, val_loss, lr, grad_norm or eval_<name>. */
int bn_curve_metric_known(const char *metric);

/* The scalars.jsonl key of an x axis name (step, tokens, time), or NULL when unknown;
 * "step" maps to "step". */
const char *bn_curve_x_key(const char *x);

/* Read run_dir's curve of metric against x ("step", "tokens" or "time"). A missing file is
 * BN_ERR_INPUT naming it; so is a metric with no value in the run (naming run_dir). Free
 * with bn_curve_free, also on failure. */
bn_status bn_curve_read(const char *run_dir, const char *metric, const char *x, bn_curve *c,
                        bn_error *err);
void bn_curve_free(bn_curve *c);

/* Whether the last non-empty line of the JSONL file at path is cut short (does not parse);
 * 0 also when the file cannot be read. */
int bn_jsonl_last_line_torn(const char *path);

#endif
