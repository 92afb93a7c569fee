/* step.c - one optimizer step (README, "Gradient accumulation"): the job's micro-batches
 * drawn in one order, this rank's forward and backward passes, the gradient sum in
 * micro-batch order, the sum over ranks, the mean, clipping and AdamW.
 *
 * The order is what makes runs comparable bit for bit: per step the job draws
 * size x accum micro-batches k = 0, 1, ... from the source (every rank draws all of them,
 * so the stream does not depend on the number of ranks), rank r computes k = r*accum + j.
 * Each micro-batch's gradient is computed into zeroed gradients and added to the sum of
 * the earlier ones, ((g0 + g1) + g2) + ..., so one process with accum 2 forms g0 + g1, the
 * same bits as two ranks' allreduce of g0 and g1. The summed gradient is then multiplied by
 * 1.0f / (size x accum) in every configuration. With ZeRO-1 each rank then updates its own
 * slice of the parameters (AdamW is elementwise: the same bits) and an allgather gives
 * every rank the whole slab. */
#include "train/trainer_impl.h"

#include <math.h>
#include <string.h>

#define SUM_BLOCK 65536 /* floats per parallel_for index in the vector loops */

typedef struct {
    float *dst;
    const float *src; /* NULL: scale dst instead */
    size_t n;
    float scale;
} vec_job;

static void vec_blocks(void *ctx, int begin, int end, int thread)
{
    const vec_job *j = ctx;
    (void)thread;
    size_t lo = (size_t)begin * SUM_BLOCK, hi = (size_t)end * SUM_BLOCK;
    hi = hi < j->n ? hi : j->n;
    if (j->src)
        for (size_t i = lo; i < hi; i++)
            j->dst[i] += j->src[i];
    else
        for (size_t i = lo; i < hi; i++)
            j->dst[i] *= j->scale;
}

/* dst += src (or dst *= scale when src is NULL), elementwise: the same bits whatever the
 * threads. */
static void vec_apply(bn_threadpool *pool, float *dst, const float *src, float scale,
                      size_t n)
{
    vec_job j = {dst, src, n, scale};
    bn_parallel_for(pool, (int)((n + SUM_BLOCK - 1) / SUM_BLOCK), vec_blocks, &j);
}

/* Fold this rank's micro-batch j (its gradient in model.grads) into the step's sum: j = 0
 * starts it, the last leaves the whole sum in model.grads (grads + sum has the bits of
 * sum + grads: float addition commutes). */
static void accumulate(bn_trainer *t, int j)
{
    int accum = t->cfg.train.grad_accum_steps;
    bn_model *m = &t->model;
    if (accum == 1)
        return;
    if (j == 0)
        memcpy(t->grad_sum, m->grads, sizeof(float) * m->num_params);
    else if (j < accum - 1)
        vec_apply(m->pool, t->grad_sum, m->grads, 1.0f, m->num_params);
    else
        vec_apply(m->pool, m->grads, t->grad_sum, 1.0f, m->num_params);
}

/* Draw the step's micro-batches in the job's order and run this rank's: forward, backward,
 * sum. Returns the sum of this rank's losses, added in order; after a non-finite one the
 * rest are only drawn (the step is lost: the reduced sum says so on every rank). */
static double micro_batches(bn_trainer *t)
{
    const bn_train_config *tc = &t->cfg.train;
    int accum = tc->grad_accum_steps, parts = t->dist.size * accum;
    double loss_sum = 0.0;
    for (int k = 0; k < parts; k++) {
        bn_source_next_batch(t->source, t->tokens, tc->batch_size, tc->seq_len);
        if (k / accum != t->dist.rank || !isfinite(loss_sum))
            continue;
        loss_sum += bn_model_forward_train(&t->model, t->tokens, tc->batch_size, tc->seq_len);
        if (!isfinite(loss_sum))
            continue;
        bn_model_zero_grad(&t->model);
        bn_model_backward(&t->model, t->tokens);
        accumulate(t, k % accum);
    }
    return loss_sum;
}

long bn_tr_step_tokens(const bn_trainer *t)
{
    const bn_train_config *tc = &t->cfg.train;
    return (long)t->dist.size * tc->grad_accum_steps * tc->batch_size * tc->seq_len;
}

/* "NaN", "+inf" or "-inf", for messages (printf spells NaN "-nan" on some values). */
static const char *non_finite_name(double v)
{
    return isnan(v) ? "NaN" : (v > 0 ? "+inf" : "-inf");
}

/* The mean gradient over the job's micro-batches, in model.grads on every rank, and the
 * mean loss (the shared sums decide divergence and stopping alike everywhere). */
static bn_status mean_gradient(bn_trainer *t, bn_step_result *r, bn_error *err)
{
    int parts = t->dist.size * t->cfg.train.grad_accum_steps;
    bn_model *m = &t->model;
    double shared[BN_SHARED_N] = {0};
    shared[BN_SHARED_LOSS] = micro_batches(t);
    shared[BN_SHARED_STOP] = t->dist.size > 1 && bn_tr_stop_pending(t);
    bn_status s = bn_tr_sum_f64(&t->dist, shared, BN_SHARED_N, err);
    if (s != BN_OK)
        return s;
    if (shared[BN_SHARED_FAIL] > 0)
        return bn_tr_remote_failure(shared, err);
    /* Each micro-batch's loss is already the mean over its B x (T - 1) predictions, all
     * micro-batches have as many, so this is the mean over every prediction of the step. */
    r->loss = parts > 1 ? shared[BN_SHARED_LOSS] / parts : shared[BN_SHARED_LOSS];
    if (!isfinite(r->loss))
        return bn_fail(err, BN_ERR_DIVERGED, "diverged at step %ld: loss is %s",
                       t->state.step + 1, non_finite_name(r->loss));
    t->stop_agreed = shared[BN_SHARED_STOP] > 0;
    s = bn_tr_sum_f32(&t->dist, m->grads, m->num_params, err);
    if (s == BN_OK && parts > 1)
        vec_apply(m->pool, m->grads, NULL, 1.0f / (float)parts, m->num_params);
    return s;
}

bn_status bn_tr_step(bn_trainer *t, bn_step_result *r, bn_error *err)
{
    const bn_train_config *tc = &t->cfg.train;
    bn_model *m = &t->model;
    long step = t->state.step;
    double t0 = bn_tr_now();
    bn_status s = mean_gradient(t, r, err);
    if (s != BN_OK)
        return s;
    r->grad_norm = bn_grad_norm(m->pool, m->grads, m->num_params);
    if (!isfinite(r->grad_norm))
        return bn_fail(err, BN_ERR_DIVERGED, "diverged at step %ld: gradient norm is %s",
                       step + 1, non_finite_name(r->grad_norm));
    bn_clip_grads(m->pool, m->grads, m->num_params, r->grad_norm, tc->grad_clip);
    r->lr = bn_schedule_lr(&t->sched, step);
    r->wd = bn_schedule_wd(&t->sched, step);
    bn_adamw_step(&t->opt, m->pool, m->params, m->grads, r->lr, r->wd); /* this rank's slice */
    s = bn_tr_gather_params(t, err); /* sharded: every slice to every rank */
    if (s != BN_OK)
        return s;
    bn_model_params_changed(m);
    t->state.step++;
    t->state.tokens_seen += bn_tr_step_tokens(t);
    t->state.loss_ema =
        BN_LOSS_EMA_DECAY * t->state.loss_ema + (1.0 - BN_LOSS_EMA_DECAY) * r->loss;
    t->state.ema_weight = BN_LOSS_EMA_DECAY * t->state.ema_weight + (1.0 - BN_LOSS_EMA_DECAY);
    r->step_ms = (bn_tr_now() - t0) * 1e3;
    return BN_OK;
}
