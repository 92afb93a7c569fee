/* test_shard.c - llm.c token shards: round trips, the exact bytes llm.c writes, and the
 * refusal of damaged or foreign files. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "io/shard.h"

static char dir[] = "/tmp/bn_test_shard_XXXXXX";

static const char *in_dir(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    return buf;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static int write_raw(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = n == 0 || fwrite(bytes, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A shard file built byte by byte: header ints `magic`, `version`, `count`, then
 * `n_bytes` body bytes taken from the uint16 ids (little-endian) in `ids`. */
static int write_hand(const char *path, uint32_t magic, uint32_t version, uint32_t count,
                      const uint16_t *ids, size_t n_bytes)
{
    unsigned char *buf = calloc(1, 1024 + n_bytes);
    if (!buf)
        return -1;
    put_le32(buf, magic);
    put_le32(buf + 4, version);
    put_le32(buf + 8, count);
    for (size_t i = 0; i < n_bytes; i++)
        buf[1024 + i] = (unsigned char)(ids[i / 2] >> (8 * (i % 2)));
    int rc = write_raw(path, buf, 1024 + n_bytes);
    free(buf);
    return rc;
}

/* Opening must fail with BN_ERR_INPUT and one line naming the path and holding both
 * phrases (the second may be NULL); the shard must hold nothing afterwards. */
static void expect_refused(const char *path, int vocab, const char *phrase,
                           const char *phrase2)
{
    bn_shard s;
    bn_error err = {0};
    bn_status st = bn_shard_open(&s, path, vocab, &err);
    CHECK(st == BN_ERR_INPUT, "%s: status %d, want refusal (%s)", path, st, phrase);
    CHECK(strstr(err.msg, path) != NULL, "message does not name the file: %s", err.msg);
    CHECK(strstr(err.msg, phrase) != NULL, "message lacks '%s': %s", phrase, err.msg);
    CHECK(!phrase2 || strstr(err.msg, phrase2) != NULL, "message lacks '%s': %s", phrase2,
          err.msg);
    CHECK(strchr(err.msg, '\n') == NULL, "message is more than one line: %s", err.msg);
    CHECK(s.map == NULL && s.tokens == NULL && s.n_tokens == 0, "refused shard holds data");
}

/* Write `n` ids, check the file's size and that no .tmp is left, read them back. */
static void round_trip(const char *name, const uint16_t *ids, size_t n, int vocab)
{
    char path[256], tmp[300];
    in_dir(path, sizeof path, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    bn_error err = {0};
    CHECK(bn_shard_write(path, ids, n, &err) == BN_OK, "%s: write failed: %s", name, err.msg);
    CHECK(!exists(tmp), "%s: .tmp left after the write", name);
    CHECK(file_size(path) == 1024 + 2 * (long long)n, "%s: size %lld for %zu tokens", name,
          file_size(path), n);
    bn_shard s;
    CHECK(bn_shard_open(&s, path, vocab, &err) == BN_OK, "%s: open failed: %s", name,
          err.msg);
    CHECK(s.n_tokens == n, "%s: %zu tokens read, %zu written", name, s.n_tokens, n);
    CHECK(s.n_tokens != n || n == 0 || memcmp(s.tokens, ids, n * sizeof *ids) == 0,
          "%s: tokens differ after the round trip", name);
    bn_shard_close(&s);
    CHECK(s.map == NULL && s.n_tokens == 0, "%s: close left the shard set", name);
}

static void test_round_trips(void)
{
    const uint16_t few[] = {0, 1, 255, 256, 50256, 65535};
    round_trip("few.bin", few, 6, 0);
    round_trip("few_vocab.bin", few, 6, 65536); /* the largest id is allowed: vocab - 1 */
    round_trip("empty.bin", NULL, 0, 50257);
    /* A count past 2^16 and 2^24 fills all the count's bytes but the top one. */
    size_t n = (1u << 24) + 12345;
    uint16_t *big = malloc(n * sizeof *big);
    CHECK(big != NULL, "out of memory");
    if (!big)
        return;
    for (size_t i = 0; i < n; i++)
        big[i] = (uint16_t)(i * 40503u);
    round_trip("big.bin", big, n, 0);
    free(big);
}

/* The bytes llm.c writes (header ints little-endian, rest of the header zero, then the
 * ids), spelled out here rather than built by the code under test. */
static void test_llmc_bytes(void)
{
    char path[256];
    in_dir(path, sizeof path, "llmc.bin");
    const uint16_t ids[] = {1, 258, 65535};
    unsigned char want[1024 + 6] = {
        0x88, 0xD8, 0x34, 0x01, /* 20240520 */
        0x01, 0x00, 0x00, 0x00, /* version 1 */
        0x03, 0x00, 0x00, 0x00, /* 3 tokens */
    };
    const unsigned char body[6] = {0x01, 0x00, 0x02, 0x01, 0xFF, 0xFF};
    memcpy(want + 1024, body, sizeof body);
    bn_error err = {0};
    CHECK(bn_shard_write(path, ids, 3, &err) == BN_OK, "write failed: %s", err.msg);
    unsigned char got[sizeof want + 1];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(got, 1, sizeof got, f) : 0;
    if (f)
        fclose(f);
    CHECK(n == sizeof want, "llm.c shard is %zu bytes, want %zu", n, sizeof want);
    CHECK(memcmp(got, want, sizeof want) == 0, "bytes differ from llm.c's layout");
    /* And a file made by hand (as llm.c would) reads back as the same ids. */
    in_dir(path, sizeof path, "hand.bin");
    CHECK(write_raw(path, want, sizeof want) == 0, "cannot write %s", path);
    bn_shard s;
    CHECK(bn_shard_open(&s, path, 65536, &err) == BN_OK, "hand shard refused: %s", err.msg);
    CHECK(s.n_tokens == 3 && s.tokens[0] == 1 && s.tokens[1] == 258 && s.tokens[2] == 65535,
          "hand shard read wrong: %zu tokens", s.n_tokens);
    bn_shard_close(&s);
}

static void test_refusals(void)
{
    char path[256];
    const uint16_t ids[] = {5, 7, 9, 99, 100, 3000, 1, 2};
    unsigned char zeros[100] = {0};
    in_dir(path, sizeof path, "short_header.bin");
    write_raw(path, zeros, sizeof zeros);
    expect_refused(path, 0, "truncated", "100 bytes");
    in_dir(path, sizeof path, "short_body.bin");
    write_hand(path, 20240520, 1, 8, ids, 12); /* 6 of the 8 tokens */
    expect_refused(path, 0, "1036 bytes", "1040");
    in_dir(path, sizeof path, "long_body.bin");
    write_hand(path, 20240520, 1, 3, ids, 16);
    expect_refused(path, 0, "1040 bytes", "1030");
    in_dir(path, sizeof path, "magic.bin");
    write_hand(path, 20240522, 1, 8, ids, 16);
    expect_refused(path, 0, "20240522", "expected 20240520");
    expect_refused(path, 0, "llm.c", NULL);
    in_dir(path, sizeof path, "version.bin");
    write_hand(path, 20240520, 2, 8, ids, 16);
    expect_refused(path, 0, "version 2", "expected 1");
    in_dir(path, sizeof path, "negative.bin");
    write_hand(path, 20240520, 1, 0xFFFFFFFFu, ids, 16);
    expect_refused(path, 0, "negative token count -1", NULL);
    in_dir(path, sizeof path, "vocab.bin");
    write_hand(path, 20240520, 1, 8, ids, 16);
    expect_refused(path, 100, "token 4", "id 100");
    expect_refused(path, 3000, "token 5", "id 3000");
    bn_shard s;
    bn_error err = {0};
    CHECK(bn_shard_open(&s, path, 3001, &err) == BN_OK, "ids < vocab refused: %s", err.msg);
    bn_shard_close(&s);
    in_dir(path, sizeof path, "missing.bin");
    expect_refused(path, 0, "cannot open", NULL);
    expect_refused(dir, 0, "not a regular file", NULL);
}

static void test_write_refusals(void)
{
    char path[256];
    in_dir(path, sizeof path, "too_many.bin");
    bn_error err = {0};
    /* Refused before the ids are touched, so no 4 GiB buffer is needed. */
    static const uint16_t one = 0;
    bn_status st = bn_shard_write(path, &one, (size_t)INT32_MAX + 1, &err);
    CHECK(st == BN_ERR_INPUT, "count above INT32_MAX accepted (status %d)", st);
    CHECK(strstr(err.msg, path) && strstr(err.msg, "2147483648"), "message: %s", err.msg);
    CHECK(!exists(path), "a refused write left a file");
    in_dir(path, sizeof path, "no_such_dir/x.bin");
    st = bn_shard_write(path, &one, 1, &err);
    CHECK(st == BN_ERR_IO && strstr(err.msg, "no_such_dir"), "unwritable path: %d %s", st,
          err.msg);
}

/* Remove what the tests wrote (every file in `dir` is ours). */
static void cleanup(void)
{
    static const char *names[] = {"few.bin", "few_vocab.bin", "empty.bin", "big.bin",
                                  "llmc.bin", "hand.bin", "short_header.bin",
                                  "short_body.bin", "long_body.bin", "magic.bin",
                                  "version.bin", "negative.bin", "vocab.bin"};
    char path[256];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        remove(in_dir(path, sizeof path, names[i]));
    CHECK(rmdir(dir) == 0, "%s: not empty after cleanup (a stray file?)", dir);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trips();
    test_llmc_bytes();
    test_refusals();
    test_write_refusals();
    cleanup();
    return check_exit("test_shard");
}
