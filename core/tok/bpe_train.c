/* bpe_train.c - Hugging Face BpeTrainer's merge loop, in C (README, "Training a
 * tokenizer"). The structures follow its trainer so that the same text gives the same
 * merges: the queue entries carry the set of words their pair was seen in (as its Merge
 * does), stale counts are refreshed when popped, and a merge only rescans those words. */
#include "tok/bpe_train.h"

#include <stdlib.h>
#include <string.h>

#include "tok/bpe.h"
#include "tok/bytelevel.h"

/* ---- a map uint64 -> int64 (pair counts, pair -> slot), open addressing ---- */

typedef struct {
    uint64_t *keys; /* key + 1; 0 = empty */
    int64_t *vals;
    size_t cap, n;
} u64map;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static int map_init(u64map *m, size_t cap)
{
    m->cap = cap;
    m->n = 0;
    m->keys = calloc(cap, sizeof *m->keys);
    m->vals = calloc(cap, sizeof *m->vals);
    return m->keys && m->vals ? 0 : -1;
}

static void map_free(u64map *m)
{
    free(m->keys);
    free(m->vals);
}

static size_t map_find(const u64map *m, uint64_t key)
{
    size_t j = mix64(key) & (m->cap - 1);
    while (m->keys[j] && m->keys[j] != key + 1)
        j = (j + 1) & (m->cap - 1);
    return j;
}

static int map_grow(u64map *m)
{
    u64map g;
    if (map_init(&g, m->cap * 2) != 0) {
        map_free(&g);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i]) {
            size_t j = map_find(&g, m->keys[i] - 1);
            g.keys[j] = m->keys[i];
            g.vals[j] = m->vals[i];
        }
    g.n = m->n;
    map_free(m);
    *m = g;
    return 0;
}

/* The value slot of key, inserted as 0 when absent; NULL when out of memory. */
static int64_t *map_at(u64map *m, uint64_t key)
{
    size_t j = map_find(m, key);
    if (!m->keys[j]) {
        if (m->n + 1 >= m->cap / 2) {
            if (map_grow(m) != 0)
                return NULL;
            j = map_find(m, key);
        }
        m->keys[j] = key + 1;
        m->vals[j] = 0;
        m->n++;
    }
    return &m->vals[j];
}

static int64_t map_get(const u64map *m, uint64_t key)
{
    size_t j = map_find(m, key);
    return m->keys[j] ? m->vals[j] : 0;
}

static uint64_t pair_key(uint32_t a, uint32_t b) { return (uint64_t)a << 32 | b; }

/* ---- the vocabulary: id -> string and string -> id ---- */

typedef struct {
    char **str;
    size_t *len;
    int n, cap;
    int32_t *slot; /* string hash table of ids, -1 = empty; size slot_cap */
    size_t slot_cap;
} vocab;

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return mix64(h);
}

static size_t vocab_find(const vocab *v, const char *s, size_t n)
{
    size_t j = hash_str(s, n) & (v->slot_cap - 1);
    for (; v->slot[j] >= 0; j = (j + 1) & (v->slot_cap - 1)) {
        int id = v->slot[j];
        if (v->len[id] == n && memcmp(v->str[id], s, n) == 0)
            break;
    }
    return j;
}

static int vocab_init(vocab *v, int cap)
{
    memset(v, 0, sizeof *v);
    v->cap = cap;
    v->slot_cap = 1;
    while (v->slot_cap < (size_t)cap * 2)
        v->slot_cap *= 2;
    v->str = calloc((size_t)cap, sizeof *v->str);
    v->len = calloc((size_t)cap, sizeof *v->len);
    v->slot = malloc(v->slot_cap * sizeof *v->slot);
    if (!v->str || !v->len || !v->slot)
        return -1;
    memset(v->slot, 0xff, v->slot_cap * sizeof *v->slot);
    return 0;
}

static void vocab_free(vocab *v)
{
    for (int i = 0; v->str && i < v->n; i++)
        free(v->str[i]);
    free(v->str);
    free(v->len);
    free(v->slot);
}

/* The id of string a+b (b may be empty), added when new; -1 when out of memory. The
 * vocabulary never holds more than cap strings (the loop stops at vocab_size). */
static int vocab_id(vocab *v, const char *a, size_t na, const char *b, size_t nb)
{
    char *s = malloc(na + nb + 1);
    if (!s)
        return -1;
    memcpy(s, a, na);
    memcpy(s + na, b, nb);
    s[na + nb] = '\0';
    size_t j = vocab_find(v, s, na + nb);
    if (v->slot[j] >= 0) {
        free(s);
        return v->slot[j];
    }
    v->str[v->n] = s;
    v->len[v->n] = na + nb;
    v->slot[j] = v->n;
    return v->n++;
}

/* ---- the words: symbol ids per word, shrinking in place as pairs merge ---- */

typedef struct {
    uint32_t *sym;
    size_t *start;
    uint32_t *len;
    const int64_t *count;
    size_t n;
} word_set;

static int words_init(word_set *ws, const bn_bpe_word_list *wl, const int32_t byte_id[256])
{
    size_t total = 0;
    for (size_t i = 0; i < wl->n; i++)
        total += wl->len[i];
    ws->n = wl->n;
    ws->count = wl->count;
    ws->sym = malloc((total ? total : 1) * sizeof *ws->sym);
    ws->start = malloc((wl->n ? wl->n : 1) * sizeof *ws->start);
    ws->len = malloc((wl->n ? wl->n : 1) * sizeof *ws->len);
    if (!ws->sym || !ws->start || !ws->len)
        return -1;
    size_t at = 0;
    for (size_t i = 0; i < wl->n; i++) {
        ws->start[i] = at;
        ws->len[i] = wl->len[i];
        for (uint32_t k = 0; k < wl->len[i]; k++)
            ws->sym[at++] = (uint32_t)byte_id[(unsigned char)wl->bytes[i][k]];
    }
    return 0;
}

static void words_free(word_set *ws)
{
    free(ws->sym);
    free(ws->start);
    free(ws->len);
}

/* ---- sets of word indices (a queue entry's words) ---- */

typedef struct {
    uint32_t *idx;
    size_t n, cap;
} posv;

static int posv_add(posv *p, uint32_t w)
{
    if (p->n && p->idx[p->n - 1] == w) /* a word's changes come together: no repeat */
        return 0;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4;
        uint32_t *x = realloc(p->idx, cap * sizeof *x);
        if (!x)
            return -1;
        p->idx = x;
        p->cap = cap;
    }
    p->idx[p->n++] = w;
    return 0;
}

/* ---- the priority queue: highest count first, then the smallest (left, right) ---- */

typedef struct {
    int64_t count;
    uint32_t a, b;
    int32_t pos; /* its word set */
} qentry;

static int before(const qentry *x, const qentry *y)
{
    if (x->count != y->count)
        return x->count > y->count;
    return x->a != y->a ? x->a < y->a : x->b < y->b;
}

typedef struct {
    vocab v;
    word_set ws;
    u64map pc;    /* pair -> count */
    posv *pos;    /* word sets, indexed by qentry.pos */
    int32_t n_pos, cap_pos, *free_pos, n_free;
    qentry *heap;
    size_t hn, hcap;
    u64map fresh; /* pairs formed by this merge -> word set */
    uint64_t *fresh_keys;
    size_t n_fresh, cap_fresh;
    int32_t *merges;
    int n_merges, cap_merges;
} trainer;

static int grow_merges(trainer *t)
{
    int cap = t->cap_merges ? t->cap_merges * 2 : 1024;
    int32_t *m = realloc(t->merges, (size_t)cap * 2 * sizeof *m);
    if (!m)
        return -1;
    t->merges = m;
    t->cap_merges = cap;
    return 0;
}

static int heap_push(trainer *t, qentry e)
{
    if (t->hn == t->hcap) {
        size_t cap = t->hcap ? t->hcap * 2 : 1024;
        qentry *h = realloc(t->heap, cap * sizeof *h);
        if (!h)
            return -1;
        t->heap = h;
        t->hcap = cap;
    }
    size_t i = t->hn++;
    while (i > 0 && before(&e, &t->heap[(i - 1) / 2])) {
        t->heap[i] = t->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    t->heap[i] = e;
    return 0;
}

static qentry heap_pop(trainer *t)
{
    qentry top = t->heap[0], last = t->heap[--t->hn];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= t->hn)
            break;
        if (c + 1 < t->hn && before(&t->heap[c + 1], &t->heap[c]))
            c++;
        if (!before(&t->heap[c], &last))
            break;
        t->heap[i] = t->heap[c];
        i = c;
    }
    if (t->hn)
        t->heap[i] = last;
    return top;
}

/* A fresh, empty word set: its index, or -1 when out of memory. */
static int32_t pos_new(trainer *t)
{
    if (t->n_free)
        return t->free_pos[--t->n_free];
    if (t->n_pos == t->cap_pos) {
        int32_t cap = t->cap_pos ? t->cap_pos * 2 : 1024;
        posv *p = realloc(t->pos, (size_t)cap * sizeof *p);
        int32_t *f = realloc(t->free_pos, (size_t)cap * sizeof *f);
        if (p)
            t->pos = p;
        if (f)
            t->free_pos = f;
        if (!p || !f)
            return -1;
        t->cap_pos = cap;
    }
    t->pos[t->n_pos] = (posv){NULL, 0, 0};
    return t->n_pos++;
}

static void pos_release(trainer *t, int32_t p)
{
    t->pos[p].n = 0;
    t->free_pos[t->n_free++] = p;
}

/* Note that pair (a, b) appeared in word w during this merge. */
static int fresh_add(trainer *t, uint32_t a, uint32_t b, uint32_t w)
{
    uint64_t key = pair_key(a, b);
    int64_t *slot = map_at(&t->fresh, key);
    if (!slot)
        return -1;
    if (*slot == 0) {
        int32_t p = pos_new(t);
        if (p < 0)
            return -1;
        *slot = p + 1;
        if (t->n_fresh == t->cap_fresh) {
            size_t cap = t->cap_fresh ? t->cap_fresh * 2 : 256;
            uint64_t *k = realloc(t->fresh_keys, cap * sizeof *k);
            if (!k)
                return -1;
            t->fresh_keys = k;
            t->cap_fresh = cap;
        }
        t->fresh_keys[t->n_fresh++] = key;
    }
    return posv_add(&t->pos[*slot - 1], w);
}

/* Empty the fresh map: every key in it is in fresh_keys, so zeroing each key's whole
 * probe cluster clears exactly the map. */
static void fresh_clear(trainer *t)
{
    u64map *m = &t->fresh;
    if (t->n_fresh * 8 > m->cap) {
        memset(m->keys, 0, m->cap * sizeof *m->keys);
    } else {
        for (size_t i = 0; i < t->n_fresh; i++)
            for (size_t j = mix64(t->fresh_keys[i]) & (m->cap - 1); m->keys[j];
                 j = (j + 1) & (m->cap - 1))
                m->keys[j] = 0;
    }
    m->n = 0;
    t->n_fresh = 0;
}

static int change(trainer *t, uint32_t a, uint32_t b, int64_t delta, uint32_t w)
{
    int64_t *c = map_at(&t->pc, pair_key(a, b));
    if (!c)
        return -1;
    *c += delta;
    return delta > 0 ? fresh_add(t, a, b, w) : 0;
}

/* Merge every (a, b) in word w, left to right, into c; the pair counts follow (Hugging
 * Face's Word::merge, the same changes in the same order). */
static int merge_word(trainer *t, uint32_t w, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t *s = t->ws.sym + t->ws.start[w], n = t->ws.len[w];
    int64_t cnt = t->ws.count[w];
    int bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (s[i] != a || i + 1 >= n || s[i + 1] != b)
            continue;
        if (i > 0)
            bad |= change(t, s[i - 1], a, -cnt, w) | change(t, s[i - 1], c, cnt, w);
        s[i] = c;
        memmove(s + i + 1, s + i + 2, (size_t)(n - i - 2) * sizeof *s);
        n--;
        if (i + 1 < n)
            bad |= change(t, b, s[i + 1], -cnt, w) | change(t, c, s[i + 1], cnt, w);
    }
    t->ws.len[w] = n;
    return bad;
}

/* Queue the pairs this merge formed, with their words. */
static int push_fresh(trainer *t)
{
    for (size_t i = 0; i < t->n_fresh; i++) {
        uint64_t key = t->fresh_keys[i];
        int32_t p = (int32_t)map_get(&t->fresh, key) - 1;
        int64_t count = map_get(&t->pc, key);
        if (count <= 0)
            pos_release(t, p);
        else if (heap_push(t, (qentry){count, (uint32_t)(key >> 32), (uint32_t)key, p}) != 0)
            return -1;
    }
    fresh_clear(t);
    return 0;
}

/* One merge of the top pair; 1 when done, 0 when there is nothing left to merge, -1 out
 * of memory. */
static int merge_step(trainer *t)
{
    qentry top = heap_pop(t);
    int64_t cur = map_get(&t->pc, pair_key(top.a, top.b));
    if (top.count != cur) { /* stale: requeue with the count of now */
        top.count = cur;
        return heap_push(t, top) == 0 ? 1 : -1;
    }
    if (top.count < 1) {
        pos_release(t, top.pos);
        return 0;
    }
    int id = vocab_id(&t->v, t->v.str[top.a], t->v.len[top.a], t->v.str[top.b],
                      t->v.len[top.b]);
    if (id < 0)
        return -1;
    if (t->n_merges == t->cap_merges && grow_merges(t) != 0)
        return -1;
    t->merges[2 * t->n_merges] = (int32_t)top.a;
    t->merges[2 * t->n_merges + 1] = (int32_t)top.b;
    t->n_merges++;
    for (size_t i = 0; i < t->pos[top.pos].n; i++) /* t->pos may move as sets are made */
        if (merge_word(t, t->pos[top.pos].idx[i], top.a, top.b, (uint32_t)id) != 0)
            return -1;
    pos_release(t, top.pos);
    return push_fresh(t) == 0 ? 1 : -1;
}

/* ---- setting up and finishing ---- */

/* Special tokens, then the byte-level alphabet in code point order (Hugging Face's
 * compute_alphabet sorts it so); byte_id maps each byte to its symbol. */
static int initial_vocab(trainer *t, const bn_bpe_specials *sp, int32_t byte_id[256])
{
    for (int k = 0; k < sp->n; k++)
        if (vocab_id(&t->v, sp->tokens[k], strlen(sp->tokens[k]), "", 0) < 0)
            return -1;
    for (unsigned cp = 0; cp < 0x200; cp++) { /* every image is below U+0200 */
        int b = bn_bytelevel_byte(cp);
        if (b < 0)
            continue;
        char u[BN_BYTELEVEL_MAX];
        unsigned char byte = (unsigned char)b;
        size_t n = bn_bytelevel_encode((const char *)&byte, 1, u);
        if ((byte_id[b] = vocab_id(&t->v, u, n, "", 0)) < 0)
            return -1;
    }
    return 0;
}

/* Count every pair of every word and queue them with their word sets. */
static int count_pairs(trainer *t)
{
    for (size_t w = 0; w < t->ws.n; w++) {
        const uint32_t *s = t->ws.sym + t->ws.start[w];
        for (uint32_t i = 0; i + 1 < t->ws.len[w]; i++)
            if (change(t, s[i], s[i + 1], t->ws.count[w], (uint32_t)w) != 0)
                return -1;
    }
    return push_fresh(t);
}

static void trainer_free(trainer *t)
{
    vocab_free(&t->v);
    words_free(&t->ws);
    map_free(&t->pc);
    map_free(&t->fresh);
    for (int32_t i = 0; i < t->n_pos; i++)
        free(t->pos[i].idx);
    free(t->pos);
    free(t->free_pos);
    free(t->heap);
    free(t->fresh_keys);
    free(t->merges);
}

/* A pair merged twice keeps its last rank only, as a saved tokenizer.json has it (the
 * merges are a map pair -> rank there). */
static int dedupe_merges(trainer *t)
{
    u64map seen;
    if (map_init(&seen, 1024) != 0) {
        map_free(&seen);
        return -1;
    }
    int keep = t->n_merges;
    for (int r = t->n_merges - 1; r >= 0; r--) {
        int64_t *s = map_at(&seen, pair_key((uint32_t)t->merges[2 * r],
                                            (uint32_t)t->merges[2 * r + 1]));
        if (!s) {
            map_free(&seen);
            return -1;
        }
        if (*s)
            continue;
        *s = 1;
        keep--;
        t->merges[2 * keep] = t->merges[2 * r];
        t->merges[2 * keep + 1] = t->merges[2 * r + 1];
    }
    if (keep > 0)
        memmove(t->merges, t->merges + 2 * keep,
                (size_t)(t->n_merges - keep) * 2 * sizeof *t->merges);
    t->n_merges -= keep;
    map_free(&seen);
    return 0;
}

static int trainer_init(trainer *t, const bn_bpe_word_list *wl, const bn_bpe_train_opts *o)
{
    size_t total = 0;
    for (size_t i = 0; i < wl->n; i++)
        total += wl->len[i];
    /* a merge that adds a token removes at least one symbol from the words */
    size_t cap = (size_t)o->specials.n + 256 + total;
    if (cap > (size_t)o->vocab_size)
        cap = (size_t)o->vocab_size;
    int32_t byte_id[256];
    if (vocab_init(&t->v, (int)cap) != 0 || map_init(&t->pc, 4096) != 0 ||
        map_init(&t->fresh, 1024) != 0 || initial_vocab(t, &o->specials, byte_id) != 0 ||
        words_init(&t->ws, wl, byte_id) != 0)
        return -1;
    return count_pairs(t);
}

/* The merge loop until vocab_size or nothing left with a count. */
static int merge_all(trainer *t, const bn_bpe_train_opts *o)
{
    int target = o->vocab_size - t->v.n, start = t->v.n;
    while (t->v.n < o->vocab_size && t->hn > 0) {
        int before_merges = t->n_merges;
        int r = merge_step(t);
        if (r <= 0)
            return r;
        if (o->progress && t->n_merges != before_merges && t->n_merges % 256 == 0)
            o->progress(o->progress_ctx, t->v.n - start, target);
    }
    return 0;
}

bn_status bn_bpe_train(bn_bpe_words *w, const bn_bpe_train_opts *opts, bn_bpe_model *out,
                       bn_error *err)
{
    memset(out, 0, sizeof *out);
    if (opts->vocab_size < opts->specials.n + 256)
        return bn_fail(err, BN_ERR_INPUT,
                       "--vocab-size %d: must be at least %d (%d special tokens + 256 bytes)",
                       opts->vocab_size, opts->specials.n + 256, opts->specials.n);
    bn_bpe_word_list wl;
    bn_status st = bn_bpe_words_sorted(w, &wl, err);
    if (st != BN_OK)
        return st;
    if (wl.n == 0)
        return bn_fail(err, BN_ERR_INPUT, "tokenizer training: the corpus is empty "
                       "(no text besides special tokens)");
    trainer t;
    memset(&t, 0, sizeof t);
    if (trainer_init(&t, &wl, opts) != 0 || merge_all(&t, opts) != 0 ||
        dedupe_merges(&t) != 0) {
        trainer_free(&t);
        return bn_fail(err, BN_ERR_NOMEM, "tokenizer training: out of memory");
    }
    if (opts->progress)
        opts->progress(opts->progress_ctx, t.n_merges, t.n_merges);
    *out = (bn_bpe_model){t.v.n, opts->specials.n, t.v.str, t.n_merges, t.merges};
    t.v.str = NULL; /* now the model's */
    t.merges = NULL;
    t.v.n = 0;
    trainer_free(&t);
    return BN_OK;
}

void bn_bpe_model_free(bn_bpe_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_tokens; i++)
        free(m->tokens[i]);
    free(m->tokens);
    free(m->merges);
    memset(m, 0, sizeof *m);
}

/* ---- the model as a tokenizer ---- */

/* Raw bytes of every token: special tokens as they are, the others byte-level decoded. */
static int raw_pieces(const bn_bpe_model *m, char **pieces, size_t *lens)
{
    for (int i = 0; i < m->n_tokens; i++) {
        size_t n = strlen(m->tokens[i]);
        if (!(pieces[i] = malloc(n + 1)))
            return -1;
        long r = i < m->n_specials ? (long)n : bn_bytelevel_decode(m->tokens[i], n, pieces[i]);
        if (i < m->n_specials)
            memcpy(pieces[i], m->tokens[i], n);
        if (r <= 0)
            return -1;
        lens[i] = (size_t)r;
    }
    return 0;
}

bn_status bn_bpe_model_tokenizer(const bn_bpe_model *m, bn_tokenizer **out, bn_error *err)
{
    char **pieces = calloc((size_t)m->n_tokens, sizeof *pieces);
    size_t *lens = calloc((size_t)m->n_tokens, sizeof *lens);
    int *specials = calloc((size_t)m->n_specials + 1, sizeof *specials);
    int *merges = malloc(((size_t)m->n_merges * 2 + 1) * sizeof *merges);
    bn_status st = BN_OK;
    if (!pieces || !lens || !specials || !merges || raw_pieces(m, pieces, lens) != 0) {
        st = bn_fail(err, BN_ERR_NOMEM, "tokenizer training: out of memory");
    } else {
        for (int i = 0; i < m->n_specials; i++)
            specials[i] = i;
        for (int i = 0; i < 2 * m->n_merges; i++)
            merges[i] = m->merges[i];
        st = bn_tok_bpe_from_merges(out, (const char *const *)pieces, lens, m->n_tokens,
                                    merges, m->n_merges, specials, m->n_specials, err);
    }
    for (int i = 0; pieces && i < m->n_tokens; i++)
        free(pieces[i]);
    free(pieces);
    free(lens);
    free(specials);
    free(merges);
    return st;
}
