/* bench_kernels.c - a quick timing of the ternary integer product kernels: GOP/s
 * (2*M*N*K operations per second) of ref, avx2 and avx512 on two BitLinear-like shapes.
 * Each kernel runs repeatedly for about 0.5 s at most (at least once). */
#include "kernels/ternary_gemm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void bench_one(const char *name, bn_ternary_gemm_fn fn, int32_t *out, const int8_t *x,
                      const int32_t *rowsum, const uint8_t *w, int M, int N, int K)
{
    const double budget = 0.5;
    int Kp = bn_kpad(K);
    double t0 = now_s(), t = 0.0;
    int reps = 0;
    do {
        fn(out, x, rowsum, w, M, N, Kp);
        reps++;
        t = now_s() - t0;
    } while (t < budget * 0.5 && reps < 1000); /* the next call would likely pass 0.5 s */
    double gops = 2.0 * M * N * K * reps / t * 1e-9;
    printf("  %-7s %8.2f GOP/s  (%d reps, %.3f s)\n", name, gops, reps, t);
}

int main(void)
{
    static const int shapes[][3] = {{2048, 768, 256}, {2048, 256, 768}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2], Kp = bn_kpad(K);
        int8_t *x = malloc((size_t)M * Kp);
        uint8_t *w = malloc((size_t)N * Kp);
        int32_t *rowsum = malloc(sizeof(int32_t) * (size_t)M);
        int32_t *out = malloc(sizeof(int32_t) * (size_t)M * N);
        if (!x || !w || !rowsum || !out)
            return 1;
        srand(1);
        for (int m = 0; m < M; m++) {
            int32_t sum = 0;
            for (int k = 0; k < Kp; k++) {
                int8_t v = k < K ? (int8_t)(rand() % 255 - 127) : 0;
                x[(size_t)m * Kp + k] = v;
                sum += v;
            }
            rowsum[m] = sum;
        }
        for (size_t i = 0; i < (size_t)N * Kp; i++)
            w[i] = (uint8_t)(rand() % 3);

        printf("M=%d N=%d K=%d\n", M, N, K);
        bench_one("ref", bn_ternary_gemm_ref, out, x, rowsum, w, M, N, K);
        if (bn_cpu_has_avx2())
            bench_one("avx2", bn_ternary_gemm_avx2, out, x, rowsum, w, M, N, K);
        else
            printf("  avx2    skipped: no AVX2\n");
        if (bn_cpu_has_avx512vnni())
            bench_one("avx512", bn_ternary_gemm_avx512, out, x, rowsum, w, M, N, K);
        else
            printf("  avx512  skipped: no AVX-512 VNNI\n");
        free(x);
        free(w);
        free(rowsum);
        free(out);
    }
    return 0;
}
