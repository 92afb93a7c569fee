/* corpus_files.c - a corpus's input files: named files, and directories walked in name
 * order (README, "Preparing a corpus"). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/corpus.h"

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n > k && memcmp(s + n - k, suffix, k) == 0;
}

int bn_corpus_kind(const char *name, bn_corpus_format *format, bn_corpus_compression *comp)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    size_t n = strlen(base);
    *comp = BN_CORPUS_PLAIN;
    if (ends_with(base, n, ".gz")) {
        *comp = BN_CORPUS_GZIP;
        n -= 3;
    } else if (ends_with(base, n, ".zst")) {
        *comp = BN_CORPUS_ZSTD;
        n -= 4;
    }
    *format = ends_with(base, n, ".jsonl") ? BN_CORPUS_JSONL : BN_CORPUS_TXT;
    return *format == BN_CORPUS_JSONL || ends_with(base, n, ".txt");
}

static bn_status add_file(bn_corpus_files *l, const char *path, long long size, bn_error *err)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        bn_corpus_file *f = realloc(l->files, (size_t)cap * sizeof *f);
        if (!f)
            return bn_fail(err, BN_ERR_NOMEM, "out of memory");
        l->files = f;
        l->cap = cap;
    }
    bn_corpus_file *f = &l->files[l->n];
    bn_corpus_kind(path, &f->format, &f->compression);
    if (!(f->path = strdup(path)))
        return bn_fail(err, BN_ERR_NOMEM, "out of memory");
    f->disk_bytes = size;
    l->disk_bytes += size;
    l->n++;
    return BN_OK;
}

/* Name order that does not depend on the locale. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static bn_status add_path(bn_corpus_files *l, const char *path, int named, bn_error *err);

/* A directory: its corpus files and subdirectories, in name order, hidden ones skipped. */
static bn_status add_dir(bn_corpus_files *l, const char *path, bn_error *err)
{
    struct dirent **names;
    int n = scandir(path, &names, NULL, by_name);
    if (n < 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    bn_status st = BN_OK;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t len = strlen(path);
        char *sub = name[0] != '.' && st == BN_OK ? malloc(len + strlen(name) + 2) : NULL;
        if (sub) {
            /* "dir/" stays "dir/x", not "dir//x" */
            sprintf(sub, "%s%s%s", path, len && path[len - 1] == '/' ? "" : "/", name);
            st = add_path(l, sub, 0, err);
            free(sub);
        } else if (name[0] != '.' && st == BN_OK) {
            st = bn_fail(err, BN_ERR_NOMEM, "out of memory");
        }
        free(names[i]);
    }
    free(names);
    return st;
}

/* A named file is read whatever its name, and may be a pipe (/dev/stdin, a FIFO); inside
 * directories only regular files with corpus names count. */
static bn_status add_path(bn_corpus_files *l, const char *path, int named, bn_error *err)
{
    struct stat sb;
    bn_corpus_format fmt;
    bn_corpus_compression comp;
    if (stat(path, &sb) != 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return add_dir(l, path, err);
    int stream = named && (S_ISFIFO(sb.st_mode) || S_ISCHR(sb.st_mode));
    if (!S_ISREG(sb.st_mode) && !stream)
        return named ? bn_fail(err, BN_ERR_INPUT, "%s: cannot open: not a file or directory",
                               path)
                     : BN_OK;
    if (!named && !bn_corpus_kind(path, &fmt, &comp))
        return BN_OK;
    if (access(path, R_OK) != 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    return add_file(l, path, stream ? 0 : (long long)sb.st_size, err);
}

bn_status bn_corpus_files_add(bn_corpus_files *l, const char *path, bn_error *err)
{
    return add_path(l, path, 1, err);
}

void bn_corpus_files_free(bn_corpus_files *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->files[i].path);
    free(l->files);
    memset(l, 0, sizeof *l);
}
