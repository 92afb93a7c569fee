/* bytelevel.c - GPT-2's bytes_to_unicode map and its inverse, computed rather than
 * tabled (no global state): the 188 printable bytes map to themselves, the 68 others
 * (0..32, 127..160, 173) to 256 + their rank among them. */
#include "tok/bytelevel.h"

unsigned bn_bytelevel_cp(unsigned char b)
{
    if (b <= 32)
        return 256u + b;
    if (b >= 127 && b <= 160)
        return 256u + 33u + (b - 127u);
    if (b == 173)
        return 256u + 33u + 34u;
    return b;
}

int bn_bytelevel_byte(unsigned cp)
{
    if ((cp >= 33 && cp <= 126) || (cp >= 161 && cp <= 255 && cp != 173))
        return (int)cp;
    if (cp >= 256 && cp < 256 + 33)
        return (int)(cp - 256);
    if (cp >= 256 + 33 && cp < 256 + 33 + 34)
        return (int)(cp - 256 - 33 + 127);
    if (cp == 256 + 33 + 34)
        return 173;
    return -1;
}

size_t bn_bytelevel_encode(const char *s, size_t n, char *out)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned cp = bn_bytelevel_cp((unsigned char)s[i]);
        if (cp < 0x80) {
            out[len++] = (char)cp;
        } else {
            out[len++] = (char)(0xC0 | (cp >> 6));
            out[len++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    return len;
}

/* One code point of the alphabet's range (1 or 2 UTF-8 bytes) at s[*i], or -1. */
static long next_cp(const unsigned char *s, size_t n, size_t *i)
{
    unsigned c = s[*i];
    if (c < 0x80) {
        *i += 1;
        return c;
    }
    if ((c & 0xE0) != 0xC0 || *i + 1 >= n || (s[*i + 1] & 0xC0) != 0x80)
        return -1;
    unsigned cp = ((c & 0x1Fu) << 6) | (s[*i + 1] & 0x3Fu);
    *i += 2;
    return cp < 0x80 ? -1 : (long)cp; /* overlong forms are not UTF-8 */
}

long bn_bytelevel_decode(const char *s, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    long len = 0;
    while (i < n) {
        long cp = next_cp(u, n, &i);
        int b = cp < 0 ? -1 : bn_bytelevel_byte((unsigned)cp);
        if (b < 0)
            return -1;
        out[len++] = (char)b;
    }
    return len;
}
