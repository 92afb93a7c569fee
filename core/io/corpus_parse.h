/* corpus_parse.h - cutting a corpus file's text into documents or lines (io/corpus.c's
 * parsers, one per format). Each parses the whole units of raw[0 .. have) and says where
 * they end (*cut; 0 when there is none yet); with eof set, everything is whole. */
#ifndef BN_CORPUS_PARSE_H
#define BN_CORPUS_PARSE_H

#include <stddef.h>

#include "base/error.h"
#include "io/corpus.h"

typedef struct {
    int decoded;              /* entries are in text (.jsonl), not in the raw buffer */
    char *text;               /* decoded entries, text[0 .. text_len) */
    size_t text_len, text_cap;
    size_t *off, *len;        /* entry i: off[i], len[i] */
    size_t n, n_cap;
    long long line;           /* .jsonl: lines of the file before raw[0] */
} bn_corpus_parsed;

/* .txt documents: cut after the last separator line ("<|endoftext|>", "\r" allowed). */
bn_status bn_corpus_parse_txt(bn_corpus_parsed *p, const char *raw, size_t have, int eof,
                              size_t *cut, bn_error *err);

/* .txt lines: one entry, everything up to the last "\n". */
bn_status bn_corpus_parse_lines(bn_corpus_parsed *p, const char *raw, size_t have, int eof,
                                size_t *cut, bn_error *err);

/* .jsonl: one document per non-blank line; errors name path and line. */
bn_status bn_corpus_parse_jsonl(bn_corpus_parsed *p, const char *path, const char *raw,
                                size_t have, int eof, const bn_corpus_opts *o, size_t *cut,
                                bn_error *err);

void bn_corpus_parsed_free(bn_corpus_parsed *p);

#endif
