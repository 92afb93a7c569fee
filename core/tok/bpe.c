/* bpe.c - the byte-level BPE kind: its tables, built from a bn_bpe_spec, and encoding
 * (README, "Tokenizers"). Merges are applied per pre-token with a heap ordered by (rank,
 * position), as Hugging Face's BPE does, so long pre-tokens cost n log n, not n^2. */
#include "tok/bpe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tok/bpe_impl.h"

/* ---------------------------------------------------------------- hash tables */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

static uint64_t hash_pair(uint64_t key)
{
    key *= 0x9E3779B97F4A7C15ull;
    return key ^ (key >> 31);
}

int bn_bpe_lookup(const bn_bpe *b, const char *s, size_t n)
{
    for (size_t i = hash_bytes(s, n) & b->vmask;; i = (i + 1) & b->vmask) {
        int id = b->vhash[i];
        if (id < 0)
            return -1;
        if (b->len[id] == n && memcmp(b->blob + b->off[id], s, n) == 0)
            return id;
    }
}

static size_t table_size(size_t n)
{
    size_t size = 16;
    while (size < 2 * n)
        size *= 2;
    return size;
}

/* ---------------------------------------------------------------- building */

static bn_status copy_pieces(bn_bpe *b, const bn_bpe_spec *spec, const char *what,
                             bn_error *err)
{
    size_t total = 0;
    for (int i = 0; i < spec->n_vocab; i++) {
        if (spec->lens[i] == 0)
            return bn_fail(err, BN_ERR_INPUT, "%s: token %d is empty", what, i);
        total += spec->lens[i];
    }
    b->blob = malloc(total ? total : 1);
    b->off = malloc((size_t)spec->n_vocab * sizeof *b->off);
    b->len = malloc((size_t)spec->n_vocab * sizeof *b->len);
    b->vmask = table_size((size_t)spec->n_vocab) - 1;
    b->vhash = malloc((b->vmask + 1) * sizeof *b->vhash);
    if (!b->blob || !b->off || !b->len || !b->vhash)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory for the vocabulary", what);
    memset(b->vhash, 0xff, (b->vmask + 1) * sizeof *b->vhash);
    size_t at = 0;
    for (int id = 0; id < spec->n_vocab; id++) {
        memcpy(b->blob + at, spec->pieces[id], spec->lens[id]);
        b->off[id] = at;
        b->len[id] = spec->lens[id];
        at += spec->lens[id];
        size_t i = hash_bytes(spec->pieces[id], spec->lens[id]) & b->vmask;
        for (; b->vhash[i] >= 0; i = (i + 1) & b->vmask) {
            int other = b->vhash[i];
            if (b->len[other] == b->len[id] &&
                memcmp(b->blob + b->off[other], b->blob + b->off[id], b->len[id]) == 0)
                return bn_fail(err, BN_ERR_INPUT, "%s: tokens %d and %d are the same bytes",
                               what, other, id);
        }
        b->vhash[i] = id;
    }
    b->n = spec->n_vocab;
    return BN_OK;
}

static bn_status byte_ids(bn_bpe *b, const char *what, bn_error *err)
{
    for (int c = 0; c < 256; c++) {
        char byte = (char)c;
        b->byte_id[c] = bn_bpe_lookup(b, &byte, 1);
        if (b->byte_id[c] < 0)
            return bn_fail(err, BN_ERR_INPUT,
                           "%s: no token for byte 0x%02X (a byte-level vocabulary has all "
                           "256)", what, c);
    }
    return BN_OK;
}

static bn_status add_merge(bn_bpe *b, int rank, int l, int r, const char *what, bn_error *err)
{
    if (l < 0 || l >= b->n || r < 0 || r >= b->n)
        return bn_fail(err, BN_ERR_INPUT, "%s: merge %d: id out of range", what, rank);
    size_t n = b->len[l] + b->len[r];
    char stack[256], *cat = n <= sizeof stack ? stack : malloc(n);
    if (!cat)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", what);
    memcpy(cat, b->blob + b->off[l], b->len[l]);
    memcpy(cat + b->len[l], b->blob + b->off[r], b->len[r]);
    int id = bn_bpe_lookup(b, cat, n);
    if (cat != stack)
        free(cat);
    if (id < 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: merge %d (ids %d %d): the merged token is "
                       "not in the vocabulary", what, rank, l, r);
    uint64_t key = (uint64_t)(uint32_t)l << 32 | (uint32_t)r;
    size_t i = hash_pair(key) & b->mmask;
    for (; b->mkey[i] != UINT64_MAX; i = (i + 1) & b->mmask)
        if (b->mkey[i] == key)
            return BN_OK; /* a repeated pair keeps its first (lowest) rank */
    b->mkey[i] = key;
    b->mrank[i] = rank;
    b->mid[i] = id;
    return BN_OK;
}

static bn_status copy_merges(bn_bpe *b, const bn_bpe_spec *spec, const char *what,
                             bn_error *err)
{
    size_t nm = (size_t)spec->n_merges;
    b->mmask = table_size(nm) - 1;
    b->mkey = malloc((b->mmask + 1) * sizeof *b->mkey);
    b->mrank = malloc((b->mmask + 1) * sizeof *b->mrank);
    b->mid = malloc((b->mmask + 1) * sizeof *b->mid);
    b->merges = malloc((2 * nm + 1) * sizeof *b->merges);
    if (!b->mkey || !b->mrank || !b->mid || !b->merges)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory for the merges", what);
    memset(b->mkey, 0xff, (b->mmask + 1) * sizeof *b->mkey);
    if (nm)
        memcpy(b->merges, spec->merges, 2 * nm * sizeof *b->merges);
    b->n_merges = spec->n_merges;
    for (int r = 0; r < spec->n_merges; r++) {
        bn_status st = add_merge(b, r, spec->merges[2 * r], spec->merges[2 * r + 1], what, err);
        if (st != BN_OK)
            return st;
    }
    return BN_OK;
}

/* Added tokens, longest first (leftmost-longest matching), and the bytes they start with. */
static bn_status copy_added(bn_bpe *b, const bn_bpe_spec *spec, const char *what,
                            bn_error *err)
{
    int n = spec->n_added;
    b->added = malloc(((size_t)n + 1) * sizeof *b->added);
    b->added_special = malloc((size_t)n + 1);
    if (!b->added || !b->added_special)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", what);
    for (int i = 0; i < n; i++) {
        int id = spec->added[i];
        if (id < 0 || id >= b->n)
            return bn_fail(err, BN_ERR_INPUT, "%s: added token id %d out of range", what, id);
        int j = i;
        unsigned char sp = spec->added_special ? spec->added_special[i] : 1;
        while (j > 0 && b->len[b->added[j - 1]] < b->len[id]) {
            b->added[j] = b->added[j - 1];
            b->added_special[j] = b->added_special[j - 1];
            j--;
        }
        b->added[j] = id;
        b->added_special[j] = sp;
        b->first[(unsigned char)b->blob[b->off[id]]] = 1;
    }
    b->n_added = n;
    return BN_OK;
}

static bn_status build(bn_bpe *b, const bn_bpe_spec *spec, const char *what, bn_error *err)
{
    bn_status st = copy_pieces(b, spec, what, err);
    if (st == BN_OK)
        st = byte_ids(b, what, err);
    if (st == BN_OK)
        st = copy_merges(b, spec, what, err);
    if (st == BN_OK)
        st = copy_added(b, spec, what, err);
    if (st == BN_OK)
        st = bn_pretok_new(&b->pre, spec->pattern, what, err);
    const char *name = spec->name ? spec->name : "bpe";
    b->name = malloc(strlen(name) + 1);
    if (st == BN_OK && !b->name)
        st = bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", what);
    if (b->name)
        strcpy(b->name, name);
    b->add_prefix_space = spec->add_prefix_space;
    b->ignore_merges = spec->ignore_merges;
    return st;
}

void bn_bpe_free(bn_bpe *b)
{
    if (!b)
        return;
    free(b->blob);
    free(b->off);
    free(b->len);
    free(b->vhash);
    free(b->mkey);
    free(b->mrank);
    free(b->mid);
    free(b->merges);
    free(b->added);
    free(b->added_special);
    bn_pretok_free(b->pre);
    free(b->name);
    free(b);
}

/* ---------------------------------------------------------------- the handle */

static size_t bpe_piece(const bn_tokenizer *t, int id, const char **bytes)
{
    const bn_bpe *b = t->bpe;
    if (id < 0 || id >= b->n) {
        *bytes = "<unk>";
        return 5;
    }
    *bytes = b->blob + b->off[id];
    return b->len[id];
}

static void bpe_free(bn_tokenizer *t)
{
    bn_bpe_free(t->bpe);
    free(t);
}

static int bpe_byte_id(const bn_tokenizer *t, unsigned char c)
{
    return t->bpe->byte_id[c];
}

static const tok_ops bpe_ops = {bn_bpe_encode, bpe_byte_id, bpe_piece, bpe_free};

/* The special kinds are found by the added special tokens' text. */
static void find_specials(bn_tokenizer *t)
{
    static const char *const names[4][2] = {
        {"<pad>", NULL}, {"<s>", "<|startoftext|>"}, {"<|endoftext|>", "</s>"}, {"<unk>", NULL}};
    const bn_bpe *b = t->bpe;
    for (int k = 0; k < 4; k++) {
        t->special[k] = -1;
        for (int v = 1; v >= 0; v--)
            for (int i = 0; names[k][v] && i < b->n_added; i++) {
                int id = b->added[i];
                size_t n = strlen(names[k][v]);
                if (b->added_special[i] && b->len[id] == n &&
                    memcmp(b->blob + b->off[id], names[k][v], n) == 0)
                    t->special[k] = id;
            }
    }
}

bn_status bn_tok_bpe_new(bn_tokenizer **out, const bn_bpe_spec *spec, const char *what,
                         bn_error *err)
{
    *out = NULL;
    bn_tokenizer *t = calloc(1, sizeof *t);
    bn_bpe *b = calloc(1, sizeof *b);
    if (!t || !b) {
        free(t);
        free(b);
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory for the tokenizer", what);
    }
    bn_status st = build(b, spec, what, err);
    if (st != BN_OK) {
        bn_bpe_free(b);
        free(t);
        return st;
    }
    t->ops = &bpe_ops;
    t->bpe = b;
    t->name = b->name;
    t->vocab_size = b->n;
    find_specials(t);
    *out = t;
    return BN_OK;
}

bn_status bn_tok_bpe_from_merges(bn_tokenizer **out, const char *const *pieces,
                                 const size_t *lens, int n_vocab, const int *merges,
                                 int n_merges, const int *special_ids, int n_special,
                                 bn_error *err)
{
    bn_bpe_spec spec = {.pieces = pieces, .lens = lens, .n_vocab = n_vocab, .merges = merges,
                        .n_merges = n_merges, .added = special_ids, .n_added = n_special};
    return bn_tok_bpe_new(out, &spec, "bpe", err);
}

/* ---------------------------------------------------------------- what it holds */

int bn_tok_is_bpe(const bn_tokenizer *t)
{
    return t->bpe != NULL;
}

int bn_tok_bpe_n_merges(const bn_tokenizer *t)
{
    return t->bpe ? t->bpe->n_merges : 0;
}

void bn_tok_bpe_merge(const bn_tokenizer *t, int r, int *left, int *right)
{
    *left = t->bpe->merges[2 * r];
    *right = t->bpe->merges[2 * r + 1];
}

const char *bn_tok_bpe_pattern(const bn_tokenizer *t)
{
    return t->bpe ? bn_pretok_pattern(t->bpe->pre) : NULL;
}

int bn_tok_bpe_add_prefix_space(const bn_tokenizer *t)
{
    return t->bpe ? t->bpe->add_prefix_space : 0;
}

int bn_tok_bpe_ignore_merges(const bn_tokenizer *t)
{
    return t->bpe ? t->bpe->ignore_merges : 0;
}

int bn_tok_bpe_n_added(const bn_tokenizer *t)
{
    return t->bpe ? t->bpe->n_added : 0;
}

int bn_tok_bpe_added(const bn_tokenizer *t, int i, int *special)
{
    *special = t->bpe->added_special[i];
    return t->bpe->added[i];
}
