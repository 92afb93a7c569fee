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
