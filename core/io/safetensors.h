/* safetensors.h - reading and writing the safetensors format.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON header, then raw
 * little-endian tensor data. The header maps each tensor name to
 * {"dtype": "F32"|"I32", "shape": [...], "data_offsets": [begin, end]} (offsets relative to
 * the start of the data section) and may hold "__metadata__": {string: string}.
 * Files are written to "<path>.tmp", flushed, fsync'd and renamed into place, so an
 * interrupted write never leaves a half file under the real name. */
#ifndef BN_SAFETENSORS_H
#define BN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define BN_ST_MAX_DIMS 4

typedef enum { BN_DTYPE_F32, BN_DTYPE_I32 } bn_dtype;

/* One tensor to write, or one tensor found in a loaded file. */
typedef struct {
    const char *name;
    bn_dtype dtype;
    int ndim;
    int64_t shape[BN_ST_MAX_DIMS];
    const void *data;  /* writing: caller's buffer; reading: points into the loaded file */
    size_t nbytes;
} bn_st_tensor;

typedef struct {
    const char *key;
    const char *value;
} bn_st_meta;

/* Write tensors (in the given order, data packed contiguously) and metadata. */
bn_status bn_st_write(const char *path, const bn_st_tensor *tensors, int n_tensors,
                      const bn_st_meta *meta, int n_meta, bn_error *err);

/* The data section's bytes [at, at + n) into buf, for bn_st_write_filled; a failure's
 * message goes in err. */
typedef bn_status (*bn_st_fill_fn)(void *ctx, size_t at, void *buf, size_t n, bn_error *err);

/* bn_st_write whose data section (the tensors packed in order; their data pointers are not
 * read) comes from fill, called in order over pieces of at most 4 MiB: a file of any size
 * written through a bounded buffer. fill's failure is returned as it is (no file left). */
bn_status bn_st_write_filled(const char *path, const bn_st_tensor *tensors, int n_tensors,
                             const bn_st_meta *meta, int n_meta, bn_st_fill_fn fill, void *ctx,
                             bn_error *err);

/* A loaded file: the whole file mapped read-only (or, where it cannot be mapped, read into
 * memory), its tensors and metadata indexed. */
typedef struct {
    char *path;
    unsigned char *bytes;   /* whole file (do not write: a read-only mapping) */
    size_t size;            /* its size when it was opened; every check holds against it */
    int mapped;             /* bytes is a mapping of fd (munmap and close on bn_st_free) */
    int fd;
    bn_st_tensor *tensors;  /* names and data point into `bytes` / owned strings */
    int n_tensors;
    bn_st_meta *meta;
    int n_meta;
    char *strings;          /* owned storage for names/keys/values */
} bn_st_file;

/* Load and validate: header length within the file, JSON well formed with no key given
 * twice, known dtype, shape product * dtype size == end - begin, offsets inside the data
 * section, and the tensors' bytes tiling the data section (no overlap, no hole, nothing
 * after the last tensor).
 * Any violation -> BN_ERR_INPUT with a one-line message naming the path, e.g.
 * "<path>: not a safetensors file (...)", "<path>: truncated (...)", "<path>: cannot open: ..."
 * or an unsupported dtype. */
bn_status bn_st_load(bn_st_file *file, const char *path, bn_error *err);
void bn_st_free(bn_st_file *file);

/* Copy tensor t of file (t->nbytes) into dst. Read from the file, not through the mapping,
 * so its pages do not stay resident (a loader's peak is its slabs, not slabs plus file) and
 * a file truncated after it was loaded is BN_ERR_INPUT "<path>: truncated while loading
 * (...)", never a crash; a read error is BN_ERR_IO. */
bn_status bn_st_copy(const bn_st_file *file, const bn_st_tensor *t, void *dst, bn_error *err);

/* The same for bytes [first, first + nbytes) of tensor t (which must lie inside it). */
bn_status bn_st_copy_range(const bn_st_file *file, const bn_st_tensor *t, size_t first,
                           size_t nbytes, void *dst, bn_error *err);

/* Lookup by name; NULL if absent. */
const bn_st_tensor *bn_st_find(const bn_st_file *file, const char *name);
const char *bn_st_meta_get(const bn_st_file *file, const char *key);

/* Find `name`, check dtype and exact shape, return it. BN_ERR_INPUT "<path>: missing tensor
 * <name>", "... has dtype I32, expected F32" or "... has shape [a, b], expected [c, d]". */
bn_status bn_st_expect(const bn_st_file *file, const char *name, bn_dtype dtype, int ndim,
                       const int64_t *shape, const bn_st_tensor **out, bn_error *err);

#endif
