/* eval.h - how anyone checks a model independently:
 *   arithmetic: exact-match accuracy of greedy answers on held-out problems;
 *   any text:   see task/eval_text.h (loss and bits per byte over rows of seq_len). */
#ifndef BN_EVAL_H
#define BN_EVAL_H

#include "task/data_arith.h"
#include "base/error.h"
#include "model/model.h"
#include "tok/tokenizer.h"

#define BN_EVAL_EXAMPLES 4
#define BN_EVAL_MAX_SHOTS 8

typedef struct {
    char prompt[BN_ARITH_TEXT_MAX];
    char completion[BN_ARITH_TEXT_MAX];
    char expected[BN_ARITH_TEXT_MAX];
    int correct;
} bn_arith_example;

typedef struct {
    int total, correct;
    int op_total[4], op_correct[4]; /* index in "+-*" then "/" order: see bn_eval_op_index */
    int n_examples;
    bn_arith_example examples[BN_EVAL_EXAMPLES];
} bn_arith_eval;

/* Index of an operator in the fixed order + - * / (or -1). */
int bn_eval_op_index(char op);
extern const char bn_eval_ops[5];

/* Greedy-decode the answer to n held-out problems; the answer is read up to the next space
 * and must match exactly. Each row is `shots` solved problems from the training set
 * (a fixed draw), joined by spaces as in training, then the prompt "a op b = "; with
 * shots = 0 the prompt stands alone at the start of the row. Rows longer than the model's
 * max_seq keep fewer shots. One problem at a time on a decoder over the model's weights
 * (bn_greedy_row: the row prefilled, then one step per token), built once per call; it
 * uses the model's thread pool and leaves its activations alone (README, "Inference"). */
bn_status bn_eval_arithmetic(bn_model *m, const bn_arith_spec *spec, const bn_tokenizer *tok, int n,
                             int shots, bn_arith_eval *out, bn_error *err);

#endif
