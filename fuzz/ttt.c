/* ttt.c - fuzz target: a line of the `move` protocol (README, "Playing tic-tac-toe"): a
 * 9-cell position or game text, parsed and checked as `move` does (task/ttt.h), a bare
 * position turned into a game from the empty board, then the prompt's ids and a tiny
 * model's answer (task/eval_ttt.h). Game text that parses must write out (bn_ttt_format)
 * as text that parses to the same game. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "task/eval_ttt.h"
#include "task/ttt.h"

enum { MAX_SEQ = 96 };

static bn_fuzz_fixture fx;

static void free_fixture(void)
{
    bn_fuzz_fixture_free(&fx);
}

static int ready(void)
{
    return bn_fuzz_fixture_ready(&fx, "tictactoe", NULL, MAX_SEQ, free_fixture);
}

static void check_format(const bn_ttt_game *g)
{
    char text[BN_TTT_TEXT_MAX];
    bn_ttt_format(g, 1, text, sizeof text);
    bn_ttt_game again;
    bn_fuzz_invariant(bn_ttt_parse(text, &again) == NULL, "formatted game text does not parse");
    bn_fuzz_invariant(memcmp(again.start, g->start, BN_TTT_CELLS) == 0 &&
                          again.n_moves == g->n_moves &&
                          memcmp(again.moves, g->moves, sizeof(int) * (size_t)g->n_moves) == 0,
                      "formatted game text parses to another game");
}

/* As `move` answers a line (app/ttt_cmd.c answer_line). */
static int answer(const char *line)
{
    bn_ttt_game g;
    if (bn_ttt_parse(line, &g) != NULL)
        return 0;
    check_format(&g);
    char b[BN_TTT_CELLS];
    bn_ttt_game_board(&g, b);
    if (bn_ttt_check_position(b) != NULL)
        return 0;
    bn_ttt_to_move(b);
    if (memchr(g.start, 'X', BN_TTT_CELLS) || memchr(g.start, 'O', BN_TTT_CELLS)) {
        bn_ttt_game rest = g;
        bn_ttt_game_from_position(g.start, &g);
        for (int i = 0; i < rest.n_moves; i++) {
            bn_fuzz_invariant(g.n_moves < BN_TTT_CELLS, "a game of more than 9 moves");
            g.moves[g.n_moves++] = rest.moves[i];
        }
    }
    int ids[MAX_SEQ];
    bn_ttt_prompt_ids(fx.tok, &g, MAX_SEQ, ids);
    bn_ttt_answer a;
    bn_error err = {0};
    if (bn_ttt_model_answer(&fx.m, fx.tok, &g, 1, &a, &err) != BN_OK)
        return 0; /* out of memory: nothing to check */
    bn_fuzz_invariant(a.cell >= 0 && a.cell < BN_TTT_CELLS && b[a.cell] == '_',
                      "the masked move is not an empty cell");
    return 1;
}

int bn_fuzz_ttt(const uint8_t *data, size_t size)
{
    if (!ready())
        return 0;
    size_t n = 0;
    while (n < size && data[n] != '\n' && data[n] != '\r')
        n++;
    char *line = bn_fuzz_cstr(data, n);
    int answered = line && answer(line);
    free(line);
    return answered;
}
