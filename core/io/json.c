/* json.c - a strict RFC 8259 reader into a tree of nodes allocated in one arena.
 *
 * The input is `len` bytes that need not be NUL-terminated, so every read is bounds
 * checked against `len`; numbers are copied into a bounded, NUL-terminated buffer before
 * strtod sees them. */
#include "io/json.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_NUMBER_CHARS 128 /* longer number literals are refused */
#define ARENA_BLOCK_BYTES 4096

/* ------------------------------------------------------------------ arena */

typedef struct arena_block arena_block;
struct arena_block {
    arena_block *next;
    size_t used, cap;
    max_align_t data[]; /* cap bytes follow */
};

static void *arena_alloc(arena_block **head, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    size = (size + align - 1) / align * align;
    arena_block *b = *head;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > ARENA_BLOCK_BYTES ? size : ARENA_BLOCK_BYTES;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = *head;
        b->used = 0;
        b->cap = cap;
        *head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

static void arena_free(arena_block *b)
{
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
}

/* ------------------------------------------------------------------ parser state */

typedef struct {
    const char *s;
    size_t len;
    size_t pos;
    arena_block **arena;
    char *error; /* doc->error; only the first failure is recorded */
    size_t error_cap;
    int failed;
} parser;

static bn_json *fail_at(parser *p, size_t at, const char *what)
{
    if (!p->failed)
        snprintf(p->error, p->error_cap, "%s at byte %zu", what, at);
    p->failed = 1;
    return NULL;
}

static bn_json *fail(parser *p, const char *what) { return fail_at(p, p->pos, what); }

/* fail_at for the helpers that return a status: always -1. */
static int fail_status(parser *p, size_t at, const char *what)
{
    fail_at(p, at, what);
    return -1;
}

/* The byte at the cursor, or -1 at the end of input. */
static int peek(const parser *p) { return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1; }

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static void skip_ws(parser *p)
{
    for (int c = peek(p); c == ' ' || c == '\t' || c == '\n' || c == '\r'; c = peek(p))
        p->pos++;
}

static bn_json *new_node(parser *p, bn_json_type type)
{
    bn_json *n = arena_alloc(p->arena, sizeof *n);
    if (!n)
        return fail(p, "out of memory");
    memset(n, 0, sizeof *n);
    n->type = type;
    return n;
}

/* ------------------------------------------------------------------ strings */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at s[at..at+3], all before `end`; -1 if missing or not hex. */
static long read_hex4(const char *s, size_t at, size_t end)
{
    if (end - at < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(s[at + i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t utf8_encode(unsigned long cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decode a \uXXXX escape (or a surrogate pair of them) starting at the backslash at *q;
 * advances *q past it and appends UTF-8 to out. Returns 0, or -1 after recording why. */
static int decode_unicode(parser *p, size_t *q, size_t end, char *out, size_t *n)
{
    long hi = read_hex4(p->s, *q + 2, end);
    if (hi < 0)
        return fail_status(p, *q, "invalid \\u escape");
    unsigned long cp = (unsigned long)hi;
    size_t used = 6;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return fail_status(p, *q, "unpaired surrogate in \\u escape");
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        /* A high surrogate must be followed by \u and a low surrogate. */
        size_t at = *q + 6;
        long lo = (end - at >= 2 && p->s[at] == '\\' && p->s[at + 1] == 'u')
                      ? read_hex4(p->s, at + 2, end)
                      : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail_status(p, *q, "unpaired surrogate in \\u escape");
        cp = 0x10000 + (((unsigned long)hi - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
        used = 12;
    }
    /* Decoded strings are NUL-terminated C strings, so an embedded NUL is refused. */
    if (cp == 0)
        return fail_status(p, *q, "\\u0000 is not supported");
    *n += utf8_encode(cp, out + *n);
    *q += used;
    return 0;
}

static int simple_escape(char e)
{
    switch (e) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return -1;
    }
}

/* Index of the closing quote of the string whose opening quote is at `open`, or len. */
static size_t find_string_end(const parser *p, size_t open)
{
    size_t i = open + 1;
    while (i < p->len && p->s[i] != '"')
        i += p->s[i] == '\\' ? 2 : 1;
    return i < p->len ? i : p->len;
}

/* Decode s[begin..end) into out (which has room: escapes never decode longer than they
 * are written) and NUL-terminate it. Returns 0, or -1 after recording why. */
static int decode_string(parser *p, size_t begin, size_t end, char *out, size_t *out_len)
{
    size_t n = 0;
    size_t q = begin;
    while (q < end) {
        unsigned char c = (unsigned char)p->s[q];
        if (c < 0x20)
            return fail_status(p, q, "control character in string");
        if (c != '\\') {
            out[n++] = (char)c;
            q++;
            continue;
        }
        /* find_string_end guarantees a byte after every backslash inside the span. */
        char e = p->s[q + 1];
        if (e == 'u') {
            if (decode_unicode(p, &q, end, out, &n) < 0)
                return -1;
            continue;
        }
        int v = simple_escape(e);
        if (v < 0)
            return fail_status(p, q, "invalid escape in string");
        out[n++] = (char)v;
        q += 2;
    }
    out[n] = '\0';
    *out_len = n;
    return 0;
}

/* Parse the string whose opening quote is at the cursor; the result lives in the arena. */
static int parse_string(parser *p, const char **out, size_t *out_len)
{
    size_t open = p->pos;
    size_t close = find_string_end(p, open);
    if (close >= p->len)
        return fail_status(p, open, "unterminated string");
    char *buf = arena_alloc(p->arena, close - open); /* raw length + 1 for the NUL */
    if (!buf)
        return fail_status(p, open, "out of memory");
    if (decode_string(p, open + 1, close, buf, out_len) < 0)
        return -1;
    *out = buf;
    p->pos = close + 1;
    return 0;
}

/* ------------------------------------------------------------------ scalars */

static void skip_digits(parser *p)
{
    while (is_digit(peek(p)))
        p->pos++;
}

/* Advance over one RFC 8259 number; 0 if well formed, -1 after recording why. */
static int scan_number(parser *p)
{
    if (peek(p) == '-')
        p->pos++;
    if (peek(p) == '0')
        p->pos++;
    else if (is_digit(peek(p)))
        skip_digits(p);
    else
        return fail_status(p, p->pos, "invalid number");
    if (peek(p) == '.') {
        p->pos++;
        if (!is_digit(peek(p)))
            return fail_status(p, p->pos, "digit expected after '.'");
        skip_digits(p);
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-')
            p->pos++;
        if (!is_digit(peek(p)))
            return fail_status(p, p->pos, "digit expected in exponent");
        skip_digits(p);
    }
    return 0;
}

static bn_json *parse_number(parser *p)
{
    size_t start = p->pos;
    if (scan_number(p) < 0)
        return NULL;
    size_t n = p->pos - start;
    if (n >= MAX_NUMBER_CHARS)
        return fail_at(p, start, "number too long");
    char buf[MAX_NUMBER_CHARS];
    memcpy(buf, p->s + start, n);
    buf[n] = '\0';
    /* strtod follows LC_NUMERIC; a UI may have set a locale whose decimal point is ','. */
    const char *dp = localeconv()->decimal_point;
    char *dot = memchr(buf, '.', n);
    if (dot && dp[0] && !dp[1])
        *dot = dp[0];
    char *endp;
    double v = strtod(buf, &endp);
    if (endp != buf + n)
        return fail_at(p, start, "invalid number");
    if (isinf(v))
        return fail_at(p, start, "number out of range");
    bn_json *node = new_node(p, BN_JSON_NUMBER);
    if (node)
        node->number = v;
    return node;
}

/* true, false or null at the cursor. */
static bn_json *parse_literal(parser *p)
{
    static const struct {
        const char *word;
        bn_json_type type;
        double number;
    } literals[] = {
        {"true", BN_JSON_BOOL, 1}, {"false", BN_JSON_BOOL, 0}, {"null", BN_JSON_NULL, 0}};
    for (size_t i = 0; i < sizeof literals / sizeof literals[0]; i++) {
        size_t n = strlen(literals[i].word);
        if (p->len - p->pos >= n && memcmp(p->s + p->pos, literals[i].word, n) == 0) {
            bn_json *node = new_node(p, literals[i].type);
            if (node)
                node->number = literals[i].number;
            p->pos += n;
            return node;
        }
    }
    return fail(p, "unexpected character");
}

/* ------------------------------------------------------------------ containers */

static bn_json *parse_value(parser *p, int depth);

/* Consume the opening bracket of a container at nesting level `depth`. */
static bn_json *open_container(parser *p, bn_json_type type, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(p, "nesting deeper than 64");
    bn_json *node = new_node(p, type);
    if (node)
        p->pos++;
    return node;
}

/* After a member or element: consume ',' (returns 1) or `close` (returns 0); else -1. */
static int after_item(parser *p, char close)
{
    skip_ws(p);
    int c = peek(p);
    if (c == ',' || c == close) {
        p->pos++;
        return c == ',';
    }
    if (c < 0)
        fail(p, "unexpected end of input");
    else
        fail(p, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
    return -1;
}

static bn_json *parse_array(parser *p, int depth)
{
    bn_json *arr = open_container(p, BN_JSON_ARRAY, depth);
    if (!arr)
        return NULL;
    skip_ws(p);
    if (peek(p) == ']') {
        p->pos++;
        return arr;
    }
    bn_json **tail = &arr->child;
    for (int more = 1; more;) {
        bn_json *v = parse_value(p, depth);
        if (!v)
            return NULL;
        *tail = v;
        tail = &v->next;
        arr->len++;
        more = after_item(p, ']');
        if (more < 0)
            return NULL;
    }
    return arr;
}

/* One "key": value member of an object; the cursor is at the key's opening quote. */
static bn_json *parse_member(parser *p, int depth)
{
    const char *key;
    size_t key_len;
    if (parse_string(p, &key, &key_len) < 0)
        return NULL;
    skip_ws(p);
    if (peek(p) != ':')
        return fail(p, "expected ':'");
    p->pos++;
    bn_json *v = parse_value(p, depth);
    if (v)
        v->key = key;
    return v;
}

static bn_json *parse_object(parser *p, int depth)
{
    bn_json *obj = open_container(p, BN_JSON_OBJECT, depth);
    if (!obj)
        return NULL;
    skip_ws(p);
    if (peek(p) == '}') {
        p->pos++;
        return obj;
    }
    bn_json **tail = &obj->child;
    for (int more = 1; more;) {
        skip_ws(p);
        if (peek(p) != '"')
            return fail(p, "expected a string key");
        bn_json *v = parse_member(p, depth);
        if (!v)
            return NULL;
        *tail = v;
        tail = &v->next;
        obj->len++;
        more = after_item(p, '}');
        if (more < 0)
            return NULL;
    }
    return obj;
}

/* `depth` is the nesting level of the container holding this value (0 at the top). */
static bn_json *parse_value(parser *p, int depth)
{
    skip_ws(p);
    int c = peek(p);
    if (c < 0)
        return fail(p, "unexpected end of input");
    if (c == '{')
        return parse_object(p, depth + 1);
    if (c == '[')
        return parse_array(p, depth + 1);
    if (c == '-' || is_digit(c))
        return parse_number(p);
    if (c != '"')
        return parse_literal(p);
    bn_json *node = new_node(p, BN_JSON_STRING);
    if (node && parse_string(p, &node->string, &node->len) < 0)
        return NULL;
    return node;
}

/* ------------------------------------------------------------------ public API */

int bn_json_parse(bn_json_doc *doc, const char *text, size_t len)
{
    doc->root = NULL;
    doc->arena = NULL;
    doc->error[0] = '\0';
    arena_block *arena = NULL;
    parser p = {text, len, 0, &arena, doc->error, sizeof doc->error, 0};
    bn_json *root = parse_value(&p, 0);
    if (root) {
        skip_ws(&p);
        if (p.pos != len)
            root = fail(&p, "unexpected trailing characters");
    }
    if (!root) {
        arena_free(arena);
        return -1;
    }
    doc->root = root;
    doc->arena = arena;
    return 0;
}

void bn_json_free(bn_json_doc *doc)
{
    if (!doc)
        return;
    arena_free(doc->arena);
    doc->arena = NULL;
    doc->root = NULL;
}

const bn_json *bn_json_get(const bn_json *object, const char *key)
{
    if (!object || object->type != BN_JSON_OBJECT || !key)
        return NULL;
    for (const bn_json *m = object->child; m; m = m->next)
        if (strcmp(m->key, key) == 0)
            return m;
    return NULL;
}

/* snprintf-style append: count every byte, store only those that fit before the NUL. */
static void put(char *out, size_t cap, size_t *n, char c)
{
    if (*n + 1 < cap)
        out[*n] = c;
    (*n)++;
}

/* The letter of the two-character escape for c, or 0 if it has none. */
static char short_escape(unsigned char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    default: return 0;
    }
}

size_t bn_json_escape(char *out, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    put(out, cap, &n, '"');
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        char e = short_escape(*c);
        if (e) {
            put(out, cap, &n, '\\');
            put(out, cap, &n, e);
        } else if (*c < 0x20) {
            put(out, cap, &n, '\\');
            put(out, cap, &n, 'u');
            put(out, cap, &n, '0');
            put(out, cap, &n, '0');
            put(out, cap, &n, hex[*c >> 4]);
            put(out, cap, &n, hex[*c & 15]);
        } else {
            put(out, cap, &n, (char)*c);
        }
    }
    put(out, cap, &n, '"');
    if (cap > 0)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}
