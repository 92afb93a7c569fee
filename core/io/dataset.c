/* dataset.c - opening a prepared corpus (see dataset.h): our directories with dataset.json,
 * llm.c's directories without it, or a single shard file. Everything is checked before
 * anything is returned: the manifest against the files, every shard's header, size and ids. */
#include "io/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "io/jsonio.h"


static void split_close(bn_dataset_split *s)
{
    for (int i = 0; i < s->n_shards; i++)
        bn_shard_close(&s->shards[i]);
    free(s->shards);
    memset(s, 0, sizeof *s);
}

void bn_dataset_close(bn_dataset *d)
{
    split_close(&d->train);
    split_close(&d->val);
    memset(d, 0, sizeof *d);
}

/* Open dir/name (or name alone when dir is NULL) as the split's next shard. */
static bn_status split_add(bn_dataset_split *s, const char *dir, const char *name,
                           int vocab_size, bn_error *err)
{
    char path[BN_PATH_MAX];
    int n = dir ? snprintf(path, sizeof path, "%s/%s", dir, name)
                : snprintf(path, sizeof path, "%s", name);
    if (n < 0 || (size_t)n >= sizeof path)
        return bn_path_too_long(err, path, n);
    bn_shard *grown = realloc(s->shards, (size_t)(s->n_shards + 1) * sizeof *grown);
    if (!grown)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    s->shards = grown;
    bn_status st = bn_shard_open(&s->shards[s->n_shards], path, vocab_size, err);
    if (st != BN_OK)
        return st;
    s->tokens += (long long)s->shards[s->n_shards].n_tokens;
    s->n_shards++;
    return BN_OK;
}

/* ---------------------------------------------------------------- ours: dataset.json */

/* A shard name of the manifest: a plain file name inside the directory. */
static int plain_name(const char *name)
{
    return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL;
}

/* The manifest's split `key` ("train" / "val"): its shards opened, its token count checked. */
static bn_status manifest_split(bn_dataset_split *s, const json_t *root, const char *key,
                                const char *dir, const char *file, int vocab_size,
                                bn_error *err)
{
    const json_t *split = json_object_get(root, key);
    if (!split || json_is_null(split))
        return BN_OK;
    const json_t *shards = json_object_get(split, "shards");
    if (!json_is_object(split) || !json_is_array(shards))
        return bn_fail(err, BN_ERR_INPUT, "%s: %s.shards: missing or not an array", file, key);
    for (size_t i = 0; i < json_array_size(shards); i++) {
        const char *name = json_string_value(json_array_get(shards, i));
        if (!name || !plain_name(name))
            return bn_fail(err, BN_ERR_INPUT,
                           "%s: %s.shards[%zu]: must be a file name in the directory", file,
                           key, i);
        bn_status st = split_add(s, dir, name, vocab_size, err);
        if (st != BN_OK)
            return st;
    }
    long tokens;
    if (bn_json_get_long(split, "tokens", &tokens) == 0 && tokens != s->tokens)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: %s.tokens is %ld but its shards hold %lld tokens", file, key,
                       tokens, s->tokens);
    return BN_OK;
}

/* Format, version and the tokenizer object (hash, vocab_size) into d. */
static bn_status manifest_header(bn_dataset *d, const json_t *root, const char *file,
                                 bn_error *err)
{
    const char *format = json_string_value(json_object_get(root, "format"));
    long version = 0, vocab = 0;
    if (!format || strcmp(format, BN_DATASET_FORMAT) != 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: \"format\" must be \"" BN_DATASET_FORMAT "\"",
                       file);
    if (bn_json_get_long(root, "version", &version) != 0 || version != BN_DATASET_VERSION)
        return bn_fail(err, BN_ERR_INPUT, "%s: \"version\" must be %d (a newer bitnet-tui "
                       "wrote it?)", file, BN_DATASET_VERSION);
    const json_t *tok = json_object_get(root, "tokenizer");
    const char *hash = json_string_value(json_object_get(tok, "hash"));
    if (!hash || strlen(hash) >= BN_TOK_HASH_CAP)
        return bn_fail(err, BN_ERR_INPUT, "%s: tokenizer.hash: missing or not a tokenizer "
                       "hash", file);
    if (bn_json_get_long(tok, "vocab_size", &vocab) != 0 || vocab < 1 || vocab > 65536)
        return bn_fail(err, BN_ERR_INPUT, "%s: tokenizer.vocab_size: missing or not in "
                       "1..65536", file);
    d->has_manifest = 1;
    snprintf(d->tokenizer_hash, sizeof d->tokenizer_hash, "%s", hash);
    d->vocab_size = (int)vocab;
    return BN_OK;
}

static bn_status open_manifest(bn_dataset *d, const char *dir, const char *file,
                               int vocab_size, bn_error *err)
{
    json_t *root = NULL;
    bn_status st = bn_json_read_file(file, &root, err);
    if (st != BN_OK)
        return st;
    st = manifest_header(d, root, file, err);
    if (st == BN_OK && vocab_size > 0 && d->vocab_size != vocab_size)
        st = bn_fail(err, BN_ERR_INPUT,
                     "%s: tokenizer.vocab_size is %d, but the tokenizer has %d ids", file,
                     d->vocab_size, vocab_size);
    int check = vocab_size > 0 ? vocab_size : d->vocab_size;
    if (st == BN_OK)
        st = manifest_split(&d->train, root, "train", dir, file, check, err);
    if (st == BN_OK)
        st = manifest_split(&d->val, root, "val", dir, file, check, err);
    json_decref(root);
    return st;
}

/* ---------------------------------------------------------------- llm.c: names */

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's "*.bin" names, sorted (caller frees each and the array). */
static bn_status list_bins(const char *dir, char ***out, int *n, bn_error *err)
{
    DIR *dp = opendir(dir);
    *out = NULL;
    *n = 0;
    if (!dp)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open directory: %s", dir,
                       strerror(errno));
    bn_status st = BN_OK;
    struct dirent *e;
    while (st == BN_OK && (e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.' || !ends_with(e->d_name, ".bin"))
            continue;
        char **grown = realloc(*out, (size_t)(*n + 1) * sizeof *grown);
        char *copy = grown ? strdup(e->d_name) : NULL;
        if (grown)
            *out = grown;
        if (!copy)
            st = bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", dir);
        else
            (*out)[(*n)++] = copy;
    }
    closedir(dp);
    if (*n > 1)
        qsort(*out, (size_t)*n, sizeof **out, compare_names);
    return st;
}

/* llm.c's convention: names with "train" are the train split, else names with "val". */
static bn_status open_llmc(bn_dataset *d, const char *dir, int vocab_size, bn_error *err)
{
    char **names;
    int n;
    bn_status st = list_bins(dir, &names, &n, err);
    for (int i = 0; st == BN_OK && i < n; i++) {
        if (strstr(names[i], "train"))
            st = split_add(&d->train, dir, names[i], vocab_size, err);
        else if (strstr(names[i], "val"))
            st = split_add(&d->val, dir, names[i], vocab_size, err);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return st;
}

/* ---------------------------------------------------------------- opening */

int bn_dataset_is_shard_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    int32_t magic = 0;
    int ok = f && fread(&magic, sizeof magic, 1, f) == 1 && magic == BN_SHARD_MAGIC;
    if (f)
        fclose(f);
    return ok;
}

/* A regular file: a shard (all of it train), or a corpus not prepared yet. */
static bn_status open_file(bn_dataset *d, const char *path, int vocab_size, bn_error *err)
{
    if (!bn_dataset_is_shard_file(path))
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a token shard or a dataset directory; a text corpus must be "
                       "prepared first: bitnet-tui prepare --tokenizer T --out DIR %s",
                       path, path);
    return split_add(&d->train, NULL, path, vocab_size, err);
}

static bn_status open_dir(bn_dataset *d, const char *path, int vocab_size, bn_error *err)
{
    char manifest[BN_PATH_MAX];
    struct stat sb;
    int n = snprintf(manifest, sizeof manifest, "%s/" BN_DATASET_MANIFEST, path);
    if (n < 0 || (size_t)n >= sizeof manifest)
        return bn_path_too_long(err, path, n);
    if (stat(manifest, &sb) == 0)
        return open_manifest(d, path, manifest, vocab_size, err);
    bn_status st = open_llmc(d, path, vocab_size, err);
    if (st == BN_OK && d->train.n_shards == 0)
        st = bn_fail(err, BN_ERR_INPUT,
                     "%s: not a dataset: no " BN_DATASET_MANIFEST " and no *train*.bin shards "
                     "(bitnet-tui prepare --tokenizer T --out DIR FILE makes one)", path);
    return st;
}

bn_status bn_dataset_open(bn_dataset *d, const char *path, int vocab_size, bn_error *err)
{
    struct stat sb;
    memset(d, 0, sizeof *d);
    if (!path || !*path)
        return bn_fail(err, BN_ERR_INPUT, "dataset: empty path");
    if (stat(path, &sb) != 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    bn_status st = S_ISDIR(sb.st_mode) ? open_dir(d, path, vocab_size, err)
                                       : open_file(d, path, vocab_size, err);
    if (st == BN_OK && d->train.tokens == 0)
        st = bn_fail(err, BN_ERR_INPUT, "%s: the train split holds no tokens", path);
    if (st != BN_OK)
        bn_dataset_close(d);
    return st;
}

bn_status bn_dataset_manifest_hash(const char *dir, char out[BN_TOK_HASH_CAP], bn_error *err)
{
    char file[BN_PATH_MAX];
    struct stat sb;
    out[0] = '\0';
    int n = snprintf(file, sizeof file, "%s/" BN_DATASET_MANIFEST, dir);
    if (n < 0 || (size_t)n >= sizeof file)
        return bn_path_too_long(err, file, n);
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || stat(file, &sb) != 0)
        return BN_OK;
    json_t *root = NULL;
    bn_dataset d;
    memset(&d, 0, sizeof d);
    bn_status st = bn_json_read_file(file, &root, err);
    if (st == BN_OK)
        st = manifest_header(&d, root, file, err);
    if (st == BN_OK)
        memcpy(out, d.tokenizer_hash, BN_TOK_HASH_CAP);
    json_decref(root);
    return st;
}
