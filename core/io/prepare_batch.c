/* prepare_batch.c - documents of several corpus blocks gathered into one batch for the
 * encoder (io/prepare_impl.h). */
#include <stdlib.h>
#include <string.h>

#include "io/prepare_impl.h"

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 1;
    size_t n = need > 2 * *cap ? need : 2 * *cap;
    void *q = realloc(*p, n * size);
    if (!q)
        return 0;
    *p = q;
    *cap = n;
    return 1;
}

/* Room for n more documents (off, len and file grow together). */
static int grow_docs(bn_prep_batch *d, size_t n)
{
    size_t need = d->n + n, cap = d->n_cap;
    if (!grow((void **)&d->off, &cap, need, sizeof *d->off))
        return 0;
    cap = d->n_cap;
    if (!grow((void **)&d->len, &cap, need, sizeof *d->len))
        return 0;
    cap = d->n_cap;
    if (!grow((void **)&d->file, &cap, need, sizeof *d->file))
        return 0;
    d->n_cap = cap;
    return 1;
}

bn_status bn_prep_batch_add(bn_prep_batch *d, const bn_corpus_block *b, bn_error *err)
{
    size_t bytes = 0;
    for (size_t i = 0; i < b->n; i++)
        bytes += b->len[i];
    if (!grow_docs(d, b->n) ||
        !grow((void **)&d->text, &d->text_cap, d->text_len + bytes, 1))
        return bn_fail(err, BN_ERR_NOMEM, "out of memory gathering documents");
    for (size_t i = 0; i < b->n; i++) {
        memcpy(d->text + d->text_len, b->text + b->off[i], b->len[i]);
        d->off[d->n] = d->text_len;
        d->len[d->n] = b->len[i];
        d->file[d->n] = b->file;
        d->text_len += b->len[i];
        d->n++;
    }
    return BN_OK;
}

void bn_prep_batch_block(const bn_prep_batch *d, bn_corpus_block *out)
{
    memset(out, 0, sizeof *out);
    out->text = d->text;
    out->text_len = d->text_len;
    out->off = d->off;
    out->len = d->len;
    out->n = d->n;
    out->file = -1;
}

void bn_prep_batch_clear(bn_prep_batch *d)
{
    d->text_len = 0;
    d->n = 0;
}

void bn_prep_batch_free(bn_prep_batch *d)
{
    free(d->text);
    free(d->off);
    free(d->len);
    free(d->file);
    memset(d, 0, sizeof *d);
}
