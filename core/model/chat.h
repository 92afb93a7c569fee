/* chat.h - completing a prompt with a model, for the chat pane: greedy, one token at a time,
 * each new token reported as it comes (the trainer calls it between steps, a worker thread
 * calls it on a model loaded from a checkpoint). The prompt's training form and where an
 * answer ends belong to the task (task/task.h: normalize_prompt, ends_answer). */
#ifndef BN_CHAT_H
#define BN_CHAT_H

#include <stddef.h>

#include "base/error.h"
#include "model/decoder.h"
#include "model/model.h"
#include "model/sampler.h"
#include "tok/tokenizer.h"

#define BN_CHAT_TEXT_MAX 256
/* A sampled answer's text (bn_chat_sample), NUL included: room for ~250 tokens of stories. */
#define BN_CHAT_ANSWER_MAX 1024

/* Called after each generated token with the completion so far, or with NULL when the token
 * added no text (bn_chat_sample: part of a character, or a full answer) only to ask whether
 * to go on; nonzero stops the answer there (the asker cancelled it: Esc in the chat pane),
 * and it ends as if complete. */
typedef int (*bn_chat_token_fn)(void *ctx, const char *completion_so_far);

/* Whether the completion stops before `piece` (answer_chars: its non-space characters so
 * far); NULL: only </s> stops. */
typedef int (*bn_chat_end_fn)(const char *piece, int answer_chars);

/* Greedy completion of `prompt` (already in training form) by up to max_new tokens, stopping
 * at </s> or where ends says. The prompt keeps its last max_seq - 1 tokens when longer. out
 * gets the completion text. Runs on a KV-cache decoder over the model's weights (model/
 * decoder.h): the prompt in one pass, then one token per step, where it re-ran the whole
 * forward per token before. It leaves the model's activations alone but uses its thread
 * pool and may re-ternarize stale weights (call between training steps only). */
bn_status bn_chat_complete(bn_model *m, const bn_tokenizer *tok, bn_chat_end_fn ends,
                           const char *prompt, int max_new, char *out, size_t cap,
                           bn_chat_token_fn on_token, void *ctx, bn_error *err);

/* Continue `prompt` as a story (a task whose chat samples, text): <|endoftext|>, the prompt,
 * then up to max_new tokens drawn with `set` from `seed` (bn_textgen_run on a decoder over
 * the model's weights, contexts up to [model] max_seq_len), until <|endoftext|>, max_new or a
 * full context. on_token gets the completion so far after each run of whole UTF-8
 * characters; out (cap bytes) gets it at the end, cut at a character when longer.
 * BN_ERR_INPUT for bad settings or a prompt longer than the context. The same calling rules
 * as bn_chat_complete (between training steps only). */
bn_status bn_chat_sample(bn_model *m, const bn_tokenizer *tok, const char *prompt,
                         const bn_sampling *set, unsigned long long seed, int max_new,
                         char *out, size_t cap, bn_chat_token_fn on_token, void *ctx,
                         bn_error *err);

/* The same two on a decoder the caller keeps over the model (README, "Inference"), reset
 * first: one decoder serves answer after answer, where the two above build one per call.
 * Built with max_seq bn_chat_decoder_seq(m, samples), the answers are bit for bit those of
 * bn_chat_complete (samples 0) and bn_chat_sample (samples 1). After the model's weights
 * change the decoder re-ternarizes as the forward does; a new model needs a new decoder. */
int bn_chat_decoder_seq(const bn_model *m, int samples);
bn_status bn_chat_complete_on(bn_decoder *d, const bn_tokenizer *tok, bn_chat_end_fn ends,
                              const char *prompt, int max_new, char *out, size_t cap,
                              bn_chat_token_fn on_token, void *ctx, bn_error *err);
bn_status bn_chat_sample_on(bn_decoder *d, const bn_tokenizer *tok, const char *prompt,
                            const bn_sampling *set, unsigned long long seed, int max_new,
                            char *out, size_t cap, bn_chat_token_fn on_token, void *ctx,
                            bn_error *err);

#endif
