/* dot_f32.c - fp32 dot products of one vector with many rows (dot_f32.h). */
#include "kernels/dot_f32.h"

#include <stddef.h>

#define LANES 64

/* The portable path: the same 64 lanes, summed in the same order. */
static void dot_rows_plain(float *out, const float *x, const float *rows, int v0, int v1,
                           int K)
{
    int main = K - K % LANES;
    for (int v = v0; v < v1; v++) {
        const float *e = rows + (size_t)v * K;
        float lane[LANES] = {0};
        for (int i = 0; i < main; i += LANES)
            for (int k = 0; k < LANES; k++)
                lane[k] += x[i + k] * e[i + k];
        float sum = 0.0f;
        for (int i = main; i < K; i++)
            sum += x[i] * e[i];
        for (int k = 0; k < LANES; k++)
            sum += lane[k];
        out[v] = sum;
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define BN_T512F __attribute__((target("avx512f")))

BN_T512F static void dot_rows_avx512(float *out, const float *x, const float *rows, int v0,
                                     int v1, int K)
{
    int main = K - K % LANES;
    for (int v = v0; v < v1; v++) {
        const float *e = rows + (size_t)v * K;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < main; i += LANES) {
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(e + i), a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(e + i + 16), a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 32), _mm512_loadu_ps(e + i + 32), a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 48), _mm512_loadu_ps(e + i + 48), a3);
        }
        float sum = 0.0f;
        for (int i = main; i < K; i++)
            sum += x[i] * e[i];
        float lane[LANES];
        _mm512_storeu_ps(lane, a0);
        _mm512_storeu_ps(lane + 16, a1);
        _mm512_storeu_ps(lane + 32, a2);
        _mm512_storeu_ps(lane + 48, a3);
        for (int k = 0; k < LANES; k++)
            sum += lane[k];
        out[v] = sum;
    }
}

void bn_dot_rows_f32(float *out, const float *x, const float *rows, int v0, int v1, int K)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        dot_rows_avx512(out, x, rows, v0, v1, K);
    else
        dot_rows_plain(out, x, rows, v0, v1, K);
}

#else

void bn_dot_rows_f32(float *out, const float *x, const float *rows, int v0, int v1, int K)
{
    dot_rows_plain(out, x, rows, v0, v1, K);
}

#endif
