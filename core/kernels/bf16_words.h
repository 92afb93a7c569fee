/* bf16_words.h - the AVX-512 step the bf16 packers share (kernels/gemm_bf16.c,
 * nn/attention_bf16.c): two rows' bf16 interleaved into words of a pair, the layout
 * vdpbf16ps and tdpbf16ps read. */
#ifndef BN_BF16_WORDS_H
#define BN_BF16_WORDS_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

/* ab holds 16 bf16 of row a in its low 256 bits and 16 of row b in its high 256 bits; the
 * result is (a0 b0 a1 b1 ... a15 b15): word c holds a_c in its low half and b_c in its high
 * half. */
static inline __attribute__((always_inline, target("avx512f,avx512bw"))) __m512i
bn_bf16_interleave_halves(__m512i ab)
{
    const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9,
                                         24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17,
                                         1, 16, 0);
    return _mm512_permutexvar_epi16(idx, ab);
}

#endif

#endif
