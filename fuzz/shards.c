/* shards.c - fuzz target: token shards and a prepared dataset (io/shard.h, io/dataset.h).
 * The input splits at "--8<--" lines into a lone shard file, then a dataset directory's
 * dataset.json, train_000000.bin and val_000000.bin (a missing or empty part: no such file; no
 * dataset.json: llm.c's directory form). Both are opened against the fixture's vocabulary
 * (384 ids), the directory also as a text run's data source, which draws a batch. */
#include "fuzz.h"

#include <errno.h>
#include <sys/stat.h>

#include "io/dataset.h"
#include "task/sources.h"

enum { VOCAB = 384, N_PARTS = 4, ROWS = 2, SEQ = 8 };

static const char *const part_names[] = {"one.bin", "ds/dataset.json", "ds/train_000000.bin",
                                         "ds/val_000000.bin"};

/* Every id of an opened split is below the vocabulary, as opening promised. */
static void check_split(const bn_dataset_split *sp)
{
    long long sum = 0;
    for (int i = 0; i < sp->n_shards; i++) {
        const bn_shard *s = &sp->shards[i];
        for (size_t k = 0; k < s->n_tokens; k++)
            bn_fuzz_invariant(s->tokens[k] < VOCAB, "an opened shard holds an id >= vocab");
        sum += (long long)s->n_tokens;
    }
    bn_fuzz_invariant(sum == sp->tokens, "a split's token count is not its shards'");
}

static int open_dataset(const char *path)
{
    bn_dataset d;
    bn_error err = {0};
    int opened = bn_dataset_open(&d, path, VOCAB, &err) == BN_OK;
    if (opened) {
        check_split(&d.train);
        check_split(&d.val);
        bn_dataset_close(&d);
    }
    bn_data_source *src = NULL;
    if (bn_shard_source_open(path, VOCAB, SEQ, 3, "", &src, &err) == BN_OK) {
        int tokens[ROWS * SEQ];
        bn_source_next_batch(src, tokens, ROWS, SEQ);
        bn_source_close(src);
    }
    return opened;
}

int bn_fuzz_shards(const uint8_t *data, size_t size)
{
    const uint8_t *parts[N_PARTS];
    size_t sizes[N_PARTS];
    int n = bn_fuzz_split(data, size, parts, sizes, N_PARTS);
    char one[512], dir[512];
    if (!bn_fuzz_path("one.bin", one, sizeof one) || !bn_fuzz_path("ds", dir, sizeof dir) ||
        (mkdir(dir, 0700) != 0 && errno != EEXIST))
        return 0;
    int ok = 1, loaded = 0;
    for (int i = 0; i < n; i++)
        ok = ok && (sizes[i] == 0 || bn_fuzz_write(part_names[i], parts[i], sizes[i]));
    if (ok) {
        bn_shard s;
        bn_error err = {0};
        loaded = bn_shard_open(&s, one, VOCAB, &err) == BN_OK; /* and the directory's */
        if (loaded)
            bn_shard_close(&s);
        bn_dataset_is_shard_file(one);
        open_dataset(one);
        char hash[BN_TOK_HASH_CAP];
        bn_dataset_manifest_hash(dir, hash, &err);
        loaded = (open_dataset(dir) || n == 1) && loaded;
    }
    for (int i = 0; i < N_PARTS; i++)
        bn_fuzz_remove(part_names[i]);
    bn_fuzz_remove("ds");
    return loaded;
}
