/* chat.h - completing a prompt with a model, for the chat pane: greedy, one token at a time,
 * each new token reported as it comes (the trainer calls it between steps, a worker thread
 * calls it on a model loaded from a checkpoint). */
#ifndef BN_CHAT_H
#define BN_CHAT_H

#include <stddef.h>

#include "io/config.h"
#include "base/error.h"
#include "model/model.h"
#include "tok/vocab.h"

#define BN_CHAT_TEXT_MAX 256

/* Called after each generated token with the completion so far. */
typedef void (*bn_chat_token_fn)(void *ctx, const char *completion_so_far);

/* The character vocabulary of a task; text tasks are refused until their tokenizer lands. */
bn_status bn_chat_vocab(bn_task task, bn_vocab *v, bn_error *err);

/* The prompt as the model saw such text in training. Arithmetic: "12+34=" becomes
 * "12 + 34 = " (one space around operators and '=', a trailing space after '='). Other
 * tasks: copied. */
void bn_chat_prompt(bn_task task, const char *in, char *out, size_t cap);

/* Greedy completion of `prompt` (already in training form) by up to max_new tokens, stopping
 * at </s> or, for arithmetic, at the space that ends the answer. The prompt keeps its last
 * max_seq - 1 tokens when longer. out gets the completion text. Clobbers the model's
 * activations (call between training steps only). */
bn_status bn_chat_complete(bn_model *m, const bn_vocab *v, bn_task task, const char *prompt,
                           int max_new, char *out, size_t cap, bn_chat_token_fn on_token,
                           void *ctx, bn_error *err);

#endif
