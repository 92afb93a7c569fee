/* pretok.c - regex pre-tokenization with PCRE2 (README, "Tokenizers"). Compiled with
 * PCRE2_MATCH_INVALID_UTF so arbitrary bytes are safe to scan: an invalid sequence simply
 * never matches and falls into the stretch between matches. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tok/pretok.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

struct bn_pretok {
    pcre2_code *code;
    char *pattern;
    size_t scan_bytes; /* what bn_pretok_scan_new allocates, for its out-of-memory message */
};

struct bn_pretok_scan {
    const bn_pretok *p;
    pcre2_match_data *md;
    const char *s;
    size_t n, pos;
    size_t m_start, m_end; /* the next match at or after pos (m_start == n: none) */
    int have_match;
    int failed;            /* pcre2_match's error code (0: none); the scan ended there */
};

bn_status bn_pretok_new(bn_pretok **out, const char *pattern, const char *what, bn_error *err)
{
    *out = NULL;
    if (!pattern)
        pattern = BN_PRETOK_GPT2;
    int code_err;
    PCRE2_SIZE at;
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &code_err,
                                     &at, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code_err, msg, sizeof msg);
        return bn_fail(err, BN_ERR_INPUT, "%s: pattern \"%s\": %s at offset %zu", what, pattern,
                       (const char *)msg, (size_t)at);
    }
    /* JIT is an accelerator only: where it is missing, pcre2_match interprets. */
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    bn_pretok *p = calloc(1, sizeof *p);
    char *copy = malloc(strlen(pattern) + 1);
    if (!p || !copy) {
        free(p);
        free(copy);
        pcre2_code_free(code);
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for the pre-tokenizer");
    }
    strcpy(copy, pattern);
    p->code = code;
    p->pattern = copy;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    p->scan_bytes = sizeof(bn_pretok_scan) + (md ? pcre2_get_match_data_size(md) : 0);
    pcre2_match_data_free(md);
    *out = p;
    return BN_OK;
}

const char *bn_pretok_pattern(const bn_pretok *p)
{
    return p->pattern;
}

void bn_pretok_free(bn_pretok *p)
{
    if (!p)
        return;
    pcre2_code_free(p->code);
    free(p->pattern);
    free(p);
}

size_t bn_pretok_scan_bytes(const bn_pretok *p)
{
    return p->scan_bytes;
}

bn_pretok_scan *bn_pretok_scan_new(const bn_pretok *p, const char *s, size_t n)
{
    bn_pretok_scan *sc = calloc(1, sizeof *sc);
    if (!sc)
        return NULL;
    sc->p = p;
    sc->md = pcre2_match_data_create_from_pattern(p->code, NULL);
    if (!sc->md) {
        free(sc);
        return NULL;
    }
    bn_pretok_scan_reset(sc, s, n);
    return sc;
}

void bn_pretok_scan_reset(bn_pretok_scan *sc, const char *s, size_t n)
{
    sc->s = s;
    sc->n = n;
    sc->pos = 0;
    sc->have_match = 0;
    sc->failed = 0;
}

void bn_pretok_scan_free(bn_pretok_scan *sc)
{
    if (!sc)
        return;
    pcre2_match_data_free(sc->md);
    free(sc);
}

/* Find the next non-empty match at or after sc->pos (the whole text is the subject, so
 * lookarounds see the bytes around the start). */
static void find_match(bn_pretok_scan *sc)
{
    int rc = pcre2_match(sc->p->code, (PCRE2_SPTR)sc->s, sc->n, sc->pos, PCRE2_NOTEMPTY,
                         sc->md, NULL);
    if (rc < 0) {
        if (rc != PCRE2_ERROR_NOMATCH)
            sc->failed = rc; /* not the end of the matches: bn_pretok_next stops here */
        sc->m_start = sc->m_end = sc->n;
    } else {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
        sc->m_start = ov[0];
        sc->m_end = ov[1];
    }
    sc->have_match = 1;
}

int bn_pretok_next(bn_pretok_scan *sc, size_t *start, size_t *len)
{
    if (sc->pos >= sc->n || sc->failed)
        return 0;
    if (!sc->have_match)
        find_match(sc);
    if (sc->failed)
        return 0;
    *start = sc->pos;
    if (sc->m_start > sc->pos) { /* the stretch before the match (or the rest) */
        *len = sc->m_start - sc->pos;
        sc->pos = sc->m_start;
        return 1;
    }
    *len = sc->m_end - sc->m_start;
    sc->pos = sc->m_end;
    sc->have_match = 0;
    return 1;
}

bn_status bn_pretok_scan_status(const bn_pretok_scan *sc, bn_error *err)
{
    if (!sc->failed)
        return BN_OK;
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(sc->failed, msg, sizeof msg);
    return bn_fail(err, sc->failed == PCRE2_ERROR_NOMEMORY ? BN_ERR_NOMEM : BN_ERR_INPUT,
                   "pre-tokenizer: matching at byte %zu of %zu bytes of text failed: %s",
                   sc->pos, sc->n, (const char *)msg);
}

int bn_pretok_each(const bn_pretok *p, const char *s, size_t n, bn_pretok_fn fn, void *ctx)
{
    bn_pretok_scan *sc = bn_pretok_scan_new(p, s, n);
    if (!sc)
        return -1;
    size_t start, len;
    int rc = 0;
    while (rc == 0 && bn_pretok_next(sc, &start, &len))
        rc = fn(ctx, s + start, len);
    if (rc == 0 && sc->failed)
        rc = -1; /* the matcher failed: as out of memory, never a silent early end */
    bn_pretok_scan_free(sc);
    return rc;
}
