/* test_data_arith.c - the character vocabularies and the arithmetic task's data. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "task/data_arith.h"
#include "io/jsonio.h"
#include "task/task.h"
#include "tok/tokenizer.h"
#include "tok/vocab.h"

#define SEQ 64

static bn_arith_spec default_spec(void)
{
    bn_arith_spec spec;
    memset(&spec, 0, sizeof(spec));
    spec.max_operand = 100;
    strcpy(spec.operators, "+-*/");
    spec.holdout_percent = 10;
    return spec;
}

/* Every character of `chars` has id = its position; the four specials follow. */
static void check_vocab_ids(const bn_vocab *v, const char *chars)
{
    int n = (int)strlen(chars);
    int known = 0;

    for (int i = 0; i < n; i++) {
        CHECK(v->char_to_id[(unsigned char)chars[i]] == i, "%s: '%c' -> %d, want %d",
              v->name, chars[i], v->char_to_id[(unsigned char)chars[i]], i);
        CHECK(v->id_to_char[i] == chars[i], "%s: id %d -> '%c'", v->name, i, v->id_to_char[i]);
    }
    for (int c = 0; c < 256; c++)
        known += v->char_to_id[c] >= 0;
    CHECK(known == n, "%s: %d characters have ids, want %d", v->name, known, n);
    CHECK(v->size == 32, "%s: size %d", v->name, v->size);
    CHECK(v->pad == n && v->bos == n + 1 && v->eos == n + 2 && v->unk == n + 3,
          "%s: specials %d %d %d %d", v->name, v->pad, v->bos, v->eos, v->unk);
}

static void test_vocab_ids(void)
{
    bn_vocab v;

    bn_vocab_arithmetic(&v);
    CHECK(strcmp(v.name, "arithmetic") == 0, "name %s", v.name);
    check_vocab_ids(&v, "0123456789+-*/= ");
    CHECK(v.pad == 16 && v.bos == 17 && v.eos == 18 && v.unk == 19, "arith specials");

    bn_vocab_tictactoe(&v);
    CHECK(strcmp(v.name, "tictactoe") == 0, "name %s", v.name);
    check_vocab_ids(&v, "0123456789XO_|: Resultwindra");
    CHECK(v.char_to_id['R'] == 16 && v.char_to_id['a'] == 27 && v.char_to_id['w'] == 22,
          "ttt letters");
    CHECK(v.pad == 28 && v.bos == 29 && v.eos == 30 && v.unk == 31, "ttt specials");
}

static void test_vocab_roundtrip(void)
{
    bn_vocab v;
    int ids[128];
    char out[256];
    const char *game = "_ _ _ _ _ _ _ _ _ | X:4 | O:0 | X:8 | Result: X wins draw";
    const char *sum = "7 - 12 = -5 99 * 100 = 9900 7 / 2 = 3 ";

    bn_vocab_tictactoe(&v);
    size_t n = bn_vocab_encode(&v, game, strlen(game), ids, 128);
    CHECK(n == strlen(game), "encoded %zu", n);
    for (size_t i = 0; i < n; i++)
        CHECK(ids[i] != v.unk, "ttt char '%c' became unk", game[i]);
    size_t m = bn_vocab_decode(&v, ids, n, out, sizeof(out));
    CHECK(m == n && strcmp(out, game) == 0, "ttt round trip: '%s'", out);

    bn_vocab_arithmetic(&v);
    n = bn_vocab_encode(&v, sum, strlen(sum), ids, 128);
    m = bn_vocab_decode(&v, ids, n, out, sizeof(out));
    CHECK(m == strlen(sum) && strcmp(out, sum) == 0, "arith round trip: '%s'", out);

    /* Unknown characters become unk; encode stops at cap. */
    n = bn_vocab_encode(&v, "1x=Q", 4, ids, 128);
    CHECK(n == 4 && ids[0] == 1 && ids[1] == v.unk && ids[2] == 14 && ids[3] == v.unk,
          "unknown chars: %d %d %d %d", ids[0], ids[1], ids[2], ids[3]);
    CHECK(bn_vocab_encode(&v, "12345", 5, ids, 3) == 3, "encode cap");

    /* Specials and unused ids decode by name. */
    int special[] = {v.pad, v.bos, 5, v.eos, v.unk, 25, -1};
    m = bn_vocab_decode(&v, special, 7, out, sizeof(out));
    CHECK(strcmp(out, "<pad><s>5</s><unk><unk><unk>") == 0 && m == strlen(out),
          "specials: '%s'", out);

    /* Truncation keeps whole pieces and NUL-terminates. */
    m = bn_vocab_decode(&v, special, 7, out, 7);
    CHECK(m == 5 && strcmp(out, "<pad>") == 0, "decode cap: '%s'", out);
}

static void check_solved(char op, int a, int b, long want, const char *text)
{
    bn_arith_problem p = {.a = a, .b = b, .op = op, .answer = -12345};
    char buf[BN_ARITH_TEXT_MAX];

    bn_arith_solve(&p);
    CHECK(p.answer == want, "%d %c %d = %ld, want %ld", a, op, b, p.answer, want);
    int n = bn_arith_format(&p, 0, buf, sizeof(buf));
    CHECK(n == (int)strlen(text) && strcmp(buf, text) == 0, "format '%s' want '%s'", buf, text);
}

static void test_solve_format(void)
{
    check_solved('+', 7, 12, 19, "7 + 12 = 19");
    check_solved('+', 0, 1, 1, "0 + 1 = 1");
    check_solved('-', 7, 12, -5, "7 - 12 = -5");
    check_solved('-', 100, 1, 99, "100 - 1 = 99");
    check_solved('*', 99, 100, 9900, "99 * 100 = 9900");
    check_solved('*', 0, 37, 0, "0 * 37 = 0");
    check_solved('/', 7, 2, 3, "7 / 2 = 3");
    check_solved('/', 0, 5, 0, "0 / 5 = 0");
    check_solved('/', 99, 100, 0, "99 / 100 = 0");
    check_solved('/', 100, 7, 14, "100 / 7 = 14");

    bn_arith_problem p = {.a = 7, .b = 12, .op = '-'};
    char buf[BN_ARITH_TEXT_MAX];
    bn_arith_solve(&p);
    int n = bn_arith_format(&p, 1, buf, sizeof(buf));
    CHECK(n == 8 && strcmp(buf, "7 - 12 =") == 0, "prompt '%s'", buf);
    n = bn_arith_format(&p, 0, buf, 6);
    CHECK(n == 5 && strcmp(buf, "7 - 1") == 0, "truncated format '%s' (%d)", buf, n);
}

static void test_heldout_share(void)
{
    bn_arith_spec spec = default_spec();
    long total = 0, held = 0;
    int per_op[4] = {0};

    for (int o = 0; o < 4; o++)
        for (int a = 0; a <= 100; a++)
            for (int b = 1; b <= 100; b++) {
                bn_arith_problem p = {.a = a, .b = b, .op = spec.operators[o]};
                int h = bn_arith_is_heldout(&spec, &p);
                held += h;
                per_op[o] += h;
                total++;
            }
    double share = 100.0 * (double)held / (double)total;
    CHECK(total == 40400, "total %ld", total);
    CHECK(share >= 8.0 && share <= 12.0, "held-out share %.2f%%", share);
    for (int o = 0; o < 4; o++)
        CHECK(per_op[o] > 0, "no held-out problems for '%c'", spec.operators[o]);

    /* The split is a property of the triple, fixed by holdout_percent alone. */
    bn_arith_problem p = {.a = 3, .b = 4, .op = '+'};
    spec.holdout_percent = 0;
    CHECK(!bn_arith_is_heldout(&spec, &p), "holdout 0 holds out");
    spec.holdout_percent = 100;
    CHECK(bn_arith_is_heldout(&spec, &p), "holdout 100 keeps");
}

/* Parse every complete "a op b = c " in text; check each is solved right and on the
 * expected side of the split. Returns the number parsed. */
static int check_problems_in(const bn_arith_spec *spec, const char *text, int held_out)
{
    int count = 0, pos = 0, len = (int)strlen(text);

    while (pos < len) {
        bn_arith_problem p;
        long c;
        int used = -1;
        if (sscanf(text + pos, "%d %c %d = %ld%n", &p.a, &p.op, &p.b, &c, &used) != 4 ||
            used < 0 || text[pos + used] != ' ')
            break; /* the cut-off tail of the last problem */
        bn_arith_solve(&p);
        CHECK(p.answer == c, "stream says %d %c %d = %ld", p.a, p.op, p.b, c);
        CHECK(bn_arith_is_heldout(spec, &p) == held_out, "%d %c %d on the wrong side",
              p.a, p.op, p.b);
        CHECK(p.a >= 0 && p.a <= spec->max_operand && p.b >= 1 && p.b <= spec->max_operand &&
                  strchr(spec->operators, p.op) != NULL,
              "out of range %d %c %d", p.a, p.op, p.b);
        count++;
        pos += used + 1;
    }
    CHECK(len - pos < BN_ARITH_TEXT_MAX, "unparsed text at %d: '%.40s'", pos, text + pos);
    return count;
}

static void test_training_stream(void)
{
    bn_arith_spec spec = default_spec();
    bn_tokenizer *v = NULL;
    bn_arith_stream s;
    enum { ROWS = 400 };
    int *tokens = malloc(sizeof(int) * ROWS * SEQ);
    char *text = malloc(ROWS * SEQ + 1);

    bn_tok_char(&v, "arithmetic", NULL);
    bn_arith_stream_init(&s, 1234);
    bn_arith_stream_fill(&spec, v, &s, tokens, ROWS, SEQ);
    for (int i = 0; i < ROWS * SEQ; i++)
        CHECK(tokens[i] >= 0 && tokens[i] < 16, "token %d = %d is not a character", i,
              tokens[i]);
    /* Each row is whole problems from its first token, the last one cut by the row's end. */
    int n = 0;
    for (int r = 0; r < ROWS; r++) {
        bn_tok_decode(v, tokens + r * SEQ, SEQ, text, SEQ + 1);
        CHECK(text[0] >= '0' && text[0] <= '9', "row %d does not start at a problem: '%s'", r,
              text);
        n += check_problems_in(&spec, text, 0);
    }
    CHECK(n > 1000, "only %d problems in the stream", n);
    bn_tok_decode(v, tokens, ROWS * SEQ, text, ROWS * SEQ + 1);

    /* Every operator shows up. */
    for (int o = 0; o < 4; o++) {
        char needle[4] = {' ', spec.operators[o], ' ', 0};
        CHECK(strstr(text, needle) != NULL, "operator '%c' never drawn", spec.operators[o]);
    }
    free(tokens);
    free(text);
    bn_tok_free(v);
}

static void test_eval_set(void)
{
    bn_arith_spec spec = default_spec();
    enum { N = 500 };
    bn_arith_problem a[N], b[N];
    bn_rng rng;

    bn_arith_eval_set(&spec, a, N);
    bn_rng_seed(&rng, 99); /* disturbing some other RNG must not matter */
    bn_rng_next(&rng);
    bn_arith_eval_set(&spec, b, N);
    int distinct = 0;
    for (int i = 0; i < N; i++) {
        CHECK(bn_arith_is_heldout(&spec, &a[i]), "eval problem %d not held out", i);
        bn_arith_problem q = a[i];
        bn_arith_solve(&q);
        CHECK(q.answer == a[i].answer, "eval problem %d unsolved", i);
        CHECK(a[i].a == b[i].a && a[i].b == b[i].b && a[i].op == b[i].op &&
                  a[i].answer == b[i].answer,
              "eval set differs at %d", i);
        distinct += i > 0 && (a[i].a != a[i - 1].a || a[i].b != a[i - 1].b);
    }
    CHECK(distinct > N / 2, "eval set barely varies (%d)", distinct);

    /* Drawing held-out with an ordinary RNG also stays held out. */
    bn_rng_seed(&rng, 7);
    for (int i = 0; i < 200; i++) {
        bn_arith_problem p;
        bn_arith_draw(&spec, &rng, 1, &p);
        CHECK(bn_arith_is_heldout(&spec, &p), "draw(held_out=1) gave a training problem");
        bn_arith_draw(&spec, &rng, 0, &p);
        CHECK(!bn_arith_is_heldout(&spec, &p), "draw(held_out=0) gave a held-out problem");
    }
}

static int same_tokens(const int *x, const int *y, int n)
{
    return memcmp(x, y, sizeof(int) * (size_t)n) == 0;
}

static void test_stream_determinism(void)
{
    bn_arith_spec spec = default_spec();
    bn_tokenizer *v = NULL;
    bn_arith_stream s1, s2, copy;
    int t1[6 * SEQ], t2[6 * SEQ], t3[6 * SEQ];

    bn_tok_char(&v, "arithmetic", NULL);
    bn_arith_stream_init(&s1, 42);
    bn_arith_stream_init(&s2, 42);
    bn_arith_stream_fill(&spec, v, &s1, t1, 6, SEQ);
    bn_arith_stream_fill(&spec, v, &s2, t2, 6, SEQ);
    CHECK(same_tokens(t1, t2, 6 * SEQ), "same seed, different tokens");

    bn_arith_stream_init(&s2, 43);
    bn_arith_stream_fill(&spec, v, &s2, t2, 6, SEQ);
    CHECK(!same_tokens(t1, t2, 6 * SEQ), "different seeds, same tokens");

    /* Resume from a copy taken after a row that ended inside a problem (7 tokens): the cut
     * problem's rest is dropped, so the copy holds no pending text and continues exactly. */
    bn_arith_stream_init(&s1, 5);
    bn_arith_stream_fill(&spec, v, &s1, t1, 1, 7);
    CHECK(s1.pending_pos == s1.pending_len, "a cut problem's rest survived the row (%d of %d)",
          s1.pending_pos, s1.pending_len);
    memcpy(&copy, &s1, sizeof(copy));
    bn_arith_stream_fill(&spec, v, &s1, t1, 5, SEQ);
    bn_arith_stream_fill(&spec, v, &copy, t3, 5, SEQ);
    CHECK(same_tokens(t1, t3, 5 * SEQ), "resumed copy diverges");
    bn_tok_free(v);
}

static void test_stream_continuity(void)
{
    bn_arith_spec spec = default_spec();
    bn_tokenizer *v = NULL;
    bn_arith_stream a, b;
    enum { L = 13 }; /* odd length: rows cut problems at varying points */
    int one[6 * L + 1], two[6 * L + 1];

    bn_tok_char(&v, "arithmetic", NULL);
    bn_arith_stream_init(&a, 77);
    b = a;
    one[6 * L] = two[3 * L] = -777; /* sentinels: fills write exactly rows * seq_len */
    bn_arith_stream_fill(&spec, v, &a, one, 6, L);
    bn_arith_stream_fill(&spec, v, &b, two, 3, L);
    CHECK(two[3 * L] == -777, "3-row fill wrote past 3 rows");
    two[6 * L] = -777;
    bn_arith_stream_fill(&spec, v, &b, two + 3 * L, 3, L);
    CHECK(one[6 * L] == -777 && two[6 * L] == -777, "fill wrote past rows * seq_len");
    CHECK(same_tokens(one, two, 6 * L), "3 + 3 rows differ from 6 rows");
    CHECK(memcmp(&a, &b, sizeof(a)) == 0, "states differ after the same tokens");

    /* Every row starts at a problem; the one it ends in is cut and not continued. */
    enum { L2 = 40 };
    int rows2[2 * L2];
    char row0[L2 + 1], row1[L2 + 1];
    bn_arith_stream_init(&a, 78);
    bn_arith_stream_fill(&spec, v, &a, rows2, 2, L2);
    bn_tok_decode(v, rows2, L2, row0, sizeof row0);
    bn_tok_decode(v, rows2 + L2, L2, row1, sizeof row1);
    CHECK((int)strlen(row0) == L2 && (int)strlen(row1) == L2, "decoded lengths");
    CHECK(check_problems_in(&spec, row0, 0) >= 2, "too few problems in '%s'", row0);
    CHECK(check_problems_in(&spec, row1, 0) >= 2, "row 1 does not start at a problem: '%s'",
          row1);
    bn_tok_free(v);
}

/* A source's position through trainer_state.json's "data" (as text, doubles exact). */
static json_t *through_text(json_t *data)
{
    json_t *doc = json_pack("{s:i, s:o}", "format_version", 2, "data", data);
    char *text = json_dumps(doc, BN_JSON_EXACT | JSON_INDENT(2));
    json_t *back = NULL;
    bn_error err = {0};
    CHECK(text && bn_json_parse_text("trainer_state.json", text, strlen(text), &back, &err) ==
                      BN_OK, "parse: %s", err.msg);
    json_t *out = json_incref(json_object_get(back, "data"));
    json_decref(back);
    json_decref(doc);
    free(text);
    return out;
}

/* Saved after k batches and restored into a fresh source, the next batches are the
 * original's; the state names its kind. */
static void check_source_round_trip(const bn_config *cfg, const bn_tokenizer *tok, int k)
{
    bn_error err = {0};
    bn_data_source *a = NULL, *b = NULL;
    if (bn_task_open_source(cfg, tok, &a, &err) != BN_OK ||
        bn_task_open_source(cfg, tok, &b, &err) != BN_OK) {
        CHECK(0, "open: %s", err.msg);
        return;
    }
    enum { R = 3, T = 29 }; /* rows cut problems */
    int ta[R * T], tb[R * T];
    for (int i = 0; i < k; i++)
        bn_source_next_batch(a, ta, R, T);
    json_t *data = through_text(bn_source_save_state(a));
    CHECK(strcmp(json_string_value(json_object_get(data, "kind")), "arithmetic") == 0,
          "kind");
    CHECK(bn_source_load_state(b, data, "data", &err) == BN_OK, "restore: %s", err.msg);
    for (int i = 0; i < 3; i++) {
        bn_source_next_batch(a, ta, R, T);
        bn_source_next_batch(b, tb, R, T);
        CHECK(same_tokens(ta, tb, R * T), "after %d batches: batch %d differs", k, i);
    }
    json_decref(data);
    bn_source_close(a);
    bn_source_close(b);
}

/* The format 1 "data" (no kind) restores a stream stopped inside a problem; damaged or
 * foreign states are refused naming the key, and leave the source as it was. */
static void test_source_legacy(const bn_config *cfg, const bn_tokenizer *tok)
{
    bn_error err = {0};
    bn_data_source *src = NULL;
    bn_task_open_source(cfg, tok, &src, &err);
    json_t *v1 = json_pack("{s:[s,s,s,s], s:s, s:i}", "rng", "00000000000000ff",
                           "0123456789ABCDEF", "8000000000000000", "ffffffffffffffff",
                           "pending", "12 + 34 = 46 ", "pending_pos", 5);
    CHECK(bn_source_load_state(src, v1, "data", &err) == BN_OK, "v1: %s", err.msg);
    int t[8];
    bn_source_next_batch(src, t, 1, 8);
    char text[16];
    bn_tok_decode(tok, t, 8, text, sizeof text);
    CHECK(strcmp(text, "34 = 46 ") == 0, "the pending tail comes first: '%s'", text);
    json_t *saved = bn_source_save_state(src);
    static const struct {
        const char *key, *json, *what;
    } bad[] = {
        {"pending_pos", "99", "data.pending_pos"},
        {"pending", "7", "data.pending"},
        {"rng", "[\"0\"]", "data.rng"},
        {"kind", "\"tictactoe\"", "data.kind"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *d = json_deep_copy(v1);
        json_object_set_new(d, bad[i].key, json_loads(bad[i].json, JSON_DECODE_ANY, NULL));
        bn_status st = bn_source_load_state(src, d, "data", &err);
        CHECK(st == BN_ERR_INPUT && strstr(err.msg, bad[i].what), "%s: %d '%s'", bad[i].key,
              (int)st, err.msg);
        json_t *now = bn_source_save_state(src);
        CHECK(json_equal(now, saved), "%s: a refused state changed the source", bad[i].key);
        json_decref(now);
        json_decref(d);
    }
    json_decref(saved);
    json_decref(v1);
    bn_source_close(src);
}

static void test_source_state(void)
{
    bn_config cfg;
    bn_config_defaults(&cfg);
    cfg.experiment.task = BN_TASK_ARITHMETIC;
    bn_tokenizer *tok = NULL;
    bn_error err = {0};
    CHECK(bn_task_open_tokenizer(&cfg, &tok, &err) == BN_OK, "tokenizer: %s", err.msg);
    if (!tok)
        return;
    check_source_round_trip(&cfg, tok, 0);
    check_source_round_trip(&cfg, tok, 7);
    test_source_legacy(&cfg, tok);
    bn_tok_free(tok);
}

int main(void)
{
    test_vocab_ids();
    test_vocab_roundtrip();
    test_solve_format();
    test_heldout_share();
    test_training_stream();
    test_eval_set();
    test_stream_determinism();
    test_stream_continuity();
    test_source_state();
    return check_exit("test_data_arith");
}
