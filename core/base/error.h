/* error.h - how core/ reports failure: a status code and a one-line message.
 * core/ never exits and never prints; app/ prints the message and picks the exit status. */
#ifndef BN_ERROR_H
#define BN_ERROR_H

#include <stdarg.h>
#include <stddef.h>

typedef enum {
    BN_OK = 0,
    BN_ERR_INPUT = 2,    /* bad user input: file, key, value, checkpoint (exit status 2) */
    BN_ERR_IO = 3,       /* the disk failed us (write, rename, fsync) */
    BN_ERR_DIVERGED = 4, /* training produced NaN/Inf */
    BN_ERR_NOMEM = 5
} bn_status;

/* One-line error message, filled by the first failing call. */
typedef struct {
    bn_status status;
    char msg[1024];
    int other_rank; /* the failure is another rank's of a job; msg only points there */
} bn_error;

/* Record an error (printf-style) and return its status, so callers can write
 * `return bn_fail(err, BN_ERR_INPUT, "%s: ...", path);`. Safe with err == NULL. */
bn_status bn_fail(bn_error *err, bn_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An allocation of `bytes` that failed: BN_ERR_NOMEM "out of memory allocating <what>
 * (<bytes> in bytes, KiB, MiB or GiB)", e.g. "out of memory allocating the AdamW moments
 * (1526.0 MiB)". Out of memory is a resource failure, like a full disk: exit status 1. */
bn_status bn_nomem(bn_error *err, const char *what, size_t bytes);

#endif
