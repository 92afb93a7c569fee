/* test_optim.c - AdamW (PyTorch semantics) against a double-precision hand computation, and
 * the global gradient-norm clipping of torch.nn.utils.clip_grad_norm_. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/optim.h"

static int close_rel(double a, double b, double rel) { return fabs(a - b) <= rel * fabs(b); }

/* ---- AdamW ---- */

enum { NP = 6, STEPS = 3 };

/* Three steps of AdamW on six parameters with hand-chosen gradients, compared with torch's
 * algorithm evaluated in double:
 *   p *= 1 - lr*wd;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). */
static void test_adamw_steps(double lr, double wd)
{
    static const float p0[NP] = {1.0f, -0.75f, 2.5f, 0.3f, -1.25f, 0.6f};
    static const float g[STEPS][NP] = {
        {0.5f, -0.2f, 1.0f, 0.0f, 1e-7f, -3.0f},
        {-0.25f, -0.1f, 0.8f, 0.0f, 2e-7f, 4.0f},
        {0.125f, 0.3f, 1.2f, 0.0f, -1e-7f, -0.5f},
    };
    const double b1 = 0.9, b2 = 0.95, eps = 1e-8;
    float p[NP];
    double pd[NP], md[NP] = {0}, vd[NP] = {0};
    bn_adamw opt;
    bn_error err;

    memcpy(p, p0, sizeof p);
    for (int i = 0; i < NP; i++)
        pd[i] = p0[i];
    CHECK(bn_adamw_init(&opt, NP, b1, b2, eps, &err) == BN_OK, "adamw init");
    for (int t = 1; t <= STEPS; t++) {
        bn_adamw_step(&opt, NULL, p, g[t - 1], lr, wd);
        double b1t = 1.0, b2t = 1.0;
        for (int k = 0; k < t; k++) {
            b1t *= b1;
            b2t *= b2;
        }
        for (int i = 0; i < NP; i++) {
            double gi = g[t - 1][i];
            pd[i] -= lr * wd * pd[i];
            md[i] = b1 * md[i] + (1.0 - b1) * gi;
            vd[i] = b2 * vd[i] + (1.0 - b2) * gi * gi;
            double mhat = md[i] / (1.0 - b1t), vhat = vd[i] / (1.0 - b2t);
            pd[i] -= lr * mhat / (sqrt(vhat) + eps);
        }
        CHECK(opt.t == t, "t = %ld after %d steps", opt.t, t);
        for (int i = 0; i < NP; i++) {
            CHECK(close_rel(p[i], pd[i], 1e-6), "lr %g wd %g step %d: p[%d] = %.9g, want %.9g",
                  lr, wd, t, i, p[i], pd[i]);
            CHECK(close_rel(opt.m[i], md[i], 1e-6), "step %d: m[%d] = %.9g, want %.9g", t, i,
                  opt.m[i], md[i]);
            CHECK(close_rel(opt.v[i], vd[i], 1e-6), "step %d: v[%d] = %.9g, want %.9g", t, i,
                  opt.v[i], vd[i]);
        }
    }
    bn_adamw_free(&opt);
    CHECK(opt.m == NULL && opt.v == NULL, "free clears the state pointers");
}

/* Step 1 by hand constants: with m0 = v0 = 0, bias correction makes the first update
 * exactly lr * g/(|g| + eps) ~= lr * sign(g). p = 1, g = 0.5, lr = 0.01, wd = 0.1:
 * p = 1 * (1 - 0.001) - 0.01 * 0.5/(0.5 + 1e-8) = 0.999 - 0.0099999998 = 0.9890000002. */
static void test_adamw_first_step_constant(void)
{
    float p[2] = {1.0f, -2.0f};
    const float g[2] = {0.5f, 0.0f};
    bn_adamw opt;
    bn_error err;
    CHECK(bn_adamw_init(&opt, 2, 0.9, 0.95, 1e-8, &err) == BN_OK, "adamw init");
    bn_adamw_step(&opt, NULL, p, g, 0.01, 0.1);
    CHECK(close_rel(p[0], 0.9890000002, 1e-6), "p[0] = %.9g, want 0.989", p[0]);
    /* zero gradient: decay only, -2 * (1 - 0.001) = -1.998 */
    CHECK(close_rel(p[1], -1.998, 1e-6), "p[1] = %.9g, want -1.998", p[1]);
    bn_adamw_free(&opt);
}

/* ---- gradient norm and clipping ---- */

static void test_grad_norm(void)
{
    const float a[3] = {3.0f, -4.0f, 12.0f};
    CHECK(bn_grad_norm(NULL, a, 3) == 13.0, "norm(3,-4,12) = %.17g, want 13", bn_grad_norm(NULL, a, 3));
    CHECK(bn_grad_norm(NULL, a, 0) == 0.0, "norm of nothing = %g", bn_grad_norm(NULL, a, 0));

    enum { N = 10000 };
    float *b = malloc(N * sizeof *b);
    for (int i = 0; i < N; i++)
        b[i] = (i % 2) ? 0.5f : -0.5f;
    CHECK(bn_grad_norm(NULL, b, N) == 50.0, "norm(10000 x 0.5) = %.17g, want 50", bn_grad_norm(NULL, b, N));
    /* 10000 values of 1e-3 (not exact in float): sqrt(sum) vs double formula */
    double ss = 0.0;
    for (int i = 0; i < N; i++) {
        b[i] = 1e-3f;
        ss += (double)1e-3f * (double)1e-3f;
    }
    CHECK(close_rel(bn_grad_norm(NULL, b, N), sqrt(ss), 1e-12), "norm(10000 x 1e-3) = %.17g, want %.17g",
          bn_grad_norm(NULL, b, N), sqrt(ss));
    /* Large values whose squares overflow float but not double. */
    b[0] = 3e20f;
    b[1] = 4e20f;
    CHECK(close_rel(bn_grad_norm(NULL, b, 2), 5e20, 1e-6), "norm(3e20,4e20) = %g, want 5e20",
          bn_grad_norm(NULL, b, 2));

    b[0] = 1.0f;
    b[1] = NAN;
    CHECK(!isfinite(bn_grad_norm(NULL, b, N)), "NaN grad: norm = %g, want non-finite",
          bn_grad_norm(NULL, b, N));
    b[1] = INFINITY;
    CHECK(!isfinite(bn_grad_norm(NULL, b, N)), "Inf grad: norm = %g, want non-finite",
          bn_grad_norm(NULL, b, N));
    b[1] = -INFINITY;
    CHECK(!isfinite(bn_grad_norm(NULL, b, N)), "-Inf grad: norm = %g, want non-finite",
          bn_grad_norm(NULL, b, N));
    free(b);
}

static void test_clip(void)
{
    /* Below max: untouched, factor 1. */
    float g[4] = {0.3f, -0.4f, 0.0f, 0.1f}, orig[4];
    memcpy(orig, g, sizeof g);
    double norm = sqrt(0.3 * 0.3 + 0.4 * 0.4 + 0.1 * 0.1); /* ~0.5099 */
    double f = bn_clip_grads(NULL, g, 4, norm, 1.0);
    CHECK(f == 1.0, "below max: factor %.17g, want 1", f);
    CHECK(memcmp(g, orig, sizeof g) == 0, "below max: grads changed");
    f = bn_clip_grads(NULL, g, 4, 0.0, 1.0);
    CHECK(f == 1.0 && memcmp(g, orig, sizeof g) == 0, "zero norm: factor %g", f);
    /* Just below max (0.5098 vs 0.51): still untouched. */
    f = bn_clip_grads(NULL, g, 4, norm, 0.51);
    CHECK(f == 1.0 && memcmp(g, orig, sizeof g) == 0, "just below max: factor %.17g", f);

    /* Above max: (3, -4, 0, 12) has norm 13; max 1 -> factor 1/(13 + 1e-6). */
    float h[4] = {3.0f, -4.0f, 0.0f, 12.0f};
    const double hv[4] = {3.0, -4.0, 0.0, 12.0};
    double want = 1.0 / (13.0 + 1e-6);
    f = bn_clip_grads(NULL, h, 4, 13.0, 1.0);
    CHECK(close_rel(f, want, 1e-12), "above max: factor %.17g, want %.17g", f, want);
    CHECK(f < 1.0 / 13.0, "factor %.17g must include the +1e-6", f);
    for (int i = 0; i < 4; i++)
        CHECK(close_rel(h[i], hv[i] * want, 1e-6), "above max: g[%d] = %.9g, want %.9g", i, h[i],
              hv[i] * want);
    /* The clipped gradient's norm is just under max. */
    double n2 = bn_grad_norm(NULL, h, 4);
    CHECK(n2 < 1.0 && close_rel(n2, 1.0, 1e-6), "clipped norm %.17g, want just under 1", n2);

    /* Just above max: norm 13, max 12.935 -> factor ~0.995, must still scale. */
    float q[4] = {3.0f, -4.0f, 0.0f, 12.0f};
    want = 12.935 / (13.0 + 1e-6);
    f = bn_clip_grads(NULL, q, 4, 13.0, 12.935);
    CHECK(close_rel(f, want, 1e-12), "just above max: factor %.17g, want %.17g", f, want);
    for (int i = 0; i < 4; i++)
        CHECK(close_rel(q[i], hv[i] * want, 1e-6), "just above max: g[%d] = %.9g, want %.9g", i,
              q[i], hv[i] * want);

    /* Max 0.5 on the norm-13 vector, with the norm computed by bn_grad_norm. */
    float k[4] = {3.0f, -4.0f, 0.0f, 12.0f};
    want = 0.5 / (13.0 + 1e-6);
    f = bn_clip_grads(NULL, k, 4, bn_grad_norm(NULL, k, 4), 0.5);
    CHECK(close_rel(f, want, 1e-12), "max 0.5: factor %.17g, want %.17g", f, want);
    for (int i = 0; i < 4; i++)
        CHECK(close_rel(k[i], hv[i] * want, 1e-6), "max 0.5: g[%d] = %.9g, want %.9g", i, k[i],
              hv[i] * want);
}

int main(void)
{
    test_adamw_steps(0.05, 0.1);
    test_adamw_steps(1e-3, 0.0);
    test_adamw_steps(1.5e-3, 0.1);
    test_adamw_first_step_constant();
    test_grad_norm();
    test_clip();
    return check_exit("test_optim");
}
