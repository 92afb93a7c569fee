/* test_safetensors.c - write/load round trip and refusal of damaged or foreign files. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "io/safetensors.h"

static char dir[] = "/tmp/bn_test_st_XXXXXX";

/* "<dir>/<name>" in a static-free caller buffer. */
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

static int write_file(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(bytes, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static unsigned char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(*n + 1);
    if (buf && fread(buf, 1, *n, f) != *n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* A file with the given JSON header, space-padded to a multiple of 8 if `pad`, followed by
 * `data_len` bytes of 0xAB. */
static int write_raw_as(const char *path, const char *header, size_t data_len, int pad)
{
    size_t text_len = strlen(header), hlen = pad ? (text_len + 7) / 8 * 8 : text_len;
    size_t n = 8 + hlen + data_len;
    unsigned char *buf = malloc(n);
    if (!buf)
        return -1;
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    memcpy(buf + 8, header, text_len);
    memset(buf + 8 + text_len, ' ', hlen - text_len);
    memset(buf + 8 + hlen, 0xAB, data_len);
    int rc = write_file(path, buf, n);
    free(buf);
    return rc;
}

static int write_raw(const char *path, const char *header, size_t data_len)
{
    return write_raw_as(path, header, data_len, 1);
}

/* Loading `path` must fail with BN_ERR_INPUT, a message naming the path and containing
 * one of the two phrases (the second may be NULL). */
static void expect_refused(const char *path, const char *phrase, const char *or_phrase,
                           const char *what)
{
    bn_st_file file;
    bn_error err = {0};
    bn_status st = bn_st_load(&file, path, &err);
    CHECK(st == BN_ERR_INPUT, "%s: status %d (%s)", what, st, err.msg);
    CHECK(strncmp(err.msg, path, strlen(path)) == 0, "%s: message does not name the path: %s",
          what, err.msg);
    CHECK(strstr(err.msg, phrase) || (or_phrase && strstr(err.msg, or_phrase)),
          "%s: message is \"%s\"", what, err.msg);
    CHECK(!strchr(err.msg, '\n'), "%s: message has a newline", what);
    CHECK(file.bytes == NULL && file.tensors == NULL && file.strings == NULL &&
              file.path == NULL && file.n_tensors == 0,
          "%s: failed load left state behind", what);
}

static const float w_data[6] = {1.5f, -2.0f, 3.25f, 0.0f, -0.0f, 1e-30f};
static const float b_data[3] = {0.1f, 0.2f, 0.3f};
static const int32_t ids_data[4] = {7, -1, 2147483647, -2147483647 - 1};

static void fill_tensors(bn_st_tensor t[3])
{
    memset(t, 0, 3 * sizeof *t);
    t[0] = (bn_st_tensor){"layer.w", BN_DTYPE_F32, 2, {2, 3}, w_data, sizeof w_data};
    t[1] = (bn_st_tensor){"layer.b", BN_DTYPE_F32, 1, {3}, b_data, sizeof b_data};
    t[2] = (bn_st_tensor){"ids", BN_DTYPE_I32, 1, {4}, ids_data, sizeof ids_data};
}

static const bn_st_meta meta[] = {
    {"format", "bitnet-tui"},
    {"tricky", "quote \" backslash \\ newline \n tab \t ctrl \x01 caf\xc3\xa9"},
    {"empty", ""},
};

static void check_loaded(const bn_st_file *file, const bn_st_tensor *want, int n)
{
    CHECK(file->n_tensors == n, "n_tensors %d", file->n_tensors);
    for (int i = 0; i < n && i < file->n_tensors; i++) {
        const bn_st_tensor *t = &file->tensors[i];
        CHECK(strcmp(t->name, want[i].name) == 0, "tensor %d is %s", i, t->name);
        CHECK(t->dtype == want[i].dtype && t->ndim == want[i].ndim, "%s: dtype/ndim", t->name);
        for (int d = 0; d < t->ndim; d++)
            CHECK(t->shape[d] == want[i].shape[d], "%s: dim %d", t->name, d);
        CHECK(t->nbytes == want[i].nbytes, "%s: %zu bytes", t->name, t->nbytes);
        CHECK(memcmp(t->data, want[i].data, t->nbytes) == 0, "%s: data differs", t->name);
        CHECK((uintptr_t)t->data % 4 == 0, "%s: data not 4-byte aligned", t->name);
        CHECK(bn_st_find(file, want[i].name) == t, "bn_st_find(%s)", want[i].name);
    }
    CHECK(bn_st_find(file, "nope") == NULL, "bn_st_find found a missing tensor");
}

static void test_round_trip(const char *path)
{
    bn_st_tensor t[3];
    fill_tensors(t);
    bn_error err = {0};
    CHECK(bn_st_write(path, t, 3, meta, 3, &err) == BN_OK, "write: %s", err.msg);

    bn_st_file file;
    CHECK(bn_st_load(&file, path, &err) == BN_OK, "load: %s", err.msg);
    if (!file.bytes)
        return;
    check_loaded(&file, t, 3);
    CHECK(file.n_meta == 3, "n_meta %d", file.n_meta);
    for (int i = 0; i < 3; i++) {
        const char *v = bn_st_meta_get(&file, meta[i].key);
        CHECK(v && strcmp(v, meta[i].value) == 0, "metadata %s is %s", meta[i].key,
              v ? v : "(missing)");
    }
    CHECK(bn_st_meta_get(&file, "nope") == NULL, "missing metadata found");
    CHECK(strcmp(file.path, path) == 0, "file.path is %s", file.path);

    /* Header length is a multiple of 8, so the data section is aligned. */
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | file.bytes[i];
    CHECK(hlen % 8 == 0, "header length %llu is not a multiple of 8", (unsigned long long)hlen);
    CHECK(file.size == 8 + hlen + sizeof w_data + sizeof b_data + sizeof ids_data,
          "file size %zu", file.size);
    CHECK(memcmp(file.bytes + 8, "{\"__metadata__\":", 16) == 0, "metadata is not first");
    bn_st_free(&file);
    CHECK(file.bytes == NULL && file.tensors == NULL && file.meta == NULL &&
              file.strings == NULL && file.path == NULL && file.n_tensors == 0 &&
              file.n_meta == 0,
          "bn_st_free did not zero the struct");
}

static void test_overwrite(const char *path)
{
    bn_st_tensor t[3];
    fill_tensors(t);
    bn_error err = {0};
    CHECK(bn_st_write(path, t, 3, meta, 3, &err) == BN_OK, "first write: %s", err.msg);
    const float other[3] = {9, 8, 7};
    t[1].data = other;
    CHECK(bn_st_write(path, t, 3, NULL, 0, &err) == BN_OK, "second write: %s", err.msg);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(!exists(tmp), "%s remains", tmp);

    bn_st_file file;
    CHECK(bn_st_load(&file, path, &err) == BN_OK, "load: %s", err.msg);
    if (!file.bytes)
        return;
    check_loaded(&file, t, 3);
    CHECK(file.n_meta == 0 && bn_st_meta_get(&file, "format") == NULL, "stale metadata");
    CHECK(memcmp(file.bytes + 8, "{\"layer.w\":", 11) == 0, "header without metadata");
    bn_st_free(&file);
}

static void test_empty_and_scalar(const char *path)
{
    bn_error err = {0};
    CHECK(bn_st_write(path, NULL, 0, NULL, 0, &err) == BN_OK, "empty write: %s", err.msg);
    bn_st_file file;
    CHECK(bn_st_load(&file, path, &err) == BN_OK, "empty load: %s", err.msg);
    CHECK(file.n_tensors == 0 && file.n_meta == 0, "empty file has entries");
    bn_st_free(&file);

    const float one = 4.0f;
    bn_st_tensor t[2] = {{"scalar", BN_DTYPE_F32, 0, {0}, &one, 4},
                         {"none", BN_DTYPE_F32, 2, {0, 5}, NULL, 0}};
    CHECK(bn_st_write(path, t, 2, NULL, 0, &err) == BN_OK, "scalar write: %s", err.msg);
    CHECK(bn_st_load(&file, path, &err) == BN_OK, "scalar load: %s", err.msg);
    CHECK(file.n_tensors == 2 && file.tensors[0].ndim == 0 && file.tensors[0].nbytes == 4 &&
              *(const float *)file.tensors[0].data == 4.0f,
          "scalar round trip");
    CHECK(file.n_tensors == 2 && file.tensors[1].nbytes == 0 && file.tensors[1].shape[0] == 0,
          "empty tensor round trip");
    bn_st_free(&file);
}

static void test_write_refusals(const char *path)
{
    bn_error err = {0};
    bn_st_tensor t = {"w", BN_DTYPE_F32, 2, {2, 3}, w_data, 20}; /* shape needs 24 */
    CHECK(bn_st_write(path, &t, 1, NULL, 0, &err) == BN_ERR_INPUT && strstr(err.msg, "needs 24"),
          "size mismatch: %s", err.msg);
    char bad[512];
    in_dir(bad, sizeof bad, "no/such/dir/x.safetensors");
    t.nbytes = 24;
    err.msg[0] = '\0';
    CHECK(bn_st_write(bad, &t, 1, NULL, 0, &err) == BN_ERR_IO, "write into a missing dir");
    CHECK(strstr(err.msg, bad) && strstr(err.msg, "No such file"), "message: %s", err.msg);

    /* What the header cannot hold: a name or metadata key twice, text that is not UTF-8. */
    remove(path);
    bn_st_tensor two[2] = {{"w", BN_DTYPE_F32, 1, {1}, w_data, 4},
                           {"w", BN_DTYPE_F32, 1, {1}, w_data, 4}};
    CHECK(bn_st_write(path, two, 2, NULL, 0, &err) == BN_ERR_INPUT &&
              strstr(err.msg, "tensor w given twice"),
          "duplicate tensor name: %s", err.msg);
    const bn_st_meta twice[] = {{"k", "1"}, {"k", "2"}};
    CHECK(bn_st_write(path, two, 1, twice, 2, &err) == BN_ERR_INPUT &&
              strstr(err.msg, "metadata key k given twice"),
          "duplicate metadata key: %s", err.msg);
    const bn_st_meta latin1[] = {{"k", "caf\xe9"}};
    CHECK(bn_st_write(path, two, 1, latin1, 1, &err) == BN_ERR_INPUT &&
              strstr(err.msg, "UTF-8"),
          "metadata not UTF-8: %s", err.msg);
    two[0].name = "\xff";
    CHECK(bn_st_write(path, two, 1, NULL, 0, &err) == BN_ERR_INPUT && strstr(err.msg, "UTF-8"),
          "name not UTF-8: %s", err.msg);
    CHECK(!exists(path), "a refused write left %s", path);
}

static void test_truncated(const char *path, const char *cut)
{
    size_t n;
    unsigned char *bytes = read_file(path, &n);
    CHECK(bytes != NULL, "cannot read back %s", path);
    if (!bytes)
        return;
    size_t hlen = bytes[0] | (size_t)bytes[1] << 8; /* small header */
    const struct {
        size_t len;
        const char *what;
    } cuts[] = {{0, "empty"},
                {7, "7 bytes"},
                {8, "length only"},
                {8 + 1, "one header byte"},
                {8 + hlen / 2, "inside header"},
                {8 + hlen - 1, "last header byte missing"},
                {8 + hlen, "no data"},
                {8 + hlen + 5, "inside first tensor"},
                {n - 3, "inside data"},
                {n - 1, "last byte missing"}};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        CHECK(write_file(cut, bytes, cuts[i].len) == 0, "cannot write %s", cut);
        expect_refused(cut, "truncated", "not a safetensors", cuts[i].what);
    }
    /* The data-section cut says how much is missing. */
    write_file(cut, bytes, n - 3);
    bn_st_file file;
    bn_error err = {0};
    bn_st_load(&file, cut, &err);
    char want[128];
    snprintf(want, sizeof want, "truncated (header says %zu bytes of data, file has %zu)",
             n - 8 - hlen, n - 8 - hlen - 3);
    CHECK(strstr(err.msg, want), "message is \"%s\", want \"%s\"", err.msg, want);
    free(bytes);
}

static void test_foreign_files(const char *p)
{
    unsigned char garbage[200];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof garbage; i++) {
        x = x * 1103515245u + 12345u;
        garbage[i] = (unsigned char)(x >> 16);
    }
    write_file(p, garbage, sizeof garbage);
    expect_refused(p, "not a safetensors", NULL, "garbage");

    unsigned char huge[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}'};
    write_file(p, huge, sizeof huge);
    expect_refused(p, "not a safetensors", NULL, "huge header length");

    write_raw(p, "{\"a\": 1", 0);
    expect_refused(p, "not a safetensors file (header JSON:", NULL, "bad JSON");
    write_raw(p, "[1, 2]", 0);
    expect_refused(p, "not a JSON object", NULL, "array header");

    write_raw(p, "{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4);
    expect_refused(p, "F16", NULL, "F16 dtype");
    write_raw(p, "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    expect_refused(p, "no dtype", NULL, "missing dtype");
    write_raw(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}", 4);
    expect_refused(p, "at most 4", NULL, "5 dims");
    write_raw(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4);
    expect_refused(p, "non-negative integers", NULL, "negative dim");
    write_raw(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4);
    expect_refused(p, "non-negative integers", NULL, "fractional dim");
    write_raw(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8);
    expect_refused(p, "does not match data_offsets", NULL, "shape/offsets mismatch");
    write_raw(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4);
    expect_refused(p, "begin <= end", NULL, "begin > end");
    write_raw(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4);
    expect_refused(p, "data_offsets must be", NULL, "one offset");
    write_raw(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 4);
    expect_refused(p, "truncated", NULL, "offsets past the end");
    write_raw(p, "{\"w\":[1]}", 0);
    expect_refused(p, "not an object", NULL, "tensor entry not an object");
    write_raw(p, "{\"__metadata__\":{\"k\":1}}", 0);
    expect_refused(p, "not a string", NULL, "non-string metadata");
    write_raw(p,
              "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
              8);
    expect_refused(p, "duplicate object key near '\"w\"'", NULL, "duplicate name");
    write_raw(p, "{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0);
    expect_refused(p, "header JSON: line 1, column", "duplicate", "duplicate metadata key");
    write_raw(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", 4);
    expect_refused(p, "data_offsets must be", NULL, "real offset");
    write_raw(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}\n,}", 4);
    expect_refused(p, "header JSON: line 2, column 2:", NULL, "bad JSON on line 2");
    /* Unpadded headers: data starting at a multiple of 4 is fine, otherwise refused. */
    const char *one = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    for (size_t pad = 0; pad < 4; pad++) {
        char header[128];
        snprintf(header, sizeof header, "%s%*s", one, (int)pad, "");
        write_raw_as(p, header, 4, 0);
        if ((8 + strlen(header)) % 4 == 0) {
            bn_st_file ok;
            bn_error err = {0};
            CHECK(bn_st_load(&ok, p, &err) == BN_OK, "aligned, unpadded: %s", err.msg);
            bn_st_free(&ok);
        } else {
            expect_refused(p, "not 4-byte aligned", NULL, "misaligned data");
        }
    }
}

static void test_overlap(const char *p)
{
    write_raw(p,
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
              "\"b\":{\"dtype\":\"I32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
              24);
    expect_refused(p, "overlap", NULL, "overlapping tensors");
    /* Out of order but disjoint, with an empty tensor in the middle of another: fine. */
    write_raw(p,
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
              "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]},"
              "\"e\":{\"dtype\":\"I32\",\"shape\":[0],\"data_offsets\":[4,4]}}  ",
              16);
    bn_st_file file;
    bn_error err = {0};
    CHECK(bn_st_load(&file, p, &err) == BN_OK, "disjoint tensors refused: %s", err.msg);
    const bn_st_tensor *a = bn_st_find(&file, "a"), *b = bn_st_find(&file, "b");
    CHECK(a && b && (const unsigned char *)a->data - (const unsigned char *)b->data == 8,
          "tensor data pointers follow data_offsets");
    bn_st_free(&file);
}

/* The spec: the tensors' bytes cover the data section exactly (no hole, no trailing bytes). */
static void test_holes(const char *p)
{
    write_raw(p,
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
              "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[12,20]}}",
              20);
    expect_refused(p, "data bytes [8, 12) before tensor b belong to no tensor", NULL,
                   "hole between tensors");
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
    expect_refused(p, "data bytes [0, 4) before tensor a", NULL, "hole at the start");
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12);
    expect_refused(p, "8 bytes after the last tensor belong to no tensor", NULL,
                   "bytes after the last tensor");
    write_raw(p, "{}", 4);
    expect_refused(p, "4 bytes after the last tensor", NULL, "data without tensors");
}

/* The header as written: compact JSON, metadata first, tensors in order, spaces to 8. */
static void test_header_text(const char *p)
{
    const float one[2] = {1, 2};
    bn_st_tensor t[2] = {{"z\"q", BN_DTYPE_F32, 1, {2}, one, 8},
                         {"a", BN_DTYPE_I32, 2, {1, 0}, NULL, 0}};
    const bn_st_meta m[] = {{"k", "v\n"}};
    bn_error err = {0};
    CHECK(bn_st_write(p, t, 2, m, 1, &err) == BN_OK, "write: %s", err.msg);
    size_t n = 0;
    unsigned char *bytes = read_file(p, &n);
    const char *want = "{\"__metadata__\":{\"k\":\"v\\n\"},"
                       "\"z\\\"q\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                       "\"a\":{\"dtype\":\"I32\",\"shape\":[1,0],\"data_offsets\":[8,8]}}";
    size_t len = strlen(want), padded = (len + 7) / 8 * 8;
    CHECK(bytes && n == 8 + padded + 8 && bytes[0] == padded && bytes[1] == 0,
          "file size %zu, header length %d", n, bytes ? bytes[0] : -1);
    CHECK(bytes && n > 8 + len && memcmp(bytes + 8, want, len) == 0, "header is %.*s",
          bytes && n > 8 ? (int)(n - 8) : 0, bytes ? (const char *)bytes + 8 : "");
    for (size_t i = len; bytes && i < padded && 8 + i < n; i++)
        CHECK(bytes[8 + i] == ' ', "padding byte %zu is %d", i, bytes[8 + i]);
    free(bytes);
}

static void test_expect(const char *path)
{
    bn_st_file file;
    bn_error err = {0};
    CHECK(bn_st_load(&file, path, &err) == BN_OK, "load: %s", err.msg);
    if (!file.bytes)
        return;
    const bn_st_tensor *t = NULL;
    const int64_t good[2] = {2, 3}, wrong[2] = {3, 2}, one[1] = {6};
    CHECK(bn_st_expect(&file, "layer.w", BN_DTYPE_F32, 2, good, &t, &err) == BN_OK && t &&
              t == bn_st_find(&file, "layer.w"),
          "expect good: %s", err.msg);

    char want[1024];
    CHECK(bn_st_expect(&file, "layer.w", BN_DTYPE_F32, 2, wrong, &t, &err) == BN_ERR_INPUT &&
              t == NULL,
          "wrong shape accepted");
    snprintf(want, sizeof want, "%s: tensor layer.w has shape [2, 3], expected [3, 2]", path);
    CHECK(strcmp(err.msg, want) == 0, "message \"%s\"", err.msg);

    bn_st_expect(&file, "layer.w", BN_DTYPE_F32, 1, one, &t, &err);
    snprintf(want, sizeof want, "%s: tensor layer.w has shape [2, 3], expected [6]", path);
    CHECK(strcmp(err.msg, want) == 0, "message \"%s\"", err.msg);

    const int64_t four[1] = {4};
    CHECK(bn_st_expect(&file, "ids", BN_DTYPE_F32, 1, four, &t, &err) == BN_ERR_INPUT,
          "wrong dtype accepted");
    snprintf(want, sizeof want, "%s: tensor ids has dtype I32, expected F32", path);
    CHECK(strcmp(err.msg, want) == 0, "message \"%s\"", err.msg);

    CHECK(bn_st_expect(&file, "gone", BN_DTYPE_F32, 1, four, &t, &err) == BN_ERR_INPUT,
          "missing tensor accepted");
    snprintf(want, sizeof want, "%s: missing tensor gone", path);
    CHECK(strcmp(err.msg, want) == 0, "message \"%s\"", err.msg);
    bn_st_free(&file);
}

static void test_cannot_open(void)
{
    char missing[512];
    in_dir(missing, sizeof missing, "missing.safetensors");
    expect_refused(missing, "cannot open: No such file", NULL, "missing file");
    expect_refused("", "cannot open", NULL, "empty path");
    expect_refused(dir, "cannot open", NULL, "directory");
}

/* The fixture written by tests/reference/torch_reference.py, found through $srcdir (set by
 * make check) or the current directory. Under make check a missing fixture is a failure. */
static void test_reference_fixture(void)
{
    const char *srcdir = getenv("srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/reference/fixture_tiny.safetensors",
             srcdir ? srcdir : ".");
    if (!exists(path)) {
        CHECK(srcdir == NULL, "%s not found", path);
        printf("test_safetensors: %s not found (not run from the repo root?), skipped\n", path);
        return;
    }
    bn_st_file file;
    bn_error err = {0};
    CHECK(bn_st_load(&file, path, &err) == BN_OK, "fixture: %s", err.msg);
    const bn_st_tensor *t;
    const int64_t shape[2] = {32, 64};
    CHECK(bn_st_expect(&file, "token_embeddings.weight", BN_DTYPE_F32, 2, shape, &t, &err) ==
              BN_OK,
          "fixture: %s", err.msg);
    const char *v = bn_st_meta_get(&file, "vocab_size");
    CHECK(v && strcmp(v, "32") == 0, "fixture vocab_size %s", v ? v : "(missing)");
    bn_st_free(&file);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char path[512], cut[512], raw[512];
    in_dir(path, sizeof path, "model.safetensors");
    in_dir(cut, sizeof cut, "cut.safetensors");
    in_dir(raw, sizeof raw, "raw.safetensors");

    test_round_trip(path);
    test_expect(path);
    test_truncated(path, cut);
    test_overwrite(path);
    test_foreign_files(raw);
    test_overlap(raw);
    test_holes(raw);
    test_header_text(raw);
    test_empty_and_scalar(raw);
    test_write_refusals(raw);
    test_cannot_open();
    test_reference_fixture();

    remove(path);
    remove(cut);
    remove(raw);
    CHECK(rmdir(dir) == 0, "%s not empty after the test", dir);
    return check_exit("test_safetensors");
}
