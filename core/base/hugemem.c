/* hugemem.c - 2 MiB-aligned zeroed slabs with a transparent-huge-page hint.
 *
 * The slabs come straight from mmap: the kernel's pages are zero already, so nothing is
 * written until the slab is used, and a slab laid out again (bn_model_set_low_memory) never
 * had its first, larger layout counted in the peak RSS. Under AddressSanitizer they come
 * from aligned_alloc instead, so its redzones and leak checks cover them. */

/* madvise(), MADV_HUGEPAGE, MAP_ANONYMOUS */
#define _DEFAULT_SOURCE 1

#include "base/hugemem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

#if defined(__SANITIZE_ADDRESS__)
#define BN_HUGE_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BN_HUGE_MALLOC 1
#endif
#endif

static void hint_huge_pages(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    if (getenv("BN_NO_THP") == NULL)
        madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failure leaves ordinary pages */
#else
    (void)p, (void)bytes;
#endif
}

#ifdef BN_HUGE_MALLOC

void *bn_huge_calloc(size_t bytes)
{
    size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    if (rounded < bytes || rounded == 0)
        return NULL;
    void *p = aligned_alloc(HUGE_PAGE, rounded);
    if (!p)
        return NULL;
    hint_huge_pages(p, rounded);
    memset(p, 0, rounded);
    return p;
}

void bn_huge_free(void *p)
{
    free(p);
}

#else

/* Just below the aligned slab, in the mapping's slack: where the mapping starts and its
 * length, for bn_huge_free. */
typedef struct {
    void *base;
    size_t length;
} mapping_header;

void *bn_huge_calloc(size_t bytes)
{
    size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    size_t length = rounded + HUGE_PAGE;
    if (rounded < bytes || rounded == 0 || length < rounded)
        return NULL;
    char *base = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    /* at least one header's room before the slab */
    uintptr_t start = ((uintptr_t)base + sizeof(mapping_header) + HUGE_PAGE - 1) &
                      ~(uintptr_t)(HUGE_PAGE - 1);
    char *p = (char *)start;
    mapping_header h = {base, length};
    memcpy(p - sizeof h, &h, sizeof h);
    hint_huge_pages(p, rounded);
    return p;
}

void bn_huge_free(void *p)
{
    if (!p)
        return;
    mapping_header h;
    memcpy(&h, (char *)p - sizeof h, sizeof h);
    munmap(h.base, h.length);
}

#endif
