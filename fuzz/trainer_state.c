/* trainer_state.c - fuzz target: a checkpoint's trainer_state.json (io/checkpoint.h), read
 * by bn_checkpoint_load_training beside a real optimizer.safetensors of a tiny model, then
 * its "data" object handed to each task's data source as a resume does (arithmetic,
 * tic-tac-toe, and the text source over tests/fixtures/text-dataset when $srcdir has it),
 * which then draws a batch. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "io/checkpoint.h"
#include "io/dataset.h"
#include "kernels/kernels.h"
#include "task/sources.h"
#include "tok/tokenizer.h"

enum { N_SOURCES = 3, ROWS = 2, SEQ = 16 };

/* Made once per process and kept for every input (the fuzz driver's state). */
typedef struct {
    int made;
    bn_model m;
    bn_adamw opt;
    bn_tokenizer *arith_tok, *ttt_tok;
    bn_data_source *sources[N_SOURCES];
} fixture;

static fixture fx;

static void free_fixture(void)
{
    for (int i = 0; i < N_SOURCES; i++)
        if (fx.sources[i])
            bn_source_close(fx.sources[i]);
    bn_tok_free(fx.arith_tok);
    bn_tok_free(fx.ttt_tok);
    bn_adamw_free(&fx.opt);
    bn_model_free(&fx.m);
    const char *files[] = {"state/model.safetensors", "state/optimizer.safetensors",
                           "state/trainer_state.json", "state"};
    for (int i = 0; i < 4; i++)
        bn_fuzz_remove(files[i]);
}

static void open_text_source(void)
{
    const char *src = getenv("srcdir");
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/text-dataset", src ? src : ".");
    char hash[BN_TOK_HASH_CAP];
    bn_error err = {0};
    if (bn_dataset_manifest_hash(path, hash, &err) == BN_OK)
        bn_shard_source_open(path, 384, SEQ, 7, hash, &fx.sources[2], &err);
}

/* A tiny arithmetic model and its checkpoint in <dir>/state. */
static int make_fixture(void)
{
    bn_config cfg;
    bn_config_defaults(&cfg);
    cfg.model = (bn_model_config){.vocab_size = 32, .hidden_size = 16, .num_layers = 1,
                                  .num_heads = 2, .num_kv_heads = 1, .ffn_size = 32,
                                  .max_seq_len = 32, .rope_theta = 10000.0,
                                  .norm_eps = 1e-5, .embedding_init_std = 1.0};
    bn_error err = {0};
    atexit(free_fixture);
    fx.made = 1;
    if (bn_model_init(&fx.m, &cfg.model, 1, 8, bn_kernels_find(NULL, NULL), 1, &err) != BN_OK ||
        bn_adamw_init(&fx.opt, fx.m.num_params, 0.9, 0.95, 1e-8, &err) != BN_OK ||
        bn_tok_char(&fx.arith_tok, "arithmetic", &err) != BN_OK ||
        bn_tok_char(&fx.ttt_tok, "tictactoe", &err) != BN_OK)
        return 0;
    bn_arith_spec as;
    bn_arith_spec_from_config(&as, &cfg);
    bn_ttt_spec ts;
    bn_ttt_spec_from_config(&ts, &cfg);
    if (bn_arith_source_open(&as, fx.arith_tok, 1, &fx.sources[0], &err) != BN_OK ||
        bn_ttt_source_open(&ts, fx.ttt_tok, 1, &fx.sources[1], &err) != BN_OK)
        return 0;
    open_text_source();
    bn_train_state state = {.step = 1, .data = bn_source_save_state(fx.sources[0])};
    char dir[512];
    int ok = bn_fuzz_path("state", dir, sizeof dir) &&
             bn_checkpoint_save(dir, &fx.m, &fx.opt, &state, "", "fuzz", &err) == BN_OK;
    bn_train_state_clear(&state);
    return ok;
}

int bn_fuzz_trainer_state(const uint8_t *data, size_t size)
{
    static int ready;
    if (!fx.made)
        ready = make_fixture();
    char dir[512];
    if (!ready || !bn_fuzz_path("state", dir, sizeof dir) ||
        !bn_fuzz_write("state/trainer_state.json", data, size))
        return 0;
    bn_train_state state = {0};
    bn_error err = {0};
    int restored = 0; /* by the source of its kind */
    if (bn_checkpoint_load_training(dir, &fx.m, &fx.opt, &state, &err) == BN_OK) {
        int tokens[ROWS * SEQ];
        for (int i = 0; i < N_SOURCES; i++) {
            bn_data_source *s = fx.sources[i];
            if (s && bn_source_load_state(s, state.data, "fuzz: data", &err) == BN_OK) {
                bn_source_next_batch(s, tokens, ROWS, SEQ);
                restored = 1;
            }
        }
    }
    bn_train_state_clear(&state);
    return restored;
}
