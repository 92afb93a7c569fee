/* dataset_write.c - a prepared dataset's dataset.json (io/dataset.h has the schema;
 * README, "Token shards"). */
#include <stdio.h>
#include <stdlib.h>

#include "base/path.h"
#include "io/dataset.h"
#include "io/jsonio.h"

/* A split: its shard names, counts. */
static json_t *split_json(const char *split, const bn_dataset_split_counts *c)
{
    json_t *shards = json_array();
    for (int i = 0; shards && i < c->n_shards; i++) {
        char name[64];
        snprintf(name, sizeof name, BN_DATASET_SHARD_NAME, split, i);
        if (json_array_append_new(shards, json_string(name)) != 0) {
            json_decref(shards);
            return NULL;
        }
    }
    return json_pack("{s:o, s:I, s:I, s:I}", "shards", shards, "tokens",
                     (json_int_t)c->tokens, "documents", (json_int_t)c->documents, "bytes",
                     (json_int_t)c->bytes);
}

static json_t *sources_json(const bn_dataset_manifest *m)
{
    json_t *a = json_array();
    for (int i = 0; a && i < m->n_sources; i++) {
        const bn_dataset_source *s = &m->sources[i];
        json_t *o = json_pack("{s:s, s:I, s:I}", "path", s->path, "bytes",
                              (json_int_t)s->bytes, "documents", (json_int_t)s->documents);
        if (json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *manifest_json(const bn_dataset_manifest *m)
{
    json_t *tok = json_pack("{s:s, s:i, s:i}", "hash", m->tokenizer_hash, "vocab_size",
                            m->vocab_size, "eot", m->eot);
    json_t *frac = m->val_fraction < 0 ? json_null() : json_real(m->val_fraction);
    /* a NULL member (out of memory) makes the pack fail; it releases the others */
    return json_pack("{s:s, s:i, s:o, s:o, s:o, s:o, s:o}", "format", BN_DATASET_FORMAT,
                     "version", BN_DATASET_VERSION, "tokenizer", tok, "train",
                     split_json("train", &m->train), "val", split_json("val", &m->val),
                     "sources", sources_json(m), "val_fraction", frac);
}

bn_status bn_dataset_manifest_write(const char *dir, const bn_dataset_manifest *m,
                                    bn_error *err)
{
    char path[BN_PATH_MAX];
    bn_status st = bn_path_join(path, dir, BN_DATASET_MANIFEST, err);
    if (st != BN_OK)
        return st;
    json_t *doc = manifest_json(m);
    if (!doc)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot build it (out of memory, or a source "
                       "path that is not UTF-8)", path);
    /* 15 digits: a fraction given as 0.01 is written as 0.01, not 0.010000000000000000208 */
    st = bn_json_write_file(path, doc, JSON_REAL_PRECISION(15), err);
    json_decref(doc);
    return st;
}
