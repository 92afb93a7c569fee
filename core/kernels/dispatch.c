/* dispatch.c - the kernel tables and their selection by name. */
#include "kernels.h"

#include <string.h>

static const bn_kernels kernel_tables[] = {
    {.name = "blas", .bitlinear_gemm = bn_bitlinear_gemm_blas},
    {.name = "ref", .bitlinear_gemm = bn_bitlinear_gemm_ref},
};

const bn_kernels *bn_kernels_find(const char *name)
{
    if (!name || !*name || strcmp(name, "auto") == 0)
        return &kernel_tables[0]; /* fastest first */
    for (size_t i = 0; i < sizeof kernel_tables / sizeof kernel_tables[0]; i++)
        if (strcmp(kernel_tables[i].name, name) == 0)
            return &kernel_tables[i];
    return NULL;
}

const char *bn_kernels_names(void) { return "auto, blas, ref"; }
