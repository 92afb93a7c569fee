/* report.h - what one evaluation produced, in a form the trainer writes without knowing the
 * task (README, "Tasks"): named metrics for scalars.jsonl (under today's key names, e.g.
 * eval_accuracy or eval_legal_rate), the samples.jsonl record, a log line and the short
 * texts the status pane shows. */
#ifndef BN_REPORT_H
#define BN_REPORT_H

#include <jansson.h>

#define BN_METRICS_MAX 16

typedef struct {
    char key[32];   /* the scalars.jsonl key */
    double value;
    int count;      /* a whole number (written as a JSON integer) */
} bn_metric;

typedef struct {
    bn_metric metrics[BN_METRICS_MAX];
    int n_metrics;
    char headline[384]; /* the log line, after "eval step N: " */
    char value[32];     /* the status line's eval figure: "97.0%", "legal 99.8%" */
    char detail[64];    /* more for the run header ("random 97/88% perfect 64/51%"), or "" */
    char summary[128];  /* for a run's last line: "97.0% exact match (held-out)" */
    json_t *samples;    /* the samples.jsonl record without "step" (owned; may be NULL) */
    int samples_due;    /* in, set by the trainer: generated samples are due too (every
                           sample_interval); a task that generates adds them to samples */
} bn_eval_report;

/* Add a metric (ignored past BN_METRICS_MAX). */
void bn_report_metric(bn_eval_report *r, const char *key, double value, int count);

/* A metric's value, or NaN when the report has no such key. */
double bn_report_get(const bn_eval_report *r, const char *key);

/* Release the samples record and empty the report. */
void bn_report_clear(bn_eval_report *r);

#endif
