/* prepare_encode.c - a block of documents encoded on the thread pool (README, "Preparing a
 * corpus"). Each lane takes a contiguous run of documents of about equal bytes, so the
 * order of the ids never depends on the thread count.
 *
 * Speed: the BPE encoder keeps a cache of merged words for the length of one call, so
 * a call per document (a TinyStories story is ~900 bytes) merges nearly every word anew.
 * Documents are therefore encoded in runs of up to RUN_BYTES, joined by the end-of-text
 * token's text: "<|endoftext|>doc<|endoftext|>doc...". That gives exactly the ids of one
 * call per document, because added tokens cut the text into stretches encoded on their
 * own, provided no added token's text occurs in a document or could run from its end into
 * the join (a "clean" document), and none extends the end-of-text text. Then the only
 * end-of-text ids in the output are the joins, and they mark where each document starts.
 * Other documents are encoded one call each. */
#include <stdlib.h>
#include <string.h>

#include "io/prepare_impl.h"
#include "tok/bpe.h"

#define RUN_BYTES (1u << 20)

/* The joins' text and which bytes start an added token; batch = 0 when joining would
 * change the ids (an added token longer than the end-of-text text begins with it). */
static void find_joins(bn_prep_encoder *e)
{
    int eot = e->eot;
    e->sep_len = bn_tok_piece(e->tok, eot, &e->sep);
    e->batch = e->sep_len > 0;
    for (int i = 0; i < bn_tok_bpe_n_added(e->tok); i++) {
        int special, id = bn_tok_bpe_added(e->tok, i, &special);
        const char *p;
        size_t n = bn_tok_piece(e->tok, id, &p);
        if (n > 0) {
            e->first[(unsigned char)p[0]] = 1;
            e->added[e->n_added] = p;
            e->added_len[e->n_added++] = n;
        }
        if (id != eot && n > e->sep_len && memcmp(p, e->sep, e->sep_len) == 0)
            e->batch = 0;
    }
}

bn_status bn_prep_encoder_init(bn_prep_encoder *e, const bn_tokenizer *tok, int eot,
                               int n_lanes, bn_error *err)
{
    memset(e, 0, sizeof *e);
    e->tok = tok;
    e->eot = (uint16_t)eot;
    e->n_lanes = n_lanes;
    e->lanes = calloc((size_t)n_lanes, sizeof *e->lanes);
    e->cut = calloc((size_t)n_lanes + 1, sizeof *e->cut);
    size_t n_added = (size_t)bn_tok_bpe_n_added(tok) + 1;
    e->added = calloc(n_added, sizeof *e->added);
    e->added_len = calloc(n_added, sizeof *e->added_len);
    if (!e->lanes || !e->cut || !e->added || !e->added_len)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory");
    find_joins(e);
    return BN_OK;
}

/* Lane boundaries: lane r starts at the first document past r / n_lanes of the bytes. */
static void cut_lanes(bn_prep_encoder *e, const bn_corpus_block *b)
{
    size_t total = 0, seen = 0, d = 0;
    for (size_t i = 0; i < b->n; i++)
        total += b->len[i];
    e->cut[0] = 0;
    for (int r = 1; r < e->n_lanes; r++) {
        size_t goal = (size_t)((double)total * r / e->n_lanes);
        while (d < b->n && seen < goal)
            seen += b->len[d++];
        e->cut[r] = d;
    }
    e->cut[e->n_lanes] = b->n;
}

static int grow_to(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 1;
    void *q = realloc(*p, need * size);
    if (!q)
        return 0;
    *p = q;
    *cap = need;
    return 1;
}

/* Room for documents [from, to): at most one id per byte, one more for a prefix space,
 * one for the end-of-text id; a run's joined text and ids (one per byte of the text plus
 * one prefix space per document). */
static bn_status reserve(bn_prep_lane *l, const bn_corpus_block *b, size_t from, size_t to)
{
    size_t need = 0, longest = 0;
    for (size_t i = from; i < to; i++) {
        need += b->len[i] + 2;
        longest = b->len[i] > longest ? b->len[i] : longest;
    }
    size_t ids = longest + 2 > 2 * RUN_BYTES ? longest + 2 : 2 * RUN_BYTES;
    return grow_to((void **)&l->tok, &l->cap, need, sizeof *l->tok) &&
                   grow_to((void **)&l->ids, &l->ids_cap, ids, sizeof *l->ids) &&
                   grow_to((void **)&l->join, &l->join_cap, RUN_BYTES, 1)
               ? BN_OK
               : BN_ERR_NOMEM;
}

/* Whether an added token's text starts at s[i]: whole, or cut by the document's end
 * (then joined text would let it run on into the separator). */
static int added_at(const bn_prep_encoder *e, const char *s, size_t n, size_t i)
{
    for (int k = 0; k < e->n_added; k++) {
        size_t len = e->added_len[k], have = n - i < len ? n - i : len;
        if (memcmp(s + i, e->added[k], have) == 0)
            return 1;
    }
    return 0;
}

static int is_clean(const bn_prep_encoder *e, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (e->first[(unsigned char)s[i]] && added_at(e, s, n, i))
            return 0;
    return 1;
}

/* Append n ids to the lane (they fit: reserve). */
static void put(bn_prep_lane *l, const int *ids, size_t n)
{
    for (size_t k = 0; k < n; k++)
        l->tok[l->n++] = (uint16_t)ids[k];
}

/* Document i alone: the end-of-text id, then its own. */
static void encode_one(const bn_prep_encoder *e, bn_prep_lane *l, size_t i)
{
    const bn_corpus_block *b = e->b;
    size_t n;
    l->st = bn_tok_encode(e->tok, b->text + b->off[i], b->len[i], l->ids, l->ids_cap, &n,
                          &l->err);
    if (l->st != BN_OK)
        return;
    if (n > l->ids_cap) { /* reserve's bound broken: never cut a document */
        l->st = bn_fail(&l->err, BN_ERR_INPUT, "a document of %zu bytes needs %zu ids",
                        b->len[i], n);
        return;
    }
    l->tok[l->n++] = e->eot;
    put(l, l->ids, n);
    e->ntok[i] = n + 1;
}

/* Documents [i, j), clean, joined: each end-of-text id in the output starts one. */
static void encode_run(const bn_prep_encoder *e, bn_prep_lane *l, size_t i, size_t j)
{
    const bn_corpus_block *b = e->b;
    size_t len = 0, d = i - 1, n;
    for (size_t k = i; k < j; k++) {
        memcpy(l->join + len, e->sep, e->sep_len);
        memcpy(l->join + len + e->sep_len, b->text + b->off[k], b->len[k]);
        len += e->sep_len + b->len[k];
    }
    l->st = bn_tok_encode(e->tok, l->join, len, l->ids, l->ids_cap, &n, &l->err);
    if (l->st != BN_OK)
        return;
    for (size_t k = 0; k < n && n <= l->ids_cap; k++) {
        if (l->ids[k] == e->eot && ++d < j)
            e->ntok[d] = 0;
        if (d < j)
            e->ntok[d]++;
    }
    if (n > l->ids_cap || l->ids[0] != e->eot || d != j - 1) {
        l->st = bn_fail(&l->err, BN_ERR_INPUT, "documents %zu..%zu: joined, they did not "
                        "encode one by one", i, j - 1);
        return;
    }
    put(l, l->ids, n);
}

static void encode_lane(void *ctx, int begin, int end, int thread_index)
{
    bn_prep_encoder *e = ctx;
    const bn_corpus_block *b = e->b;
    (void)thread_index;
    for (int r = begin; r < end; r++) {
        bn_prep_lane *l = &e->lanes[r];
        l->n = 0;
        for (size_t i = e->cut[r], j; i < e->cut[r + 1] && l->st == BN_OK; i = j) {
            size_t len = 0;
            for (j = i; e->batch && j < e->cut[r + 1]; j++) {
                if (len + e->sep_len + b->len[j] > RUN_BYTES ||
                    !is_clean(e, b->text + b->off[j], b->len[j]))
                    break;
                len += e->sep_len + b->len[j];
            }
            if (j == i)
                encode_one(e, l, j++);
            else
                encode_run(e, l, i, j);
        }
    }
}

bn_status bn_prep_encode_block(bn_prep_encoder *e, bn_threadpool *pool,
                               const bn_corpus_block *b, bn_error *err)
{
    if (b->n > e->ntok_cap) {
        size_t *t = realloc(e->ntok, b->n * sizeof *t);
        if (!t)
            return bn_nomem(err, "the token counts of a block's documents", b->n * sizeof *t);
        e->ntok = t;
        e->ntok_cap = b->n;
    }
    cut_lanes(e, b);
    for (int r = 0; r < e->n_lanes; r++)
        if (reserve(&e->lanes[r], b, e->cut[r], e->cut[r + 1]) != BN_OK)
            return bn_fail(err, BN_ERR_NOMEM, "out of memory for a block of %zu documents",
                           b->n);
    e->b = b;
    bn_parallel_for(pool, e->n_lanes, encode_lane, e);
    for (int r = 0; r < e->n_lanes; r++)
        if (e->lanes[r].st != BN_OK) {
            if (err)
                *err = e->lanes[r].err;
            return e->lanes[r].st;
        }
    return BN_OK;
}

void bn_prep_encoder_free(bn_prep_encoder *e)
{
    for (int r = 0; e->lanes && r < e->n_lanes; r++) {
        free(e->lanes[r].tok);
        free(e->lanes[r].ids);
        free(e->lanes[r].join);
    }
    free(e->lanes);
    free(e->cut);
    free(e->added);
    free(e->added_len);
    free(e->ntok);
    memset(e, 0, sizeof *e);
}
