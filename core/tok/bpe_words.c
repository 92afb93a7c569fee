/* bpe_words.c - the word -> count table and the line-by-line counting of a text
 * (README, "Training a tokenizer"). */
#include "tok/bpe_words.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t hash;
    size_t off;   /* into the arena */
    uint32_t len;
    int64_t count; /* 0: empty slot */
} word_slot;

struct bn_bpe_words {
    word_slot *slots;
    size_t cap, n; /* cap a power of two, n < cap / 2 */
    char *arena;
    size_t arena_len, arena_cap;
    /* the sorted view (bn_bpe_words_sorted), rebuilt after a change */
    const char **s_bytes;
    uint32_t *s_len;
    int64_t *s_count;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

bn_bpe_words *bn_bpe_words_new(void)
{
    bn_bpe_words *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->cap = 1024;
    w->slots = calloc(w->cap, sizeof *w->slots);
    if (!w->slots) {
        free(w);
        return NULL;
    }
    return w;
}

static void drop_sorted(bn_bpe_words *w)
{
    free(w->s_bytes);
    free(w->s_len);
    free(w->s_count);
    w->s_bytes = NULL;
    w->s_len = NULL;
    w->s_count = NULL;
}

void bn_bpe_words_free(bn_bpe_words *w)
{
    if (!w)
        return;
    drop_sorted(w);
    free(w->slots);
    free(w->arena);
    free(w);
}

size_t bn_bpe_words_size(const bn_bpe_words *w) { return w->n; }

static int grow_slots(bn_bpe_words *w)
{
    size_t cap = w->cap * 2;
    word_slot *s = calloc(cap, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < w->cap; i++) {
        if (!w->slots[i].count)
            continue;
        size_t j = w->slots[i].hash & (cap - 1);
        while (s[j].count)
            j = (j + 1) & (cap - 1);
        s[j] = w->slots[i];
    }
    free(w->slots);
    w->slots = s;
    w->cap = cap;
    return 0;
}

static int arena_put(bn_bpe_words *w, const char *s, size_t n, size_t *off)
{
    if (w->arena_len + n > w->arena_cap) {
        size_t cap = w->arena_cap ? w->arena_cap * 2 : 65536;
        while (cap < w->arena_len + n)
            cap *= 2;
        char *a = realloc(w->arena, cap);
        if (!a)
            return -1;
        w->arena = a;
        w->arena_cap = cap;
    }
    memcpy(w->arena + w->arena_len, s, n);
    *off = w->arena_len;
    w->arena_len += n;
    return 0;
}

static bn_status add_hashed(bn_bpe_words *w, const char *s, size_t n, uint64_t h,
                            int64_t count, bn_error *err)
{
    size_t j = h & (w->cap - 1);
    for (; w->slots[j].count; j = (j + 1) & (w->cap - 1)) {
        word_slot *sl = &w->slots[j];
        if (sl->hash == h && sl->len == n && memcmp(w->arena + sl->off, s, n) == 0) {
            sl->count += count;
            return BN_OK;
        }
    }
    size_t off;
    if (n > UINT32_MAX || arena_put(w, s, n, &off) != 0)
        return bn_fail(err, BN_ERR_NOMEM, "tokenizer training: out of memory for words");
    w->slots[j] = (word_slot){h, off, (uint32_t)n, count};
    if (++w->n >= w->cap / 2 && grow_slots(w) != 0)
        return bn_fail(err, BN_ERR_NOMEM, "tokenizer training: out of memory for words");
    drop_sorted(w);
    return BN_OK;
}

bn_status bn_bpe_words_add(bn_bpe_words *w, const char *s, size_t n, int64_t count,
                           bn_error *err)
{
    return add_hashed(w, s, n, hash_bytes(s, n), count, err);
}

bn_status bn_bpe_words_merge(bn_bpe_words *into, const bn_bpe_words *from, bn_error *err)
{
    for (size_t i = 0; i < from->cap; i++) {
        const word_slot *sl = &from->slots[i];
        if (!sl->count)
            continue;
        bn_status st = add_hashed(into, from->arena + sl->off, sl->len, sl->hash, sl->count,
                                  err);
        if (st != BN_OK)
            return st;
    }
    return BN_OK;
}

typedef struct {
    const char *bytes;
    uint32_t len;
    int64_t count;
} word_ref;

static int cmp_words(const void *pa, const void *pb)
{
    const word_ref *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->bytes, b->bytes, n);
    if (c)
        return c;
    return (a->len > b->len) - (a->len < b->len);
}

/* Fill the sorted view from refs (sorted). */
static int fill_sorted(bn_bpe_words *w, const word_ref *refs)
{
    size_t n = w->n ? w->n : 1;
    w->s_bytes = malloc(n * sizeof *w->s_bytes);
    w->s_len = malloc(n * sizeof *w->s_len);
    w->s_count = malloc(n * sizeof *w->s_count);
    if (!w->s_bytes || !w->s_len || !w->s_count) {
        drop_sorted(w);
        return -1;
    }
    for (size_t i = 0; i < w->n; i++) {
        w->s_bytes[i] = refs[i].bytes;
        w->s_len[i] = refs[i].len;
        w->s_count[i] = refs[i].count;
    }
    return 0;
}

bn_status bn_bpe_words_sorted(bn_bpe_words *w, bn_bpe_word_list *out, bn_error *err)
{
    if (!w->s_bytes) {
        word_ref *refs = malloc((w->n ? w->n : 1) * sizeof *refs);
        if (!refs)
            return bn_fail(err, BN_ERR_NOMEM, "tokenizer training: out of memory");
        size_t k = 0;
        for (size_t i = 0; i < w->cap; i++)
            if (w->slots[i].count)
                refs[k++] = (word_ref){w->arena + w->slots[i].off, w->slots[i].len,
                                       w->slots[i].count};
        qsort(refs, k, sizeof *refs, cmp_words);
        int bad = fill_sorted(w, refs);
        free(refs);
        if (bad)
            return bn_fail(err, BN_ERR_NOMEM, "tokenizer training: out of memory");
    }
    *out = (bn_bpe_word_list){w->n, w->s_bytes, w->s_len, w->s_count};
    return BN_OK;
}

/* ---- counting ---- */

/* The first occurrence of t[0..tl) in s[0..n), or NULL. */
static const char *find_bytes(const char *s, size_t n, const char *t, size_t tl)
{
    const char *end = s + n;
    while ((size_t)(end - s) >= tl) {
        const char *hit = memchr(s, t[0], (size_t)(end - s) - tl + 1);
        if (!hit)
            return NULL;
        if (memcmp(hit, t, tl) == 0)
            return hit;
        s = hit + 1;
    }
    return NULL;
}

/* The first special token in s[0..n): its start, or n when none; the longest wins a tie
 * (Hugging Face's added-token matching is leftmost-longest). */
static size_t find_special(const bn_bpe_specials *sp, const char *s, size_t n, size_t *len)
{
    size_t best = n;
    *len = 0;
    for (int k = 0; sp && k < sp->n; k++) {
        size_t kl = strlen(sp->tokens[k]);
        if (!kl || kl > n)
            continue;
        const char *hit = find_bytes(s, best < n ? best + kl : n, sp->tokens[k], kl);
        if (!hit)
            continue;
        size_t at = (size_t)(hit - s);
        if (at < best || (at == best && kl > *len)) {
            best = at;
            *len = kl;
        }
    }
    return best;
}

/* The pre-tokens of s[0..n) into w. */
static bn_status count_stretch(bn_bpe_words *w, bn_pretok_scan *sc, const char *s, size_t n,
                               bn_error *err)
{
    size_t start, len;
    bn_pretok_scan_reset(sc, s, n);
    while (bn_pretok_next(sc, &start, &len)) {
        bn_status st = bn_bpe_words_add(w, s + start, len, 1, err);
        if (st != BN_OK)
            return st;
    }
    return bn_pretok_scan_status(sc, err);
}

/* One line: the stretches between special tokens, each pre-tokenized on its own. */
static bn_status count_line(bn_bpe_words *w, bn_pretok_scan *sc, const bn_bpe_specials *sp,
                            const char *s, size_t n, bn_error *err)
{
    while (n > 0) {
        size_t sl, at = find_special(sp, s, n, &sl);
        if (at > 0) {
            bn_status st = count_stretch(w, sc, s, at, err);
            if (st != BN_OK)
                return st;
        }
        if (at == n)
            break;
        s += at + sl;
        n -= at + sl;
    }
    return BN_OK;
}

bn_status bn_bpe_count_text(bn_bpe_words *w, const bn_pretok *p, const bn_bpe_specials *sp,
                            const char *text, size_t n, bn_error *err)
{
    bn_pretok_scan *sc = bn_pretok_scan_new(p, text, 0);
    if (!sc)
        return bn_fail(err, BN_ERR_NOMEM, "tokenizer training: out of memory");
    bn_status st = BN_OK;
    size_t i = 0;
    while (i < n && st == BN_OK) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - text) + 1 : n; /* the line keeps its "\n" */
        st = count_line(w, sc, sp, text + i, end - i, err);
        i = end;
    }
    bn_pretok_scan_free(sc);
    return st;
}

/* ---- counting in parallel ---- */

typedef struct {
    const bn_pretok *p;
    const bn_bpe_specials *sp;
    const char *text;
    size_t *cut; /* range t is text[cut[t]..cut[t+1]) */
    bn_bpe_words **tables;
    bn_error *errs;
    bn_status *status;
} count_job;

static void count_range(void *ctx, int begin, int end, int thread_index)
{
    count_job *j = ctx;
    (void)thread_index;
    for (int t = begin; t < end; t++)
        j->status[t] = bn_bpe_count_text(j->tables[t], j->p, j->sp, j->text + j->cut[t],
                                         j->cut[t + 1] - j->cut[t], &j->errs[t]);
}

/* Cut text[0..n) into k ranges ending just after a "\n" (or at n). */
static void cut_lines(const char *text, size_t n, int k, size_t *cut)
{
    cut[0] = 0;
    for (int t = 1; t < k; t++) {
        size_t at = n / (size_t)k * (size_t)t;
        if (at < cut[t - 1])
            at = cut[t - 1];
        const char *nl = at < n ? memchr(text + at, '\n', n - at) : NULL;
        cut[t] = nl ? (size_t)(nl - text) + 1 : n;
    }
    cut[k] = n;
}

static bn_status merge_tables(bn_bpe_words *w, count_job *j, int k, bn_error *err)
{
    for (int t = 0; t < k; t++)
        if (j->status[t] != BN_OK) {
            if (err)
                *err = j->errs[t];
            return j->status[t];
        }
    for (int t = 0; t < k; t++) {
        bn_status st = bn_bpe_words_merge(w, j->tables[t], err);
        if (st != BN_OK)
            return st;
    }
    return BN_OK;
}

bn_status bn_bpe_count_parallel(bn_bpe_words *w, const bn_pretok *p,
                                const bn_bpe_specials *sp, bn_threadpool *pool,
                                const char *text, size_t n, bn_error *err)
{
    int k = bn_threadpool_size(pool);
    if (k == 1)
        return bn_bpe_count_text(w, p, sp, text, n, err);
    count_job j = {p, sp, text, calloc((size_t)k + 1, sizeof(size_t)),
                   calloc((size_t)k, sizeof(bn_bpe_words *)),
                   calloc((size_t)k, sizeof(bn_error)), calloc((size_t)k, sizeof(bn_status))};
    bn_status st = j.cut && j.tables && j.errs && j.status ? BN_OK : BN_ERR_NOMEM;
    for (int t = 0; t < k && st == BN_OK; t++)
        if (!(j.tables[t] = bn_bpe_words_new()))
            st = BN_ERR_NOMEM;
    if (st == BN_OK) {
        cut_lines(text, n, k, j.cut);
        bn_parallel_for(pool, k, count_range, &j);
        st = merge_tables(w, &j, k, err);
    } else {
        bn_fail(err, st, "tokenizer training: out of memory");
    }
    for (int t = 0; j.tables && t < k; t++)
        bn_bpe_words_free(j.tables[t]);
    free(j.cut);
    free(j.tables);
    free(j.errs);
    free(j.status);
    return st;
}
