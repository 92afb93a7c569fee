/* test_bytelevel.c - the shared pieces of byte-level BPE: GPT-2's byte <-> code point map
 * and the regex pre-tokenizer (README, "Tokenizers"), including bytes that are not UTF-8. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tok/bytelevel.h"
#include "tok/pretok.h"

/* The map is a bijection onto 256 code points, with GPT-2's known images. */
static void test_map(void)
{
    static unsigned char seen[512];
    for (int b = 0; b < 256; b++) {
        unsigned cp = bn_bytelevel_cp((unsigned char)b);
        CHECK(cp < 512 && !seen[cp], "byte %d -> U+%04X twice or out of range", b, cp);
        if (cp < 512)
            seen[cp] = 1;
        CHECK(bn_bytelevel_byte(cp) == b, "U+%04X -> %d, not %d", cp, bn_bytelevel_byte(cp), b);
    }
    CHECK(bn_bytelevel_cp(' ') == 0x120, "space -> U+%04X", bn_bytelevel_cp(' '));
    CHECK(bn_bytelevel_cp('\n') == 0x10A, "newline -> U+%04X", bn_bytelevel_cp('\n'));
    CHECK(bn_bytelevel_cp(0) == 0x100 && bn_bytelevel_cp(0x7F) == 0x121, "0 and DEL");
    CHECK(bn_bytelevel_cp(0xAD) == 0x143 && bn_bytelevel_cp('A') == 'A', "soft hyphen, A");
    CHECK(bn_bytelevel_byte(' ') == -1 && bn_bytelevel_byte(0x144) == -1, "outside");
}

static void test_strings(void)
{
    char out[64];
    size_t n = bn_bytelevel_encode("Hi there\n", 9, out);
    CHECK(n == 11 && memcmp(out, "Hi\xC4\xA0" "there\xC4\x8A", 11) == 0, "encode: %zu", n);
    char back[64];
    CHECK(bn_bytelevel_decode(out, n, back) == 9 && memcmp(back, "Hi there\n", 9) == 0,
          "decode");
    CHECK(bn_bytelevel_decode("a b", 3, back) == -1, "a raw space is not byte-level");
    CHECK(bn_bytelevel_decode("\xC4", 1, back) == -1, "truncated character");
    CHECK(bn_bytelevel_decode("\xC1\x81", 2, back) == -1, "overlong form");
    /* every byte string survives */
    unsigned seed = 7;
    for (int round = 0; round < 200; round++) {
        char raw[32], enc[64], dec[32];
        size_t len = (size_t)(round % 32);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            raw[i] = (char)(seed >> 16);
        }
        size_t elen = bn_bytelevel_encode(raw, len, enc);
        CHECK(bn_bytelevel_decode(enc, elen, dec) == (long)len && memcmp(raw, dec, len) == 0,
              "round trip %d", round);
    }
}

/* Pre-tokens of text joined by '|' into out. */
static void split(const bn_pretok *p, const char *text, size_t n, char *out)
{
    bn_pretok_scan *sc = bn_pretok_scan_new(p, text, n);
    size_t start, len, o = 0, expect = 0;
    while (bn_pretok_next(sc, &start, &len)) {
        CHECK(start == expect && len > 0, "pre-tokens must tile the text");
        expect = start + len;
        if (o)
            out[o++] = '|';
        memcpy(out + o, text + start, len);
        o += len;
    }
    CHECK(expect == n, "covered %zu of %zu bytes", expect, n);
    out[o] = 0;
    bn_pretok_scan_free(sc);
}

static void test_gpt2(void)
{
    bn_pretok *p = NULL;
    bn_error err = {0};
    CHECK(bn_pretok_new(&p, NULL, "test", &err) == BN_OK, "%s", err.msg);
    if (!p)
        return;
    CHECK(strcmp(bn_pretok_pattern(p), BN_PRETOK_GPT2) == 0, "default pattern");
    static const char *const cases[][2] = {
        {"Hello world's  test\n\n 123", "Hello| world|'s| | test|\n\n| 123"},
        {"I'll see\tyou", "I|'ll| see|\t|you"},
        {"a  ", "a|  "},
        {"caf\xC3\xA9 \xE4\xBD\xA0\xE5\xA5\xBD!!", "caf\xC3\xA9| \xE4\xBD\xA0\xE5\xA5\xBD|!!"},
        {"x=12345;\r\n", "x|=|12345|;|\r\n"},
        {"a\xFF b\xE4\xBD", "a|\xFF| b|\xE4\xBD"},
        {"\xF0\x9F\x98\x80 ok", "\xF0\x9F\x98\x80| ok"},
        {"", ""},
    };
    char out[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        split(p, cases[i][0], strlen(cases[i][0]), out);
        CHECK(strcmp(out, cases[i][1]) == 0, "case %zu: got \"%s\"", i, out);
    }
    /* random bytes: always tiled, never stuck */
    unsigned seed = 11;
    char raw[300], joined[700];
    for (int round = 0; round < 100; round++) {
        for (size_t i = 0; i < sizeof raw; i++) {
            seed = seed * 1103515245u + 12345u;
            raw[i] = (char)(seed >> 16);
        }
        split(p, raw, sizeof raw, joined);
    }
    bn_pretok_free(p);
}

static int count_fn(void *ctx, const char *s, size_t len)
{
    (void)s;
    (void)len;
    return ++*(int *)ctx == 2 ? 5 : 0;
}

/* Another pattern: matches and the stretches between them; a bad pattern refused. */
static void test_custom(void)
{
    bn_pretok *p = NULL;
    bn_error err = {0};
    CHECK(bn_pretok_new(&p, "\\p{N}{1,3}", "t.json", &err) == BN_OK, "%s", err.msg);
    if (p) {
        char out[64];
        split(p, "ab12345c", 8, out);
        CHECK(strcmp(out, "ab|123|45|c") == 0, "got \"%s\"", out);
        int calls = 0;
        CHECK(bn_pretok_each(p, "ab12345c", 8, count_fn, &calls) == 5 && calls == 2, "stop");
        bn_pretok_free(p);
    }
    CHECK(bn_pretok_new(&p, "(ab", "t.json: pre_tokenizer", &err) == BN_ERR_INPUT && !p,
          "bad pattern accepted");
    CHECK(strstr(err.msg, "t.json: pre_tokenizer: pattern \"(ab\"") != NULL, "%s", err.msg);
}

int main(void)
{
    test_map();
    test_strings();
    test_gpt2();
    test_custom();
    return check_exit("test_bytelevel");
}
