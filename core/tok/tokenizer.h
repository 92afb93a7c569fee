/* tokenizer.h - text <-> token ids, whatever the vocabulary (README, "Tokenizers").
 *
 * Everything that turns text into model input or model output into text (training data,
 * evaluation, completion, the move protocol) goes through this opaque handle, so a
 * vocabulary that is not one character per id (byte-level BPE) can come in behind it. Today
 * the only kind is the character vocabulary of a task (tok/vocab.h keeps its ids). */
#ifndef BN_TOKENIZER_H
#define BN_TOKENIZER_H

#include <stddef.h>

#include "base/error.h"

typedef struct bn_tokenizer bn_tokenizer;

typedef enum { BN_TOK_PAD, BN_TOK_BOS, BN_TOK_EOS, BN_TOK_UNK } bn_tok_special_kind;

/* The character vocabulary "arithmetic" or "tictactoe" (BN_ERR_INPUT for another name). */
bn_status bn_tok_char(bn_tokenizer **out, const char *name, bn_error *err);

/* The vocabulary's name ("arithmetic", ...). */
const char *bn_tok_name(const bn_tokenizer *t);

/* Number of ids (the model's vocab_size). */
int bn_tok_vocab_size(const bn_tokenizer *t);

/* A special token's id, or -1 when the vocabulary has none. */
int bn_tok_special(const bn_tokenizer *t, bn_tok_special_kind which);

/* Encode n bytes of s; text the vocabulary cannot spell becomes unk. Writes at most cap
 * ids and sets *count to how many the whole text needs (so > cap means it was cut).
 * Byte-level BPE needs scratch memory for its merges; when that cannot be had it fails with
 * BN_ERR_NOMEM naming the text's size and what was being allocated, *count is 0 and
 * nothing in ids is to be used (README, "Tokenizers"). A character vocabulary never fails. */
bn_status bn_tok_encode(const bn_tokenizer *t, const char *s, size_t n, int *ids, size_t cap,
                        size_t *count, bn_error *err);

/* bn_tok_encode into a new array of exactly *count ids (at least one int allocated; the
 * caller frees *ids); on failure *ids is NULL and *count 0. */
bn_status bn_tok_encode_all(const bn_tokenizer *t, const char *s, size_t n, int **ids,
                            size_t *count, bn_error *err);

/* One id per byte of s into ids[0..min(n, cap)); returns n. A character vocabulary's id of
 * each byte (unk where it has none), which is exactly what bn_tok_encode gives it; for
 * byte-level BPE, each byte's own token, unmerged. It allocates nothing and cannot fail:
 * the character tasks (arithmetic, tic-tac-toe) and single characters use it. */
size_t bn_tok_encode_bytes(const bn_tokenizer *t, const char *s, size_t n, int *ids,
                           size_t cap);

/* The raw bytes of one id (special tokens as "<pad>", "<s>", "</s>", "<unk>"; ids out of
 * range as "<unk>"); returns their length. A byte-level piece may hold part of a UTF-8
 * character, so callers streaming text must not assume a piece is printable alone. */
size_t bn_tok_piece(const bn_tokenizer *t, int id, const char **bytes);

/* Decode ids into text, whole pieces only; always NUL-terminates when cap > 0; returns
 * the length written. */
size_t bn_tok_decode(const bn_tokenizer *t, const int *ids, size_t n, char *out, size_t cap);

void bn_tok_free(bn_tokenizer *t);

#endif
