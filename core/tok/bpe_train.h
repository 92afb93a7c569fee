/* bpe_train.h - training a byte-level BPE vocabulary (README, "Training a tokenizer").
 *
 * Hugging Face BpeTrainer's algorithm and results for a ByteLevel pre-tokenizer: the
 * vocabulary starts with the special tokens (ids 0, 1, ...), then the 256 byte-level
 * symbols in code point order, then one token per merge until vocab_size. Each merge
 * takes the pair of adjacent symbols with the highest count over all words (word counts
 * weighted); on equal counts the pair whose (left id, right id) is smallest wins (the Ord
 * of Hugging Face's Merge). Counts are kept incrementally: word list, pair counts, a
 * priority queue of pairs with the words they occur in, updated lazily. */
#ifndef BN_BPE_TRAIN_H
#define BN_BPE_TRAIN_H

#include <stdint.h>

#include "base/error.h"
#include "tok/bpe_words.h"
#include "tok/tokenizer.h"

/* Progress, called now and then (the caller throttles what it shows). */
typedef void (*bn_bpe_progress_fn)(void *ctx, int merges_done, int merges_target);

typedef struct {
    int vocab_size;              /* at least n_specials + 256 */
    bn_bpe_specials specials;    /* first in the vocabulary, in this order */
    bn_bpe_progress_fn progress; /* may be NULL */
    void *progress_ctx;
} bn_bpe_train_opts;

/* The trained vocabulary. tokens[i] is token i's string as tokenizer.json stores it:
 * special tokens as given, the others in byte-level form (NUL-terminated UTF-8).
 * merges[2 * r], merges[2 * r + 1] are the ids merged by rank r, as Hugging Face saves
 * them (a pair its trainer merged twice is listed once, at its last rank). */
typedef struct {
    int n_tokens, n_specials;
    char **tokens;
    int n_merges;
    int32_t *merges;
} bn_bpe_model;

/* Train on the words of w. Fewer merges than the vocabulary allows is not an error (the
 * words are fully merged); a corpus with no word is BN_ERR_INPUT, and so is a vocab_size
 * below n_specials + 256. */
bn_status bn_bpe_train(bn_bpe_words *w, const bn_bpe_train_opts *opts, bn_bpe_model *out,
                       bn_error *err);

void bn_bpe_model_free(bn_bpe_model *m);

/* The trained vocabulary as a tokenizer (GPT-2's pre-tokenizer, the special tokens as
 * added tokens), e.g. for bn_tok_save_hf (tok/bpe.h). */
bn_status bn_bpe_model_tokenizer(const bn_bpe_model *m, bn_tokenizer **out, bn_error *err);

#endif
