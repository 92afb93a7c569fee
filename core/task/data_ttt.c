/* data_ttt.c - tic-tac-toe training games. */
#include "task/data_ttt.h"

#include <string.h>

#define MAX_RANDOM_START 6 /* moves of random play before a random start position */

void bn_ttt_stream_init(bn_ttt_stream *s, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    bn_rng_seed(&s->rng, seed);
}

void bn_ttt_draw_player(const bn_ttt_spec *spec, bn_rng *rng, bn_ttt_player *p)
{
    double total = spec->random_weight + spec->minimax_weight + spec->perfect_weight;
    double u = (double)bn_rng_uniform(rng) * total;
    p->epsilon = 0.0;
    if (u < spec->random_weight) {
        p->kind = BN_TTT_PLAYER_RANDOM;
    } else {
        p->kind = BN_TTT_PLAYER_MINIMAX;
        if (u < spec->random_weight + spec->minimax_weight)
            p->epsilon = spec->minimax_epsilon;
    }
}

/* A start position: 1..MAX_RANDOM_START random moves from the empty board that leave the
 * game open (tried again from scratch when they end it). */
static void random_start(bn_rng *rng, char b[BN_TTT_CELLS])
{
    for (;;) {
        memset(b, '_', BN_TTT_CELLS);
        int k = 1 + (int)bn_rng_below(rng, MAX_RANDOM_START);
        for (int i = 0; i < k; i++)
            b[bn_ttt_random_move(b, rng)] = bn_ttt_to_move(b);
        if (bn_ttt_result_of(b, NULL) == BN_TTT_ONGOING)
            return;
    }
}

void bn_ttt_generate(const bn_ttt_spec *spec, const bn_ttt_solver *solver, bn_rng *rng,
                     bn_ttt_game *g)
{
    memset(g, 0, sizeof *g);
    memset(g->start, '_', sizeof g->start);
    if (spec->random_start_percent > 0 &&
        (int)bn_rng_below(rng, 100) < spec->random_start_percent)
        random_start(rng, g->start);
    bn_ttt_player x, o;
    bn_ttt_draw_player(spec, rng, &x);
    bn_ttt_draw_player(spec, rng, &o);
    bn_ttt_play(g, &x, &o, solver, rng);
}

void bn_ttt_stream_fill(const bn_ttt_spec *spec, const bn_ttt_solver *solver,
                        const bn_tokenizer *tok, bn_ttt_stream *s, int *tokens, int rows,
                        int seq_len)
{
    for (int r = 0; r < rows; r++) {
        int *row = tokens + (long)r * seq_len, t = 0;
        while (t < seq_len) {
            bn_ttt_game g;
            char text[BN_TTT_TEXT_MAX + 1];
            bn_ttt_generate(spec, solver, &s->rng, &g);
            int n = bn_ttt_format(&g, 1, text, BN_TTT_TEXT_MAX);
            text[n++] = ' '; /* games are joined by one space */
            int take = n < seq_len - t ? n : seq_len - t;
            bn_tok_encode_bytes(tok, text, (size_t)take, row + t, (size_t)take);
            t += take; /* the game a row ends in is cut there */
        }
    }
}
