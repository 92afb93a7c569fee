/* ttt.c - tic-tac-toe rules, memoized minimax, players, game text. */
#include "task/ttt.h"

#include <stdio.h>
#include <string.h>

const int bn_ttt_lines[8][3] = {{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {0, 3, 6},
                                {1, 4, 7}, {2, 5, 8}, {0, 4, 8}, {2, 4, 6}};

#define UNKNOWN 127

bn_ttt_result bn_ttt_result_of(const char b[BN_TTT_CELLS], int *line)
{
    for (int l = 0; l < 8; l++) {
        char c = b[bn_ttt_lines[l][0]];
        if ((c == 'X' || c == 'O') && b[bn_ttt_lines[l][1]] == c && b[bn_ttt_lines[l][2]] == c) {
            if (line)
                *line = l;
            return c == 'X' ? BN_TTT_X_WINS : BN_TTT_O_WINS;
        }
    }
    if (line)
        *line = -1;
    for (int i = 0; i < BN_TTT_CELLS; i++)
        if (b[i] == '_')
            return BN_TTT_ONGOING;
    return BN_TTT_DRAW;
}

static void count_marks(const char b[BN_TTT_CELLS], int *x, int *o, int *bad)
{
    *x = *o = *bad = 0;
    for (int i = 0; i < BN_TTT_CELLS; i++) {
        *x += b[i] == 'X';
        *o += b[i] == 'O';
        *bad += b[i] != 'X' && b[i] != 'O' && b[i] != '_';
    }
}

char bn_ttt_to_move(const char b[BN_TTT_CELLS])
{
    int x, o, bad;
    count_marks(b, &x, &o, &bad);
    if (bad)
        return 0;
    return x == o ? 'X' : x == o + 1 ? 'O' : 0;
}

const char *bn_ttt_result_text(bn_ttt_result r)
{
    switch (r) {
    case BN_TTT_X_WINS: return "X wins";
    case BN_TTT_O_WINS: return "O wins";
    case BN_TTT_DRAW: return "draw";
    default: return "";
    }
}

/* Whether both players have a line (impossible in a real game). */
static int two_winners(const char b[BN_TTT_CELLS])
{
    int seen_x = 0, seen_o = 0;
    for (int l = 0; l < 8; l++) {
        char c = b[bn_ttt_lines[l][0]];
        if (c != '_' && b[bn_ttt_lines[l][1]] == c && b[bn_ttt_lines[l][2]] == c) {
            seen_x |= c == 'X';
            seen_o |= c == 'O';
        }
    }
    return seen_x && seen_o;
}

const char *bn_ttt_check_position(const char b[BN_TTT_CELLS])
{
    int x, o, bad;
    count_marks(b, &x, &o, &bad);
    if (bad)
        return "cells must be X, O or _";
    if (x != o && x != o + 1)
        return "impossible counts: X moves first, so X must equal O or O + 1";
    if (two_winners(b))
        return "impossible position: both X and O have a line";
    switch (bn_ttt_result_of(b, NULL)) {
    case BN_TTT_X_WINS: return "game already over: X wins";
    case BN_TTT_O_WINS: return "game already over: O wins";
    case BN_TTT_DRAW: return "game already over: draw";
    default: return NULL;
    }
}

int bn_ttt_empty_cells(const char b[BN_TTT_CELLS], int cells[BN_TTT_CELLS])
{
    int n = 0;
    for (int i = 0; i < BN_TTT_CELLS; i++)
        if (b[i] == '_')
            cells[n++] = i;
    return n;
}

/* ---------------------------------------------------------------- minimax */

int bn_ttt_board_index(const char b[BN_TTT_CELLS])
{
    int idx = 0;
    for (int i = 0; i < BN_TTT_CELLS; i++)
        idx = idx * 3 + (b[i] == 'X' ? 1 : b[i] == 'O' ? 2 : 0);
    return idx;
}

/* Value for the side to move (see bn_ttt_solver); fills the memo. */
static int solve(bn_ttt_solver *s, char b[BN_TTT_CELLS])
{
    int idx = bn_ttt_board_index(b);
    if (s->value[idx] != UNKNOWN)
        return s->value[idx];
    int cells[BN_TTT_CELLS], n = bn_ttt_empty_cells(b, cells), v;
    bn_ttt_result r = bn_ttt_result_of(b, NULL);
    if (r == BN_TTT_X_WINS || r == BN_TTT_O_WINS) {
        v = -(1 + n); /* the previous mover won with n cells left */
    } else if (r == BN_TTT_DRAW) {
        v = 0;
    } else {
        char me = bn_ttt_to_move(b);
        v = -100;
        for (int i = 0; i < n; i++) {
            b[cells[i]] = me;
            int child = -solve(s, b);
            b[cells[i]] = '_';
            if (child > v)
                v = child;
        }
    }
    s->value[idx] = (signed char)v;
    return v;
}

void bn_ttt_solver_init(bn_ttt_solver *s)
{
    memset(s->value, UNKNOWN, sizeof s->value);
    char b[BN_TTT_CELLS];
    memset(b, '_', sizeof b);
    solve(s, b);
    /* Positions random play cannot reach from the empty board do not exist: every legal
     * position is reached by some move order, so the memo now holds them all. */
}

int bn_ttt_value(const bn_ttt_solver *s, const char b[BN_TTT_CELLS])
{
    int v = s->value[bn_ttt_board_index(b)];
    return v == UNKNOWN ? 0 : v;
}

int bn_ttt_best_moves(const bn_ttt_solver *s, const char b[BN_TTT_CELLS],
                      int moves[BN_TTT_CELLS])
{
    int cells[BN_TTT_CELLS], n = bn_ttt_empty_cells(b, cells), best = -100, k = 0;
    char me = bn_ttt_to_move(b), c[BN_TTT_CELLS];
    memcpy(c, b, sizeof c);
    for (int i = 0; i < n; i++) {
        c[cells[i]] = me;
        int v = -bn_ttt_value(s, c);
        c[cells[i]] = '_';
        if (v > best) {
            best = v;
            k = 0;
        }
        if (v == best)
            moves[k++] = cells[i];
    }
    return k;
}

int bn_ttt_perfect_move(const bn_ttt_solver *s, const char b[BN_TTT_CELLS], bn_rng *rng)
{
    int moves[BN_TTT_CELLS], n = bn_ttt_best_moves(s, b, moves);
    if (n == 0)
        return -1;
    return rng ? moves[bn_rng_below(rng, (uint64_t)n)] : moves[0];
}

int bn_ttt_random_move(const char b[BN_TTT_CELLS], bn_rng *rng)
{
    int cells[BN_TTT_CELLS], n = bn_ttt_empty_cells(b, cells);
    return n ? cells[bn_rng_below(rng, (uint64_t)n)] : -1;
}

int bn_ttt_player_move(const bn_ttt_player *p, const bn_ttt_solver *s,
                       const char b[BN_TTT_CELLS], bn_rng *rng)
{
    if (p->kind == BN_TTT_PLAYER_RANDOM)
        return bn_ttt_random_move(b, rng);
    if (p->epsilon > 0 && bn_rng_uniform(rng) < p->epsilon)
        return bn_ttt_random_move(b, rng);
    return bn_ttt_perfect_move(s, b, rng);
}

/* ---------------------------------------------------------------- games */

void bn_ttt_game_board(const bn_ttt_game *g, char b[BN_TTT_CELLS])
{
    memcpy(b, g->start, BN_TTT_CELLS);
    for (int i = 0; i < g->n_moves; i++) {
        char me = bn_ttt_to_move(b);
        b[g->moves[i]] = me ? me : 'X';
    }
}

void bn_ttt_play(bn_ttt_game *g, const bn_ttt_player *x, const bn_ttt_player *o,
                 const bn_ttt_solver *s, bn_rng *rng)
{
    char b[BN_TTT_CELLS];
    bn_ttt_game_board(g, b);
    g->result = bn_ttt_result_of(b, NULL);
    while (g->result == BN_TTT_ONGOING && g->n_moves < BN_TTT_CELLS) {
        char me = bn_ttt_to_move(b);
        int cell = bn_ttt_player_move(me == 'X' ? x : o, s, b, rng);
        b[cell] = me;
        g->moves[g->n_moves++] = cell;
        g->result = bn_ttt_result_of(b, NULL);
    }
}

void bn_ttt_game_from_position(const char b[BN_TTT_CELLS], bn_ttt_game *g)
{
    int xs[BN_TTT_CELLS], os[BN_TTT_CELLS], nx = 0, no = 0;
    for (int i = 0; i < BN_TTT_CELLS; i++) {
        if (b[i] == 'X')
            xs[nx++] = i;
        else if (b[i] == 'O')
            os[no++] = i;
    }
    memset(g, 0, sizeof *g);
    memset(g->start, '_', BN_TTT_CELLS);
    for (int k = 0; k < nx || k < no; k++) {
        if (k < nx)
            g->moves[g->n_moves++] = xs[k];
        if (k < no)
            g->moves[g->n_moves++] = os[k];
    }
    char now[BN_TTT_CELLS];
    bn_ttt_game_board(g, now);
    g->result = bn_ttt_result_of(now, NULL);
}

int bn_ttt_format(const bn_ttt_game *g, int with_result, char *out, int cap)
{
    char text[BN_TTT_TEXT_MAX + 32], b[BN_TTT_CELLS];
    int n = 0;
    memcpy(b, g->start, sizeof b);
    for (int i = 0; i < BN_TTT_CELLS; i++) {
        text[n++] = b[i];
        text[n++] = i < BN_TTT_CELLS - 1 ? ' ' : '\0';
    }
    n--;
    for (int i = 0; i < g->n_moves; i++) {
        char me = bn_ttt_to_move(b);
        me = me ? me : 'X';
        b[g->moves[i]] = me;
        n += snprintf(text + n, sizeof text - (size_t)n, " | %c:%d", me, g->moves[i]);
    }
    if (with_result && g->result != BN_TTT_ONGOING)
        n += snprintf(text + n, sizeof text - (size_t)n, " | Result: %s",
                      bn_ttt_result_text(g->result));
    if (cap <= 0)
        return 0;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, text, (size_t)n);
    out[n] = '\0';
    return n;
}

static const char *skip_spaces(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

/* The 9 start cells: "X_O______" or "X _ O _ _ _ _ _ _". */
static const char *parse_start(const char **pp, char start[BN_TTT_CELLS])
{
    const char *p = *pp;
    int spaced = p[0] && p[1] == ' ';
    for (int i = 0; i < BN_TTT_CELLS; i++) {
        if (*p != 'X' && *p != 'O' && *p != '_')
            return "the position must start with 9 cells, each X, O or _ (e.g. X_O______)";
        start[i] = *p++;
        if (spaced && i < BN_TTT_CELLS - 1 && *p++ != ' ')
            return "the 9 cells must be separated by single spaces, or written together";
    }
    if (*p == 'X' || *p == 'O' || *p == '_')
        return "more than 9 cells";
    *pp = p;
    return NULL;
}

/* " Result: X wins" etc. after the '|'; checks it against the board. */
static const char *parse_result(const char *p, bn_ttt_game *g)
{
    if (strncmp(p, "Result:", 7) != 0)
        return "after '|' expected X:<cell>, O:<cell> or Result: ...";
    p = skip_spaces(p + 7);
    bn_ttt_result r = BN_TTT_ONGOING;
    for (int k = BN_TTT_X_WINS; k <= BN_TTT_DRAW; k++) {
        size_t len = strlen(bn_ttt_result_text((bn_ttt_result)k));
        if (strncmp(p, bn_ttt_result_text((bn_ttt_result)k), len) == 0) {
            r = (bn_ttt_result)k;
            p += len;
        }
    }
    if (r == BN_TTT_ONGOING || *skip_spaces(p))
        return "the result must be 'X wins', 'O wins' or 'draw', at the end";
    if (r != g->result)
        return "the result does not match the board";
    return NULL;
}

const char *bn_ttt_parse(const char *text, bn_ttt_game *g)
{
    memset(g, 0, sizeof *g);
    const char *p = skip_spaces(text);
    const char *why = parse_start(&p, g->start);
    if (why)
        return why;
    if (!bn_ttt_to_move(g->start))
        return "impossible counts: X moves first, so X must equal O or O + 1";
    if (two_winners(g->start))
        return "impossible position: both X and O have a line";
    char b[BN_TTT_CELLS];
    memcpy(b, g->start, sizeof b);
    g->result = bn_ttt_result_of(b, NULL);
    for (;;) {
        p = skip_spaces(p);
        if (!*p)
            return NULL;
        if (*p != '|')
            return "expected ' | ' between moves";
        p = skip_spaces(p + 1);
        if (*p == 'R')
            return parse_result(p, g);
        if (g->result != BN_TTT_ONGOING)
            return "a move after the end of the game";
        char me = bn_ttt_to_move(b);
        if ((*p != 'X' && *p != 'O') || p[1] != ':' || p[2] < '0' || p[2] > '9')
            return "a move must read X:<cell> or O:<cell>, cell 0-8";
        if (*p != me)
            return me == 'X' ? "wrong side: it is X's turn" : "wrong side: it is O's turn";
        int cell = p[2] - '0';
        if (cell > 8)
            return "cell 9 does not exist (cells are 0-8)";
        if (b[cell] != '_')
            return "a move onto an occupied cell";
        b[cell] = me;
        g->moves[g->n_moves++] = cell;
        g->result = bn_ttt_result_of(b, NULL);
        p += 3;
    }
}
