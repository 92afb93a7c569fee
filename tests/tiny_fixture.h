/* tiny_fixture.h - the tiny model the C tests of checkpoints share (test_checkpoint,
 * test_zero1): a config of vocab 32, 2 layers of 4 heads (2 for keys and values), ffn 48, a
 * context of 16, training rows 2 x 8; its model on the reference kernels with AdamW; and a
 * fixture of both with the config's INI, the weights and moments random from a seed. */
#ifndef BN_TEST_TINY_FIXTURE_H
#define BN_TEST_TINY_FIXTURE_H

#include <stdint.h>

#include "io/checkpoint.h"

/* Everything one checkpoint holds, plus the config it was built from. */
typedef struct {
    bn_config cfg;
    char *ini; /* cfg as INI text, as a checkpoint keeps it */
    bn_model m;
    bn_adamw opt;
    bn_train_state state; /* zero: each test sets its own */
} tiny_fixture;

/* The defaults with the tiny model of this width, named name. */
void tiny_config(bn_config *cfg, const char *name, int hidden);

/* A model for cfg's training rows (zeroed; one thread) and its optimizer; 0 on success,
 * else -1 with the reason on stderr and nothing left to free. */
int tiny_model(const bn_config *cfg, bn_model *m, bn_adamw *opt);

/* The tiny config of width 32 named name, its INI and model, the weights then the AdamW
 * moments drawn from seed (m normal x 1e-3, v uniform x 1e-6); 0 on success.
 * tiny_fixture_free frees it either way. */
int tiny_fixture_init(tiny_fixture *fx, const char *name, uint64_t seed);
void tiny_fixture_free(tiny_fixture *fx);

#endif
