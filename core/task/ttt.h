/* ttt.h - tic-tac-toe: the rules, perfect minimax, the players that generate training games,
 * and the game text of README, "Tic-tac-toe: defaults and what they reach".
 *
 * A board is 9 chars, cells 0-8 row-major, each 'X', 'O' or '_'. X moves first, so the side
 * to move follows from the counts (X == O: X; X == O + 1: O; anything else is impossible).
 * A game is a start board (empty, or a position reached by random play) and its moves:
 *   "_ _ _ _ _ _ _ _ _ | X:4 | O:0 | X:8 | ... | Result: X wins"   ("O wins", "draw"). */
#ifndef BN_TTT_H
#define BN_TTT_H

#include "base/rng.h"

#define BN_TTT_CELLS 9
#define BN_TTT_POSITIONS 19683 /* 3^9 */
#define BN_TTT_TEXT_MAX 128    /* longest game text is 88 characters */

/* Result of a board: not over yet, X won, O won, or a draw (full board, no line). */
typedef enum { BN_TTT_ONGOING = 0, BN_TTT_X_WINS, BN_TTT_O_WINS, BN_TTT_DRAW } bn_ttt_result;

/* The 8 win lines (rows, columns, diagonals). */
extern const int bn_ttt_lines[8][3];

/* The winner's line index (0-7) and result, or BN_TTT_ONGOING / BN_TTT_DRAW. line may be NULL. */
bn_ttt_result bn_ttt_result_of(const char b[BN_TTT_CELLS], int *line);

/* 'X' or 'O' to move, or 0 when the counts are impossible. */
char bn_ttt_to_move(const char b[BN_TTT_CELLS]);

/* NULL if b is a position where someone can move (valid cells and counts, no line and not
 * full, and not two winners), else what is wrong ("game already over: X wins", ...). */
const char *bn_ttt_check_position(const char b[BN_TTT_CELLS]);

/* Empty cells of b into cells[], ascending; returns their number. */
int bn_ttt_empty_cells(const char b[BN_TTT_CELLS], int cells[BN_TTT_CELLS]);

/* "X wins", "O wins", "draw" ("" while ongoing). */
const char *bn_ttt_result_text(bn_ttt_result r);

/* ---- perfect play: minimax over all 3^9 boards, memoized ---- */

/* The value of every position for the side to move: +(1 + empty cells after the winning
 * move) for a forced win (sooner wins score higher), 0 a draw, negative a forced loss
 * (later losses score higher). Filled once by bn_ttt_solver_init (a few ms). */
typedef struct {
    signed char value[BN_TTT_POSITIONS];
} bn_ttt_solver;

void bn_ttt_solver_init(bn_ttt_solver *s);
int bn_ttt_board_index(const char b[BN_TTT_CELLS]);
/* Value of b for the side to move (b must pass bn_ttt_check_position, or be over). */
int bn_ttt_value(const bn_ttt_solver *s, const char b[BN_TTT_CELLS]);
/* The optimal moves of a position where someone can move, ascending; returns how many. */
int bn_ttt_best_moves(const bn_ttt_solver *s, const char b[BN_TTT_CELLS],
                      int moves[BN_TTT_CELLS]);
/* One optimal move: the lowest cell when rng is NULL (deterministic), else uniform among
 * the optimal ones. */
int bn_ttt_perfect_move(const bn_ttt_solver *s, const char b[BN_TTT_CELLS], bn_rng *rng);
/* A uniformly random empty cell. */
int bn_ttt_random_move(const char b[BN_TTT_CELLS], bn_rng *rng);

/* ---- players ---- */

typedef enum { BN_TTT_PLAYER_RANDOM, BN_TTT_PLAYER_MINIMAX } bn_ttt_player_kind;

/* Random, or minimax that plays a random move with probability epsilon and otherwise a
 * uniformly chosen optimal one (epsilon 0: perfect). */
typedef struct {
    bn_ttt_player_kind kind;
    double epsilon;
} bn_ttt_player;

int bn_ttt_player_move(const bn_ttt_player *p, const bn_ttt_solver *s,
                       const char b[BN_TTT_CELLS], bn_rng *rng);

/* ---- games and their text ---- */

typedef struct {
    char start[BN_TTT_CELLS];
    int moves[BN_TTT_CELLS];
    int n_moves;
    bn_ttt_result result; /* of the final board (BN_TTT_ONGOING for a game in progress) */
} bn_ttt_game;

/* The board after the game's moves (start, then alternating from the side to move). */
void bn_ttt_game_board(const bn_ttt_game *g, char b[BN_TTT_CELLS]);

/* Play players x and o from g->start to the end (g->start set by the caller). */
void bn_ttt_play(bn_ttt_game *g, const bn_ttt_player *x, const bn_ttt_player *o,
                 const bn_ttt_solver *s, bn_rng *rng);

/* A game from the empty board that reaches position b (valid counts, no line): X's cells and
 * O's cells alternately, each in ascending order. */
void bn_ttt_game_from_position(const char b[BN_TTT_CELLS], bn_ttt_game *g);

/* The game text: start board and moves, and " | Result: ..." when with_result and the game
 * is over. NUL-terminated; returns its length. cap >= BN_TTT_TEXT_MAX always suffices. */
int bn_ttt_format(const bn_ttt_game *g, int with_result, char *out, int cap);

/* Parse game text (as bn_ttt_format writes it, with or without the result; surrounding
 * spaces allowed), or a bare 9-cell position such as "X_O______". Checks every move (the
 * right side, an empty cell, none after the end) and a given result. Returns NULL on
 * success, else what is wrong. */
const char *bn_ttt_parse(const char *text, bn_ttt_game *g);

#endif
