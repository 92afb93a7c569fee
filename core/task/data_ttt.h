/* data_ttt.h - the synthetic tic-tac-toe task: games between mixed players, packed into rows.
 *
 * Each side of a game is drawn independently from a weighted mix of players: random (the
 * old tool's only player), minimax playing a random move with probability epsilon, and
 * perfect minimax (uniform among the optimal moves). Optionally (random_start_percent, 0 by
 * default) a share of games starts from a position reached by 1-6 random moves, written as
 * the start board; `move` asks bare positions as games from the empty board instead, which
 * measured far better (README). Games are joined by one space and packed into rows of seq_len
 * tokens; every row starts at a game and the game a row ends in is cut (as arithmetic rows). */
#ifndef BN_DATA_TTT_H
#define BN_DATA_TTT_H

#include "base/rng.h"
#include "task/ttt.h"
#include "tok/tokenizer.h"

typedef struct {
    double random_weight, minimax_weight, perfect_weight; /* per side, need not sum to 1 */
    double minimax_epsilon;
    int random_start_percent;
} bn_ttt_spec;

/* The stream's whole state: rows never leave a game half-read, so its RNG is all of it. */
typedef struct {
    bn_rng rng;
} bn_ttt_stream;

void bn_ttt_stream_init(bn_ttt_stream *s, uint64_t seed);

/* Draw one side's player from the mix. */
void bn_ttt_draw_player(const bn_ttt_spec *spec, bn_rng *rng, bn_ttt_player *p);

/* Generate one game (start position, players, moves) from the spec. */
void bn_ttt_generate(const bn_ttt_spec *spec, const bn_ttt_solver *solver, bn_rng *rng,
                     bn_ttt_game *g);

/* Fill rows x seq_len token ids (row-major), each row starting at a game. */
void bn_ttt_stream_fill(const bn_ttt_spec *spec, const bn_ttt_solver *solver,
                        const bn_tokenizer *tok, bn_ttt_stream *s, int *tokens, int rows,
                        int seq_len);

#endif
