/* test_attention.c - causal GQA attention (core/attention.h), forward and backward, against
 * a direct double-precision computation, at lengths that cross the causal blocks (T = 1, 64,
 * 65, 150, 256) and head sizes that cross the register tiles' widths (2 .. 256, and 258,
 * past what the tiles take), on 1 and 2 threads (which must agree bit for bit); and the
 * decoder's attention (bn_attention_cached) against the forward's rows, bit for bit, one
 * new row at a time and several; and, on AVX-512, that the tiles' strip-by-strip pieces
 * equal whole-matrix ones bit for bit. */
#include "nn/attention.h"
#include "nn/attention_tiles.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static uint64_t rng_state = 0x853C49E6748FEA9Bull;

static double rng_sym(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/* The reference: out (B*T, H*hd) and, given dout, dqkv (B*T, (H+2KV)*hd). */
static void reference(bn_attn_shape s, const float *qkv, const float *dout, double *out,
                      double *dqkv)
{
    int ld = (s.H + 2 * s.KV) * s.hd, d_out = s.H * s.hd, T = s.T;
    double scale = 1.0 / sqrt((double)s.hd);
    double *p = malloc(sizeof(double) * T), *dp = malloc(sizeof(double) * T);
    memset(dqkv, 0, sizeof(double) * (size_t)s.B * T * ld);
    for (int b = 0; b < s.B; b++)
        for (int h = 0; h < s.H; h++) {
            int kvh = h / (s.H / s.KV);
            size_t qo = (size_t)h * s.hd, ko = (size_t)(s.H + kvh) * s.hd,
                   vo = (size_t)(s.H + s.KV + kvh) * s.hd;
            for (int t = 0; t < T; t++) {
                const float *q = qkv + ((size_t)b * T + t) * ld + qo;
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j <= t; j++) {
                    const float *k = qkv + ((size_t)b * T + j) * ld + ko;
                    double dot = 0;
                    for (int c = 0; c < s.hd; c++)
                        dot += (double)q[c] * k[c];
                    p[j] = dot * scale;
                    mx = fmax(mx, p[j]);
                }
                for (int j = 0; j <= t; j++)
                    sum += (p[j] = exp(p[j] - mx));
                for (int j = 0; j <= t; j++)
                    p[j] /= sum;
                const float *g = dout + ((size_t)b * T + t) * d_out + (size_t)h * s.hd;
                double w = 0;
                for (int c = 0; c < s.hd; c++) {
                    double o = 0;
                    for (int j = 0; j <= t; j++)
                        o += p[j] * qkv[((size_t)b * T + j) * ld + vo + c];
                    out[((size_t)b * T + t) * d_out + (size_t)h * s.hd + c] = o;
                }
                for (int j = 0; j <= t; j++) {
                    double dpj = 0;
                    for (int c = 0; c < s.hd; c++) {
                        dpj += (double)g[c] * qkv[((size_t)b * T + j) * ld + vo + c];
                        dqkv[((size_t)b * T + j) * ld + vo + c] += p[j] * g[c];
                    }
                    dp[j] = dpj;
                    w += p[j] * dpj;
                }
                for (int j = 0; j <= t; j++) {
                    double ds = p[j] * (dp[j] - w) * scale;
                    for (int c = 0; c < s.hd; c++) {
                        dqkv[((size_t)b * T + t) * ld + qo + c] +=
                            ds * qkv[((size_t)b * T + j) * ld + ko + c];
                        dqkv[((size_t)b * T + j) * ld + ko + c] += ds * q[c];
                    }
                }
            }
        }
    free(p);
    free(dp);
}

/* Largest |got - want| relative to the largest |want|. */
static double rel_error(const float *got, const double *want, size_t n)
{
    double scale = 0, err = 0;
    for (size_t i = 0; i < n; i++) {
        scale = fmax(scale, fabs(want[i]));
        double e = fabs(got[i] - want[i]);
        err = isnan(got[i]) ? INFINITY : fmax(err, e);
    }
    return err / (scale > 0 ? scale : 1);
}

/* The bf16 backward's largest error relative to the largest gradient (README, "Attention's
 * backward in bf16": measured at most 3.4e-3 here). */
#define BF16_TOLERANCE 5e-3

static void check_shape(bn_threadpool *pool2, bn_attn_shape s)
{
    int ld = (s.H + 2 * s.KV) * s.hd, d_out = s.H * s.hd;
    size_t n_qkv = (size_t)s.B * s.T * ld, n_out = (size_t)s.B * s.T * d_out;
    float *qkv = malloc(sizeof(float) * n_qkv), *dout = malloc(sizeof(float) * n_out);
    for (size_t i = 0; i < n_qkv; i++)
        qkv[i] = (float)(2.0 * rng_sym());
    for (size_t i = 0; i < n_out; i++)
        dout[i] = (float)rng_sym();
    double *out_ref = malloc(sizeof(double) * n_out), *dqkv_ref = malloc(sizeof(double) * n_qkv);
    reference(s, qkv, dout, out_ref, dqkv_ref);

    float *out[2], *dqkv[2], *dqkv16[2];
    float *scratch = malloc(sizeof(float) * bn_attention_scratch(2, s));
    bn_threadpool *pools[2] = {NULL, pool2};
    int bf16 = bn_attention_bf16_usable(s);
    for (int p = 0; p < 2; p++) {
        out[p] = malloc(sizeof(float) * n_out);
        dqkv[p] = malloc(sizeof(float) * n_qkv);
        dqkv16[p] = malloc(sizeof(float) * n_qkv);
        bn_attention_forward(pools[p], out[p], scratch, qkv, s);
        bn_attention_backward(pools[p], dqkv[p], scratch, dout, qkv, s, 0);
        if (bf16)
            bn_attention_backward(pools[p], dqkv16[p], scratch, dout, qkv, s, 1);
    }
    double e_out = rel_error(out[0], out_ref, n_out), e_d = rel_error(dqkv[0], dqkv_ref, n_qkv);
    double e_16 = bf16 ? rel_error(dqkv16[0], dqkv_ref, n_qkv) : 0;
    printf("T=%3d B=%d H=%d KV=%d hd=%d: out rel %.2e, dqkv rel %.2e, bf16 %.2e\n", s.T, s.B,
           s.H, s.KV, s.hd, e_out, e_d, e_16);
    CHECK(e_out < 1e-5, "T=%d: forward rel error %.3e", s.T, e_out);
    CHECK(e_d < 1e-5, "T=%d: backward rel error %.3e", s.T, e_d);
    CHECK(memcmp(out[0], out[1], sizeof(float) * n_out) == 0 &&
              memcmp(dqkv[0], dqkv[1], sizeof(float) * n_qkv) == 0,
          "T=%d: 1 and 2 threads differ", s.T);
    if (bf16) {
        /* bf16 rounds each operand to 8 significant bits: 2^-9 relative, a few of them per
         * term, on sums whose terms partly cancel */
        CHECK(e_16 < BF16_TOLERANCE, "T=%d hd=%d: bf16 backward rel error %.3e", s.T, s.hd,
              e_16);
        CHECK(memcmp(dqkv16[0], dqkv16[1], sizeof(float) * n_qkv) == 0,
              "T=%d hd=%d: bf16 backward on 1 and 2 threads differ", s.T, s.hd);
    }
    for (int p = 0; p < 2; p++)
        free(out[p]), free(dqkv[p]), free(dqkv16[p]);
    free(qkv), free(dout), free(out_ref), free(dqkv_ref), free(scratch);
}

/* The decoder's rows: queries pos .. pos + n - 1 over the keys cached so far (the forward's
 * own k and v rows, read in place) give the forward's output rows: bit for bit on the
 * register tiles; within 1e-5 of the largest value on the sgemm path, whose summation order
 * depends on the product's length. */
static int cached_matches(bn_threadpool *pool, bn_attn_shape s, const float *qkv,
                          const float *out, int pos, int n)
{
    int ld = (s.H + 2 * s.KV) * s.hd, d_out = s.H * s.hd;
    size_t per_thread = bn_attention_cached_scratch(n, pos, s);
    float *scores = malloc(sizeof(float) * per_thread * 2);
    float *got = malloc(sizeof(float) * (size_t)n * d_out);
    bn_attention_cached(pool, got, scores, qkv + (size_t)pos * ld, ld, qkv + (size_t)s.H * s.hd,
                        qkv + (size_t)(s.H + s.KV) * s.hd, ld, n, pos, s);
    const float *want = out + (size_t)pos * d_out;
    int same = memcmp(got, want, sizeof(float) * (size_t)n * d_out) == 0;
    if (!bn_attn_tiles_usable(s.hd)) {
        double worst = 0, scale = 0;
        for (size_t i = 0; i < (size_t)n * d_out; i++) {
            worst = fmax(worst, fabs((double)got[i] - want[i]));
            scale = fmax(scale, fabs((double)want[i]));
        }
        same = worst <= 1e-5 * scale;
    }
    free(scores), free(got);
    return same;
}

static void check_cached(bn_threadpool *pool2, bn_attn_shape s)
{
    int ld = (s.H + 2 * s.KV) * s.hd;
    size_t n_qkv = (size_t)s.T * ld, n_out = (size_t)s.T * s.H * s.hd;
    float *qkv = malloc(sizeof(float) * n_qkv), *out = malloc(sizeof(float) * n_out);
    float *scratch = malloc(sizeof(float) * bn_attention_scratch(1, s));
    for (size_t i = 0; i < n_qkv; i++)
        qkv[i] = (float)(2.0 * rng_sym());
    bn_attention_forward(NULL, out, scratch, qkv, s);
    int single = 1, chunks = 1;
    for (int pos = 0; pos < s.T; pos++)
        single &= cached_matches(pos % 2 ? pool2 : NULL, s, qkv, out, pos, 1);
    for (int pos = 0; pos < s.T; pos += 7)
        chunks &= cached_matches(pool2, s, qkv, out, pos, pos + 7 < s.T ? 7 : s.T - pos);
    CHECK(single, "hd=%d T=%d: the decoder's one-row attention differs from the forward's",
          s.hd, s.T);
    CHECK(chunks, "hd=%d T=%d: the decoder's 7-row attention differs from the forward's", s.hd,
          s.T);
    free(qkv), free(out), free(scratch);
}

/* The tiles' pieces that attention runs a strip of query rows at a time: scores on keys
 * packed once equal those packed per call, and the key gradients' sums taken strip by strip
 * (strips of 48 and of 5 rows) equal one pass over all the rows, bit for bit. */
static void check_strips(int T, int hd)
{
    int ld = hd + 3; /* rows not a whole number of lines */
    float *K = malloc(sizeof(float) * (size_t)T * ld), *X = malloc(sizeof(float) * (size_t)T * ld);
    float *P = malloc(sizeof(float) * (size_t)T * T), *S[2], *C[3];
    float *kt = malloc(sizeof(float) * bn_attn_tile_keys_size(T, hd));
    for (size_t i = 0; i < (size_t)T * ld; i++)
        K[i] = (float)rng_sym(), X[i] = (float)rng_sym();
    for (int t = 0; t < T; t++)
        for (int j = 0; j < T; j++)
            P[(size_t)t * T + j] = j <= t ? (float)rng_sym() : 0.0f;
    for (int i = 0; i < 2; i++)
        S[i] = calloc((size_t)T * T, sizeof(float));
    for (int i = 0; i < 3; i++)
        C[i] = calloc((size_t)T * hd, sizeof(float));
    bn_attn_tile_scores(S[0], T, X, ld, K, ld, T, 0, T, hd, 0.25f);
    bn_attn_tile_pack_keys(kt, K, ld, T, hd);
    bn_attn_tile_scores_packed(S[1], T, X, ld, kt, T, 0, T, hd, 0.25f);
    int same_scores = 1;
    for (int t = 0; t < T; t++) /* the causal part; past it the values are unspecified */
        same_scores &= memcmp(S[0] + (size_t)t * T, S[1] + (size_t)t * T,
                              sizeof(float) * (size_t)(t + 1)) == 0;
    bn_attn_tile_mix_cols(C[0], hd, P, T, X, ld, 0, T, hd);
    static const int strip[2] = {48, 5};
    for (int k = 0; k < 2; k++)
        for (int r0 = 0; r0 < T; r0 += strip[k]) {
            int rows = T - r0 < strip[k] ? T - r0 : strip[k];
            bn_attn_tile_mix_cols(C[1 + k], hd, P + (size_t)r0 * T, T, X + (size_t)r0 * ld, ld,
                                  r0, rows, hd);
        }
    CHECK(same_scores, "T=%d hd=%d: scores on keys packed once differ", T, hd);
    CHECK(memcmp(C[0], C[1], sizeof(float) * (size_t)T * hd) == 0 &&
              memcmp(C[0], C[2], sizeof(float) * (size_t)T * hd) == 0,
          "T=%d hd=%d: the key sums strip by strip differ from one pass", T, hd);
    for (int i = 0; i < 3; i++)
        free(C[i]);
    free(S[0]), free(S[1]), free(K), free(X), free(P), free(kt);
}

int main(void)
{
    bn_error err = {0};
    bn_threadpool *pool2 = NULL;
    if (bn_threadpool_create(&pool2, 2, &err) != BN_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    static const int lengths[] = {1, 64, 65, 150, 256};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        bn_attn_shape s = {.B = 2, .T = lengths[i], .H = 4, .KV = 2, .hd = 16};
        check_shape(pool2, s);
    }
    static const int head_sizes[] = {2, 6, 20, 32, 48, 64, 70, 130, 256, 258};
    for (size_t i = 0; i < sizeof head_sizes / sizeof head_sizes[0]; i++) {
        bn_attn_shape s = {.B = 2, .T = 77, .H = 4, .KV = 2, .hd = head_sizes[i]};
        check_shape(pool2, s);
        s.B = 1;
        s.T = 100;
        check_cached(pool2, s);
    }
    if (bn_attn_tiles_usable(48)) {
        check_strips(150, 48);
        check_strips(97, 20);
        check_strips(64, 130);
    }
    bn_threadpool_destroy(pool2);
    return check_exit("test_attention");
}
