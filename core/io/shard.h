/* shard.h - token shards in llm.c's format (README, "Architecture").
 *
 * Layout: a header of 256 little-endian int32 (header[0] = magic 20240520, header[1] =
 * version 1, header[2] = token count), then `count` little-endian uint16 token ids; the file
 * is exactly 1024 + 2 * count bytes. Reading maps the file read-only; writing goes through
 * "<path>.tmp" + fsync + rename, so a reader never sees a half-written shard. */
#ifndef BN_SHARD_H
#define BN_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define BN_SHARD_MAGIC 20240520
#define BN_SHARD_VERSION 1
#define BN_SHARD_HEADER_INTS 256
#define BN_SHARD_HEADER_BYTES (BN_SHARD_HEADER_INTS * 4)

/* An open shard: `tokens` points into the read-only mapping (little-endian uint16 on disk;
 * this reads them as host uint16, so it needs a little-endian host, as llm.c does). */
typedef struct {
    void *map;             /* the whole file, mapped read-only (NULL when empty) */
    size_t map_size;
    const uint16_t *tokens;
    size_t n_tokens;
} bn_shard;

/* Map and validate up front: the file holds a whole header, the magic and the version are
 * llm.c's, the size is exactly 1024 + 2 * count, and (when vocab_size > 0) every id is
 * < vocab_size. Any violation -> BN_ERR_INPUT with one line naming the path. On failure
 * `s` holds nothing to close. */
bn_status bn_shard_open(bn_shard *s, const char *path, int vocab_size, bn_error *err);
void bn_shard_close(bn_shard *s);

/* Write `n` tokens as a shard (n <= INT32_MAX, the header's count is an int32). */
bn_status bn_shard_write(const char *path, const uint16_t *tok, size_t n, bn_error *err);

#endif
