/* text_samples.h - what a text run writes to samples.jsonl while it trains (README,
 * "Inference"): continuations of a few fixed story openings, sampled from the live model
 * with a fixed seed, so one step's samples can be set beside another's. */
#ifndef BN_TEXT_SAMPLES_H
#define BN_TEXT_SAMPLES_H

#include <jansson.h>
#include <stdint.h>

#include "base/error.h"
#include "model/model.h"
#include "tok/tokenizer.h"

#define BN_TEXT_SAMPLE_TOKENS 48  /* new tokens per prompt */
#define BN_TEXT_SAMPLE_SEED 1234  /* each prompt's draws start from this seed */

/* The prompts, NULL-terminated. */
extern const char *const bn_text_sample_prompts[];

/* The samples.jsonl record (without "step"):
 *   {"temperature": 0.9, "top_p": 0.95, "seed": 1234,
 *    "examples": [{"prompt": "Once upon a time", "completion": " there was ...",
 *                  "tokens": 48}, ...]}
 * ("examples" with "prompt" and "completion" as the arithmetic record has them, without
 * "expected": the log pane shows each as the prompt and its continuation joined.)
 * Each continuation runs on a decoder over m (its weights borrowed, re-ternarized first if
 * stale, exactly as the next forward would), up to max_tokens new tokens (<= 0: the default
 * BN_TEXT_SAMPLE_TOKENS) or <|endoftext|>. The model's parameters, activations and training
 * state are not touched, so training continues bit for bit as without it. Call between
 * steps, on the thread that trains (the decoder uses the model's pool). *out is new. */
bn_status bn_text_samples(bn_model *m, const bn_tokenizer *tok, int max_tokens, json_t **out,
                          bn_error *err);

#endif
