/* fileio.c - whole-file reads, atomic writes, directory creation. */
#include "base/fileio.h"
#include "base/path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bn_status bn_mkdirs(const char *path, bn_error *err)
{
    char buf[BN_PATH_MAX];
    bn_status s = bn_path_printf(buf, err, "%s", path);
    if (s != BN_OK)
        return s;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return bn_fail(err, BN_ERR_IO, "%s: cannot create directory: %s", buf,
                           strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return bn_fail(err, BN_ERR_IO, "%s: cannot create directory: %s", buf, strerror(errno));
    return BN_OK;
}

bn_status bn_write_file_atomic(const char *path, const char *text, bn_error *err)
{
    bn_bytes part = {text, strlen(text)};
    return bn_write_parts_atomic(path, &part, 1, err);
}

bn_status bn_read_file(const char *path, char **text, size_t *len, bn_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *grown = realloc(buf, cap * 2);
        if (!grown)
            free(buf);
        buf = grown;
        cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf) {
        char what[BN_PATH_MAX + 32];
        snprintf(what, sizeof what, "the contents of %s", path); /* a message: cut is fine */
        return bn_nomem(err, what, cap);
    }
    if (failed) {
        free(buf);
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot read", path);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return BN_OK;
}

bn_status bn_write_parts_atomic(const char *path, const bn_bytes *parts, int n_parts,
                                bn_error *err)
{
    char tmp[BN_PATH_MAX];
    bn_status s = bn_path_printf(tmp, err, "%s.tmp", path);
    if (s != BN_OK)
        return s;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return bn_fail(err, BN_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
    int ok = 1;
    for (int i = 0; i < n_parts && ok; i++)
        ok = parts[i].len == 0 || fwrite(parts[i].data, 1, parts[i].len, f) == parts[i].len;
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int saved = errno;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        saved = ok ? errno : saved;
        remove(tmp);
        return bn_fail(err, BN_ERR_IO, "%s: cannot write: %s", path, strerror(saved));
    }
    return BN_OK;
}
