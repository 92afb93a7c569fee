/* loglines.c - the log pane's ring of lines. */
#include "client/loglines.h"

#include <stdio.h>
#include <string.h>

void bn_loglines_clear(bn_loglines *l)
{
    l->head = l->count = 0;
}

void bn_loglines_add(bn_loglines *l, bn_log_kind kind, const char *text)
{
    int slot = (l->head + l->count) % BN_LOG_LINES;
    if (l->count == BN_LOG_LINES) {
        slot = l->head;
        l->head = (l->head + 1) % BN_LOG_LINES;
    } else {
        l->count++;
    }
    snprintf(l->text[slot], BN_LOG_WIDTH, "%s", text);
    /* One line per entry: newlines and tabs become spaces. */
    for (char *p = l->text[slot]; *p; p++)
        if (*p == '\n' || *p == '\t' || *p == '\r')
            *p = ' ';
    l->kind[slot] = kind;
}

const char *bn_loglines_get(const bn_loglines *l, int i, bn_log_kind *kind)
{
    int slot = (l->head + i) % BN_LOG_LINES;
    if (kind)
        *kind = l->kind[slot];
    return l->text[slot];
}

bn_log_kind bn_loglines_classify(const char *text)
{
    if (strstr(text, "diverged") || strstr(text, "error") || strstr(text, "failed"))
        return BN_LOG_ERROR;
    if (strncmp(text, "warning", 7) == 0 || strstr(text, "NaN"))
        return BN_LOG_WARN;
    if (strncmp(text, "checkpoint saved", 16) == 0)
        return BN_LOG_GOOD;
    if (strncmp(text, "eval", 4) == 0)
        return BN_LOG_SAMPLE;
    return BN_LOG_INFO;
}
