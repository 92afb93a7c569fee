/* test_json.c - io/jsonio: numbers (NaN and Inf as null), one-line records, atomic
 * documents, parse errors with line and column, duplicate keys refused, JSONL iteration
 * (a torn last line skipped), the tail of a JSONL file. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "io/jsonio.h"

static char dir[] = "/tmp/bn_test_json_XXXXXX";

static const char *in_dir(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL, "cannot create %s", path);
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

/* The whole file as a malloc'd string ("" when unreadable). */
static char *slurp(const char *path)
{
    char *buf = calloc(1, 65536);
    FILE *f = fopen(path, "rb");
    if (buf && f)
        buf[fread(buf, 1, 65535, f)] = '\0';
    if (f)
        fclose(f);
    return buf;
}

/* The line of `v`, compared with `want` (then freed). */
static void expect_line(const json_t *v, size_t flags, const char *want, const char *what)
{
    char *line = bn_json_line(v, flags);
    CHECK(line && strcmp(line, want) == 0, "%s: \"%s\", want \"%s\"", what,
          line ? line : "(null)", want);
    free(line);
}

static void test_numbers(void)
{
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = bn_json_number(bad[i]);
        CHECK(json_is_null(v), "%g is not null", bad[i]);
        json_decref(v);
    }
    json_t *rec = json_pack("{s:o, s:o, s:o, s:o, s:o, s:I}", "loss", bn_json_number(NAN),
                            "lr", bn_json_number(0.1f), "one", bn_json_number(1.0), "tiny",
                            bn_json_number(1e-30), "big", bn_json_number(123456789.0), "step",
                            (json_int_t)2000);
    /* Reals: 7 significant digits (a float's), always with a '.' or an exponent, so they stay
     * reals; counts are integers. */
    expect_line(rec, BN_JSON_RECORD,
                "{\"loss\": null, \"lr\": 0.1, \"one\": 1.0, \"tiny\": 1e-30, "
                "\"big\": 1.234568e8, \"step\": 2000}",
                "record");
    json_decref(rec);

    double x = 0.1 + 0.2; /* not 0.3: needs 17 digits to come back */
    json_t *v = bn_json_number(x);
    char *line = bn_json_line(v, BN_JSON_EXACT);
    CHECK(line && strtod(line, NULL) == x, "exact: %s does not read back", line);
    free(line);
    json_decref(v);

    json_t *o = json_pack("{s:f, s:n, s:I, s:s}", "a", 2.5, "b", "c", (json_int_t)7, "d", "x");
    CHECK(bn_json_get_number(o, "a") == 2.5, "get a number");
    CHECK(bn_json_get_number(o, "c") == 7.0, "an integer is a number");
    CHECK(isnan(bn_json_get_number(o, "b")) && isnan(bn_json_get_number(o, "zz")) &&
              isnan(bn_json_get_number(o, "d")),
          "null, missing or a string read as NaN");
    long l = -1;
    CHECK(bn_json_get_long(o, "c", &l) == 0 && l == 7, "get a long");
    l = -1;
    CHECK(bn_json_get_long(o, "a", &l) < 0 && bn_json_get_long(o, "b", &l) < 0 &&
              bn_json_get_long(o, "zz", &l) < 0 && bn_json_get_long(o, "d", &l) < 0 && l == -1,
          "a real, null, missing or a string taken as a long");
    json_decref(o);
}

static void test_line(void)
{
    json_t *rec = json_pack("{s:s, s:[i, i], s:{s:b}, s:s}", "text", "two\nlines \"quoted\"",
                            "list", 1, 2, "nested", "ok", 1, "utf8", "caf\xc3\xa9");
    expect_line(rec, BN_JSON_RECORD,
                "{\"text\": \"two\\nlines \\\"quoted\\\"\", \"list\": [1, 2], "
                "\"nested\": {\"ok\": true}, \"utf8\": \"caf\xc3\xa9\"}",
                "one line, keys in insertion order");
    json_decref(rec);
    json_t *s = json_string("x");
    expect_line(s, BN_JSON_RECORD, "\"x\"", "a bare string");
    json_decref(s);
}

static void test_append(void)
{
    char path[512];
    in_dir(path, sizeof path, "records.jsonl");
    FILE *f = fopen(path, "w");
    json_t *a = json_pack("{s:I, s:o}", "step", (json_int_t)1, "loss", bn_json_number(2.5));
    json_t *b = json_pack("{s:I, s:o}", "step", (json_int_t)2, "loss", bn_json_number(NAN));
    bn_error err = {0};
    CHECK(f && bn_jsonl_append(f, "records", a, &err) == BN_OK, "append: %s", err.msg);
    /* Flushed per line: a reader sees it before the file is closed. */
    char *text = slurp(path);
    CHECK(text && strcmp(text, "{\"step\": 1, \"loss\": 2.5}\n") == 0, "after one: %s", text);
    free(text);
    CHECK(f && bn_jsonl_append(f, "records", b, &err) == BN_OK, "append: %s", err.msg);
    if (f)
        fclose(f);
    text = slurp(path);
    CHECK(text && strcmp(text, "{\"step\": 1, \"loss\": 2.5}\n{\"step\": 2, \"loss\": null}\n") == 0,
          "file is \"%s\"", text);
    free(text);

    f = fopen(path, "r"); /* not open for writing: the append fails */
    CHECK(f && bn_jsonl_append(f, "my.jsonl", a, &err) == BN_ERR_IO &&
              strncmp(err.msg, "my.jsonl: cannot append", 23) == 0,
          "append to a read-only stream: %s", err.msg);
    if (f)
        fclose(f);
    json_decref(a);
    json_decref(b);
    remove(path);
}

/* Names in dir ending in ".tmp". */
static int tmp_files(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        n += len > 4 && strcmp(e->d_name + len - 4, ".tmp") == 0;
    }
    if (d)
        closedir(d);
    return n;
}

static void test_write_file(void)
{
    char path[512], bad[512];
    in_dir(path, sizeof path, "doc.json");
    in_dir(bad, sizeof bad, "no/such/dir/doc.json");
    json_t *doc = json_pack("{s:I, s:[i]}", "step", (json_int_t)3, "rng", 5);
    bn_error err = {0};
    CHECK(bn_json_write_file(path, doc, BN_JSON_EXACT, &err) == BN_OK, "write: %s", err.msg);
    char *text = slurp(path);
    CHECK(text && strcmp(text, "{\n  \"step\": 3,\n  \"rng\": [\n    5\n  ]\n}\n") == 0,
          "document is \"%s\"", text);
    free(text);
    CHECK(tmp_files() == 0, "a .tmp file is left after a write");

    json_t *back = NULL;
    CHECK(bn_json_read_file(path, &back, &err) == BN_OK && json_equal(back, doc),
          "read back: %s", err.msg);
    json_decref(back);

    CHECK(bn_json_write_file(bad, doc, BN_JSON_EXACT, &err) == BN_ERR_IO && strstr(err.msg, bad),
          "write into a missing directory: %s", err.msg);
    CHECK(tmp_files() == 0, "a .tmp file is left after a failed write");
    json_decref(doc);
    remove(path);
}

static void expect_parse_error(const char *text, const char *want, const char *what)
{
    json_t *v = (json_t *)1;
    bn_error err = {0};
    bn_status s = bn_json_parse_text("x.json", text, strlen(text), &v, &err);
    CHECK(s == BN_ERR_INPUT && v == NULL, "%s: status %d", what, s);
    CHECK(strncmp(err.msg, want, strlen(want)) == 0, "%s: \"%s\", want \"%s...\"", what,
          err.msg, want);
    CHECK(!strchr(err.msg, '\n'), "%s: message has a newline", what);
}

static void test_parse(void)
{
    expect_parse_error("{\n  \"a\": 1,\n  \"b\": }", "x.json:3:8: not valid JSON", "line 3");
    expect_parse_error("{\"a\": 1, \"a\": 2}", "x.json:1:", "duplicate key");
    expect_parse_error("{\"a\": {\"k\": 1, \"k\": 1}}", "x.json:1:", "nested duplicate key");
    expect_parse_error("{\"a\": 1} x", "x.json:1:", "trailing text");
    expect_parse_error("", "x.json:", "empty text");
    bn_error err = {0};
    json_t *v = NULL;
    CHECK(bn_json_parse_text("x", "[1, 2]xyz", 6, &v, &err) == BN_OK && json_array_size(v) == 2,
          "len bounds the text: %s", err.msg);
    json_decref(v);
    CHECK(bn_json_parse_text("x", "42", 2, &v, &err) == BN_OK && json_integer_value(v) == 42,
          "a bare value: %s", err.msg);
    json_decref(v);

    char path[512];
    in_dir(path, sizeof path, "missing.json");
    CHECK(bn_json_read_file(path, &v, &err) == BN_ERR_INPUT &&
              strncmp(err.msg, path, strlen(path)) == 0,
          "missing file: %s", err.msg);
    in_dir(path, sizeof path, "bad.json");
    write_text(path, "{\"a\":\n}");
    char want[600];
    snprintf(want, sizeof want, "%s:2:1: not valid JSON", path);
    CHECK(bn_json_read_file(path, &v, &err) == BN_ERR_INPUT && strncmp(err.msg, want,
                                                                       strlen(want)) == 0,
          "bad file: \"%s\", want \"%s\"", err.msg, want);
    remove(path);
}

/* Collects each record's "step"; stops after `stop_at` records when that is > 0. */
typedef struct {
    long steps[16];
    int n, stop_at;
} steps_seen;

static int take_step(void *ctx, const json_t *rec)
{
    steps_seen *s = ctx;
    long step = -1;
    bn_json_get_long(rec, "step", &step);
    if (s->n < 16)
        s->steps[s->n++] = step;
    return s->stop_at > 0 && s->n >= s->stop_at;
}

static int seen_is(const steps_seen *s, const long *want, int n)
{
    if (s->n != n)
        return 0;
    for (int i = 0; i < n; i++)
        if (s->steps[i] != want[i])
            return 0;
    return 1;
}

static void test_jsonl_each(void)
{
    char path[512];
    in_dir(path, sizeof path, "log.jsonl");
    /* Whole records, a blank line, an array, garbage, a duplicate key, a record whose last
     * line has no newline and then one torn by a crash. */
    write_text(path, "{\"step\": 1}\n\n[1, 2]\nnot json\n{\"step\": 9, \"step\": 9}\n"
                     "{\"step\": 2, \"loss\": null}\n{\"step\": 3}\n{\"step\": 4, \"lo");
    steps_seen s = {0};
    bn_error err = {0};
    CHECK(bn_jsonl_each(path, take_step, &s, &err) == BN_OK, "each: %s", err.msg);
    const long want[] = {1, 2, 3};
    CHECK(seen_is(&s, want, 3), "records %d: %ld %ld %ld", s.n, s.steps[0], s.steps[1],
          s.steps[2]);

    steps_seen first = {.stop_at = 2};
    CHECK(bn_jsonl_each(path, take_step, &first, &err) == BN_OK && seen_is(&first, want, 2),
          "fn returning non-zero stops: %d records", first.n);

    /* The tail: a window that starts inside a line skips that line. */
    write_text(path, "{\"step\": 10}\n{\"step\": 11}\n{\"step\": 12}\n{\"step\": 13, \"x");
    steps_seen tail = {0};
    CHECK(bn_jsonl_each_tail(path, 30, take_step, &tail, &err) == BN_OK, "tail: %s", err.msg);
    const long last[] = {12};
    CHECK(seen_is(&tail, last, 1), "tail of 30 bytes: %d records, first %ld", tail.n,
          tail.steps[0]);
    steps_seen all = {0};
    const long every[] = {10, 11, 12};
    CHECK(bn_jsonl_each_tail(path, 1 << 20, take_step, &all, &err) == BN_OK &&
              seen_is(&all, every, 3),
          "a window larger than the file reads it all: %d records", all.n);
    steps_seen exact = {0}, one_less = {0};
    CHECK(bn_jsonl_each_tail(path, 2 * 13 + 15, take_step, &exact, &err) == BN_OK &&
              seen_is(&exact, every + 1, 2),
          "a window starting on a line's first byte reads that line: %d records", exact.n);
    CHECK(bn_jsonl_each_tail(path, 2 * 13 + 14, take_step, &one_less, &err) == BN_OK &&
              seen_is(&one_less, every + 2, 1),
          "a window one byte into a line skips it: %d records", one_less.n);
    remove(path);

    in_dir(path, sizeof path, "none.jsonl");
    CHECK(bn_jsonl_each(path, take_step, &s, &err) == BN_ERR_INPUT && strstr(err.msg, path),
          "missing file: %s", err.msg);
    CHECK(bn_jsonl_each_tail(path, 10, take_step, &s, &err) == BN_ERR_INPUT &&
              strstr(err.msg, path),
          "missing file (tail): %s", err.msg);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_numbers();
    test_line();
    test_append();
    test_write_file();
    test_parse();
    test_jsonl_each();
    CHECK(rmdir(dir) == 0, "%s not empty after the test", dir);
    return check_exit("test_json");
}
