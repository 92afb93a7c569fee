/* pretok.h - the pre-tokenizer of byte-level BPE (README, "Tokenizers"): a regular
 * expression cuts text into pre-tokens (words with their leading space, runs of digits,
 * of punctuation, of whitespace) and BPE merges never cross their borders. The pattern is
 * GPT-2's unless a tokenizer.json `Split` pre-tokenizer gives another; it runs in PCRE2
 * with UTF and unicode properties (JIT-compiled where available).
 *
 * The split is Hugging Face's "Isolated" behaviour: every match is a pre-token, and so is
 * every stretch between matches. Any bytes are accepted: invalid UTF-8 never matches, so
 * it comes out as pre-tokens of its own and the pre-tokens always cover the whole text. */
#ifndef BN_PRETOK_H
#define BN_PRETOK_H

#include <stddef.h>

#include "base/error.h"

/* GPT-2's pattern, implied by a ByteLevel pre-tokenizer with use_regex = true. */
#define BN_PRETOK_GPT2 \
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"

/* A compiled pattern; read-only once built, so threads may share it. */
typedef struct bn_pretok bn_pretok;

/* Per-thread matching state (PCRE2 match data and a one-match lookahead). */
typedef struct bn_pretok_scan bn_pretok_scan;

/* Compile pattern (NULL for BN_PRETOK_GPT2); a pattern PCRE2 refuses is BN_ERR_INPUT with
 * its message and offset, prefixed by what (e.g. "tokenizer.json: pre_tokenizer"). */
bn_status bn_pretok_new(bn_pretok **out, const char *pattern, const char *what, bn_error *err);

/* The pattern's text. */
const char *bn_pretok_pattern(const bn_pretok *p);

void bn_pretok_free(bn_pretok *p);

/* A scan over s[0..n) (s must stay valid while it is used); NULL when out of memory. */
bn_pretok_scan *bn_pretok_scan_new(const bn_pretok *p, const char *s, size_t n);

/* The bytes bn_pretok_scan_new allocates (for its out-of-memory message). */
size_t bn_pretok_scan_bytes(const bn_pretok *p);

/* The next pre-token: sets *start and *len (bytes, len > 0) and returns 1, or returns 0
 * at the end of the text. */
int bn_pretok_next(bn_pretok_scan *sc, size_t *start, size_t *len);

/* After bn_pretok_next returned 0: BN_OK when the text ended, or the matcher's failure
 * there (PCRE2 out of memory is BN_ERR_NOMEM, a match or depth limit BN_ERR_INPUT), naming
 * the byte offset; never a silent early end. */
bn_status bn_pretok_scan_status(const bn_pretok_scan *sc, bn_error *err);

/* Restart sc on another text (keeps its match data). */
void bn_pretok_scan_reset(bn_pretok_scan *sc, const char *s, size_t n);

void bn_pretok_scan_free(bn_pretok_scan *sc);

/* Call fn(ctx, start, len) for each pre-token of s[0..n) in order; stops early when fn
 * returns nonzero and returns that value (0 after the last pre-token, -1 out of memory or
 * when the matcher failed). */
typedef int (*bn_pretok_fn)(void *ctx, const char *start, size_t len);
int bn_pretok_each(const bn_pretok *p, const char *s, size_t n, bn_pretok_fn fn, void *ctx);

#endif
