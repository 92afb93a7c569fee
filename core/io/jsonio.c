/* jsonio.c - JSON files and JSONL records through jansson. */
#include "io/jsonio.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"

json_t *bn_json_number(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

double bn_json_get_number(const json_t *object, const char *key)
{
    const json_t *v = json_object_get(object, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

char *bn_json_line(const json_t *value, size_t flags)
{
    return json_dumps(value, flags | JSON_INDENT(0) | JSON_ENCODE_ANY);
}

bn_status bn_jsonl_append(FILE *f, const char *what, const json_t *record, bn_error *err)
{
    char *line = bn_json_line(record, BN_JSON_RECORD);
    if (!line)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory for a record", what);
    int ok = fputs(line, f) >= 0 && fputc('\n', f) != EOF && fflush(f) == 0;
    free(line);
    if (!ok)
        return bn_fail(err, BN_ERR_IO, "%s: cannot append: %s", what, strerror(errno));
    return BN_OK;
}

bn_status bn_json_write_file(const char *path, const json_t *doc, size_t flags, bn_error *err)
{
    char *text = json_dumps(doc, flags | JSON_INDENT(2));
    if (!text)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    size_t n = strlen(text);
    char *with_newline = realloc(text, n + 2);
    if (!with_newline) {
        free(text);
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    }
    with_newline[n] = '\n';
    with_newline[n + 1] = '\0';
    bn_status s = bn_write_file_atomic(path, with_newline, err);
    free(with_newline);
    return s;
}

bn_status bn_json_parse_text(const char *what, const char *text, size_t len, json_t **out,
                             bn_error *err)
{
    json_error_t je;
    *out = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!*out)
        return bn_fail(err, BN_ERR_INPUT, "%s:%d:%d: not valid JSON: %s", what, je.line,
                       je.column, je.text);
    return BN_OK;
}

bn_status bn_json_read_file(const char *path, json_t **out, bn_error *err)
{
    char *text;
    size_t len;
    bn_status s = bn_read_file(path, &text, &len, err);
    if (s != BN_OK)
        return s;
    s = bn_json_parse_text(path, text, len, out, err);
    free(text);
    return s;
}

bn_status bn_jsonl_each(const char *path, bn_jsonl_fn fn, void *ctx, bn_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int stop = 0;
    while (!stop && (n = getline(&line, &cap, f)) >= 0) {
        json_t *rec = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
        if (json_is_object(rec))
            stop = fn(ctx, rec);
        json_decref(rec);
    }
    free(line);
    int failed = ferror(f);
    fclose(f);
    if (failed)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot read", path);
    return BN_OK;
}

/* Call fn for each line of text[0, len) that parses to an object; returns fn's stop value. */
static int each_line(const char *text, size_t len, bn_jsonl_fn fn, void *ctx)
{
    int stop = 0;
    for (const char *line = text, *end; !stop && line < text + len; line = end + 1) {
        end = memchr(line, '\n', (size_t)(text + len - line));
        if (!end)
            end = text + len;
        json_t *rec = json_loadb(line, (size_t)(end - line), JSON_REJECT_DUPLICATES, NULL);
        if (json_is_object(rec))
            stop = fn(ctx, rec);
        json_decref(rec);
    }
    return stop;
}

bn_status bn_jsonl_each_tail(const char *path, size_t max_bytes, bn_jsonl_fn fn, void *ctx,
                             bn_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    /* One byte before the window too: whether the window starts on a line's first byte. */
    int cut = size >= 0 && (size_t)size > max_bytes;
    size_t want = size < 0 ? 0 : cut ? max_bytes + 1 : (size_t)size;
    char *text = malloc(want + 1);
    size_t got = 0;
    int ok = size >= 0 && text && fseek(f, size - (long)want, SEEK_SET) == 0;
    if (ok)
        got = fread(text, 1, want, f);
    ok = ok && !ferror(f);
    fclose(f);
    if (!ok) {
        int nomem = text == NULL;
        free(text);
        return bn_fail(err, nomem ? BN_ERR_NOMEM : BN_ERR_INPUT, "%s: cannot read%s", path,
                       nomem ? " (out of memory)" : "");
    }
    const char *start = text;
    if (cut) { /* skip what precedes the first line wholly inside the window */
        const char *nl = memchr(text, '\n', got);
        start = nl ? nl + 1 : text + got;
    }
    each_line(start, got - (size_t)(start - text), fn, ctx);
    free(text);
    return BN_OK;
}

int bn_json_get_long(const json_t *object, const char *key, long *out)
{
    const json_t *v = json_object_get(object, key);
    if (!json_is_integer(v))
        return -1;
    json_int_t i = json_integer_value(v);
    if (i < LONG_MIN || i > LONG_MAX)
        return -1;
    *out = (long)i;
    return 0;
}

int bn_jsonl_torn_tail(const char *path)
{
    enum { WINDOW = 65536 };
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    long want = size > WINDOW ? WINDOW : size;
    char *text = want > 0 ? malloc((size_t)want) : NULL;
    size_t got = text && fseek(f, size - want, SEEK_SET) == 0 ? fread(text, 1, (size_t)want, f)
                                                               : 0;
    fclose(f);
    int torn = 0;
    if (got > 0 && text[got - 1] != '\n') {
        torn = 1;
    } else if (got > 1) { /* the last whole line: from after the newline before it */
        size_t start = got - 1;
        while (start > 0 && text[start - 1] != '\n')
            start--;
        json_t *rec = json_loadb(text + start, got - 1 - start, JSON_REJECT_DUPLICATES, NULL);
        torn = start > 0 || (size_t)size == got ? !json_is_object(rec) : 0;
        json_decref(rec);
    }
    free(text);
    return torn;
}
