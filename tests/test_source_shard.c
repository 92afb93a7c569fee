/* test_source_shard.c - the text task's training stream (task/sources.h): every row once
 * per epoch, rows never crossing a shard's end, a seeded order that differs by seed and by
 * epoch, and a saved position that a fresh source continues exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/shard.h"
#include "task/sources.h"

#define L 4          /* seq_len */
#define VOCAB 2000
#define FILLER 1999  /* the tokens after a shard's last whole row */
#define HASH "fnv1a64:00000000000000aa"

static char root[] = "/tmp/bn_test_source_shard_XXXXXX";

/* A shard at root/name whose rows hold their global number (first + i) in every token,
 * followed by `tail` filler tokens. */
static void row_shard(const char *name, int first, int rows, int tail)
{
    char path[512];
    bn_error err = {0};
    size_t n = (size_t)rows * L + (size_t)tail;
    uint16_t *ids = malloc((n ? n : 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = (uint16_t)(i < (size_t)rows * L ? first + (int)(i / L) : FILLER);
    snprintf(path, sizeof path, "%s/%s", root, name);
    CHECK(bn_shard_write(path, ids, n, &err) == BN_OK, "%s", err.msg);
    free(ids);
}

static bn_data_source *open_source(const char *name, uint64_t seed, const char *hash)
{
    char path[512];
    bn_error err = {0};
    bn_data_source *s = NULL;
    snprintf(path, sizeof path, "%s/%s", root, name);
    CHECK(bn_shard_source_open(path, VOCAB, L, seed, hash, &s, &err) == BN_OK, "%s: %s",
          path, err.msg);
    return s;
}

/* The next n rows' numbers (-1 for a row that is not one row's tokens). */
static void next_rows(bn_data_source *s, int n, int *out)
{
    int *tok = malloc((size_t)n * L * sizeof *tok);
    bn_source_next_batch(s, tok, n, L);
    for (int r = 0; r < n; r++) {
        out[r] = tok[r * L];
        for (int j = 1; j < L; j++)
            if (tok[r * L + j] != tok[r * L] || tok[r * L] == FILLER)
                out[r] = -1;
    }
    free(tok);
}

/* Three epochs of `rows` rows, asked for 3 at a time: each epoch serves each row once. */
static void check_epochs(const char *name, int rows, uint64_t seed, int *first_epoch)
{
    bn_data_source *s = open_source(name, seed, HASH);
    if (!s)
        return;
    int total = 3 * rows, asked = (total + 2) / 3 * 3;
    int *seen = malloc((size_t)asked * sizeof *seen), *count = calloc((size_t)rows, sizeof(int));
    for (int i = 0; i < asked; i += 3)
        next_rows(s, 3, seen + i);
    for (int e = 0; e < 3; e++) {
        memset(count, 0, (size_t)rows * sizeof *count);
        int bad = 0;
        for (int i = e * rows; i < (e + 1) * rows; i++) {
            if (seen[i] < 0 || seen[i] >= rows)
                bad++;
            else
                count[seen[i]]++;
        }
        int once = 0;
        for (int r = 0; r < rows; r++)
            once += count[r] == 1;
        CHECK(bad == 0 && once == rows, "%s (%d rows) epoch %d: %d rows seen once, %d bad",
              name, rows, e, once, bad);
    }
    CHECK(bn_shard_source_rows(s) == rows, "%s: %lld rows", name, bn_shard_source_rows(s));
    if (first_epoch)
        memcpy(first_epoch, seen, (size_t)rows * sizeof *seen);
    free(seen);
    free(count);
    bn_source_close(s);
}

static void test_every_row_once(void)
{
    row_shard("r1.bin", 0, 1, 3);
    row_shard("r2.bin", 0, 2, 0);
    row_shard("r7.bin", 0, 7, 1);
    row_shard("r1000.bin", 0, 1000, 2);
    check_epochs("r1.bin", 1, 5, NULL);
    check_epochs("r2.bin", 2, 5, NULL);
    check_epochs("r7.bin", 7, 5, NULL);
    check_epochs("r1000.bin", 1000, 5, NULL);
    /* Several shards: rows numbered across them, no row over a shard's end. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/multi'", root);
    CHECK(system(cmd) == 0, "%s", cmd);
    row_shard("multi/a_train_0.bin", 0, 3, 2);
    row_shard("multi/a_train_1.bin", 3, 4, 3);
    row_shard("multi/a_train_2.bin", 7, 1, 0);
    row_shard("multi/a_val_0.bin", 100, 5, 0); /* never served */
    check_epochs("multi", 8, 9, NULL);
}

static int same(const int *a, const int *b, int n)
{
    return memcmp(a, b, (size_t)n * sizeof *a) == 0;
}

static void test_orders_differ(void)
{
    enum { N = 1000 };
    int a[N], b[N], identity[N], both[2 * N];
    for (int i = 0; i < N; i++)
        identity[i] = i;
    check_epochs("r1000.bin", N, 1, a);
    check_epochs("r1000.bin", N, 2, b);
    CHECK(!same(a, b, N), "seeds 1 and 2 give the same order");
    CHECK(!same(a, identity, N), "seed 1's order is the rows in order");
    bn_data_source *s = open_source("r1000.bin", 1, HASH);
    if (!s)
        return;
    next_rows(s, 2 * N, both);
    CHECK(same(both, a, N), "the same seed gives another order");
    CHECK(!same(both, both + N, N), "epochs 0 and 1 share an order");
    CHECK(bn_shard_source_epoch(s) == 1, "epoch %lld after two epochs' rows",
          bn_shard_source_epoch(s));
    bn_source_close(s);
}

/* Save after `before` rows (mid-epoch), reload into a fresh source of another seed through
 * the JSON text, and compare the next `after` rows with the original's. */
static void test_resume(void)
{
    enum { BEFORE = 11, AFTER = 20 };
    bn_error err = {0};
    int skip[BEFORE], want[AFTER], got[AFTER];
    bn_data_source *a = open_source("r7.bin", 77, HASH), *b = open_source("r7.bin", 3, HASH);
    if (!a || !b)
        return;
    next_rows(a, BEFORE, skip);
    json_t *state = bn_source_save_state(a);
    char *text = json_dumps(state, JSON_COMPACT);
    json_t *back = json_loads(text, 0, NULL);
    next_rows(a, AFTER, want);
    CHECK(bn_source_load_state(b, back, "state", &err) == BN_OK, "load: %s", err.msg);
    next_rows(b, AFTER, got);
    CHECK(same(want, got, AFTER), "a resumed source serves other rows");
    CHECK(strstr(text, "\"kind\":\"text\"") && strstr(text, "\"epoch\":1") &&
          strstr(text, "\"position\":4") && strstr(text, "\"rows\":7"), "state: %s", text);

    /* Another dataset (row count), another tokenizer, another task: refused, untouched. */
    bn_data_source *c = open_source("r2.bin", 77, HASH), *d = open_source("r7.bin", 77,
                                                                          "fnv1a64:ff");
    if (c) {
        CHECK(bn_source_load_state(c, back, "ck/trainer_state.json: data", &err) ==
                  BN_ERR_INPUT && strstr(err.msg, "rows is 7") &&
                  strstr(err.msg, "ck/trainer_state.json: data"), "rows: %s", err.msg);
        json_t *arith = json_pack("{s:s}", "kind", "arithmetic");
        CHECK(bn_source_load_state(c, arith, "data", &err) == BN_ERR_INPUT, "kind accepted");
        json_decref(arith);
    }
    if (d)
        CHECK(bn_source_load_state(d, back, "data", &err) == BN_ERR_INPUT &&
                  strstr(err.msg, "tokenizer_hash"), "hash: %s", err.msg);
    /* The same row count from other tokens (a longer tail) is another dataset too. */
    row_shard("r7b.bin", 0, 7, 3);
    bn_data_source *e = open_source("r7b.bin", 77, HASH);
    if (e)
        CHECK(bn_source_load_state(e, back, "data", &err) == BN_ERR_INPUT &&
                  strstr(err.msg, "tokens is 29"), "tokens: %s", err.msg);
    bn_source_close(e);
    free(text);
    json_decref(state);
    json_decref(back);
    bn_source_close(a);
    bn_source_close(b);
    bn_source_close(c);
    bn_source_close(d);
}

static void test_too_short(void)
{
    char path[512];
    bn_error err = {0};
    bn_data_source *s = NULL;
    row_shard("short.bin", 0, 0, 3);
    snprintf(path, sizeof path, "%s/short.bin", root);
    CHECK(bn_shard_source_open(path, VOCAB, L, 1, HASH, &s, &err) == BN_ERR_INPUT && !s &&
              strstr(err.msg, "short.bin"), "a shard shorter than a row: %s", err.msg);
}

int main(void)
{
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_every_row_once();
    test_orders_differ();
    test_resume();
    test_too_short();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return check_exit("test_source_shard");
}
