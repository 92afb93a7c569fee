/* ternary_panels.c - quad panels and the AVX-512 VNNI product on them (see ternary_panels.h).
 *
 * Blocking, as the bf16 product's (gemm_bf16_avx512.c): the microkernel keeps an MR x 32
 * block of y as 2 * MR int32 sum registers (two panels); a thread takes a group of GROUP row
 * blocks and NCB columns at a time and runs K in slices of KC quads, so one panel pair's
 * slice (KC x 128 bytes) stays in L1 for the group's row blocks and the group's x slice in
 * L2. Between slices each block's sums wait in a partial-sum buffer. Integer sums are exact,
 * so neither the blocking nor the threads change a bit. KC = 192 quads (768 values, the
 * width of baseline-95m) measured best of 128 / 192 / 256 on a Zen 5. */
#include "kernels/ternary_panels.h"

#include <string.h>

size_t bn_quad_panels_size(int N, int Kp)
{
    return (size_t)((N + 31) & ~31) * (size_t)Kp;
}

typedef struct {
    uint8_t *panels;
    const uint8_t *codes;
    int N, Kp, minus_one;
} pack_job;

static void pack_panels(void *ctx, int begin, int end, int thread)
{
    const pack_job *j = ctx;
    (void)thread;
    const int N = j->N, Kp = j->Kp;
    for (int p = begin; p < end; p++) {
        uint8_t *dst = j->panels + (size_t)p * 16 * Kp;
        for (int q = 0; q < Kp / 4; q++)
            for (int c = 0; c < 16; c++, dst += 4) {
                int n = 16 * p + c;
                uint32_t w = 0x01010101u; /* codes of weight 0 past N */
                if (n < N)
                    memcpy(&w, j->codes + (size_t)n * Kp + 4 * q, sizeof w);
                /* code - 1 in each byte without borrows: (c | 0x80) - 1 = 0x80 + c - 1 */
                if (j->minus_one)
                    w = ((w | 0x80808080u) - 0x01010101u) ^ 0x80808080u;
                memcpy(dst, &w, sizeof w);
            }
    }
}

void bn_quad_panels_pack(bn_threadpool *pool, uint8_t *panels, const uint8_t *codes, int N,
                         int Kp, int minus_one)
{
    pack_job j = {panels, codes, N, Kp, minus_one};
    bn_parallel_for(pool, ((N + 31) & ~31) / 16, pack_panels, &j);
}

typedef struct {
    float *y;
    const int8_t *x;
    const int32_t *rowsum;
    const float *s_x;
    const uint8_t *panels;
    float s_w;
    int M, N, Kp, quads;
    int stream;
} panels_job;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#include "kernels/vnni.h"

#define BN_T512 BN_TVNNI
#define BN_INLINE static inline __attribute__((always_inline))

/* MR rows of y (2 * MR = 24 sum registers, 2 for the panels, one for the broadcast). */
enum { MR = 12, NR = 32, GROUP = 8, NCB = 4 * NR, KC = 192 };

/* One block's K slice [q0, q1) and where its sums wait between slices (row stride NCB). */
typedef struct {
    int q0, q1;
    int32_t *part;
} k_slice;

/* y rows m .. m+R-1, columns n .. n+31 (masked at N) = (sums - rowsum) / (s_x s_w): the
 * conversion of dispatch.c's integer_block, so the same bits. */
BN_INLINE BN_T512 void store_rows(const panels_job *j, int m, int n, const __m512i *acc, int R)
{
    int cols = j->N - n;
    __mmask16 k0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1u);
    __mmask16 k1 = cols >= 32 ? 0xffff : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1u);
    int stream = j->stream && cols >= 32;
    for (int i = 0; i < R; i++) {
        float inv = 1.0f / (j->s_x[m + i] * j->s_w);
        __m512i r = _mm512_set1_epi32(j->rowsum[m + i]);
        __m512 vinv = _mm512_set1_ps(inv);
        float *y = j->y + (size_t)(m + i) * j->N + n;
        __m512 t0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[2 * i], r)), vinv);
        __m512 t1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[2 * i + 1], r)), vinv);
        if (stream && !((uintptr_t)y & 63)) {
            _mm512_stream_ps(y, t0);
            _mm512_stream_ps(y + 16, t1);
            continue;
        }
        _mm512_mask_storeu_ps(y, k0, t0);
        _mm512_mask_storeu_ps(y + 16, k1, t1);
    }
}

/* The R x 32 block of y at (m, n) over one K slice; R is a constant after inlining. */
BN_INLINE BN_T512 void block_rows(const panels_job *j, int m, int n, const k_slice *ks,
                                  const int R)
{
    __m512i acc[2 * MR];
#pragma GCC unroll 24
    for (int i = 0; i < 2 * R; i++)
        acc[i] = ks->q0 ? _mm512_load_si512(ks->part + (i >> 1) * NCB + 16 * (i & 1))
                        : _mm512_setzero_si512();
    const int8_t *a = j->x + (size_t)m * j->Kp;
    const size_t lda = (size_t)j->Kp;
    const uint8_t *b0 = j->panels + (size_t)(n / 16) * 16 * j->Kp;
    const uint8_t *b1 = b0 + (size_t)16 * j->Kp;
    for (int q = ks->q0; q < ks->q1; q++) {
        __m512i w0 = _mm512_loadu_si512((const void *)(b0 + (size_t)q * 64));
        __m512i w1 = _mm512_loadu_si512((const void *)(b1 + (size_t)q * 64));
#pragma GCC unroll 12
        for (int i = 0; i < R; i++) {
            int32_t quad;
            memcpy(&quad, a + i * lda + 4 * q, sizeof quad);
            __m512i xv = _mm512_set1_epi32(quad);
            acc[2 * i] = bn_dpbusd(acc[2 * i], w0, xv);
            acc[2 * i + 1] = bn_dpbusd(acc[2 * i + 1], w1, xv);
        }
    }
    if (ks->q1 == j->quads) {
        store_rows(j, m, n, acc, R);
        return;
    }
#pragma GCC unroll 24
    for (int i = 0; i < 2 * R; i++)
        _mm512_store_si512(ks->part + (i >> 1) * NCB + 16 * (i & 1), acc[i]);
}

/* A block of any height up to MR (the last one of M may be shorter). */
static BN_T512 void block_any(const panels_job *j, int m, int n, const k_slice *ks)
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
static BN_T512 void group_columns(const panels_job *j, int g, int g_end, int nc, int32_t *part)
{
    int n_end = nc + NCB < j->N ? nc + NCB : j->N;
    for (int q0 = 0; q0 < j->quads; q0 += KC) {
        k_slice ks = {q0, q0 + KC < j->quads ? q0 + KC : j->quads, NULL};
        for (int n = nc; n < n_end; n += NR)
            for (int blk = g; blk < g_end; blk++) {
                ks.part = part + (size_t)(blk - g) * MR * NCB + (n - nc);
                block_any(j, blk * MR, n, &ks);
            }
    }
}

/* Row blocks [begin, end) of MR rows, GROUP at a time. */
static BN_T512 void panel_blocks(void *ctx, int begin, int end, int thread)
{
    const panels_job *j = ctx;
    (void)thread;
    int32_t part[GROUP * MR * NCB] __attribute__((aligned(64)));
    for (int g = begin; g < end; g += GROUP) {
        int g_end = g + GROUP < end ? g + GROUP : end;
        for (int nc = 0; nc < j->N; nc += NCB)
            group_columns(j, g, g_end, nc, part);
    }
    if (j->stream)
        _mm_sfence(); /* streaming stores are weakly ordered: done before the pool says so */
}

void bn_ternary_panels_avx512(bn_threadpool *pool, float *y, const int8_t *x,
                              const int32_t *x_rowsum, const float *s_x, const uint8_t *panels,
                              float s_w, int M, int N, int Kp)
{
    /* Rows of y a multiple of 4 KiB apart (N % 1024 == 0: baseline-95m's FFN, tinystories'
       up and gate) put a block's 12 output rows into the same L1 sets as each other and as
       the panels being read: those outputs bypass the caches (streaming stores), 20-25%
       faster there on a Zen 5; other widths keep plain stores. */
    panels_job j = {y, x, x_rowsum, s_x, panels, s_w, M, N, Kp, Kp / 4, N % 1024 == 0};
    if (M > 0 && N > 0)
        bn_parallel_for(pool, (M + MR - 1) / MR, panel_blocks, &j);
}

#else /* not x86-64: never selected (bn_cpu_has_avx512vnni() is 0), but kept correct */

static void panel_rows(void *ctx, int begin, int end, int thread)
{
    const panels_job *j = ctx;
    (void)thread;
    for (int m = begin; m < end; m++)
        for (int n = 0; n < j->N; n++) {
            const uint8_t *w = j->panels + (size_t)(n / 16) * 16 * j->Kp + 4 * (n % 16);
            int32_t s = 0;
            for (int k = 0; k < j->Kp; k++)
                s += (int32_t)j->x[(size_t)m * j->Kp + k] * w[(size_t)(k / 4) * 64 + k % 4];
            float inv = 1.0f / (j->s_x[m] * j->s_w);
            j->y[(size_t)m * j->N + n] = (float)(s - j->rowsum[m]) * inv;
        }
}

void bn_ternary_panels_avx512(bn_threadpool *pool, float *y, const int8_t *x,
                              const int32_t *x_rowsum, const float *s_x, const uint8_t *panels,
                              float s_w, int M, int N, int Kp)
{
    panels_job j = {y, x, x_rowsum, s_x, panels, s_w, M, N, Kp, Kp / 4, 0};
    bn_parallel_for(pool, M, panel_rows, &j);
}

#endif
