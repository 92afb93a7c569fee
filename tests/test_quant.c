/* test_quant.c - the absmean/absmax quantizers (README, "The model") and the BitLinear
 * kernels (every table this CPU supports, with and without a thread pool, bit-identical to
 * ref; ref vs a plain double-precision product). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels/kernels.h"
#include "kernels/ternary_gemm.h"
#include "nn/quant.h"
#include "nn/rmsnorm.h"
#include "base/threadpool.h"

/* A 2-thread pool shared by the tests (created in main). */
static bn_threadpool *g_pool2;

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

/* ---- layout checks for the integer forms ---- */

/* Weight codes (rows, Kp): code - 1 == wq for c < cols, code == 1 in the padding columns.
 * Returns the number of bad entries in each part. */
static void count_bad_codes(const float *wq, const uint8_t *codes, int rows, int cols,
                            int *bad_val, int *bad_pad)
{
    int kp = bn_kpad(cols);
    *bad_val = *bad_pad = 0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < kp; c++) {
            int code = codes[(size_t)r * kp + c];
            if (c < cols)
                *bad_val += (float)(code - 1) != wq[(size_t)r * cols + c];
            else
                *bad_pad += code != 1;
        }
}

/* Activation int8 rows (rows, Kp): equal to xq for c < cols, zero in the padding, and
 * rowsum[r] == the sum of the row's int8 values. */
static void count_bad_act_layout(const float *xq, const int8_t *xi, const int32_t *rowsum,
                                 int rows, int cols, int *bad_i8, int *bad_pad, int *bad_sum)
{
    int kp = bn_kpad(cols);
    *bad_i8 = *bad_pad = *bad_sum = 0;
    for (int r = 0; r < rows; r++) {
        long long sum = 0;
        for (int c = 0; c < kp; c++) {
            int v = xi[(size_t)r * kp + c];
            sum += v;
            if (c < cols)
                *bad_i8 += (double)v != (double)xq[(size_t)r * cols + c];
            else
                *bad_pad += v != 0;
        }
        *bad_sum += (long long)rowsum[r] != sum;
    }
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
        uint8_t codes[BN_KPAD];
        for (int i = 0; i < 8; i++)
            w[i] = base[i] * k;
        memset(codes, 0x7f, sizeof codes);
        float s = bn_quant_weights(NULL, wq, codes, w, 1, 8);
        CHECK(s == 1.0f / k, "mult %g: s_w = %.9g, want %.9g", k, s, 1.0f / k);
        for (int i = 0; i < 8; i++) {
            CHECK(wq[i] == want[i], "mult %g: W=%g (W*s=%g) -> %g, want %g", k, w[i], base[i],
                  wq[i], want[i]);
            CHECK((int)codes[i] == (int)want[i] + 1, "mult %g: code[%d] = %d, want %d", k, i,
                  codes[i], (int)want[i] + 1);
        }
        int bad_val, bad_pad;
        count_bad_codes(wq, codes, 1, 8, &bad_val, &bad_pad);
        CHECK(bad_val == 0 && bad_pad == 0, "mult %g: %d codes != wq+1, %d padding codes != 1",
              k, bad_val, bad_pad);
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
    uint8_t codes[BN_KPAD];
    int bad_val, bad_pad;

    memset(codes, 0x7f, sizeof codes);
    float s = bn_quant_weights(NULL, wq, codes, w, 1, 8);
    CHECK(s == 1.0f, "clamp set: s_w = %.9g", s);
    for (int i = 0; i < 8; i++)
        CHECK(wq[i] == want[i] && (int)codes[i] == (int)want[i] + 1,
              "clamp set: W=%g -> %g/code %d, want %g", w[i], wq[i], codes[i], want[i]);
    count_bad_codes(wq, codes, 1, 8, &bad_val, &bad_pad);
    CHECK(bad_pad == 0, "clamp set: %d padding codes != 1", bad_pad);

    memset(codes, 0x7f, sizeof codes);
    s = bn_quant_weights(NULL, wq, codes, w2, 1, 8);
    CHECK(s == 1.0f, "clamp set 2: s_w = %.9g", s);
    for (int i = 0; i < 8; i++)
        CHECK(wq[i] == want2[i] && (int)codes[i] == (int)want2[i] + 1,
              "clamp set 2: W=%g -> %g/code %d, want %g", w2[i], wq[i], codes[i], want2[i]);
    count_bad_codes(wq, codes, 1, 8, &bad_val, &bad_pad);
    CHECK(bad_pad == 0, "clamp set 2: %d padding codes != 1", bad_pad);
}

/* All-zero W: the 1e-5 guard gives s_w = 1e5 and every output is 0. A tiny W (mean 4e-6)
 * also uses the guard: 4e-6 * 1e5 = 0.4 -> 0 (without it, 4e-6 * 2.5e5 = 1). */
static void test_weights_guard(void)
{
    enum { N = 37 };
    float w[N], wq[N];
    uint8_t codes[BN_KPAD];
    const float want_s = (float)(1.0 / (double)1e-5f);
    int bad_val, bad_pad;

    for (int i = 0; i < N; i++)
        w[i] = 0.0f;
    memset(wq, 0x7f, sizeof wq);
    memset(codes, 0x7f, sizeof codes);
    float s = bn_quant_weights(NULL, wq, codes, w, 1, N);
    CHECK(s == want_s, "zero W: s_w = %.9g, want %.9g", s, want_s);
    for (int i = 0; i < N; i++)
        CHECK(wq[i] == 0.0f && codes[i] == 1, "zero W: [%d] -> %g/code %d", i, wq[i], codes[i]);
    count_bad_codes(wq, codes, 1, N, &bad_val, &bad_pad);
    CHECK(bad_pad == 0, "zero W: %d padding codes != 1", bad_pad);

    for (int i = 0; i < N; i++)
        w[i] = (i % 2) ? 4e-6f : -4e-6f;
    memset(codes, 0x7f, sizeof codes);
    s = bn_quant_weights(NULL, wq, codes, w, 1, N);
    CHECK(s == want_s, "tiny W: s_w = %.9g, want %.9g", s, want_s);
    for (int i = 0; i < N; i++)
        CHECK(wq[i] == 0.0f && codes[i] == 1, "tiny W: [%d] = %g -> %g/code %d, want 0", i, w[i],
              wq[i], codes[i]);
    count_bad_codes(wq, codes, 1, N, &bad_val, &bad_pad);
    CHECK(bad_pad == 0, "tiny W: %d padding codes != 1", bad_pad);
}

/* Random W (rows, cols): s_w = 1/mean|W| over the whole matrix (mean in double), every
 * output = clamp(round(W*s_w)) with the hand-written rounding, the codes are wq + 1 and
 * the padding codes are 1. */
static void check_weights_random(int rows, int cols)
{
    size_t n = (size_t)rows * cols;
    int kp = bn_kpad(cols);
    float *w = malloc(n * sizeof *w), *wq = malloc(n * sizeof *wq);
    uint8_t *codes = malloc((size_t)rows * kp);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        w[i] = rng_sym(0.3f);
        sum += fabs((double)w[i]);
    }
    memset(codes, 0x7f, (size_t)rows * kp);
    float s = bn_quant_weights(NULL, wq, codes, w, rows, cols);
    double want_s = 1.0 / (sum / (double)n);
    CHECK(fabs(s - want_s) <= 1e-6 * want_s, "%dx%d: s_w = %.9g, want %.9g", rows, cols, s,
          want_s);
    int bad = 0, nz = 0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            size_t i = (size_t)r * cols + c;
            float prod = w[i] * s; /* the product in float, as the spec (torch fp32) forms it */
            double q = clampd(round_half_even((double)prod), -1.0, 1.0);
            int code = codes[(size_t)r * kp + c];
            if (wq[i] != (float)q || (double)(code - 1) != q)
                bad++;
            nz += wq[i] != 0.0f;
        }
    CHECK(bad == 0, "%dx%d: %d outputs differ from clamp(round(W*s_w))", rows, cols, bad);
    if (n >= 64)
        CHECK(nz > 0 && nz < (int)n, "%dx%d: %d nonzero outputs (degenerate)", rows, cols, nz);
    int bad_val, bad_pad;
    count_bad_codes(wq, codes, rows, cols, &bad_val, &bad_pad);
    CHECK(bad_val == 0, "%dx%d: %d codes != wq + 1", rows, cols, bad_val);
    CHECK(bad_pad == 0, "%dx%d: %d padding codes != 1", rows, cols, bad_pad);
    free(w);
    free(wq);
    free(codes);
}

static void test_weights_random(void)
{
    static const int sizes[] = {1, 2, 5, 64, 1000, 4099};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        check_weights_random(1, sizes[si]);
    check_weights_random(7, 33); /* 2-D: one scale for the whole matrix, padded rows */
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
        int8_t xi[BN_KPAD];
        int32_t rs[1];
        memset(xi, 0x5a, sizeof xi);
        bn_quant_activations(NULL, xq, xi, rs, sc, c->x, 1, 8);
        CHECK(sc[0] == c->scale, "case %zu: scale %.9g, want %.9g", ci, sc[0], c->scale);
        int want_sum = 0;
        for (int j = 0; j < 8; j++) {
            CHECK(xq[j] == c->want[j], "case %zu: x=%g (x*s=%g) -> %g, want %g", ci, c->x[j],
                  c->x[j] * c->scale, xq[j], c->want[j]);
            CHECK(xi[j] == (int8_t)c->want[j], "case %zu: i8[%d] = %d, want %d", ci, j, xi[j],
                  (int)c->want[j]);
            want_sum += (int)c->want[j];
        }
        CHECK(rs[0] == want_sum, "case %zu: rowsum %d, want %d", ci, (int)rs[0], want_sum);
        int bad_i8, bad_pad, bad_sum;
        count_bad_act_layout(xq, xi, rs, 1, 8, &bad_i8, &bad_pad, &bad_sum);
        CHECK(bad_pad == 0, "case %zu: %d nonzero padding bytes", ci, bad_pad);
    }
}

/* Random rows: scale = 127/max|x|, output = clamp(round(x*s)), within [-128, 127], the max
 * element maps to +-127, the float and int8 outputs agree, the int8 padding is zero and the
 * row sums match. */
static void test_act_random(void)
{
    static const int shapes[][2] = {{1, 1}, {1, 7}, {5, 64}, {17, 257}, {64, 100}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        int rows = shapes[si][0], cols = shapes[si][1], kp = bn_kpad(cols);
        size_t n = (size_t)rows * cols, ni = (size_t)rows * kp;
        float *x = malloc(n * sizeof *x), *xq = malloc(n * sizeof *xq);
        float *sc = malloc((size_t)rows * sizeof *sc);
        int32_t *rs = malloc((size_t)rows * sizeof *rs);
        int8_t *xi = malloc(ni);
        for (size_t i = 0; i < n; i++)
            x[i] = rng_sym(4.0f) * (float)(1 + (i % 5)); /* mixed magnitudes */
        memset(xi, 0x5a, ni);
        bn_quant_activations(NULL, xq, xi, rs, sc, x, rows, cols);
        int bad_scale = 0, bad_val = 0, out_of_range = 0, bad_max = 0;
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
                out_of_range += xq[i] < -128.0f || xq[i] > 127.0f || xq[i] != floorf(xq[i]);
            }
            float want_max = xr[arg] < 0 ? -127.0f : 127.0f;
            bad_max += xq[(size_t)r * cols + arg] != want_max;
        }
        int bad_i8, bad_pad, bad_sum;
        count_bad_act_layout(xq, xi, rs, rows, cols, &bad_i8, &bad_pad, &bad_sum);
        CHECK(bad_scale == 0, "%dx%d: %d rows with scale != 127/max|x|", rows, cols, bad_scale);
        CHECK(bad_val == 0, "%dx%d: %d outputs != clamp(round(x*s))", rows, cols, bad_val);
        CHECK(bad_i8 == 0, "%dx%d: %d int8/float disagreements", rows, cols, bad_i8);
        CHECK(bad_pad == 0, "%dx%d: %d nonzero int8 padding bytes", rows, cols, bad_pad);
        CHECK(bad_sum == 0, "%dx%d: %d rows with rowsum != sum of int8 row", rows, cols,
              bad_sum);
        CHECK(out_of_range == 0, "%dx%d: %d outputs not integers in [-128,127]", rows, cols,
              out_of_range);
        CHECK(bad_max == 0, "%dx%d: %d rows whose max element is not +-127", rows, cols, bad_max);
        free(x);
        free(xq);
        free(sc);
        free(rs);
        free(xi);
    }
}

/* All-zero row and tiny row (max 1e-7) both use the 1e-5 guard: scale 127/1e-5. */
static void test_act_guard(void)
{
    float x[2 * 4] = {0.0f, 0.0f, 0.0f, 0.0f, 1e-7f, -5e-8f, 3e-8f, -1e-7f};
    static const float want[8] = {0.0f, 0.0f, 0.0f, 0.0f, 1.0f, -1.0f, 0.0f, -1.0f};
    float xq[8], sc[2];
    int8_t xi[2 * BN_KPAD];
    int32_t rs[2];
    const float want_s = (float)(127.0 / (double)1e-5f);

    memset(xi, 0x5a, sizeof xi);
    bn_quant_activations(NULL, xq, xi, rs, sc, x, 2, 4);
    CHECK(sc[0] == want_s, "zero row: scale %.9g, want %.9g", sc[0], want_s);
    CHECK(sc[1] == want_s, "tiny row: scale %.9g, want %.9g", sc[1], want_s);
    for (int i = 0; i < 8; i++) {
        int8_t got = xi[(i / 4) * BN_KPAD + i % 4];
        CHECK(xq[i] == want[i] && got == (int8_t)want[i], "guard rows: x=%g -> %g/%d, want %g",
              x[i], xq[i], got, want[i]);
    }
    CHECK(rs[0] == 0 && rs[1] == -1, "guard rows: rowsums %d, %d, want 0, -1", (int)rs[0],
          (int)rs[1]);
    int bad_i8, bad_pad, bad_sum;
    count_bad_act_layout(xq, xi, rs, 2, 4, &bad_i8, &bad_pad, &bad_sum);
    CHECK(bad_pad == 0, "guard rows: %d nonzero padding bytes", bad_pad);
}

/* Rows are quantized independently: changing row 1 leaves row 0's scale and output. */
static void test_act_rows_independent(void)
{
    enum { R = 3, C = 9, KP = BN_KPAD };
    float x[R * C], xq_a[R * C], xq_b[R * C], sc_a[R], sc_b[R];
    int8_t xi_a[R * KP], xi_b[R * KP];
    int32_t rs_a[R], rs_b[R];

    for (int i = 0; i < R * C; i++)
        x[i] = rng_sym(1.0f);
    bn_quant_activations(NULL, xq_a, xi_a, rs_a, sc_a, x, R, C);
    for (int c = 0; c < C; c++)
        x[C + c] *= 1000.0f; /* row 1 becomes much larger */
    bn_quant_activations(NULL, xq_b, xi_b, rs_b, sc_b, x, R, C);
    CHECK(sc_a[0] == sc_b[0] && sc_a[2] == sc_b[2], "rows 0/2 scale changed: %g->%g, %g->%g",
          sc_a[0], sc_b[0], sc_a[2], sc_b[2]);
    CHECK(sc_b[1] < sc_a[1] * 0.01f, "row 1 scale %g -> %g (should shrink 1000x)", sc_a[1],
          sc_b[1]);
    CHECK(memcmp(xq_a, xq_b, C * sizeof(float)) == 0, "row 0 float output changed");
    CHECK(memcmp(xi_a, xi_b, KP) == 0, "row 0 int8 output changed");
    CHECK(memcmp(xq_a + 2 * C, xq_b + 2 * C, C * sizeof(float)) == 0, "row 2 output changed");
    CHECK(memcmp(xi_a + 2 * KP, xi_b + 2 * KP, KP) == 0, "row 2 int8 output changed");
    CHECK(rs_a[0] == rs_b[0] && rs_a[2] == rs_b[2], "rows 0/2 rowsum changed");
}

/* The quantizers' results do not depend on the pool: NULL and 2-thread pools (and a
 * 3-thread one, for an uneven split) give the same bytes. */
static void test_quant_pool_independent(void)
{
    enum { R = 300, C = 257 };
    const int kp = bn_kpad(C);
    size_t n = (size_t)R * C, ni = (size_t)R * kp;
    float *w = malloc(n * sizeof(float)), *x = malloc(n * sizeof(float));
    float *wq[2], *xq[2], *sc[2], sw[2];
    uint8_t *codes[2];
    int8_t *xi[2];
    int32_t *rs[2];
    bn_threadpool *pool3 = NULL;
    bn_error err = {0};

    CHECK(bn_threadpool_create(&pool3, 3, &err) == BN_OK, "create(3): %s", err.msg);
    for (size_t i = 0; i < n; i++) {
        w[i] = rng_sym(0.02f) * (float)(1 + (i % 7));
        x[i] = rng_sym(5.0f) * (float)(1 + (i % 3));
    }
    for (int t = 0; t < 2; t++) {
        wq[t] = malloc(n * sizeof(float));
        xq[t] = malloc(n * sizeof(float));
        sc[t] = malloc(R * sizeof(float));
        codes[t] = malloc(ni);
        xi[t] = malloc(ni);
        rs[t] = malloc(R * sizeof(int32_t));
    }
    sw[0] = bn_quant_weights(NULL, wq[0], codes[0], w, R, C);
    bn_quant_activations(NULL, xq[0], xi[0], rs[0], sc[0], x, R, C);

    bn_threadpool *pools[] = {g_pool2, pool3};
    for (int p = 0; p < 2; p++) {
        int T = bn_threadpool_size(pools[p]);
        memset(wq[1], 0x7f, n * sizeof(float));
        memset(xq[1], 0x7f, n * sizeof(float));
        memset(sc[1], 0x7f, R * sizeof(float));
        memset(codes[1], 0x7f, ni);
        memset(xi[1], 0x7f, ni);
        memset(rs[1], 0x7f, R * sizeof(int32_t));
        sw[1] = bn_quant_weights(pools[p], wq[1], codes[1], w, R, C);
        bn_quant_activations(pools[p], xq[1], xi[1], rs[1], sc[1], x, R, C);
        CHECK(memcmp(&sw[0], &sw[1], sizeof(float)) == 0, "T=%d: s_w %.9g != %.9g (NULL pool)",
              T, sw[1], sw[0]);
        CHECK(memcmp(wq[0], wq[1], n * sizeof(float)) == 0, "T=%d: wq differs", T);
        CHECK(memcmp(codes[0], codes[1], ni) == 0, "T=%d: codes differ", T);
        CHECK(memcmp(xq[0], xq[1], n * sizeof(float)) == 0, "T=%d: xq differs", T);
        CHECK(memcmp(xi[0], xi[1], ni) == 0, "T=%d: xq_i8 differs", T);
        CHECK(memcmp(rs[0], rs[1], R * sizeof(int32_t)) == 0, "T=%d: rowsum differs", T);
        CHECK(memcmp(sc[0], sc[1], R * sizeof(float)) == 0, "T=%d: scale differs", T);
    }
    int bad_val, bad_pad, bad_i8, bad_sum;
    count_bad_codes(wq[0], codes[0], R, C, &bad_val, &bad_pad);
    CHECK(bad_val == 0 && bad_pad == 0, "%dx%d: %d bad codes, %d bad padding codes", R, C,
          bad_val, bad_pad);
    count_bad_act_layout(xq[0], xi[0], rs[0], R, C, &bad_i8, &bad_pad, &bad_sum);
    CHECK(bad_i8 == 0 && bad_pad == 0 && bad_sum == 0,
          "%dx%d: %d int8/float disagreements, %d nonzero padding, %d bad rowsums", R, C, bad_i8,
          bad_pad, bad_sum);

    bn_threadpool_destroy(pool3);
    for (int t = 0; t < 2; t++) {
        free(wq[t]);
        free(xq[t]);
        free(sc[t]);
        free(codes[t]);
        free(xi[t]);
        free(rs[t]);
    }
    free(w);
    free(x);
}

/* The fused RMSNorm + quantizer gives the bits of bn_rmsnorm_forward then
 * bn_quant_activations, with and without the float copy, inline and on the pool. */
static void test_normed_activations(void)
{
    const int rows = 37, cols = 100, kp = bn_kpad(cols);
    float *x = malloc(sizeof(float) * rows * cols), *g = malloc(sizeof(float) * cols);
    float *xn = malloc(sizeof(float) * rows * cols), *rstd1 = malloc(sizeof(float) * rows);
    float *q1 = malloc(sizeof(float) * rows * cols), *q2 = malloc(sizeof(float) * rows * cols);
    float *s1 = malloc(sizeof(float) * rows), *s2 = malloc(sizeof(float) * rows);
    float *rstd2 = malloc(sizeof(float) * rows);
    int8_t *i1 = malloc((size_t)rows * kp), *i2 = malloc((size_t)rows * kp);
    int32_t *rs1 = malloc(sizeof(int32_t) * rows), *rs2 = malloc(sizeof(int32_t) * rows);
    for (int i = 0; i < rows * cols; i++)
        x[i] = rng_sym(4.0f);
    for (int c = 0; c < cols; c++)
        g[c] = 0.5f + rng_sym(0.5f);
    for (int c = 0; c < cols; c++) /* a zero row */
        x[3 * cols + c] = 0.0f;
    bn_rmsnorm_forward(NULL, xn, rstd1, x, g, rows, cols, 1e-5f);
    bn_quant_activations(NULL, q1, i1, rs1, s1, xn, rows, cols);
    bn_threadpool *pools[] = {NULL, g_pool2};
    for (int p = 0; p < 2; p++)
        for (int with_float = 0; with_float <= 1; with_float++) {
            memset(i2, 0x55, (size_t)rows * kp);
            bn_quant_normed_activations(pools[p], rstd2, with_float ? q2 : NULL, i2, rs2, s2, x,
                                        g, rows, cols, 1e-5f);
            CHECK(memcmp(rstd1, rstd2, sizeof(float) * rows) == 0, "fused rstd differs");
            CHECK(memcmp(i1, i2, (size_t)rows * kp) == 0, "fused int8 rows differ");
            CHECK(memcmp(rs1, rs2, sizeof(int32_t) * rows) == 0, "fused row sums differ");
            CHECK(memcmp(s1, s2, sizeof(float) * rows) == 0, "fused scales differ");
            if (with_float)
                CHECK(memcmp(q1, q2, sizeof(float) * rows * cols) == 0, "fused floats differ");
        }
    free(x), free(g), free(xn), free(rstd1), free(rstd2), free(q1), free(q2), free(s1);
    free(s2), free(i1), free(i2), free(rs1), free(rs2);
}

/* ---- kernels ---- */

/* Quad panels hold, at [16p + c][4q + b], w = code - 1 and zeros past N for AMX
 * (bn_amx_pack_weights), the codes themselves and code 1 (weight 0) past N for avx512. */
static void check_panels(int minus_one)
{
    const int N = 37, kp = 128;
    uint8_t *codes = malloc((size_t)N * kp);
    uint8_t *panels = malloc(bn_quad_panels_size(N, kp));
    for (int i = 0; i < N * kp; i++)
        codes[i] = (uint8_t)(rng_u32() % 3);
    if (minus_one)
        bn_amx_pack_weights(g_pool2, (int8_t *)panels, codes, N, kp);
    else
        bn_quad_panels_pack(NULL, panels, codes, N, kp, 0);
    int bad = 0;
    for (int n = 0; n < 64; n++)
        for (int k = 0; k < kp; k++) {
            int want = (n < N ? codes[n * kp + k] : 1) - minus_one;
            uint8_t byte = panels[((size_t)(n / 16) * (kp / 4) + k / 4) * 64 + (n % 16) * 4 + k % 4];
            int got = minus_one ? (int8_t)byte : byte;
            bad += got != want;
        }
    if (minus_one) {
        CHECK(bad == 0, "amx panels: %d misplaced weights", bad);
        CHECK(bn_amx_panels_size(N, kp) == 64u * kp, "panels rounded up to 32 rows");
    } else {
        CHECK(bad == 0, "code panels: %d misplaced codes", bad);
    }
    free(codes);
    free(panels);
}

static const char *const kernel_names[] = {"ref", "blas", "avx2", "avx512", "amx"};
#define N_KERNELS (sizeof kernel_names / sizeof kernel_names[0])
static int kernel_noted[N_KERNELS]; /* "not supported" printed once per name */

static void check_gemm_shape(int M, int N, int K, int zero_row)
{
    const int kp = bn_kpad(K);
    size_t nx = (size_t)M * K, nw = (size_t)N * K, ny = (size_t)M * N;
    float *x = malloc(nx * sizeof(float)), *xq = malloc(nx * sizeof(float));
    float *w = malloc(nw * sizeof(float)), *wq = malloc(nw * sizeof(float));
    int8_t *xi = malloc((size_t)M * kp);
    uint8_t *codes = malloc((size_t)N * kp);
    int32_t *rs = malloc((size_t)M * sizeof(int32_t));
    float *sx = malloc((size_t)M * sizeof(float)), sw;
    float *y_ref = malloc(ny * sizeof(float));
    /* 64-byte aligned, as the engine's activations are: the streaming stores need it */
    float *y = aligned_alloc(64, (ny * sizeof(float) + 63) / 64 * 64);

    for (size_t i = 0; i < nx; i++)
        x[i] = rng_sym(3.0f);
    for (size_t i = 0; i < nw; i++)
        w[i] = rng_sym(0.05f);
    if (zero_row >= 0)
        for (int k = 0; k < K; k++)
            x[(size_t)zero_row * K + k] = 0.0f;
    bn_quant_activations(NULL, xq, xi, rs, sx, x, M, K);
    sw = bn_quant_weights(NULL, wq, codes, w, N, K);

    bn_qact_view X = {.f = xq, .i8 = xi, .rowsum = rs, .scale = sx};
    int8_t *panels = malloc(bn_amx_panels_size(N, kp));
    bn_amx_pack_weights(g_pool2, panels, codes, N, kp);
    uint8_t *code_panels = malloc(bn_quad_panels_size(N, kp));
    bn_quad_panels_pack(g_pool2, code_panels, codes, N, kp, 0);
    bn_qweight_view Wv = {.f = wq, .codes = codes, .amx = panels, .panels = code_panels,
                          .scale = sw};

    /* The reference: the "ref" table, inline. */
    int unsupported = -1;
    const bn_kernels *ref = bn_kernels_find("ref", &unsupported);
    CHECK(ref != NULL && unsupported == 0, "find(\"ref\") failed");
    if (!ref)
        goto out;
    memset(y_ref, 0xA5, ny * sizeof(float));
    bn_bitlinear_gemm(ref, NULL, y_ref, &X, &Wv, M, N, K);

    /* Every table this CPU supports, inline and on the 2-thread pool, gives the same bits. */
    for (size_t ki = 0; ki < N_KERNELS; ki++) {
        unsupported = -1;
        const bn_kernels *k = bn_kernels_find(kernel_names[ki], &unsupported);
        if (!k) {
            CHECK(unsupported == 1, "find(\"%s\") = NULL but unsupported = %d", kernel_names[ki],
                  unsupported);
            if (!kernel_noted[ki]) {
                printf("test_quant: kernel \"%s\" not supported on this CPU, skipped\n",
                       kernel_names[ki]);
                kernel_noted[ki] = 1;
            }
            continue;
        }
        bn_threadpool *pools[] = {NULL, g_pool2};
        /* avx512 runs on the code panels when the view has them, else on the row codes */
        bn_qweight_view rows_only = Wv;
        rows_only.panels = NULL;
        for (int layout = 0; layout < (k->code_panels ? 2 : 1); layout++)
            for (int p = 0; p < 2; p++) {
                memset(y, 0x5A, ny * sizeof(float));
                bn_bitlinear_gemm(k, pools[p], y, &X, layout ? &rows_only : &Wv, M, N, K);
                CHECK(memcmp(y_ref, y, ny * sizeof(float)) == 0,
                      "M=%d N=%d K=%d: %s%s (%s pool) != ref (bits)", M, N, K, k->name,
                      layout ? " on row codes" : "", pools[p] ? "2-thread" : "NULL");
            }
    }

    int bad = 0, nonfinite = 0;
    double worst = 0.0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double dot = 0.0;
            for (int k = 0; k < K; k++) {
                int wv = (int)codes[(size_t)n * kp + k] - 1;
                dot += (double)xi[(size_t)m * kp + k] * (double)wv;
            }
            double want = dot / ((double)sx[m] * (double)sw);
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
            nz += y_ref[(size_t)zero_row * N + n] != 0.0f;
        CHECK(nz == 0, "M=%d N=%d K=%d: zero activation row %d gives %d nonzero outputs", M, N,
              K, zero_row, nz);
    }

out:
    free(x);
    free(xq);
    free(w);
    free(wq);
    free(xi);
    free(codes);
    free(panels);
    free(code_panels);
    free(rs);
    free(sx);
    free(y_ref);
    free(y);
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
    /* The AMX path works in 32 x 32 blocks of 16 x 16 tiles: cover partial blocks. */
    check_gemm_shape(33, 45, 100, 32);
    check_gemm_shape(70, 255, 257, 5);
    check_gemm_shape(64, 32, 64, -1);
    check_gemm_shape(48, 17, 1152, -1);
    /* The code-panel path: groups of 8 x 12 rows and a short last block, 32-column blocks
       with a masked edge, K in slices of 192 quads (Kp 1024 is two), rows of a multiple of
       1024 outputs (written with streaming stores). */
    check_gemm_shape(100, 40, 1000, 99);
    check_gemm_shape(13, 1024, 64, 12);
    check_gemm_shape(24, 1024, 200, -1);
    check_panels(1);
    check_panels(0);
}

/* The dispatch table: names resolve, "auto"/NULL picks a table, unknown names give NULL. */
static void test_dispatch(void)
{
    int u_ref = -1, u_blas = -1, u_auto = -1, u_null = -1, u_nope = -1;
    const bn_kernels *r = bn_kernels_find("ref", &u_ref), *b = bn_kernels_find("blas", &u_blas);
    CHECK(r && r->ternary == bn_ternary_gemm_ref && u_ref == 0, "find(\"ref\")");
    CHECK(b && b->ternary == NULL && u_blas == 0, "find(\"blas\")");
    CHECK(bn_kernels_find("auto", &u_auto) != NULL && bn_kernels_find(NULL, &u_null) != NULL &&
              u_auto == 0 && u_null == 0,
          "find(auto/NULL)");
    CHECK(bn_kernels_find("nope", &u_nope) == NULL && u_nope == 0,
          "find(\"nope\") should be NULL with unsupported = 0 (got %d)", u_nope);
    CHECK(bn_kernels_find("nope", NULL) == NULL, "find(\"nope\", NULL) should be NULL");

    int u = -1;
    const bn_kernels *a2 = bn_kernels_find("avx2", &u);
    CHECK(a2 ? (a2->ternary == bn_ternary_gemm_avx2 && u == 0 && bn_cpu_has_avx2())
             : (u == 1 && !bn_cpu_has_avx2()),
          "find(\"avx2\") = %p, unsupported = %d, cpu has avx2 = %d", (const void *)a2, u,
          bn_cpu_has_avx2());
    u = -1;
    const bn_kernels *a5 = bn_kernels_find("avx512", &u);
    CHECK(a5 ? (a5->ternary == bn_ternary_gemm_avx512 && u == 0 && bn_cpu_has_avx512vnni())
             : (u == 1 && !bn_cpu_has_avx512vnni()),
          "find(\"avx512\") = %p, unsupported = %d, cpu has avx512vnni = %d", (const void *)a5,
          u, bn_cpu_has_avx512vnni());
    u = -1;
    const bn_kernels *amx = bn_kernels_find("amx", &u);
    CHECK(amx ? (amx->amx && u == 0) : u == 1, "find(\"amx\") = %p, unsupported = %d",
          (const void *)amx, u);
}

int main(void)
{
    bn_error err = {0};
    if (bn_threadpool_create(&g_pool2, 2, &err) != BN_OK) {
        fprintf(stderr, "test_quant: cannot create a 2-thread pool: %s\n", err.msg);
        return 1;
    }
    test_weights_ties();
    test_weights_clamp();
    test_weights_guard();
    test_weights_random();
    test_act_ties();
    test_act_random();
    test_act_guard();
    test_act_rows_independent();
    test_quant_pool_independent();
    test_normed_activations();
    test_gemm();
    test_dispatch();
    bn_threadpool_destroy(g_pool2);
    return check_exit("test_quant");
}
