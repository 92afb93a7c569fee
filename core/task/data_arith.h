/* data_arith.h - the synthetic arithmetic task.
 *
 * Problems "a op b = c": a in 0..max_operand, b in 1..max_operand, op from the configured
 * set, c computed exactly ('/' is floor division; '-' may be negative). Training rows are
 * problems joined by one space, packed into seq_len tokens; every row starts at the start of
 * a problem, and the problem a row ends in is cut there (its rest is dropped). Starting rows
 * at problems matters: a prompt at the start of a row, as evaluation and chat present it,
 * is then what training showed (with continuous windows instead, zero-shot exact match on
 * + and - measured 85% / 78% against 98% / 92% with solved problems before the prompt).
 * A fixed, seed-independent share of (a, op, b) triples is held out: the stream never
 * contains them, and the evaluation draws only from them. */
#ifndef BN_DATA_ARITH_H
#define BN_DATA_ARITH_H

#include <stdint.h>

#include "base/rng.h"
#include "tok/tokenizer.h"

#define BN_ARITH_TEXT_MAX 32  /* longest "a op b = c " */

typedef struct {
    int a, b;
    char op;
    long answer;
} bn_arith_problem;

typedef struct {
    int max_operand;
    char operators[8];
    int holdout_percent;
} bn_arith_spec;

/* The training stream's whole state: its RNG and the unread tail of the current problem
 * (empty between fills, since rows drop it). Plain data, saved and restored by checkpoints. */
typedef struct {
    bn_rng rng;
    char pending[BN_ARITH_TEXT_MAX]; /* text of the current problem + ' ' */
    int pending_len, pending_pos;
} bn_arith_stream;

/* Whether (a, op, b) belongs to the held-out set (a hash, so no table). */
int bn_arith_is_heldout(const bn_arith_spec *spec, const bn_arith_problem *p);

/* Compute p->answer from a, op, b. */
void bn_arith_solve(bn_arith_problem *p);

/* "a op b = c" (no trailing space); returns length. prompt_only: "a op b =" */
int bn_arith_format(const bn_arith_problem *p, int prompt_only, char *out, int cap);

/* Draw a problem uniformly from the training (held_out = 0) or held-out (1) set. */
void bn_arith_draw(const bn_arith_spec *spec, bn_rng *rng, int held_out, bn_arith_problem *p);

void bn_arith_stream_init(bn_arith_stream *s, uint64_t seed);

/* Fill rows x seq_len token ids from the stream (row-major), each row starting at a problem. */
void bn_arith_stream_fill(const bn_arith_spec *spec, const bn_tokenizer *tok, bn_arith_stream *s,
                          int *tokens, int rows, int seq_len);

/* The n held-out evaluation problems, deterministic for a given spec (independent of the
 * training seed), drawn with replacement from the held-out set. */
void bn_arith_eval_set(const bn_arith_spec *spec, bn_arith_problem *out, int n);

#endif
