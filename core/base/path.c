/* path.c - building paths that fit their buffers. */
#include "base/path.h"

#include <stdarg.h>
#include <stdio.h>

/* How much of a refused path the message shows: enough to recognise it. */
#define SHOWN 80

bn_status bn_path_printf(char *out, bn_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, BN_PATH_MAX, fmt, ap);
    va_end(ap);
    if (n >= 0 && n < BN_PATH_MAX)
        return BN_OK;
    bn_status st = bn_path_too_long(err, out, n);
    out[0] = '\0';
    return st;
}

bn_status bn_path_too_long(bn_error *err, const char *path, long len)
{
    return bn_fail(err, BN_ERR_INPUT, "%.*s...: path too long (%ld bytes; at most %d)", SHOWN,
                   path, len, BN_PATH_MAX - 1);
}

bn_status bn_path_join(char *out, const char *dir, const char *name, bn_error *err)
{
    return bn_path_printf(out, err, "%s/%s", dir, name);
}
