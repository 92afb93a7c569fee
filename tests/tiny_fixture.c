/* tiny_fixture.c - the tiny model the C tests of checkpoints share (see tiny_fixture.h). */
#include "tiny_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "kernels/kernels.h"

void tiny_config(bn_config *cfg, const char *name, int hidden)
{
    bn_config_defaults(cfg);
    cfg->model.vocab_size = 32;
    cfg->model.hidden_size = hidden;
    cfg->model.num_layers = 2;
    cfg->model.num_heads = 4;
    cfg->model.num_kv_heads = 2;
    cfg->model.ffn_size = 48;
    cfg->model.max_seq_len = 16;
    cfg->train.seq_len = 8;
    cfg->train.batch_size = 2;
    snprintf(cfg->experiment.name, sizeof cfg->experiment.name, "%s", name);
}

int tiny_model(const bn_config *cfg, bn_model *m, bn_adamw *opt)
{
    bn_error err = {0};
    if (bn_model_init(m, &cfg->model, cfg->train.batch_size, cfg->train.seq_len,
                      bn_kernels_find("ref", NULL), 1, &err) != BN_OK) {
        fprintf(stderr, "model init: %s\n", err.msg);
        return -1;
    }
    if (bn_adamw_init(opt, m->num_params, cfg->train.beta1, cfg->train.beta2,
                      cfg->train.adam_eps, &err) != BN_OK) {
        fprintf(stderr, "adamw init: %s\n", err.msg);
        bn_model_free(m);
        return -1;
    }
    return 0;
}

int tiny_fixture_init(tiny_fixture *fx, const char *name, uint64_t seed)
{
    memset(fx, 0, sizeof *fx);
    tiny_config(&fx->cfg, name, 32);
    fx->ini = bn_config_to_string(&fx->cfg);
    if (!fx->ini || tiny_model(&fx->cfg, &fx->m, &fx->opt) != 0)
        return -1;
    bn_rng rng;
    bn_rng_seed(&rng, seed);
    bn_model_init_weights(&fx->m, &rng);
    for (size_t i = 0; i < fx->opt.n; i++) {
        fx->opt.m[i] = bn_rng_normal(&rng) * 1e-3f;
        fx->opt.v[i] = bn_rng_uniform(&rng) * 1e-6f;
    }
    return 0;
}

void tiny_fixture_free(tiny_fixture *fx)
{
    bn_adamw_free(&fx->opt);
    bn_model_free(&fx->m);
    bn_train_state_clear(&fx->state);
    free(fx->ini);
}
