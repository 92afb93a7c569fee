/* corpus.h - reading a text corpus as documents, in bounded blocks (README, "Preparing a
 * corpus"). Shared by `prepare` (documents) and `tokenizer train` (lines).
 *
 * Inputs are files and directories. A directory is walked recursively in name order
 * (strcmp), hidden entries skipped, and only files with a known name are taken: .txt,
 * .jsonl, and either compressed with gzip (.txt.gz, .jsonl.gz) or zstd (.txt.zst,
 * .jsonl.zst). A file named directly is read whatever its name: compressed when it ends in
 * .gz / .zst, JSON lines when the name before that ends in .jsonl, else text; it may be a
 * pipe (/dev/stdin, a FIFO: its size counts as 0).
 *
 * Documents:
 *   .txt    separated by lines that are exactly "<|endoftext|>" (a trailing "\r" allowed),
 *           as the TinyStories files are; each stripped of surrounding ASCII whitespace.
 *   .jsonl  one JSON object per line, the document its string field "text", else "story"
 *           (or the field named in the options); blank lines skipped; stripped the same.
 * Empty documents are skipped. Memory is bounded by the block size (a document longer than
 * a block grows it), never by the corpus. */
#ifndef BN_CORPUS_H
#define BN_CORPUS_H

#include <stddef.h>

#include "base/error.h"

#define BN_CORPUS_BLOCK_BYTES (32u << 20) /* default bytes of text per block */

typedef enum { BN_CORPUS_TXT, BN_CORPUS_JSONL } bn_corpus_format;
typedef enum { BN_CORPUS_PLAIN, BN_CORPUS_GZIP, BN_CORPUS_ZSTD } bn_corpus_compression;

typedef struct {
    char *path;              /* as given, directories expanded ("dir/sub/x.txt") */
    long long disk_bytes;    /* the file's size on disk (0 for a pipe) */
    bn_corpus_format format;
    bn_corpus_compression compression;
} bn_corpus_file;

/* The input files, in reading order. Zero-initialize, add, free. */
typedef struct {
    bn_corpus_file *files;
    int n, cap;
    long long disk_bytes;    /* sum over the files */
} bn_corpus_files;

/* Add a file or a directory's corpus files. A path that does not exist or cannot be read
 * is BN_ERR_INPUT "<path>: cannot open: <reason>"; so is anything else that is not a
 * regular file or directory. */
bn_status bn_corpus_files_add(bn_corpus_files *l, const char *path, bn_error *err);
void bn_corpus_files_free(bn_corpus_files *l);

/* A name's format and compression as described above; returns 1 when the name is one a
 * directory walk takes, 0 when it is read as plain text only because it was named. */
int bn_corpus_kind(const char *name, bn_corpus_format *format, bn_corpus_compression *comp);

typedef enum {
    BN_CORPUS_DOCUMENTS, /* one document per entry, stripped, empty ones skipped */
    BN_CORPUS_LINES      /* the text as a tokenizer trainer counts it: .txt verbatim, cut at
                            line ends (separator lines included); .jsonl each document's
                            text, unstripped, with a "\n" added when it has none */
} bn_corpus_mode;

typedef struct {
    bn_corpus_mode mode;
    const char *field;   /* .jsonl: the document's field; NULL: "text", else "story" */
    size_t block_bytes;  /* text per block; 0: BN_CORPUS_BLOCK_BYTES */
} bn_corpus_opts;

/* A block: entry i is text[off[i] .. off[i] + len[i]). A block never spans two files.
 * In BN_CORPUS_LINES mode the entries are back to back, text[0 .. text_len) is all of
 * them, and every entry ends in "\n" except possibly a file's last. Valid until the
 * next bn_corpus_next or bn_corpus_close. */
typedef struct {
    const char *text;
    size_t text_len;
    const size_t *off, *len;
    size_t n;            /* 0: the corpus is done */
    int file;            /* index into the bn_corpus_files */
} bn_corpus_block;

typedef struct bn_corpus bn_corpus;

/* A reader over files (kept by the caller, unchanged, until close). */
bn_status bn_corpus_open(bn_corpus **out, const bn_corpus_files *files,
                         const bn_corpus_opts *opts, bn_error *err);

/* The next block, or n == 0 at the end. Errors name the file (and line for .jsonl):
 * "<path>:<line>: not a JSON object: ...", "<path>: corrupt gzip data: ...",
 * "<path>: truncated zstd data", ... (BN_ERR_INPUT). */
bn_status bn_corpus_next(bn_corpus *c, bn_corpus_block *b, bn_error *err);

/* Bytes read so far: of text (uncompressed), and of the files on disk. */
long long bn_corpus_bytes(const bn_corpus *c);
long long bn_corpus_disk_bytes(const bn_corpus *c);
/* Text bytes read so far from file i (all of it once the reader has moved past it). */
long long bn_corpus_file_bytes(const bn_corpus *c, int i);

void bn_corpus_close(bn_corpus *c);

#endif
