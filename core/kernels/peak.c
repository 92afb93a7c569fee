/* peak.c - register-only multiply-add loops that measure each unit's roof (see peak.h).
 *
 * Every loop keeps 12 independent accumulators (4 AMX sum tiles), enough to cover the
 * latency of each instruction on the CPUs we know, so the loop runs at the unit's throughput.
 * The operands are not data-dependent in speed. Compiled with per-function target
 * attributes, not -march. */
#define _DEFAULT_SOURCE 1

#include "kernels/peak.h"

#include <string.h>
#include <time.h>

#include "kernels/amx_tiles.h"
#include "kernels/gemm_bf16.h"
#include "kernels/ternary_amx.h"
#include "kernels/ternary_gemm.h"

enum { REPEATS = 5, ACCUMULATORS = 12 };

const char *bn_unit_name(bn_unit unit)
{
    static const char *const names[BN_UNIT_COUNT] = {"fp32 FMA", "bf16 dot", "int8 dot",
                                                     "AMX bf16", "AMX int8"};
    return unit >= 0 && unit < BN_UNIT_COUNT ? names[unit] : "?";
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A loop of iters iterations; returns the operations it did (a multiply-add counts 2). */
typedef double (*unit_loop)(long iters);

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define BN_T512 __attribute__((target("avx512f")))
#define BN_TAVX2 __attribute__((target("avx2,fma")))
#define BN_TBF16 __attribute__((target("avx512f,avx512bf16")))
#define BN_TVNNI __attribute__((target("avx512f,avx512vnni")))
#define BN_TAMXB __attribute__((target("avx512f,amx-tile,amx-bf16")))
#define BN_TAMXI __attribute__((target("avx512f,amx-tile,amx-int8")))

/* The asm barrier keeps the compiler from folding the loop-invariant operand. */
#define REPEAT12(OP) OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7) OP(8) OP(9) OP(10) OP(11)

static BN_T512 double loop_fma512(long iters)
{
    __m512 acc[ACCUMULATORS], x = _mm512_set1_ps(1.0f), y = _mm512_set1_ps(1e-12f);
    for (int i = 0; i < ACCUMULATORS; i++)
        acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
#define FMA(i) acc[i] = _mm512_fmadd_ps(x, y, acc[i]);
        REPEAT12(FMA)
#undef FMA
        __asm__ volatile("" : "+v"(x));
    }
    volatile float sink = 0.0f;
    for (int i = 0; i < ACCUMULATORS; i++)
        sink += _mm512_reduce_add_ps(acc[i]);
    (void)sink;
    return (double)iters * ACCUMULATORS * 16 * 2;
}

static BN_TAVX2 double loop_fma256(long iters)
{
    __m256 acc[ACCUMULATORS], x = _mm256_set1_ps(1.0f), y = _mm256_set1_ps(1e-12f);
    for (int i = 0; i < ACCUMULATORS; i++)
        acc[i] = _mm256_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
#define FMA(i) acc[i] = _mm256_fmadd_ps(x, y, acc[i]);
        REPEAT12(FMA)
#undef FMA
        __asm__ volatile("" : "+x"(x));
    }
    float lanes[8], sum = 0.0f;
    for (int i = 0; i < ACCUMULATORS; i++) {
        _mm256_storeu_ps(lanes, acc[i]);
        sum += lanes[0];
    }
    volatile float sink = sum;
    (void)sink;
    return (double)iters * ACCUMULATORS * 8 * 2;
}

static BN_TBF16 double loop_bf16(long iters)
{
    __m512 acc[ACCUMULATORS];
    __m512i one = _mm512_set1_epi32(0x3f803f80); /* bf16 1.0 in both halves */
    __m512bh x = (__m512bh)one, y = (__m512bh)one;
    for (int i = 0; i < ACCUMULATORS; i++)
        acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
#define DOT(i) acc[i] = _mm512_dpbf16_ps(acc[i], x, y);
        REPEAT12(DOT)
#undef DOT
        __asm__ volatile("" : "+v"(x));
    }
    volatile float sink = 0.0f;
    for (int i = 0; i < ACCUMULATORS; i++)
        sink += _mm512_reduce_add_ps(acc[i]);
    (void)sink;
    return (double)iters * ACCUMULATORS * 32 * 2;
}

static BN_TVNNI double loop_int8(long iters)
{
    __m512i acc[ACCUMULATORS], x = _mm512_set1_epi8(1), y = _mm512_set1_epi8(1);
    for (int i = 0; i < ACCUMULATORS; i++)
        acc[i] = _mm512_set1_epi32(i);
    for (long it = 0; it < iters; it++) {
#define DOT(i) acc[i] = _mm512_dpbusd_epi32(acc[i], x, y);
        REPEAT12(DOT)
#undef DOT
        __asm__ volatile("" : "+v"(x));
    }
    volatile int sink = 0;
    for (int i = 0; i < ACCUMULATORS; i++)
        sink += _mm512_reduce_add_epi32(acc[i]);
    (void)sink;
    return (double)iters * ACCUMULATORS * 64 * 2;
}

/* Eight tiles of 16 rows x 64 bytes: 0-3 the sums (zeroed), 4-5 the A tiles, 6-7 the B
 * tiles (loaded from zeros, 16 x 64 bytes). */
static __attribute__((target("amx-tile"))) void start_tiles(const void *zeros)
{
    bn_amx_tile_config cfg;
    bn_amx_full_tiles(&cfg);
    _tile_loadconfig(&cfg);
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    _tile_loadd(4, zeros, 64);
    _tile_loadd(5, zeros, 64);
    _tile_loadd(6, zeros, 64);
    _tile_loadd(7, zeros, 64);
}

static BN_TAMXB double loop_amx_bf16(long iters)
{
    static const uint16_t zeros[16 * 32]; /* read-only: bf16 zeros for the operand tiles */
    float out[16 * 16];
    start_tiles(zeros);
    for (long it = 0; it < iters; it++) {
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    _tile_stored(0, out, 64);
    _tile_release();
    volatile float sink = out[0];
    (void)sink;
    return (double)iters * 4 * (16 * 16 * 32) * 2;
}

static BN_TAMXI double loop_amx_int8(long iters)
{
    static const int8_t zeros[16 * 64];
    int32_t out[16 * 16];
    start_tiles(zeros);
    for (long it = 0; it < iters; it++) {
        _tile_dpbssd(0, 4, 6);
        _tile_dpbssd(1, 4, 7);
        _tile_dpbssd(2, 5, 6);
        _tile_dpbssd(3, 5, 7);
    }
    _tile_stored(0, out, 64);
    _tile_release();
    volatile int32_t sink = out[0];
    (void)sink;
    return (double)iters * 4 * (16 * 16 * 64) * 2;
}

static int has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
}

static int has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* The loop for a unit, or NULL when absent; iters_per_call sized for ~20 ms at the speeds
 * of today's server cores. */
static unit_loop find_loop(bn_unit unit, long *iters)
{
    switch (unit) {
    case BN_UNIT_FP32_FMA:
        *iters = 2000000;
        return has_avx512() ? loop_fma512 : has_avx2() ? loop_fma256 : NULL;
    case BN_UNIT_BF16_DOT:
        *iters = 2000000;
        return has_avx512() && __builtin_cpu_supports("avx512bf16") ? loop_bf16 : NULL;
    case BN_UNIT_INT8_DOT:
        *iters = 2000000;
        return bn_cpu_has_avx512vnni() ? loop_int8 : NULL;
    case BN_UNIT_AMX_BF16:
        *iters = 1000000;
        return bn_amx_bf16_enable() ? loop_amx_bf16 : NULL;
    case BN_UNIT_AMX_INT8:
        *iters = 1000000;
        return bn_amx_int8_enable() ? loop_amx_int8 : NULL;
    default:
        return NULL;
    }
}

#else

static unit_loop find_loop(bn_unit unit, long *iters)
{
    (void)unit;
    *iters = 0;
    return NULL;
}

#endif

int bn_unit_available(bn_unit unit)
{
    long iters;
    return find_loop(unit, &iters) != NULL;
}

typedef struct {
    unit_loop loop;
    long iters;
    double ops[BN_THREADPOOL_MAX];
} peak_job;

static void run_loop(void *ctx, int begin, int end, int thread_index)
{
    peak_job *job = ctx;
    (void)begin, (void)end;
    job->ops[thread_index] = job->loop(job->iters);
}

double bn_unit_peak(bn_threadpool *pool, bn_unit unit)
{
    long iters;
    unit_loop loop = find_loop(unit, &iters);
    if (!loop)
        return 0.0;
    int threads = bn_threadpool_size(pool);
    peak_job job = {.loop = loop, .iters = iters};
    double best = 0.0;
    for (int rep = 0; rep < REPEATS; rep++) {
        double t0 = now_s();
        bn_parallel_for(pool, threads, run_loop, &job);
        double elapsed = now_s() - t0, ops = 0.0;
        for (int t = 0; t < threads; t++)
            ops += job.ops[t];
        best = elapsed > 0 && ops / elapsed > best ? ops / elapsed : best;
    }
    return best / 1e9;
}
