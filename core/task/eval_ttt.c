/* eval_ttt.c - tic-tac-toe play evaluation: batched games against random and perfect
 * opponents, masked and unmasked, and the Result text at each game's end. */
#include "task/eval_ttt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/jsonio.h"
#include "model/decoder.h"
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
    return (int)bn_tok_encode_bytes(tok, text + start, (size_t)(n - start), ids,
                                    (size_t)max_seq);
}

void bn_ttt_answer_from_logits(const float *z, int V, const bn_tokenizer *tok,
                               const char b[BN_TTT_CELLS], bn_ttt_answer *a)
{
    float mx = z[0];
    for (int i = 1; i < V; i++)
        mx = z[i] > mx ? z[i] : mx;
    double sum = 0.0;
    for (int i = 0; i < V; i++)
        sum += exp((double)(z[i] - mx));
    int digit[10];
    for (int d = 0; d < 10; d++)
        bn_tok_encode_bytes(tok, &"0123456789"[d], 1, &digit[d], 1);
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

int bn_ttt_prompt_ids(const bn_tokenizer *tok, const bn_ttt_game *g, int max_seq, int *ids)
{
    char b[BN_TTT_CELLS];
    bn_ttt_game_board(g, b);
    return encode_prompt(tok, g, bn_ttt_to_move(b), max_seq, ids);
}

/* The decoder's context for the model's answers: the rows its forward held. */
static int answer_seq(const bn_model *m)
{
    return m->max_seq < m->cfg.max_seq_len ? m->max_seq : m->cfg.max_seq_len;
}

void bn_ttt_decoder_answer(bn_decoder *d, const bn_tokenizer *tok, const bn_ttt_game *games,
                           int n, bn_ttt_answer *out, int *ids)
{
    int V = d->m->cfg.vocab_size;
    for (int r = 0; r < n; r++) {
        char b[BN_TTT_CELLS];
        bn_ttt_game_board(&games[r], b);
        int len = bn_ttt_prompt_ids(tok, &games[r], d->max_seq, ids);
        bn_decoder_reset(d);
        /* feed, not prefill: every row's logits in one product, as the forward's */
        if (len < 1 || bn_decoder_feed(d, ids, len, NULL) != BN_OK) {
            memset(&out[r], 0, sizeof out[r]); /* cannot happen: ids of the model's tokenizer */
            continue;
        }
        bn_ttt_answer_from_logits(bn_decoder_logits(d, len - 1), V, tok, b, &out[r]);
        out[r].player = bn_ttt_to_move(b);
    }
}

bn_status bn_ttt_model_answer(bn_model *m, const bn_tokenizer *tok, const bn_ttt_game *games,
                              int n, bn_ttt_answer *out, bn_error *err)
{
    if (n <= 0)
        return BN_OK;
    bn_decoder d;
    size_t bytes = sizeof(int) * (size_t)answer_seq(m);
    int *ids = malloc(bytes);
    bn_status s = ids ? bn_decoder_init(&d, m, answer_seq(m), err)
                      : bn_nomem(err, "a tic-tac-toe answer's prompt", bytes);
    if (s == BN_OK) {
        bn_ttt_decoder_answer(&d, tok, games, n, out, ids);
        bn_decoder_free(&d);
    } else {
        memset(out, 0, sizeof *out * (size_t)n);
    }
    free(ids);
    return s;
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

/* The model's side of an evaluation: a decoder over its weights, built once, and a row of
 * prompt ids. */
typedef struct {
    bn_decoder d;
    int *ids;
    const bn_tokenizer *tok;
} answerer;

static bn_status answerer_init(answerer *a, bn_model *m, const bn_tokenizer *tok,
                               bn_error *err)
{
    memset(a, 0, sizeof *a);
    a->tok = tok;
    a->ids = malloc(sizeof(int) * (size_t)answer_seq(m));
    if (!a->ids)
        return bn_nomem(err, "a tic-tac-toe answer's prompt", sizeof(int) * (size_t)answer_seq(m));
    bn_status s = bn_decoder_init(&a->d, m, answer_seq(m), err);
    if (s != BN_OK)
        free(a->ids);
    return s;
}

static void answerer_free(answerer *a)
{
    bn_decoder_free(&a->d);
    free(a->ids);
}

/* One round: in every game the opponent moves while it is its turn, then the model answers
 * (each game has its own opponent RNG, so the order of the games changes nothing). */
static int play_round(answerer *an, const bn_ttt_solver *s, eval_game *games, int n,
                      bn_ttt_eval *out)
{
    int waiting = 0;
    for (int i = 0; i < n; i++) {
        opponent_moves(&games[i], s);
        if (games[i].over)
            continue;
        bn_ttt_answer a;
        bn_ttt_decoder_answer(&an->d, an->tok, &games[i].g, 1, &a, an->ids);
        apply_answer(&games[i], &a, out);
        waiting++;
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

/* Score what the model wrote after an ended game (got) against " | Result: ...". */
static void score_result(eval_game *e, char *got, bn_ttt_eval *out)
{
    char want[64];
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

/* Greedy continuation after each ended unmasked game; compare with " | Result: ...". */
static bn_status check_results(answerer *an, eval_game *games, int n, bn_ttt_eval *out,
                               bn_error *err)
{
    int cap = an->d.max_seq;
    for (int i = 0; i < n; i++) {
        eval_game *e = &games[i];
        if (e->masked || e->forfeit)
            continue;
        char text[BN_TTT_TEXT_MAX], got[BN_TTT_TEXT_MAX];
        int tl = bn_ttt_format(&e->g, 0, text, sizeof text);
        int start = tl > cap - RESULT_MAX_NEW ? tl - (cap - RESULT_MAX_NEW) : 0;
        if (start < 0 || start > tl)
            start = 0;
        int plen = (int)bn_tok_encode_bytes(an->tok, text + start, (size_t)(tl - start),
                                            an->ids, (size_t)cap);
        int len = bn_greedy_row(&an->d, an->ids, plen, cap, RESULT_MAX_NEW, NULL, 0, err);
        if (len < 0)
            return BN_ERR_INPUT;
        bn_tok_decode(an->tok, an->ids + plen, (size_t)(len - plen), got, sizeof got);
        score_result(e, got, out);
    }
    for (int i = 0; i < BN_TTT_EVAL_EXAMPLES; i++)
        if (out->examples[i][0])
            out->n_examples = i + 1;
    return BN_OK;
}

bn_status bn_eval_tictactoe(bn_model *m, const bn_tokenizer *tok, const bn_ttt_solver *s, int games,
                            bn_ttt_eval *out, bn_error *err)
{
    memset(out, 0, sizeof *out);
    int per = games / 4 > 0 ? (games + 3) / 4 : 1;
    int n = per * 8; /* 2 modes x 2 opponents x 2 sides */
    answerer an;
    bn_status st = answerer_init(&an, m, tok, err);
    if (st != BN_OK)
        return st;
    eval_game *all = calloc((size_t)n, sizeof *all);
    if (!all) {
        answerer_free(&an);
        return bn_nomem(err, "the tic-tac-toe evaluation's games", (size_t)n * sizeof *all);
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
    while (play_round(&an, s, all, n, out) > 0)
        ;
    for (int i = 0; i < n; i++)
        tally(&all[i], out);
    st = check_results(&an, all, n, out, err);
    free(all);
    answerer_free(&an);
    return st;
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

/* Score the model's answer in position g (as the start board or as a game). */
static void score_position(answerer *an, const bn_ttt_solver *s, const bn_ttt_game *g,
                           int history, bn_ttt_position_eval *out)
{
    bn_ttt_answer a;
    bn_ttt_decoder_answer(&an->d, an->tok, g, 1, &a, an->ids);
    char now[BN_TTT_CELLS];
    bn_ttt_game_board(g, now);
    int moves[BN_TTT_CELLS], nb = bn_ttt_best_moves(s, now, moves), opt = 0;
    for (int q = 0; q < nb; q++)
        opt += moves[q] == a.cell;
    *(history ? &out->history_legal : &out->legal) += a.legal;
    *(history ? &out->history_optimal : &out->optimal) += opt;
}

bn_status bn_eval_ttt_positions(bn_model *m, const bn_tokenizer *tok, const bn_ttt_solver *s,
                                bn_ttt_position_eval *out, bn_error *err)
{
    memset(out, 0, sizeof *out);
    unsigned char *seen = calloc(BN_TTT_POSITIONS, 1);
    bn_ttt_game *all = malloc(sizeof *all * BN_TTT_POSITIONS);
    answerer an;
    bn_status st = seen && all ? answerer_init(&an, m, tok, err)
                               : bn_nomem(err, "the tic-tac-toe positions",
                                          (sizeof *all + 1) * BN_TTT_POSITIONS);
    if (st == BN_OK) {
        char b[BN_TTT_CELLS];
        int n = 0;
        memset(b, '_', sizeof b);
        collect_positions(b, seen, all, &n);
        for (int history = 0; history < 2; history++)
            for (int i = 0; i < n; i++) {
                bn_ttt_game g = all[i];
                if (history)
                    bn_ttt_game_from_position(all[i].start, &g);
                score_position(&an, s, &g, history, out);
            }
        out->positions = n;
        answerer_free(&an);
    }
    free(seen), free(all);
    return st;
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
