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

/* " | prompt completion ok" or " | prompt completion (want expected)", or for a text
 * run's sample " | prompt completion" joined; 0 if not one. */
static int example_text(const json_t *e, char *out, size_t cap)
{
    const char *p = json_string_value(json_object_get(e, "prompt"));
    const char *c = json_string_value(json_object_get(e, "completion"));
    const char *x = json_string_value(json_object_get(e, "expected"));
    if (!p || !c)
        return 0;
    if (!x) /* a text run's sample: the prompt and its continuation, as one text */
        return snprintf(out, cap, " | %s%s", p, c);
    int good = json_is_true(json_object_get(e, "correct"));
    return snprintf(out, cap, " | %s %s %s%s%s", p, c, good ? "ok" : "(want ",
                    good ? "" : x, good ? "" : ")");
}

void bn_loglines_sample(const json_t *record, long step, char *out, size_t cap)
{
    if (cap == 0)
        return;
    int n = snprintf(out, cap, "step %ld:", step), head = n;
    const json_t *acc = json_object_get(record, "accuracy");
    if (json_is_number(acc) && (size_t)n < cap)
        n += snprintf(out + n, cap - (size_t)n, " eval %.1f%%", 100.0 * json_number_value(acc));
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(record, "examples"), i, e)
    {
        if ((size_t)n >= cap)
            break;
        n += example_text(e, out + n, cap - (size_t)n);
    }
    if (n == head) /* no figure or example to show (a text run's held-out loss) */
        out[0] = '\0';
}
