/* sampler.c - temperature, top-k and top-p sampling (README, "Inference"). */
#include "model/sampler.h"

#include <math.h>
#include <stdlib.h>

#include "model/generate.h"

bn_sampling bn_sampling_defaults(void)
{
    return (bn_sampling){.temperature = 0.9f, .top_p = 0.95f, .top_k = 0};
}

bn_status bn_sampling_check(const bn_sampling *s, bn_error *err)
{
    if (!(s->temperature >= 0.0f) || isinf(s->temperature))
        return bn_fail(err, BN_ERR_INPUT, "temperature %g: must be a number >= 0 (0 = greedy)",
                       (double)s->temperature);
    if (!(s->top_p > 0.0f && s->top_p <= 1.0f))
        return bn_fail(err, BN_ERR_INPUT, "top-p %g: must be in (0, 1] (1 = no cut)",
                       (double)s->top_p);
    if (s->top_k < 0)
        return bn_fail(err, BN_ERR_INPUT, "top-k %d: must be >= 0 (0 = no cut)", s->top_k);
    return BN_OK;
}

bn_status bn_sampler_init(bn_sampler *s, int vocab, const bn_sampling *set, uint64_t seed,
                          bn_error *err)
{
    bn_status st = bn_sampling_check(set, err);
    if (st != BN_OK)
        return st;
    s->set = *set;
    s->vocab = vocab;
    s->probs = malloc(sizeof(float) * (size_t)vocab);
    s->cand = malloc(sizeof(bn_prob_index) * (size_t)vocab);
    bn_rng_seed(&s->rng, seed);
    if (!s->probs || !s->cand) {
        bn_sampler_free(s);
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for a sampler of %d ids", vocab);
    }
    return BN_OK;
}

void bn_sampler_free(bn_sampler *s)
{
    free(s->probs);
    free(s->cand);
    s->probs = NULL;
    s->cand = NULL;
}

void bn_sampler_seed(bn_sampler *s, uint64_t seed) { bn_rng_seed(&s->rng, seed); }

/* Higher probability first; ties by lower id, so the order never depends on qsort. */
static int by_prob(const void *a, const void *b)
{
    const bn_prob_index *x = a, *y = b;
    if (x->prob != y->prob)
        return x->prob < y->prob ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

/* The k most probable into out, sorted (insertion into a sorted prefix: k is small). */
static int top_k_sorted(const float *probs, int n, int k, bn_prob_index *out)
{
    int have = 0;
    for (int i = 0; i < n; i++) {
        bn_prob_index c = {probs[i], i};
        if (have == k && by_prob(&c, &out[k - 1]) >= 0)
            continue;
        int j = have < k ? have++ : k - 1;
        while (j > 0 && by_prob(&c, &out[j - 1]) < 0) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = c;
    }
    return have;
}

/* Every id that can be in the nucleus, sorted: ids below (1 - p) / (n - 1) cannot, since all
 * of them together stay below 1 - p (llama2.c's cut, which keeps the sort short). */
static int nucleus_pool(const float *probs, int n, float top_p, bn_prob_index *out)
{
    float cutoff = n > 1 ? (1.0f - top_p) / (float)(n - 1) : 0.0f;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (probs[i] >= cutoff)
            out[m++] = (bn_prob_index){probs[i], i};
    qsort(out, (size_t)m, sizeof *out, by_prob);
    return m;
}

int bn_sample_candidates(const float *probs, int n, float top_p, int top_k, bn_prob_index *out)
{
    int m = top_k > 0 && top_k < n ? top_k_sorted(probs, n, top_k, out)
                                   : nucleus_pool(probs, n, top_k > 0 ? 1.0f : top_p, out);
    if (top_p >= 1.0f)
        return m;
    double mass = 0.0;
    for (int i = 0; i < m; i++) {
        mass += out[i].prob;
        if (mass >= top_p)
            return i + 1;
    }
    return m;
}

int bn_sampler_next(bn_sampler *s, const float *logits)
{
    int V = s->vocab;
    if (s->set.temperature == 0.0f || s->set.top_k == 1)
        return bn_argmax(logits, V);
    float mx = logits[bn_argmax(logits, V)], inv_t = 1.0f / s->set.temperature;
    double sum = 0.0;
    for (int i = 0; i < V; i++) {
        s->probs[i] = expf((logits[i] - mx) * inv_t);
        sum += s->probs[i];
    }
    for (int i = 0; i < V; i++)
        s->probs[i] = (float)(s->probs[i] / sum);
    int m = bn_sample_candidates(s->probs, V, s->set.top_p, s->set.top_k, s->cand);
    double mass = 0.0;
    for (int i = 0; i < m; i++)
        mass += s->cand[i].prob;
    double coin = (double)bn_rng_uniform(&s->rng) * mass, acc = 0.0;
    for (int i = 0; i < m; i++) {
        acc += s->cand[i].prob;
        if (coin < acc)
            return s->cand[i].id;
    }
    return s->cand[m - 1].id;
}
