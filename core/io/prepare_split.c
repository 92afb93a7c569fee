/* prepare_split.c - a split's shards, filled in document order and written when full
 * (README, "Preparing a corpus"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/prepare_impl.h"
#include "io/shard.h"

bn_status bn_prep_shard_path(char *path, const char *dir, const char *name, int i,
                             bn_error *err)
{
    char file[64];
    snprintf(file, sizeof file, BN_DATASET_SHARD_NAME, name, i);
    return bn_path_join(path, dir, file, err);
}

static bn_status write_shard(bn_prep_split *s, bn_error *err)
{
    char path[BN_PATH_MAX];
    bn_status st = bn_prep_shard_path(path, s->dir, s->name, s->c.n_shards, err);
    if (st == BN_OK)
        st = bn_shard_write(path, s->buf, s->n, err);
    if (st == BN_OK) {
        s->c.n_shards++;
        s->n = 0;
    }
    return st;
}

/* Room for `more` ids in the shard being filled (never beyond a shard). */
static bn_status grow(bn_prep_split *s, size_t more, bn_error *err)
{
    size_t need = s->n + more, cap = s->cap ? s->cap : 1u << 16;
    if (need <= s->cap)
        return BN_OK;
    while (cap < need)
        cap *= 2;
    if (cap > s->shard_tokens)
        cap = s->shard_tokens;
    uint16_t *b = realloc(s->buf, cap * sizeof *b);
    if (!b)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for a shard of %zu tokens", cap);
    s->buf = b;
    s->cap = cap;
    return BN_OK;
}

bn_status bn_prep_split_add(bn_prep_split *s, const uint16_t *tok, size_t n, size_t bytes,
                            bn_error *err)
{
    s->c.tokens += (long long)n;
    s->c.documents++;
    s->c.bytes += (long long)bytes;
    while (n > 0) {
        size_t take = s->shard_tokens - s->n < n ? s->shard_tokens - s->n : n;
        bn_status st = grow(s, take, err);
        if (st != BN_OK)
            return st;
        memcpy(s->buf + s->n, tok, take * sizeof *tok);
        s->n += take;
        tok += take;
        n -= take;
        if (s->n == s->shard_tokens && (st = write_shard(s, err)) != BN_OK)
            return st;
    }
    return BN_OK;
}

bn_status bn_prep_split_finish(bn_prep_split *s, bn_error *err)
{
    return s->n > 0 ? write_shard(s, err) : BN_OK;
}

void bn_prep_split_remove(const bn_prep_split *s)
{
    for (int i = 0; i < s->c.n_shards; i++) {
        char path[BN_PATH_MAX];
        if (bn_prep_shard_path(path, s->dir, s->name, i, NULL) == BN_OK)
            unlink(path);
    }
}

void bn_prep_split_free(bn_prep_split *s)
{
    free(s->buf);
    s->buf = NULL;
    s->n = s->cap = 0;
}
