/* error.c - filling a bn_error. */
#include "base/error.h"

#include <stdio.h>

bn_status bn_fail(bn_error *err, bn_status status, const char *fmt, ...)
{
    if (!err)
        return status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->status = status;
    err->other_rank = 0;
    return status;
}

bn_status bn_nomem(bn_error *err, const char *what, size_t bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB"};
    double size = (double)bytes;
    int u = -1;
    while (size >= 1024.0 && u < 2) {
        size /= 1024.0;
        u++;
    }
    if (u < 0)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory allocating %s (%zu bytes)", what,
                       bytes);
    return bn_fail(err, BN_ERR_NOMEM, "out of memory allocating %s (%.1f %s)", what, size,
                   units[u]);
}
