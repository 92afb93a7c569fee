/* fileio.h - the few file operations every writer and reader shares. */
#ifndef BN_FILEIO_H
#define BN_FILEIO_H

#include <stddef.h>

#include "base/error.h"

/* Read a whole file into a malloc'd, NUL-terminated buffer (caller frees). An unreadable
 * file is BN_ERR_INPUT "<path>: cannot open: <reason>". */
bn_status bn_read_file(const char *path, char **text, size_t *len, bn_error *err);

/* Write `text` to path through "<path>.tmp" + fsync + rename: readers see the old file or
 * the new one, never a partial one. */
bn_status bn_write_file_atomic(const char *path, const char *text, bn_error *err);

/* mkdir -p (mode 0755); BN_ERR_IO naming the path on failure. */
bn_status bn_mkdirs(const char *path, bn_error *err);

/* One piece of a binary file to write (see bn_write_parts_atomic). */
typedef struct {
    const void *data;
    size_t len;
} bn_bytes;

/* Write the pieces, in order, to path through "<path>.tmp" + fsync + rename, like
 * bn_write_file_atomic but binary and without first gathering them into one buffer. */
bn_status bn_write_parts_atomic(const char *path, const bn_bytes *parts, int n_parts,
                                bn_error *err);

#endif
