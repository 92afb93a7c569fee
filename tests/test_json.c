/* test_json.c - the JSON reader: structure, strings, numbers, errors, escaping. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/json.h"

/* Parse `len` bytes from an exact-size heap copy, so reading past the end trips ASan. */
static int parse_exact(bn_json_doc *doc, const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return -2;
    memcpy(copy, text, len);
    int rc = bn_json_parse(doc, copy, len);
    free(copy);
    /* Nodes live in the arena, not in `copy`, so the tree stays valid. */
    return rc;
}

static int parses(const char *text)
{
    bn_json_doc doc;
    int rc = parse_exact(&doc, text, strlen(text));
    bn_json_free(&doc);
    return rc == 0;
}

static void test_structure(void)
{
    const char *text = " {\"a\": [1, 2, {\"b\": null}], \"c\": true, \"d\": false,\n"
                       "\t\"e\": \"x\", \"f\": {}, \"g\": []}\r\n";
    bn_json_doc doc;
    CHECK(parse_exact(&doc, text, strlen(text)) == 0, "parse failed: %s", doc.error);
    const bn_json *root = doc.root;
    CHECK(root && root->type == BN_JSON_OBJECT, "root is not an object");
    if (!root)
        return;
    CHECK(root->len == 6, "root has %zu members", root->len);
    const char *keys[] = {"a", "c", "d", "e", "f", "g"};
    const bn_json *m = root->child;
    for (size_t i = 0; i < 6 && m; i++, m = m->next)
        CHECK(strcmp(m->key, keys[i]) == 0, "member %zu key %s", i, m->key);

    const bn_json *a = bn_json_get(root, "a");
    CHECK(a && a->type == BN_JSON_ARRAY && a->len == 3, "a is not a 3-array");
    if (a && a->len == 3) {
        CHECK(a->child->type == BN_JSON_NUMBER && a->child->number == 1, "a[0]");
        CHECK(a->child->key == NULL, "array element has a key");
        CHECK(a->child->next->number == 2, "a[1]");
        const bn_json *inner = a->child->next->next;
        CHECK(inner->type == BN_JSON_OBJECT && inner->len == 1, "a[2] is not an object");
        const bn_json *b = bn_json_get(inner, "b");
        CHECK(b && b->type == BN_JSON_NULL, "a[2].b is not null");
        CHECK(inner->next == NULL, "a has a 4th element");
    }
    const bn_json *c = bn_json_get(root, "c"), *d = bn_json_get(root, "d");
    CHECK(c && c->type == BN_JSON_BOOL && c->number == 1, "c is not true");
    CHECK(d && d->type == BN_JSON_BOOL && d->number == 0, "d is not false");
    const bn_json *e = bn_json_get(root, "e");
    CHECK(e && e->type == BN_JSON_STRING && e->len == 1 && strcmp(e->string, "x") == 0,
          "e is not \"x\"");
    const bn_json *f = bn_json_get(root, "f"), *g = bn_json_get(root, "g");
    CHECK(f && f->type == BN_JSON_OBJECT && f->len == 0 && !f->child, "f is not {}");
    CHECK(g && g->type == BN_JSON_ARRAY && g->len == 0 && !g->child, "g is not []");
    bn_json_free(&doc);
    CHECK(doc.root == NULL && doc.arena == NULL, "bn_json_free did not clear the doc");
    bn_json_free(&doc); /* twice is harmless */
}

static void test_scalars_at_top_level(void)
{
    CHECK(parses("0"), "0");
    CHECK(parses(" \"s\" "), "string");
    CHECK(parses("null"), "null");
    CHECK(parses("true"), "true");
    CHECK(parses("[[[]]]"), "nested arrays");
}

static void test_escapes(void)
{
    const char *text = "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\\ud83d\\ude00 ok\"";
    const char *want = "\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 ok";
    bn_json_doc doc;
    CHECK(parse_exact(&doc, text, strlen(text)) == 0, "escapes: %s", doc.error);
    if (doc.root) {
        CHECK(doc.root->type == BN_JSON_STRING, "not a string");
        CHECK(doc.root->len == strlen(want), "len %zu, want %zu", doc.root->len, strlen(want));
        CHECK(strcmp(doc.root->string, want) == 0, "decoded string differs");
    }
    bn_json_free(&doc);

    /* Raw UTF-8 passes through untouched; keys are decoded too. */
    text = "{\"k\\u00e9y\": \"caf\xc3\xa9\"}";
    CHECK(parse_exact(&doc, text, strlen(text)) == 0, "utf-8: %s", doc.error);
    const bn_json *v = bn_json_get(doc.root, "k\xc3\xa9y");
    CHECK(v && strcmp(v->string, "caf\xc3\xa9") == 0, "escaped key lookup");
    bn_json_free(&doc);
}

static double number_of(const char *text, int *ok)
{
    bn_json_doc doc;
    *ok = parse_exact(&doc, text, strlen(text)) == 0 && doc.root->type == BN_JSON_NUMBER;
    double v = *ok ? doc.root->number : NAN;
    bn_json_free(&doc);
    return v;
}

static void test_numbers(void)
{
    static const struct {
        const char *text;
        double value;
    } good[] = {{"0", 0},          {"-0", 0},         {"7", 7},          {"123", 123},
                {"-45", -45},      {"1.5", 1.5},      {"-0.25", -0.25},  {"1e3", 1000},
                {"1E-2", 0.01},    {"-2.5e+2", -250}, {"6.02e23", 6.02e23},
                {"9007199254740992", 9007199254740992.0}, {"1e-400", 0}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int ok;
        double v = number_of(good[i].text, &ok);
        CHECK(ok && v == good[i].value, "%s parsed as %g", good[i].text, v);
    }
    static const char *bad[] = {"01", "1.", ".5", "+1", "-", "1e", "1e+", "--1", "0x10",
                                "NaN", "Infinity", "-Infinity", "1e400", "1.2.3", "- 1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!parses(bad[i]), "%s was accepted", bad[i]);

    /* The parser must stop at len even when more digits follow in memory. */
    bn_json_doc doc;
    CHECK(bn_json_parse(&doc, "1234", 2) == 0 && doc.root->number == 12, "len is ignored");
    bn_json_free(&doc);
    CHECK(bn_json_parse(&doc, "[1]", 2) != 0, "[1 with len 2 accepted");
}

/* Parse must fail and doc->error must mention `what` and a byte offset. */
static void expect_error(const char *text, const char *what)
{
    bn_json_doc doc;
    int rc = parse_exact(&doc, text, strlen(text));
    CHECK(rc == -1, "accepted: %s", text);
    CHECK(doc.root == NULL && doc.arena == NULL, "failed parse left a tree: %s", text);
    CHECK(strstr(doc.error, what) && strstr(doc.error, "at byte "),
          "error for %s is \"%s\", want \"%s\"", text, doc.error, what);
    bn_json_free(&doc);
}

static void test_errors(void)
{
    expect_error("", "unexpected end of input");
    expect_error("  \n", "unexpected end of input");
    expect_error("{} x", "trailing");
    expect_error("[1] [2]", "trailing");
    expect_error("\"abc", "unterminated string");
    expect_error("\"abc\\\"", "unterminated string");
    expect_error("{\"a", "unterminated string");
    expect_error("\"a\\qb\"", "invalid escape");
    expect_error("\"\\u12G4\"", "invalid \\u escape");
    expect_error("\"\\u12\"", "invalid \\u escape");
    expect_error("\"\\ud800\"", "unpaired surrogate");
    expect_error("\"\\ud800\\u0041\"", "unpaired surrogate");
    expect_error("\"\\udc00\"", "unpaired surrogate");
    expect_error("\"\\u0000\"", "\\u0000");
    expect_error("\"a\tb\"", "control character");
    expect_error("[1,]", "unexpected character");
    expect_error("[1 2]", "expected ',' or ']'");
    expect_error("{\"a\":1,}", "expected a string key");
    expect_error("{\"a\" 1}", "expected ':'");
    expect_error("{\"a\":1 \"b\":2}", "expected ',' or '}'");
    expect_error("{1:2}", "expected a string key");
    expect_error("[tru]", "unexpected character");
    expect_error("nul", "unexpected character");
    expect_error("'a'", "unexpected character");

    bn_json_doc doc;
    CHECK(parse_exact(&doc, "[1,]", 4) == -1 &&
              strcmp(doc.error, "unexpected character at byte 3") == 0,
          "error offset: \"%s\"", doc.error);
    bn_json_free(&doc);
}

/* `levels` nested arrays (or objects) around a 0. */
static char *nested(int levels, int objects)
{
    char *s = malloc((size_t)levels * 6 + 2);
    size_t n = 0;
    for (int i = 0; i < levels; i++)
        n += (size_t)sprintf(s + n, "%s", objects ? "{\"k\":" : "[");
    s[n++] = '0';
    for (int i = 0; i < levels; i++)
        s[n++] = objects ? '}' : ']';
    s[n] = '\0';
    return s;
}

static void test_depth(void)
{
    for (int objects = 0; objects < 2; objects++) {
        char *ok = nested(64, objects), *deep = nested(65, objects);
        CHECK(parses(ok), "64 levels refused (objects=%d)", objects);
        expect_error(deep, "nesting deeper than 64");
        free(ok);
        free(deep);
    }
    char *very_deep = nested(100000, 0); /* must not recurse 100000 deep */
    CHECK(!parses(very_deep), "100000 levels accepted");
    free(very_deep);
}

static void test_every_prefix_fails(void)
{
    const char *text = "{\"name\": \"w\\u00e9\\ud83d\\ude00\\n\", \"dtype\": \"F32\", "
                       "\"shape\": [2, -3.5e+1, 0], \"ok\": true, \"no\": false, "
                       "\"nil\": null, \"nest\": {\"a\": [[], {}]}}";
    size_t len = strlen(text);
    bn_json_doc full;
    CHECK(parse_exact(&full, text, len) == 0, "full document refused: %s", full.error);
    bn_json_free(&full);
    int accepted = 0;
    for (size_t n = 0; n < len; n++) {
        bn_json_doc doc;
        if (parse_exact(&doc, text, n) == 0) {
            accepted++;
            bn_json_free(&doc);
        } else {
            CHECK(doc.error[0] != '\0', "no error message for prefix %zu", n);
        }
    }
    CHECK(accepted == 0, "%d strict prefixes were accepted", accepted);
}

static void test_get(void)
{
    bn_json_doc doc;
    const char *text = "{\"a\": 1, \"b\": 2, \"a\": 3, \"\": 4}";
    CHECK(parse_exact(&doc, text, strlen(text)) == 0, "parse: %s", doc.error);
    const bn_json *a = bn_json_get(doc.root, "a");
    CHECK(a && a->number == 1, "duplicate key: first one wins");
    const bn_json *b = bn_json_get(doc.root, "b");
    CHECK(b && b->number == 2 && strcmp(b->key, "b") == 0, "b");
    const bn_json *empty = bn_json_get(doc.root, "");
    CHECK(empty && empty->number == 4, "empty key");
    CHECK(bn_json_get(doc.root, "c") == NULL, "absent key found");
    CHECK(bn_json_get(doc.root, "A") == NULL, "lookup is not case-sensitive");
    CHECK(bn_json_get(a, "a") == NULL, "get on a number");
    CHECK(bn_json_get(NULL, "a") == NULL, "get on NULL");
    bn_json_free(&doc);
}

static void test_escape_round_trip(void)
{
    const char *cases[] = {"",
                           "plain",
                           "quote \" backslash \\ slash /",
                           "\n\r\t\b\f",
                           "\x01\x02\x1f\x7f",
                           "caf\xc3\xa9 \xf0\x9f\x98\x80",
                           "{\"json\": [1, 2]}"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[256];
        size_t n = bn_json_escape(buf, sizeof buf, cases[i]);
        CHECK(n == strlen(buf), "case %zu: returned %zu, wrote %zu", i, n, strlen(buf));
        for (size_t j = 0; j < n; j++)
            CHECK((unsigned char)buf[j] >= 0x20, "case %zu: raw control char in output", i);
        bn_json_doc doc;
        int rc = parse_exact(&doc, buf, n);
        CHECK(rc == 0, "case %zu: escaped form does not parse: %s", i, doc.error);
        if (rc == 0)
            CHECK(doc.root->type == BN_JSON_STRING && strcmp(doc.root->string, cases[i]) == 0,
                  "case %zu: round trip differs", i);
        bn_json_free(&doc);
    }

    char buf[16];
    CHECK(bn_json_escape(buf, sizeof buf, "a\"b") == 6 && strcmp(buf, "\"a\\\"b\"") == 0,
          "a\"b escaped as %s", buf);
    CHECK(bn_json_escape(buf, sizeof buf, "\n\t") == 6 && strcmp(buf, "\"\\n\\t\"") == 0,
          "newline and tab escaped as %s", buf);
    CHECK(bn_json_escape(buf, sizeof buf, "\x01") == 8 && strcmp(buf, "\"\\u0001\"") == 0,
          "\\x01 escaped as %s", buf);
    /* snprintf semantics: the full length is returned, output truncated and terminated. */
    memset(buf, 'X', sizeof buf);
    CHECK(bn_json_escape(buf, 4, "hello") == 7 && strcmp(buf, "\"he") == 0 && buf[4] == 'X',
          "truncated escape gave %s", buf);
    CHECK(bn_json_escape(NULL, 0, "hello") == 7, "size query");
    buf[0] = 'X';
    CHECK(bn_json_escape(buf, 1, "hello") == 7 && buf[0] == '\0', "cap 1");
}

int main(void)
{
    test_structure();
    test_scalars_at_top_level();
    test_escapes();
    test_numbers();
    test_errors();
    test_depth();
    test_every_prefix_fails();
    test_get();
    test_escape_round_trip();
    return check_exit("test_json");
}
