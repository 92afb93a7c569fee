/* shard.c - llm.c token shards: mapped read-only and checked up front, written atomically
 * (README, "Architecture"). */
#include "io/shard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"

/* Token ids are read in place from the mapping, so the host must share the file's order. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "shard.c assumes a little-endian host"
#endif

/* Map the whole file read-only after checking that it can hold the header. */
static bn_status map_file(bn_shard *s, const char *path, bn_error *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    bn_status st = BN_OK;
    if (fstat(fd, &sb) != 0)
        st = bn_fail(err, BN_ERR_INPUT, "%s: cannot stat: %s", path, strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        st = bn_fail(err, BN_ERR_INPUT, "%s: not a regular file", path);
    else if (sb.st_size < BN_SHARD_HEADER_BYTES)
        st = bn_fail(err, BN_ERR_INPUT,
                     "%s: truncated: %lld bytes, shorter than the %d-byte shard header", path,
                     (long long)sb.st_size, BN_SHARD_HEADER_BYTES);
    if (st == BN_OK) {
        s->map_size = (size_t)sb.st_size;
        s->map = mmap(NULL, s->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (s->map == MAP_FAILED) {
            s->map = NULL;
            st = bn_fail(err, BN_ERR_INPUT, "%s: cannot map: %s", path, strerror(errno));
        }
    }
    close(fd);
    return st;
}

/* Magic, version and count against llm.c's header, then the size against the count. */
static bn_status check_header(const bn_shard *s, const char *path, int32_t *count,
                              bn_error *err)
{
    int32_t h[3];
    memcpy(h, s->map, sizeof h);
    if (h[0] != BN_SHARD_MAGIC)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: bad magic %d (expected %d): not an llm.c token shard?", path,
                       (int)h[0], BN_SHARD_MAGIC);
    if (h[1] != BN_SHARD_VERSION)
        return bn_fail(err, BN_ERR_INPUT, "%s: unsupported shard version %d (expected %d)",
                       path, (int)h[1], BN_SHARD_VERSION);
    if (h[2] < 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: negative token count %d in the header", path,
                       (int)h[2]);
    long long want = BN_SHARD_HEADER_BYTES + 2LL * h[2];
    if ((long long)s->map_size != want)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: size %zu bytes, but the header's %d tokens need %lld (1024 + 2 * "
                       "count)",
                       path, s->map_size, (int)h[2], want);
    *count = h[2];
    return BN_OK;
}

/* The first id >= vocab_size, if any, is refused with its position. */
static bn_status check_ids(const bn_shard *s, const char *path, int vocab_size, bn_error *err)
{
    for (size_t i = 0; i < s->n_tokens; i++)
        if ((int)s->tokens[i] >= vocab_size)
            return bn_fail(err, BN_ERR_INPUT,
                           "%s: token %zu is id %u, outside the vocabulary (ids 0..%d)", path,
                           i, (unsigned)s->tokens[i], vocab_size - 1);
    return BN_OK;
}

bn_status bn_shard_open(bn_shard *s, const char *path, int vocab_size, bn_error *err)
{
    memset(s, 0, sizeof *s);
    bn_status st = map_file(s, path, err);
    if (st != BN_OK)
        return st;
    int32_t count = 0;
    st = check_header(s, path, &count, err);
    if (st == BN_OK) {
        s->tokens = (const uint16_t *)((const char *)s->map + BN_SHARD_HEADER_BYTES);
        s->n_tokens = (size_t)count;
        if (vocab_size > 0)
            st = check_ids(s, path, vocab_size, err);
    }
    if (st != BN_OK)
        bn_shard_close(s);
    return st;
}

void bn_shard_close(bn_shard *s)
{
    if (s->map)
        munmap(s->map, s->map_size);
    memset(s, 0, sizeof *s);
}

bn_status bn_shard_write(const char *path, const uint16_t *tok, size_t n, bn_error *err)
{
    if (n > (size_t)INT32_MAX)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: %zu tokens is more than a shard's header can count (at most %d)",
                       path, n, (int)INT32_MAX);
    int32_t header[BN_SHARD_HEADER_INTS] = {BN_SHARD_MAGIC, BN_SHARD_VERSION, (int32_t)n};
    bn_bytes parts[2] = {{header, sizeof header}, {tok, n * sizeof *tok}};
    return bn_write_parts_atomic(path, parts, 2, err);
}
