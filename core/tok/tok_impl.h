/* tok_impl.h - the tokenizer handle's inside, shared by the files of each kind (character
 * vocabulary in tokenizer.c, byte-level BPE in bpe.c); callers see only tokenizer.h. */
#ifndef BN_TOK_IMPL_H
#define BN_TOK_IMPL_H

#include "tok/tokenizer.h"
#include "tok/vocab.h"

typedef struct bn_bpe bn_bpe;

typedef struct {
    bn_status (*encode)(const bn_tokenizer *t, const char *s, size_t n, int *ids, size_t cap,
                        size_t *count, bn_error *err);
    int (*byte_id)(const bn_tokenizer *t, unsigned char c); /* the token of one byte alone */
    size_t (*piece)(const bn_tokenizer *t, int id, const char **bytes);
    void (*free)(bn_tokenizer *t);
} tok_ops;

struct bn_tokenizer {
    const tok_ops *ops;
    const char *name;
    int vocab_size;
    int special[4];          /* by bn_tok_special; -1 if none */
    bn_vocab vocab;          /* character kind */
    bn_bpe *bpe;             /* byte-level BPE kind */
};

#endif
