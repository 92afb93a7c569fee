/* utf8stream.c - hold an unfinished UTF-8 character across pushes (README, "Tokenizers"). */
#include "tok/utf8stream.h"

#include <string.h>

/* The length of the character a lead byte starts, or 0 when x cannot start one. */
static int lead_length(unsigned x)
{
    if (x >= 0xC2 && x <= 0xDF)
        return 2;
    if (x >= 0xE0 && x <= 0xEF)
        return 3;
    if (x >= 0xF0 && x <= 0xF4)
        return 4;
    return 0;
}

size_t bn_utf8_flush(bn_utf8_carry *c, char *out)
{
    size_t n = (size_t)c->len;
    memcpy(out, c->buf, n);
    c->len = 0;
    return n;
}

size_t bn_utf8_push(bn_utf8_carry *c, const char *in, size_t n, char *out)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned x = (unsigned char)in[i];
        if (c->len > 0 && (x & 0xC0) == 0x80) {
            c->buf[c->len++] = (unsigned char)x;
            if (c->len == c->need)
                len += bn_utf8_flush(c, out + len);
            continue;
        }
        if (c->len > 0) /* cut short: not UTF-8, passed on as it is */
            len += bn_utf8_flush(c, out + len);
        c->need = lead_length(x);
        if (c->need)
            c->buf[c->len++] = (unsigned char)x;
        else
            out[len++] = (char)x;
    }
    return len;
}
