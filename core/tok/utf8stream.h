/* utf8stream.h - streaming decode for byte-level tokenizers (README, "Tokenizers"): a
 * piece may end inside a UTF-8 character, so generated text goes through a small carry
 * that holds an unfinished character until its last byte comes. Bytes that are not UTF-8
 * are passed on as they are, so the output, joined, is always exactly the input. */
#ifndef BN_UTF8STREAM_H
#define BN_UTF8STREAM_H

#include <stddef.h>

typedef struct {
    unsigned char buf[4];
    int len, need; /* bytes held, and the length of the character they start */
} bn_utf8_carry;

/* Push n bytes; writes to out (room for n + 3 bytes) everything up to the last complete
 * character and returns its length; an unfinished character stays in c. Start with a
 * zeroed carry. */
size_t bn_utf8_push(bn_utf8_carry *c, const char *in, size_t n, char *out);

/* At the end of the stream: the held bytes (an incomplete character), written as they are
 * (at most 3); the carry is empty after. */
size_t bn_utf8_flush(bn_utf8_carry *c, char *out);

#endif
