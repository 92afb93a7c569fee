/* bpe.h - byte-level BPE behind the tokenizer interface (README, "Tokenizers"): GPT-2's
 * scheme as Hugging Face's tokenizers runs it. Text is cut at added tokens (matched whole,
 * longest first), each stretch between them into pre-tokens by a regex (tok/pretok.h), and
 * each pre-token's bytes merged pair by pair, lowest merge rank first (leftmost on ties).
 * Every byte has a token, so there is never an unknown token, and decoding the ids gives
 * back the input byte for byte, invalid UTF-8 included.
 *
 * Vocabulary pieces here are raw bytes; tokenizer.json stores them in the byte-level
 * alphabet (tok/bytelevel.h), converted on load and save. */
#ifndef BN_BPE_H
#define BN_BPE_H

#include <stddef.h>

#include "base/error.h"
#include "tok/tokenizer.h"

/* Everything a BPE tokenizer is made of. The tables are copied: the caller keeps its own. */
typedef struct {
    const char *const *pieces; /* raw bytes of ids 0..n_vocab-1 (all 256 single bytes among
                                  them, added tokens included) */
    const size_t *lens;        /* their lengths (> 0) */
    int n_vocab;
    const int *merges;         /* 2 * n_merges ids, (left, right) in rank order; each pair's
                                  concatenation must be a piece */
    int n_merges;
    const int *added;          /* ids matched whole in text before pre-tokenization */
    const unsigned char *added_special; /* per added id: 1 = special (skipped by nothing
                                  here, but saved as "special": true), NULL = all special */
    int n_added;
    const char *pattern;       /* pre-tokenizer regex; NULL = GPT-2's (BN_PRETOK_GPT2) */
    int add_prefix_space;      /* a space before each stretch that does not start with one */
    int ignore_merges;         /* a pre-token that is a piece is that piece, unmerged */
    const char *name;          /* bn_tok_name (e.g. the file); NULL = "bpe" */
} bn_bpe_spec;

/* Build a BPE tokenizer; what names the source in errors ("<file>: model.merges[12]: ..."). */
bn_status bn_tok_bpe_new(bn_tokenizer **out, const bn_bpe_spec *spec, const char *what,
                         bn_error *err);

/* The trainer's constructor: GPT-2's pre-tokenizer, no prefix space; special_ids (may be
 * NULL when n_special = 0) are the added special tokens, e.g. "<|endoftext|>", "<pad>". */
bn_status bn_tok_bpe_from_merges(bn_tokenizer **out, const char *const *pieces,
                                 const size_t *lens, int n_vocab, const int *merges,
                                 int n_merges, const int *special_ids, int n_special,
                                 bn_error *err);

/* Load a Hugging Face tokenizer.json (model BPE; pre-tokenizer ByteLevel, or Sequence of
 * Split(Isolated) and ByteLevel(use_regex false); decoder ByteLevel; no normalizer). Any
 * other kind is BN_ERR_INPUT naming the file and the thing ("model.type \"WordPiece\""). */
bn_status bn_tok_load_hf(bn_tokenizer **out, const char *path, bn_error *err);

/* Write t as a Hugging Face tokenizer.json (atomically: a temporary name, then rename). */
bn_status bn_tok_save_hf(const bn_tokenizer *t, const char *path, bn_error *err);

/* A BPE tokenizer's fingerprint, "fnv1a64:<16 hex digits>": FNV-1a over the compact,
 * key-sorted tokenizer.json this program writes for it, so two files that hold the same
 * vocabulary, merges, added tokens and pre-tokenizer hash alike whatever their formatting
 * (README, "Tokenizers"). BN_ERR_INPUT for a tokenizer of another kind. */
#define BN_TOK_HASH_CAP 32
bn_status bn_tok_hash(const bn_tokenizer *t, char out[BN_TOK_HASH_CAP], bn_error *err);

/* Open a tokenizer by name: a character vocabulary ("arithmetic", "tictactoe") or a path
 * to a tokenizer.json. */
bn_status bn_tok_open(bn_tokenizer **out, const char *name_or_path, bn_error *err);

/* ---- what a BPE tokenizer holds (NULL / 0 / -1 for another kind) */
int bn_tok_is_bpe(const bn_tokenizer *t);
int bn_tok_bpe_n_merges(const bn_tokenizer *t);
/* The merge of rank r: its left and right ids (r in 0..n_merges-1). */
void bn_tok_bpe_merge(const bn_tokenizer *t, int r, int *left, int *right);
const char *bn_tok_bpe_pattern(const bn_tokenizer *t);
int bn_tok_bpe_add_prefix_space(const bn_tokenizer *t);
int bn_tok_bpe_ignore_merges(const bn_tokenizer *t);
/* Added tokens: how many, and the i-th's id and whether it is special. */
int bn_tok_bpe_n_added(const bn_tokenizer *t);
int bn_tok_bpe_added(const bn_tokenizer *t, int i, int *special);

#endif
