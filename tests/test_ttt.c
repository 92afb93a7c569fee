/* test_ttt.c - tic-tac-toe rules, minimax, game text and the training generator. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/jsonio.h"
#include "task/sources.h"
#include "task/task.h"
#include "task/data_ttt.h"
#include "task/ttt.h"

static void board_of(const char *s, char b[9])
{
    memcpy(b, s, 9);
}

static void test_rules(void)
{
    /* Every win line, for both players, and nothing else wins. */
    for (int l = 0; l < 8; l++) {
        for (int p = 0; p < 2; p++) {
            char b[9];
            memset(b, '_', 9);
            for (int k = 0; k < 3; k++)
                b[bn_ttt_lines[l][k]] = p ? 'O' : 'X';
            int line = -1;
            bn_ttt_result r = bn_ttt_result_of(b, &line);
            CHECK(r == (p ? BN_TTT_O_WINS : BN_TTT_X_WINS), "line %d player %d: result %d", l,
                  p, (int)r);
            CHECK(line == l, "line %d: reported %d", l, line);
        }
    }
    /* Count every board with exactly one full line among 3-mark boards: exactly 8 lines. */
    int wins = 0;
    for (int a = 0; a < 9; a++)
        for (int b2 = a + 1; b2 < 9; b2++)
            for (int c = b2 + 1; c < 9; c++) {
                char b[9];
                memset(b, '_', 9);
                b[a] = b[b2] = b[c] = 'X';
                wins += bn_ttt_result_of(b, NULL) == BN_TTT_X_WINS;
            }
    CHECK(wins == 8, "3-mark winning sets: %d, expected 8", wins);

    char b[9];
    board_of("XOXXOOOXX", b);
    CHECK(bn_ttt_result_of(b, NULL) == BN_TTT_DRAW, "full board without a line is a draw");
    CHECK(strstr(bn_ttt_check_position(b), "over: draw") != NULL, "draw refused");
    board_of("XXXOO____", b);
    CHECK(bn_ttt_check_position(b) && strstr(bn_ttt_check_position(b), "X wins"),
          "won game refused");
    board_of("XOX______", b);
    CHECK(bn_ttt_check_position(b) == NULL && bn_ttt_to_move(b) == 'O', "O to move");
    board_of("XX_______", b);
    CHECK(bn_ttt_check_position(b) && strstr(bn_ttt_check_position(b), "counts"),
          "two X and no O is impossible");
    board_of("O________", b);
    CHECK(bn_ttt_to_move(b) == 0, "O first is impossible");
    board_of("XXXOOO___", b);
    CHECK(bn_ttt_check_position(b) && strstr(bn_ttt_check_position(b), "both"),
          "two winners refused");
    board_of("X_O__a___", b);
    CHECK(bn_ttt_check_position(b) != NULL, "bad cell refused");
}

static void test_parse(void)
{
    bn_ttt_game g;
    const char *text = "_ _ _ _ _ _ _ _ _ | X:4 | O:0 | X:8 | O:2 | X:1 | O:7 | X:5 | O:3 | "
                       "X:6 | Result: draw";
    CHECK(bn_ttt_parse(text, &g) == NULL, "parse: %s", bn_ttt_parse(text, &g));
    char out[BN_TTT_TEXT_MAX];
    bn_ttt_format(&g, 1, out, sizeof out);
    CHECK(strcmp(out, text) == 0, "round trip: %s", out);
    CHECK(g.result == BN_TTT_DRAW && g.n_moves == 9, "result %d moves %d", (int)g.result,
          g.n_moves);
    CHECK(bn_ttt_parse("_ _ _ _ _ _ _ _ _ | X:0 | O:3 | X:1 | O:4 | X:2 | Result: X wins", &g) ==
              NULL && g.result == BN_TTT_X_WINS, "X wins parses");

    /* Refusals: each names its problem. */
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"_ _ _ _ _ _ _ _ _ | X:4 | X:0", "O's turn"},
        {"_ _ _ _ _ _ _ _ _ | X:4 | O:4", "occupied"},
        {"_ _ _ _ _ _ _ _ _ | X:9", "cell 9"},
        {"_ _ _ _ _ _ _ _ _ | O:1", "X's turn"},
        {"_ _ _ _ _ _ _ _ _ | X:0 | O:3 | X:1 | O:4 | X:2 | O:5", "after the end"},
        {"_ _ _ _ _ _ _ _ _ | X:0 | Result: draw", "does not match"},
        {"X_O_____", "9 cells"},
        {"X_O_______", "more than 9"},
        {"XX_______", "counts"},
        {"_ _ _ _ _ _ _ _ _ X:4", "' | '"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = bn_ttt_parse(bad[i].text, &g);
        CHECK(why && strstr(why, bad[i].why), "'%s': got '%s', expected '%s'", bad[i].text,
              why ? why : "(accepted)", bad[i].why);
    }
    CHECK(bn_ttt_parse("X_O______", &g) == NULL && g.n_moves == 0 && g.start[2] == 'O',
          "bare position");
    CHECK(bn_ttt_parse("X _ O _ _ _ _ _ _ | X:4", &g) == NULL && g.n_moves == 1,
          "spaced start with a move");
    bn_ttt_format(&g, 1, out, sizeof out);
    CHECK(strcmp(out, "X _ O _ _ _ _ _ _ | X:4") == 0, "start board kept: %s", out);
    char pos[9];
    board_of("XO__X_O__", pos);
    bn_ttt_game_from_position(pos, &g);
    bn_ttt_format(&g, 0, out, sizeof out);
    CHECK(strcmp(out, "_ _ _ _ _ _ _ _ _ | X:0 | O:1 | X:4 | O:6") == 0, "from position: %s", out);
}

/* Perfect against perfect: every optimal line from the empty board is a draw. */
static int all_lines_draw(const bn_ttt_solver *s, char b[9], long *games)
{
    bn_ttt_result r = bn_ttt_result_of(b, NULL);
    if (r != BN_TTT_ONGOING) {
        (*games)++;
        return r == BN_TTT_DRAW;
    }
    int moves[9], n = bn_ttt_best_moves(s, b, moves), ok = 1;
    char me = bn_ttt_to_move(b);
    for (int i = 0; i < n; i++) {
        b[moves[i]] = me;
        ok &= all_lines_draw(s, b, games);
        b[moves[i]] = '_';
    }
    return ok;
}

/* Over every position with a move: a win in one is always taken; a loss in one is blocked
 * when it can be and no win is available. */
static void check_every_position(const bn_ttt_solver *s, char b[9], int *checked, int *bad)
{
    if (bn_ttt_check_position(b) != NULL)
        return;
    char me = bn_ttt_to_move(b), them = me == 'X' ? 'O' : 'X';
    int cells[9], n = bn_ttt_empty_cells(b, cells), win = 0, threats = 0;
    for (int i = 0; i < n; i++) {
        b[cells[i]] = me;
        win |= bn_ttt_result_of(b, NULL) == (me == 'X' ? BN_TTT_X_WINS : BN_TTT_O_WINS);
        b[cells[i]] = them;
        threats += bn_ttt_result_of(b, NULL) == (me == 'X' ? BN_TTT_O_WINS : BN_TTT_X_WINS);
        b[cells[i]] = '_';
    }
    int moves[9], k = bn_ttt_best_moves(s, b, moves);
    for (int j = 0; j < k; j++) {
        b[moves[j]] = me;
        bn_ttt_result r = bn_ttt_result_of(b, NULL);
        int wins_now = r == (me == 'X' ? BN_TTT_X_WINS : BN_TTT_O_WINS);
        b[moves[j]] = them;
        int blocks = bn_ttt_result_of(b, NULL) == (me == 'X' ? BN_TTT_O_WINS : BN_TTT_X_WINS);
        b[moves[j]] = '_';
        if (win && !wins_now)
            (*bad)++;
        if (!win && threats == 1 && !blocks)
            (*bad)++;
    }
    (*checked)++;
    for (int i = 0; i < n; i++) {
        b[cells[i]] = me;
        check_every_position(s, b, checked, bad);
        b[cells[i]] = '_';
    }
}

static void test_minimax(void)
{
    static bn_ttt_solver s;
    bn_ttt_solver_init(&s);
    char b[9];
    memset(b, '_', 9);
    CHECK(bn_ttt_value(&s, b) == 0, "the empty board is a draw (value %d)", bn_ttt_value(&s, b));
    long games = 0;
    CHECK(all_lines_draw(&s, b, &games), "perfect vs perfect: some optimal line is not a draw");
    CHECK(games > 100, "only %ld perfect games", games);
    int checked = 0, bad = 0;
    check_every_position(&s, b, &checked, &bad);
    CHECK(bad == 0 && checked > 4000, "%d of %d positions: missed win or block", bad, checked);

    board_of("XX_OO____", b); /* X to move wins at 2 */
    CHECK(bn_ttt_perfect_move(&s, b, NULL) == 2, "win in one: %d",
          bn_ttt_perfect_move(&s, b, NULL));
    board_of("XX_O_____", b); /* O must block at 2 */
    CHECK(bn_ttt_perfect_move(&s, b, NULL) == 2, "block: %d", bn_ttt_perfect_move(&s, b, NULL));
    board_of("____X____", b); /* O's optimal replies: the corners only */
    int moves[9], k = bn_ttt_best_moves(&s, b, moves);
    CHECK(k == 4 && moves[0] == 0 && moves[1] == 2 && moves[2] == 6 && moves[3] == 8,
          "replies to the centre: %d", k);
    /* Uniform among optimal: the seeded choice covers all four corners. */
    bn_rng rng;
    bn_rng_seed(&rng, 7);
    int seen[9] = {0};
    for (int i = 0; i < 200; i++)
        seen[bn_ttt_perfect_move(&s, b, &rng)]++;
    CHECK(seen[0] && seen[2] && seen[6] && seen[8] && !seen[1] && !seen[4],
          "uniform among optimal: %d %d %d %d", seen[0], seen[2], seen[6], seen[8]);

    /* Perfect (random tie-breaks) against perfect: always a draw; never loses to random. */
    bn_ttt_player perfect = {BN_TTT_PLAYER_MINIMAX, 0.0}, random = {BN_TTT_PLAYER_RANDOM, 0};
    int draws = 0, lost = 0;
    for (int i = 0; i < 500; i++) {
        bn_ttt_game g;
        memset(&g, 0, sizeof g);
        memset(g.start, '_', 9);
        bn_ttt_play(&g, &perfect, &perfect, &s, &rng);
        draws += g.result == BN_TTT_DRAW;
        memset(&g, 0, sizeof g);
        memset(g.start, '_', 9);
        bn_ttt_play(&g, i % 2 ? &perfect : &random, i % 2 ? &random : &perfect, &s, &rng);
        lost += g.result == (i % 2 ? BN_TTT_O_WINS : BN_TTT_X_WINS);
    }
    CHECK(draws == 500, "perfect vs perfect: %d of 500 drawn", draws);
    CHECK(lost == 0, "perfect lost %d games to random", lost);
}

/* The generator: deterministic for a seed, every game legal with the right result, rows
 * start at a game. */
static void test_generator(void)
{
    bn_config cfg;
    bn_config_defaults(&cfg);
    cfg.experiment.task = BN_TASK_TICTACTOE;
    cfg.data.random_start_percent = 10;
    bn_error err = {0};
    bn_tokenizer *tok = NULL;
    bn_data_source *a = NULL, *b2 = NULL, *c = NULL;
    CHECK(bn_task_open_tokenizer(&cfg, &tok, &err) == BN_OK, "tokenizer: %s", err.msg);
    CHECK(bn_task_open_source(&cfg, tok, &a, &err) == BN_OK, "init: %s", err.msg);
    CHECK(bn_task_open_source(&cfg, tok, &b2, &err) == BN_OK, "init: %s", err.msg);
    if (!a || !b2)
        return;
    enum { R = 8, T = 128 };
    int ta[R * T], tb[R * T];
    bn_source_next_batch(a, ta, R, T);
    bn_source_next_batch(b2, tb, R, T);
    CHECK(memcmp(ta, tb, sizeof ta) == 0, "same seed, same rows");
    cfg.train.seed = 99;
    bn_task_open_source(&cfg, tok, &c, &err);
    bn_source_next_batch(c, tb, R, T);
    CHECK(memcmp(ta, tb, sizeof ta) != 0, "another seed, other rows");
    bn_source_close(c);
    bn_source_close(b2);
    bn_source_close(a);

    /* Each row starts with a board; every complete game in it parses with its result. */
    int complete = 0;
    for (int r = 0; r < R; r++) {
        char text[T + 1];
        bn_tok_decode(tok, ta + r * T, T, text, sizeof text);
        CHECK(text[0] == '_' || text[0] == 'X' || text[0] == 'O', "row %d starts at %c", r,
              text[0]);
        char *p = text;
        for (char *res; (res = strstr(p, "Result: ")) != NULL;) {
            char *end = res + 8;
            end += strncmp(end, "draw", 4) == 0 ? 4 : 6;
            char game[T + 1];
            snprintf(game, sizeof game, "%.*s", (int)(end - p), p);
            bn_ttt_game g;
            const char *why = bn_ttt_parse(game, &g);
            CHECK(why == NULL, "row %d game '%s': %s", r, game, why);
            complete++;
            p = *end ? end + 1 : end;
        }
    }
    CHECK(complete >= R, "%d complete games in %d rows", complete, R);

    /* Over many games: results match the boards; the mix shows random starts. */
    bn_ttt_spec spec;
    bn_ttt_spec_from_config(&spec, &cfg);
    static bn_ttt_solver solver_table;
    bn_ttt_solver *solver = &solver_table;
    bn_ttt_solver_init(solver);
    bn_rng rng;
    bn_rng_seed(&rng, 3);
    int random_starts = 0, x_wins = 0, o_wins = 0, draws = 0;
    for (int i = 0; i < 2000; i++) {
        bn_ttt_game g;
        bn_ttt_generate(&spec, solver, &rng, &g);
        char text[BN_TTT_TEXT_MAX], board[9];
        bn_ttt_format(&g, 1, text, sizeof text);
        bn_ttt_game back;
        const char *why = bn_ttt_parse(text, &back);
        CHECK(why == NULL, "'%s': %s", text, why);
        bn_ttt_game_board(&g, board);
        CHECK(bn_ttt_result_of(board, NULL) == g.result && g.result != BN_TTT_ONGOING,
              "game ends with its result");
        random_starts += memchr(g.start, 'X', 9) != NULL;
        x_wins += g.result == BN_TTT_X_WINS;
        o_wins += g.result == BN_TTT_O_WINS;
        draws += g.result == BN_TTT_DRAW;
    }
    CHECK(random_starts > 100 && random_starts < 400, "random starts %d of 2000 (10%%)",
          random_starts);
    CHECK(x_wins > 0 && o_wins > 0 && draws > 0, "X %d O %d draws %d", x_wins, o_wins, draws);
    bn_tok_free(tok);
}

/* The source's position through trainer_state.json's "data" as text: saved after k batches
 * and restored into a fresh source, the next batches are the original's. */
static void check_round_trip(const bn_config *cfg, int k)
{
    bn_error err = {0};
    bn_tokenizer *tok = NULL;
    bn_data_source *a = NULL, *b = NULL;
    bn_task_open_tokenizer(cfg, &tok, &err);
    if (bn_task_open_source(cfg, tok, &a, &err) != BN_OK ||
        bn_task_open_source(cfg, tok, &b, &err) != BN_OK) {
        CHECK(0, "open: %s", err.msg);
        return;
    }
    enum { R = 4, T = 96 };
    static int ta[R * T], tb[R * T];
    for (int i = 0; i < k; i++)
        bn_source_next_batch(a, ta, R, T);
    json_t *doc = json_pack("{s:i, s:o}", "format_version", 2, "data", bn_source_save_state(a));
    char *text = json_dumps(doc, BN_JSON_EXACT | JSON_INDENT(2));
    json_t *back = NULL;
    CHECK(text && bn_json_parse_text("trainer_state.json", text, strlen(text), &back, &err) ==
                      BN_OK, "parse: %s", err.msg);
    CHECK(strcmp(json_string_value(json_object_get(json_object_get(back, "data"), "kind")),
                 "tictactoe") == 0, "the state names its kind");
    CHECK(bn_source_load_state(b, json_object_get(back, "data"), "data", &err) == BN_OK,
          "restore: %s", err.msg);
    for (int i = 0; i < 3; i++) {
        bn_source_next_batch(a, ta, R, T);
        bn_source_next_batch(b, tb, R, T);
        CHECK(memcmp(ta, tb, sizeof ta) == 0, "after %d batches: batch %d differs", k, i);
    }
    /* An arithmetic stream's state is refused, naming the key. */
    json_t *arith = json_pack("{s:s, s:O}", "kind", "arithmetic", "rng",
                              json_object_get(json_object_get(back, "data"), "rng"));
    CHECK(bn_source_load_state(b, arith, "x/trainer_state.json: data", &err) == BN_ERR_INPUT &&
              strstr(err.msg, "x/trainer_state.json: data.kind"),
          "other kind: '%s'", err.msg);
    json_decref(arith);
    json_decref(back);
    json_decref(doc);
    free(text);
    bn_source_close(a);
    bn_source_close(b);
    bn_tok_free(tok);
}

static void test_source_state(void)
{
    bn_config cfg;
    bn_config_defaults(&cfg);
    cfg.experiment.task = BN_TASK_TICTACTOE;
    cfg.data.random_start_percent = 10;
    check_round_trip(&cfg, 0);
    check_round_trip(&cfg, 5);
}

int main(void)
{
    test_rules();
    test_parse();
    test_minimax();
    test_generator();
    test_source_state();
    return check_exit("test_ttt");
}
