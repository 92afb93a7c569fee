/* vocab.h - the character vocabularies of README, "Character vocabularies" (ids are part of the file format). */
#ifndef BN_VOCAB_H
#define BN_VOCAB_H

#include <stddef.h>

#define BN_VOCAB_MAX 32

typedef struct {
    const char *name;     /* "arithmetic" | "tictactoe" */
    int size;             /* 32: the model's vocab_size for these tasks */
    int pad, bos, eos, unk;
    int char_to_id[256];  /* -1 where the character has no id (maps to unk) */
    char id_to_char[BN_VOCAB_MAX]; /* 0 for the special tokens and unused ids */
} bn_vocab;

/* Fill the arithmetic or tic-tac-toe vocabulary. */
void bn_vocab_arithmetic(bn_vocab *v);
void bn_vocab_tictactoe(bn_vocab *v);

/* Encode text; characters without an id become unk. Returns the number of ids written
 * (at most cap; stops there). */
size_t bn_vocab_encode(const bn_vocab *v, const char *text, size_t len, int *ids, size_t cap);

/* The text of one id: its character (1 byte, not NUL-terminated), a special token's name
 * ("<pad>", "<s>", "</s>"), or "<unk>" for the rest. Returns its length. */
size_t bn_vocab_piece(const bn_vocab *v, int id, const char **bytes);

/* Decode ids into text (special tokens as "<pad>", "<s>", "</s>", "<unk>"); always
 * NUL-terminates when cap > 0; returns the length written. */
size_t bn_vocab_decode(const bn_vocab *v, const int *ids, size_t n, char *out, size_t cap);

#endif
