/* simd.h - BN_VECTORIZE: compile an elementwise loop function for several x86-64 levels.
 *
 * The build targets plain x86-64 (SSE2), so a loop compiled once can use 16-byte vectors at
 * best. Functions marked BN_VECTORIZE are also compiled for x86-64-v3 (AVX2, FMA) and
 * x86-64-v4 (AVX-512), and the loader picks the best clone for this CPU once (an ifunc).
 * Results may differ in the last bits between CPUs (wider reductions), never between runs
 * or thread counts on one machine. Other compilers and architectures get one plain copy. */
#ifndef BN_SIMD_H
#define BN_SIMD_H

/* Not under ThreadSanitizer: the clones' resolvers run before its runtime is up, and the
 * binary crashes at load. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__ELF__) && \
    !defined(__SANITIZE_THREAD__)
#define BN_VECTORIZE __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define BN_VECTORIZE
#endif

#endif
