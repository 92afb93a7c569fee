/* vnni.h - the one AVX-512 VNNI instruction the int8 kernels build on, for files compiled
 * with per-function target attributes (include it inside their x86-64 branch). */
#ifndef BN_VNNI_H
#define BN_VNNI_H

#include <immintrin.h>

#define BN_TVNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

/* acc + dpbusd(w u8, x s8): each int32 lane adds the four products of its bytes. GCC (12)
 * wraps _mm512_dpbusd_epi32 in a kernel's loop with a register copy per accumulator
 * (measured ~25% slower), so with GCC the one instruction is written out; other compilers
 * get the intrinsic. Operand order {AT&T: x, w, acc | Intel: reversed}. */
static inline __attribute__((always_inline)) BN_TVNNI __m512i bn_dpbusd(__m512i acc, __m512i w,
                                                                       __m512i x)
{
#if defined(__GNUC__) && !defined(__clang__)
    __asm__("vpdpbusd {%2, %1, %0|%0, %1, %2}" : "+v"(acc) : "v"(w), "vm"(x));
    return acc;
#else
    return _mm512_dpbusd_epi32(acc, w, x);
#endif
}

#endif
