/* corpus_stream.c - plain, gzip and zstd corpus files as one stream of text bytes. */
#include "io/corpus_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#define IN_BYTES (256u << 10) /* compressed bytes read at a time */

struct bn_corpus_stream {
    const char *path;
    bn_corpus_compression comp;
    FILE *f;
    long long disk;
    unsigned char *in;        /* compressed input, in[in_pos .. in_len) not yet used */
    size_t in_pos, in_len;
    int in_eof;               /* the file has no more bytes */
    int done;                 /* the stream's text is all delivered */
    z_stream z;
    int z_live;               /* inflateInit2 succeeded */
    int z_member;             /* inside a gzip member (its end not yet seen) */
    ZSTD_DStream *zs;
    size_t zs_left;           /* the last ZSTD_decompressStream result: 0 = a frame ended */
};

/* More compressed input when what is buffered is used up. */
static bn_status fill_in(bn_corpus_stream *s, bn_error *err)
{
    if (s->in_pos < s->in_len || s->in_eof)
        return BN_OK;
    s->in_len = fread(s->in, 1, IN_BYTES, s->f);
    s->in_pos = 0;
    s->disk += (long long)s->in_len;
    if (s->in_len < IN_BYTES) {
        if (ferror(s->f))
            return bn_fail(err, BN_ERR_INPUT, "%s: read error: %s", s->path, strerror(errno));
        s->in_eof = 1;
    }
    return BN_OK;
}

static bn_status read_plain(bn_corpus_stream *s, char *buf, size_t cap, size_t *got,
                            bn_error *err)
{
    *got = fread(buf, 1, cap, s->f);
    s->disk += (long long)*got;
    if (*got < cap && ferror(s->f))
        return bn_fail(err, BN_ERR_INPUT, "%s: read error: %s", s->path, strerror(errno));
    return BN_OK;
}

/* One inflate step; a member's end starts the next one when more input follows (gzip
 * files may hold several members, as `cat a.gz b.gz` makes). */
static bn_status inflate_step(bn_corpus_stream *s, bn_error *err)
{
    s->z.next_in = s->in + s->in_pos;
    s->z.avail_in = (uInt)(s->in_len - s->in_pos);
    int r = inflate(&s->z, Z_NO_FLUSH);
    s->in_pos = s->in_len - s->z.avail_in;
    if (r == Z_STREAM_END) {
        s->z_member = 0;
        return inflateReset(&s->z) == Z_OK ? BN_OK
                                           : bn_fail(err, BN_ERR_NOMEM, "out of memory");
    }
    if (r == Z_OK || r == Z_BUF_ERROR) {
        s->z_member = 1;
        return BN_OK;
    }
    if (r == Z_MEM_ERROR)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory inflating", s->path);
    return bn_fail(err, BN_ERR_INPUT, "%s: corrupt gzip data: %s", s->path,
                   s->z.msg ? s->z.msg : "bad stream");
}

static bn_status read_gzip(bn_corpus_stream *s, char *buf, size_t cap, size_t *got,
                           bn_error *err)
{
    s->z.next_out = (unsigned char *)buf;
    s->z.avail_out = (uInt)cap;
    while (s->z.avail_out > 0) {
        bn_status st = fill_in(s, err);
        if (st != BN_OK)
            return st;
        if (s->in_pos == s->in_len && s->in_eof) {
            if (s->z_member || s->disk == 0)
                return bn_fail(err, BN_ERR_INPUT, "%s: truncated gzip data", s->path);
            break;
        }
        if ((st = inflate_step(s, err)) != BN_OK)
            return st;
    }
    *got = cap - s->z.avail_out;
    return BN_OK;
}

static bn_status read_zstd(bn_corpus_stream *s, char *buf, size_t cap, size_t *got,
                           bn_error *err)
{
    ZSTD_outBuffer out = {buf, cap, 0};
    while (out.pos < out.size) {
        bn_status st = fill_in(s, err);
        if (st != BN_OK)
            return st;
        if (s->in_pos == s->in_len && s->in_eof && s->zs_left == 0)
            break;
        ZSTD_inBuffer in = {s->in, s->in_len, s->in_pos};
        size_t r = ZSTD_decompressStream(s->zs, &out, &in);
        s->in_pos = in.pos;
        if (ZSTD_isError(r))
            return bn_fail(err, BN_ERR_INPUT, "%s: corrupt zstd data: %s", s->path,
                           ZSTD_getErrorName(r));
        s->zs_left = r;
        /* no input left, none to come, and the frame still wants some */
        if (r != 0 && s->in_pos == s->in_len && s->in_eof && out.pos < out.size)
            return bn_fail(err, BN_ERR_INPUT, "%s: truncated zstd data", s->path);
    }
    *got = out.pos;
    return BN_OK;
}

bn_status bn_corpus_stream_read(bn_corpus_stream *s, char *buf, size_t cap, size_t *got,
                                bn_error *err)
{
    *got = 0;
    if (s->done || cap == 0)
        return BN_OK;
    if (cap > (1u << 30))
        cap = 1u << 30; /* zlib counts in uInt */
    bn_status st = s->comp == BN_CORPUS_GZIP   ? read_gzip(s, buf, cap, got, err)
                   : s->comp == BN_CORPUS_ZSTD ? read_zstd(s, buf, cap, got, err)
                                               : read_plain(s, buf, cap, got, err);
    if (st == BN_OK && *got < cap)
        s->done = 1;
    return st;
}

static bn_status start_decoder(bn_corpus_stream *s, bn_error *err)
{
    if (s->comp == BN_CORPUS_PLAIN)
        return BN_OK;
    if (!(s->in = malloc(IN_BYTES)))
        return bn_fail(err, BN_ERR_NOMEM, "out of memory");
    if (s->comp == BN_CORPUS_ZSTD) {
        s->zs = ZSTD_createDStream();
        s->zs_left = 1; /* nothing decoded yet: an empty file is a cut frame */
        return s->zs ? BN_OK : bn_fail(err, BN_ERR_NOMEM, "out of memory");
    }
    /* 15 + 32: a gzip (or zlib) header, found automatically */
    if (inflateInit2(&s->z, 15 + 32) != Z_OK)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory");
    s->z_live = 1;
    return BN_OK;
}

bn_status bn_corpus_stream_open(bn_corpus_stream **out, const char *path,
                                bn_corpus_compression comp, bn_error *err)
{
    bn_corpus_stream *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory");
    s->path = path;
    s->comp = comp;
    if (!(s->f = fopen(path, "rb"))) {
        bn_status st = bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
        free(s);
        return st;
    }
    bn_status st = start_decoder(s, err);
    if (st != BN_OK) {
        bn_corpus_stream_close(s);
        return st;
    }
    *out = s;
    return BN_OK;
}

long long bn_corpus_stream_disk(const bn_corpus_stream *s)
{
    return s->disk;
}

void bn_corpus_stream_close(bn_corpus_stream *s)
{
    if (!s)
        return;
    if (s->z_live)
        inflateEnd(&s->z);
    ZSTD_freeDStream(s->zs);
    free(s->in);
    fclose(s->f);
    free(s);
}
