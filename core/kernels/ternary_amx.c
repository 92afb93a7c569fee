/* ternary_amx.c - the ternary forward product on AMX-INT8 (see ternary_amx.h).
 *
 * Four int32 sum tiles hold a 32 x 32 block of y for the whole of K, fed per 64 columns of
 * K by two activation tiles (16 rows each) and two weight tiles (16 columns each). A thread
 * takes 32-row blocks of x (32 x Kp bytes, in L1/L2) past every weight panel (all of W,
 * at most a few hundred KiB, in L2). A last block of fewer than 32 rows reconfigures the
 * tiles to the rows it has, so nothing past x is read. */

/* syscall() */
#define _DEFAULT_SOURCE 1

#include "kernels/ternary_amx.h"
#include "kernels/amx_tiles.h"
#include "kernels/ternary_panels.h"

#include <string.h>

size_t bn_amx_panels_size(int N, int Kp)
{
    return bn_quad_panels_size(N, Kp);
}

void bn_amx_pack_weights(bn_threadpool *pool, int8_t *panels, const uint8_t *codes, int N,
                         int Kp)
{
    bn_quad_panels_pack(pool, (uint8_t *)panels, codes, N, Kp, 1);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

#define BN_TAMX __attribute__((target("avx512f,avx512bw,avx512vl,amx-tile,amx-int8")))

int bn_amx_int8_enable(void)
{
    unsigned a, b, c, d;
    /* cpuid 7.0 EDX: bit 24 AMX-TILE, bit 25 AMX-INT8 */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24)) || !(d & (1u << 25)))
        return 0;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw"))
        return 0;
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

/* Tiles 0-1: sums of A row tile 0 (rows0 rows), 2-3: of row tile 1 (rows1, may be 0),
 * 4-5: the A row tiles, 6-7: the B tiles (16 quads x 16 columns). */
static BN_TAMX void configure(int rows0, int rows1)
{
    bn_amx_tile_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    int rows[8] = {rows0, rows0, rows1, rows1, rows0, rows1, 16, 16};
    for (int t = 0; t < 8; t++) {
        cfg.rows[t] = (uint8_t)rows[t];
        cfg.colsb[t] = rows[t] ? 64 : 0;
    }
    _tile_loadconfig(&cfg);
}

typedef struct {
    float *y;
    const int8_t *x, *panels;
    const float *s_x;
    float s_w;
    int M, N, Kp;
} gemm_job;

/* y rows m.. (rows of them), columns n0.. (cols) = the int32 sums in buf (16 x 16 each). */
static BN_TAMX void scale_out(const gemm_job *j, const int32_t *buf, int m, int rows, int n0,
                              int cols)
{
    __mmask16 mask = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1u);
    for (int i = 0; i < rows; i++) {
        float inv = 1.0f / (j->s_x[m + i] * j->s_w); /* as the scalar path: one per row */
        __m512 v = _mm512_cvtepi32_ps(_mm512_loadu_si512((const void *)(buf + 16 * i)));
        _mm512_mask_storeu_ps(j->y + (size_t)(m + i) * j->N + n0, mask,
                              _mm512_mul_ps(v, _mm512_set1_ps(inv)));
    }
}

/* The 32 x 32 block at (m, n0) with rows0 + rows1 valid rows. */
static BN_TAMX void block(const gemm_job *j, int m, int rows0, int rows1, int n0)
{
    const int8_t *a0 = j->x + (size_t)m * j->Kp, *a1 = a0 + (size_t)16 * j->Kp;
    const int8_t *b0 = j->panels + (size_t)(n0 / 16) * 16 * j->Kp, *b1 = b0 + (size_t)16 * j->Kp;
    _tile_zero(0);
    _tile_zero(1);
    if (rows1) {
        _tile_zero(2);
        _tile_zero(3);
    }
    for (int k = 0; k < j->Kp; k += 64) {
        _tile_loadd(4, a0 + k, j->Kp);
        _tile_loadd(6, b0 + (size_t)k * 16, 64);
        _tile_loadd(7, b1 + (size_t)k * 16, 64);
        _tile_dpbssd(0, 4, 6);
        _tile_dpbssd(1, 4, 7);
        if (rows1) {
            _tile_loadd(5, a1 + k, j->Kp);
            _tile_dpbssd(2, 5, 6);
            _tile_dpbssd(3, 5, 7);
        }
    }
    int32_t buf[4][256] __attribute__((aligned(64)));
    _tile_stored(0, buf[0], 64);
    _tile_stored(1, buf[1], 64);
    if (rows1) {
        _tile_stored(2, buf[2], 64);
        _tile_stored(3, buf[3], 64);
    }
    int cols0 = j->N - n0 < 16 ? j->N - n0 : 16, cols1 = j->N - n0 - 16;
    cols1 = cols1 < 16 ? cols1 : 16;
    scale_out(j, buf[0], m, rows0, n0, cols0);
    if (cols1 > 0)
        scale_out(j, buf[1], m, rows0, n0 + 16, cols1);
    if (rows1) {
        scale_out(j, buf[2], m + 16, rows1, n0, cols0);
        if (cols1 > 0)
            scale_out(j, buf[3], m + 16, rows1, n0 + 16, cols1);
    }
}

static BN_TAMX void gemm_blocks(void *ctx, int begin, int end, int thread)
{
    const gemm_job *j = ctx;
    (void)thread;
    int cur0 = -1, cur1 = -1;
    for (int blk = begin; blk < end; blk++) {
        int m = 32 * blk, left = j->M - m;
        int rows0 = left < 16 ? left : 16, rows1 = left - 16 < 0 ? 0 : left - 16 < 16 ? left - 16 : 16;
        if (rows0 != cur0 || rows1 != cur1) {
            configure(rows0, rows1);
            cur0 = rows0, cur1 = rows1;
        }
        for (int n0 = 0; n0 < j->N; n0 += 32)
            block(j, m, rows0, rows1, n0);
    }
    _tile_release();
}

void bn_amx_ternary_gemm(bn_threadpool *pool, float *y, const int8_t *x, const float *s_x,
                         const int8_t *panels, float s_w, int M, int N, int Kp)
{
    if (M <= 0 || N <= 0)
        return;
    gemm_job j = {y, x, panels, s_x, s_w, M, N, Kp};
    bn_parallel_for(pool, (M + 31) / 32, gemm_blocks, &j);
}

#else

int bn_amx_int8_enable(void) { return 0; }
void bn_amx_ternary_gemm(bn_threadpool *pool, float *y, const int8_t *x, const float *s_x,
                         const int8_t *panels, float s_w, int M, int N, int Kp)
{ (void)pool; (void)y; (void)x; (void)s_x; (void)panels; (void)s_w; (void)M; (void)N; (void)Kp; }

#endif
