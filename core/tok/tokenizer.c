/* tokenizer.c - the tokenizer handle; each kind fills a table of operations, so adding a
 * kind (byte-level BPE) adds a file and touches no caller. */
#include "tok/tokenizer.h"

#include <stdlib.h>
#include <string.h>

#include "tok/tok_impl.h"

/* ---------------------------------------------------------------- character vocabulary */

static size_t char_encode(const bn_tokenizer *t, const char *s, size_t n, int *ids, size_t cap)
{
    bn_vocab_encode(&t->vocab, s, n, ids, cap);
    return n;
}

static size_t char_piece(const bn_tokenizer *t, int id, const char **bytes)
{
    return bn_vocab_piece(&t->vocab, id, bytes);
}

static void char_free(bn_tokenizer *t)
{
    free(t);
}

static const tok_ops char_ops = {char_encode, char_piece, char_free};

bn_status bn_tok_char(bn_tokenizer **out, const char *name, bn_error *err)
{
    *out = NULL;
    bn_tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for the tokenizer");
    if (strcmp(name, "arithmetic") == 0)
        bn_vocab_arithmetic(&t->vocab);
    else if (strcmp(name, "tictactoe") == 0)
        bn_vocab_tictactoe(&t->vocab);
    else {
        free(t);
        return bn_fail(err, BN_ERR_INPUT,
                       "tokenizer: no character vocabulary named \"%s\" (arithmetic, "
                       "tictactoe)", name);
    }
    t->ops = &char_ops;
    t->name = t->vocab.name;
    t->vocab_size = t->vocab.size;
    t->special[BN_TOK_PAD] = t->vocab.pad;
    t->special[BN_TOK_BOS] = t->vocab.bos;
    t->special[BN_TOK_EOS] = t->vocab.eos;
    t->special[BN_TOK_UNK] = t->vocab.unk;
    *out = t;
    return BN_OK;
}

/* ---------------------------------------------------------------- the interface */

const char *bn_tok_name(const bn_tokenizer *t)
{
    return t->name;
}

int bn_tok_vocab_size(const bn_tokenizer *t)
{
    return t->vocab_size;
}

int bn_tok_special(const bn_tokenizer *t, bn_tok_special_kind which)
{
    return (unsigned)which < 4 ? t->special[which] : -1;
}

size_t bn_tok_encode(const bn_tokenizer *t, const char *s, size_t n, int *ids, size_t cap)
{
    return t->ops->encode(t, s, n, ids, cap);
}

size_t bn_tok_piece(const bn_tokenizer *t, int id, const char **bytes)
{
    return t->ops->piece(t, id, bytes);
}

size_t bn_tok_decode(const bn_tokenizer *t, const int *ids, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char *piece;
        size_t plen = bn_tok_piece(t, ids[i], &piece);
        if (len + plen >= cap) /* whole pieces only, and room for the NUL */
            break;
        memcpy(out + len, piece, plen);
        len += plen;
    }
    out[len] = 0;
    return len;
}

void bn_tok_free(bn_tokenizer *t)
{
    if (t)
        t->ops->free(t);
}
