/* report.c - an evaluation's report (see report.h). */
#include "task/report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void bn_report_metric(bn_eval_report *r, const char *key, double value, int count)
{
    if (r->n_metrics >= BN_METRICS_MAX)
        return;
    bn_metric *m = &r->metrics[r->n_metrics++];
    snprintf(m->key, sizeof m->key, "%s", key);
    m->value = value;
    m->count = count;
}

double bn_report_get(const bn_eval_report *r, const char *key)
{
    for (int i = 0; i < r->n_metrics; i++)
        if (strcmp(r->metrics[i].key, key) == 0)
            return r->metrics[i].value;
    return NAN;
}

void bn_report_clear(bn_eval_report *r)
{
    json_decref(r->samples);
    memset(r, 0, sizeof *r);
}
