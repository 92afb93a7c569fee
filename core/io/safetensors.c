/* safetensors.c - reading and writing the safetensors format (see safetensors.h). */
#include "io/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

/* Tensor data goes to and from disk as raw host-order bytes, and safetensors data is
 * little-endian: this file is only correct on little-endian hosts (x86-64, arm64). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c assumes a little-endian host"
#endif

#define MAX_HEADER_BYTES ((uint64_t)100 * 1024 * 1024)
#define DTYPE_BYTES 4                    /* F32 and I32 alike */
#define METADATA_KEY "__metadata__"

static const char *dtype_name(bn_dtype dtype) { return dtype == BN_DTYPE_I32 ? "I32" : "F32"; }

/* Bytes a shape needs; -1 if a dimension is negative or the count overflows. */
static int shape_bytes(const int64_t *shape, int ndim, size_t *bytes)
{
    size_t n = DTYPE_BYTES;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return -1;
        if (shape[i] != 0 && n > SIZE_MAX / (uint64_t)shape[i])
            return -1;
        n *= (size_t)shape[i];
    }
    *bytes = n;
    return 0;
}

/* "[a, b]" into buf. */
static void format_shape(char *buf, size_t cap, const int64_t *shape, int ndim)
{
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%" PRId64, i ? ", " : "", shape[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, "]");
}

/* ================================================================== writing */

/* A tensor the caller asked us to write must be one we can read back. */
static bn_status check_write_tensor(const char *path, const bn_st_tensor *t, int filled,
                                    bn_error *err)
{
    if (!t->name || strcmp(t->name, METADATA_KEY) == 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot write a tensor named %s", path,
                       t->name ? t->name : "(null)");
    if (t->dtype != BN_DTYPE_F32 && t->dtype != BN_DTYPE_I32)
        return bn_fail(err, BN_ERR_INPUT, "%s: tensor %s has an unknown dtype", path, t->name);
    if (t->ndim < 0 || t->ndim > BN_ST_MAX_DIMS)
        return bn_fail(err, BN_ERR_INPUT, "%s: tensor %s has %d dimensions (at most %d)", path,
                       t->name, t->ndim, BN_ST_MAX_DIMS);
    size_t bytes;
    char shape[128];
    format_shape(shape, sizeof shape, t->shape, t->ndim);
    if (shape_bytes(t->shape, t->ndim, &bytes) < 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: tensor %s has invalid shape %s", path, t->name,
                       shape);
    if (bytes != t->nbytes)
        return bn_fail(err, BN_ERR_INPUT, "%s: tensor %s has %zu bytes but shape %s needs %zu",
                       path, t->name, t->nbytes, shape, bytes);
    if (bytes && !t->data && !filled)
        return bn_fail(err, BN_ERR_INPUT, "%s: tensor %s has no data", path, t->name);
    return BN_OK;
}

/* __metadata__: a map of strings; a key given twice would silently lose a value. */
static bn_status header_metadata(const char *path, json_t *root, const bn_st_meta *meta,
                                 int n_meta, bn_error *err)
{
    json_t *obj = json_object();
    if (!obj || json_object_set_new(root, METADATA_KEY, obj) != 0)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    for (int i = 0; i < n_meta; i++) {
        if (json_object_get(obj, meta[i].key))
            return bn_fail(err, BN_ERR_INPUT, "%s: metadata key %s given twice", path,
                           meta[i].key);
        json_t *v = json_string(meta[i].value);
        if (!v || json_object_set_new(obj, meta[i].key, v) != 0)
            return bn_fail(err, BN_ERR_INPUT,
                           "%s: metadata %s: key and value must be UTF-8 text", path,
                           meta[i].key);
    }
    return BN_OK;
}

static json_t *shape_array(const bn_st_tensor *t)
{
    json_t *a = json_array();
    for (int d = 0; a && d < t->ndim; d++)
        if (json_array_append_new(a, json_integer((json_int_t)t->shape[d])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* {"dtype": ..., "shape": [...], "data_offsets": [begin, end]} under the tensor's name. */
static bn_status header_tensor(const char *path, json_t *root, const bn_st_tensor *t,
                               size_t begin, bn_error *err)
{
    if (json_object_get(root, t->name))
        return bn_fail(err, BN_ERR_INPUT, "%s: tensor %s given twice", path, t->name);
    json_t *shape = shape_array(t);
    json_t *entry = shape ? json_pack("{s:s, s:o, s:[I, I]}", "dtype", dtype_name(t->dtype),
                                      "shape", shape, "data_offsets", (json_int_t)begin,
                                      (json_int_t)(begin + t->nbytes))
                          : NULL;
    if (!entry)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    if (json_object_set_new(root, t->name, entry) != 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: tensor name %s is not UTF-8 text", path,
                       t->name);
    return BN_OK;
}

/* The header object: __metadata__ first (when there is any), then the tensors in order,
 * their data packed one after another. */
static bn_status header_object(const char *path, const bn_st_tensor *tensors, int n_tensors,
                               const bn_st_meta *meta, int n_meta, json_t *root, bn_error *err)
{
    bn_status st = n_meta > 0 ? header_metadata(path, root, meta, n_meta, err) : BN_OK;
    size_t offset = 0;
    for (int i = 0; i < n_tensors && st == BN_OK; i++) {
        st = header_tensor(path, root, &tensors[i], offset, err);
        offset += tensors[i].nbytes;
    }
    return st;
}

/* The header text (compact JSON), padded with spaces to a multiple of 8 bytes so the data
 * section (and every tensor, all sizes being multiples of 4) stays aligned. */
static bn_status build_header(const char *path, const bn_st_tensor *tensors, int n_tensors,
                              const bn_st_meta *meta, int n_meta, char **text, size_t *len,
                              bn_error *err)
{
    *text = NULL;
    json_t *root = json_object();
    if (!root)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    bn_status st = header_object(path, tensors, n_tensors, meta, n_meta, root, err);
    char *json = st == BN_OK ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (st != BN_OK)
        return st;
    size_t n = json ? strlen(json) : 0, padded = (n + 7) / 8 * 8;
    char *buf = json ? realloc(json, padded + 1) : NULL;
    if (!buf) {
        free(json);
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    }
    memset(buf + n, ' ', padded - n);
    buf[padded] = '\0';
    *text = buf;
    *len = padded;
    return BN_OK;
}

static int write_bytes(FILE *f, const void *data, size_t n)
{
    return n == 0 || fwrite(data, 1, n, f) == n ? 0 : -1;
}

/* Where the data section comes from: the tensors' buffers, or (fill not NULL) fill's
 * pieces; status is fill's failure (its message in err). */
typedef struct {
    const bn_st_tensor *tensors;
    int n_tensors;
    bn_st_fill_fn fill;
    void *ctx;
    bn_error *err;
    bn_status status;
} data_source;

#define FILL_PIECE ((size_t)4 << 20) /* bytes per fill call: a bounded buffer */

/* The data section from fill, in pieces; -1 on a write error, -2 when fill failed. */
static int write_filled(FILE *f, data_source *src)
{
    size_t total = 0;
    for (int i = 0; i < src->n_tensors; i++)
        total += src->tensors[i].nbytes;
    unsigned char *buf = malloc(total < FILL_PIECE ? (total ? total : 1) : FILL_PIECE);
    if (!buf) {
        src->status = bn_fail(src->err, BN_ERR_NOMEM, "out of memory for a write buffer");
        return -2;
    }
    int rc = 0;
    for (size_t at = 0; rc == 0 && at < total; at += FILL_PIECE) {
        size_t n = total - at < FILL_PIECE ? total - at : FILL_PIECE;
        if ((src->status = src->fill(src->ctx, at, buf, n, src->err)) != BN_OK)
            rc = -2;
        else if (write_bytes(f, buf, n) < 0)
            rc = -1;
    }
    free(buf);
    return rc;
}

/* Length prefix, header and data into an open file, then flush it to disk. */
static int write_contents(FILE *f, const char *header, size_t header_len, data_source *src)
{
    unsigned char prefix[8];
    for (int i = 0; i < 8; i++)
        prefix[i] = (unsigned char)((uint64_t)header_len >> (8 * i));
    if (write_bytes(f, prefix, 8) < 0 || write_bytes(f, header, header_len) < 0)
        return -1;
    if (src->fill) {
        int rc = write_filled(f, src);
        if (rc < 0)
            return rc;
    }
    for (int i = 0; !src->fill && i < src->n_tensors; i++)
        if (write_bytes(f, src->tensors[i].data, src->tensors[i].nbytes) < 0)
            return -1;
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        return -1;
    return 0;
}

/* Write to "<path>.tmp" and rename it over path; on failure remove the tmp file. */
static bn_status write_atomically(const char *path, const char *header, size_t header_len,
                                  data_source *src, bn_error *err)
{
    size_t n = strlen(path) + sizeof ".tmp";
    char *tmp = malloc(n);
    if (!tmp)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    snprintf(tmp, n, "%s.tmp", path);
    const char *failed = NULL; /* the step that failed, and its errno */
    int saved = 0;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        failed = "cannot create";
        saved = errno;
    } else {
        int rc = write_contents(f, header, header_len, src);
        if (rc == -2)
            failed = ""; /* fill failed: src->status, its message in err */
        else if (rc < 0) {
            failed = "cannot write";
            saved = errno;
        }
        /* fclose can be where a delayed write error shows up. */
        if (fclose(f) != 0 && !failed) {
            failed = "cannot write";
            saved = errno;
        }
    }
    if (!failed && rename(tmp, path) != 0) {
        failed = "cannot rename into place";
        saved = errno;
    }
    if (failed)
        remove(tmp);
    free(tmp);
    if (failed && !*failed)
        return src->status;
    if (failed)
        return bn_fail(err, BN_ERR_IO, "%s: %s: %s", path, failed,
                       strerror(saved ? saved : EIO));
    return BN_OK;
}

bn_status bn_st_write(const char *path, const bn_st_tensor *tensors, int n_tensors,
                      const bn_st_meta *meta, int n_meta, bn_error *err)
{
    return bn_st_write_filled(path, tensors, n_tensors, meta, n_meta, NULL, NULL, err);
}

bn_status bn_st_write_filled(const char *path, const bn_st_tensor *tensors, int n_tensors,
                             const bn_st_meta *meta, int n_meta, bn_st_fill_fn fill, void *ctx,
                             bn_error *err)
{
    if (!path || !*path)
        return bn_fail(err, BN_ERR_INPUT, "safetensors: empty output path");
    for (int i = 0; i < n_tensors; i++) {
        bn_status st = check_write_tensor(path, &tensors[i], fill != NULL, err);
        if (st != BN_OK)
            return st;
    }
    for (int i = 0; i < n_meta; i++)
        if (!meta[i].key || !meta[i].value)
            return bn_fail(err, BN_ERR_INPUT, "%s: metadata entry %d has no key or value",
                           path, i);
    char *header;
    size_t header_len = 0;
    bn_status st = build_header(path, tensors, n_tensors, meta, n_meta, &header, &header_len,
                                err);
    data_source src = {tensors, n_tensors, fill, ctx, err, BN_OK};
    if (st == BN_OK)
        st = write_atomically(path, header, header_len, &src, err);
    free(header);
    return st;
}

/* ================================================================== reading */

/* Where one tensor's bytes sit in the data section. */
typedef struct {
    size_t begin, end;
    const char *name;
} span;

/* n bytes at offset `at` of fd into dst; 0 when all came, else errno (0 for end of file). */
static int read_at(int fd, void *dst, size_t n, size_t at, int *eof)
{
    *eof = 0;
    for (size_t done = 0; done < n;) {
        ssize_t got = pread(fd, (char *)dst + done, n - done, (off_t)(at + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return errno;
        if (got == 0) {
            *eof = 1;
            return 0;
        }
        done += (size_t)got;
    }
    return 0;
}

/* Where the file cannot be mapped: read it whole, the way it was before mapping. */
static bn_status read_whole_file(bn_st_file *file, int fd, bn_error *err)
{
    const char *path = file->path;
    file->bytes = malloc(file->size + 1); /* +1: malloc(0) may return NULL */
    if (!file->bytes)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory (%zu bytes)", path, file->size);
    int eof, e = read_at(fd, file->bytes, file->size, 0, &eof);
    if (e || eof)
        return bn_fail(err, BN_ERR_IO, "%s: cannot read: %s", path,
                       e ? strerror(e) : "file shrank while reading");
    return BN_OK;
}

/* Map the file read-only (README, "Runs on disk"): loading costs no copy of it, and the
 * loader copies each tensor into its slab with bn_st_copy. Its size comes from fstat before
 * anything is read, and every check below holds against that size. */
static bn_status open_file(bn_st_file *file, bn_error *err)
{
    const char *path = file->path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    bn_status st = BN_OK;
    if (fstat(fd, &sb) != 0)
        st = bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        st = bn_fail(err, BN_ERR_INPUT, "%s: cannot open: not a regular file", path);
    else if ((uint64_t)sb.st_size > SIZE_MAX - 1)
        st = bn_fail(err, BN_ERR_INPUT, "%s: cannot open: file too large", path);
    if (st != BN_OK) {
        close(fd);
        return st;
    }
    file->size = (size_t)sb.st_size;
    void *map = file->size ? mmap(NULL, file->size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    if (map != MAP_FAILED) {
        file->bytes = map;
        file->mapped = 1;
        file->fd = fd;
        return BN_OK;
    }
    st = read_whole_file(file, fd, err);
    close(fd);
    return st;
}

/* The 8-byte length prefix; the header must fit inside the file. */
static bn_status read_header_length(const bn_st_file *file, size_t *header_len, bn_error *err)
{
    const char *path = file->path;
    if (file->size < 8)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a safetensors file (only %zu bytes, too short for a header)",
                       path, file->size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | file->bytes[i];
    if (n > MAX_HEADER_BYTES)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a safetensors file (header length %" PRIu64
                       " exceeds the 100 MB limit)",
                       path, n);
    /* A plausible length with a '{' after it is a real header cut short. */
    if (n > file->size - 8 && file->size > 8 && file->bytes[8] == '{')
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: truncated (header length %" PRIu64
                       ", but only %zu bytes follow the length prefix)",
                       path, n, file->size - 8);
    if (n > file->size - 8)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a safetensors file (header length %" PRIu64
                       " exceeds file size %zu)",
                       path, n, file->size);
    *header_len = (size_t)n;
    return BN_OK;
}

/* A JSON integer >= 0 (offsets and dimensions; a real such as 4.0 is not one). */
static int read_count(const json_t *node, uint64_t *out)
{
    if (!json_is_integer(node) || json_integer_value(node) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(node);
    return 0;
}

static bn_status read_dtype(const char *path, const char *name, const json_t *node,
                            bn_dtype *dtype, bn_error *err)
{
    const char *s = json_string_value(node);
    if (!s)
        return bn_fail(err, BN_ERR_INPUT, "%s: not a safetensors file (tensor %s has no dtype)",
                       path, name);
    if (strcmp(s, "F32") == 0)
        *dtype = BN_DTYPE_F32;
    else if (strcmp(s, "I32") == 0)
        *dtype = BN_DTYPE_I32;
    else
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: tensor %s has unsupported dtype %s (only F32 and I32 are supported)",
                       path, name, s);
    return BN_OK;
}

static bn_status read_shape(const char *path, const char *name, const json_t *node,
                            bn_st_tensor *t, bn_error *err)
{
    if (!json_is_array(node) || json_array_size(node) > BN_ST_MAX_DIMS)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a safetensors file (tensor %s: shape must be an array of at "
                       "most %d dimensions)",
                       path, name, BN_ST_MAX_DIMS);
    t->ndim = 0;
    size_t i;
    const json_t *d;
    json_array_foreach(node, i, d) {
        uint64_t v;
        if (read_count(d, &v) < 0)
            return bn_fail(err, BN_ERR_INPUT,
                           "%s: not a safetensors file (tensor %s: shape entries must be "
                           "non-negative integers)",
                           path, name);
        t->shape[t->ndim++] = (int64_t)v;
    }
    return BN_OK;
}

static bn_status read_offsets(const char *path, const char *name, const json_t *node,
                              span *sp, bn_error *err)
{
    uint64_t begin, end;
    if (!json_is_array(node) || json_array_size(node) != 2 ||
        read_count(json_array_get(node, 0), &begin) < 0 ||
        read_count(json_array_get(node, 1), &end) < 0 || begin > end || end > SIZE_MAX)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a safetensors file (tensor %s: data_offsets must be [begin, "
                       "end] with 0 <= begin <= end)",
                       path, name);
    sp->begin = (size_t)begin;
    sp->end = (size_t)end;
    sp->name = name;
    return BN_OK;
}

/* One tensor's header entry: dtype, shape and offsets, consistent with each other. */
static bn_status read_tensor(const char *path, const json_t *entry, bn_st_tensor *t, span *sp,
                             bn_error *err)
{
    const char *name = t->name;
    if (!json_is_object(entry))
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a safetensors file (entry %s is not an object)", path, name);
    bn_status st = read_dtype(path, name, json_object_get(entry, "dtype"), &t->dtype, err);
    if (st == BN_OK)
        st = read_shape(path, name, json_object_get(entry, "shape"), t, err);
    if (st == BN_OK)
        st = read_offsets(path, name, json_object_get(entry, "data_offsets"), sp, err);
    if (st != BN_OK)
        return st;
    char shape[128];
    format_shape(shape, sizeof shape, t->shape, t->ndim);
    if (shape_bytes(t->shape, t->ndim, &t->nbytes) < 0 || t->nbytes != sp->end - sp->begin)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a safetensors file (tensor %s: shape %s does not match "
                       "data_offsets [%zu, %zu])",
                       path, name, shape, sp->begin, sp->end);
    return BN_OK;
}

/* Bytes needed to copy every root key and, inside __metadata__, every key and value. */
static size_t strings_size(const json_t *root)
{
    size_t n = 0;
    const char *key, *k;
    const json_t *value, *v;
    json_object_foreach((json_t *)root, key, value) {
        n += strlen(key) + 1;
        if (strcmp(key, METADATA_KEY) != 0 || !json_is_object(value))
            continue;
        json_object_foreach((json_t *)value, k, v)
            n += strlen(k) + 1 + (json_is_string(v) ? json_string_length(v) + 1 : 0);
    }
    return n;
}

/* Copy s into the string pool at *cursor and advance it. */
static const char *pool_copy(char **cursor, const char *s)
{
    size_t n = strlen(s) + 1;
    char *dst = memcpy(*cursor, s, n);
    *cursor += n;
    return dst;
}

static bn_status read_metadata(bn_st_file *file, const json_t *node, char **cursor,
                               bn_error *err)
{
    if (!json_is_object(node))
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a safetensors file (__metadata__ is not an object)", file->path);
    size_t n = json_object_size(node);
    file->meta = calloc(n ? n : 1, sizeof *file->meta);
    if (!file->meta)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", file->path);
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)node, key, value) {
        if (!json_is_string(value))
            return bn_fail(err, BN_ERR_INPUT,
                           "%s: not a safetensors file (__metadata__ value for %s is not a "
                           "string)",
                           file->path, key);
        bn_st_meta *m = &file->meta[file->n_meta++];
        m->key = pool_copy(cursor, key);
        m->value = pool_copy(cursor, json_string_value(value));
    }
    return BN_OK;
}

/* Walk the header's members in file order: metadata and tensors, copying names into
 * file->strings. (Duplicate names were refused by the parser.) */
static bn_status index_header(bn_st_file *file, const json_t *root, span *spans,
                              bn_error *err)
{
    file->strings = malloc(strings_size(root) + 1);
    if (!file->strings)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", file->path);
    char *cursor = file->strings;
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)root, key, value) {
        bn_status st;
        if (strcmp(key, METADATA_KEY) == 0) {
            st = read_metadata(file, value, &cursor, err);
        } else {
            bn_st_tensor *t = &file->tensors[file->n_tensors];
            t->name = pool_copy(&cursor, key);
            st = read_tensor(file->path, value, t, &spans[file->n_tensors], err);
            file->n_tensors++;
        }
        if (st != BN_OK)
            return st;
    }
    return BN_OK;
}

static int compare_spans(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* Every tensor must end inside the data section. */
static bn_status check_data_size(const bn_st_file *file, const span *spans, size_t data_size,
                                 bn_error *err)
{
    size_t max_end = 0;
    for (int i = 0; i < file->n_tensors; i++)
        max_end = spans[i].end > max_end ? spans[i].end : max_end;
    if (max_end > data_size)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: truncated (header says %zu bytes of data, file has %zu)",
                       file->path, max_end, data_size);
    return BN_OK;
}

/* The spec's layout rule: the tensors' bytes tile the data section exactly, with no two
 * sharing a byte (overlap) and no byte left to none (a hole, or bytes after the last
 * tensor), so a file cannot carry hidden content. Empty tensors hold no bytes and may sit
 * anywhere. Sorts spans by begin. */
static bn_status check_layout(const bn_st_file *file, span *spans, size_t data_size,
                              bn_error *err)
{
    size_t n = (size_t)file->n_tensors, covered = 0;
    qsort(spans, n, sizeof *spans, compare_spans);
    const span *prev = NULL; /* the non-empty span that ends at `covered` */
    for (size_t i = 0; i < n; i++) {
        if (spans[i].begin == spans[i].end)
            continue;
        if (prev && spans[i].begin < covered)
            return bn_fail(err, BN_ERR_INPUT,
                           "%s: not a safetensors file (tensors %s and %s overlap)",
                           file->path, prev->name, spans[i].name);
        if (spans[i].begin > covered)
            return bn_fail(err, BN_ERR_INPUT,
                           "%s: not a safetensors file (data bytes [%zu, %zu) before tensor %s "
                           "belong to no tensor)",
                           file->path, covered, spans[i].begin, spans[i].name);
        covered = spans[i].end;
        prev = &spans[i];
    }
    if (covered != data_size)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a safetensors file (%zu bytes after the last tensor belong to "
                       "no tensor)",
                       file->path, data_size - covered);
    return BN_OK;
}

/* Point each tensor at its bytes; they must be 4-byte aligned to be read as float/int32. */
static bn_status place_tensors(bn_st_file *file, const span *spans, size_t data_start,
                               bn_error *err)
{
    for (int i = 0; i < file->n_tensors; i++) {
        size_t at = data_start + spans[i].begin;
        if (at % DTYPE_BYTES != 0)
            return bn_fail(err, BN_ERR_INPUT,
                           "%s: tensor %s starts at byte %zu, which is not 4-byte aligned",
                           file->path, file->tensors[i].name, at);
        file->tensors[i].data = file->bytes + at;
    }
    return BN_OK;
}

/* Validate and index the parsed header. */
static bn_status load_header(bn_st_file *file, const json_t *root, size_t header_len,
                             bn_error *err)
{
    if (!json_is_object(root))
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a safetensors file (header is not a JSON object)", file->path);
    size_t n = json_object_size(root) ? json_object_size(root) : 1;
    file->tensors = calloc(n, sizeof *file->tensors);
    span *spans = calloc(n, sizeof *spans);
    bn_status st = BN_OK;
    if (!file->tensors || !spans)
        st = bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", file->path);
    if (st == BN_OK)
        st = index_header(file, root, spans, err);
    size_t data_start = 8 + header_len, data_size = file->size - data_start;
    if (st == BN_OK)
        st = check_data_size(file, spans, data_size, err);
    /* spans[i] belongs to tensors[i] until check_layout sorts them, so place first. */
    if (st == BN_OK)
        st = place_tensors(file, spans, data_start, err);
    if (st == BN_OK)
        st = check_layout(file, spans, data_size, err);
    free(spans);
    return st;
}

/* Parse the header (a key given twice is refused: the spec leaves it ambiguous) and load it. */
static bn_status parse_header(bn_st_file *file, size_t header_len, bn_error *err)
{
    json_error_t je;
    json_t *root =
        json_loadb((const char *)file->bytes + 8, header_len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a safetensors file (header JSON: line %d, column %d: %s)",
                       file->path, je.line, je.column, je.text);
    bn_status st = load_header(file, root, header_len, err);
    json_decref(root);
    return st;
}

bn_status bn_st_load(bn_st_file *file, const char *path, bn_error *err)
{
    memset(file, 0, sizeof *file);
    if (!path)
        path = "";
    file->fd = -1;
    file->path = strdup(path);
    if (!file->path)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    bn_status st = open_file(file, err);
    size_t header_len = 0;
    if (st == BN_OK)
        st = read_header_length(file, &header_len, err);
    if (st == BN_OK)
        st = parse_header(file, header_len, err);
    if (st != BN_OK)
        bn_st_free(file);
    return st;
}

void bn_st_free(bn_st_file *file)
{
    if (!file)
        return;
    free(file->path);
    if (file->mapped) {
        munmap(file->bytes, file->size);
        close(file->fd);
    } else {
        free(file->bytes);
    }
    free(file->tensors);
    free(file->meta);
    free(file->strings);
    memset(file, 0, sizeof *file);
}

bn_status bn_st_copy(const bn_st_file *file, const bn_st_tensor *t, void *dst, bn_error *err)
{
    return bn_st_copy_range(file, t, 0, t->nbytes, dst, err);
}

bn_status bn_st_copy_range(const bn_st_file *file, const bn_st_tensor *t, size_t first,
                           size_t nbytes, void *dst, bn_error *err)
{
    if (first > t->nbytes || nbytes > t->nbytes - first)
        return bn_fail(err, BN_ERR_INPUT, "%s: bytes %zu..%zu outside tensor %s (%zu bytes)",
                       file->path, first, first + nbytes, t->name, t->nbytes);
    if (!file->mapped) {
        memcpy(dst, (const unsigned char *)t->data + first, nbytes);
        return BN_OK;
    }
    /* pread, not memcpy from the mapping: a file cut short since it was mapped would raise
     * SIGBUS there, and here it is an error; nor do the file's pages stay in this process's
     * resident memory once copied (README, "Runs on disk"). */
    size_t at = (size_t)((const unsigned char *)t->data - file->bytes) + first;
    int eof, e = read_at(file->fd, dst, nbytes, at, &eof);
    if (e)
        return bn_fail(err, BN_ERR_IO, "%s: cannot read tensor %s: %s", file->path, t->name,
                       strerror(e));
    if (eof)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: truncated while loading (tensor %s ends at byte %zu of the %zu "
                       "the file had when it was opened)",
                       file->path, t->name, at + nbytes, file->size);
    return BN_OK;
}

const bn_st_tensor *bn_st_find(const bn_st_file *file, const char *name)
{
    for (int i = 0; i < file->n_tensors; i++)
        if (strcmp(file->tensors[i].name, name) == 0)
            return &file->tensors[i];
    return NULL;
}

const char *bn_st_meta_get(const bn_st_file *file, const char *key)
{
    for (int i = 0; i < file->n_meta; i++)
        if (strcmp(file->meta[i].key, key) == 0)
            return file->meta[i].value;
    return NULL;
}

static int same_shape(const bn_st_tensor *t, int ndim, const int64_t *shape)
{
    if (t->ndim != ndim)
        return 0;
    for (int i = 0; i < ndim; i++)
        if (t->shape[i] != shape[i])
            return 0;
    return 1;
}

bn_status bn_st_expect(const bn_st_file *file, const char *name, bn_dtype dtype, int ndim,
                       const int64_t *shape, const bn_st_tensor **out, bn_error *err)
{
    if (out)
        *out = NULL;
    const bn_st_tensor *t = bn_st_find(file, name);
    if (!t)
        return bn_fail(err, BN_ERR_INPUT, "%s: missing tensor %s", file->path, name);
    if (t->dtype != dtype)
        return bn_fail(err, BN_ERR_INPUT, "%s: tensor %s has dtype %s, expected %s",
                       file->path, name, dtype_name(t->dtype), dtype_name(dtype));
    if (!same_shape(t, ndim, shape)) {
        char have[128], want[128];
        format_shape(have, sizeof have, t->shape, t->ndim);
        format_shape(want, sizeof want, shape, ndim);
        return bn_fail(err, BN_ERR_INPUT, "%s: tensor %s has shape %s, expected %s",
                       file->path, name, have, want);
    }
    if (out)
        *out = t;
    return BN_OK;
}
