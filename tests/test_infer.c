/* test_infer.c - the inference loader: a checkpoint written by a tiny training model loads
 * into an inference model that computes the same logits bit for bit, has no gradients or
 * backward buffers and allocates less; forwards beyond the model's limits are refused; the
 * tic-tac-toe answer path answers any number of positions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "io/checkpoint.h"
#include "io/infer_load.h"
#include "kernels/kernels.h"
#include "task/eval_ttt.h"
#include "task/source.h"
#include "task/task.h"
#include "tok/tokenizer.h"
#include "tiny_fixture.h"

#define B 2 /* the rows of tiny_config */
#define T 8

static char root[] = "/tmp/bn_test_infer_XXXXXX";

/* The tiny model of tiny_fixture.h, 16 wide and 3 layers deep. */
static void infer_config(bn_config *cfg)
{
    tiny_config(cfg, "infer_test", 16);
    cfg->model.num_layers = 3;
}

/* A training model with random weights, saved as a checkpoint under dir; 0 on success. */
static int save_trained(const bn_config *cfg, bn_model *m, const char *dir)
{
    bn_error err = {0};
    bn_adamw opt;
    bn_train_state state;
    memset(&state, 0, sizeof state);
    if (tiny_model(cfg, m, &opt) != 0)
        return -1;
    bn_rng rng;
    bn_rng_seed(&rng, 7);
    bn_model_init_weights(m, &rng);
    /* The data position of a fresh arithmetic source (the default task). */
    bn_tokenizer *tok = NULL;
    bn_data_source *src = NULL;
    bn_status s = bn_task_open_tokenizer(cfg, &tok, &err);
    if (s == BN_OK)
        s = bn_task_open_source(cfg, tok, &src, &err);
    if (s == BN_OK)
        state.data = bn_source_save_state(src);
    char *ini = bn_config_to_string(cfg);
    if (s == BN_OK)
        s = bn_checkpoint_save(dir, m, &opt, &state, ini, cfg->experiment.name, &err);
    free(ini);
    bn_train_state_clear(&state);
    if (src)
        bn_source_close(src);
    bn_tok_free(tok);
    bn_adamw_free(&opt);
    CHECK(s == BN_OK, "save: %s", err.msg);
    return s == BN_OK ? 0 : -1;
}

static void fill_tokens(int *tok, int n, int V)
{
    for (int i = 0; i < n; i++)
        tok[i] = (i * 7 + 3) % V;
}

/* Same logits and loss, bit for bit, for (rows, cols) tokens. */
static void check_same_forward(bn_model *train, bn_model *inf, int rows, int cols)
{
    int tok[B * T];
    fill_tokens(tok, rows * cols, train->cfg.vocab_size);
    double a = bn_model_forward(train, tok, rows, cols);
    double b = bn_model_forward(inf, tok, rows, cols);
    size_t n = (size_t)rows * cols * train->cfg.vocab_size;
    CHECK(memcmp(&a, &b, sizeof a) == 0, "loss %.17g vs %.17g (%dx%d)", a, b, rows, cols);
    CHECK(memcmp(train->logits, inf->logits, sizeof(float) * n) == 0,
          "logits differ for %d rows of %d tokens", rows, cols);
}

/* Limits: refused with a message naming them, nothing written, no backward after it. */
static void check_limits(bn_model *train, bn_model *inf)
{
    bn_error err = {0};
    CHECK(bn_model_check_shape(inf, B + 1, T, &err) == BN_ERR_INPUT &&
              strstr(err.msg, "max_batch") != NULL,
          "too many rows: %s", err.msg);
    CHECK(bn_model_check_shape(inf, 1, T + 1, &err) == BN_ERR_INPUT &&
              strstr(err.msg, "max_seq") != NULL,
          "too long: %s", err.msg);
    CHECK(bn_model_check_shape(inf, B, T, &err) == BN_OK, "the limits themselves fit");
    int tok[(B + 1) * (T + 1)];
    fill_tokens(tok, (B + 1) * (T + 1), inf->cfg.vocab_size);
    size_t n = (size_t)B * T * inf->cfg.vocab_size;
    for (size_t i = 0; i < n; i++)
        inf->logits[i] = 42.0f;
    CHECK(isnan(bn_model_forward(inf, tok, B + 1, T)), "too many rows: NAN");
    CHECK(isnan(bn_model_forward(inf, tok, 1, T + 1)), "too long: NAN");
    CHECK(isnan(bn_model_forward(inf, tok, 0, T)), "no rows: NAN");
    CHECK(inf->logits[0] == 42.0f && inf->logits[n - 1] == 42.0f, "refused: nothing written");
    bn_model_backward(inf, tok); /* no grads: must do nothing */
    bn_model_zero_grad(train);
    CHECK(isnan(bn_model_forward(train, tok, B, T + 1)), "training: too long refused");
    bn_model_backward(train, tok);
    int zero = 1;
    for (size_t i = 0; i < train->num_params; i++)
        zero &= train->grads[i] == 0.0f;
    CHECK(zero, "no backward after a refused forward");
}

static void test_loader(void)
{
    bn_config cfg;
    infer_config(&cfg);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/step_000001", root);
    bn_model train, inf;
    if (save_trained(&cfg, &train, dir) != 0)
        return;
    bn_config got;
    long step = -1;
    bn_error err = {0};
    bn_infer_opts opts = {.max_batch = B, .kernels = bn_kernels_find("ref", NULL), .threads = 1};
    bn_status s = bn_inference_load(dir, &opts, &inf, &got, &step, &err);
    CHECK(s == BN_OK, "load: %s", err.msg);
    if (s != BN_OK) {
        bn_model_free(&train);
        return;
    }
    CHECK(inf.mode == BN_MODEL_INFERENCE && inf.max_seq == T && step == 0,
          "mode %d, max_seq %d (the run's seq_len), step %ld", (int)inf.mode, inf.max_seq, step);
    CHECK(inf.grads == NULL && inf.bw.dres == NULL &&
              inf.bl_scratch.xn == NULL && inf.bl_scratch.dg_partial == NULL,
          "no gradients, no backward buffers");
    CHECK(inf.acts[1].x_in == inf.acts[0].x_in && train.acts[1].x_in != train.acts[0].x_in,
          "inference layers share one set of activations");
    CHECK(inf.alloc_bytes > sizeof(float) * inf.num_params &&
              train.alloc_bytes - inf.alloc_bytes > 2 * sizeof(float) * inf.num_params,
          "inference allocates %zu bytes, training %zu (gradients alone: %zu)",
          inf.alloc_bytes, train.alloc_bytes, sizeof(float) * inf.num_params);
    check_same_forward(&train, &inf, B, T);
    check_same_forward(&train, &inf, 1, 5);
    check_same_forward(&train, &inf, B, 1);
    check_limits(&train, &inf);
    bn_model_free(&inf);

    char missing[300];
    snprintf(missing, sizeof missing, "%s/step_000009", root);
    CHECK(bn_inference_load(missing, &opts, &inf, &got, NULL, &err) != BN_OK &&
              strstr(err.msg, "step_000009") != NULL,
          "a missing checkpoint names its path: %s", err.msg);
    bn_model_free(&inf); /* safe after a failed load */
    bn_model_free(&train);
}

/* ---------------------------------------------------------------- tic-tac-toe answers */

#define N_POS 300

/* n positions where someone can move, from random play. */
static void random_positions(bn_ttt_game *g, int n)
{
    bn_rng rng;
    bn_rng_seed(&rng, 11);
    for (int i = 0; i < n; i++) {
        char b[BN_TTT_CELLS];
        memset(b, '_', sizeof b);
        int k = (int)(bn_rng_uniform(&rng) * 7.0);
        for (int j = 0; j < k; j++) {
            int cell = (int)(bn_rng_uniform(&rng) * BN_TTT_CELLS) % BN_TTT_CELLS;
            char mark = bn_ttt_to_move(b);
            if (b[cell] == '_') {
                b[cell] = mark;
                if (bn_ttt_result_of(b, NULL) != BN_TTT_ONGOING)
                    b[cell] = '_';
            }
        }
        bn_ttt_game_from_position(b, &g[i]);
    }
}

static int same_answer(const bn_ttt_answer *a, const bn_ttt_answer *b)
{
    if (a->cell != b->cell || a->top_digit != b->top_digit || a->legal != b->legal ||
        a->player != b->player)
        return 0;
    for (int c = 0; c < BN_TTT_CELLS; c++)
        if (fabsf(a->probs[c] - b->probs[c]) > 1e-5f)
            return 0;
    return 1;
}

/* A model of max_batch rows with the same weights as src. */
static int twin(bn_model *m, const bn_model *src, int max_batch)
{
    bn_error err = {0};
    if (bn_model_init_mode(m, &src->cfg, max_batch, src->max_seq, src->ex.kernels, 1,
                           BN_MODEL_INFERENCE, &err) != BN_OK)
        return -1;
    memcpy(m->params, src->params, sizeof(float) * src->num_params);
    bn_model_params_changed(m);
    return 0;
}

static void test_ttt_answers(void)
{
    bn_config cfg;
    infer_config(&cfg);
    bn_model one, wide, chunked;
    bn_error err = {0};
    bn_tokenizer *v = NULL;
    if (bn_tok_char(&v, "tictactoe", &err) != BN_OK) {
        CHECK(0, "tokenizer: %s", err.msg);
        return;
    }
    cfg.model.vocab_size = bn_tok_vocab_size(v);
    if (bn_model_init_mode(&one, &cfg.model, 1, 96, bn_kernels_find("ref", NULL), 1,
                           BN_MODEL_INFERENCE, &err) != BN_OK) {
        CHECK(0, "init: %s", err.msg);
        bn_tok_free(v);
        return;
    }
    bn_rng rng;
    bn_rng_seed(&rng, 5);
    bn_model_init_weights(&one, &rng);
    CHECK(twin(&wide, &one, N_POS) == 0 && twin(&chunked, &one, 7) == 0, "twins");
    bn_ttt_game *g = calloc(N_POS, sizeof *g);
    bn_ttt_answer *a1 = calloc(N_POS, sizeof *a1), *aw = calloc(N_POS, sizeof *aw);
    bn_ttt_answer *ac = calloc(N_POS, sizeof *ac), *ab = calloc(N_POS, sizeof *ab);
    random_positions(g, N_POS);
    for (int i = 0; i < N_POS; i++)
        bn_ttt_model_answer(&one, v, &g[i], 1, &a1[i], NULL);
    bn_ttt_model_answer(&wide, v, g, N_POS, aw, NULL);    /* one forward of 300 rows */
    bn_ttt_model_answer(&chunked, v, g, N_POS, ac, NULL); /* forwards of 7 rows */
    bn_ttt_model_answer(&one, v, g, N_POS, ab, NULL);    /* forwards of 1 row, in one call */
    int same_w = 0, same_c = 0, same_b = 0, answered = 0;
    for (int i = 0; i < N_POS; i++) {
        same_w += same_answer(&a1[i], &aw[i]);
        same_c += same_answer(&a1[i], &ac[i]);
        same_b += same_answer(&a1[i], &ab[i]);
        answered += aw[i].cell >= 0 && aw[i].player != 0;
    }
    CHECK(answered == N_POS, "every one of %d positions answered (%d)", N_POS, answered);
    CHECK(same_w == N_POS, "300 rows at once: %d of %d as one by one", same_w, N_POS);
    CHECK(same_c == N_POS, "7 rows at a time: %d of %d as one by one", same_c, N_POS);
    CHECK(same_b == N_POS, "1 row at a time in one call: %d of %d", same_b, N_POS);
    free(g), free(a1), free(aw), free(ac), free(ab);
    bn_tok_free(v);
    bn_model_free(&one);
    bn_model_free(&wide);
    bn_model_free(&chunked);
}

int main(void)
{
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_loader();
    test_ttt_answers();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return check_exit("test_infer");
}
