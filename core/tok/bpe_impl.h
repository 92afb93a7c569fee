/* bpe_impl.h - the byte-level BPE tables, shared by bpe.c (building), bpe_encode.c and
 * tok_hf.c (tokenizer.json); callers see only tok/bpe.h. */
#ifndef BN_BPE_IMPL_H
#define BN_BPE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "tok/pretok.h"
#include "tok/tok_impl.h"

struct bn_bpe {
    int n;                      /* vocabulary size */
    char *blob;                 /* raw bytes of every id, back to back */
    size_t *off, *len;          /* each id's place in blob */
    int32_t *vhash;             /* bytes -> id, open addressing (-1 empty) */
    size_t vmask;
    uint64_t *mkey;             /* (left << 32 | right) -> rank, result (UINT64_MAX empty) */
    int32_t *mrank, *mid;
    size_t mmask;
    int *merges;                /* (left, right) by rank */
    int n_merges;
    int byte_id[256];           /* the token of each single byte */
    int *added;                 /* added token ids, longest first */
    unsigned char *added_special;
    int n_added;
    unsigned char first[256];   /* 1 for bytes an added token starts with */
    bn_pretok *pre;
    int add_prefix_space, ignore_merges;
    char *name;
};

/* The id of the piece s[0..n), or -1. */
int bn_bpe_lookup(const bn_bpe *b, const char *s, size_t n);

/* Merge of (l, r): its rank and result id, or 0 when the pair does not merge. */
static inline int bn_bpe_merge_find(const bn_bpe *b, int l, int r, int *rank, int *id)
{
    uint64_t key = (uint64_t)(uint32_t)l << 32 | (uint32_t)r;
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    for (size_t i = (h ^ (h >> 31)) & b->mmask;; i = (i + 1) & b->mmask) {
        if (b->mkey[i] == UINT64_MAX)
            return 0;
        if (b->mkey[i] == key) {
            *rank = b->mrank[i];
            *id = b->mid[i];
            return 1;
        }
    }
}

/* The tokenizer operation (tok_ops.encode) of the BPE kind. */
bn_status bn_bpe_encode(const bn_tokenizer *t, const char *s, size_t n, int *ids, size_t cap,
                        size_t *count, bn_error *err);

void bn_bpe_free(bn_bpe *b);

#endif
