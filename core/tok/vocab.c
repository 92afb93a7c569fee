/* vocab.c - the character vocabularies of README, "Character vocabularies".
 *
 * Each vocabulary is its character list (id = position) followed by <pad>, <s>, </s>, <unk>;
 * the ids after <unk> up to BN_VOCAB_MAX are unused. */
#include "tok/vocab.h"

#include <string.h>

static const char ARITH_CHARS[] = "0123456789+-*/= ";
static const char TTT_CHARS[] = "0123456789XO_|: Resultwindra";

/* Build a vocabulary from its ordered character list. */
static void vocab_build(bn_vocab *v, const char *name, const char *chars)
{
    int n = (int)strlen(chars);

    memset(v, 0, sizeof(*v));
    v->name = name;
    v->size = BN_VOCAB_MAX;
    for (int c = 0; c < 256; c++)
        v->char_to_id[c] = -1;
    for (int id = 0; id < n; id++) {
        v->char_to_id[(unsigned char)chars[id]] = id;
        v->id_to_char[id] = chars[id];
    }
    v->pad = n;
    v->bos = n + 1;
    v->eos = n + 2;
    v->unk = n + 3;
}

void bn_vocab_arithmetic(bn_vocab *v) { vocab_build(v, "arithmetic", ARITH_CHARS); }

void bn_vocab_tictactoe(bn_vocab *v) { vocab_build(v, "tictactoe", TTT_CHARS); }

size_t bn_vocab_encode(const bn_vocab *v, const char *text, size_t len, int *ids, size_t cap)
{
    size_t n = len < cap ? len : cap;

    for (size_t i = 0; i < n; i++) {
        int id = v->char_to_id[(unsigned char)text[i]];
        ids[i] = id >= 0 ? id : v->unk;
    }
    return n;
}

size_t bn_vocab_piece(const bn_vocab *v, int id, const char **bytes)
{
    if (id == v->pad)
        *bytes = "<pad>";
    else if (id == v->bos)
        *bytes = "<s>";
    else if (id == v->eos)
        *bytes = "</s>";
    else if (id < 0 || id >= BN_VOCAB_MAX || v->id_to_char[id] == 0)
        *bytes = "<unk>";
    else {
        *bytes = &v->id_to_char[id];
        return 1;
    }
    return strlen(*bytes);
}

size_t bn_vocab_decode(const bn_vocab *v, const int *ids, size_t n, char *out, size_t cap)
{
    size_t len = 0;

    if (cap == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char *piece;
        size_t plen = bn_vocab_piece(v, ids[i], &piece);
        if (len + plen >= cap) /* whole pieces only, and room for the NUL */
            break;
        memcpy(out + len, piece, plen);
        len += plen;
    }
    out[len] = 0;
    return len;
}
