/* sync.c - the trainer's side of data-parallel training (README, "Training on many
 * machines"): collectives through bn_dist (the identity for one process), init phases that
 * succeed or fail on every rank together, and a resumed run's state sent from rank 0. */
#include "train/trainer_impl.h"

#include <stdlib.h>
#include <string.h>

/* Elements per collective call, so that an implementation's int counts never overflow. */
#define CHUNK_BYTES ((size_t)1 << 30)

bn_status bn_tr_sum_f32(const bn_dist *d, float *buf, size_t n, bn_error *err)
{
    size_t chunk = CHUNK_BYTES / sizeof *buf;
    bn_status s = BN_OK;
    for (size_t at = 0; d->size > 1 && s == BN_OK && at < n; at += chunk)
        s = d->ops->allreduce_f32(d->ctx, buf + at, n - at < chunk ? n - at : chunk, err);
    return s;
}

bn_status bn_tr_sum_f64(const bn_dist *d, double *buf, size_t n, bn_error *err)
{
    return d->size > 1 ? d->ops->allreduce_f64(d->ctx, buf, n, err) : BN_OK;
}

bn_status bn_tr_broadcast(const bn_dist *d, void *buf, size_t bytes, bn_error *err)
{
    bn_status s = BN_OK;
    for (size_t at = 0; d->size > 1 && s == BN_OK && at < bytes; at += CHUNK_BYTES)
        s = d->ops->broadcast(d->ctx, (char *)buf + at,
                              bytes - at < CHUNK_BYTES ? bytes - at : CHUNK_BYTES, err);
    return s;
}

/* Slots of the init agreement: rank + 1 of the failing ranks, then one count per status. */
enum { AGREE_RANK, AGREE_STATUS, AGREE_N = AGREE_STATUS + BN_ERR_NOMEM + 1 };

/* Mark err as pointing at another rank's failure (the app then prints nothing of its own). */
static bn_status other_ranks(bn_error *err, bn_status s)
{
    if (err)
        err->other_rank = 1;
    return s;
}

bn_status bn_tr_agree(const bn_dist *d, bn_status s, bn_error *err)
{
    if (d->size == 1)
        return s;
    double v[AGREE_N] = {0};
    if (s != BN_OK) {
        v[AGREE_RANK] = d->rank + 1;
        v[AGREE_STATUS + (s > BN_ERR_NOMEM ? BN_ERR_IO : s)] = 1;
    }
    bn_error mine = {0};
    bn_status cs = bn_tr_sum_f64(d, v, AGREE_N, &mine);
    if (s != BN_OK)
        return s;
    if (cs != BN_OK)
        return bn_fail(err, cs, "%s", mine.msg);
    int failed = 0;
    bn_status first = BN_OK;
    for (int st = BN_ERR_NOMEM; st > 0; st--) {
        failed += (int)v[AGREE_STATUS + st];
        first = v[AGREE_STATUS + st] > 0 ? (bn_status)st : first; /* the lowest: input first */
    }
    if (failed == 0)
        return BN_OK;
    if (failed == 1)
        bn_fail(err, first, "rank %d failed while starting the run (its message says why)",
                (int)v[AGREE_RANK] - 1);
    else
        bn_fail(err, first, "%d ranks failed while starting the run (their messages say why)",
                failed);
    return other_ranks(err, first);
}

bn_status bn_tr_remote_failure(const double *shared, bn_error *err)
{
    int st = (int)shared[BN_SHARED_FAIL];
    bn_status s = st == BN_ERR_INPUT || st == BN_ERR_NOMEM ? (bn_status)st : BN_ERR_IO;
    bn_fail(err, s, "rank %d stopped the run on an error (its message says why)",
            (int)shared[BN_SHARED_FAIL_RANK] - 1);
    return other_ranks(err, s);
}

void bn_tr_share_failure(bn_trainer *t, bn_status s)
{
    int others_go_on = t->state.step < t->cfg.train.num_steps && !t->stop_agreed;
    if (t->dist.size == 1 || !others_go_on)
        return;
    double shared[BN_SHARED_N] = {0};
    shared[BN_SHARED_FAIL] = s;
    shared[BN_SHARED_FAIL_RANK] = t->dist.rank + 1;
    bn_error ignored = {0};
    bn_tr_sum_f64(&t->dist, shared, BN_SHARED_N, &ignored); /* our own error is the one */
}

bn_status bn_tr_share_config(bn_trainer *t, int *resuming, bn_error *err)
{
    if (t->dist.size == 1)
        return BN_OK;
    int threads = t->cfg.train.threads;
    bn_data_sample sample = t->cfg.data.sample;
    bn_status s = bn_tr_broadcast(&t->dist, &t->cfg, sizeof t->cfg, err);
    if (s == BN_OK)
        s = bn_tr_broadcast(&t->dist, resuming, sizeof *resuming, err);
    t->cfg.train.threads = threads;
    t->cfg.data.sample = sample;
    return s;
}

bn_status bn_tr_share_run_dir(bn_trainer *t, bn_error *err)
{
    return bn_tr_broadcast(&t->dist, t->run.dir, sizeof t->run.dir, err);
}

/* What a resumed run needs besides the tensors and the data position's text. */
typedef struct {
    long step, tokens_seen, adam_t;
    double loss_ema, ema_weight;
    size_t data_len; /* bytes of the data position's JSON text */
} resume_head;

/* The tensors, from rank 0's (loaded) to every rank's. */
static bn_status share_tensors(bn_trainer *t, bn_error *err)
{
    size_t bytes = sizeof(float) * t->model.num_params;
    bn_status s = bn_tr_broadcast(&t->dist, t->model.params, bytes, err);
    if (s == BN_OK && bn_tr_sharded(t)) /* each rank its slice (README, "Training on many
                                             machines") */
        s = bn_tr_share_moments(t, err);
    else if (s == BN_OK)
        s = bn_tr_broadcast(&t->dist, t->opt.m, bytes, err);
    if (s == BN_OK && !bn_tr_sharded(t))
        s = bn_tr_broadcast(&t->dist, t->opt.v, bytes, err);
    bn_model_params_changed(&t->model);
    return s;
}

/* The data position, restored into this rank's source (rank 0's is already). */
static bn_status restore_data(bn_trainer *t, const char *text, bn_error *err)
{
    if (t->dist.rank == 0)
        return BN_OK;
    bn_train_state_clear(&t->state);
    t->state.data = json_loads(text, 0, NULL);
    if (!t->state.data)
        return bn_fail(err, BN_ERR_INPUT, "rank 0's data position: not JSON");
    return bn_source_load_state(t->source, t->state.data, "rank 0's data position", err);
}

/* Three agreements, called on every rank whatever fails, so that the collectives between
 * them run on all ranks or on none. */
bn_status bn_tr_share_resume(bn_trainer *t, bn_error *err)
{
    resume_head h = {t->state.step, t->state.tokens_seen, t->opt.t, t->state.loss_ema,
                     t->state.ema_weight, 0};
    char *text = t->dist.rank == 0 ? json_dumps(t->state.data, JSON_COMPACT) : NULL;
    bn_status s = t->dist.rank == 0 && !text
                  ? bn_fail(err, BN_ERR_NOMEM, "out of memory for the data position") : BN_OK;
    h.data_len = text ? strlen(text) : 0;
    s = bn_tr_agree(&t->dist, s, err);
    if (s == BN_OK)
        s = bn_tr_broadcast(&t->dist, &h, sizeof h, err);
    if (s == BN_OK)
        s = share_tensors(t, err);
    if (s == BN_OK && t->dist.rank != 0 && !(text = calloc(h.data_len + 1, 1)))
        s = bn_fail(err, BN_ERR_NOMEM, "out of memory for the data position");
    s = bn_tr_agree(&t->dist, s, err);
    if (s == BN_OK)
        s = bn_tr_broadcast(&t->dist, text, h.data_len, err);
    if (s == BN_OK)
        s = restore_data(t, text, err);
    free(text);
    if (s == BN_OK) {
        t->state.step = h.step;
        t->state.tokens_seen = h.tokens_seen;
        t->opt.t = h.adam_t;
        t->state.loss_ema = h.loss_ema;
        t->state.ema_weight = h.ema_weight;
    }
    return bn_tr_agree(&t->dist, s, err);
}
