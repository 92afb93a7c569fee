/* test_matmul.c - the engine's fp32 products on sgemm (nn/matmul.h): every combination of
 * transposes against a double sum, and the same bits on 1, 2, 3 and 5 threads, at shapes
 * large enough to be split over the pool (M from 33 to 4,099: blocks cut short, a tail of
 * one row) and small ones done in one call. OpenBLAS's Haswell kernels round a row
 * differently with the number of rows in the call: splitting the rows by thread count made
 * the results depend on it (README, "Threads"). */
#include "nn/matmul.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static float rng_sym(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

/* Largest |C - exact| over C, relative to the largest |exact|. */
static double error_of(const float *C, const float *A, const float *B, int ta, int tb, int M,
                       int N, int K, float beta, const float *C0)
{
    double worst = 0, top = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++) {
                double a = ta ? A[(size_t)k * M + i] : A[(size_t)i * K + k];
                double b = tb ? B[(size_t)j * K + k] : B[(size_t)k * N + j];
                s += a * b;
            }
            s = 0.5 * s + beta * C0[(size_t)i * N + j];
            double e = fabs(C[(size_t)i * N + j] - s);
            worst = e > worst ? e : worst;
            top = fabs(s) > top ? fabs(s) : top;
        }
    return worst / (top + 1e-30);
}

static void test_shape(bn_threadpool **pools, int n_pools, int M, int N, int K)
{
    size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nb);
    float *C0 = malloc(sizeof(float) * nc), *C1 = malloc(sizeof(float) * nc),
          *C = malloc(sizeof(float) * nc);
    if (!A || !B || !C0 || !C1 || !C) {
        CHECK(0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < na; i++)
        A[i] = rng_sym();
    for (size_t i = 0; i < nb; i++)
        B[i] = rng_sym();
    for (size_t i = 0; i < nc; i++)
        C0[i] = rng_sym();
    for (int t = 0; t < 4; t++) {
        int ta = t & 1, tb = t >> 1;
        float beta = t == 3 ? 1.0f : 0.0f; /* one case adds to C */
        for (int p = 0; p < n_pools; p++) {
            float *out = p == 0 ? C1 : C;
            memcpy(out, C0, sizeof(float) * nc);
            bn_gemm(pools[p], ta, tb, M, N, K, 0.5f, A, ta ? M : K, B, tb ? K : N, beta, out,
                    N);
            if (p == 0) {
                double e = M * (double)N * K <= 5e6
                               ? error_of(C1, A, B, ta, tb, M, N, K, beta, C0)
                               : 0.0; /* the largest: bits only */
                CHECK(e < 1e-5, "M %d N %d K %d ta %d tb %d: error %.3g", M, N, K, ta, tb, e);
            } else {
                CHECK(memcmp(C, C1, sizeof(float) * nc) == 0,
                      "M %d N %d K %d ta %d tb %d: %d threads differ from 1", M, N, K, ta, tb,
                      bn_threadpool_size(pools[p]));
            }
        }
    }
done:
    free(A), free(B), free(C0), free(C1), free(C);
}

int main(void)
{
    bn_matmul_init();
    enum { POOLS = 4 };
    const int sizes[POOLS] = {1, 2, 3, 5};
    bn_threadpool *pools[POOLS] = {0};
    bn_error err = {0};
    for (int p = 0; p < POOLS; p++)
        if (bn_threadpool_create(&pools[p], sizes[p], &err) != BN_OK) {
            fprintf(stderr, "pool: %s\n", err.msg);
            return 1;
        }
    static const int shapes[][3] = {
        {1, 7, 5},       {9, 33, 17},    {33, 64, 48},   {100, 300, 32}, {257, 130, 96},
        {500, 384, 64},  {1023, 96, 65}, {4099, 64, 48}, {4096, 384, 384},
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        test_shape(pools, POOLS, shapes[s][0], shapes[s][1], shapes[s][2]);
    for (int p = 0; p < POOLS; p++)
        bn_threadpool_destroy(pools[p]);
    return check_exit("test_matmul");
}
