/* bytelevel.h - GPT-2's byte-level alphabet (README, "Tokenizers"): each of the 256 byte
 * values stands for one printable unicode code point, so that every byte string is a
 * printable string and a BPE vocabulary never needs an unknown token. tokenizer.json files
 * store vocab and merges in this form; our tokenizer works on raw bytes and converts only
 * when it reads or writes them. */
#ifndef BN_BYTELEVEL_H
#define BN_BYTELEVEL_H

#include <stddef.h>

/* The code point standing for byte b (GPT-2's bytes_to_unicode): '!'..'~', 0xA1..0xAC and
 * 0xAE..0xFF stand for themselves, the other 68 bytes for 256, 257, ... in byte order
 * (so a space is U+0120 'Ġ' and a newline U+010A 'Ċ'). */
unsigned bn_bytelevel_cp(unsigned char b);

/* The byte that code point cp stands for, or -1 when cp is not in the alphabet. */
int bn_bytelevel_byte(unsigned cp);

/* Longest UTF-8 form of one byte-level character (all code points are below U+0800). */
#define BN_BYTELEVEL_MAX 2

/* Write the byte-level form of n bytes of s (UTF-8, at most BN_BYTELEVEL_MAX * n bytes)
 * into out; returns its length. out is not NUL-terminated. */
size_t bn_bytelevel_encode(const char *s, size_t n, char *out);

/* Turn a byte-level UTF-8 string back into its bytes (at most n of them) in out; returns
 * their count, or -1 when s holds a character outside the alphabet or invalid UTF-8. */
long bn_bytelevel_decode(const char *s, size_t n, char *out);

#endif
