/* loglines.h - the lines of the samples-and-log pane: a ring of the newest, each with a kind
 * (info, good news, warning, error) that picks its colour. UI thread only. */
#ifndef BN_UI_LOGLINES_H
#define BN_UI_LOGLINES_H

#include <stddef.h>

#include <jansson.h>

#define BN_LOG_LINES 400
#define BN_LOG_WIDTH 320

typedef enum { BN_LOG_INFO, BN_LOG_SAMPLE, BN_LOG_GOOD, BN_LOG_WARN, BN_LOG_ERROR } bn_log_kind;

typedef struct {
    char text[BN_LOG_LINES][BN_LOG_WIDTH];
    bn_log_kind kind[BN_LOG_LINES];
    int head, count;
} bn_loglines;

void bn_loglines_clear(bn_loglines *l);
void bn_loglines_add(bn_loglines *l, bn_log_kind kind, const char *text);
/* The i-th line, oldest first (0 .. count-1). */
const char *bn_loglines_get(const bn_loglines *l, int i, bn_log_kind *kind);

/* One line of an evaluation's samples record (samples.jsonl, "step" given apart):
 * "step 500: eval 21.0% | 12 + 5 = 17 ok | 3 * 4 = 11 (want 12)". */
void bn_loglines_sample(const json_t *record, long step, char *out, size_t cap);

#endif
