/* test_eval_decoder.c - the evaluations on the KV-cache decoder choose what the batched
 * forward chose (README, "Inference"), on small random models:
 *   greedy answers (bn_greedy_row, the arithmetic exact match and the tic-tac-toe result
 *   text) against bn_generate_greedy over right-padded batches of 8 rows, 240 prompts with
 *   0-3 solved problems before them;
 *   tic-tac-toe answers (bn_ttt_model_answer: moves, `move`, `play`, the board pane, the
 *   evaluation's games) against the batched forward of 8 padded rows, 300 positions.
 * A prefilled prompt's logits are bit for bit the forward's on that one row, so the first
 * token of every answer and every move's probabilities must be identical to the forward of
 * the row alone. After the first token, a step's logits are the forward's within rounding
 * (and a padded batch's row is, too: the forward sums attention over a length-dependent
 * block), so a choice may differ only where the two candidates are within 1e-2 of the
 * largest logit (a near tie, counted and printed, at most 2% of the choices); anywhere
 * else a difference fails. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels/kernels.h"
#include "model/decoder.h"
#include "model/generate.h"
#include "task/data_arith.h"
#include "task/eval_ttt.h"
#include "tok/tokenizer.h"

#define ROWS 8
#define TIE 1e-2

static int choices, near_ties;

static void random_model(bn_model *m, int V, int S, unsigned seed)
{
    bn_model_config c;
    memset(&c, 0, sizeof c);
    c.vocab_size = V;
    c.hidden_size = 32;
    c.num_layers = 2;
    c.num_heads = 4;
    c.num_kv_heads = 2;
    c.ffn_size = 64;
    c.max_seq_len = S;
    c.rope_theta = 10000.0;
    c.norm_eps = 1e-5;
    c.embedding_init_std = 0.4; /* answers that vary */
    bn_error err = {0};
    CHECK(bn_model_init(m, &c, ROWS, S, bn_kernels_find(NULL, NULL), 1, &err) == BN_OK, "%s",
          err.msg);
    bn_rng rng;
    bn_rng_seed(&rng, seed);
    bn_model_init_weights(m, &rng);
}

/* The forward of tokens[0..len) as one row: its last position's logits. */
static const float *row_logits(bn_model *m, const int *tokens, int len)
{
    bn_model_forward(m, tokens, 1, len);
    return m->logits + (size_t)(len - 1) * m->cfg.vocab_size;
}

static double largest(const float *z, int n)
{
    double mx = 0.0;
    for (int i = 0; i < n; i++)
        mx = fabs((double)z[i]) > mx ? fabs((double)z[i]) : mx;
    return mx;
}

/* Choices a and b differ: a near tie in z, or a failure. */
static void differ(const float *z, int V, int a, int b, const char *what, int row)
{
    double gap = fabs((double)z[a] - (double)z[b]) / largest(z, V);
    near_ties += gap < TIE;
    CHECK(gap < TIE, "%s %d: the decoder chose %d, the batched forward %d, %.3g apart", what,
          row, b, a, gap);
}

/* "a op b = c " shots then "x op y = ": its ids in out (room for cap), their count. */
static int arith_prompt(const bn_tokenizer *tok, bn_rng *rng, int *out, int cap)
{
    bn_arith_spec spec = {.max_operand = 99, .operators = "+-*/", .holdout_percent = 10};
    char text[256] = "", one[BN_ARITH_TEXT_MAX];
    int shots = (int)(bn_rng_next(rng) % 4);
    for (int i = 0; i <= shots; i++) {
        bn_arith_problem p;
        bn_arith_draw(&spec, rng, i == shots, &p);
        bn_arith_format(&p, i == shots, one, sizeof one);
        strcat(text, one);
        strcat(text, " ");
    }
    return (int)bn_tok_encode_bytes(tok, text, strlen(text), out, (size_t)cap);
}

/* Old (the batch) and new (the decoder) rows of one prompt: the first new token must be the
 * row's forward's argmax; where they part, the forward of the common prefix says how close
 * the two choices were. */
static void compare_rows(bn_model *m, const int *old, int old_len, const int *new_, int new_len,
                         int plen, int row)
{
    int V = m->cfg.vocab_size;
    CHECK(new_len <= plen || new_[plen] == bn_argmax(row_logits(m, new_, plen), V),
          "row %d: the first token is the forward's", row);
    for (int t = plen; t < old_len && t < new_len; t++) {
        choices++;
        if (old[t] != new_[t]) {
            differ(row_logits(m, old, t), V, old[t], new_[t], "greedy row", row);
            return;
        }
    }
    CHECK(old_len == new_len, "row %d: %d tokens, the batched forward %d", row, new_len,
          old_len);
}

static void check_greedy(void)
{
    enum { S = 64, N = 240, MAX_NEW = 8 };
    bn_error err = {0};
    bn_tokenizer *tok = NULL;
    CHECK(bn_tok_char(&tok, "arithmetic", &err) == BN_OK, "%s", err.msg);
    bn_model m;
    random_model(&m, bn_tok_vocab_size(tok), S, 23);
    bn_decoder d;
    CHECK(bn_decoder_init(&d, &m, S, &err) == BN_OK, "%s", err.msg);
    int stop[2] = {0, bn_tok_special(tok, BN_TOK_EOS)}, pad = bn_tok_special(tok, BN_TOK_PAD);
    bn_tok_encode_bytes(tok, " ", 1, &stop[0], 1);
    bn_rng rng;
    bn_rng_seed(&rng, 5);
    static int batch[ROWS * S], plen[ROWS], len[ROWS], row[S];
    for (int first = 0; first < N; first += ROWS) {
        for (int r = 0; r < ROWS; r++)
            plen[r] = len[r] = arith_prompt(tok, &rng, batch + r * S, S - MAX_NEW);
        bn_gen_batch b = {.tokens = batch, .len = len, .rows = ROWS, .cap = S};
        bn_generate_greedy(&m, &b, MAX_NEW, stop, 2, pad, NULL);
        for (int r = 0; r < ROWS; r++) {
            memcpy(row, batch + r * S, sizeof(int) * (size_t)plen[r]);
            int n = bn_greedy_row(&d, row, plen[r], S, MAX_NEW, stop, 2, &err);
            CHECK(n > plen[r], "row %d: %s", first + r, n < 0 ? err.msg : "nothing generated");
            compare_rows(&m, batch + r * S, len[r], row, n, plen[r], first + r);
        }
    }
    CHECK(bn_greedy_row(&d, row, 0, S, MAX_NEW, stop, 2, &err) == -1, "an empty prompt");
    row[0] = 1;
    CHECK(bn_greedy_row(&d, row, S, S, MAX_NEW, stop, 2, &err) == S, "a full row: nothing");
    bn_decoder_free(&d);
    bn_model_free(&m);
    bn_tok_free(tok);
}

/* A position after a few random moves, the game not over. */
static void random_position(bn_rng *rng, bn_ttt_game *g)
{
    memset(g, 0, sizeof *g);
    memset(g->start, '_', BN_TTT_CELLS);
    int want = (int)(bn_rng_next(rng) % 8);
    for (int i = 0; i < want; i++) {
        char b[BN_TTT_CELLS];
        bn_ttt_game_board(g, b);
        int cell = bn_ttt_random_move(b, rng);
        b[cell] = bn_ttt_to_move(b);
        if (bn_ttt_result_of(b, NULL) != BN_TTT_ONGOING)
            break;
        g->moves[g->n_moves++] = cell;
    }
}

/* The batched forward's answers to n <= ROWS positions (the old bn_ttt_model_answer). */
static void batched_answers(bn_model *m, const bn_tokenizer *tok, const bn_ttt_game *g, int n,
                            bn_ttt_answer *out)
{
    static int ids[ROWS][128], flat[ROWS * 128], len[ROWS];
    int T = 0, V = m->cfg.vocab_size;
    for (int r = 0; r < n; r++) {
        len[r] = bn_ttt_prompt_ids(tok, &g[r], m->max_seq, ids[r]);
        T = len[r] > T ? len[r] : T;
    }
    for (int r = 0; r < n; r++)
        for (int t = 0; t < T; t++)
            flat[r * T + t] = t < len[r] ? ids[r][t] : bn_tok_special(tok, BN_TOK_PAD);
    bn_model_forward(m, flat, n, T);
    for (int r = 0; r < n; r++) {
        char b[BN_TTT_CELLS];
        bn_ttt_game_board(&g[r], b);
        bn_ttt_answer_from_logits(m->logits + ((size_t)r * T + len[r] - 1) * V, V, tok, b,
                                  &out[r]);
        out[r].player = bn_ttt_to_move(b);
    }
}

/* The decoder's answer against the forward of the row alone (bit for bit) and the batch's. */
static void compare_answer(bn_model *m, const bn_tokenizer *tok, const bn_ttt_game *g,
                           const bn_ttt_answer *got, const bn_ttt_answer *batched, int i)
{
    int ids[128], V = m->cfg.vocab_size, digit[10];
    int len = bn_ttt_prompt_ids(tok, g, m->max_seq, ids);
    const float *z = row_logits(m, ids, len);
    char b[BN_TTT_CELLS];
    bn_ttt_game_board(g, b);
    bn_ttt_answer alone;
    bn_ttt_answer_from_logits(z, V, tok, b, &alone);
    alone.player = bn_ttt_to_move(b);
    CHECK(alone.player == got->player && alone.cell == got->cell &&
              alone.top_digit == got->top_digit && alone.legal == got->legal &&
              memcmp(alone.probs, got->probs, sizeof alone.probs) == 0,
          "position %d: not the row's forward", i);
    for (int k = 0; k < 10; k++)
        bn_tok_encode_bytes(tok, &"0123456789"[k], 1, &digit[k], 1);
    choices += 2;
    if (got->top_digit != batched->top_digit)
        differ(z, V, digit[batched->top_digit], digit[got->top_digit], "top digit", i);
    if (got->cell != batched->cell)
        differ(z, V, digit[batched->cell], digit[got->cell], "masked move", i);
}

static void check_ttt(void)
{
    enum { S = 128, N = 296 };
    bn_error err = {0};
    bn_tokenizer *tok = NULL;
    CHECK(bn_tok_char(&tok, "tictactoe", &err) == BN_OK, "%s", err.msg);
    bn_model m;
    random_model(&m, bn_tok_vocab_size(tok), S, 31);
    static bn_ttt_game g[N];
    static bn_ttt_answer got[N], batched[N];
    bn_rng rng;
    bn_rng_seed(&rng, 9);
    for (int i = 0; i < N; i++)
        random_position(&rng, &g[i]);
    bn_ttt_model_answer(&m, tok, g, N, got, NULL);
    for (int first = 0; first < N; first += ROWS)
        batched_answers(&m, tok, g + first, ROWS, batched + first);
    for (int i = 0; i < N; i++)
        compare_answer(&m, tok, &g[i], &got[i], &batched[i], i);
    bn_model_free(&m);
    bn_tok_free(tok);
}

int main(void)
{
    check_greedy();
    check_ttt();
    CHECK(near_ties * 50 <= choices, "%d near ties in %d choices", near_ties, choices);
    printf("%d choices, %d near ties (the decoder and the batched forward chose differently "
           "where the two were within %g of the largest logit)\n", choices, near_ties, TIE);
    return check_exit("test_eval_decoder");
}
