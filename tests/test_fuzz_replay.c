/* test_fuzz_replay.c - every committed fuzz input through its target under the normal build
 * (README, "Fuzzing"), so that `make check` runs the fuzzers' seeds and the inputs that once
 * crashed a loader without clang:
 * - tests/fuzz/<target>/: seeds; each must be taken whole (the target says 1): real files
 *   and lines that the loader must accept; one named refused-* must be refused instead;
 * - tests/fuzz/regressions/<target>/: inputs a fuzzer found crashing; each must come back
 *   (accepted or refused) without a crash, a leak (under the sanitizer build) or a broken
 *   invariant.
 * A crash or an invariant's abort ends the test, which `make check` reports as failed. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fuzz.h"

#include "base/fileio.h"

static const struct {
    const char *name;
    bn_fuzz_fn fn;
} targets[] = {
    {"config", bn_fuzz_config},           {"safetensors", bn_fuzz_safetensors},
    {"checkpoint", bn_fuzz_checkpoint},   {"trainer_state", bn_fuzz_trainer_state},
    {"tokenizer", bn_fuzz_tokenizer},     {"shards", bn_fuzz_shards},
    {"ttt", bn_fuzz_ttt},                 {"arith_prompt", bn_fuzz_arith_prompt},
    {"scalars", bn_fuzz_scalars},         {"chat_prompt", bn_fuzz_chat_prompt},
};
enum { N_TARGETS = sizeof targets / sizeof targets[0] };

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every file of dir through fn; returns how many there were (-1: no such directory). */
static int replay_dir(const char *target, const char *dir, bn_fuzz_fn fn, int must_take)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char *names[256];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < 256;)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        char *data = NULL;
        size_t len = 0;
        bn_error err = {0};
        CHECK(bn_read_file(path, &data, &len, &err) == BN_OK, "%s", err.msg);
        int took = data ? fn((const uint8_t *)data, len) : 0;
        int refused = strncmp(names[i], "refused-", 8) == 0;
        if (must_take && !refused)
            CHECK(took, "%s: seed %s is refused by its loader", target, path);
        if (must_take && refused)
            CHECK(!took, "%s: seed %s is taken by its loader", target, path);
        free(data);
        free(names[i]);
    }
    return n;
}

int main(void)
{
    const char *src = getenv("srcdir");
    if (!src)
        src = ".";
    for (int i = 0; i < N_TARGETS; i++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/tests/fuzz/%s", src, targets[i].name);
        int seeds = replay_dir(targets[i].name, dir, targets[i].fn, 1);
        CHECK(seeds > 0, "%s: no seeds", dir);
        snprintf(dir, sizeof dir, "%s/tests/fuzz/regressions/%s", src, targets[i].name);
        int found = replay_dir(targets[i].name, dir, targets[i].fn, 0);
        printf("%-14s %d seeds, %d regression inputs\n", targets[i].name, seeds,
               found < 0 ? 0 : found);
    }
    return check_exit("test_fuzz_replay");
}
