/* text_fixture.h - the tiny text model the C tests of sampling share: the 384-token BPE of
 * tests/fixtures/text-dataset, a model of d=32, 2 layers and a context of 48 with seeded
 * random weights, and its logits on 2 rows of 16 random tokens, taken before a test so that
 * it can show the model was left as it was. Include after check.h: the failures count in the
 * including test. */
#ifndef BN_TEST_TEXT_FIXTURE_H
#define BN_TEST_TEXT_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "tok/bpe.h"

enum { TEXT_FIXTURE_TOKENS = 32 }; /* 2 rows of 16 */

typedef struct {
    bn_tokenizer *tok;
    bn_model model;
    int made; /* whether model was made (and must be freed) */
    int tokens[TEXT_FIXTURE_TOKENS];
    float *before; /* the logits of tokens when the fixture was made */
} text_fixture;

/* Load the tokenizer ($srcdir/tests/fixtures/...), make the model with this embedding init
 * (weights and tokens from seed 5) and take its logits. 0 when the tokenizer or the model
 * could not be made (a failed CHECK says why); text_fixture_free then frees what was made. */
static inline int text_fixture_init(text_fixture *f, double embedding_init_std)
{
    bn_error err = {0};
    memset(f, 0, sizeof *f);
    const char *src = getenv("srcdir");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/text-dataset/tokenizer.json",
             src ? src : ".");
    CHECK(bn_tok_load_hf(&f->tok, path, &err) == BN_OK, "%s", err.msg);
    if (!f->tok)
        return 0;
    bn_model_config c = {.vocab_size = bn_tok_vocab_size(f->tok), .hidden_size = 32,
                         .num_layers = 2, .num_heads = 4, .num_kv_heads = 2, .ffn_size = 64,
                         .max_seq_len = 48, .rope_theta = 10000.0, .norm_eps = 1e-5,
                         .embedding_init_std = embedding_init_std};
    bn_status s = bn_model_init(&f->model, &c, 2, 16, bn_kernels_find(NULL, NULL), 1, &err);
    CHECK(s == BN_OK, "%s", err.msg);
    if (s != BN_OK)
        return 0;
    f->made = 1;
    bn_rng rng;
    bn_rng_seed(&rng, 5);
    bn_model_init_weights(&f->model, &rng);
    for (int i = 0; i < TEXT_FIXTURE_TOKENS; i++)
        f->tokens[i] = (int)bn_rng_below(&rng, (uint64_t)c.vocab_size);
    size_t bytes = sizeof(float) * TEXT_FIXTURE_TOKENS * (size_t)c.vocab_size;
    f->before = malloc(bytes);
    bn_model_forward(&f->model, f->tokens, 2, 16);
    memcpy(f->before, f->model.logits, bytes);
    return 1;
}

/* Whether the model's next forward on the tokens gives the logits it gave at first, bit for
 * bit. */
static inline int text_fixture_unchanged(text_fixture *f)
{
    size_t bytes = sizeof(float) * TEXT_FIXTURE_TOKENS * (size_t)f->model.cfg.vocab_size;
    bn_model_forward(&f->model, f->tokens, 2, 16);
    return memcmp(f->before, f->model.logits, bytes) == 0;
}

static inline void text_fixture_free(text_fixture *f)
{
    if (f->made)
        bn_model_free(&f->model);
    free(f->before);
    bn_tok_free(f->tok);
}

#endif
