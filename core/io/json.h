/* json.h - a small JSON reader (RFC 8259) for safetensors headers and state files.
 * Parses into a tree of nodes allocated in one arena owned by bn_json_doc. */
#ifndef BN_JSON_H
#define BN_JSON_H

#include <stddef.h>

typedef enum {
    BN_JSON_NULL, BN_JSON_BOOL, BN_JSON_NUMBER, BN_JSON_STRING, BN_JSON_ARRAY, BN_JSON_OBJECT
} bn_json_type;

typedef struct bn_json bn_json;
struct bn_json {
    bn_json_type type;
    double number;      /* NUMBER (and BOOL as 0/1) */
    const char *string; /* STRING: decoded, NUL-terminated; \\u0000 is refused */
    size_t len;         /* STRING: byte length; ARRAY/OBJECT: child count */
    const char *key;    /* when this node is a member of an OBJECT */
    bn_json *child;     /* ARRAY/OBJECT: first child */
    bn_json *next;      /* next sibling */
};

typedef struct {
    bn_json *root;
    void *arena;        /* private */
    char error[128];    /* on failure: what and at which byte offset */
} bn_json_doc;

/* Parse `len` bytes (not necessarily NUL-terminated). Returns 0 on success, -1 on error
 * (doc->error says why). Nesting deeper than 64 is an error. */
int bn_json_parse(bn_json_doc *doc, const char *text, size_t len);
void bn_json_free(bn_json_doc *doc);

/* Member of an object by key, or NULL. */
const bn_json *bn_json_get(const bn_json *object, const char *key);

/* Append `s` to `out` as a JSON string literal (with quotes and escapes); returns chars
 * written or that would be written (snprintf semantics). */
size_t bn_json_escape(char *out, size_t cap, const char *s);

#endif
