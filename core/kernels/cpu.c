/* cpu.c - run-time checks for the instruction sets the ternary kernels use. */
#include "kernels/ternary_gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

int bn_cpu_has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}

int bn_cpu_has_avx512vnni(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}

#else

int bn_cpu_has_avx2(void)
{
    return 0;
}

int bn_cpu_has_avx512vnni(void)
{
    return 0;
}

#endif
