/* gemm_bf16.c - AMX products, AVX512_BF16 packing and the path choice (see gemm_bf16.h).
 *
 * The product runs on the AMX tile unit: tdpbf16ps multiplies a 16 x 32 bf16 A tile by a
 * 16-pair x 16-column B tile into 16 x 16 fp32 sums (8192 multiply-adds per instruction).
 * Four sum tiles hold a 32 x 32 block of C for the whole of K, fed by two A and two B tiles
 * per 32 values of K. Blocking: a thread takes GROUP_BLOCKS row blocks at a time (their A
 * rows stay in L2) past every 32-column panel of B (streamed from L3 once per group).
 *
 * The AVX512_BF16 product is in gemm_bf16_avx512.c. Compiled with per-function target
 * attributes, not -march. */
/* syscall() */
#define _DEFAULT_SOURCE 1

#include "kernels/gemm_bf16.h"
#include "kernels/amx_tiles.h"
#include "kernels/bf16_words.h"

#include <string.h>

enum { NR = BN_BF16_PANEL, GROUP_BLOCKS = 2 };

bn_bf16 bn_bf16_from_float(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: keep it a (quiet) NaN */
        return (bn_bf16)((u >> 16) | 0x40u);
    if ((u & 0x7f800000u) == 0) /* zero or denormal: vcvtneps2bf16 flushes to signed zero */
        return (bn_bf16)((u >> 16) & 0x8000u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (bn_bf16)(u >> 16);
}

float bn_bf16_to_float(bn_bf16 h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

size_t bn_bf16_panels_size(int K, int N)
{
    size_t panels = (size_t)(N + NR - 1) / NR;
    return panels * (size_t)bn_bf16_pair_ld(K) * NR;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

#define BN_TBF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define BN_TAMX __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,amx-tile,amx-bf16")))
#define BN_INLINE static inline __attribute__((always_inline))

/* cpuid leaf 7: AVX512_BF16 is EAX bit 5 of sub-leaf 1; AMX-BF16 and AMX-TILE are EDX
 * bits 22 and 24 of sub-leaf 0. Linux also wants the process to ask for the tile state
 * (arch_prctl ARCH_REQ_XCOMP_PERM, XTILEDATA) before any thread touches the tiles. */
int bn_cpu_has_avx512bf16(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d) || !(a & (1u << 5)))
        return 0;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
}

int bn_amx_bf16_enable(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 22)) || !(d & (1u << 24)))
        return 0;
    if (!bn_cpu_has_avx512bf16())
        return 0;
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

/* 16 floats (the first n of src; n <= 16) times scale, as 16 bf16 in a ymm. */
BN_INLINE BN_TBF16 __m256i load_bf16x16(const float *src, int n, float scale)
{
    __mmask16 m = n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
    __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, src), _mm512_set1_ps(scale));
    return (__m256i)_mm512_cvtneps_pbh(v);
}

/* Interleave 16 bf16 of row a with 16 of row b: (a0 b0 a1 b1 ... a15 b15). */
BN_INLINE BN_TBF16 __m512i interleave16(__m256i a, __m256i b)
{
    return bn_bf16_interleave_halves(_mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1));
}

/* ---- B panels ------------------------------------------------------------------------ */

typedef struct {
    bn_bf16 *dst;
    const float *src;   /* float rows, or */
    const int8_t *src8; /* int8 rows */
    int ld, K, N, pairs;
} panels_job;

/* 16 int8 (the first n of src; n <= 16) as 16 bf16 in a ymm (exact). */
BN_INLINE BN_TBF16 __m256i load_bf16x16_i8(const int8_t *src, int n)
{
    __mmask16 m = n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
    __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, src)));
    return (__m256i)_mm512_cvtneps_pbh(v);
}

/* Row k, columns c0 .. c0+n-1 of the panel job's source, as bf16 (zeros past K). */
BN_INLINE BN_TBF16 __m256i panel_source(const panels_job *j, int k, int c0, int n)
{
    if (k >= j->K || n <= 0)
        return _mm256_setzero_si256();
    if (j->src8)
        return load_bf16x16_i8(j->src8 + (size_t)k * j->ld + c0, n);
    return load_bf16x16(j->src + (size_t)k * j->ld + c0, n, 1.0f);
}

/* Pairs of rows packed into every panel before the next pairs (README, "Performance"): each
 * panel then gets 16 KiB in one run. One pair at a time wrote 64 bytes into each panel in
 * turn, a whole panel apart, and was 1.5-2x slower (4096 x 1152 int8 on two threads: 1.0-2.0
 * against 0.6-1.0 ms); the block's 512 source rows stay in L2 meanwhile. */
enum { PAIR_BLOCK = 256 };

static BN_TBF16 void pack_panel_pairs(void *ctx, int begin, int end, int thread)
{
    const panels_job *j = ctx;
    (void)thread;
    int panels = (j->N + NR - 1) / NR;
    for (int p0 = begin; p0 < end; p0 += PAIR_BLOCK) {
        int p1 = p0 + PAIR_BLOCK < end ? p0 + PAIR_BLOCK : end;
        for (int pj = 0; pj < panels; pj++)
            for (int p = p0; p < p1; p++) {
                bn_bf16 *out = j->dst + ((size_t)pj * j->pairs + p) * (2 * NR);
                for (int h = 0; h < NR; h += 16) {
                    int c0 = pj * NR + h, n = j->N - c0 < 16 ? j->N - c0 : 16;
                    __m256i a = panel_source(j, 2 * p, c0, n),
                            b = panel_source(j, 2 * p + 1, c0, n);
                    _mm512_storeu_si512((void *)(out + 2 * h), interleave16(a, b));
                }
            }
    }
}

void bn_bf16_pack_panels(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld, int K,
                         int N)
{
    panels_job j = {dst, src, NULL, ld, K, N, bn_bf16_pair_ld(K) / 2};
    bn_parallel_for(pool, j.pairs, pack_panel_pairs, &j);
}

void bn_bf16_pack_panels_i8(bn_threadpool *pool, bn_bf16 *dst, const int8_t *src, int ld, int K,
                            int N)
{
    panels_job j = {dst, NULL, src, ld, K, N, bn_bf16_pair_ld(K) / 2};
    bn_parallel_for(pool, j.pairs, pack_panel_pairs, &j);
}

/* ---- A pair rows --------------------------------------------------------------------- */

typedef struct {
    bn_bf16 *dst;
    const float *src;
    const float *row_div;
    int ld, M, K, dld, kpad; /* dld: the row stride; kpad: values written per row */
} rows_job;

static BN_TBF16 void pack_rows_range(void *ctx, int begin, int end, int thread)
{
    const rows_job *j = ctx;
    (void)thread;
    for (int m = begin; m < end; m++) {
        const float *s = j->src + (size_t)m * j->ld;
        bn_bf16 *d = j->dst + (size_t)m * j->dld;
        for (int k = 0; k < j->K; k += 16) {
            int n = j->K - k < 16 ? j->K - k : 16;
            __m256i v = load_bf16x16(s + k, n, 1.0f);
            _mm256_mask_storeu_epi16(d + k, (__mmask16)(n >= 16 ? 0xffff : (1u << n) - 1u), v);
        }
        memset(d + j->K, 0, sizeof(bn_bf16) * (size_t)(j->kpad - j->K));
    }
}

void bn_bf16_pack_rows(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld, int M,
                       int K)
{
    rows_job j = {dst, src, NULL, ld, M, K, bn_bf16_row_ld(K), bn_bf16_pair_ld(K)};
    bn_parallel_for(pool, M, pack_rows_range, &j);
}

static inline float row_scale(const rows_job *j, int k)
{
    return j->row_div ? 1.0f / j->row_div[k] : 1.0f;
}

/* Transpose a 16 x 16 block of 32-bit words in registers (row i of the result holds
 * word i of every input row). */
BN_INLINE BN_TBF16 void transpose16x16(__m512i r[16])
{
    __m512i t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        r[4 * i + 0] = _mm512_unpacklo_epi64(t[4 * i + 0], t[4 * i + 2]);
        r[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i + 0], t[4 * i + 2]);
        r[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        r[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) {
            t[8 * i + j] = _mm512_shuffle_i32x4(r[8 * i + j], r[8 * i + j + 4], 0x88);
            t[8 * i + j + 4] = _mm512_shuffle_i32x4(r[8 * i + j], r[8 * i + j + 4], 0xdd);
        }
    for (int j = 0; j < 8; j++) {
        r[j] = _mm512_shuffle_i32x4(t[j], t[j + 8], 0x88);
        r[j + 8] = _mm512_shuffle_i32x4(t[j], t[j + 8], 0xdd);
    }
}

/* Blocks of 16 columns of src (= 16 rows of dst), 32 rows of src (= 16 pairs) at a time:
 * each pair of src rows (k, k+1) gives one 32-bit word (src[k][m], src[k+1][m]) for each of
 * the 16 dst rows; a register transpose turns 16 such vectors into 16 full 64-byte pieces
 * of dst rows. Zero pairs past K fill the padding. The 32 rows are the outer loop and the
 * column blocks the inner one, so src is read along its rows (each thread's part of 32 rows
 * at a time, whole lines in order) rather than 64 bytes of every row per block; the rows'
 * scales are taken once per 32 rows. */
static BN_TBF16 void pack_transposed_blocks(void *ctx, int begin, int end, int thread)
{
    const rows_job *j = ctx;
    (void)thread;
    int stream = ((uintptr_t)j->dst | (size_t)j->dld * sizeof(bn_bf16)) % 64 == 0;
    for (int k0 = 0; k0 < j->kpad; k0 += 32) {
        float scale[32];
        for (int i = 0; i < 32; i++)
            scale[i] = k0 + i < j->K ? row_scale(j, k0 + i) : 0.0f;
        for (int blk = begin; blk < end; blk++) {
            int m0 = blk * 16, n = j->M - m0 < 16 ? j->M - m0 : 16;
            __m512i r[16];
            for (int i = 0; i < 16; i++) {
                int k = k0 + 2 * i;
                const float *ra = j->src + (size_t)k * j->ld + m0;
                if (k + 33 < j->K) { /* the same columns of the next 32 rows */
                    _mm_prefetch((const char *)(ra + (size_t)32 * j->ld), _MM_HINT_T0);
                    _mm_prefetch((const char *)(ra + (size_t)33 * j->ld), _MM_HINT_T0);
                }
                __m256i a = k < j->K ? load_bf16x16(ra, n, scale[2 * i]) : _mm256_setzero_si256();
                __m256i b = k + 1 < j->K ? load_bf16x16(ra + j->ld, n, scale[2 * i + 1])
                                         : _mm256_setzero_si256();
                r[i] = interleave16(a, b);
            }
            transpose16x16(r);
            if (stream)
                for (int i = 0; i < n; i++)
                    _mm512_stream_si512((void *)(j->dst + (size_t)(m0 + i) * j->dld + k0), r[i]);
            else
                for (int i = 0; i < n; i++)
                    _mm512_storeu_si512((void *)(j->dst + (size_t)(m0 + i) * j->dld + k0), r[i]);
        }
    }
    if (stream)
        _mm_sfence(); /* streaming stores are weakly ordered: done before the pool says so */
}

void bn_bf16_pack_transposed(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld,
                             const float *row_div, int K, int M)
{
    rows_job j = {dst, src, row_div, ld, M, K, bn_bf16_row_ld(K), bn_bf16_pair_ld(K)};
    bn_parallel_for(pool, (M + 15) / 16, pack_transposed_blocks, &j);
}

/* B panels from the transpose (gemm_bf16.h, bn_bf16_pack_panels_t): source row n holds
 * column n of B, so a pair (B[2p][n], B[2p+1][n]) is two neighbours of that row. */
typedef struct {
    bn_bf16 *dst;
    const float *src;
    int ld, K, N, pairs;
} panels_t_job;

/* Values k0 .. k0+31 of source row n (zeros past K, and for n past N) as 16 pair words. */
BN_INLINE BN_TBF16 __m512i row_pair_words(const panels_t_job *j, int n, int k0)
{
    int left = j->K - k0;
    if (n >= j->N || left <= 0)
        return _mm512_setzero_si512();
    const float *s = j->src + (size_t)n * j->ld + k0;
    __m256i a = load_bf16x16(s, left, 1.0f);
    __m256i b = left > 16 ? load_bf16x16(s + 16, left - 16, 1.0f) : _mm256_setzero_si256();
    return _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
}

/* Panels [begin, end): 16 columns and 16 pairs at a time, a register transpose of the
 * 16 rows' pair words gives each pair's 16 columns as one 64-byte piece of the panel. */
static BN_TBF16 void pack_panels_t_range(void *ctx, int begin, int end, int thread)
{
    const panels_t_job *j = ctx;
    (void)thread;
    for (int pj = begin; pj < end; pj++)
        for (int p0 = 0; p0 < j->pairs; p0 += 16)
            for (int h = 0; h < NR; h += 16) {
                __m512i r[16];
                for (int i = 0; i < 16; i++)
                    r[i] = row_pair_words(j, pj * NR + h + i, 2 * p0);
                transpose16x16(r);
                bn_bf16 *out = j->dst + ((size_t)pj * j->pairs + p0) * (2 * NR) + 2 * h;
                for (int p = 0; p < 16; p++)
                    _mm512_storeu_si512((void *)(out + (size_t)p * 2 * NR), r[p]);
            }
}

void bn_bf16_pack_panels_t(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld, int K,
                           int N)
{
    panels_t_job j = {dst, src, ld, K, N, bn_bf16_pair_ld(K) / 2};
    bn_parallel_for(pool, (N + NR - 1) / NR, pack_panels_t_range, &j);
}

/* ---- the product (AMX) ------------------------------------------------------------ */

/* The tile configuration (64 bytes, palette 1): tiles 0-3 hold a 2 x 2 block of 16 x 16 fp32
 * sums, 4-5 two 16-row A tiles of 16 pairs, 6-7 two B tiles of 16 pairs x 16 columns. */
static BN_TAMX void load_tile_config(void)
{
    bn_amx_tile_config cfg;
    bn_amx_full_tiles(&cfg);
    _tile_loadconfig(&cfg);
}

/* C block (rows x cols <= 16) = [C +] alpha * the 16 x 16 sums in buf. */
static BN_TBF16 void merge_tile(float *C, int ldc, const float *buf, int rows, int cols,
                                float alpha, int overwrite)
{
    __m512 va = _mm512_set1_ps(alpha);
    __mmask16 m = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1u);
    for (int i = 0; i < rows; i++) {
        float *cr = C + (size_t)i * ldc;
        __m512 t = _mm512_mul_ps(va, _mm512_loadu_ps(buf + 16 * i));
        if (!overwrite)
            t = _mm512_add_ps(t, _mm512_maskz_loadu_ps(m, cr));
        _mm512_mask_storeu_ps(cr, m, t);
    }
}

/* Store the four sum tiles and merge the parts inside C. */
static BN_TAMX void store_block(const bn_bf16_gemm_job *j, int m, int n)
{
    float buf[4][256] __attribute__((aligned(64)));
    _tile_stored(0, buf[0], 64);
    _tile_stored(1, buf[1], 64);
    _tile_stored(2, buf[2], 64);
    _tile_stored(3, buf[3], 64);
    for (int t = 0; t < 4; t++) {
        int m0 = m + 16 * (t >> 1), n0 = n + 16 * (t & 1);
        int rows = j->M - m0 < 16 ? j->M - m0 : 16, cols = j->N - n0 < 16 ? j->N - n0 : 16;
        if (rows > 0 && cols > 0)
            merge_tile(j->C + (size_t)m0 * j->ldc + n0, j->ldc, buf[t], rows, cols, j->alpha,
                       !j->accumulate);
    }
}

/* The 32 x 32 block of C at (m, n) over the whole of K. */
static BN_TAMX void block_32x32(const bn_bf16_gemm_job *j, int m, int n)
{
    const size_t a_stride = (size_t)j->lda * sizeof(bn_bf16), b_stride = 2 * NR * sizeof(bn_bf16);
    const bn_bf16 *a0 = j->A + (size_t)m * j->lda, *a1 = a0 + (size_t)16 * j->lda;
    const bn_bf16 *b = j->B + (size_t)(n / NR) * j->pairs * (2 * NR);
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (int p = 0; p < j->pairs; p += 16) {
        _tile_loadd(4, a0 + 2 * p, a_stride);
        _tile_loadd(5, a1 + 2 * p, a_stride);
        _tile_loadd(6, b + (size_t)p * 2 * NR, b_stride);
        _tile_loadd(7, b + (size_t)p * 2 * NR + 32, b_stride);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    store_block(j, m, n);
}

/* Row blocks [begin, end) of 32 rows; within GROUP_ROWS rows (their A in L2) every B panel. */
static BN_TAMX void gemm_blocks(void *ctx, int begin, int end, int thread)
{
    const bn_bf16_gemm_job *j = ctx;
    (void)thread;
    load_tile_config();
    for (int g = begin; g < end; g += GROUP_BLOCKS) {
        int g_end = g + GROUP_BLOCKS < end ? g + GROUP_BLOCKS : end;
        for (int n = 0; n < j->N; n += NR)
            for (int blk = g; blk < g_end; blk++)
                block_32x32(j, 32 * blk, n);
    }
    _tile_release();
}

void bn_bf16_gemm_amx(bn_threadpool *pool, const bn_bf16_gemm_job *job)
{
    bn_parallel_for(pool, (job->M + 31) / 32, gemm_blocks, (void *)job);
}

#else /* not x86-64: never called (bn_bf16_backward_available() is BN_BF16_NONE) */

int bn_amx_bf16_enable(void) { return 0; }
int bn_cpu_has_avx512bf16(void) { return 0; }
void bn_bf16_pack_panels(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld, int K,
                         int N) { (void)pool; (void)dst; (void)src; (void)ld; (void)K; (void)N; }
void bn_bf16_pack_panels_i8(bn_threadpool *pool, bn_bf16 *dst, const int8_t *src, int ld, int K,
                            int N) { (void)pool; (void)dst; (void)src; (void)ld; (void)K; (void)N; }
void bn_bf16_pack_panels_t(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld, int K,
                           int N) { (void)pool; (void)dst; (void)src; (void)ld; (void)K; (void)N; }
void bn_bf16_pack_rows(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld, int M,
                       int K) { (void)pool; (void)dst; (void)src; (void)ld; (void)M; (void)K; }
void bn_bf16_pack_transposed(bn_threadpool *pool, bn_bf16 *dst, const float *src, int ld,
                             const float *row_div, int K, int M)
{ (void)pool; (void)dst; (void)src; (void)ld; (void)row_div; (void)K; (void)M; }
void bn_bf16_gemm_amx(bn_threadpool *pool, const bn_bf16_gemm_job *job)
{ (void)pool; (void)job; }

#endif

bn_bf16_path bn_bf16_backward_available(void)
{
    if (bn_amx_bf16_enable())
        return BN_BF16_AMX;
    return bn_cpu_has_avx512bf16() ? BN_BF16_AVX512 : BN_BF16_NONE;
}

const char *bn_bf16_path_name(bn_bf16_path path)
{
    return path == BN_BF16_AMX ? "amx" : path == BN_BF16_AVX512 ? "avx512_bf16" : "none";
}

void bn_bf16_gemm(bn_threadpool *pool, bn_bf16_path path, float *C, int ldc, const bn_bf16 *A,
                  int lda, const bn_bf16 *B, int M, int N, int K, float alpha, int accumulate)
{
    if (M <= 0 || N <= 0)
        return;
    bn_bf16_gemm_job job = {C, A, B, ldc, lda, M, N, bn_bf16_pair_ld(K) / 2, alpha, accumulate};
    if (path == BN_BF16_AMX)
        bn_bf16_gemm_amx(pool, &job);
    else if (path == BN_BF16_AVX512)
        bn_bf16_gemm_avx512(pool, &job);
}
