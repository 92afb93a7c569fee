/* corpus.c - a corpus read in blocks of whole documents (README, "Preparing a corpus").
 *
 * A block is the text that fits in the buffer, cut after its last whole unit (a separator
 * line for .txt documents, a line otherwise); the rest moves to the front for the next
 * block. A buffer that holds no whole unit grows until it does. */
#include <stdlib.h>
#include <string.h>

#include "io/corpus.h"
#include "io/corpus_parse.h"
#include "io/corpus_stream.h"

struct bn_corpus {
    const bn_corpus_files *files;
    bn_corpus_opts o;
    int cur;                  /* the file being read (files->n: all done) */
    bn_corpus_stream *s;      /* its stream, NULL before it is opened */
    int eof;                  /* the stream has given all its text */
    char *raw;                /* raw[0 .. have) read, raw[0 .. used) given out */
    size_t cap, have, used;
    bn_corpus_parsed p;       /* the block's entries */
    long long *file_bytes;
    long long bytes, disk_done; /* text read; disk bytes of the files finished */
};

bn_status bn_corpus_open(bn_corpus **out, const bn_corpus_files *files,
                         const bn_corpus_opts *opts, bn_error *err)
{
    bn_corpus *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory");
    c->files = files;
    c->o = *opts;
    c->cap = opts->block_bytes ? opts->block_bytes : BN_CORPUS_BLOCK_BYTES;
    c->raw = malloc(c->cap);
    c->file_bytes = calloc((size_t)files->n + 1, sizeof *c->file_bytes);
    if (!c->raw || !c->file_bytes) {
        bn_corpus_close(c);
        return bn_fail(err, BN_ERR_NOMEM, "out of memory");
    }
    *out = c;
    return BN_OK;
}

/* Fill raw up to cap from the current file (opening it first). */
static bn_status fill(bn_corpus *c, bn_error *err)
{
    const bn_corpus_file *f = &c->files->files[c->cur];
    if (!c->s) {
        bn_status st = bn_corpus_stream_open(&c->s, f->path, f->compression, err);
        if (st != BN_OK)
            return st;
        c->eof = 0;
        c->p.line = 0;
    }
    while (!c->eof && c->have < c->cap) {
        size_t got;
        bn_status st = bn_corpus_stream_read(c->s, c->raw + c->have, c->cap - c->have, &got,
                                             err);
        if (st != BN_OK)
            return st;
        c->have += got;
        c->bytes += (long long)got;
        c->file_bytes[c->cur] += (long long)got;
        c->eof = got == 0; /* a short read may be a cap on one call (stream_read) */
    }
    return BN_OK;
}

static bn_status grow(bn_corpus *c, bn_error *err)
{
    char *r = c->cap <= ((size_t)-1) / 2 ? realloc(c->raw, 2 * c->cap) : NULL;
    if (!r)
        return bn_fail(err, BN_ERR_NOMEM, "%s: a document too long for memory",
                       c->files->files[c->cur].path);
    c->raw = r;
    c->cap *= 2;
    return BN_OK;
}

/* The file is read and its text given out: on to the next. */
static void next_file(bn_corpus *c)
{
    c->disk_done += bn_corpus_stream_disk(c->s);
    bn_corpus_stream_close(c->s);
    c->s = NULL;
    c->cur++;
}

/* Parse whole units of raw[0 .. have) into c->p; *cut is where they end (0: none). */
static bn_status parse(bn_corpus *c, size_t *cut, bn_error *err)
{
    const bn_corpus_file *f = &c->files->files[c->cur];
    if (f->format == BN_CORPUS_JSONL)
        return bn_corpus_parse_jsonl(&c->p, f->path, c->raw, c->have, c->eof, &c->o, cut,
                                     err);
    if (c->o.mode == BN_CORPUS_LINES)
        return bn_corpus_parse_lines(&c->p, c->raw, c->have, c->eof, cut, err);
    return bn_corpus_parse_txt(&c->p, c->raw, c->have, c->eof, cut, err);
}

/* Read and parse until a block has entries or the current file is done. */
static bn_status step(bn_corpus *c, bn_error *err)
{
    memmove(c->raw, c->raw + c->used, c->have - c->used);
    c->have -= c->used;
    c->used = 0;
    for (;;) {
        bn_status st = fill(c, err);
        size_t cut = 0;
        if (st == BN_OK)
            st = parse(c, &cut, err);
        if (st != BN_OK)
            return st;
        if (cut > 0 || c->eof) {
            c->used = cut;
            return BN_OK;
        }
        if ((st = grow(c, err)) != BN_OK)
            return st;
    }
}

bn_status bn_corpus_next(bn_corpus *c, bn_corpus_block *b, bn_error *err)
{
    memset(b, 0, sizeof *b);
    while (c->cur < c->files->n) {
        bn_status st = step(c, err);
        if (st != BN_OK)
            return st;
        b->file = c->cur;
        if (c->eof && c->used == c->have)
            next_file(c);
        if (c->p.n > 0) {
            b->text = c->p.decoded ? c->p.text : c->raw;
            b->text_len = c->p.decoded ? c->p.text_len : c->used;
            b->off = c->p.off;
            b->len = c->p.len;
            b->n = c->p.n;
            return BN_OK;
        }
    }
    return BN_OK;
}

long long bn_corpus_bytes(const bn_corpus *c)
{
    return c->bytes;
}

long long bn_corpus_disk_bytes(const bn_corpus *c)
{
    return c->disk_done + (c->s ? bn_corpus_stream_disk(c->s) : 0);
}

long long bn_corpus_file_bytes(const bn_corpus *c, int i)
{
    return i >= 0 && i < c->files->n ? c->file_bytes[i] : 0;
}

void bn_corpus_close(bn_corpus *c)
{
    if (!c)
        return;
    bn_corpus_stream_close(c->s);
    bn_corpus_parsed_free(&c->p);
    free(c->file_bytes);
    free(c->raw);
    free(c);
}
