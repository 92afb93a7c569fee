/* infer_load.c - the checkpoint loader for inference. */
#include "io/infer_load.h"

#include <string.h>

#include "io/checkpoint.h"
#include "task/task.h"

/* The checkpoint's own tokenizer, or the task's when it carries none. */
static bn_status open_tokenizer(const char *path, const bn_st_file *file,
                                const bn_config *cfg, bn_tokenizer **out, bn_error *err)
{
    bn_status s = bn_checkpoint_tokenizer(path, file, out, err);
    if (s == BN_OK && !*out)
        s = bn_task_open_tokenizer(cfg, out, err);
    return s;
}

bn_status bn_inference_load(const char *path, const bn_infer_opts *opts, bn_model *m,
                            bn_config *cfg, long *step, bn_error *err)
{
    bn_st_file file;
    bn_infer_opts o = *opts;
    long at = 0;
    memset(m, 0, sizeof *m);
    if (o.tokenizer)
        *o.tokenizer = NULL;
    bn_status s = bn_checkpoint_open(path, cfg, &file, &at, err);
    if (s != BN_OK)
        return s;
    if (o.prepare)
        s = o.prepare(o.ctx, cfg, &o, err);
    if (s == BN_OK && o.max_seq <= 0)
        o.max_seq = cfg->train.seq_len;
    if (s == BN_OK)
        s = bn_model_init_mode(m, &cfg->model, o.max_batch, o.max_seq, o.kernels, o.threads,
                               BN_MODEL_INFERENCE, err);
    if (s == BN_OK)
        s = bn_checkpoint_load_params(m, &file, err);
    if (s == BN_OK && o.tokenizer)
        s = open_tokenizer(path, &file, cfg, o.tokenizer, err);
    bn_st_free(&file);
    if (s != BN_OK) {
        bn_model_free(m);
        return s;
    }
    if (step)
        *step = at;
    return BN_OK;
}
