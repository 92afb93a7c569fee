/* textgen.h - text in, sampled text out, through a decoder (README, "Inference"): a prompt
 * is encoded and prefilled in one pass, then tokens are sampled one by one and streamed as
 * whole UTF-8 characters (tok/utf8stream.h; a byte that starts no valid character is sent
 * as U+FFFD, so the stream is always valid UTF-8), until the tokenizer's end of text
 * (<|endoftext|>), max tokens, a full context, or (when asked) a blank line. */
#ifndef BN_TEXTGEN_H
#define BN_TEXTGEN_H

#include <stddef.h>

#include "base/error.h"
#include "model/decoder.h"
#include "model/sampler.h"
#include "tok/tokenizer.h"

/* Called with each run of whole characters as it is produced. */
typedef void (*bn_text_fn)(void *ctx, const char *text, size_t len);

typedef enum {
    BN_STOP_EOS, BN_STOP_MAX, BN_STOP_FULL, BN_STOP_BLANK,
    BN_STOP_CANCEL /* opts.cancelled said so */
} bn_stop_reason;

typedef struct {
    int max_tokens;      /* new tokens at most */
    int stop_blank_line; /* also stop after a token that ends a blank line */
    /* NULL, or asked with fn's ctx after each token: nonzero stops there (an answer the
     * chat pane no longer wants). */
    int (*cancelled)(void *ctx);
} bn_textgen_opts;

typedef struct {
    int prompt_tokens, tokens; /* fed before sampling; sampled and fed */
    double prefill_s, decode_s;
    bn_stop_reason stop;
} bn_textgen_stats;

/* text -> ids in a new array (*ids, the caller frees it), *n of them (0 for ""); fails
 * when encoding runs out of memory (bn_tok_encode), with its message. */
bn_status bn_textgen_encode(const bn_tokenizer *tok, const char *text, int **ids, int *n,
                            bn_error *err);

/* Feed ids[0..n) after what the decoder holds (n = 0 on an empty decoder feeds the end of
 * text id, the boundary the stories were trained after), then sample and feed up to
 * o->max_tokens tokens, calling fn with the text. out (room for max_tokens, may be NULL)
 * gets the sampled ids; each of them is in the cache when this returns, the end of text
 * never is. BN_ERR_INPUT when ids do not fit the context. */
bn_status bn_textgen_continue(bn_decoder *d, const bn_tokenizer *tok, bn_sampler *s,
                              const int *ids, int n, const bn_textgen_opts *o, bn_text_fn fn,
                              void *ctx, int *out, bn_textgen_stats *st, bn_error *err);

/* Reset the decoder, then bn_textgen_continue on <|endoftext|> and the encoded prompt
 * (BN_ERR_INPUT when they are more than the context holds). */
bn_status bn_textgen_run(bn_decoder *d, const bn_tokenizer *tok, bn_sampler *s,
                         const char *prompt, const bn_textgen_opts *o, bn_text_fn fn,
                         void *ctx, bn_textgen_stats *st, bn_error *err);

#endif
