/* task_text.c - the text task's operations (README, "Training on shards"): a byte-level BPE
 * tokenizer, rows of token shards as training data, loss and bits per byte as evaluation. */
#include "task/task.h"
#include "task/text_samples.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "io/dataset.h"
#include "io/jsonio.h"
#include "task/eval_text.h"
#include "task/sources.h"
#include "tok/bpe.h"

static const char *origin(const bn_config *cfg)
{
    return cfg->source_path[0] ? cfg->source_path : cfg->experiment.name;
}

/* [data] path must exist and be shards, not a text corpus that was never prepared. */
static bn_status check_data_path(const bn_config *cfg, int *is_dir, bn_error *err)
{
    struct stat sb;
    const char *path = cfg->data.path;
    if (!path[0])
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: [data] path is empty: set it to a dataset directory made by "
                       "bitnet-tui prepare (training uses the shipped sample then)",
                       origin(cfg));
    if (stat(path, &sb) != 0)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: [data] path = %s: cannot open: %s (a dataset directory made by "
                       "bitnet-tui prepare --tokenizer T --out DIR TEXT, or llm.c's shards; "
                       "the INI's [data] comments and README's \"The baseline on "
                       "FineWeb-Edu\" say how to get one)",
                       origin(cfg), path, strerror(errno));
    *is_dir = S_ISDIR(sb.st_mode);
    if (!*is_dir && !bn_dataset_is_shard_file(path))
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: [data] path = %s is not token shards; a text corpus must be "
                       "prepared first: bitnet-tui prepare --tokenizer T --out DIR %s, then "
                       "set [data] path = DIR", origin(cfg), path, path);
    return BN_OK;
}

/* A shipped tokenizer's name ("gpt2"): ASSETS/NAME/tokenizer.json (README, "The baseline on
 * FineWeb-Edu"). */
static bn_status shipped_tokenizer(const bn_config *cfg, const char *name,
                                   char out[BN_PATH_MAX], bn_error *err)
{
    struct stat sb;
    const char *assets = cfg->data.sample.assets;
    bn_status st = bn_path_printf(out, err, "%s/%s/" BN_DATASET_TOKENIZER, assets, name);
    if (st != BN_OK)
        return st;
    if (!assets[0] || stat(out, &sb) != 0)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: [data] tokenizer = %s: no shipped tokenizer of that name (in "
                       "%s); allowed: gpt2, tinystories, or a path to a tokenizer.json",
                       origin(cfg), name, assets[0] ? assets : "no assets directory found");
    return BN_OK;
}

/* The tokenizer file: [data] tokenizer (a path, or a shipped one's name without '/' or
 * '.'), else the dataset directory's tokenizer.json. */
static bn_status tokenizer_path(const bn_config *cfg, int is_dir, char out[BN_PATH_MAX],
                                bn_error *err)
{
    struct stat sb;
    const char *named = cfg->data.tokenizer;
    if (named[0] && !strchr(named, '/') && !strchr(named, '.'))
        return shipped_tokenizer(cfg, named, out, err);
    if (named[0])
        return bn_path_printf(out, err, "%s", named);
    if (!is_dir)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: [data] path = %s is a single shard: set [data] tokenizer to the "
                       "tokenizer.json its ids belong to", origin(cfg), cfg->data.path);
    bn_status st = bn_path_join(out, cfg->data.path, BN_DATASET_TOKENIZER, err);
    if (st != BN_OK)
        return st;
    if (stat(out, &sb) != 0)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: missing: set [data] tokenizer to the tokenizer.json the shards' "
                       "ids belong to", out);
    return BN_OK;
}

/* A dataset of ours names its tokenizer by hash; the model must have room for its ids. */
static bn_status check_tokenizer(const bn_config *cfg, const bn_tokenizer *tok,
                                 const char *file, bn_error *err)
{
    char want[BN_TOK_HASH_CAP], have[BN_TOK_HASH_CAP];
    bn_status st = bn_dataset_manifest_hash(cfg->data.path, want, err);
    if (st == BN_OK)
        st = bn_tok_hash(tok, have, err);
    if (st == BN_OK && want[0] && strcmp(want, have) != 0)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: tokenizer hash %s, but %s/" BN_DATASET_MANIFEST " was tokenized "
                       "with %s", file, have, cfg->data.path, want);
    if (st == BN_OK && cfg->model.vocab_size < bn_tok_vocab_size(tok))
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: [model] vocab_size = %d is smaller than the tokenizer's %d ids "
                       "(%s)", origin(cfg), cfg->model.vocab_size, bn_tok_vocab_size(tok),
                       file);
    return st;
}

static bn_status text_tokenizer(const bn_config *cfg, bn_tokenizer **out, bn_error *err)
{
    char file[BN_PATH_MAX];
    int is_dir = 0;
    *out = NULL;
    bn_status st = check_data_path(cfg, &is_dir, err);
    if (st == BN_OK)
        st = tokenizer_path(cfg, is_dir, file, err);
    if (st == BN_OK)
        st = bn_tok_load_hf(out, file, err);
    if (st == BN_OK)
        st = check_tokenizer(cfg, *out, file, err);
    if (st != BN_OK) {
        bn_tok_free(*out);
        *out = NULL;
    }
    return st;
}

static bn_status text_source(const bn_config *cfg, const bn_tokenizer *tok,
                             bn_data_source **out, bn_error *err)
{
    char hash[BN_TOK_HASH_CAP];
    bn_status st = bn_tok_hash(tok, hash, err);
    if (st != BN_OK)
        return st;
    return bn_shard_source_open(cfg->data.path, bn_tok_vocab_size(tok), cfg->train.seq_len,
                                BN_DATA_SEED(cfg->train.seed), hash, out, err);
}

/* The samples.jsonl record of a held-out evaluation (README, "Evaluation reports"); other
 * parts of the evaluation may add keys to it. */
static json_t *val_record(const bn_text_loss *sum, long long split_rows, double loss,
                          double bpb)
{
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "kind", "text_eval", "split",
                     "val", "rows", (json_int_t)sum->rows, "split_rows",
                     (json_int_t)split_rows, "predictions", (json_int_t)sum->predictions,
                     "bytes", (json_int_t)sum->bytes, "val_loss", bn_json_number(loss),
                     "val_bpb", bn_json_number(bpb));
}

static void fill_report(const bn_text_loss *sum, long long split_rows, bn_eval_report *out)
{
    double loss = sum->nats / (double)sum->predictions;
    double bpb = sum->bytes > 0 ? sum->nats / log(2.0) / sum->bytes : NAN;
    bn_report_metric(out, "val_loss", loss, 0);
    bn_report_metric(out, "val_bpb", bpb, 0);
    bn_report_metric(out, "val_rows", (double)sum->rows, 1);
    snprintf(out->headline, sizeof out->headline,
             "val loss %.4f nats/token, %.4f bits/byte (%lld of the val split's %lld rows)",
             loss, bpb, sum->rows, split_rows);
    snprintf(out->value, sizeof out->value, "%.4f (%.3f bpb)", loss, bpb);
    snprintf(out->summary, sizeof out->summary, "val loss %.4f, %.4f bits/byte (%lld rows)",
             loss, bpb, sum->rows);
    out->samples = val_record(sum, split_rows, loss, bpb);
}

/* Continuations of the fixed story openings (README, "Evaluation reports"), added to the
 * evaluation's samples.jsonl record (or a record of their own without a val split). */
static bn_status add_samples(bn_model *m, const bn_tokenizer *tok, bn_eval_report *out,
                             bn_error *err)
{
    json_t *rec = NULL;
    bn_status st = bn_text_samples(m, tok, 0, &rec, err);
    if (st != BN_OK)
        return st;
    if (!out->samples) {
        out->samples = json_pack("{s:s}", "kind", "text_samples");
        if (!out->samples) {
            json_decref(rec);
            return bn_fail(err, BN_ERR_NOMEM, "out of memory for the samples record");
        }
    }
    int bad = json_object_update(out->samples, rec);
    json_decref(rec);
    return bad ? bn_fail(err, BN_ERR_NOMEM, "out of memory for the samples record") : BN_OK;
}

/* The periodic evaluation: loss and bits per byte on at most n rows of the dataset's val
 * split (README, "Evaluation reports"). A dataset without one has nothing to report. */
static bn_status text_evaluate(bn_model *m, const bn_tokenizer *tok, const bn_config *cfg,
                               int n, bn_eval_report *out, bn_error *err)
{
    bn_text_loss sum;
    long long split_rows = 0;
    bn_status st = bn_eval_text_val(m, tok, cfg->data.path, cfg->train.seq_len, n, &sum,
                                    &split_rows, err);
    if (st != BN_OK)
        return st;
    if (sum.rows == 0)
        snprintf(out->headline, sizeof out->headline, "no held-out rows in %s (no val split, "
                 "or none as long as seq_len): nothing to evaluate", cfg->data.path);
    else
        fill_report(&sum, split_rows, out);
    return out->samples_due ? add_samples(m, tok, out, err) : BN_OK;
}

/* Without --data: the run's dataset, its val split. */
static bn_status text_eval_checkpoint(bn_model *m, const bn_tokenizer *tok,
                                      const bn_config *cfg, const bn_eval_options *opt,
                                      json_t **out, bn_error *err)
{
    (void)opt;
    return bn_eval_text_data(m, tok, cfg->data.path, cfg->train.seq_len, out, err);
}

const bn_task_ops bn_task_text = {
    .name = "text",
    .task = BN_TASK_TEXT,
    .open_tokenizer = text_tokenizer,
    .open_source = text_source,
    .evaluate = text_evaluate,
    .generates_samples = 1,
    .chat_samples = 1,
    .evaluate_checkpoint = text_eval_checkpoint,
};
