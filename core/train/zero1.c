/* zero1.c - ZeRO stage 1 (README, "Training on many machines"): with
 * [training] shard_optimizer = 1 each rank of a job keeps the AdamW moments of its own slice
 * of the parameters only, updates that slice, and an allgather gives every rank the whole
 * updated slab. Checkpoints stay whole: rank 0 writes every moment, the other ranks' slices
 * streamed to it in bounded chunks, and a resumed run's moments go from rank 0's file to
 * each rank in the same chunks. */
#include "train/trainer_impl.h"

#include <stdlib.h>
#include <string.h>

/* Floats per chunk of a moment stream: 4 MiB, what rank 0 holds of another rank's slice. */
#define STREAM_CHUNK ((size_t)1 << 20)

int bn_tr_sharded(const bn_trainer *t)
{
    return t->dist.size > 1 && t->cfg.train.shard_optimizer;
}

bn_status bn_tr_shard_init(bn_trainer *t, bn_error *err)
{
    size_t n = t->model.num_params, hi;
    if (!bn_tr_sharded(t))
        return BN_OK;
    size_t size = (size_t)t->dist.size;
    t->bounds = malloc(sizeof *t->bounds * (size + 1));
    if (!t->bounds)
        return bn_nomem(err, "the optimizer's slices", sizeof *t->bounds * (size + 1));
    for (size_t r = 0; r < size; r++)
        bn_adamw_part(n, (int)size, (int)r, &t->bounds[r], &hi);
    t->bounds[size] = n;
    if (t->dist.rank != 0)
        return BN_OK;
    /* Rank 0's buffers for the moment streams, held for the run: a save that could not
     * allocate them would leave the other ranks waiting on their sends. */
    t->chunk = malloc(sizeof(float) * STREAM_CHUNK);
    t->next = malloc(2 * size * sizeof *t->next);
    if (!t->chunk || !t->next)
        return bn_nomem(err, "the moment stream", sizeof(float) * STREAM_CHUNK);
    return BN_OK;
}

/* This rank's slice [lo, hi) of the parameters: all of them unless sharded. */
void bn_tr_shard_slice(const bn_trainer *t, size_t *lo, size_t *hi)
{
    *lo = t->bounds ? t->bounds[t->dist.rank] : 0;
    *hi = t->bounds ? t->bounds[t->dist.rank + 1] : t->model.num_params;
}

bn_status bn_tr_gather_params(bn_trainer *t, bn_error *err)
{
    const bn_dist *d = &t->dist;
    return bn_tr_sharded(t) ? d->ops->allgather_f32(d->ctx, t->model.params, t->bounds, err)
                            : BN_OK;
}

/* ---------------------------------------------------------------- resuming */

/* Element range [at, at + n) of moment which, from rank 0's open file to rank r's slice. */
static bn_status send_range(bn_trainer *t, const bn_st_file *file, int which, int r,
                            size_t at, size_t n, bn_status *read_status, bn_error *err)
{
    const bn_dist *d = &t->dist;
    if (d->rank != 0 && d->rank != r)
        return BN_OK;
    float *buf = t->chunk;
    if (d->rank == r)
        buf = (which ? t->opt.v : t->opt.m) + (at - t->bounds[r]);
    else if (*read_status == BN_OK) /* after a failure, rank r still gets its chunks */
        *read_status = bn_checkpoint_moments_read(file, &t->model, which, at, n, buf, err);
    return d->ops->transfer(d->ctx, 0, r, buf, sizeof(float) * n, err);
}

bn_status bn_tr_share_moments(bn_trainer *t, bn_error *err)
{
    const bn_dist *d = &t->dist;
    bn_st_file file;
    memset(&file, 0, sizeof file);
    bn_status s = d->rank == 0 ? bn_checkpoint_moments_open(t->snap.last_checkpoint,
                                                            &t->model, &file, err) : BN_OK;
    s = bn_tr_agree(d, s, err);
    bn_status read_status = BN_OK;
    for (int r = 1; s == BN_OK && r < d->size; r++)
        for (int which = 0; s == BN_OK && which < 2; which++)
            for (size_t at = t->bounds[r]; s == BN_OK && at < t->bounds[r + 1];
                 at += STREAM_CHUNK) {
                size_t left = t->bounds[r + 1] - at;
                s = send_range(t, &file, which, r, at, left < STREAM_CHUNK ? left : STREAM_CHUNK,
                               &read_status, err);
            }
    bn_st_free(&file);
    return s == BN_OK ? bn_tr_agree(d, read_status, err) : s;
}

/* ---------------------------------------------------------------- saving */

/* Rank 0's side of the moment stream: which rank's chunk it holds, and how far each
 * rank's slices have come (next[which * size + r], an absolute element). */
typedef struct {
    bn_trainer *t;
    float *buf;
    size_t buf_first, buf_n; /* the chunk in buf: elements [buf_first, buf_first + buf_n) */
    int buf_which, buf_rank;
    size_t *next;
} stream;

/* The next chunk of rank r's slice of moment which, into buf. */
static bn_status receive_chunk(stream *st, int which, int r, bn_error *err)
{
    const bn_dist *d = &st->t->dist;
    size_t *next = &st->next[which * d->size + r], hi = st->t->bounds[r + 1];
    size_t n = hi - *next < STREAM_CHUNK ? hi - *next : STREAM_CHUNK;
    bn_status s = d->ops->transfer(d->ctx, r, 0, st->buf, sizeof(float) * n, err);
    st->buf_first = *next, st->buf_n = n, st->buf_which = which, st->buf_rank = r;
    *next += n;
    return s;
}

/* The rank whose slice holds element i. */
static int owner(const bn_trainer *t, size_t i)
{
    int r = 0;
    while (r + 1 < t->dist.size && t->bounds[r + 1] <= i)
        r++;
    return r;
}

/* bn_moment_source's read on rank 0: its own slice from memory, the others' received in
 * the order they send them (the writer asks in file order, so each chunk once). */
static bn_status read_moments(void *ctx, int which, size_t first, size_t n, float *out,
                              bn_error *err)
{
    stream *st = ctx;
    const bn_trainer *t = st->t;
    while (n > 0) {
        int r = owner(t, first);
        size_t take, end = t->bounds[r + 1];
        if (r == 0) {
            take = end - first < n ? end - first : n;
            const float *mine = which ? t->opt.v : t->opt.m;
            memcpy(out, mine + (first - t->bounds[0]), sizeof(float) * take);
        } else {
            int held = st->buf_which == which && st->buf_rank == r &&
                       first >= st->buf_first && first < st->buf_first + st->buf_n;
            bn_status s = held ? BN_OK : receive_chunk(st, which, r, err);
            if (s != BN_OK)
                return s;
            if (first < st->buf_first || first >= st->buf_first + st->buf_n)
                return bn_fail(err, BN_ERR_IO, "moment %zu asked out of order", first);
            size_t left = st->buf_first + st->buf_n - first;
            take = left < n ? left : n;
            memcpy(out, st->buf + (first - st->buf_first), sizeof(float) * take);
        }
        first += take, out += take, n -= take;
    }
    return BN_OK;
}

/* What rank 0 has not received yet (its write failed or never started): taken and
 * dropped, so that no rank waits on a send. */
static bn_status drain(stream *st, bn_error *err)
{
    const bn_trainer *t = st->t;
    bn_status s = BN_OK;
    for (int which = 0; which < 2; which++)
        for (int r = 1; r < t->dist.size; r++)
            while (s == BN_OK && st->next[which * t->dist.size + r] < t->bounds[r + 1])
                s = receive_chunk(st, which, r, err);
    return s;
}

/* A rank other than 0: its slices of exp_avg, then of exp_avg_sq, to rank 0. */
static bn_status send_moments(bn_trainer *t, bn_error *err)
{
    const bn_dist *d = &t->dist;
    size_t lo = t->bounds[d->rank], hi = t->bounds[d->rank + 1];
    bn_status s = BN_OK;
    for (int which = 0; which < 2; which++) {
        const float *slice = which ? t->opt.v : t->opt.m;
        for (size_t at = lo; s == BN_OK && at < hi; at += STREAM_CHUNK) {
            size_t n = hi - at < STREAM_CHUNK ? hi - at : STREAM_CHUNK;
            s = d->ops->transfer(d->ctx, d->rank, 0, (void *)(slice + (at - lo)),
                                 sizeof(float) * n, err);
        }
    }
    return s;
}

bn_status bn_tr_save_sharded(bn_trainer *t, bn_tr_writer write, bn_status prior, bn_error *err)
{
    t->saved_step = t->state.step;
    if (t->dist.rank != 0)
        return send_moments(t, err);
    size_t size = (size_t)t->dist.size;
    stream st = {.t = t, .buf = t->chunk, .next = t->next, .buf_which = -1, .buf_rank = -1};
    for (size_t r = 0; r < size; r++)
        st.next[r] = st.next[size + r] = t->bounds[r];
    bn_moment_source src = {read_moments, &st};
    bn_status s = prior == BN_OK ? write(t, &src, err) : prior;
    bn_error mine = {0};
    bn_status ds = drain(&st, &mine);
    if (s == BN_OK && ds != BN_OK)
        s = bn_fail(err, ds, "%s", mine.msg);
    return s;
}
