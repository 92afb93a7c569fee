/* make_text_dataset.c - writes the small prepared dataset of tests/fixtures/text-dataset
 * (see its README.md) without the prepare command: documents of a .txt corpus (separated
 * by "<|endoftext|>" lines) tokenized with bn_tok_encode, each preceded by the end-of-text
 * id, the last VAL_DOCS documents into the val shard, the rest into the train shard, and
 * dataset.json written by hand per io/dataset.h's schema.
 *
 * usage: make_text_dataset TOKENIZER CORPUS OUT_DIR VAL_DOCS
 * tests/test_text_train.sh runs it again and compares its output with the fixture. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "io/dataset.h"
#include "io/jsonio.h"
#include "io/shard.h"
#include "tok/bpe.h"

#define SEPARATOR "<|endoftext|>\n"

typedef struct {
    uint16_t *ids;
    size_t n, cap;
    long long documents, bytes;
} split_buf;

static int push(split_buf *b, int id)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4096;
        uint16_t *grown = realloc(b->ids, cap * sizeof *grown);
        if (!grown)
            return -1;
        b->ids = grown;
        b->cap = cap;
    }
    b->ids[b->n++] = (uint16_t)id;
    return 0;
}

/* The end-of-text id, then the document's ids. */
static int add_document(split_buf *b, const bn_tokenizer *tok, int eot, const char *text,
                        size_t len)
{
    int *ids = NULL;
    size_t n;
    bn_error err = {0};
    if (push(b, eot) < 0 || bn_tok_encode_all(tok, text, len, &ids, &n, &err) != BN_OK) {
        if (err.status != BN_OK)
            fprintf(stderr, "make_text_dataset: %s\n", err.msg);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (push(b, ids[i]) < 0) {
            free(ids);
            return -1;
        }
    free(ids);
    b->documents++;
    b->bytes += (long long)len;
    return 0;
}

/* The corpus's documents (pieces between separator lines that hold more than blanks). */
static int count_or_split(const char *text, size_t len, const bn_tokenizer *tok, int eot,
                          long long val_from, split_buf *train, split_buf *val)
{
    long long doc = 0;
    size_t start = 0;
    while (start < len) {
        const char *sep = strstr(text + start, SEPARATOR);
        size_t end = sep ? (size_t)(sep - text) : len;
        size_t next = sep ? end + strlen(SEPARATOR) : len;
        if (strspn(text + start, " \r\n\t") < end - start) {
            split_buf *b = doc >= val_from ? val : train;
            if (tok && add_document(b, tok, eot, text + start, end - start) < 0)
                return -1;
            doc++;
        }
        start = next;
    }
    return (int)doc;
}

static json_t *split_json(const char *name, const split_buf *b)
{
    char shard[64];
    snprintf(shard, sizeof shard, BN_DATASET_SHARD_NAME, name, 0);
    return json_pack("{s:[s], s:I, s:I, s:I}", "shards", shard, "tokens", (json_int_t)b->n,
                     "documents", (json_int_t)b->documents, "bytes", (json_int_t)b->bytes);
}

static int write_manifest(const char *dir, const char *hash, int vocab, int eot,
                          const split_buf *train, const split_buf *val, bn_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/" BN_DATASET_MANIFEST, dir);
    json_t *doc = json_pack(
        "{s:s, s:i, s:{s:s, s:i, s:i}, s:o, s:o, s:[{s:s, s:I, s:I}], s:n}", "format",
        BN_DATASET_FORMAT, "version", BN_DATASET_VERSION, "tokenizer", "hash", hash,
        "vocab_size", vocab, "eot", eot, "train", split_json("train", train), "val",
        split_json("val", val), "sources", "path", "corpus.txt", "bytes",
        (json_int_t)(train->bytes + val->bytes), "documents",
        (json_int_t)(train->documents + val->documents), "val_fraction");
    bn_status st = doc ? bn_json_write_file(path, doc, BN_JSON_EXACT, err) : BN_ERR_NOMEM;
    json_decref(doc);
    return st == BN_OK ? 0 : -1;
}

static int write_shards(const char *dir, const split_buf *train, const split_buf *val,
                        bn_error *err)
{
    char path[1024], name[64];
    snprintf(name, sizeof name, BN_DATASET_SHARD_NAME, "train", 0);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (bn_shard_write(path, train->ids, train->n, err) != BN_OK)
        return -1;
    snprintf(name, sizeof name, BN_DATASET_SHARD_NAME, "val", 0);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return bn_shard_write(path, val->ids, val->n, err) == BN_OK ? 0 : -1;
}

static int make(const bn_tokenizer *tok, const char *text, size_t len, const char *dir,
                long long val_docs, bn_error *err)
{
    int eot;
    size_t n_eot;
    char hash[BN_TOK_HASH_CAP], path[1024];
    split_buf train = {0}, val = {0};
    if (bn_tok_encode(tok, "<|endoftext|>", 13, &eot, 1, &n_eot, err) != BN_OK || n_eot != 1 ||
        bn_tok_hash(tok, hash, err) != BN_OK) {
        fprintf(stderr, "make_text_dataset: no single <|endoftext|> token: %s\n", err->msg);
        return 1;
    }
    int docs = count_or_split(text, len, NULL, eot, 0, NULL, NULL);
    int rc = count_or_split(text, len, tok, eot, docs - val_docs, &train, &val) < 0;
    snprintf(path, sizeof path, "%s/" BN_DATASET_TOKENIZER, dir);
    if (!rc && (write_shards(dir, &train, &val, err) < 0 ||
                bn_tok_save_hf(tok, path, err) != BN_OK ||
                write_manifest(dir, hash, bn_tok_vocab_size(tok), eot, &train, &val, err) < 0))
        rc = 1;
    if (rc)
        fprintf(stderr, "make_text_dataset: %s\n", err->msg[0] ? err->msg : "out of memory");
    free(train.ids);
    free(val.ids);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: make_text_dataset TOKENIZER CORPUS OUT_DIR VAL_DOCS\n");
        return 2;
    }
    bn_error err = {0};
    bn_tokenizer *tok = NULL;
    char *text = NULL;
    size_t len = 0;
    if (bn_tok_load_hf(&tok, argv[1], &err) != BN_OK ||
        bn_read_file(argv[2], &text, &len, &err) != BN_OK) {
        fprintf(stderr, "make_text_dataset: %s\n", err.msg);
        bn_tok_free(tok);
        return 2;
    }
    int rc = make(tok, text, len, argv[3], atoll(argv[4]), &err);
    free(text);
    bn_tok_free(tok);
    return rc;
}
