/* corpus_stream.h - a corpus file's bytes, decompressed on the fly (gzip through zlib,
 * zstd through libzstd, or plain); used by io/corpus.c only. */
#ifndef BN_CORPUS_STREAM_H
#define BN_CORPUS_STREAM_H

#include <stddef.h>

#include "base/error.h"
#include "io/corpus.h"

typedef struct bn_corpus_stream bn_corpus_stream;

bn_status bn_corpus_stream_open(bn_corpus_stream **out, const char *path,
                                bn_corpus_compression comp, bn_error *err);

/* Read up to cap bytes of text; *got < cap only at the end of the file. A corrupt or cut
 * compressed file is BN_ERR_INPUT naming it. */
bn_status bn_corpus_stream_read(bn_corpus_stream *s, char *buf, size_t cap, size_t *got,
                                bn_error *err);

/* Bytes of the file read from disk so far. */
long long bn_corpus_stream_disk(const bn_corpus_stream *s);

void bn_corpus_stream_close(bn_corpus_stream *s);

#endif
