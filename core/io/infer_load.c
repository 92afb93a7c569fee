/* infer_load.c - the checkpoint loader for inference. */
#include "io/infer_load.h"

#include <string.h>

#include "io/checkpoint.h"

bn_status bn_inference_load(const char *path, const bn_infer_opts *opts, bn_model *m,
                            bn_config *cfg, long *step, bn_error *err)
{
    bn_st_file file;
    bn_infer_opts o = *opts;
    long at = 0;
    memset(m, 0, sizeof *m);
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
    bn_st_free(&file);
    if (s != BN_OK) {
        bn_model_free(m);
        return s;
    }
    if (step)
        *step = at;
    return BN_OK;
}
