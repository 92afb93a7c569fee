/* series.h - the UI's copy of a run's history (step, loss, lr per logged step, and the
 * held-out loss of each evaluation that has one), fed from the event queue for a live run
 * or from scalars.jsonl for a past one. */
#ifndef BN_UI_SERIES_H
#define BN_UI_SERIES_H

typedef struct {
    long *step;
    double *loss, *lr;
    int n, cap;
    long *val_step;   /* evaluations: step and held-out loss (text runs' val_loss) */
    double *val;
    int n_val, cap_val;
} bn_series;

void bn_series_init(bn_series *s);
void bn_series_free(bn_series *s);
void bn_series_clear(bn_series *s);

/* Append a record; a step at or before the last one (a resumed run logging a step again)
 * replaces the records from there on. Returns -1 when out of memory. */
int bn_series_push(bn_series *s, long step, double loss, double lr);

/* Append an evaluation's held-out loss, likewise replacing those at or after its step (a
 * logged step also drops the evaluations at or after it). Returns -1 when out of memory. */
int bn_series_push_val(bn_series *s, long step, double val);

#endif
