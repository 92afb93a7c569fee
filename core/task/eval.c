/* eval.c - arithmetic exact match and text loss. */
#include "task/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/generate.h"

const char bn_eval_ops[5] = "+-*/";

int bn_eval_op_index(char op)
{
    const char *p = strchr(bn_eval_ops, op);
    return op && p ? (int)(p - bn_eval_ops) : -1;
}

#define ANSWER_MAX 8 /* "-99" .. "9999800" fits; plus the closing space */

/* Score one decoded row against its problem; keep it as an example if there is room. */
static void score_row(bn_arith_eval *out, const bn_arith_problem *p, const bn_tokenizer *tok,
                      const int *row, int prompt_len, int len)
{
    char completion[BN_ARITH_TEXT_MAX];
    size_t n = bn_tok_decode(tok, row + prompt_len, (size_t)(len - prompt_len), completion,
                               sizeof completion);
    while (n > 0 && completion[n - 1] == ' ')
        completion[--n] = '\0';
    char expected[BN_ARITH_TEXT_MAX];
    snprintf(expected, sizeof expected, "%ld", p->answer);
    int ok = strcmp(completion, expected) == 0;
    int k = bn_eval_op_index(p->op);
    out->total++;
    out->correct += ok;
    if (k >= 0) {
        out->op_total[k]++;
        out->op_correct[k] += ok;
    }
    if (out->n_examples < BN_EVAL_EXAMPLES) {
        bn_arith_example *e = &out->examples[out->n_examples++];
        bn_arith_format(p, 1, e->prompt, sizeof e->prompt);
        snprintf(e->completion, sizeof e->completion, "%s", completion);
        snprintf(e->expected, sizeof e->expected, "%s", expected);
        e->correct = ok;
    }
}

/* The text of row r: `shots` solved training problems, then the prompt "a op b = ".
 * Shots are dropped while the row would not leave ANSWER_MAX tokens of room. */
static int build_row(const bn_arith_spec *spec, const bn_arith_problem *p, int shots,
                     bn_rng *rng, int room, char *text, int cap)
{
    char prompt[BN_ARITH_TEXT_MAX + 1];
    int plen = bn_arith_format(p, 1, prompt, sizeof prompt - 1);
    prompt[plen++] = ' ';
    prompt[plen] = '\0';
    int len = 0;
    for (int i = 0; i < shots; i++) {
        bn_arith_problem solved;
        bn_arith_draw(spec, rng, 0, &solved);
        char shot[BN_ARITH_TEXT_MAX];
        int n = bn_arith_format(&solved, 0, shot, sizeof shot);
        if (len + n + 1 + plen + ANSWER_MAX > room || len + n + 1 + plen >= cap)
            break;
        memcpy(text + len, shot, (size_t)n);
        len += n;
        text[len++] = ' ';
    }
    memcpy(text + len, prompt, (size_t)plen + 1);
    return len + plen;
}

/* Decode `rows` problems in one batch. */
static void eval_chunk(bn_model *m, const bn_arith_spec *spec, const bn_tokenizer *tok,
                       const bn_arith_problem *problems, int rows, int shots, bn_rng *rng,
                       bn_gen_batch *batch, int *prompt_len, bn_arith_eval *out)
{
    int room = batch->cap < m->max_seq ? batch->cap : m->max_seq;
    for (int r = 0; r < rows; r++) {
        char text[BN_ARITH_TEXT_MAX * (BN_EVAL_MAX_SHOTS + 1) + 1];
        int len = build_row(spec, &problems[r], shots, rng, room, text, (int)sizeof text);
        size_t ids = bn_tok_encode(tok, text, (size_t)len,
                                   batch->tokens + (size_t)r * batch->cap, (size_t)batch->cap);
        prompt_len[r] = ids < (size_t)batch->cap ? (int)ids : batch->cap;
        batch->len[r] = prompt_len[r];
    }
    batch->rows = rows;
    int stop[2] = {0, bn_tok_special(tok, BN_TOK_EOS)};
    bn_tok_encode(tok, " ", 1, &stop[0], 1); /* the space that ends an answer */
    bn_generate_greedy(m, batch, ANSWER_MAX, stop, 2, bn_tok_special(tok, BN_TOK_PAD));
    for (int r = 0; r < rows; r++)
        score_row(out, &problems[r], tok, batch->tokens + (size_t)r * batch->cap, prompt_len[r],
                  batch->len[r]);
}

bn_status bn_eval_arithmetic(bn_model *m, const bn_arith_spec *spec, const bn_tokenizer *tok, int n,
                             int shots, bn_arith_eval *out, bn_error *err)
{
    memset(out, 0, sizeof *out);
    if (shots < 0 || shots > BN_EVAL_MAX_SHOTS)
        return bn_fail(err, BN_ERR_INPUT, "shots %d: must be between 0 and %d", shots,
                       BN_EVAL_MAX_SHOTS);
    int rows = m->max_batch, cap = BN_ARITH_TEXT_MAX * (shots + 1) + ANSWER_MAX;
    bn_arith_problem *problems = malloc(sizeof *problems * (size_t)(n > 0 ? n : 1));
    int *tokens = malloc(sizeof(int) * (size_t)rows * cap);
    int *len = malloc(sizeof(int) * (size_t)rows);
    int *prompt_len = malloc(sizeof(int) * (size_t)rows);
    if (!problems || !tokens || !len || !prompt_len) {
        free(problems), free(tokens), free(len), free(prompt_len);
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for evaluation");
    }
    bn_arith_eval_set(spec, problems, n);
    bn_rng shot_rng; /* a fixed draw of solved examples, the same for every checkpoint */
    bn_rng_seed(&shot_rng, 0x5407u);
    bn_gen_batch batch = {.tokens = tokens, .len = len, .rows = rows, .cap = cap};
    for (int first = 0; first < n; first += rows) {
        int chunk = n - first < rows ? n - first : rows;
        eval_chunk(m, spec, tok, problems + first, chunk, shots, &shot_rng, &batch, prompt_len,
                   out);
    }
    free(problems), free(tokens), free(len), free(prompt_len);
    return BN_OK;
}
