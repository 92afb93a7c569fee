/* path.h - path buffers are of one size, and a path that does not fit is refused by name,
 * never truncated (README, "Limits"). */
#ifndef BN_PATH_H
#define BN_PATH_H

#include "base/error.h"

/* Every path buffer holds BN_PATH_MAX bytes: paths of up to BN_PATH_MAX - 1 characters. The
 * INI keys that hold paths are as long, and a run's meta/config.ini must read back through
 * iniparser, whose lines are at most 1024 bytes. */
#define BN_PATH_MAX 512

/* printf a path into out (BN_PATH_MAX bytes). One that does not fit is BN_ERR_INPUT
 * "<its start>...: path too long (N bytes; at most 511)"; out then holds "". */
bn_status bn_path_printf(char *out, bn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The refusal of a path that does not fit: BN_ERR_INPUT "<its first 80 characters>...:
 * path too long (len bytes; at most 511)", for checks of their own (a buffer given with
 * its size). */
bn_status bn_path_too_long(bn_error *err, const char *path, long len);

/* "<dir>/<name>" into out (BN_PATH_MAX bytes), as bn_path_printf. */
bn_status bn_path_join(char *out, const char *dir, const char *name, bn_error *err);

#endif
