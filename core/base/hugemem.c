/* hugemem.c - 2 MiB-aligned zeroed slabs with a transparent-huge-page hint. */

/* madvise(), MADV_HUGEPAGE */
#define _DEFAULT_SOURCE 1

#include "base/hugemem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *bn_huge_calloc(size_t bytes)
{
    size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    if (rounded < bytes || rounded == 0)
        return NULL;
    void *p = aligned_alloc(HUGE_PAGE, rounded);
    if (!p)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (getenv("BN_NO_THP") == NULL) madvise(p, rounded, MADV_HUGEPAGE); /* a hint: failure leaves ordinary pages */
#endif
    memset(p, 0, rounded);
    return p;
}
