/* checkpoint.c - fuzz target: a checkpoint directory (io/checkpoint.h), one input split at
 * "--8<--" lines into model.safetensors, optimizer.safetensors, trainer_state.json and
 * tokenizer.json (a missing or empty part: no such file). Loaded as --resume loads it
 * (open, its tokenizer, parameters, optimizer and trainer state) and as `eval`/`move` load
 * it (bn_inference_load). A model beyond a small size is not built (the fuzzer's memory, not a
 * loader rule): its parameters are checked by the same code at any size. */
#include "fuzz.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "io/checkpoint.h"
#include "io/infer_load.h"
#include "kernels/kernels.h"

#define FUZZ_MAX_PARAMS 2000000
#define FUZZ_MAX_SEQ 4096

static const char *const part_names[] = {"ckpt/model.safetensors",
                                         "ckpt/optimizer.safetensors",
                                         "ckpt/trainer_state.json", "ckpt/tokenizer.json"};
enum { N_PARTS = 4 };

static int small_enough(const bn_config *cfg)
{
    return cfg->model.max_seq_len <= FUZZ_MAX_SEQ &&
           bn_model_param_count(&cfg->model) <= FUZZ_MAX_PARAMS;
}

/* --resume: parameters into a training model, then the optimizer and trainer state. */
static int load_for_training(const char *dir, const bn_config *cfg, const bn_st_file *file)
{
    bn_model m;
    bn_error err = {0};
    if (bn_model_init(&m, &cfg->model, 1, 8, bn_kernels_find(NULL, NULL), 1, &err) != BN_OK)
        return 0;
    bn_adamw opt = {0};
    bn_train_state state = {0};
    int loaded = bn_checkpoint_load_params(&m, file, &err) == BN_OK &&
                 bn_adamw_init(&opt, m.num_params, cfg->train.beta1, cfg->train.beta2,
                               cfg->train.adam_eps, &err) == BN_OK &&
                 bn_checkpoint_load_training(dir, &m, &opt, &state, &err) == BN_OK;
    bn_train_state_clear(&state);
    bn_adamw_free(&opt);
    bn_model_free(&m);
    return loaded;
}

static int load_resume(const char *dir)
{
    bn_config cfg;
    bn_st_file file;
    long step = 0;
    bn_error err = {0};
    if (bn_checkpoint_open(dir, &cfg, &file, &step, &err) != BN_OK)
        return 0;
    bn_tokenizer *tok = NULL;
    int loaded = bn_checkpoint_tokenizer(dir, &file, &tok, &err) == BN_OK &&
                 small_enough(&cfg) && load_for_training(dir, &cfg, &file);
    bn_tok_free(tok);
    bn_st_free(&file);
    return loaded;
}

static bn_status refuse_large(void *ctx, bn_config *cfg, bn_infer_opts *opts, bn_error *err)
{
    (void)ctx;
    opts->max_seq = 8;
    return small_enough(cfg) ? BN_OK : bn_fail(err, BN_ERR_INPUT, "too large to fuzz");
}

/* eval, move, play and the UI's past runs. */
static int load_inference(const char *dir)
{
    bn_tokenizer *tok = NULL;
    bn_infer_opts opts = {.max_batch = 1, .max_seq = 8, .kernels = bn_kernels_find(NULL, NULL),
                          .threads = 1, .prepare = refuse_large, .tokenizer = &tok};
    bn_model m;
    bn_config cfg;
    long step = 0;
    bn_error err = {0};
    int loaded = bn_inference_load(dir, &opts, &m, &cfg, &step, &err) == BN_OK;
    if (loaded)
        bn_model_free(&m);
    bn_tok_free(tok);
    return loaded;
}

int bn_fuzz_checkpoint(const uint8_t *data, size_t size)
{
    const uint8_t *parts[N_PARTS];
    size_t sizes[N_PARTS];
    int n = bn_fuzz_split(data, size, parts, sizes, N_PARTS);
    char dir[512];
    if (!bn_fuzz_path("ckpt", dir, sizeof dir) || (mkdir(dir, 0700) != 0 && errno != EEXIST))
        return 0;
    int ok = 1, loaded = 0;
    for (int i = 0; i < n; i++)
        ok = ok && (sizes[i] == 0 || bn_fuzz_write(part_names[i], parts[i], sizes[i]));
    if (ok) {
        loaded = load_resume(dir);
        loaded = load_inference(dir) && loaded;
    }
    for (int i = 0; i < N_PARTS; i++)
        bn_fuzz_remove(part_names[i]);
    bn_fuzz_remove("ckpt");
    return loaded;
}
