/* generate.h - greedy decoding, many prompts at once.
 *
 * Rows are right-padded to a common length and run through the full forward; causal
 * attention makes the padding invisible to the real positions, and each row reads its
 * logits at its own last position. Plain and exact; a KV cache is a later optimization. */
#ifndef BN_GENERATE_H
#define BN_GENERATE_H

#include "model/model.h"

typedef struct {
    int *tokens;  /* (rows, cap): prompt, then generated ids */
    int *len;     /* (rows) current length of each row */
    int rows, cap;
} bn_gen_batch;

/* Extend every row greedily by up to max_new tokens; a row stops after emitting any id in
 * stop[0..n_stop). rows must be 1..m->max_batch (other counts generate nothing) and lengths
 * stay <= min(cap, m->max_seq).
 * pad is the id used to fill the unused tail of shorter rows. */
void bn_generate_greedy(bn_model *m, bn_gen_batch *batch, int max_new, const int *stop,
                        int n_stop, int pad);

/* Index of the largest of x[0..n). */
int bn_argmax(const float *x, int n);

#endif
