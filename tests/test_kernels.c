/* test_kernels.c - the ternary integer product kernels (core/kernels/ternary_gemm.h): the
 * reference against a naive int64 computation, and every SIMD path the CPU has against the
 * reference bit for bit, over many shapes (including M/N remainders and padded K), extreme
 * values and all-zero rows. */
#include "kernels/ternary_gemm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* A small deterministic generator (splitmix64), so failures reproduce. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct {
    const char *name;
    bn_ternary_gemm_fn fn;
    int available;
} kernel;

enum { X_RANDOM, X_MIN, X_MAX }; /* activation patterns */
enum { W_RANDOM, W_PLUS, W_MINUS }; /* weight patterns (codes 2 and 0) */

/* The operands of one case, Kp = bn_kpad(K), padding x = 0 and random w codes. */
typedef struct {
    int M, N, K, Kp;
    int8_t *x;
    uint8_t *w;
    int32_t *rowsum;
} operands;

static void make_operands(operands *op, int M, int N, int K, int xpat, int wpat, int zero_row)
{
    op->M = M, op->N = N, op->K = K, op->Kp = bn_kpad(K);
    int Kp = op->Kp;
    op->x = malloc((size_t)M * Kp);
    op->w = malloc((size_t)N * Kp);
    op->rowsum = malloc(sizeof(int32_t) * (size_t)M);
    for (int m = 0; m < M; m++)
        for (int k = 0; k < Kp; k++) {
            int8_t v = 0;
            if (k < K && m != zero_row)
                v = xpat == X_MIN ? -128 : xpat == X_MAX ? 127 : (int8_t)(rng_next() & 0xFF);
            op->x[(size_t)m * Kp + k] = v;
        }
    for (int n = 0; n < N; n++)
        for (int k = 0; k < Kp; k++) {
            uint8_t c = (uint8_t)(rng_next() % 3);
            if (k < K && wpat == W_PLUS)
                c = 2;
            else if (k < K && wpat == W_MINUS)
                c = 0;
            op->w[(size_t)n * Kp + k] = c;
        }
    /* x_rowsum as the quantizer provides it: the sum over all Kp columns */
    for (int m = 0; m < M; m++) {
        int32_t s = 0;
        for (int k = 0; k < Kp; k++)
            s += op->x[(size_t)m * Kp + k];
        op->rowsum[m] = s;
    }
}

static void free_operands(operands *op)
{
    free(op->x);
    free(op->w);
    free(op->rowsum);
}

/* Run one case: naive int64 over the first K columns only, ref, then each SIMD kernel. */
static void run_case(const kernel *ks, int nk, int M, int N, int K, int xpat, int wpat,
                     int zero_row)
{
    operands op;
    make_operands(&op, M, N, K, xpat, wpat, zero_row);
    int Kp = op.Kp;
    size_t nout = (size_t)M * N;
    int32_t *ref = malloc(sizeof(int32_t) * nout);
    int32_t *got = malloc(sizeof(int32_t) * nout);

    /* the padding really is zero in x, and the row sums match over the true K columns */
    int bad_pad = 0, bad_rowsum = 0;
    for (int m = 0; m < M; m++) {
        int64_t s = 0;
        for (int k = 0; k < Kp; k++) {
            if (k >= K && op.x[(size_t)m * Kp + k] != 0)
                bad_pad++;
            if (k < K)
                s += op.x[(size_t)m * Kp + k];
        }
        if (s != op.rowsum[m])
            bad_rowsum++;
    }
    CHECK(bad_pad == 0 && bad_rowsum == 0, "M=%d K=%d: padding/rowsum wrong", M, K);

    bn_ternary_gemm_ref(ref, op.x, op.rowsum, op.w, M, N, Kp);
    int bad_naive = 0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            int64_t s = 0;
            for (int k = 0; k < K; k++)
                s += (int64_t)op.x[(size_t)m * Kp + k] * ((int64_t)op.w[(size_t)n * Kp + k] - 1);
            if (s != (int64_t)ref[(size_t)m * N + n])
                bad_naive++;
            if (m == zero_row && ref[(size_t)m * N + n] != 0)
                bad_naive++;
        }
    CHECK(bad_naive == 0, "ref vs naive: M=%d N=%d K=%d x%d w%d: %d wrong", M, N, K, xpat, wpat,
          bad_naive);

    for (int i = 0; i < nk; i++) {
        if (!ks[i].available)
            continue;
        memset(got, 0x5A, sizeof(int32_t) * nout); /* catch unwritten outputs */
        ks[i].fn(got, op.x, op.rowsum, op.w, M, N, Kp);
        CHECK(memcmp(got, ref, sizeof(int32_t) * nout) == 0,
              "%s vs ref: M=%d N=%d K=%d (Kp=%d) x%d w%d", ks[i].name, M, N, K, Kp, xpat, wpat);
    }

    free(ref);
    free(got);
    free_operands(&op);
}

int main(void)
{
    kernel ks[] = {
        {"avx2", bn_ternary_gemm_avx2, bn_cpu_has_avx2()},
        {"avx512", bn_ternary_gemm_avx512, bn_cpu_has_avx512vnni()},
    };
    const int nk = (int)(sizeof ks / sizeof ks[0]);
    if (!ks[0].available)
        printf("skipped: no AVX2\n");
    if (!ks[1].available)
        printf("skipped: no AVX-512 VNNI\n");

    CHECK(bn_kpad(1) == 64 && bn_kpad(64) == 64 && bn_kpad(65) == 128 && bn_kpad(768) == 768,
          "bn_kpad");

    static const int Ms[] = {1, 2, 3, 4, 5, 17};
    static const int Ns[] = {1, 3, 4, 17, 255};
    static const int Ks[] = {1, 7, 31, 32, 63, 64, 65, 100, 257, 768};
    for (size_t a = 0; a < sizeof Ms / sizeof Ms[0]; a++)
        for (size_t b = 0; b < sizeof Ns / sizeof Ns[0]; b++)
            for (size_t c = 0; c < sizeof Ks / sizeof Ks[0]; c++)
                run_case(ks, nk, Ms[a], Ns[b], Ks[c], X_RANDOM, W_RANDOM, -1);

    /* extremes: the largest products of both signs, up to K = 3072 */
    static const int Kx[] = {64, 1000, 3072};
    for (size_t c = 0; c < sizeof Kx / sizeof Kx[0]; c++) {
        run_case(ks, nk, 5, 7, Kx[c], X_MIN, W_PLUS, -1);  /* -128 * +1 */
        run_case(ks, nk, 5, 7, Kx[c], X_MAX, W_MINUS, -1); /* 127 * -1 */
        run_case(ks, nk, 5, 7, Kx[c], X_MIN, W_MINUS, -1); /* -128 * -1 */
        run_case(ks, nk, 5, 7, Kx[c], X_MAX, W_PLUS, -1);  /* 127 * +1 */
        run_case(ks, nk, 6, 9, Kx[c], X_MIN, W_RANDOM, -1);
    }

    /* an all-zero activation row (e.g. an all-zero input row quantized) gives zeros */
    run_case(ks, nk, 5, 17, 100, X_RANDOM, W_RANDOM, 2);
    run_case(ks, nk, 4, 8, 768, X_RANDOM, W_RANDOM, 0);

    return check_exit("test_kernels");
}
