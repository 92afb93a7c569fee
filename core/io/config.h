/* config.h - an experiment's full configuration, as read from its INI file.
 *
 * The INI schema (sections and keys) is one table in config.c; every key there maps to one
 * field below. Loading validates everything up front and reports the first problem as one
 * line naming the file, the key and what is allowed. */
#ifndef BN_CONFIG_H
#define BN_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "base/path.h"

#define BN_NAME_MAX 64

typedef enum { BN_TASK_ARITHMETIC, BN_TASK_TICTACTOE, BN_TASK_TEXT } bn_task;

/* fp32: sgemm. bf16: AMX tiles, dY rounded to bf16 (Xq and Wq are exact), fp32 sums.
 * auto: bf16 where the CPU and kernel allow AMX, else fp32. */
typedef enum { BN_PRECISION_FP32, BN_PRECISION_BF16, BN_PRECISION_AUTO } bn_precision;

/* [model] */
typedef struct {
    int vocab_size;            /* V */
    int hidden_size;           /* d */
    int num_layers;            /* L */
    int num_heads;             /* H; head_dim = d / H */
    int num_kv_heads;          /* KV; H % KV == 0 */
    int ffn_size;              /* F */
    int max_seq_len;           /* longest row the model accepts (RoPE table size) */
    double rope_theta;         /* 10000 */
    double norm_eps;           /* 1e-5 */
    double embedding_init_std; /* N(0, std) for token_embeddings at init; PyTorch default 1 */
} bn_model_config;

/* [training] */
typedef struct {
    long num_steps;
    int batch_size;
    int seq_len;         /* tokens per row; loss over the seq_len-1 next-token predictions */
    int grad_accum_steps; /* micro-batches of batch_size rows per optimizer step (>= 1) */
    double peak_lr;      /* 1.5e-3 */
    int warmup_steps;
    double weight_decay; /* applied in the first half, 0 in the second */
    double beta1, beta2, adam_eps;
    double grad_clip;    /* max global grad norm */
    uint64_t seed;
    int threads;         /* 0 = number of cores */
    bn_precision backward_precision; /* of the BitLinear backward products */
    bn_precision head_precision;     /* of the lm_head's logits and d(final_n) products */
    int low_memory;      /* 1: recompute gate|up in the backward (README, "Memory") */
    int shard_optimizer; /* 1: ZeRO-1 over the ranks of a job (README, "Training on many
                            machines"); nothing with one process */
} bn_train_config;

/* [logging] */
typedef struct {
    int log_interval;
    int sample_interval;     /* 0 = never */
    int eval_interval;       /* 0 = at every sample_interval (bn_config_eval_interval) */
    int checkpoint_interval; /* 0 = only at the end */
    int keep_checkpoints;    /* newest checkpoints kept, 0 = all (README, "Runs on disk") */
    int keep_every;          /* also keep steps that are multiples of it, 0 = off */
    int eval_problems;       /* per evaluation: held-out problems, games per mode, or (text)
                                rows of the val split at most */
    int eval_shots;          /* solved problems preceding each eval prompt (0 = none) */
    char run_id[BN_NAME_MAX];      /* "" = bitnet_<size>_<experiment>_<unix time> */
    char runs_dir[BN_PATH_MAX];    /* "runs" */
} bn_log_config;

/* The shipped text sample a text run trains on when its [data] path is empty (README,
 * "Shipped data"). Not INI keys: a front end fills them before the trainer starts (it knows
 * where the assets and the user's cache are); the trainer prepares the sample into
 * cache_dir on first use (io/sample_cache.h). Empty train: no sample known. */
typedef struct {
    char name[BN_NAME_MAX];       /* "tinystories-sample": the cache directory's prefix */
    char train[BN_PATH_MAX];      /* the training text */
    char val[BN_PATH_MAX];        /* the held-out text (prepare --val) */
    char tokenizer[BN_PATH_MAX];  /* its tokenizer.json */
    char cache_dir[BN_PATH_MAX];  /* where prepared samples go */
    char assets[BN_PATH_MAX];     /* the shipped assets directory: [data] tokenizer's bare
                                     names ("gpt2") are ASSETS/NAME/tokenizer.json */
} bn_data_sample;

/* [data] */
typedef struct {
    int max_operand;        /* arithmetic: a in 0..max, b in 1..max */
    char operators[8];      /* arithmetic: a subset of + - * and / */
    int holdout_percent;    /* arithmetic: share of problems never trained on, for eval */
    char path[BN_PATH_MAX]; /* text tasks: a dataset directory or a shard (io/dataset.h) */
    char tokenizer[BN_PATH_MAX]; /* text tasks: its tokenizer.json ("" = the dataset's), or
                                    a shipped one's name ("gpt2", "tinystories") */
    double random_weight;   /* tictactoe: each side's player mix (weights): random, */
    double minimax_weight;  /*   minimax with minimax_epsilon random moves, */
    double perfect_weight;  /*   perfect minimax (uniform among optimal moves) */
    double minimax_epsilon;
    int random_start_percent; /* tictactoe: games starting from a random position */
    bn_data_sample sample;  /* text tasks: the data when path is empty (not an INI key) */
} bn_data_config;

/* [experiment] */
typedef struct {
    char name[BN_NAME_MAX];
    bn_task task;
    char description[256];
} bn_experiment_config;

typedef struct {
    bn_experiment_config experiment;
    bn_model_config model;
    bn_train_config train;
    bn_log_config log;
    bn_data_config data;
    char source_path[BN_PATH_MAX]; /* the INI file it came from ("" for built-in defaults) */
} bn_config;

/* Fill every field with the built-in defaults (the arithmetic experiment). */
void bn_config_defaults(bn_config *cfg);

/* Load an INI file over the defaults and validate. On failure, err->msg is one line like
 * "experiments/x.ini: [model] num_heads = 5: must divide hidden_size (256)". */
bn_status bn_config_load(bn_config *cfg, const char *path, bn_error *err);

/* Parse INI text (e.g. from a checkpoint's metadata) over the defaults and validate.
 * `origin` names the source in messages. */
bn_status bn_config_parse(bn_config *cfg, const char *ini_text, const char *origin,
                          bn_error *err);

/* Apply one override "section.key=value" (as given to --set), then re-validate. */
bn_status bn_config_set(bn_config *cfg, const char *assignment, bn_error *err);

/* Apply several overrides in order, then validate once, so that the order of flags such as
 * --num-steps and --set training.warmup_steps=... does not matter. On failure cfg is
 * unchanged. */
bn_status bn_config_set_all(bn_config *cfg, const char *const *assignments, int n,
                            bn_error *err);

/* Check every cross-field rule (divisibility, ranges, seq_len <= max_seq_len, ...). */
bn_status bn_config_validate(const bn_config *cfg, bn_error *err);

/* Write the fully resolved configuration as INI text (every key, every section). */
void bn_config_write(const bn_config *cfg, FILE *out);
/* Same, into a malloc'd string the caller frees (NULL on allocation failure). */
char *bn_config_to_string(const bn_config *cfg);

/* The value of one key "section.key" of the INI file at path, as iniparser reads it
 * (quotes and comments dropped), into out. Lenient: a missing key or section leaves out ""
 * and is BN_OK; only an unreadable file or one that is not INI is an error. The file is not
 * validated against the schema (README, "Runs on disk"). */
bn_status bn_config_peek(const char *path, const char *name, char *out, size_t cap,
                         bn_error *err);

/* The schema's one-line help and built-in default (as written in an INI file; "" = empty)
 * of the key "section.key"; 0 if there is no such key. For usage texts. */
int bn_config_key_doc(const char *name, const char **help, const char **def);

/* Steps between the task's held-out evaluations: [logging] eval_interval, or sample_interval
 * when that is 0 (INI files written before eval_interval existed evaluate as they did);
 * 0 = never. */
int bn_config_eval_interval(const bn_config *cfg);

const char *bn_task_name(bn_task task);
const char *bn_precision_name(bn_precision p);

#endif
