/* generate.c - greedy decoding: one row on a decoder, or a batch over the full forward. */
#include "model/generate.h"

#include <stddef.h>
#include <stdlib.h>

int bn_argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

static int is_stop(int id, const int *stop, int n_stop)
{
    for (int i = 0; i < n_stop; i++)
        if (id == stop[i])
            return 1;
    return 0;
}

int bn_greedy_row(bn_decoder *d, int *tokens, int len, int limit, int max_new,
                  const int *stop, int n_stop, bn_error *err)
{
    int V = d->m->cfg.vocab_size;
    if (limit > d->max_seq)
        limit = d->max_seq;
    if (len < 1) {
        bn_fail(err, BN_ERR_INPUT, "greedy decoding: an empty prompt");
        return -1;
    }
    if (len >= limit || max_new < 1)
        return len; /* a full row generates nothing, as in a batch */
    bn_decoder_reset(d);
    if (bn_decoder_feed(d, tokens, len, err) != BN_OK) /* see generate.h */
        return -1;
    const float *z = bn_decoder_logits(d, len - 1);
    for (int step = 0; step < max_new && len < limit; step++) {
        if (step > 0 && !(z = bn_decoder_step(d, tokens[len - 1], err)))
            return -1;
        int next = bn_argmax(z, V);
        tokens[len++] = next;
        if (is_stop(next, stop, n_stop))
            break;
    }
    return len;
}

bn_status bn_generate_greedy(bn_model *m, bn_gen_batch *batch, int max_new, const int *stop,
                             int n_stop, int pad, bn_error *err)
{
    int limit = batch->cap < m->max_seq ? batch->cap : m->max_seq;
    int V = m->cfg.vocab_size, rows = batch->rows;
    if (bn_model_check_shape(m, rows, 1, NULL) != BN_OK)
        return BN_OK; /* more rows than the model holds: nothing generated (see generate.h) */
    char *done = calloc((size_t)rows, 1);
    if (!done)
        return bn_nomem(err, "the generation's row flags", (size_t)rows);
    bn_status s = BN_OK;
    for (int step = 0; step < max_new; step++) {
        int T = 0, active = 0;
        for (int r = 0; r < rows; r++) {
            if (batch->len[r] >= limit)
                done[r] = 1;
            if (!done[r])
                active++;
            if (batch->len[r] > T)
                T = batch->len[r];
        }
        if (!active || T < 1)
            break;
        /* Lay the rows out as (rows, T) with the padding after each row's end. */
        int *flat = malloc(sizeof(int) * (size_t)rows * T);
        if (!flat) {
            s = bn_nomem(err, "the generation's batch", sizeof(int) * (size_t)rows * T);
            break;
        }
        for (int r = 0; r < rows; r++)
            for (int t = 0; t < T; t++)
                flat[(size_t)r * T + t] =
                    t < batch->len[r] ? batch->tokens[(size_t)r * batch->cap + t] : pad;
        bn_model_forward(m, flat, rows, T);
        free(flat);
        for (int r = 0; r < rows; r++) {
            if (done[r])
                continue;
            const float *z = m->logits + ((size_t)r * T + batch->len[r] - 1) * V;
            int next = bn_argmax(z, V);
            batch->tokens[(size_t)r * batch->cap + batch->len[r]++] = next;
            if (is_stop(next, stop, n_stop))
                done[r] = 1;
        }
    }
    free(done);
    return s;
}
