/* series.h - the UI's copy of a run's history (step, loss, lr per logged step), fed from the
 * event queue for a live run or from scalars.jsonl for a past one. */
#ifndef BN_UI_SERIES_H
#define BN_UI_SERIES_H

typedef struct {
    long *step;
    double *loss, *lr;
    int n, cap;
} bn_series;

void bn_series_init(bn_series *s);
void bn_series_free(bn_series *s);
void bn_series_clear(bn_series *s);

/* Append a record; a step at or before the last one (a resumed run logging a step again)
 * replaces the records from there on. Returns -1 when out of memory. */
int bn_series_push(bn_series *s, long step, double loss, double lr);

#endif
