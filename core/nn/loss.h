/* loss.h - next-token cross-entropy over rows of T tokens.
 * Position t of row b predicts tokens[b, t+1]; the last position of each row has no target.
 * The loss is the mean over the B*(T-1) predicted positions. */
#ifndef BN_LOSS_H
#define BN_LOSS_H

#include "base/threadpool.h"

/* logits (B*T, V); row_loss is scratch (B*T), summed in order so the result does not depend
 * on the thread count. Returns the mean loss. */
double bn_cross_entropy_forward(bn_threadpool *pool, const float *logits, const int *tokens,
                                int B, int T, int V, double *row_loss);

/* Overwrites logits (B*T, V) with d(mean loss)/d(logits); rows without a target get 0. */
void bn_cross_entropy_backward(bn_threadpool *pool, float *logits, const int *tokens, int B,
                               int T, int V);

/* The same over positions first .. first + rows - 1 of the B*T, whose logits are the rows
 * (rows, V) of `logits`: a vocabulary-wide chunk of the positions at a time, so the logits
 * of the whole batch are never held (README, "Memory"). row_loss is indexed by position. */
void bn_cross_entropy_forward_rows(bn_threadpool *pool, const float *logits, const int *tokens,
                                   int T, int V, int first, int rows, double *row_loss);
void bn_cross_entropy_backward_rows(bn_threadpool *pool, float *logits, const int *tokens,
                                    int B, int T, int V, int first, int rows);
/* The mean over the B*(T-1) predicted positions of row_loss (B*T), summed in order. */
double bn_cross_entropy_mean(const double *row_loss, int B, int T);

#endif
