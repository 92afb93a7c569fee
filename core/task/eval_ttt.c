/* eval_ttt.c - tic-tac-toe play evaluation: batched games against random and perfect
 * opponents, masked and unmasked, and the Result text at each game's end. */
#include "task/eval_ttt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/jsonio.h"
#include "model/generate.h"

#define EVAL_SEED 0x5454544576616cULL /* "TTTEval" */
#define RESULT_MAX_NEW 18             /* " | Result: X wins " */

/* Encode the prompt for one position: game text + " | X:" (its last max_seq tokens). */
static int encode_prompt(const bn_tokenizer *tok, const bn_ttt_game *g, char player, int max_seq,
                         int *ids)
{
    char text[BN_TTT_TEXT_MAX + 8];
    int n = bn_ttt_format(g, 0, text, BN_TTT_TEXT_MAX);
    n += snprintf(text + n, sizeof text - (size_t)n, " | %c:", player);
    int start = n > max_seq ? n - max_seq : 0;
    return (int)bn_tok_encode(tok, text + start, (size_t)(n - start), ids, (size_t)max_seq);
}

/* Read one row's answer from its logits. */
static void read_answer(const float *z, int V, const bn_tokenizer *tok, const char b[BN_TTT_CELLS],
                        bn_ttt_answer *a)
{
    float mx = z[0];
    for (int i = 1; i < V; i++)
        mx = z[i] > mx ? z[i] : mx;
    double sum = 0.0;
    for (int i = 0; i < V; i++)
        sum += exp((double)(z[i] - mx));
    int digit[10];
    for (int d = 0; d < 10; d++)
        bn_tok_encode(tok, &"0123456789"[d], 1, &digit[d], 1);
    a->top_digit = 0;
    a->cell = -1;
    for (int d = 0; d < 10; d++) {
        if (z[digit[d]] > z[digit[a->top_digit]])
            a->top_digit = d;
        if (d < BN_TTT_CELLS) {
            a->probs[d] = (float)(exp((double)(z[digit[d]] - mx)) / sum);
            if (b[d] == '_' && (a->cell < 0 || z[digit[d]] > z[digit[a->cell]]))
                a->cell = d;
        }
    }
    a->legal = a->top_digit < BN_TTT_CELLS && b[a->top_digit] == '_';
}

/* Answer n <= max_batch positions in one forward; ids (n, max_seq), flat (n, max_seq) and
 * len (n) are scratch. */
static void answer_rows(bn_model *m, const bn_tokenizer *tok, const bn_ttt_game *games, int n,
                        bn_ttt_answer *out, int *ids, int *flat, int *len)
{
    int T = 0, V = m->cfg.vocab_size;
    for (int r = 0; r < n; r++) {
        char b[BN_TTT_CELLS];
        bn_ttt_game_board(&games[r], b);
        out[r].player = bn_ttt_to_move(b);
        len[r] = encode_prompt(tok, &games[r], out[r].player, m->max_seq,
                               ids + (size_t)r * m->max_seq);
        T = len[r] > T ? len[r] : T;
    }
    for (int r = 0; r < n; r++)
        for (int t = 0; t < T; t++)
            flat[(size_t)r * T + t] = t < len[r] ? ids[(size_t)r * m->max_seq + t] : bn_tok_special(tok, BN_TOK_PAD);
    bn_model_forward(m, flat, n, T);
    for (int r = 0; r < n; r++) {
        char b[BN_TTT_CELLS];
        bn_ttt_game_board(&games[r], b);
        read_answer(m->logits + ((size_t)r * T + len[r] - 1) * V, V, tok, b, &out[r]);
    }
}

void bn_ttt_model_answer(bn_model *m, const bn_tokenizer *tok, const bn_ttt_game *games, int n,
                         bn_ttt_answer *out)
{
    if (n <= 0)
        return;
    int rows = n < m->max_batch ? n : m->max_batch;
    int *ids = malloc(sizeof(int) * (size_t)rows * m->max_seq);
    int *flat = malloc(sizeof(int) * (size_t)rows * m->max_seq);
    int *len = malloc(sizeof(int) * (size_t)rows);
    if (!ids || !flat || !len)
        memset(out, 0, sizeof *out * (size_t)n);
    else
        for (int first = 0; first < n; first += rows) {
            int k = n - first < rows ? n - first : rows;
            answer_rows(m, tok, games + first, k, out + first, ids, flat, len);
        }
    free(ids);
    free(flat);
    free(len);
}

/* ---------------------------------------------------------------- games */

typedef struct {
    bn_ttt_game g;
    bn_rng rng;       /* the opponent's */
    int masked, opp, side;
    int over, forfeit;
} eval_game;

static char model_mark(const eval_game *e)
{
    return e->side == 0 ? 'X' : 'O';
}

static char to_move(const eval_game *e)
{
    char b[BN_TTT_CELLS];
    bn_ttt_game_board(&e->g, b);
    return bn_ttt_to_move(b);
}

/* Let the opponent move while it is its turn. */
static void opponent_moves(eval_game *e, const bn_ttt_solver *s)
{
    while (!e->over && to_move(e) != model_mark(e)) {
        char b[BN_TTT_CELLS];
        bn_ttt_game_board(&e->g, b);
        int cell = e->opp == BN_TTT_OPP_RANDOM ? bn_ttt_random_move(b, &e->rng)
                                               : bn_ttt_perfect_move(s, b, &e->rng);
        b[cell] = to_move(e);
        e->g.moves[e->g.n_moves++] = cell;
        e->g.result = bn_ttt_result_of(b, NULL);
        e->over = e->g.result != BN_TTT_ONGOING;
    }
}

static void apply_answer(eval_game *e, const bn_ttt_answer *a, bn_ttt_eval *out)
{
    if (!e->masked) {
        out->moves++;
        out->legal += a->legal;
        if (!a->legal) {
            e->over = e->forfeit = 1;
            return;
        }
    }
    int cell = e->masked ? a->cell : a->top_digit;
    char b[BN_TTT_CELLS];
    bn_ttt_game_board(&e->g, b);
    b[cell] = model_mark(e);
    e->g.moves[e->g.n_moves++] = cell;
    e->g.result = bn_ttt_result_of(b, NULL);
    e->over = e->g.result != BN_TTT_ONGOING;
}

/* One round: opponents move, then the model answers every waiting game (in batches). */
static int play_round(bn_model *m, const bn_tokenizer *tok, const bn_ttt_solver *s, eval_game *games,
                      int n, bn_ttt_game *batch, bn_ttt_answer *ans, int *idx, bn_ttt_eval *out)
{
    int waiting = 0;
    for (int i = 0; i < n; i++) {
        opponent_moves(&games[i], s);
        if (!games[i].over)
            idx[waiting++] = i;
    }
    for (int first = 0; first < waiting; first += m->max_batch) {
        int k = waiting - first < m->max_batch ? waiting - first : m->max_batch;
        for (int j = 0; j < k; j++)
            batch[j] = games[idx[first + j]].g;
        bn_ttt_model_answer(m, tok, batch, k, ans);
        for (int j = 0; j < k; j++)
            apply_answer(&games[idx[first + j]], &ans[j], out);
    }
    return waiting;
}

static void tally(const eval_game *e, bn_ttt_eval *out)
{
    bn_ttt_tally *t = &out->play[e->masked][e->opp][e->side];
    t->games++;
    bn_ttt_result mine = e->side == 0 ? BN_TTT_X_WINS : BN_TTT_O_WINS;
    if (e->forfeit) {
        t->forfeits++;
        t->losses++;
    } else if (e->g.result == BN_TTT_DRAW) {
        t->draws++;
    } else if (e->g.result == mine) {
        t->wins++;
    } else {
        t->losses++;
    }
}

/* Greedy continuation after each ended unmasked game; compare with " | Result: ...". */
static void check_results(bn_model *m, const bn_tokenizer *tok, eval_game *games, int n,
                          bn_ttt_eval *out)
{
    int cap = m->max_seq, rows = m->max_batch, idx_n = 0;
    int *tokens = malloc(sizeof(int) * (size_t)rows * cap), *len = malloc(sizeof(int) * rows);
    int *idx = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1)), *plen = malloc(sizeof(int) * rows);
    if (!tokens || !len || !idx || !plen) {
        free(tokens), free(len), free(idx), free(plen);
        return;
    }
    for (int i = 0; i < n; i++)
        if (!games[i].masked && !games[i].forfeit)
            idx[idx_n++] = i;
    for (int first = 0; first < idx_n; first += rows) {
        int k = idx_n - first < rows ? idx_n - first : rows;
        for (int j = 0; j < k; j++) {
            char text[BN_TTT_TEXT_MAX];
            int tl = bn_ttt_format(&games[idx[first + j]].g, 0, text, sizeof text);
            int start = tl > cap - RESULT_MAX_NEW ? tl - (cap - RESULT_MAX_NEW) : 0;
            if (start < 0 || start > tl)
                start = 0;
            plen[j] = len[j] = (int)bn_tok_encode(tok, text + start, (size_t)(tl - start),
                                                    tokens + (size_t)j * cap, (size_t)cap);
        }
        bn_gen_batch batch = {.tokens = tokens, .len = len, .rows = k, .cap = cap};
        bn_generate_greedy(m, &batch, RESULT_MAX_NEW, NULL, 0, bn_tok_special(tok, BN_TOK_PAD));
        for (int j = 0; j < k; j++) {
            eval_game *e = &games[idx[first + j]];
            char got[BN_TTT_TEXT_MAX], want[64];
            bn_tok_decode(tok, tokens + (size_t)j * cap + plen[j], (size_t)(len[j] - plen[j]),
                            got, sizeof got);
            int wl = snprintf(want, sizeof want, " | Result: %s", bn_ttt_result_text(e->g.result));
            int ok = strncmp(got, want, (size_t)wl) == 0 && (got[wl] == ' ' || got[wl] == '\0');
            if (ok)
                got[wl] = '\0'; /* what follows is the next game */
            out->results++;
            out->results_correct += ok;
            /* The first game of each opponent/side, as examples. */
            int ex = e->opp * 2 + e->side;
            if (ex < BN_TTT_EVAL_EXAMPLES && out->examples[ex][0] == '\0') {
                bn_ttt_format(&e->g, 1, out->examples[ex], BN_TTT_TEXT_MAX);
                snprintf(out->example_results[ex], BN_TTT_TEXT_MAX, "%s", got);
            }
        }
    }
    for (int i = 0; i < BN_TTT_EVAL_EXAMPLES; i++)
        if (out->examples[i][0])
            out->n_examples = i + 1;
    free(tokens), free(len), free(idx), free(plen);
}

bn_status bn_eval_tictactoe(bn_model *m, const bn_tokenizer *tok, const bn_ttt_solver *s, int games,
                            bn_ttt_eval *out, bn_error *err)
{
    memset(out, 0, sizeof *out);
    int per = games / 4 > 0 ? (games + 3) / 4 : 1;
    int n = per * 8; /* 2 modes x 2 opponents x 2 sides */
    eval_game *all = calloc((size_t)n, sizeof *all);
    bn_ttt_game *batch = malloc(sizeof *batch * (size_t)m->max_batch);
    bn_ttt_answer *ans = malloc(sizeof *ans * (size_t)m->max_batch);
    int *idx = malloc(sizeof(int) * (size_t)n);
    if (!all || !batch || !ans || !idx) {
        free(all), free(batch), free(ans), free(idx);
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for the tic-tac-toe evaluation");
    }
    out->games_per_match = per;
    for (int i = 0; i < n; i++) {
        eval_game *e = &all[i];
        int game = i % per, match = i / per;
        e->masked = match / 4;
        e->opp = (match / 2) % 2;
        e->side = match % 2;
        memset(e->g.start, '_', BN_TTT_CELLS);
        /* The same opponent RNG for game k of a match in both modes. */
        bn_rng_seed(&e->rng, EVAL_SEED + (uint64_t)(match % 4) * 1000003u + (uint64_t)game);
    }
    while (play_round(m, tok, s, all, n, batch, ans, idx, out) > 0)
        ;
    for (int i = 0; i < n; i++)
        tally(&all[i], out);
    check_results(m, tok, all, n, out);
    free(all), free(batch), free(ans), free(idx);
    return BN_OK;
}

/* Collect every position where someone can move, once each (DFS from the empty board). */
static void collect_positions(char b[BN_TTT_CELLS], unsigned char *seen, bn_ttt_game *out,
                              int *n)
{
    int idx = bn_ttt_board_index(b);
    if (seen[idx] || bn_ttt_result_of(b, NULL) != BN_TTT_ONGOING)
        return;
    seen[idx] = 1;
    memset(&out[*n], 0, sizeof out[*n]);
    memcpy(out[*n].start, b, BN_TTT_CELLS);
    (*n)++;
    char me = bn_ttt_to_move(b);
    for (int i = 0; i < BN_TTT_CELLS; i++) {
        if (b[i] != '_')
            continue;
        b[i] = me;
        collect_positions(b, seen, out, n);
        b[i] = '_';
    }
}

void bn_eval_ttt_positions(bn_model *m, const bn_tokenizer *tok, const bn_ttt_solver *s,
                           bn_ttt_position_eval *out)
{
    memset(out, 0, sizeof *out);
    unsigned char *seen = calloc(BN_TTT_POSITIONS, 1);
    bn_ttt_game *all = malloc(sizeof *all * BN_TTT_POSITIONS);
    bn_ttt_answer *ans = malloc(sizeof *ans * (size_t)m->max_batch);
    if (seen && all && ans) {
        char b[BN_TTT_CELLS];
        int n = 0;
        memset(b, '_', sizeof b);
        collect_positions(b, seen, all, &n);
        for (int history = 0; history < 2; history++) {
            if (history)
                for (int i = 0; i < n; i++) {
                    char start[BN_TTT_CELLS];
                    memcpy(start, all[i].start, sizeof start);
                    bn_ttt_game_from_position(start, &all[i]);
                }
            for (int first = 0; first < n; first += m->max_batch) {
                int k = n - first < m->max_batch ? n - first : m->max_batch;
                bn_ttt_model_answer(m, tok, all + first, k, ans);
                for (int j = 0; j < k; j++) {
                    char now[BN_TTT_CELLS];
                    bn_ttt_game_board(&all[first + j], now);
                    int moves[BN_TTT_CELLS], nb = bn_ttt_best_moves(s, now, moves), opt = 0;
                    for (int q = 0; q < nb; q++)
                        opt += moves[q] == ans[j].cell;
                    *(history ? &out->history_legal : &out->legal) += ans[j].legal;
                    *(history ? &out->history_optimal : &out->optimal) += opt;
                }
            }
        }
        out->positions = n;
    }
    free(seen), free(all), free(ans);
}

/* ---------------------------------------------------------------- reporting */

static double share(int part, int whole)
{
    return whole > 0 ? (double)part / whole : 0.0;
}

double bn_ttt_legal_rate(const bn_ttt_eval *e)
{
    return e->moves > 0 ? (double)e->legal / (double)e->moves : 0.0;
}

double bn_ttt_not_lost(const bn_ttt_eval *e, int masked, int opp, int side)
{
    const bn_ttt_tally *t = &e->play[masked][opp][side];
    return share(t->wins + t->draws, t->games);
}

double bn_ttt_draws(const bn_ttt_eval *e, int masked, int opp, int side)
{
    const bn_ttt_tally *t = &e->play[masked][opp][side];
    return share(t->draws, t->games);
}

double bn_ttt_result_rate(const bn_ttt_eval *e)
{
    return share(e->results_correct, e->results);
}

static json_t *tally_json(const bn_ttt_tally *t)
{
    return json_pack("{s:i, s:i, s:i, s:i, s:i, s:o}", "games", t->games, "wins", t->wins,
                     "draws", t->draws, "losses", t->losses, "forfeits", t->forfeits,
                     "not_lost", bn_json_number(share(t->wins + t->draws, t->games)));
}

json_t *bn_ttt_eval_json(const bn_ttt_eval *e)
{
    static const char *const mode[2] = {"unmasked", "masked"};
    static const char *const opp[2] = {"random", "perfect"};
    json_t *out = json_pack("{s:i, s:I, s:I, s:o, s:i, s:i, s:o}", "games_per_match",
                            e->games_per_match, "moves", (json_int_t)e->moves, "legal_moves",
                            (json_int_t)e->legal, "legal_rate",
                            bn_json_number(bn_ttt_legal_rate(e)), "results", e->results,
                            "results_correct", e->results_correct, "result_rate",
                            bn_json_number(bn_ttt_result_rate(e)));
    for (int mk = 0; out && mk < 2; mk++) {
        json_t *by_opp = json_object();
        for (int o = 0; o < 2; o++)
            json_object_set_new(by_opp, opp[o],
                                json_pack("{s:o, s:o}", "X", tally_json(&e->play[mk][o][0]),
                                          "O", tally_json(&e->play[mk][o][1])));
        json_object_set_new(out, mode[mk], by_opp);
    }
    return out;
}

int bn_ttt_eval_summary(const bn_ttt_eval *e, char *out, size_t cap)
{
    return snprintf(out, cap,
                    "legal %.1f%% | vs random, not lost: X %.1f%% O %.1f%% | vs perfect, "
                    "draws: X %.1f%% O %.1f%% | result text %.1f%% | masked: random X %.1f%% "
                    "O %.1f%%, perfect X %.1f%% O %.1f%%",
                    100 * bn_ttt_legal_rate(e), 100 * bn_ttt_not_lost(e, 0, 0, 0),
                    100 * bn_ttt_not_lost(e, 0, 0, 1), 100 * bn_ttt_draws(e, 0, 1, 0),
                    100 * bn_ttt_draws(e, 0, 1, 1), 100 * bn_ttt_result_rate(e),
                    100 * bn_ttt_not_lost(e, 1, 0, 0), 100 * bn_ttt_not_lost(e, 1, 0, 1),
                    100 * bn_ttt_draws(e, 1, 1, 0), 100 * bn_ttt_draws(e, 1, 1, 1));
}
