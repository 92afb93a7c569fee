/* generate.h - greedy decoding: one row on a KV-cache decoder (what every consumer uses),
 * and the old path that re-runs the full forward for every token (README, "Inference"). */
#ifndef BN_GENERATE_H
#define BN_GENERATE_H

#include "base/error.h"
#include "model/decoder.h"
#include "model/model.h"

/* Greedy continuation of one row: reset d, feed tokens[0..len) in one pass, then take the
 * argmax of the logits and feed it, one step per token, until max_new tokens, a token in
 * stop[0..n_stop) (kept) or a row of `limit` tokens (<= d->max_seq). tokens (room for
 * `limit`) gets the new ids after the prompt; returns the row's length (len itself when
 * the prompt already fills the row), or -1 (err) for an empty prompt or an id outside the
 * vocabulary. The same stopping rules as bn_generate_greedy for one row of a batch whose
 * cap is `limit`. The prompt goes in with bn_decoder_feed (the logits of every row, in one
 * product as the forward computes them), not bn_decoder_prefill, whose one-row product
 * sums in another order (measured: 7e-7 apart at 40 tokens): so the first token is the
 * forward's argmax bit for bit; the later ones are steps (README, "Inference"). */
int bn_greedy_row(bn_decoder *d, int *tokens, int len, int limit, int max_new,
                  const int *stop, int n_stop, bn_error *err);

typedef struct {
    int *tokens;  /* (rows, cap): prompt, then generated ids */
    int *len;     /* (rows) current length of each row */
    int rows, cap;
} bn_gen_batch;

/* Rows are right-padded to a common length and run through the full forward at every new
 * token; causal attention makes the padding invisible to the real positions, and each row
 * reads its logits at its own last position. Only `bench --generate` runs it now, as the
 * "reforward" column: the chat pane's and the evaluations' speed before the decoder.
 *
 * Extend every row greedily by up to max_new tokens; a row stops after emitting any id in
 * stop[0..n_stop). rows must be 1..m->max_batch (other counts generate nothing) and lengths
 * stay <= min(cap, m->max_seq).
 * pad is the id used to fill the unused tail of shorter rows. */
bn_status bn_generate_greedy(bn_model *m, bn_gen_batch *batch, int max_new, const int *stop,
                             int n_stop, int pad, bn_error *err);

/* Index of the largest of x[0..n). */
int bn_argmax(const float *x, int n);

#endif
