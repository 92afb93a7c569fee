/* test_quant.c - the absmean/absmax quantizers (DESIGN.md, "The model") and the BitLinear
 * integer-product kernels (ref vs blas, and ref vs a plain double-precision product). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels/kernels.h"
#include "quant.h"

/* ---- helpers, independent of the code under test ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rng_u32(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

/* Uniform in [-a, a). */
static float rng_sym(float a) { return (float)(((double)rng_u32() / 4294967296.0 * 2.0 - 1.0) * a); }

/* Round half to even, written out by hand (not nearbyint/rint). */
static double round_half_even(double v)
{
    double f = floor(v), d = v - f;
    if (d > 0.5)
        return f + 1.0;
    if (d < 0.5)
        return f;
    return fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* 1 / max(m, 1e-5f) rounded once to float (division in double then to float is the
 * correctly-rounded float quotient). */
static float guard_scale(double num, float m)
{
    return (float)(num / (double)(m > 1e-5f ? m : 1e-5f));
}

/* ---- weights ---- */

/* Eight weights with sum|W| = 8, so mean|W| = 1 and W*s_w is exact for any power-of-two
 * multiple `k` (mean = k, s_w = 1/k). Expected ternary values are written by hand. */
static void test_weights_ties(void)
{
    static const float base[8] = {0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -0.375f, 0.625f, 0.5f};
    static const float want[8] = {0.0f, 0.0f, 1.0f, -1.0f, 1.0f, 0.0f, 1.0f, 0.0f};
    static const float mults[] = {1.0f, 0.25f, 0.125f, 4.0f, 32.0f, 1.0f / 1024.0f};

    for (size_t mi = 0; mi < sizeof mults / sizeof mults[0]; mi++) {
        float k = mults[mi], w[8], wq[8];
        int8_t wi[8];
        for (int i = 0; i < 8; i++)
            w[i] = base[i] * k;
        float s = bn_quant_weights(wq, wi, w, 8);
        CHECK(s == 1.0f / k, "mult %g: s_w = %.9g, want %.9g", k, s, 1.0f / k);
        for (int i = 0; i < 8; i++) {
            CHECK(wq[i] == want[i], "mult %g: W=%g (W*s=%g) -> %g, want %g", k, w[i], base[i],
                  wq[i], want[i]);
            CHECK(wi[i] == (int8_t)want[i], "mult %g: i8[%d] = %d, want %d", k, i, wi[i],
                  (int)want[i]);
        }
    }
}

/* Values far beyond the ternary edge clamp to +-1. sum|W| = 8, n = 8 -> s_w = 1. */
static void test_weights_clamp(void)
{
    static const float w[8] = {-3.0f, 3.0f, 1.0f, -0.5f, 0.5f, 0.0f, 0.0f, 0.0f};
    static const float want[8] = {-1.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    static const float w2[8] = {7.5f, -0.25f, 0.25f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    static const float want2[8] = {1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    float wq[8];
    int8_t wi[8];

    float s = bn_quant_weights(wq, wi, w, 8);
    CHECK(s == 1.0f, "clamp set: s_w = %.9g", s);
    for (int i = 0; i < 8; i++)
        CHECK(wq[i] == want[i] && wi[i] == (int8_t)want[i], "clamp set: W=%g -> %g/%d, want %g",
              w[i], wq[i], wi[i], want[i]);
    s = bn_quant_weights(wq, wi, w2, 8);
    CHECK(s == 1.0f, "clamp set 2: s_w = %.9g", s);
    for (int i = 0; i < 8; i++)
        CHECK(wq[i] == want2[i] && wi[i] == (int8_t)want2[i],
              "clamp set 2: W=%g -> %g/%d, want %g", w2[i], wq[i], wi[i], want2[i]);
}

/* All-zero W: the 1e-5 guard gives s_w = 1e5 and every output is 0. A tiny W (mean 4e-6)
 * also uses the guard: 4e-6 * 1e5 = 0.4 -> 0 (without it, 4e-6 * 2.5e5 = 1). */
static void test_weights_guard(void)
{
    enum { N = 37 };
    float w[N], wq[N];
    int8_t wi[N];
    const float want_s = (float)(1.0 / (double)1e-5f);

    for (int i = 0; i < N; i++)
        w[i] = 0.0f;
    memset(wq, 0x7f, sizeof wq);
    memset(wi, 0x7f, sizeof wi);
    float s = bn_quant_weights(wq, wi, w, N);
    CHECK(s == want_s, "zero W: s_w = %.9g, want %.9g", s, want_s);
    for (int i = 0; i < N; i++)
        CHECK(wq[i] == 0.0f && wi[i] == 0, "zero W: [%d] -> %g/%d", i, wq[i], wi[i]);

    for (int i = 0; i < N; i++)
        w[i] = (i % 2) ? 4e-6f : -4e-6f;
    s = bn_quant_weights(wq, wi, w, N);
    CHECK(s == want_s, "tiny W: s_w = %.9g, want %.9g", s, want_s);
    for (int i = 0; i < N; i++)
        CHECK(wq[i] == 0.0f && wi[i] == 0, "tiny W: [%d] = %g -> %g/%d, want 0", i, w[i], wq[i],
              wi[i]);
}

/* Random W: s_w = 1/mean|W| (mean in double), every output = clamp(round(W*s_w)) with the
 * hand-written rounding, and the int8 and float outputs agree. */
static void test_weights_random(void)
{
    static const size_t sizes[] = {1, 2, 5, 64, 1000, 4099};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        float *w = malloc(n * sizeof *w), *wq = malloc(n * sizeof *wq);
        int8_t *wi = malloc(n);
        double sum = 0.0;
        for (size_t i = 0; i < n; i++) {
            w[i] = rng_sym(0.3f);
            sum += fabs((double)w[i]);
        }
        float s = bn_quant_weights(wq, wi, w, n);
        double want_s = 1.0 / (sum / (double)n);
        CHECK(fabs(s - want_s) <= 1e-6 * want_s, "n=%zu: s_w = %.9g, want %.9g", n, s, want_s);
        int bad = 0, nz = 0;
        for (size_t i = 0; i < n; i++) {
            float prod = w[i] * s; /* the product in float, as the spec (torch fp32) forms it */
            double q = clampd(round_half_even((double)prod), -1.0, 1.0);
            if (wq[i] != (float)q || wi[i] != (int8_t)q || (double)wi[i] != (double)wq[i])
                bad++;
            nz += wi[i] != 0;
        }
        CHECK(bad == 0, "n=%zu: %d outputs differ from clamp(round(W*s_w))", n, bad);
        if (n >= 64)
            CHECK(nz > 0 && nz < (int)n, "n=%zu: %d nonzero outputs (degenerate)", n, nz);
        free(w);
        free(wq);
        free(wi);
    }
}

/* ---- activations ---- */

struct act_case {
    float x[8];
    float want[8];
    float scale;
};

/* Rows with a power-of-two-multiple max so that x*s is exactly k+0.5. */
static void test_act_ties(void)
{
    static const struct act_case cases[] = {
        /* max 127 -> s = 1 */
        {{127.0f, 0.5f, 1.5f, 2.5f, -2.5f, -0.5f, 3.5f, -126.5f},
         {127.0f, 0.0f, 2.0f, 2.0f, -2.0f, 0.0f, 4.0f, -126.0f},
         1.0f},
        /* max 63.5 -> s = 2 */
        {{0.25f, 0.75f, 1.25f, -1.25f, 63.5f, -0.25f, -0.75f, 5.25f},
         {0.0f, 2.0f, 2.0f, -2.0f, 127.0f, 0.0f, -2.0f, 10.0f},
         2.0f},
        /* max 254 (negative) -> s = 0.5 */
        {{1.0f, 3.0f, 5.0f, -5.0f, -254.0f, -1.0f, 7.0f, 253.0f},
         {0.0f, 2.0f, 2.0f, -2.0f, -127.0f, 0.0f, 4.0f, 126.0f},
         0.5f},
        /* max 0.9921875 = 127/128 -> s = 128: 0.00390625*128 = 0.5, 3/256*128 = 1.5 */
        {{0.00390625f, 0.01171875f, 0.01953125f, -0.01953125f, 0.9921875f, -0.00390625f,
          -0.01171875f, 0.5f},
         {0.0f, 2.0f, 2.0f, -2.0f, 127.0f, 0.0f, -2.0f, 64.0f},
         128.0f},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const struct act_case *c = &cases[ci];
        float xq[8], sc[1];
        int8_t xi[8];
        bn_quant_activations(xq, xi, sc, c->x, 1, 8);
        CHECK(sc[0] == c->scale, "case %zu: scale %.9g, want %.9g", ci, sc[0], c->scale);
        for (int j = 0; j < 8; j++) {
            CHECK(xq[j] == c->want[j], "case %zu: x=%g (x*s=%g) -> %g, want %g", ci, c->x[j],
                  c->x[j] * c->scale, xq[j], c->want[j]);
            CHECK(xi[j] == (int8_t)c->want[j], "case %zu: i8[%d] = %d, want %d", ci, j, xi[j],
                  (int)c->want[j]);
        }
    }
}

/* Random rows: scale = 127/max|x|, output = clamp(round(x*s)), within [-128, 127], the max
 * element maps to +-127, and the float and int8 outputs agree. */
static void test_act_random(void)
{
    static const int shapes[][2] = {{1, 1}, {1, 7}, {5, 64}, {17, 257}, {64, 100}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        int rows = shapes[si][0], cols = shapes[si][1];
        size_t n = (size_t)rows * cols;
        float *x = malloc(n * sizeof *x), *xq = malloc(n * sizeof *xq);
        float *sc = malloc((size_t)rows * sizeof *sc);
        int8_t *xi = malloc(n);
        for (size_t i = 0; i < n; i++)
            x[i] = rng_sym(4.0f) * (float)(1 + (i % 5)); /* mixed magnitudes */
        bn_quant_activations(xq, xi, sc, x, rows, cols);
        int bad_scale = 0, bad_val = 0, out_of_range = 0, bad_max = 0, bad_i8 = 0;
        for (int r = 0; r < rows; r++) {
            const float *xr = x + (size_t)r * cols;
            double mx = 0.0;
            int arg = 0;
            for (int c = 0; c < cols; c++)
                if (fabs((double)xr[c]) > mx) {
                    mx = fabs((double)xr[c]);
                    arg = c;
                }
            float want_s = guard_scale(127.0, (float)mx);
            bad_scale += sc[r] != want_s;
            for (int c = 0; c < cols; c++) {
                size_t i = (size_t)r * cols + c;
                float prod = xr[c] * sc[r];
                double q = clampd(round_half_even((double)prod), -128.0, 127.0);
                bad_val += xq[i] != (float)q;
                bad_i8 += (double)xi[i] != (double)xq[i];
                out_of_range += xq[i] < -128.0f || xq[i] > 127.0f || xq[i] != floorf(xq[i]);
            }
            float want_max = xr[arg] < 0 ? -127.0f : 127.0f;
            bad_max += xq[(size_t)r * cols + arg] != want_max;
        }
        CHECK(bad_scale == 0, "%dx%d: %d rows with scale != 127/max|x|", rows, cols, bad_scale);
        CHECK(bad_val == 0, "%dx%d: %d outputs != clamp(round(x*s))", rows, cols, bad_val);
        CHECK(bad_i8 == 0, "%dx%d: %d int8/float disagreements", rows, cols, bad_i8);
        CHECK(out_of_range == 0, "%dx%d: %d outputs not integers in [-128,127]", rows, cols,
              out_of_range);
        CHECK(bad_max == 0, "%dx%d: %d rows whose max element is not +-127", rows, cols, bad_max);
        free(x);
        free(xq);
        free(sc);
        free(xi);
    }
}

/* All-zero row and tiny row (max 1e-7) both use the 1e-5 guard: scale 127/1e-5. */
static void test_act_guard(void)
{
    float x[2 * 4] = {0.0f, 0.0f, 0.0f, 0.0f, 1e-7f, -5e-8f, 3e-8f, -1e-7f};
    static const float want[8] = {0.0f, 0.0f, 0.0f, 0.0f, 1.0f, -1.0f, 0.0f, -1.0f};
    float xq[8], sc[2];
    int8_t xi[8];
    const float want_s = (float)(127.0 / (double)1e-5f);

    bn_quant_activations(xq, xi, sc, x, 2, 4);
    CHECK(sc[0] == want_s, "zero row: scale %.9g, want %.9g", sc[0], want_s);
    CHECK(sc[1] == want_s, "tiny row: scale %.9g, want %.9g", sc[1], want_s);
    for (int i = 0; i < 8; i++)
        CHECK(xq[i] == want[i] && xi[i] == (int8_t)want[i], "guard rows: x=%g -> %g/%d, want %g",
              x[i], xq[i], xi[i], want[i]);
}

/* Rows are quantized independently: changing row 1 leaves row 0's scale and output. */
static void test_act_rows_independent(void)
{
    enum { R = 3, C = 9 };
    float x[R * C], xq_a[R * C], xq_b[R * C], sc_a[R], sc_b[R];
    int8_t xi_a[R * C], xi_b[R * C];

    for (int i = 0; i < R * C; i++)
        x[i] = rng_sym(1.0f);
    bn_quant_activations(xq_a, xi_a, sc_a, x, R, C);
    for (int c = 0; c < C; c++)
        x[C + c] *= 1000.0f; /* row 1 becomes much larger */
    bn_quant_activations(xq_b, xi_b, sc_b, x, R, C);
    CHECK(sc_a[0] == sc_b[0] && sc_a[2] == sc_b[2], "rows 0/2 scale changed: %g->%g, %g->%g",
          sc_a[0], sc_b[0], sc_a[2], sc_b[2]);
    CHECK(sc_b[1] < sc_a[1] * 0.01f, "row 1 scale %g -> %g (should shrink 1000x)", sc_a[1],
          sc_b[1]);
    CHECK(memcmp(xq_a, xq_b, C * sizeof(float)) == 0, "row 0 float output changed");
    CHECK(memcmp(xi_a, xi_b, C) == 0, "row 0 int8 output changed");
    CHECK(memcmp(xq_a + 2 * C, xq_b + 2 * C, C * sizeof(float)) == 0, "row 2 output changed");
}

/* ---- kernels ---- */

static void check_gemm_shape(int M, int N, int K, int zero_row)
{
    size_t nx = (size_t)M * K, nw = (size_t)N * K, ny = (size_t)M * N;
    float *x = malloc(nx * sizeof(float)), *xq = malloc(nx * sizeof(float));
    float *w = malloc(nw * sizeof(float)), *wq = malloc(nw * sizeof(float));
    int8_t *xi = malloc(nx), *wi = malloc(nw);
    float *sx = malloc((size_t)M * sizeof(float)), sw;
    float *y_ref = malloc(ny * sizeof(float)), *y_blas = malloc(ny * sizeof(float));

    for (size_t i = 0; i < nx; i++)
        x[i] = rng_sym(3.0f);
    for (size_t i = 0; i < nw; i++)
        w[i] = rng_sym(0.05f);
    if (zero_row >= 0)
        for (int k = 0; k < K; k++)
            x[(size_t)zero_row * K + k] = 0.0f;
    bn_quant_activations(xq, xi, sx, x, M, K);
    sw = bn_quant_weights(wq, wi, w, nw);

    bn_qmat X = {.f = xq, .i8 = xi, .scale = sx};
    bn_qmat Wm = {.f = wq, .i8 = wi, .scale = &sw};
    memset(y_ref, 0xA5, ny * sizeof(float));
    memset(y_blas, 0x5A, ny * sizeof(float));
    bn_bitlinear_gemm_ref(y_ref, &X, &Wm, M, N, K);
    bn_bitlinear_gemm_blas(y_blas, &X, &Wm, M, N, K);
    CHECK(memcmp(y_ref, y_blas, ny * sizeof(float)) == 0, "M=%d N=%d K=%d: ref != blas (bits)",
          M, N, K);

    int bad = 0, nonfinite = 0;
    double worst = 0.0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double acc = 0.0;
            for (int k = 0; k < K; k++)
                acc += (double)xi[(size_t)m * K + k] * (double)wi[(size_t)n * K + k];
            double want = acc / ((double)sx[m] * (double)sw);
            double got = y_ref[(size_t)m * N + n];
            double err = fabs(got - want);
            if (!isfinite(got))
                nonfinite++;
            if (err > 1e-6 * fabs(want)) {
                bad++;
                if (err > worst)
                    worst = err;
            }
        }
    CHECK(nonfinite == 0, "M=%d N=%d K=%d: %d non-finite outputs", M, N, K, nonfinite);
    CHECK(bad == 0, "M=%d N=%d K=%d: %d outputs off the double product (worst abs err %g)", M, N,
          K, bad, worst);

    if (zero_row >= 0) {
        int nz = 0;
        for (int n = 0; n < N; n++)
            nz += y_ref[(size_t)zero_row * N + n] != 0.0f ||
                  y_blas[(size_t)zero_row * N + n] != 0.0f;
        CHECK(nz == 0, "M=%d N=%d K=%d: zero activation row %d gives %d nonzero outputs", M, N,
              K, zero_row, nz);
    }

    free(x);
    free(xq);
    free(w);
    free(wq);
    free(xi);
    free(wi);
    free(sx);
    free(y_ref);
    free(y_blas);
}

static void test_gemm(void)
{
    static const int Ms[] = {1, 3, 17}, Ns[] = {1, 3, 17, 255}, Ks[] = {1, 7, 64, 100, 257};
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < 4; b++)
            for (size_t c = 0; c < 5; c++)
                check_gemm_shape(Ms[a], Ns[b], Ks[c], -1);
    check_gemm_shape(1, 17, 64, 0);
    check_gemm_shape(3, 255, 100, 1);
    check_gemm_shape(17, 3, 257, 16);
}

/* The dispatch table: names resolve, "auto"/NULL picks a table, unknown names give NULL. */
static void test_dispatch(void)
{
    const bn_kernels *r = bn_kernels_find("ref"), *b = bn_kernels_find("blas");
    CHECK(r && r->bitlinear_gemm == bn_bitlinear_gemm_ref, "find(\"ref\")");
    CHECK(b && b->bitlinear_gemm == bn_bitlinear_gemm_blas, "find(\"blas\")");
    CHECK(bn_kernels_find("auto") != NULL && bn_kernels_find(NULL) != NULL, "find(auto/NULL)");
    CHECK(bn_kernels_find("nope") == NULL, "find(\"nope\") should be NULL");
}

int main(void)
{
    test_weights_ties();
    test_weights_clamp();
    test_weights_guard();
    test_weights_random();
    test_act_ties();
    test_act_random();
    test_act_guard();
    test_act_rows_independent();
    test_gemm();
    test_dispatch();
    return check_exit("test_quant");
}
