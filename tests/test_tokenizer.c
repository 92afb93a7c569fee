/* test_tokenizer.c - the tokenizer interface over both character vocabularies: the ids of
 * README, "Character vocabularies", round trips, unknown characters, special ids. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tok/bpe.h"
#include "tok/tokenizer.h"

/* bn_tok_encode, which a character vocabulary never fails: the count. */
static size_t encode(const bn_tokenizer *t, const char *text, size_t len, int *ids, size_t cap)
{
    size_t n = 0;
    bn_error err = {0};
    CHECK(bn_tok_encode(t, text, len, ids, cap, &n, &err) == BN_OK, "%s", err.msg);
    return n;
}

/* Every character of `chars` encodes to its position and decodes back; the four specials
 * follow the characters. */
static void check_ids(const char *name, const char *chars)
{
    bn_tokenizer *t = NULL;
    bn_error err = {0};
    CHECK(bn_tok_char(&t, name, &err) == BN_OK, "%s: %s", name, err.msg);
    if (!t)
        return;
    int n = (int)strlen(chars);
    CHECK(strcmp(bn_tok_name(t), name) == 0, "name %s", bn_tok_name(t));
    CHECK(bn_tok_vocab_size(t) == 32, "%s: vocab size %d", name, bn_tok_vocab_size(t));
    for (int i = 0; i < n; i++) {
        int id = -1;
        CHECK(encode(t, chars + i, 1, &id, 1) == 1 && id == i, "%s: '%c' -> %d", name, chars[i],
              id);
        int byte_id = -1;
        CHECK(bn_tok_encode_bytes(t, chars + i, 1, &byte_id, 1) == 1 && byte_id == i,
              "%s: '%c' -> %d alone", name, chars[i], byte_id);
        const char *piece;
        CHECK(bn_tok_piece(t, i, &piece) == 1 && piece[0] == chars[i], "%s: piece %d", name,
              i);
    }
    CHECK(bn_tok_special(t, BN_TOK_PAD) == n && bn_tok_special(t, BN_TOK_BOS) == n + 1 &&
              bn_tok_special(t, BN_TOK_EOS) == n + 2 && bn_tok_special(t, BN_TOK_UNK) == n + 3,
          "%s: specials %d %d %d %d", name, bn_tok_special(t, BN_TOK_PAD),
          bn_tok_special(t, BN_TOK_BOS), bn_tok_special(t, BN_TOK_EOS),
          bn_tok_special(t, BN_TOK_UNK));
    CHECK(bn_tok_special(t, (bn_tok_special_kind)7) == -1, "%s: no such special", name);
    static const char *const names[4] = {"<pad>", "<s>", "</s>", "<unk>"};
    for (int k = 0; k < 4; k++) {
        const char *piece;
        size_t len = bn_tok_piece(t, n + k, &piece);
        CHECK(len == strlen(names[k]) && memcmp(piece, names[k], len) == 0, "%s: special %d",
              name, k);
    }
    const char *piece;
    CHECK(bn_tok_piece(t, 31 > n + 3 ? 31 : -1, &piece) == 5 && strcmp(piece, "<unk>") == 0,
          "%s: an unused id reads <unk>", name);
    CHECK(bn_tok_piece(t, 999, &piece) == 5 && strcmp(piece, "<unk>") == 0,
          "%s: an id out of range reads <unk>", name);
    bn_tok_free(t);
}

static void test_ids(void)
{
    check_ids("arithmetic", "0123456789+-*/= ");
    check_ids("tictactoe", "0123456789XO_|: Resultwindra");
}

static void check_round_trip(const char *name, const char *text)
{
    bn_tokenizer *t = NULL;
    bn_tok_char(&t, name, NULL);
    int ids[128];
    size_t n = encode(t, text, strlen(text), ids, 128);
    char back[256];
    size_t m = bn_tok_decode(t, ids, n, back, sizeof back);
    CHECK(n == strlen(text) && m == n && strcmp(back, text) == 0, "%s: '%s' -> '%s'", name,
          text, back);
    bn_tok_free(t);
}

static void test_round_trip(void)
{
    check_round_trip("arithmetic", "12 + 34 = 46 7 - 9 = -2 81 / 9 = 9 6 * 7 = 42");
    check_round_trip("tictactoe", "____X____ | O: 0 X: 2 | Result: X wins");
    check_round_trip("tictactoe", "XO_|Result: draw ");
}

static void test_unknown_and_caps(void)
{
    bn_tokenizer *t = NULL;
    bn_tok_char(&t, "arithmetic", NULL);
    int ids[8] = {0};
    int unk = bn_tok_special(t, BN_TOK_UNK);
    CHECK(encode(t, "1x=Q", 4, ids, 8) == 4 && ids[0] == 1 && ids[1] == unk &&
              ids[2] == 14 && ids[3] == unk,
          "unknown characters -> unk: %d %d %d %d", ids[0], ids[1], ids[2], ids[3]);
    /* A cap below the need: cap ids written, the need returned. */
    ids[3] = -9;
    CHECK(encode(t, "12345", 5, ids, 3) == 5 && ids[2] == 3 && ids[3] == -9,
          "encode past cap");
    CHECK(encode(t, "123", 3, NULL, 0) == 3, "count only");
    int bytes[8] = {0};
    CHECK(bn_tok_encode_bytes(t, "1x=Q", 4, bytes, 8) == 4 &&
              bytes[0] == 1 && bytes[1] == unk && bytes[2] == 14 && bytes[3] == unk,
          "encode_bytes: the ids encode gives");
    /* Decode keeps whole pieces and always terminates. */
    int special[3] = {1, bn_tok_special(t, BN_TOK_EOS), 2};
    char out[8];
    CHECK(bn_tok_decode(t, special, 3, out, sizeof out) == 6 && strcmp(out, "1</s>2") == 0,
          "decode specials: '%s'", out);
    CHECK(bn_tok_decode(t, special, 3, out, 5) == 1 && strcmp(out, "1") == 0,
          "whole pieces only: '%s'", out);
    bn_tok_free(t);
    bn_error err = {0};
    CHECK(bn_tok_char(&t, "bpe", &err) == BN_ERR_INPUT && t == NULL &&
              strstr(err.msg, "\"bpe\""),
          "unknown vocabulary: '%s'", err.msg);
}

/* bn_tok_open takes a character vocabulary's name as well as a tokenizer.json; the
 * character kind is no BPE and is not saved as one. */
static void test_open(void)
{
    bn_tokenizer *t = NULL;
    bn_error err = {0};
    CHECK(bn_tok_open(&t, "tictactoe", &err) == BN_OK && t, "%s", err.msg);
    if (!t)
        return;
    CHECK(strcmp(bn_tok_name(t), "tictactoe") == 0 && !bn_tok_is_bpe(t), "char kind");
    CHECK(bn_tok_bpe_n_merges(t) == 0 && bn_tok_bpe_pattern(t) == NULL, "no BPE parts");
    CHECK(bn_tok_save_hf(t, "/tmp/never-written.json", &err) == BN_ERR_INPUT, "saved");
    bn_tok_free(t);
    t = NULL;
    CHECK(bn_tok_open(&t, "/nonexistent/tokenizer.json", &err) == BN_ERR_INPUT && !t,
          "missing file opened");
}

int main(void)
{
    test_open();
    test_ids();
    test_round_trip();
    test_unknown_and_caps();
    return check_exit("test_tokenizer");
}
