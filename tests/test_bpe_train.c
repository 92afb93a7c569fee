/* test_bpe_train.c - the BPE trainer (README, "Training a tokenizer"): merges equal to
 * Hugging Face's BpeTrainer on a committed text (tests/fixtures/bpe_train, made once by
 * hand with its Node bindings), the tie rule, determinism across runs and thread counts,
 * how text is cut into words, and the refusals. */
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "check.h"
#include "tok/bpe_train.h"
#include "tok/bpe_words.h"

static const char *const default_specials[] = {"<|endoftext|>", "<pad>"};
static const bn_bpe_specials SPECIALS = {default_specials, 2};

static const char *fixture(const char *name)
{
    static char path[4096];
    const char *src = getenv("srcdir");
    snprintf(path, sizeof path, "%s/tests/fixtures/bpe_train/%s", src ? src : ".", name);
    return path;
}

/* The words of text counted with threads threads (0: the serial counter). */
static bn_bpe_words *count(const char *text, size_t n, int threads)
{
    bn_error err = {0};
    bn_pretok *p = NULL;
    bn_threadpool *pool = NULL;
    bn_bpe_words *w = bn_bpe_words_new();
    CHECK(bn_pretok_new(&p, NULL, "test", &err) == BN_OK, "%s", err.msg);
    if (threads)
        CHECK(bn_threadpool_create(&pool, threads, &err) == BN_OK, "%s", err.msg);
    bn_status st = threads ? bn_bpe_count_parallel(w, p, &SPECIALS, pool, text, n, &err)
                           : bn_bpe_count_text(w, p, &SPECIALS, text, n, &err);
    CHECK(st == BN_OK, "count: %s", err.msg);
    bn_threadpool_destroy(pool);
    bn_pretok_free(p);
    return w;
}

static bn_status train(bn_bpe_words *w, int vocab_size, bn_bpe_model *m, bn_error *err)
{
    bn_bpe_train_opts o = {vocab_size, SPECIALS, NULL, NULL};
    return bn_bpe_train(w, &o, m, err);
}

/* Merge r as "left right" (byte-level strings, as the fixture lists them). */
static void merge_text(const bn_bpe_model *m, int r, char *out, size_t cap)
{
    snprintf(out, cap, "%s %s", m->tokens[m->merges[2 * r]], m->tokens[m->merges[2 * r + 1]]);
}

static int same_model(const bn_bpe_model *a, const bn_bpe_model *b)
{
    if (a->n_tokens != b->n_tokens || a->n_merges != b->n_merges)
        return 0;
    for (int i = 0; i < a->n_tokens; i++)
        if (strcmp(a->tokens[i], b->tokens[i]) != 0)
            return 0;
    return memcmp(a->merges, b->merges, (size_t)a->n_merges * 2 * sizeof *a->merges) == 0;
}

/* All merges, and the first 100 when the vocabulary stops there, equal Hugging Face's. */
static void test_fixture(void)
{
    bn_error err = {0};
    char *text = NULL, *want = NULL;
    size_t n = 0, wn = 0;
    CHECK(bn_read_file(fixture("corpus.txt"), &text, &n, &err) == BN_OK, "%s", err.msg);
    CHECK(bn_read_file(fixture("merges.txt"), &want, &wn, &err) == BN_OK, "%s", err.msg);
    if (!text || !want)
        return;
    bn_bpe_words *w = count(text, n, 0);
    static const int vocabs[] = {100000, 358};
    for (int v = 0; v < 2; v++) {
        int vocab = vocabs[v];
        bn_bpe_model m;
        CHECK(train(w, vocab, &m, &err) == BN_OK, "train: %s", err.msg);
        CHECK(m.n_tokens == (vocab == 358 ? 358 : 258 + m.n_merges), "%d tokens", m.n_tokens);
        CHECK(!strcmp(m.tokens[0], "<|endoftext|>") && !strcmp(m.tokens[1], "<pad>") &&
              !strcmp(m.tokens[2], "!") && !strcmp(m.tokens[257], "\xc5\x83"),
              "specials, then the alphabet in code point order");
        const char *line = want;
        int r = 0;
        for (; r < m.n_merges && *line; r++) {
            char got[256];
            size_t len = strcspn(line, "\n");
            merge_text(&m, r, got, sizeof got);
            CHECK(strlen(got) == len && !memcmp(got, line, len), "merge %d: %s, want %.*s", r,
                  got, (int)len, line);
            line += len + (line[len] == '\n');
        }
        CHECK(r == m.n_merges && (vocab == 358 ? r == 100 : !*line),
              "vocab %d: %d merges, fixture has more: %d", vocab, m.n_merges, *line != 0);
        bn_bpe_model_free(&m);
    }
    bn_bpe_words_free(w);
    free(text);
    free(want);
}

/* Same text: the same words and model with 1, 2 or 3 counting threads and every run. */
static void test_determinism(void)
{
    bn_error err = {0};
    char *text = NULL;
    size_t n = 0;
    CHECK(bn_read_file(fixture("corpus.txt"), &text, &n, &err) == BN_OK, "%s", err.msg);
    if (!text)
        return;
    bn_bpe_model ref;
    bn_bpe_words *w0 = count(text, n, 0);
    CHECK(train(w0, 400, &ref, &err) == BN_OK, "%s", err.msg);
    for (int threads = 1; threads <= 3; threads++) {
        bn_bpe_words *w = count(text, n, threads);
        bn_bpe_word_list a, b;
        CHECK(bn_bpe_words_sorted(w0, &a, &err) == BN_OK, "%s", err.msg);
        CHECK(bn_bpe_words_sorted(w, &b, &err) == BN_OK, "%s", err.msg);
        int same = a.n == b.n;
        for (size_t i = 0; same && i < a.n; i++)
            same = a.len[i] == b.len[i] && a.count[i] == b.count[i] &&
                   !memcmp(a.bytes[i], b.bytes[i], a.len[i]);
        CHECK(same, "%d threads: other words (%zu vs %zu)", threads, b.n, a.n);
        bn_bpe_model m;
        CHECK(train(w, 400, &m, &err) == BN_OK, "%s", err.msg);
        CHECK(same_model(&ref, &m), "%d threads: another model", threads);
        bn_bpe_model_free(&m);
        bn_bpe_words_free(w);
    }
    bn_bpe_model again;
    CHECK(train(w0, 400, &again, &err) == BN_OK && same_model(&ref, &again), "second run");
    bn_bpe_model_free(&again);
    bn_bpe_model_free(&ref);
    bn_bpe_words_free(w0);
    free(text);
}

/* Train on words[i] x counts[i] (no limit) and compare the merges with want, "l r|l r|...". */
static void check_merges(const char *const *words, const int *counts, int n, const char *want)
{
    bn_error err = {0};
    bn_bpe_words *w = bn_bpe_words_new();
    for (int i = 0; i < n; i++)
        CHECK(bn_bpe_words_add(w, words[i], strlen(words[i]), counts[i], &err) == BN_OK, "add");
    bn_bpe_model m;
    CHECK(train(w, 100000, &m, &err) == BN_OK, "%s", err.msg);
    char got[512] = "";
    for (int r = 0; r < m.n_merges; r++) {
        char one[64];
        merge_text(&m, r, one, sizeof one);
        if (r)
            strcat(got, "|");
        strcat(got, one);
    }
    CHECK(strcmp(got, want) == 0, "merges %s, want %s", got, want);
    bn_bpe_model_free(&m);
    bn_bpe_words_free(w);
}

/* Highest count first; on equal counts the smallest (left id, right id), ids being the
 * specials, the byte-level alphabet in code point order, then merges in order. */
static void test_tie_rule(void)
{
    check_merges((const char *[]){"cd", "ba", "ab"}, (int[]){2, 2, 2}, 3, "a b|b a|c d");
    check_merges((const char *[]){"zz", "ab"}, (int[]){3, 2}, 2, "z z|a b");
    /* a space is U+0120 in the alphabet: after 'z', though byte 0x20 comes before it */
    check_merges((const char *[]){" a", "zz"}, (int[]){1, 1}, 2, "z z|\xc4\xa0 a");
    /* a merged token's id comes after the whole alphabet */
    check_merges((const char *[]){"abab", "yz"}, (int[]){1, 1}, 2, "a b|y z|ab ab");
    /* pairs merge left to right without overlap */
    check_merges((const char *[]){"aaa"}, (int[]){1}, 1, "a a|aa a");
}

/* Lines are counted apart (a line keeps its newline); special tokens are cut out. */
static void test_words(void)
{
    static const char text[] = "a<|endoftext|>b\nx\n\ny <pad>\n<|endoftext|>\n";
    bn_error err = {0};
    bn_bpe_words *w = count(text, sizeof text - 1, 0);
    bn_bpe_word_list l;
    CHECK(bn_bpe_words_sorted(w, &l, &err) == BN_OK, "%s", err.msg);
    static const char *const want[] = {"\n", " ", "a", "b", "x", "y"};
    static const int64_t want_count[] = {5, 1, 1, 1, 1, 1};
    CHECK(l.n == 6, "%zu words", l.n);
    for (size_t i = 0; i < l.n && i < 6; i++)
        CHECK(l.len[i] == strlen(want[i]) && !memcmp(l.bytes[i], want[i], l.len[i]) &&
              l.count[i] == want_count[i], "word %zu: %.*s x%lld", i, (int)l.len[i],
              l.bytes[i], (long long)l.count[i]);
    bn_bpe_words_free(w);
}

static void test_refusals(void)
{
    bn_error err = {0};
    bn_bpe_model m;
    bn_bpe_words *w = count("<|endoftext|><pad>", 18, 0);
    CHECK(train(w, 1000, &m, &err) == BN_ERR_INPUT && strstr(err.msg, "empty"), "empty: %s",
          err.msg);
    CHECK(bn_bpe_words_add(w, "ab", 2, 1, &err) == BN_OK, "add");
    CHECK(train(w, 257, &m, &err) == BN_ERR_INPUT && strstr(err.msg, "at least 258"),
          "small vocab: %s", err.msg);
    CHECK(train(w, 258, &m, &err) == BN_OK && m.n_tokens == 258 && m.n_merges == 0,
          "vocab 258: %d tokens", m.n_tokens);
    bn_bpe_model_free(&m);
    bn_bpe_words_free(w);
}

int main(void)
{
    test_fixture();
    test_determinism();
    test_tie_rule();
    test_words();
    test_refusals();
    return check_exit("test_bpe_train");
}
