/* eval.c - arithmetic exact match and text loss. */
#include "task/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/decoder.h"
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

/* Decode one problem's answer on the decoder: the row in tokens (room for cap). */
static bn_status eval_one(bn_decoder *d, const bn_arith_spec *spec, const bn_tokenizer *tok,
                          const bn_arith_problem *p, int shots, bn_rng *rng, int *tokens,
                          int cap, bn_arith_eval *out, bn_error *err)
{
    int room = cap < d->max_seq ? cap : d->max_seq;
    char text[BN_ARITH_TEXT_MAX * (BN_EVAL_MAX_SHOTS + 1) + 1];
    int len = build_row(spec, p, shots, rng, room, text, (int)sizeof text);
    size_t ids = bn_tok_encode_bytes(tok, text, (size_t)len, tokens, (size_t)cap);
    int prompt_len = ids < (size_t)cap ? (int)ids : cap;
    int stop[2] = {0, bn_tok_special(tok, BN_TOK_EOS)};
    bn_tok_encode_bytes(tok, " ", 1, &stop[0], 1); /* the space that ends an answer */
    int end = bn_greedy_row(d, tokens, prompt_len, room, ANSWER_MAX, stop, 2, err);
    if (end < 0)
        return BN_ERR_INPUT;
    score_row(out, p, tok, tokens, prompt_len, end);
    return BN_OK;
}

bn_status bn_eval_arithmetic(bn_model *m, const bn_arith_spec *spec, const bn_tokenizer *tok, int n,
                             int shots, bn_arith_eval *out, bn_error *err)
{
    memset(out, 0, sizeof *out);
    if (shots < 0 || shots > BN_EVAL_MAX_SHOTS)
        return bn_fail(err, BN_ERR_INPUT, "shots %d: must be between 0 and %d", shots,
                       BN_EVAL_MAX_SHOTS);
    int cap = BN_ARITH_TEXT_MAX * (shots + 1) + ANSWER_MAX;
    int seq = cap < m->max_seq ? cap : m->max_seq; /* the rows the forward held */
    bn_arith_problem *problems = malloc(sizeof *problems * (size_t)(n > 0 ? n : 1));
    int *tokens = malloc(sizeof(int) * (size_t)cap);
    bn_decoder d;
    bn_status s = problems && tokens ? BN_OK
                                     : bn_fail(err, BN_ERR_NOMEM, "out of memory for evaluation");
    if (s == BN_OK)
        s = bn_decoder_init(&d, m, seq < m->cfg.max_seq_len ? seq : m->cfg.max_seq_len, err);
    if (s == BN_OK) {
        bn_arith_eval_set(spec, problems, n);
        bn_rng shot_rng; /* a fixed draw of solved examples, the same for every checkpoint */
        bn_rng_seed(&shot_rng, 0x5407u);
        for (int i = 0; i < n && s == BN_OK; i++)
            s = eval_one(&d, spec, tok, &problems[i], shots, &shot_rng, tokens, cap, out, err);
        bn_decoder_free(&d);
    }
    free(problems), free(tokens);
    return s;
}
