/* test_dataset.c - opening prepared corpora (io/dataset.h): our directories with
 * dataset.json, llm.c's directories, a single shard; and the refusals, each one line naming
 * the file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "io/dataset.h"

#define HASH "fnv1a64:0123456789abcdef"

static char root[] = "/tmp/bn_test_dataset_XXXXXX";

/* root/sub (created), into buf. */
static const char *make_dir(char *buf, size_t cap, const char *sub)
{
    snprintf(buf, cap, "%s/%s", root, sub);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", buf);
    CHECK(system(cmd) == 0, "%s", cmd);
    return buf;
}

/* A shard of n ids (i * 7 % mod) at dir/name. */
static void shard(const char *dir, const char *name, size_t n, int mod)
{
    char path[512];
    bn_error err = {0};
    uint16_t *ids = malloc((n ? n : 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = (uint16_t)(i * 7 % (size_t)mod);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK(bn_shard_write(path, ids, n, &err) == BN_OK, "%s", err.msg);
    free(ids);
}

/* dataset.json with the given train shard names (a NULL-terminated list) and one val
 * shard; train_tokens < 0 leaves "tokens" out. */
static void manifest(const char *dir, int vocab, const char *const *train, long train_tokens)
{
    char path[512];
    json_t *names = json_array();
    for (int i = 0; train[i]; i++)
        json_array_append_new(names, json_string(train[i]));
    json_t *tr = json_pack("{s:o}", "shards", names);
    if (train_tokens >= 0)
        json_object_set_new(tr, "tokens", json_integer(train_tokens));
    json_t *doc = json_pack("{s:s, s:i, s:{s:s, s:i, s:i}, s:o, s:{s:[s]}}", "format",
                            BN_DATASET_FORMAT, "version", 1, "tokenizer", "hash", HASH,
                            "vocab_size", vocab, "eot", 0, "train", tr, "val", "shards",
                            "val_000000.bin");
    snprintf(path, sizeof path, "%s/%s", dir, BN_DATASET_MANIFEST);
    CHECK(json_dump_file(doc, path, 0) == 0, "writing %s", path);
    json_decref(doc);
}

/* Opening path fails, naming `names` in its one-line message. */
static void refused(const char *path, int vocab, const char *names, const char *what)
{
    bn_dataset d;
    bn_error err = {0};
    bn_status st = bn_dataset_open(&d, path, vocab, &err);
    CHECK(st == BN_ERR_INPUT, "%s: opened (status %d)", what, st);
    CHECK(strstr(err.msg, names) != NULL, "%s: message \"%s\" does not name %s", what,
          err.msg, names);
    CHECK(strchr(err.msg, '\n') == NULL, "%s: message has a newline", what);
    CHECK(d.train.n_shards == 0 && d.train.shards == NULL, "%s: left shards open", what);
    bn_dataset_close(&d);
}

static void test_ours(void)
{
    char dir[512];
    bn_dataset d;
    bn_error err = {0};
    make_dir(dir, sizeof dir, "ours");
    shard(dir, "train_000000.bin", 100, 300);
    shard(dir, "train_000001.bin", 50, 300);
    shard(dir, "val_000000.bin", 30, 300);
    manifest(dir, 300, (const char *const[]){"train_000000.bin", "train_000001.bin", NULL},
             150);
    CHECK(bn_dataset_open(&d, dir, 300, &err) == BN_OK, "ours: %s", err.msg);
    CHECK(d.has_manifest && strcmp(d.tokenizer_hash, HASH) == 0 && d.vocab_size == 300,
          "ours: manifest %d \"%s\" %d", d.has_manifest, d.tokenizer_hash, d.vocab_size);
    CHECK(d.train.n_shards == 2 && d.train.tokens == 150, "ours: train %d shards %lld tokens",
          d.train.n_shards, d.train.tokens);
    CHECK(d.train.n_shards == 2 && d.train.shards[0].n_tokens == 100 &&
          d.train.shards[1].n_tokens == 50 && d.train.shards[1].tokens[1] == 7,
          "ours: shards out of the manifest's order");
    CHECK(d.val.n_shards == 1 && d.val.tokens == 30, "ours: val %d shards", d.val.n_shards);
    bn_dataset_close(&d);
    /* vocab_size 0: the ids are checked against the manifest's */
    CHECK(bn_dataset_open(&d, dir, 0, &err) == BN_OK && d.train.tokens == 150, "vocab 0: %s",
          err.msg);
    bn_dataset_close(&d);
}

static void test_llmc_and_single(void)
{
    char dir[512], file[600], text[600];
    bn_dataset d;
    bn_error err = {0};
    make_dir(dir, sizeof dir, "llmc");
    shard(dir, "tiny_train.bin", 40, 50);
    shard(dir, "a_train_2.bin", 20, 50);
    shard(dir, "tiny_val.bin", 10, 50);
    shard(dir, "gpt2_tokenizer.bin", 5, 50); /* neither split: skipped */
    CHECK(bn_dataset_open(&d, dir, 50, &err) == BN_OK, "llm.c: %s", err.msg);
    CHECK(!d.has_manifest && d.tokenizer_hash[0] == '\0' && d.vocab_size == 0,
          "llm.c: manifest fields set");
    CHECK(d.train.n_shards == 2 && d.train.tokens == 60 && d.train.shards[0].n_tokens == 20,
          "llm.c: train %d shards, %lld tokens (name order)", d.train.n_shards,
          d.train.tokens);
    CHECK(d.val.n_shards == 1 && d.val.tokens == 10, "llm.c: val %d", d.val.n_shards);
    bn_dataset_close(&d);

    snprintf(file, sizeof file, "%s/tiny_train.bin", dir);
    CHECK(bn_dataset_open(&d, file, 50, &err) == BN_OK, "single file: %s", err.msg);
    CHECK(d.train.n_shards == 1 && d.train.tokens == 40 && d.val.n_shards == 0,
          "single file: %d shards", d.train.n_shards);
    CHECK(bn_dataset_is_shard_file(file), "a shard is not seen as one");
    bn_dataset_close(&d);

    snprintf(text, sizeof text, "%s/corpus.txt", root);
    FILE *f = fopen(text, "w");
    fputs("Once upon a time.\n", f);
    fclose(f);
    CHECK(!bn_dataset_is_shard_file(text), "a text file is seen as a shard");
    refused(text, 50, "bitnet-tui prepare", "a text file");
}

static void test_refusals(void)
{
    char dir[512], path[600];
    make_dir(dir, sizeof dir, "missing");
    shard(dir, "train_000000.bin", 10, 300);
    shard(dir, "val_000000.bin", 10, 300);
    manifest(dir, 300, (const char *const[]){"train_000000.bin", "train_000009.bin", NULL},
             -1);
    refused(dir, 300, "train_000009.bin", "a shard the manifest names is missing");

    make_dir(dir, sizeof dir, "vocab");
    shard(dir, "train_000000.bin", 10, 300);
    shard(dir, "val_000000.bin", 10, 300);
    manifest(dir, 300, (const char *const[]){"train_000000.bin", NULL}, 10);
    refused(dir, 500, "dataset.json", "manifest vocab_size is not the tokenizer's");

    make_dir(dir, sizeof dir, "tokens");
    shard(dir, "train_000000.bin", 10, 300);
    shard(dir, "val_000000.bin", 10, 300);
    manifest(dir, 300, (const char *const[]){"train_000000.bin", NULL}, 11);
    refused(dir, 300, "dataset.json", "manifest token count is not the shards'");

    make_dir(dir, sizeof dir, "bigid");
    shard(dir, "train_000000.bin", 100, 400); /* ids up to 399 */
    shard(dir, "val_000000.bin", 10, 300);
    manifest(dir, 300, (const char *const[]){"train_000000.bin", NULL}, 100);
    refused(dir, 300, "train_000000.bin", "an id >= vocab_size");

    make_dir(dir, sizeof dir, "truncated");
    shard(dir, "train_000000.bin", 100, 300);
    snprintf(path, sizeof path, "%s/train_000000.bin", dir);
    CHECK(truncate(path, 1024 + 199) == 0, "truncate %s", path);
    refused(dir, 300, "train_000000.bin", "a truncated shard (llm.c directory)");

    make_dir(dir, sizeof dir, "empty");
    refused(dir, 300, dir, "an empty directory");

    make_dir(dir, sizeof dir, "only_val");
    shard(dir, "x_val.bin", 10, 300);
    refused(dir, 300, dir, "a directory without train shards");

    make_dir(dir, sizeof dir, "no_tokens");
    shard(dir, "train_000000.bin", 0, 300);
    refused(dir, 300, dir, "a train split without tokens");

    snprintf(path, sizeof path, "%s/nowhere", root);
    refused(path, 300, "nowhere", "a path that does not exist");
}

int main(void)
{
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_ours();
    test_llmc_and_single();
    test_refusals();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return check_exit("test_dataset");
}
