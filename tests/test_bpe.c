/* test_bpe.c - byte-level BPE (README, "Tokenizers"): GPT-2's tokenizer.json gives the ids
 * Hugging Face's tokenizers gave for a text with unicode, emoji, CJK, digits, whitespace
 * runs, tabs, CRLF and <|endoftext|> (tests/fixtures/gpt2, made by hand: see its README);
 * round trips on random bytes; special tokens; merge order; save and load; refusals; the
 * streaming UTF-8 carry. */
/* MAP_ANONYMOUS and MAP_NORESERVE (a text of zero pages) are behind _DEFAULT_SOURCE. */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/fileio.h"
#include "check.h"
#include "io/jsonio.h"
#include "tok/bpe.h"
#include "tok/utf8stream.h"

static char tmpdir[] = "/tmp/test_bpe.XXXXXX";

static const char *fixture_in(const char *dir, const char *name)
{
    static char path[1024];
    const char *src = getenv("srcdir");
    snprintf(path, sizeof path, "%s/tests/fixtures/%s/%s", src ? src : ".", dir, name);
    return path;
}

/* GPT-2's tokenizer.json, shipped in assets/gpt2. */
static const char *gpt2_tokenizer(void)
{
    static char path[1024];
    const char *src = getenv("srcdir");
    snprintf(path, sizeof path, "%s/assets/gpt2/tokenizer.json", src ? src : ".");
    return path;
}

static const char *tmp(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

/* bn_tok_encode that must succeed: the count. */
static size_t encode(const bn_tokenizer *t, const char *text, size_t len, int *ids, size_t cap)
{
    size_t n = 0;
    bn_error err = {0};
    CHECK(bn_tok_encode(t, text, len, ids, cap, &n, &err) == BN_OK, "%s", err.msg);
    return n;
}

/* Encode all of text; a malloc'd array (caller frees), its length in *n. */
static int *encode_all(const bn_tokenizer *t, const char *text, size_t len, size_t *n)
{
    *n = encode(t, text, len, NULL, 0);
    int *ids = NULL;
    size_t again = 0;
    bn_error err = {0};
    CHECK(bn_tok_encode_all(t, text, len, &ids, &again, &err) == BN_OK, "%s", err.msg);
    CHECK(again == *n && *n <= len + 1, "same count the second time: %zu, %zu", again, *n);
    return ids;
}

/* decode(ids) == text, byte for byte. */
static int round_trips(const bn_tokenizer *t, const char *text, size_t len)
{
    size_t n;
    int *ids = encode_all(t, text, len, &n);
    char *out = malloc(4 * len + 64);
    size_t got = bn_tok_decode(t, ids, n, out, 4 * len + 64);
    int ok = got == len && memcmp(out, text, len) == 0;
    free(ids);
    free(out);
    return ok;
}

/* Our ids for the fixture text equal the ones Hugging Face's tokenizers gave. */
static void check_ids_in(const bn_tokenizer *t, const char *dir, const char *ids_file)
{
    char *text = NULL;
    size_t len = 0;
    json_t *want = NULL;
    bn_error err = {0};
    CHECK(bn_read_file(fixture_in(dir, "text.txt"), &text, &len, &err) == BN_OK, "%s",
          err.msg);
    CHECK(bn_json_read_file(fixture_in(dir, ids_file), &want, &err) == BN_OK, "%s",
          err.msg);
    if (!text || !want)
        goto done;
    size_t n;
    int *ids = encode_all(t, text, len, &n);
    CHECK(n == json_array_size(want), "%zu ids, Hugging Face has %zu", n,
          json_array_size(want));
    size_t bad = 0;
    for (size_t i = 0; i < n && i < json_array_size(want); i++)
        if (ids[i] != json_integer_value(json_array_get(want, i)) && bad++ == 0)
            CHECK(0, "id %zu: %d, Hugging Face %d", i, ids[i],
                  (int)json_integer_value(json_array_get(want, i)));
    /* a prefix space comes back decoded, as in Hugging Face */
    CHECK(bn_tok_bpe_add_prefix_space(t) || round_trips(t, text, len), "%s round trip", dir);
    free(ids);
done:
    free(text);
    json_decref(want);
}

static void check_fixture_ids(const bn_tokenizer *t)
{
    check_ids_in(t, "gpt2", "text.ids.json");
}

static void check_random_bytes(const bn_tokenizer *t)
{
    unsigned seed = 12345;
    char buf[600];
    for (int round = 0; round < 300; round++) {
        size_t len = (size_t)(round * 7 % 600);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16;
            /* mix raw bytes with spaces, letters and UTF-8 so merges happen too */
            buf[i] = (char)(r % 4 == 0 ? ' ' : r % 4 == 1 ? 'a' + (int)(r % 26) : (int)(r >> 3));
        }
        if (len > 20)
            memcpy(buf + len / 2, "<|endoftext|>", 13);
        CHECK(round_trips(t, buf, len), "random bytes, round %d", round);
    }
}

/* GPT-2's tokenizer.json rewritten as newer files are: merges as "a b" strings and a
 * GPT-4-style pattern in a Split before ByteLevel(use_regex false); or with
 * add_prefix_space. The expected ids are Hugging Face's for the same rewrites. */
#define SPLIT_PATTERN                                                                 \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "      \
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

static void check_gpt2_variant(json_t *doc, int split)
{
    json_t *merges = json_object_get(json_object_get(doc, "model"), "merges");
    for (size_t i = 0; split && i < json_array_size(merges); i++) {
        json_t *m = json_array_get(merges, i);
        char s[1024];
        snprintf(s, sizeof s, "%s %s", json_string_value(json_array_get(m, 0)),
                 json_string_value(json_array_get(m, 1)));
        json_array_set_new(merges, i, json_string(s));
    }
    if (split)
        json_object_set_new(doc, "pre_tokenizer", json_pack(
            "{s:s, s:[{s:s, s:{s:s}, s:s, s:b}, {s:s, s:b, s:b, s:b}]}", "type", "Sequence",
            "pretokenizers", "type", "Split", "pattern", "Regex", SPLIT_PATTERN, "behavior",
            "Isolated", "invert", 0, "type", "ByteLevel", "add_prefix_space", 0,
            "trim_offsets", 1, "use_regex", 0));
    else
        json_object_set_new(json_object_get(doc, "pre_tokenizer"), "add_prefix_space",
                            json_true());
    bn_error err = {0};
    CHECK(bn_json_write_file(tmp("variant.json"), doc, 0, &err) == BN_OK, "%s", err.msg);
    bn_tokenizer *t = NULL;
    CHECK(bn_tok_load_hf(&t, tmp("variant.json"), &err) == BN_OK, "%s", err.msg);
    if (t) {
        check_ids_in(t, "gpt2", split ? "text.split.ids.json" : "text.prefix.ids.json");
        CHECK(bn_tok_bpe_add_prefix_space(t) == !split, "add_prefix_space");
        bn_tok_free(t);
    }
}

static void test_gpt2_variants(void)
{
    for (int split = 0; split < 2; split++) {
        json_t *doc = NULL;
        bn_error err = {0};
        CHECK(bn_json_read_file(gpt2_tokenizer(), &doc, &err) == BN_OK, "%s",
              err.msg);
        if (doc)
            check_gpt2_variant(doc, split);
        json_decref(doc);
    }
}

/* The same tokenizer read from two differently formatted files hashes alike. */
static void check_same_hash(const bn_tokenizer *a, const bn_tokenizer *b)
{
    char ha[BN_TOK_HASH_CAP], hb[BN_TOK_HASH_CAP];
    bn_error err = {0};
    CHECK(bn_tok_hash(a, ha, &err) == BN_OK && bn_tok_hash(b, hb, &err) == BN_OK, "%s",
          err.msg);
    CHECK(strncmp(ha, "fnv1a64:", 8) == 0 && strlen(ha) == 24, "hash form %s", ha);
    CHECK(strcmp(ha, hb) == 0, "hashes %s and %s", ha, hb);
}

/* A pre-token over the encoder's limit (1 GiB: its merge scratch would take 36 GiB) fails
 * with the text's size and what could not be allocated, and the count is 0, so none of the
 * ids already written (those of "Hello world") is used. The text is a private mapping of
 * zero pages (NUL bytes: after " ", one pre-token of GPT-2's pattern), so it costs no
 * memory. (A malloc that fails: tests/test_limits.sh, under an address-space limit.) */
static void check_too_long_word(const bn_tokenizer *t)
{
    size_t len = ((size_t)1 << 30) + 4096, n = 99;
    char *text = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(text != MAP_FAILED, "mmap of %zu bytes", len);
    if (text == MAP_FAILED)
        return;
    memcpy(text, "Hello world ", 12);
    int ids[8];
    bn_error err = {0};
    bn_status st = bn_tok_encode(t, text, len, ids, 8, &n, &err);
    CHECK(st == BN_ERR_NOMEM && n == 0 && err.status == BN_ERR_NOMEM, "status %d, %zu ids",
          (int)st, n);
    CHECK(strcmp(err.msg, "out of memory allocating the merge scratch of a 1073745909-byte "
                          "pre-token to encode 1073745920 bytes of text (36.0 GiB)") == 0,
          "message: %s", err.msg);
    munmap(text, len);
}

static void test_gpt2(void)
{
    bn_tokenizer *t = NULL;
    bn_error err = {0};
    CHECK(bn_tok_load_hf(&t, gpt2_tokenizer(), &err) == BN_OK, "%s", err.msg);
    if (!t)
        return;
    CHECK(bn_tok_vocab_size(t) == 50257, "vocab %d", bn_tok_vocab_size(t));
    CHECK(bn_tok_bpe_n_merges(t) == 50000, "merges %d", bn_tok_bpe_n_merges(t));
    CHECK(bn_tok_special(t, BN_TOK_EOS) == 50256, "eos %d", bn_tok_special(t, BN_TOK_EOS));
    CHECK(bn_tok_special(t, BN_TOK_PAD) == -1 && bn_tok_special(t, BN_TOK_UNK) == -1, "none");
    int ids[8];
    CHECK(encode(t, "Hello world", 11, ids, 8) == 2 && ids[0] == 15496 && ids[1] == 995,
          "Hello world");
    CHECK(encode(t, "x", 1, ids, 0) == 1, "cap 0 still counts");
    check_too_long_word(t);
    check_fixture_ids(t);
    check_random_bytes(t);
    /* saved and loaded again: the same tokenizer */
    CHECK(bn_tok_save_hf(t, tmp("gpt2.json"), &err) == BN_OK, "%s", err.msg);
    bn_tokenizer *again = NULL;
    CHECK(bn_tok_load_hf(&again, tmp("gpt2.json"), &err) == BN_OK, "%s", err.msg);
    if (again) {
        CHECK(bn_tok_vocab_size(again) == 50257 && bn_tok_bpe_n_merges(again) == 50000, "size");
        check_fixture_ids(again);
        check_same_hash(t, again);
        bn_tok_free(again);
    }
    bn_tok_free(t);
}

/* 256 single bytes, then "aa", "ab", "aab", and two special tokens. */
static bn_tokenizer *small_tokenizer(void)
{
    static char bytes[256];
    const char *pieces[261];
    size_t lens[261];
    for (int c = 0; c < 256; c++) {
        bytes[c] = (char)c;
        pieces[c] = bytes + c;
        lens[c] = 1;
    }
    const char *more[5] = {"aa", "ab", "aab", "<|endoftext|>", "<pad>"};
    for (int i = 0; i < 5; i++) {
        pieces[256 + i] = more[i];
        lens[256 + i] = strlen(more[i]);
    }
    const int merges[] = {'a', 'a', 'a', 'b', 256, 'b'};
    const int specials[] = {259, 260};
    bn_tokenizer *t = NULL;
    bn_error err = {0};
    CHECK(bn_tok_bpe_from_merges(&t, pieces, lens, 261, merges, 3, specials, 2, &err) == BN_OK,
          "%s", err.msg);
    return t;
}

static int ids_are(const bn_tokenizer *t, const char *text, const int *want, size_t n)
{
    int ids[64];
    size_t got = encode(t, text, strlen(text), ids, 64);
    return got == n && memcmp(ids, want, n * sizeof *ids) == 0;
}

static void check_small_ids(const bn_tokenizer *t)
{
    CHECK(ids_are(t, "aaa", (const int[]){256, 'a'}, 2), "aaa: leftmost pair first");
    CHECK(ids_are(t, "aab", (const int[]){258}, 1), "aab: merge after merge");
    CHECK(ids_are(t, "abab", (const int[]){257, 257}, 2), "abab");
    CHECK(ids_are(t, "x<|endoftext|>aa<pad>", (const int[]){'x', 259, 256, 260}, 4),
          "specials in text");
    CHECK(ids_are(t, "a<|endoftext|", (const int[]){'a', '<', '|', 'e', 'n', 'd', 'o', 'f', 't',
                                                     'e', 'x', 't', '|'}, 13), "cut special");
    CHECK(ids_are(t, "a ab", (const int[]){'a', ' ', 257}, 3), "no merge across pre-tokens");
}

/* Rewrite a saved tokenizer.json: merges as "a b" strings, the regex in a Split. */
static void write_variant(const char *from, const char *to, const char *pattern)
{
    json_t *doc = NULL;
    bn_error err = {0};
    CHECK(bn_json_read_file(from, &doc, &err) == BN_OK, "%s", err.msg);
    if (!doc)
        return;
    json_t *merges = json_object_get(json_object_get(doc, "model"), "merges");
    for (size_t i = 0; i < json_array_size(merges); i++) {
        json_t *m = json_array_get(merges, i);
        char s[64];
        snprintf(s, sizeof s, "%s %s", json_string_value(json_array_get(m, 0)),
                 json_string_value(json_array_get(m, 1)));
        json_array_set_new(merges, i, json_string(s));
    }
    json_object_set_new(doc, "pre_tokenizer", json_pack(
        "{s:s, s:[{s:s, s:{s:s}, s:s, s:b}, {s:s, s:b, s:b, s:b}]}", "type", "Sequence",
        "pretokenizers", "type", "Split", "pattern", "Regex", pattern, "behavior",
        "Isolated", "invert", 0, "type", "ByteLevel", "add_prefix_space", 0, "trim_offsets", 1,
        "use_regex", 0));
    CHECK(bn_json_write_file(to, doc, 0, &err) == BN_OK, "%s", err.msg);
    json_decref(doc);
}

/* A pattern that backtracks exponentially hits PCRE2's match limit on 40 "a"s: encoding
 * fails and says where, where it used to take the rest of the text as one pre-token. */
static void check_match_limit(const char *from)
{
    write_variant(from, tmp("variant.json"), "(?:a|a)*(?:b|c)|.");
    bn_tokenizer *t = NULL;
    bn_error err = {0};
    CHECK(bn_tok_load_hf(&t, tmp("variant.json"), &err) == BN_OK, "%s", err.msg);
    if (!t)
        return;
    char text[42];
    memset(text, 'a', 40);
    memcpy(text + 40, "x", 2);
    int ids[64];
    size_t n = 99;
    bn_status st = bn_tok_encode(t, text, 41, ids, 64, &n, &err);
    CHECK(st == BN_ERR_INPUT && n == 0, "status %d, %zu ids", (int)st, n);
    CHECK(strstr(err.msg, "pre-tokenizer: matching at byte 0 of 41 bytes of text failed: ") &&
              strstr(err.msg, "limit"),
          "message: %s", err.msg);
    bn_tok_free(t);
}

/* A different tokenizer (GPT-2's) hashes differently. */
static void check_other_hash(const bn_tokenizer *t)
{
    bn_tokenizer *gpt2 = NULL;
    bn_error err = {0};
    char h1[BN_TOK_HASH_CAP], h2[BN_TOK_HASH_CAP];
    CHECK(bn_tok_load_hf(&gpt2, gpt2_tokenizer(), &err) == BN_OK, "%s", err.msg);
    if (!gpt2)
        return;
    CHECK(bn_tok_hash(t, h1, &err) == BN_OK && bn_tok_hash(gpt2, h2, &err) == BN_OK, "%s",
          err.msg);
    CHECK(strcmp(h1, h2) != 0, "two tokenizers, one hash %s", h1);
    bn_tok_free(gpt2);
}

static void test_small(void)
{
    bn_tokenizer *t = small_tokenizer();
    if (!t)
        return;
    CHECK(bn_tok_special(t, BN_TOK_EOS) == 259 && bn_tok_special(t, BN_TOK_PAD) == 260,
          "eos %d pad %d", bn_tok_special(t, BN_TOK_EOS), bn_tok_special(t, BN_TOK_PAD));
    check_small_ids(t);
    /* a long pre-token (past the per-call cache's limit): pairs left to right */
    static char many[10001];
    memset(many, 'a', sizeof many);
    static int ids[6000];
    size_t n = encode(t, many, sizeof many, ids, 6000);
    int pairs = 0;
    for (size_t i = 0; i + 1 < n && i < 6000; i++)
        pairs += ids[i] == 256;
    CHECK(n == 5001 && pairs == 5000 && ids[5000] == 'a', "10001 a: %zu ids", n);
    const char *piece;
    CHECK(bn_tok_piece(t, 259, &piece) == 13 && memcmp(piece, "<|endoftext|>", 13) == 0, "p");
    bn_error err = {0};
    CHECK(bn_tok_save_hf(t, tmp("small.json"), &err) == BN_OK, "%s", err.msg);
    bn_tokenizer *again = NULL;
    CHECK(bn_tok_load_hf(&again, tmp("small.json"), &err) == BN_OK, "%s", err.msg);
    if (again) {
        check_small_ids(again);
        CHECK(bn_tok_special(again, BN_TOK_PAD) == 260, "pad after load");
        check_same_hash(t, again);
        check_other_hash(t);
        bn_tok_free(again);
    }
    char from[1024];
    snprintf(from, sizeof from, "%s", tmp("small.json")); /* tmp() reuses its buffer */
    /* what we write is, byte for byte, the file Hugging Face loaded to make the fixture */
    char *ours = NULL, *theirs = NULL;
    size_t ours_len = 0, theirs_len = 0;
    CHECK(bn_read_file(from, &ours, &ours_len, &err) == BN_OK, "%s", err.msg);
    CHECK(bn_read_file(fixture_in("bpe-small", "tokenizer.json"), &theirs, &theirs_len, &err) ==
              BN_OK, "%s", err.msg);
    CHECK(ours && theirs && ours_len == theirs_len && memcmp(ours, theirs, ours_len) == 0,
          "saved small tokenizer differs from tests/fixtures/bpe-small/tokenizer.json");
    free(ours);
    free(theirs);
    check_ids_in(t, "bpe-small", "text.ids.json");
    write_variant(from, tmp("variant.json"), "[a-z]+|[^a-z]");
    CHECK(bn_tok_load_hf(&again, tmp("variant.json"), &err) == BN_OK, "%s", err.msg);
    if (again) { /* "[a-z]+|[^a-z]": a space is its own pre-token, "ab" merges still */
        CHECK(ids_are(again, "aab ab", (const int[]){258, ' ', 257}, 3), "split variant");
        CHECK(strcmp(bn_tok_bpe_pattern(again), "[a-z]+|[^a-z]") == 0, "pattern");
        bn_tok_free(again);
    }
    check_match_limit(from);
    bn_tok_free(t);
}

/* Load path after changing one member of the small tokenizer's JSON; the message must hold
 * `expect`. */
static void check_refused(const char *member, json_t *value, const char *expect)
{
    json_t *doc = NULL;
    bn_error err = {0};
    CHECK(bn_json_read_file(tmp("small.json"), &doc, &err) == BN_OK, "%s", err.msg);
    if (!doc) {
        json_decref(value);
        return;
    }
    if (strcmp(member, "model.type") == 0)
        json_object_set_new(json_object_get(doc, "model"), "type", value);
    else
        json_object_set_new(doc, member, value);
    CHECK(bn_json_write_file(tmp("bad.json"), doc, 0, &err) == BN_OK, "%s", err.msg);
    json_decref(doc);
    bn_tokenizer *t = NULL;
    CHECK(bn_tok_load_hf(&t, tmp("bad.json"), &err) == BN_ERR_INPUT && !t, "%s accepted",
          member);
    CHECK(strstr(err.msg, expect) && strstr(err.msg, tmp("bad.json")), "%s: \"%s\"", member,
          err.msg);
    CHECK(!strchr(err.msg, '\n'), "one line: %s", err.msg);
    bn_tok_free(t);
}

static void test_refusals(void)
{
    check_refused("model.type", json_string("WordPiece"), "model.type \"WordPiece\"");
    check_refused("normalizer", json_pack("{s:s}", "type", "NFC"), "normalizer \"NFC\"");
    check_refused("pre_tokenizer", json_pack("{s:s}", "type", "Whitespace"),
                  "pre_tokenizer \"Whitespace\"");
    check_refused("decoder", json_pack("{s:s}", "type", "WordPiece"), "decoder \"WordPiece\"");
    check_refused("added_tokens", json_pack("[{s:i, s:s, s:b}]", "id", 3, "content", "<x>",
                                            "lstrip", 1), "lstrip");
    bn_error err = {0};
    FILE *f = fopen(tmp("broken.json"), "w");
    if (f) {
        fputs("{\"model\": {\"type\": \"BPE\", ", f);
        fclose(f);
    }
    bn_tokenizer *t = NULL;
    CHECK(bn_tok_load_hf(&t, tmp("broken.json"), &err) == BN_ERR_INPUT && !t, "malformed");
    CHECK(strstr(err.msg, "broken.json") != NULL, "%s", err.msg);
    CHECK(bn_tok_load_hf(&t, tmp("missing.json"), &err) == BN_ERR_INPUT && !t, "missing");
}

/* Pieces pushed one at a time come out as whole characters only, and join to the text. */
static void test_stream(void)
{
    bn_tokenizer *t = NULL;
    bn_error err = {0};
    if (bn_tok_load_hf(&t, gpt2_tokenizer(), &err) != BN_OK)
        return;
    const char *text = "a\xF0\x9F\x98\x80 \xE4\xBD\xA0\xE5\xA5\xBD \xFF\xC3 caf\xC3\xA9";
    size_t n, len = strlen(text), at = 0;
    int *ids = encode_all(t, text, len, &n);
    bn_utf8_carry carry = {0};
    char joined[128], out[64];
    for (size_t i = 0; i < n; i++) {
        const char *piece;
        size_t plen = bn_tok_piece(t, ids[i], &piece);
        size_t got = bn_utf8_push(&carry, piece, plen, out);
        /* a chunk never ends inside the emoji or the CJK characters */
        CHECK(got == 0 || (unsigned char)out[got - 1] < 0x80 ||
                  ((unsigned char)out[got - 1] & 0xC0) == 0x80 ||
                  (unsigned char)out[got - 1] == 0xFF || (unsigned char)out[got - 1] == 0xC3,
              "chunk %zu ends with a lead byte", i);
        memcpy(joined + at, out, got);
        at += got;
    }
    at += bn_utf8_flush(&carry, joined + at);
    CHECK(at == len && memcmp(joined, text, len) == 0, "stream joined");
    /* byte by byte: nothing before the emoji's 4th byte */
    bn_utf8_carry c = {0};
    CHECK(bn_utf8_push(&c, "\xF0", 1, out) == 0 && bn_utf8_push(&c, "\x9F\x98", 2, out) == 0 &&
              bn_utf8_push(&c, "\x80!", 2, out) == 5, "emoji held until complete");
    CHECK(bn_utf8_push(&c, "\xE4\xBD", 2, out) == 0 && bn_utf8_push(&c, "x", 1, out) == 3 &&
              memcmp(out, "\xE4\xBDx", 3) == 0, "cut character passed on");
    free(ids);
    bn_tok_free(t);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_gpt2();
    test_gpt2_variants();
    test_small();
    test_refusals();
    test_stream();
    const char *names[] = {"gpt2.json", "small.json", "variant.json", "bad.json", "broken.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unlink(tmp(names[i]));
    rmdir(tmpdir);
    return check_exit("test_bpe");
}
