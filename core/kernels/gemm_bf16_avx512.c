/* gemm_bf16_avx512.c - the bf16 product on AVX512_BF16 (vdpbf16ps), for CPUs without AMX.
 *
 * The packed layouts are the AMX path's (gemm_bf16.h), and they are what vdpbf16ps wants:
 * one 32-bit pair of an A row, broadcast, times the two 64-byte halves of pair p of a B
 * panel (32 columns x 2 values) adds a pair of products to 32 fp32 sums. The microkernel
 * keeps an MR x 32 block of C in 2 * MR registers; rows of C are split over the pool, and
 * every element of C is one fp32 sum in the order of K whatever the threads.
 *
 * Compiled with per-function target attributes, not -march. */
#include "kernels/gemm_bf16.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define BN_TBF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define BN_INLINE static inline __attribute__((always_inline))

/* MR rows of C (2 * MR = 24 sum registers, 2 for B, one for the broadcast). Blocking, for
 * the caches of the CPUs with AVX512_BF16 (32-48 KiB L1d, 1-2 MiB L2): a thread takes a group
 * of GROUP rows (MC = GROUP * MR) and NCB columns at a time, and runs K in slices of KC
 * pairs: one panel's slice of B (KC x 128 bytes) stays in L1 for the group's row blocks,
 * the group's slice of A (MC x KC x 4 bytes) in L2 for the NCB / 32 panels. Between slices
 * each block's sums wait in a partial-sum buffer (MC x NCB floats on the stack, 96 KiB) and
 * go on from where they were, so each element of C is still one fp32 sum in the order of K.
 * B is read once per group: 16 blocks (192 rows, 196 KiB of A per slice) rather than 8 halve
 * that for the lm_head's products, whose B (the embedding, 49 MB on baseline-95m) comes
 * from memory: logits 691 -> 813 GFLOP/s and d(final_n) 788 -> 883 on two Zen 5 threads at
 * 256-row chunks, the other shapes level. */
enum { MR = 12, NR = BN_BF16_PANEL, GROUP = 16, MC = GROUP * MR, NCB = 4 * NR, KC = 256 };

/* One block's K slice [p0, p1) and where its sums wait between slices (row stride NCB). */
typedef struct {
    int p0, p1;
    float *part;
} k_slice;

/* Pair p of an A row as the 32-bit word vdpbf16ps broadcasts. */
BN_INLINE int32_t pair_word(const bn_bf16 *row, int p)
{
    int32_t w;
    memcpy(&w, row + 2 * p, sizeof w);
    return w;
}

/* Whether C's rows bypass the caches (streaming stores): when they are a multiple of 4 KiB
 * apart (ldc % 1024 == 0, e.g. the input gradient of baseline-95m's down projection), a
 * block's 12 rows fall into the same L1 sets as each other and the B panel being read
 * (4096 x 3072 x 768: 380 -> 480 GFLOP/s on a Zen 5 core). Not when C is read too
 * (accumulate): measured no faster there. */
static inline int streams(const bn_bf16_gemm_job *j)
{
    return !j->accumulate && j->ldc % 1024 == 0;
}

/* C rows m .. m+R-1, columns n .. n+31 (masked at N) = [C +] alpha * the sums in acc. */
BN_INLINE BN_TBF16 void store_rows(const bn_bf16_gemm_job *j, int m, int n, const __m512 *acc, int R)
{
    int cols = j->N - n;
    __mmask16 k0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1u);
    __mmask16 k1 = cols >= 32 ? 0xffff : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1u);
    __m512 va = _mm512_set1_ps(j->alpha);
    int stream = streams(j) && cols >= 32;
    for (int i = 0; i < R; i++) {
        float *c = j->C + (size_t)(m + i) * j->ldc + n;
        __m512 t0 = _mm512_mul_ps(va, acc[2 * i]), t1 = _mm512_mul_ps(va, acc[2 * i + 1]);
        if (j->accumulate) {
            t0 = _mm512_add_ps(t0, _mm512_maskz_loadu_ps(k0, c));
            t1 = _mm512_add_ps(t1, _mm512_maskz_loadu_ps(k1, c + 16));
        }
        if (stream && !((uintptr_t)c & 63)) {
            _mm512_stream_ps(c, t0);
            _mm512_stream_ps(c + 16, t1);
            continue;
        }
        _mm512_mask_storeu_ps(c, k0, t0);
        _mm512_mask_storeu_ps(c + 16, k1, t1);
    }
}

/* The R x 32 block of C at (m, n) over one K slice; R is a constant after inlining, so the
 * sums live in registers. The first slice starts from zero, the last one writes C. */
BN_INLINE BN_TBF16 void block_rows(const bn_bf16_gemm_job *j, int m, int n, const k_slice *ks, const int R)
{
    __m512 acc[2 * MR];
#pragma GCC unroll 24
    for (int i = 0; i < 2 * R; i++)
        acc[i] = ks->p0 ? _mm512_load_ps(ks->part + (i >> 1) * NCB + 16 * (i & 1))
                        : _mm512_setzero_ps();
    const bn_bf16 *a = j->A + (size_t)m * j->lda;
    const size_t lda = (size_t)j->lda;
    const bn_bf16 *b = j->B + (size_t)(n / NR) * j->pairs * (2 * NR);
    for (int p = ks->p0; p < ks->p1; p++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)(b + (size_t)p * 2 * NR));
        __m512bh b1 = (__m512bh)_mm512_loadu_si512((const void *)(b + (size_t)p * 2 * NR + NR));
#pragma GCC unroll 12
        for (int i = 0; i < R; i++) {
            __m512bh w = (__m512bh)_mm512_set1_epi32(pair_word(a + i * lda, p));
            acc[2 * i] = _mm512_dpbf16_ps(acc[2 * i], b0, w);
            acc[2 * i + 1] = _mm512_dpbf16_ps(acc[2 * i + 1], b1, w);
        }
    }
    if (ks->p1 == j->pairs) {
        store_rows(j, m, n, acc, R);
        return;
    }
#pragma GCC unroll 24
    for (int i = 0; i < 2 * R; i++)
        _mm512_store_ps(ks->part + (i >> 1) * NCB + 16 * (i & 1), acc[i]);
}

/* A block of C of any height up to MR (the last one of M may be shorter). */
static BN_TBF16 void block_any(const bn_bf16_gemm_job *j, int m, int n, const k_slice *ks)
{
    switch (j->M - m) {
    case 1: block_rows(j, m, n, ks, 1); break;
    case 2: block_rows(j, m, n, ks, 2); break;
    case 3: block_rows(j, m, n, ks, 3); break;
    case 4: block_rows(j, m, n, ks, 4); break;
    case 5: block_rows(j, m, n, ks, 5); break;
    case 6: block_rows(j, m, n, ks, 6); break;
    case 7: block_rows(j, m, n, ks, 7); break;
    case 8: block_rows(j, m, n, ks, 8); break;
    case 9: block_rows(j, m, n, ks, 9); break;
    case 10: block_rows(j, m, n, ks, 10); break;
    case 11: block_rows(j, m, n, ks, 11); break;
    default: block_rows(j, m, n, ks, MR); break;
    }
}

/* Row blocks [g, g_end) (at most GROUP), columns [nc, nc + NCB): every K slice in turn. */
static BN_TBF16 void group_columns(const bn_bf16_gemm_job *j, int g, int g_end, int nc, float *part)
{
    int n_end = nc + NCB < j->N ? nc + NCB : j->N;
    for (int p0 = 0; p0 < j->pairs; p0 += KC) {
        k_slice ks = {p0, p0 + KC < j->pairs ? p0 + KC : j->pairs, NULL};
        for (int n = nc; n < n_end; n += NR)
            for (int blk = g; blk < g_end; blk++) {
                ks.part = part + (size_t)(blk - g) * MR * NCB + (n - nc);
                block_any(j, blk * MR, n, &ks);
            }
    }
}

/* Row blocks [begin, end) of MR rows, GROUP at a time. */
static BN_TBF16 void gemm_blocks(void *ctx, int begin, int end, int thread)
{
    const bn_bf16_gemm_job *j = ctx;
    (void)thread;
    float part[MC * NCB] __attribute__((aligned(64)));
    for (int g = begin; g < end; g += GROUP) {
        int g_end = g + GROUP < end ? g + GROUP : end;
        for (int nc = 0; nc < j->N; nc += NCB)
            group_columns(j, g, g_end, nc, part);
    }
    if (streams(j))
        _mm_sfence(); /* streaming stores are weakly ordered: done before the pool says so */
}

void bn_bf16_gemm_avx512(bn_threadpool *pool, const bn_bf16_gemm_job *job)
{
    bn_parallel_for(pool, (job->M + MR - 1) / MR, gemm_blocks, (void *)job);
}

#else /* not x86-64: never called (bn_bf16_backward_available() is BN_BF16_NONE) */

void bn_bf16_gemm_avx512(bn_threadpool *pool, const bn_bf16_gemm_job *job)
{
    (void)pool, (void)job;
}

#endif
