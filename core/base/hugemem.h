/* hugemem.h - allocations for the big slabs (activations, parameters, moments).
 *
 * A training step sweeps hundreds of MiB of activations in strided patterns (transposes,
 * per-head views); with 4 KiB pages nearly every row of a wide matrix is its own TLB entry.
 * bn_huge_calloc aligns to 2 MiB and asks Linux for transparent huge pages on the range
 * (madvise; a hint only: where THP is off the memory is ordinary). Zero-filled, like calloc,
 * and untouched until used (mapped fresh from the kernel). */
#ifndef BN_HUGEMEM_H
#define BN_HUGEMEM_H

#include <stddef.h>

/* bytes of zeroed memory aligned to 2 MiB, or NULL. Free with bn_huge_free. */
void *bn_huge_calloc(size_t bytes);

/* Release a bn_huge_calloc slab; NULL does nothing. */
void bn_huge_free(void *p);

#endif
