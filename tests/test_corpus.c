/* test_corpus.c - the corpus reader: .txt separators and stripping, .jsonl fields and bad
 * lines, gzip and zstd giving the same documents, directory order, damaged files refused,
 * blocks smaller than a document, and the lines mode `tokenizer train` counts. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "check.h"
#include "io/corpus.h"

static char dir[] = "/tmp/bn_test_corpus_XXXXXX";

static const char *in_dir(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void write_bytes(const char *name, const void *bytes, size_t n)
{
    FILE *f = fopen(in_dir(name), "wb");
    CHECK(f && fwrite(bytes, 1, n, f) == n && fclose(f) == 0, "cannot write %s", name);
}

/* gzip (not zlib) framing: deflate with windowBits 16 + 15. */
static void write_gzip(const char *name, const char *text, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    size_t cap = n + 1024;
    unsigned char *out = malloc(cap);
    CHECK(deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflate");
    z.next_in = (unsigned char *)(size_t)text;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate finish");
    write_bytes(name, out, cap - z.avail_out);
    deflateEnd(&z);
    free(out);
}

static void write_zstd(const char *name, const char *text, size_t n)
{
    size_t cap = ZSTD_compressBound(n);
    char *out = malloc(cap);
    size_t got = ZSTD_compress(out, cap, text, n, 3);
    CHECK(!ZSTD_isError(got), "zstd compress");
    write_bytes(name, out, got);
    free(out);
}

/* Every document of the inputs, each followed by "|", and their count; NULL on an error
 * (its message in err). */
static char *read_docs(const char *const *names, int n, const bn_corpus_opts *o, int *n_docs,
                       bn_error *err)
{
    bn_corpus_files files = {0};
    bn_corpus *c = NULL;
    bn_corpus_block b;
    size_t len = 0;
    char *all = calloc(1, 1);
    bn_status st = BN_OK;
    *n_docs = 0;
    for (int i = 0; i < n && st == BN_OK; i++)
        st = bn_corpus_files_add(&files, in_dir(names[i]), err);
    if (st == BN_OK)
        st = bn_corpus_open(&c, &files, o, err);
    while (st == BN_OK && (st = bn_corpus_next(c, &b, err)) == BN_OK && b.n > 0) {
        for (size_t d = 0; d < b.n; d++) {
            all = realloc(all, len + b.len[d] + 2);
            memcpy(all + len, b.text + b.off[d], b.len[d]);
            len += b.len[d];
            all[len++] = '|';
            all[len] = 0;
        }
        *n_docs += (int)b.n;
    }
    bn_corpus_close(c);
    bn_corpus_files_free(&files);
    if (st != BN_OK) {
        free(all);
        return NULL;
    }
    return all;
}

/* Check that reading names gives `want` ("doc|doc|...|"). */
static void expect_docs(const char *const *names, int n, const bn_corpus_opts *o,
                        const char *want, const char *what)
{
    bn_error err = {0};
    int n_docs;
    char *got = read_docs(names, n, o, &n_docs, &err);
    CHECK(got && strcmp(got, want) == 0, "%s: got \"%s\" (%s), want \"%s\"", what,
          got ? got : "(error)", err.msg, want);
    free(got);
}

/* Check that reading names fails with a message containing `want`. */
static void expect_error(const char *const *names, int n, const bn_corpus_opts *o,
                         const char *want, const char *what)
{
    bn_error err = {0};
    int n_docs;
    char *got = read_docs(names, n, o, &n_docs, &err);
    CHECK(!got && strstr(err.msg, want) && !strchr(err.msg, '\n'),
          "%s: wanted an error with \"%s\", got \"%s\"", what, want, got ? got : err.msg);
    free(got);
}

static const char txt[] =
    "  First story.\nIts second line.  \n<|endoftext|>\n"
    "\n \t\n<|endoftext|>\r\n"           /* an empty document, a CRLF separator */
    "Second\r\nwith CRLF\r\n<|endoftext|>\r\n"
    "a <|endoftext|> inside\n<|endoftext|>x\n" /* neither is a separator line */
    "<|endoftext|>\n\nLast, no newline";
static const char txt_docs[] = "First story.\nIts second line.|Second\r\nwith CRLF|"
                               "a <|endoftext|> inside\n<|endoftext|>x|Last, no newline|";

static void test_txt(void)
{
    write_bytes("a.txt", txt, sizeof txt - 1);
    const char *names[] = {"a.txt"};
    bn_corpus_opts o = {BN_CORPUS_DOCUMENTS, NULL, 0};
    expect_docs(names, 1, &o, txt_docs, "txt");
    for (size_t block = 1; block <= 64; block = block * 2 + 1) { /* blocks smaller than a doc */
        bn_corpus_opts small = {BN_CORPUS_DOCUMENTS, NULL, block};
        expect_docs(names, 1, &small, txt_docs, "txt, small blocks");
    }
    write_bytes("notes.md", txt, sizeof txt - 1); /* named: read as text whatever its name */
    const char *named[] = {"notes.md"};
    expect_docs(named, 1, &o, txt_docs, "txt named notes.md");
    write_bytes("empty.txt", "", 0);
    write_bytes("blank.txt", " \n<|endoftext|>\n\n", 17);
    const char *none[] = {"empty.txt", "blank.txt"};
    expect_docs(none, 2, &o, "", "no documents");
}

static const char jsonl[] =
    "{\"text\": \"  one \\n\"}\n"
    "\n"
    "{\"story\": \"two\", \"id\": 2}\r\n"
    "{\"text\": \"three\", \"story\": \"not this\", \"body\": \"B\"}\n"
    "{\"text\": \" \", \"body\": \"C\"}\n"
    "{\"text\": \"four\\u0000nul\", \"body\": \"D\"}";
/* what --field body reads */
static const char jsonl_body[] = "{\"body\": \"B\"}\n{\"body\": \" C \"}\n";

static void test_jsonl(void)
{
    write_bytes("a.jsonl", jsonl, sizeof jsonl - 1);
    const char *names[] = {"a.jsonl"};
    bn_corpus_opts o = {BN_CORPUS_DOCUMENTS, NULL, 0};
    bn_error err = {0};
    int n;
    char *got = read_docs(names, 1, &o, &n, &err);
    /* four\0nul: the NUL is kept, so compare with memcmp over the known length */
    static const char want[] = "one|two|three|four\0nul|";
    CHECK(got && n == 4 && memcmp(got, want, sizeof want - 1) == 0, "jsonl: %d docs: %s %s",
          n, got ? got : "(error)", err.msg);
    free(got);
    bn_corpus_opts small = {BN_CORPUS_DOCUMENTS, NULL, 8};
    got = read_docs(names, 1, &small, &n, &err);
    CHECK(got && n == 4 && memcmp(got, want, sizeof want - 1) == 0, "jsonl, small blocks");
    free(got);
    write_bytes("b.jsonl", jsonl_body, sizeof jsonl_body - 1);
    const char *body[] = {"b.jsonl"};
    bn_corpus_opts field = {BN_CORPUS_DOCUMENTS, "body", 0};
    expect_docs(body, 1, &field, "B|C|", "jsonl --field body");
    expect_error(names, 1, &field, "a.jsonl:1: no string field \"body\"", "missing --field");
    write_bytes("bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"cut\n", 29);
    const char *bad[] = {"bad.jsonl"};
    expect_error(bad, 1, &o, "bad.jsonl:2: not a JSON object", "bad line");
    write_bytes("arr.jsonl", "\n\n[1, 2]\n", 9);
    const char *arr[] = {"arr.jsonl"};
    expect_error(arr, 1, &o, "arr.jsonl:3: not a JSON object", "an array");
    write_bytes("nofield.jsonl", "{\"title\": \"x\"}\n", 15);
    const char *nofield[] = {"nofield.jsonl"};
    expect_error(nofield, 1, &o, "nofield.jsonl:1: no string field \"text\" or \"story\"",
                 "no field");
}

static void test_compressed(void)
{
    write_gzip("c.txt.gz", txt, sizeof txt - 1);
    write_zstd("c.txt.zst", txt, sizeof txt - 1);
    write_gzip("c.jsonl.gz", jsonl_body, sizeof jsonl_body - 1);
    write_zstd("c.jsonl.zst", jsonl_body, sizeof jsonl_body - 1);
    bn_corpus_opts o = {BN_CORPUS_DOCUMENTS, NULL, 0}, small = {BN_CORPUS_DOCUMENTS, NULL, 5};
    bn_corpus_opts field = {BN_CORPUS_DOCUMENTS, "body", 0};
    const char *gz[] = {"c.txt.gz"}, *zst[] = {"c.txt.zst"};
    expect_docs(gz, 1, &o, txt_docs, "txt.gz");
    expect_docs(zst, 1, &o, txt_docs, "txt.zst");
    expect_docs(gz, 1, &small, txt_docs, "txt.gz, small blocks");
    expect_docs(zst, 1, &small, txt_docs, "txt.zst, small blocks");
    const char *jgz[] = {"c.jsonl.gz"}, *jzst[] = {"c.jsonl.zst"};
    expect_docs(jgz, 1, &field, "B|C|", "jsonl.gz");
    expect_docs(jzst, 1, &field, "B|C|", "jsonl.zst");
    /* two gzip members back to back (cat a.gz b.gz) are one text */
    write_gzip("m1.gz", "one\n<|endoftext|>\ntw", 20);
    write_gzip("m2.gz", "o\n", 2);
    FILE *f = fopen(in_dir("m.txt.gz"), "wb");
    for (int i = 1; f && i <= 2; i++) {
        char buf[256];
        FILE *g = fopen(in_dir(i == 1 ? "m1.gz" : "m2.gz"), "rb");
        size_t k = g ? fread(buf, 1, sizeof buf, g) : 0;
        fwrite(buf, 1, k, f);
        if (g)
            fclose(g);
    }
    if (f)
        fclose(f);
    const char *members[] = {"m.txt.gz"};
    expect_docs(members, 1, &o, "one|two|", "two gzip members");
}

static void test_damaged(void)
{
    bn_corpus_opts o = {BN_CORPUS_DOCUMENTS, NULL, 0};
    write_bytes("junk.txt.gz", txt, sizeof txt - 1);
    write_bytes("junk.txt.zst", txt, sizeof txt - 1);
    const char *gz[] = {"junk.txt.gz"}, *zst[] = {"junk.txt.zst"};
    expect_error(gz, 1, &o, "junk.txt.gz: corrupt gzip data", "not gzip");
    expect_error(zst, 1, &o, "junk.txt.zst: corrupt zstd data", "not zstd");
    /* the compressed files of test_compressed, cut short */
    for (int z = 0; z < 2; z++) {
        FILE *f = fopen(in_dir(z ? "c.txt.zst" : "c.txt.gz"), "rb");
        char buf[4096];
        size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f)
            fclose(f);
        write_bytes(z ? "cut.txt.zst" : "cut.txt.gz", buf, n - 10);
        const char *cut[] = {z ? "cut.txt.zst" : "cut.txt.gz"};
        expect_error(cut, 1, &o, z ? "cut.txt.zst: truncated zstd data"
                                   : "cut.txt.gz: truncated gzip data", "truncated");
    }
    write_bytes("empty.txt.gz", "", 0);
    const char *empty[] = {"empty.txt.gz"};
    expect_error(empty, 1, &o, "empty.txt.gz: truncated gzip data", "empty .gz");
    const char *missing[] = {"missing.txt"};
    expect_error(missing, 1, &o, "missing.txt: cannot open", "missing file");
}

static void test_directory(void)
{
    mkdir(in_dir("d"), 0755);
    mkdir(in_dir("d/sub"), 0755);
    mkdir(in_dir("d/.hidden"), 0755);
    write_bytes("d/b.txt", "B\n<|endoftext|>\nB2\n", 19);
    write_gzip("d/a.jsonl.gz", "{\"text\": \"A\"}\n", 14);
    write_zstd("d/sub/c.txt.zst", "C", 1);
    write_bytes("d/B.txt", "upper", 5);   /* "B" < "a": strcmp order */
    write_bytes("d/.h.txt", "hidden", 6);
    write_bytes("d/.hidden/x.txt", "hidden", 6);
    write_bytes("d/notes.md", "not a corpus name", 17);
    write_bytes("d/x.json", "{}", 2);
    const char *names[] = {"d"};
    bn_corpus_opts o = {BN_CORPUS_DOCUMENTS, NULL, 0};
    expect_docs(names, 1, &o, "upper|A|B|B2|C|", "directory");
    bn_corpus_files files = {0};
    bn_error err = {0};
    CHECK(bn_corpus_files_add(&files, in_dir("d/"), &err) == BN_OK, "%s", err.msg);
    CHECK(files.n == 4 && strcmp(files.files[2].path, in_dir("d/b.txt")) == 0 &&
          files.files[1].format == BN_CORPUS_JSONL &&
          files.files[1].compression == BN_CORPUS_GZIP &&
          files.files[3].compression == BN_CORPUS_ZSTD,
          "%d files, third %s", files.n, files.n > 2 ? files.files[2].path : "-");
    bn_corpus_files_free(&files);
}

/* Lines mode: .txt verbatim, .jsonl documents unstripped with a "\n"; byte counts. */
static void test_lines(void)
{
    bn_corpus_files files = {0};
    bn_corpus *c = NULL;
    bn_corpus_block b;
    bn_error err = {0};
    bn_corpus_opts o = {BN_CORPUS_LINES, NULL, 16};
    char got[1024] = "";
    size_t len = 0;
    CHECK(bn_corpus_files_add(&files, in_dir("c.txt.gz"), &err) == BN_OK &&
          bn_corpus_files_add(&files, in_dir("a.jsonl"), &err) == BN_OK &&
          bn_corpus_open(&c, &files, &o, &err) == BN_OK, "%s", err.msg);
    while (c && bn_corpus_next(c, &b, &err) == BN_OK && b.n > 0) {
        CHECK(b.off[0] == 0 && b.off[b.n - 1] + b.len[b.n - 1] == b.text_len, "contiguous");
        CHECK(len + b.text_len < sizeof got, "too long");
        memcpy(got + len, b.text, b.text_len);
        len += b.text_len;
    }
    static const char want_json[] = "  one \ntwo\nthree\n \nfour\0nul\n";
    size_t tl = sizeof txt - 1, jl = sizeof want_json - 1;
    CHECK(len == tl + jl && memcmp(got, txt, tl) == 0 && memcmp(got + tl, want_json, jl) == 0,
          "lines: %zu bytes", len);
    CHECK(c && bn_corpus_bytes(c) == (long long)(tl + sizeof jsonl - 1), "text bytes");
    CHECK(c && bn_corpus_file_bytes(c, 0) == (long long)tl, "file 0 bytes");
    CHECK(c && bn_corpus_disk_bytes(c) == files.disk_bytes, "disk bytes %lld of %lld",
          c ? bn_corpus_disk_bytes(c) : -1, files.disk_bytes);
    bn_corpus_close(c);
    bn_corpus_files_free(&files);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_txt();
    test_jsonl();
    test_compressed();
    test_damaged();
    test_directory();
    test_lines();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_exit("test_corpus");
}
