/* textmodel.h - what generate and chat share: a text checkpoint loaded for inference, its
 * tokenizer, a decoder over it and a sampler set from the command line. */
#ifndef BN_TEXTMODEL_H
#define BN_TEXTMODEL_H

#include "cli.h"
#include "model/decoder.h"
#include "model/sampler.h"
#include "model/sampling_cmd.h"
#include "tok/tokenizer.h"

typedef struct {
    bn_model model;
    bn_config cfg;
    bn_tokenizer *tok;
    bn_decoder dec;
    bn_sampler sampler;
    unsigned long long seed;
    int max_tokens;
} bn_textmodel;

/* Sampling flags, then the checkpoint (a text one, else BN_ERR_INPUT). */
bn_status bn_textmodel_open(bn_textmodel *t, const bn_cli *cli, bn_error *err);
void bn_textmodel_close(bn_textmodel *t);

#endif
