/* sample_cache.c - the shipped text sample prepared on first use (see sample_cache.h). */
#include "io/sample_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "io/dataset.h"
#include "tok/bpe.h"


/* CACHE/NAME-<hex>, the hex of "fnv1a64:<hex>" (the whole hash if it has no ':'), into
 * out (BN_PATH_MAX bytes): refused when the longest path built from it (a shard in a
 * moved-aside directory, side_name) would not fit, so that none of them can fail later. */
static bn_status dir_for_hash(const bn_data_sample *s, const char *hash, char *out,
                              bn_error *err)
{
    const char *colon = strchr(hash, ':');
    char longest[BN_PATH_MAX];
    bn_status st = bn_path_printf(out, err, "%s/%s-%s", s->cache_dir, s->name,
                                  colon ? colon + 1 : hash);
    if (st == BN_OK)
        st = bn_path_printf(longest, err, "%s/.%s-%s.damaged-%ld-%ld/val_000000.bin.tmp",
                            s->cache_dir, s->name, colon ? colon + 1 : hash, LONG_MAX,
                            LONG_MAX);
    return st;
}

static bn_status open_tokenizer(const bn_data_sample *s, bn_tokenizer **tok,
                                char hash[BN_TOK_HASH_CAP], bn_error *err)
{
    bn_status st = bn_tok_load_hf(tok, s->tokenizer, err);
    if (st == BN_OK)
        st = bn_tok_hash(*tok, hash, err);
    return st;
}

bn_status bn_sample_dir(const bn_data_sample *s, char *out, size_t cap, bn_error *err)
{
    bn_tokenizer *tok = NULL;
    char hash[BN_TOK_HASH_CAP];
    bn_status st = open_tokenizer(s, &tok, hash, err);
    if (st == BN_OK)
        st = cap >= BN_PATH_MAX ? dir_for_hash(s, hash, out, err)
                                : bn_fail(err, BN_ERR_INPUT, "bn_sample_dir: a buffer of %zu "
                                          "bytes, under BN_PATH_MAX", cap);
    bn_tok_free(tok);
    return st;
}

/* A finished dataset of this tokenizer whose shards open, with a held-out split. */
static int is_ready(const char *dir, const char *hash, int vocab)
{
    char have[BN_TOK_HASH_CAP];
    bn_error err = {0};
    bn_dataset d;
    if (bn_dataset_manifest_hash(dir, have, &err) != BN_OK || strcmp(have, hash) != 0)
        return 0;
    if (bn_dataset_open(&d, dir, vocab, &err) != BN_OK)
        return 0;
    int ok = d.has_manifest && d.train.tokens > 0 && d.val.tokens > 0;
    bn_dataset_close(&d);
    return ok;
}

/* Remove a dataset directory (flat: shards, tokenizer.json, dataset.json). */
static void remove_flat(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[BN_PATH_MAX];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            bn_path_join(path, dir, e->d_name, NULL) != BN_OK)
            continue;
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* A name beside `dir` that no other process uses: CACHE/.NAME-<hex>.<what>-<pid>-<ns>
 * (it fits: dir_for_hash). */
static bn_status side_name(const bn_data_sample *s, const char *dir, const char *what,
                           char *out, bn_error *err)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    const char *base = strrchr(dir, '/');
    return bn_path_printf(out, err, "%s/.%s.%s-%ld-%ld", s->cache_dir, base ? base + 1 : dir,
                          what, (long)getpid(), (long)ts.tv_nsec);
}

static bn_status prepare_into(const bn_data_sample *s, const bn_tokenizer *tok,
                              const char *tmp, int threads, bn_prepare_progress_fn progress,
                              void *ctx, bn_error *err)
{
    const char *inputs[1] = {s->train}, *val_inputs[1] = {s->val};
    bn_prepare_opts o = {.tok = tok, .out_dir = tmp, .inputs = inputs, .n_inputs = 1,
                         .val_inputs = val_inputs, .n_val_inputs = 1,
                         .threads = threads > 0 ? threads : 1, .progress = progress,
                         .progress_ctx = ctx};
    return bn_prepare_run(&o, NULL, err);
}

/* Rename the prepared tmp into dir. When dir is there already: a finished one (another run
 * was first) is kept and tmp removed; a damaged one is moved aside, removed, and the rename
 * tried again. */
static bn_status install(const bn_data_sample *s, const char *tmp, const char *dir,
                         const char *hash, int vocab, bn_error *err)
{
    char aside[BN_PATH_MAX];
    for (int tries = 0; tries < 4; tries++) {
        if (rename(tmp, dir) == 0)
            return BN_OK;
        if (errno != ENOTEMPTY && errno != EEXIST)
            break;
        if (is_ready(dir, hash, vocab)) {
            remove_flat(tmp);
            return BN_OK;
        }
        if (side_name(s, dir, "damaged", aside, NULL) == BN_OK && rename(dir, aside) == 0)
            remove_flat(aside);
    }
    int e = errno;
    remove_flat(tmp);
    return bn_fail(err, BN_ERR_IO, "%s: cannot put the prepared sample in place: %s", dir,
                   strerror(e));
}

/* Wait for an exclusive lock on CACHE/.NAME-<hex>.lock (an fcntl lock: released when the
 * descriptor is closed, also by a crash), so that runs preparing the same sample take turns.
 * Returns the descriptor, or -1 with err set. */
static int lock_cache(const bn_data_sample *s, const char *dir, bn_error *err)
{
    char path[BN_PATH_MAX];
    const char *base = strrchr(dir, '/');
    if (bn_path_printf(path, err, "%s/.%s.lock", s->cache_dir, base ? base + 1 : dir) != BN_OK)
        return -1;
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int rc = -1;
    while (fd >= 0 && (rc = fcntl(fd, F_SETLKW, &fl)) != 0 && errno == EINTR)
        ;
    if (fd >= 0 && rc == 0)
        return fd;
    bn_fail(err, BN_ERR_IO, "%s: cannot lock: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Under the lock, the temporary and moved-aside directories of this sample
 * (.NAME-<hex>.tmp-*, .NAME-<hex>.damaged-*) are left by runs that were killed: remove them. */
static void remove_leftovers(const bn_data_sample *s, const char *dir)
{
    char prefix[BN_PATH_MAX], path[BN_PATH_MAX];
    const char *base = strrchr(dir, '/');
    int n = snprintf(prefix, sizeof prefix, ".%s.", base ? base + 1 : dir);
    DIR *d = opendir(s->cache_dir);
    struct dirent *e;
    while (d && n > 0 && (e = readdir(d)) != NULL) {
        const char *rest = e->d_name + n;
        if (strncmp(e->d_name, prefix, (size_t)n) != 0 ||
            (strncmp(rest, "tmp-", 4) != 0 && strncmp(rest, "damaged-", 8) != 0))
            continue;
        if (bn_path_join(path, s->cache_dir, e->d_name, NULL) == BN_OK)
            remove_flat(path);
    }
    if (d)
        closedir(d);
}

/* Reuse dir when ready, else prepare the sample into it (one run at a time: the one that
 * waited finds the dataset ready). */
static bn_status ensure(const bn_data_sample *s, const bn_tokenizer *tok, const char *hash,
                        const char *dir, int threads, bn_prepare_progress_fn progress,
                        void *ctx, bn_sample_outcome *outcome, bn_error *err)
{
    char tmp[BN_PATH_MAX];
    int vocab = bn_tok_vocab_size(tok);
    *outcome = BN_SAMPLE_REUSED;
    if (is_ready(dir, hash, vocab))
        return BN_OK;
    bn_status st = bn_mkdirs(s->cache_dir, err);
    int lock = st == BN_OK ? lock_cache(s, dir, err) : -1;
    if (lock < 0)
        return st == BN_OK ? BN_ERR_IO : st;
    if (!is_ready(dir, hash, vocab)) {
        *outcome = BN_SAMPLE_PREPARED;
        remove_leftovers(s, dir);
        st = side_name(s, dir, "tmp", tmp, err);
        if (st == BN_OK)
            st = prepare_into(s, tok, tmp, threads, progress, ctx, err);
        if (st == BN_OK)
            st = install(s, tmp, dir, hash, vocab, err);
    }
    close(lock);
    return st;
}

static int uses_sample(const bn_config *cfg, const char *dir)
{
    return cfg->data.path[0] == '\0' || strcmp(cfg->data.path, dir) == 0;
}

bn_status bn_sample_resolve(bn_config *cfg, bn_prepare_progress_fn progress, void *ctx,
                            bn_sample_outcome *outcome, bn_error *err)
{
    const bn_data_sample *s = &cfg->data.sample;
    int named = cfg->data.path[0] != '\0';
    *outcome = BN_SAMPLE_UNUSED;
    if (cfg->experiment.task != BN_TASK_TEXT || (named && (!s->train[0] || !s->cache_dir[0])))
        return BN_OK; /* not text, or a path that cannot be the sample's cache */
    if (!s->train[0])
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: [data] path is empty and the shipped sample is not known here: "
                       "set [data] path to a prepared dataset (bitnet-tui prepare)",
                       cfg->source_path[0] ? cfg->source_path : cfg->experiment.name);
    if (!s->cache_dir[0])
        return bn_fail(err, BN_ERR_INPUT, "%s: [data] path is empty and there is no cache "
                       "directory for the shipped sample: set XDG_CACHE_HOME or HOME",
                       cfg->source_path[0] ? cfg->source_path : cfg->experiment.name);
    bn_tokenizer *tok = NULL;
    char hash[BN_TOK_HASH_CAP], dir[BN_PATH_MAX];
    bn_status st = open_tokenizer(s, &tok, hash, err);
    if (st == BN_OK)
        st = dir_for_hash(s, hash, dir, err);
    if (st == BN_OK && uses_sample(cfg, dir)) {
        st = ensure(s, tok, hash, dir, cfg->train.threads, progress, ctx, outcome, err);
        if (st == BN_OK)
            snprintf(cfg->data.path, sizeof cfg->data.path, "%s", dir);
    }
    bn_tok_free(tok);
    return st;
}
