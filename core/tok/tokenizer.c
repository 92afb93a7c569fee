/* tokenizer.c - the tokenizer handle; each kind fills a table of operations, so adding a
 * kind (byte-level BPE) adds a file and touches no caller. */
#include "tok/tokenizer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok/tok_impl.h"

/* ---------------------------------------------------------------- character vocabulary */

static bn_status char_encode(const bn_tokenizer *t, const char *s, size_t n, int *ids,
                             size_t cap, size_t *count, bn_error *err)
{
    (void)err; /* a character vocabulary allocates nothing */
    bn_vocab_encode(&t->vocab, s, n, ids, cap);
    *count = n;
    return BN_OK;
}

static int char_byte_id(const bn_tokenizer *t, unsigned char c)
{
    int id = t->vocab.char_to_id[c];
    return id >= 0 ? id : t->vocab.unk;
}

static size_t char_piece(const bn_tokenizer *t, int id, const char **bytes)
{
    return bn_vocab_piece(&t->vocab, id, bytes);
}

static void char_free(bn_tokenizer *t)
{
    free(t);
}

static const tok_ops char_ops = {char_encode, char_byte_id, char_piece, char_free};

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

bn_status bn_tok_encode(const bn_tokenizer *t, const char *s, size_t n, int *ids, size_t cap,
                        size_t *count, bn_error *err)
{
    *count = 0;
    bn_status st = t->ops->encode(t, s, n, ids, cap, count, err);
    if (st != BN_OK)
        *count = 0;
    return st;
}

bn_status bn_tok_encode_all(const bn_tokenizer *t, const char *s, size_t n, int **ids,
                            size_t *count, bn_error *err)
{
    /* n + 1 ids hold any encoding (one id per byte at most, plus a BPE prefix space; an
     * added token takes at least one byte for its one id, which pays for the space of the
     * stretch after it), so one pass is enough; the encoding is deterministic, so should
     * that ever stop holding, the second pass with the exact count fits. */
    size_t cap = n + 1;
    for (;;) {
        size_t bytes = cap <= SIZE_MAX / sizeof **ids ? cap * sizeof **ids : SIZE_MAX;
        *ids = bytes < SIZE_MAX ? malloc(bytes) : NULL;
        if (!*ids) {
            char what[96];
            *count = 0;
            snprintf(what, sizeof what, "the ids of %zu bytes of text", n);
            return bn_nomem(err, what, bytes);
        }
        bn_status st = bn_tok_encode(t, s, n, *ids, cap, count, err);
        if (st == BN_OK && *count <= cap)
            return BN_OK;
        free(*ids);
        *ids = NULL;
        if (st != BN_OK)
            return st;
        cap = *count;
    }
}

size_t bn_tok_encode_bytes(const bn_tokenizer *t, const char *s, size_t n, int *ids,
                           size_t cap)
{
    for (size_t i = 0; i < n && i < cap; i++)
        ids[i] = t->ops->byte_id(t, (unsigned char)s[i]);
    return n;
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
