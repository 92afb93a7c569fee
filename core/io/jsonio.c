/* jsonio.c - JSON files and JSONL records through jansson. */
#include "io/jsonio.h"

#include <errno.h>
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
