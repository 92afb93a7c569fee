/* eval_ttt.h - how well a model plays tic-tac-toe, and its move in a position.
 *
 * The model's move: after the game text so far plus " | X:" (or " | O:"), the most probable
 * digit token. Unmasked, that digit is the move (a digit that is not an empty cell forfeits
 * the game); masked, the most probable empty cell is (what the board pane and `play` use
 * against a person). Opponents: a random player and perfect minimax (uniform among the
 * optimal moves), each with its own seeded RNG per game, so every evaluation plays the same
 * opponent moves for the same model moves. */
#ifndef BN_EVAL_TTT_H
#define BN_EVAL_TTT_H

#include <jansson.h>

#include "base/error.h"
#include "model/decoder.h"
#include "model/model.h"
#include "task/ttt.h"
#include "tok/tokenizer.h"

#define BN_TTT_EVAL_EXAMPLES 4

enum { BN_TTT_OPP_RANDOM = 0, BN_TTT_OPP_PERFECT = 1 };

/* The model's answer in one position. */
typedef struct {
    char player;                /* 'X' or 'O': the side to move */
    int cell;                   /* masked: the most probable empty cell */
    int top_digit;              /* unmasked: the most probable digit 0-9 */
    int legal;                  /* top_digit is an empty cell */
    float probs[BN_TTT_CELLS];  /* the model's probability of each cell's digit */
} bn_ttt_answer;

typedef struct {
    int games, wins, draws, losses, forfeits; /* forfeits (illegal moves) count as losses */
} bn_ttt_tally;

typedef struct {
    int games_per_match;              /* per opponent and side, in each mode */
    bn_ttt_tally play[2][2][2];       /* [masked][opponent][model side: 0 X, 1 O] */
    long moves, legal;                /* unmasked play: model moves, and legal ones */
    int results, results_correct;     /* unmasked games ended on the board; right Result */
    int n_examples;
    char examples[BN_TTT_EVAL_EXAMPLES][BN_TTT_TEXT_MAX];       /* game text with result */
    char example_results[BN_TTT_EVAL_EXAMPLES][BN_TTT_TEXT_MAX]; /* what the model wrote */
} bn_ttt_eval;

/* The model's answers for n positions where someone can move: any n, each prompt fed in one
 * pass to a decoder over the model's weights (built for this call; its logits are bit for
 * bit those of bn_model_forward on that one row). Uses the model's thread pool and leaves its
 * activations alone. When the decoder cannot be built (out of memory) out is zeroed and
 * the error says what was allocated. */
bn_status bn_ttt_model_answer(bn_model *m, const bn_tokenizer *tok, const bn_ttt_game *games,
                              int n, bn_ttt_answer *out, bn_error *err);

/* The same on a decoder the caller keeps (reset for each position); ids: room for
 * d->max_seq prompt ids. */
void bn_ttt_decoder_answer(bn_decoder *d, const bn_tokenizer *tok, const bn_ttt_game *games,
                           int n, bn_ttt_answer *out, int *ids);

/* The prompt of a position, "game text | X:" (its last max_seq tokens), as ids: its length. */
int bn_ttt_prompt_ids(const bn_tokenizer *tok, const bn_ttt_game *g, int max_seq, int *ids);

/* The answer read from the logits (V) after the prompt, on board b (player not set). */
void bn_ttt_answer_from_logits(const float *z, int V, const bn_tokenizer *tok,
                               const char b[BN_TTT_CELLS], bn_ttt_answer *a);

/* Play `games` games per mode (split evenly over random/perfect x model as X/O, at least one
 * each), unmasked and masked, and check the Result text of each unmasked game that ended on
 * the board. */
bn_status bn_eval_tictactoe(bn_model *m, const bn_tokenizer *tok, const bn_ttt_solver *s, int games,
                            bn_ttt_eval *out, bn_error *err);

/* Every position where someone can move (4,520 of them), given as a game from the empty
 * board (bn_ttt_game_from_position, as `move` does with "X_O______") and as a bare start
 * board: how often the top digit is an empty cell, and how often the masked move is one of
 * perfect play's optimal moves. */
typedef struct {
    int positions, legal, optimal;             /* bare, as the start board */
    int history_legal, history_optimal;        /* as bn_ttt_game_from_position's game */
} bn_ttt_position_eval;

/* Every position once (out zeroed, and the error set, when out of memory). */
bn_status bn_eval_ttt_positions(bn_model *m, const bn_tokenizer *tok, const bn_ttt_solver *s,
                                bn_ttt_position_eval *out, bn_error *err);

/* Shares, 0 when there were no games: legal-move rate, not lost (wins + draws) and draws
 * for one mode/opponent/side. */
double bn_ttt_legal_rate(const bn_ttt_eval *e);
double bn_ttt_not_lost(const bn_ttt_eval *e, int masked, int opp, int side);
double bn_ttt_draws(const bn_ttt_eval *e, int masked, int opp, int side);
double bn_ttt_result_rate(const bn_ttt_eval *e);

/* The evaluation as a new JSON object: legal rate, per mode/opponent/side tallies,
 * result-text rate (NULL only when out of memory). */
json_t *bn_ttt_eval_json(const bn_ttt_eval *e);

/* A one-line summary, e.g. "legal 99.8% | vs random X 97% O 88% not lost | vs perfect
 * draws X 64% O 51% | result 99%". */
int bn_ttt_eval_summary(const bn_ttt_eval *e, char *out, size_t cap);

#endif
