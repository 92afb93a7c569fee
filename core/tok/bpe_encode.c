/* bpe_encode.c - encoding with byte-level BPE (README, "Tokenizers"): added tokens first,
 * then pre-tokens, then merges inside each pre-token by (rank, position) with a heap, the
 * order Hugging Face's BPE applies them in. All scratch memory belongs to one call, so
 * threads may share a tokenizer. Memory the merges need and cannot get ends the call with
 * BN_ERR_NOMEM: a fallback (bytes alone) would be a valid encoding but not this
 * tokenizer's, and training or evaluating on it would go wrong without a word. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok/bpe_impl.h"

typedef struct {
    int rank, pos;
} heap_item;

/* A pre-token already merged in this call: its bytes (in the caller's text) and ids. */
typedef struct {
    const char *word;        /* NULL: empty slot */
    uint32_t len, off, n;    /* off, n: its ids in cache_ids */
} cache_slot;

#define CACHE_WORD_MAX 64           /* longer pre-tokens are rare: merged every time */
#define CACHE_SLOTS_MAX (1u << 20)  /* then the cache stops growing and stops adding */

/* Scratch for one call; grown to the longest pre-token seen. */
typedef struct {
    cache_slot *cache;       /* open addressing, a power of two slots */
    size_t cache_mask, cache_used;
    int *cache_ids;
    size_t cache_ids_len, cache_ids_cap;
    int *sym, *next, *prev;
    heap_item *heap;
    size_t cap, nheap;
    int *ids;                /* the caller's output */
    size_t ids_cap, count;
    bn_status st;            /* BN_OK until something fails; then the call stops */
    bn_error *err;
    int use_cache;           /* off when pre-tokens do not live in the caller's text */
    size_t text_len;
} scratch;

/* An allocation the encoding cannot do without: the call fails, naming it. */
static void fail_nomem(scratch *w, const char *what, size_t bytes)
{
    char msg[160];
    snprintf(msg, sizeof msg, "%s to encode %zu bytes of text", what, w->text_len);
    w->st = bn_nomem(w->err, msg, bytes);
}

#define WORD_MAX ((size_t)1 << 30) /* merge_word indexes symbols with int */

static void emit(scratch *w, int id)
{
    if (w->count < w->ids_cap)
        w->ids[w->count] = id;
    w->count++;
}

#define WORD_BYTES (3 * sizeof(int) + 3 * sizeof(heap_item)) /* scratch per symbol */

/* The merge scratch of an n-byte pre-token (bytes of it) cannot be had. */
static int fail_word(scratch *w, size_t n, size_t bytes)
{
    char what[96];
    snprintf(what, sizeof what, "the merge scratch of a %zu-byte pre-token", n);
    fail_nomem(w, what, bytes);
    return 0;
}

/* Room for the symbols of an n-byte pre-token; 0 (with the error set) when out of memory. */
static int grow(scratch *w, size_t n)
{
    if (n <= w->cap)
        return 1;
    if (n > WORD_MAX)
        return fail_word(w, n, n <= SIZE_MAX / WORD_BYTES ? n * WORD_BYTES : SIZE_MAX);
    size_t cap = w->cap ? w->cap : 64;
    while (cap < n)
        cap *= 2;
    int *sym = realloc(w->sym, cap * sizeof *sym);
    if (sym)
        w->sym = sym;
    int *next = realloc(w->next, cap * sizeof *next);
    if (next)
        w->next = next;
    int *prev = realloc(w->prev, cap * sizeof *prev);
    if (prev)
        w->prev = prev;
    heap_item *heap = realloc(w->heap, 3 * cap * sizeof *heap);
    if (heap)
        w->heap = heap;
    if (!sym || !next || !prev || !heap)
        return fail_word(w, n, cap * WORD_BYTES);
    w->cap = cap;
    return 1;
}

static int before(heap_item a, heap_item b)
{
    return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos);
}

static void heap_push(scratch *w, int rank, int pos)
{
    size_t i = w->nheap++;
    heap_item item = {rank, pos};
    while (i > 0 && before(item, w->heap[(i - 1) / 2])) {
        w->heap[i] = w->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->heap[i] = item;
}

static heap_item heap_pop(scratch *w)
{
    heap_item top = w->heap[0], last = w->heap[--w->nheap];
    size_t i = 0, n = w->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(w->heap[c + 1], w->heap[c]))
            c++;
        if (!before(w->heap[c], last))
            break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (n)
        w->heap[i] = last;
    return top;
}

/* Queue the pair starting at symbol p, if it merges. */
static void queue_pair(const bn_bpe *b, scratch *w, int p)
{
    int rank, id;
    if (p >= 0 && w->next[p] >= 0 && bn_bpe_merge_find(b, w->sym[p], w->sym[w->next[p]], &rank, &id))
        heap_push(w, rank, p);
}

/* Merge the symbols of one pre-token until no pair merges; the resulting ids are left in
 * w->prev[0..count) (prev is free by then), and count returned. */
static int merge_word(const bn_bpe *b, scratch *w, const unsigned char *s, int n)
{
    for (int i = 0; i < n; i++) {
        w->sym[i] = b->byte_id[s[i]];
        w->prev[i] = i - 1;
        w->next[i] = i + 1 < n ? i + 1 : -1;
    }
    w->nheap = 0;
    for (int i = 0; i + 1 < n; i++)
        queue_pair(b, w, i);
    while (w->nheap) {
        heap_item top = heap_pop(w);
        int p = top.pos, q = w->next[p], rank, id;
        /* stale entries: the symbol was merged away or its pair changed */
        if (w->sym[p] < 0 || q < 0 || !bn_bpe_merge_find(b, w->sym[p], w->sym[q], &rank, &id) ||
            rank != top.rank)
            continue;
        w->sym[p] = id;
        w->sym[q] = -1;
        w->next[p] = w->next[q];
        if (w->next[q] >= 0)
            w->prev[w->next[q]] = p;
        queue_pair(b, w, w->prev[p]);
        queue_pair(b, w, p);
    }
    int count = 0;
    for (int i = 0; i >= 0; i = w->next[i])
        w->prev[count++] = w->sym[i];
    return count;
}

/* ---------------------------------------------------------------- the per-call cache */

static uint64_t word_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h ^ (h >> 32);
}

/* The slot of s[0..n): its entry, or the empty slot where it would go. */
static cache_slot *cache_find(const scratch *w, const char *s, size_t n)
{
    for (size_t i = word_hash(s, n) & w->cache_mask;; i = (i + 1) & w->cache_mask) {
        cache_slot *c = &w->cache[i];
        if (!c->word || (c->len == n && memcmp(c->word, s, n) == 0))
            return c;
    }
}

/* Double the table (at first, room for the text's words up to 4096 slots: a short text
 * must not pay for clearing a big table); 0 when at its limit or out of memory. */
static int cache_grow(scratch *w)
{
    size_t old_n = w->cache ? w->cache_mask + 1 : 0, slots = old_n ? 2 * old_n : 64;
    while (!old_n && slots < 4096 && slots < w->text_len / 2)
        slots *= 2;
    cache_slot *old = w->cache, *table = slots <= CACHE_SLOTS_MAX ? calloc(slots, sizeof *table)
                                                                   : NULL;
    if (!table)
        return 0;
    w->cache = table;
    w->cache_mask = slots - 1;
    for (size_t i = 0; i < old_n; i++)
        if (old[i].word)
            *cache_find(w, old[i].word, old[i].len) = old[i];
    free(old);
    return 1;
}

/* Remember the ids of s[0..n) (w->prev[0..count)); skipped when full or out of memory,
 * which costs only speed: the word is merged again next time, to the same ids. */
static void cache_add(scratch *w, const char *s, size_t n, int count)
{
    if (2 * (w->cache_used + 1) > w->cache_mask + 1 && !cache_grow(w))
        return;
    if (w->cache_ids_len + (size_t)count > w->cache_ids_cap) {
        size_t cap = 2 * (w->cache_ids_len + (size_t)count) + 1024;
        int *ids = realloc(w->cache_ids, cap * sizeof *ids);
        if (!ids)
            return;
        w->cache_ids = ids;
        w->cache_ids_cap = cap;
    }
    cache_slot *c = cache_find(w, s, n);
    *c = (cache_slot){s, (uint32_t)n, (uint32_t)w->cache_ids_len, (uint32_t)count};
    memcpy(w->cache_ids + w->cache_ids_len, w->prev, (size_t)count * sizeof *w->prev);
    w->cache_ids_len += (size_t)count;
    w->cache_used++;
}

/* Emit a cached pre-token's ids; 0 when it is not cached. */
static int cache_emit(scratch *w, const char *s, size_t n)
{
    if (!w->cache && !cache_grow(w)) {
        w->use_cache = 0;
        return 0;
    }
    const cache_slot *c = cache_find(w, s, n);
    if (!c->word)
        return 0;
    for (uint32_t k = 0; k < c->n; k++)
        emit(w, w->cache_ids[c->off + k]);
    return 1;
}

static void encode_word(const bn_bpe *b, scratch *w, const char *s, size_t n)
{
    if (n == 1) {
        emit(w, b->byte_id[(unsigned char)s[0]]);
        return;
    }
    if (b->ignore_merges) {
        int id = bn_bpe_lookup(b, s, n);
        if (id >= 0) {
            emit(w, id);
            return;
        }
    }
    if (!grow(w, n))
        return;
    int cached = w->use_cache && n <= CACHE_WORD_MAX;
    if (cached && cache_emit(w, s, n))
        return;
    int count = merge_word(b, w, (const unsigned char *)s, (int)n);
    for (int k = 0; k < count; k++)
        emit(w, w->prev[k]);
    if (cached && w->use_cache)
        cache_add(w, s, n, count);
}

/* A stretch of text between added tokens: pre-tokens, each merged. */
static void encode_stretch(const bn_bpe *b, scratch *w, bn_pretok_scan *sc, const char *s,
                           size_t n)
{
    if (n == 0 || w->st != BN_OK)
        return;
    char *spaced = NULL;
    if (b->add_prefix_space && s[0] != ' ') {
        if (n == SIZE_MAX || (spaced = malloc(n + 1)) == NULL) {
            fail_nomem(w, "the copy with a prefix space", n == SIZE_MAX ? n : n + 1);
            return;
        }
        spaced[0] = ' ';
        memcpy(spaced + 1, s, n);
        s = spaced;
        n++;
    }
    size_t start, len;
    bn_pretok_scan_reset(sc, s, n);
    while (w->st == BN_OK && bn_pretok_next(sc, &start, &len))
        encode_word(b, w, s + start, len);
    if (w->st == BN_OK)
        w->st = bn_pretok_scan_status(sc, w->err);
    free(spaced);
}

/* The added token at s[0..n), longest first, or -1. */
static int added_at(const bn_bpe *b, const char *s, size_t n)
{
    for (int i = 0; i < b->n_added; i++) {
        int id = b->added[i];
        if (b->len[id] <= n && memcmp(b->blob + b->off[id], s, b->len[id]) == 0)
            return id;
    }
    return -1;
}

bn_status bn_bpe_encode(const bn_tokenizer *t, const char *s, size_t n, int *ids, size_t cap,
                        size_t *count, bn_error *err)
{
    const bn_bpe *b = t->bpe;
    scratch w = {.ids = ids, .ids_cap = cap, .use_cache = !b->add_prefix_space,
                 .text_len = n, .err = err};
    bn_pretok_scan *sc = bn_pretok_scan_new(b->pre, s, n);
    if (!sc)
        fail_nomem(&w, "the pre-tokenizer's match data", bn_pretok_scan_bytes(b->pre));
    size_t from = 0;
    for (size_t i = 0; i < n && w.st == BN_OK; i++) {
        if (!b->first[(unsigned char)s[i]])
            continue;
        int id = added_at(b, s + i, n - i);
        if (id < 0)
            continue;
        encode_stretch(b, &w, sc, s + from, i - from);
        emit(&w, id);
        i += b->len[id] - 1;
        from = i + 1;
    }
    encode_stretch(b, &w, sc, s + from, n - from);
    bn_pretok_scan_free(sc);
    free(w.sym);
    free(w.next);
    free(w.prev);
    free(w.heap);
    free(w.cache);
    free(w.cache_ids);
    *count = w.st == BN_OK ? w.count : 0;
    return w.st;
}
