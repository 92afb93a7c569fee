/* test_sampler.c - temperature 0 and top-k 1 are argmax; top-p keeps the smallest set
 * reaching p (ties by id); the same seed gives the same draws, another seed other draws;
 * draws follow the distribution; bad settings are refused with one line. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "model/generate.h"
#include "model/sampler.h"

#define V 50

static void random_logits(float *z, bn_rng *rng)
{
    for (int i = 0; i < V; i++)
        z[i] = 3.0f * bn_rng_normal(rng);
}

static void check_greedy(void)
{
    bn_error err = {0};
    bn_rng rng;
    bn_rng_seed(&rng, 1);
    bn_sampling t0 = {0.0f, 0.95f, 0}, k1 = {1.3f, 1.0f, 1};
    bn_sampler a, b;
    CHECK(bn_sampler_init(&a, V, &t0, 5, &err) == BN_OK, "%s", err.msg);
    CHECK(bn_sampler_init(&b, V, &k1, 5, &err) == BN_OK, "%s", err.msg);
    for (int r = 0; r < 200; r++) {
        float z[V];
        random_logits(z, &rng);
        int want = bn_argmax(z, V);
        CHECK(bn_sampler_next(&a, z) == want, "temperature 0 is argmax");
        CHECK(bn_sampler_next(&b, z) == want, "top-k 1 is argmax");
    }
    bn_sampler_free(&a);
    bn_sampler_free(&b);
}

static void check_top_p(void)
{
    float p[6] = {0.1f, 0.4f, 0.05f, 0.3f, 0.1f, 0.05f};
    bn_prob_index out[6];
    int n = bn_sample_candidates(p, 6, 0.5f, 0, out);
    CHECK(n == 2 && out[0].id == 1 && out[1].id == 3, "p 0.5: {1, 3}, got %d", n);
    n = bn_sample_candidates(p, 6, 0.4f, 0, out);
    CHECK(n == 1 && out[0].id == 1, "p 0.4 reached by the first alone, got %d", n);
    n = bn_sample_candidates(p, 6, 0.75f, 0, out);
    CHECK(n == 3 && out[2].id == 0, "p 0.75: {1, 3, 0} (the tie 0/4 by id), got %d", n);
    n = bn_sample_candidates(p, 6, 1.0f, 0, out);
    CHECK(n == 6, "p 1 keeps all, got %d", n);
    n = bn_sample_candidates(p, 6, 1.0f, 3, out);
    CHECK(n == 3 && out[0].id == 1 && out[1].id == 3 && out[2].id == 0, "top-k 3, got %d", n);
    n = bn_sample_candidates(p, 6, 0.5f, 3, out);
    CHECK(n == 2, "top-k 3 then top-p 0.5, got %d", n);
    /* a draw with top-p 0.5 only ever picks 1 or 3, about 4:3 */
    float z[6];
    for (int i = 0; i < 6; i++)
        z[i] = logf(p[i]);
    bn_sampling set = {1.0f, 0.5f, 0};
    bn_sampler s;
    bn_error err = {0};
    bn_sampler_init(&s, 6, &set, 9, &err);
    int count[6] = {0};
    for (int r = 0; r < 7000; r++)
        count[bn_sampler_next(&s, z)]++;
    CHECK(count[1] + count[3] == 7000, "only the nucleus is drawn");
    CHECK(count[1] > 3700 && count[1] < 4300, "id 1 drawn %d of 7000 (expect ~4000)", count[1]);
    bn_sampler_free(&s);
}

static void draws(uint64_t seed, int *out, int n)
{
    bn_error err = {0};
    bn_rng rng;
    bn_rng_seed(&rng, 2);
    bn_sampling set = bn_sampling_defaults();
    bn_sampler s;
    bn_sampler_init(&s, V, &set, seed, &err);
    for (int i = 0; i < n; i++) {
        float z[V];
        random_logits(z, &rng);
        out[i] = bn_sampler_next(&s, z);
    }
    bn_sampler_free(&s);
}

static void check_seeds(void)
{
    int a[100], b[100], c[100];
    draws(42, a, 100);
    draws(42, b, 100);
    draws(43, c, 100);
    CHECK(memcmp(a, b, sizeof a) == 0, "same seed, same draws");
    CHECK(memcmp(a, c, sizeof a) != 0, "another seed, other draws");
}

static void check_refused(void)
{
    bn_error err = {0};
    bn_sampling bad_t = {-0.1f, 0.9f, 0}, bad_p0 = {1.0f, 0.0f, 0}, bad_p = {1.0f, 1.01f, 0};
    bn_sampling bad_k = {1.0f, 0.9f, -1}, nan_t = {NAN, 0.9f, 0};
    CHECK(bn_sampling_check(&bad_t, &err) == BN_ERR_INPUT && strstr(err.msg, "temperature"),
          "temperature < 0: %s", err.msg);
    CHECK(bn_sampling_check(&bad_p0, &err) == BN_ERR_INPUT && strstr(err.msg, "(0, 1]"),
          "top-p 0: %s", err.msg);
    CHECK(bn_sampling_check(&bad_p, &err) == BN_ERR_INPUT, "top-p > 1");
    CHECK(bn_sampling_check(&bad_k, &err) == BN_ERR_INPUT && strstr(err.msg, "top-k"),
          "top-k < 0: %s", err.msg);
    CHECK(bn_sampling_check(&nan_t, &err) == BN_ERR_INPUT, "temperature NaN");
    CHECK(strchr(err.msg, '\n') == NULL, "one line");
    bn_sampling ok = bn_sampling_defaults();
    CHECK(bn_sampling_check(&ok, &err) == BN_OK, "defaults are valid");
}

int main(void)
{
    check_greedy();
    check_top_p();
    check_seeds();
    check_refused();
    return check_exit("test_sampler");
}
