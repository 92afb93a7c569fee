/* corpus_parse.c - documents and lines out of a block of a corpus file (README,
 * "Preparing a corpus"). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "io/corpus_parse.h"

#define SEPARATOR "<|endoftext|>"
#define SEPARATOR_LEN 13

/* Python's str.strip() set, ASCII only (what llm.c's scripts strip documents with). */
static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static bn_status add_entry(bn_corpus_parsed *p, size_t off, size_t len, bn_error *err)
{
    if (p->n == p->n_cap) {
        size_t cap = p->n_cap ? 2 * p->n_cap : 4096;
        size_t *o = realloc(p->off, cap * sizeof *o);
        if (o)
            p->off = o;
        size_t *l = o ? realloc(p->len, cap * sizeof *l) : NULL;
        if (!l)
            return bn_fail(err, BN_ERR_NOMEM, "out of memory");
        p->len = l;
        p->n_cap = cap;
    }
    p->off[p->n] = off;
    p->len[p->n] = len;
    p->n++;
    return BN_OK;
}

/* A document: raw[begin .. end) stripped; nothing when that leaves it empty. */
static bn_status add_stripped(bn_corpus_parsed *p, const char *raw, size_t begin, size_t end,
                              bn_error *err)
{
    while (begin < end && is_space(raw[begin]))
        begin++;
    while (end > begin && is_space(raw[end - 1]))
        end--;
    return end > begin ? add_entry(p, begin, end - begin, err) : BN_OK;
}

static int is_separator(const char *line, size_t len) /* len without the "\n" */
{
    if (len == SEPARATOR_LEN + 1 && line[SEPARATOR_LEN] == '\r')
        len--;
    return len == SEPARATOR_LEN && memcmp(line, SEPARATOR, SEPARATOR_LEN) == 0;
}

bn_status bn_corpus_parse_txt(bn_corpus_parsed *p, const char *raw, size_t have, int eof,
                              size_t *cut, bn_error *err)
{
    size_t doc = 0, at = 0;
    bn_status st = BN_OK;
    p->n = 0;
    p->decoded = 0;
    *cut = 0;
    while (at < have && st == BN_OK) {
        const char *nl = memchr(raw + at, '\n', have - at);
        size_t end = nl ? (size_t)(nl - raw) : have;
        if (!nl && !eof)
            break; /* a line still being read */
        if (is_separator(raw + at, end - at)) {
            st = add_stripped(p, raw, doc, at, err);
            doc = *cut = nl ? end + 1 : have;
        }
        at = end + 1;
    }
    if (eof && st == BN_OK) {
        st = add_stripped(p, raw, doc, have, err);
        *cut = have;
    }
    return st;
}

bn_status bn_corpus_parse_lines(bn_corpus_parsed *p, const char *raw, size_t have, int eof,
                                size_t *cut, bn_error *err)
{
    size_t end = have;
    while (!eof && end > 0 && raw[end - 1] != '\n')
        end--;
    p->n = 0;
    p->decoded = 0;
    *cut = end;
    return end > 0 ? add_entry(p, 0, end, err) : BN_OK;
}

/* Append s[0 .. n) (plus a "\n" when add_nl) to the decoded text as one entry. */
static bn_status add_text(bn_corpus_parsed *p, const char *s, size_t n, int add_nl,
                          bn_error *err)
{
    size_t need = p->text_len + n + 1;
    if (need > p->text_cap) {
        size_t cap = p->text_cap ? p->text_cap : 1u << 20;
        while (cap < need)
            cap *= 2;
        char *t = realloc(p->text, cap);
        if (!t)
            return bn_fail(err, BN_ERR_NOMEM, "out of memory");
        p->text = t;
        p->text_cap = cap;
    }
    memcpy(p->text + p->text_len, s, n);
    if (add_nl)
        p->text[p->text_len + n] = '\n';
    bn_status st = add_entry(p, p->text_len, n + (size_t)add_nl, err);
    p->text_len += n + (size_t)add_nl;
    return st;
}

/* The document's string: the named field, else "text", else "story". */
static const json_t *doc_field(const json_t *obj, const char *field)
{
    const json_t *v = field ? json_object_get(obj, field) : json_object_get(obj, "text");
    if (!field && !json_is_string(v))
        v = json_object_get(obj, "story");
    return json_is_string(v) ? v : NULL;
}

/* One line (without its "\n"): its document, or nothing when it is blank. */
static bn_status jsonl_line(bn_corpus_parsed *p, const char *path, long long lineno,
                            const char *s, size_t n, const bn_corpus_opts *o, bn_error *err)
{
    size_t i = 0;
    while (i < n && is_space(s[i]))
        i++;
    if (i == n)
        return BN_OK;
    json_error_t je;
    json_t *obj = json_loadb(s, n, JSON_ALLOW_NUL, &je);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return bn_fail(err, BN_ERR_INPUT, "%s:%lld: not a JSON object: %s", path, lineno,
                       obj ? "another JSON value" : je.text);
    }
    const json_t *v = doc_field(obj, o->field);
    bn_status st = BN_OK;
    if (!v) {
        st = o->field ? bn_fail(err, BN_ERR_INPUT, "%s:%lld: no string field \"%s\"", path,
                                lineno, o->field)
                      : bn_fail(err, BN_ERR_INPUT, "%s:%lld: no string field \"text\" or "
                                "\"story\" (name another with --field)", path, lineno);
    } else {
        const char *t = json_string_value(v);
        size_t b = 0, e = json_string_length(v);
        if (o->mode == BN_CORPUS_LINES) {
            if (e > 0)
                st = add_text(p, t, e, t[e - 1] != '\n', err);
        } else {
            while (b < e && is_space(t[b]))
                b++;
            while (e > b && is_space(t[e - 1]))
                e--;
            if (e > b)
                st = add_text(p, t + b, e - b, 0, err);
        }
    }
    json_decref(obj);
    return st;
}

bn_status bn_corpus_parse_jsonl(bn_corpus_parsed *p, const char *path, const char *raw,
                                size_t have, int eof, const bn_corpus_opts *o, size_t *cut,
                                bn_error *err)
{
    size_t at = 0;
    long long line = p->line;
    bn_status st = BN_OK;
    p->n = 0;
    p->text_len = 0;
    p->decoded = 1;
    while (at < have && st == BN_OK) {
        const char *nl = memchr(raw + at, '\n', have - at);
        if (!nl && !eof)
            break;
        size_t end = nl ? (size_t)(nl - raw) : have;
        st = jsonl_line(p, path, ++line, raw + at, end - at, o, err);
        at = end + 1;
    }
    *cut = at < have ? at : have;
    p->line = line;
    return st;
}

void bn_corpus_parsed_free(bn_corpus_parsed *p)
{
    free(p->text);
    free(p->off);
    free(p->len);
    memset(p, 0, sizeof *p);
}
