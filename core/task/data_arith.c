/* data_arith.c - the synthetic arithmetic task: problems, the held-out split, the training
 * stream and the evaluation set. */
#include "task/data_arith.h"

#include <stdio.h>
#include <string.h>

/* The evaluation set's RNG seed: a constant, so it never depends on the training seed. */
#define EVAL_SEED 0x4172697468457661ULL /* "AriThEva" */

/* Random draws before draw() falls back to scanning every triple (only reached when the
 * requested side of the split is tiny or empty). */
#define DRAW_ATTEMPTS (1 << 16)

/* splitmix64's finalizer: a fixed, well-mixed 64-bit hash. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Number of operator characters in spec->operators (which need not be NUL-terminated). */
static int op_count(const bn_arith_spec *spec)
{
    int n = 0;
    while (n < (int)sizeof(spec->operators) && spec->operators[n] != 0)
        n++;
    return n;
}

/* The operator with index i, with "+" standing in for an empty operator set. */
static char op_at(const bn_arith_spec *spec, int i)
{
    return op_count(spec) > 0 ? spec->operators[i] : '+';
}

static int op_total(const bn_arith_spec *spec)
{
    int n = op_count(spec);
    return n > 0 ? n : 1;
}

/* max_operand, at least 1 so b in 1..max is never empty. */
static int max_operand(const bn_arith_spec *spec)
{
    return spec->max_operand >= 1 ? spec->max_operand : 1;
}

int bn_arith_is_heldout(const bn_arith_spec *spec, const bn_arith_problem *p)
{
    /* Chain the three fields through the mixer so no field can shadow another. */
    uint64_t h = mix64((uint64_t)(uint32_t)p->a + 0x9e3779b97f4a7c15ULL);
    h = mix64(h ^ (uint64_t)(unsigned char)p->op);
    h = mix64(h ^ (uint64_t)(uint32_t)p->b);
    return (int)(h % 100) < spec->holdout_percent;
}

/* Floor division (rounds toward minus infinity, unlike C's truncation). */
static long floor_div(long a, long b)
{
    long q = a / b;
    if (a % b != 0 && (a < 0) != (b < 0))
        q--;
    return q;
}

void bn_arith_solve(bn_arith_problem *p)
{
    long a = p->a, b = p->b;

    switch (p->op) {
    case '+': p->answer = a + b; break;
    case '-': p->answer = a - b; break;
    case '*': p->answer = a * b; break;
    case '/': p->answer = b != 0 ? floor_div(a, b) : 0; break;
    default: p->answer = 0; break;
    }
}

int bn_arith_format(const bn_arith_problem *p, int prompt_only, char *out, int cap)
{
    int n;

    if (cap <= 0)
        return 0;
    if (prompt_only)
        n = snprintf(out, (size_t)cap, "%d %c %d =", p->a, p->op, p->b);
    else
        n = snprintf(out, (size_t)cap, "%d %c %d = %ld", p->a, p->op, p->b, p->answer);
    if (n < 0)
        n = 0;
    return n < cap ? n : cap - 1; /* what was written when truncated */
}

/* One uniform random triple, solved. */
static void draw_any(const bn_arith_spec *spec, bn_rng *rng, bn_arith_problem *p)
{
    int max = max_operand(spec);

    p->a = (int)bn_rng_below(rng, (uint64_t)max + 1);
    p->b = 1 + (int)bn_rng_below(rng, (uint64_t)max);
    p->op = op_at(spec, (int)bn_rng_below(rng, (uint64_t)op_total(spec)));
    bn_arith_solve(p);
}

/* The triple with index idx in [0, ops * (max+1) * max), solved. */
static void triple_at(const bn_arith_spec *spec, uint64_t idx, bn_arith_problem *p)
{
    uint64_t ops = (uint64_t)op_total(spec), max = (uint64_t)max_operand(spec);

    p->op = op_at(spec, (int)(idx % ops));
    idx /= ops;
    p->b = 1 + (int)(idx % max);
    p->a = (int)(idx / max);
    bn_arith_solve(p);
}

/* Fallback when rejection sampling keeps missing: the first matching triple from a random
 * start. Returns 0 when the requested side of the split is empty. */
static int scan_for(const bn_arith_spec *spec, bn_rng *rng, int held_out, bn_arith_problem *p)
{
    uint64_t max = (uint64_t)max_operand(spec);
    uint64_t total = (uint64_t)op_total(spec) * (max + 1) * max;
    uint64_t start = bn_rng_below(rng, total);

    for (uint64_t i = 0; i < total; i++) {
        triple_at(spec, (start + i) % total, p);
        if (bn_arith_is_heldout(spec, p) == held_out)
            return 1;
    }
    return 0;
}

void bn_arith_draw(const bn_arith_spec *spec, bn_rng *rng, int held_out, bn_arith_problem *p)
{
    held_out = held_out != 0;
    for (int i = 0; i < DRAW_ATTEMPTS; i++) {
        draw_any(spec, rng, p);
        if (bn_arith_is_heldout(spec, p) == held_out)
            return;
    }
    /* An empty side (e.g. holdout_percent 0 asked for held-out) leaves a wrong-side
     * problem in *p; config validation is expected to rule such specs out. */
    if (!scan_for(spec, rng, held_out, p))
        draw_any(spec, rng, p);
}

void bn_arith_stream_init(bn_arith_stream *s, uint64_t seed)
{
    memset(s, 0, sizeof(*s));
    bn_rng_seed(&s->rng, seed);
}

/* Replace the pending text with the next training problem and its trailing space. */
static void stream_refill(const bn_arith_spec *spec, bn_arith_stream *s)
{
    bn_arith_problem p;
    int len;

    bn_arith_draw(spec, &s->rng, 0, &p);
    len = bn_arith_format(&p, 0, s->pending, BN_ARITH_TEXT_MAX);
    s->pending[len] = ' '; /* len <= BN_ARITH_TEXT_MAX - 1, so this fits */
    s->pending_len = len + 1;
    s->pending_pos = 0;
}

/* The next character of the stream. */
static char stream_next_char(const bn_arith_spec *spec, bn_arith_stream *s)
{
    /* Out-of-range positions (e.g. a damaged restored state) count as an empty tail. */
    if (s->pending_pos < 0 || s->pending_len > BN_ARITH_TEXT_MAX ||
        s->pending_pos >= s->pending_len)
        stream_refill(spec, s);
    return s->pending[s->pending_pos++];
}

void bn_arith_stream_fill(const bn_arith_spec *spec, const bn_tokenizer *tok, bn_arith_stream *s,
                          int *tokens, int rows, int seq_len)
{
    for (int r = 0; r < rows; r++) {
        for (int t = 0; t < seq_len; t++) {
            char c = stream_next_char(spec, s);
            bn_tok_encode_bytes(tok, &c, 1, &tokens[(long)r * seq_len + t], 1);
        }
        /* Drop the rest of the problem the row ends in: every row starts at a problem, so a
         * prompt at the start of a row (as in eval and chat) is what training showed. */
        s->pending_pos = s->pending_len;
    }
}

void bn_arith_eval_set(const bn_arith_spec *spec, bn_arith_problem *out, int n)
{
    bn_rng rng;

    bn_rng_seed(&rng, EVAL_SEED);
    for (int i = 0; i < n; i++)
        bn_arith_draw(spec, &rng, 1, &out[i]);
}
