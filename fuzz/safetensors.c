/* safetensors.c - fuzz target: one safetensors file (io/safetensors.h): header length, JSON
 * header, tensors and metadata, then the lookups a checkpoint load makes. Every tensor of a
 * file that loads must lie inside it, with bytes = shape product x dtype size. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"

/* bn_st_copy (read from the file) gives the bytes the mapping shows. */
static void check_copy(const bn_st_file *f, const bn_st_tensor *t)
{
    unsigned char *copy = malloc(t->nbytes ? t->nbytes : 1);
    bn_error err = {0};
    if (!copy)
        return;
    bn_fuzz_invariant(bn_st_copy(f, t, copy, &err) == BN_OK &&
                          memcmp(copy, t->data, t->nbytes) == 0,
                      "a tensor's copy differs from its bytes in the file");
    free(copy);
}

static void check_tensors(const bn_st_file *f)
{
    const unsigned char *end = f->bytes + f->size;
    for (int i = 0; i < f->n_tensors; i++) {
        const bn_st_tensor *t = &f->tensors[i];
        size_t n = 4;
        for (int d = 0; d < t->ndim; d++)
            n *= (size_t)t->shape[d];
        bn_fuzz_invariant(n == t->nbytes, "a tensor's size is not its shape's");
        const unsigned char *p = t->data;
        bn_fuzz_invariant(t->nbytes == 0 || (p >= f->bytes && p + t->nbytes <= end),
                          "a tensor's bytes lie outside the file");
        bn_fuzz_invariant(bn_st_find(f, t->name) != NULL, "a loaded tensor is not found");
        const bn_st_tensor *found = NULL;
        bn_error err = {0};
        bn_st_expect(f, t->name, t->dtype, t->ndim, t->shape, &found, &err);
        bn_fuzz_invariant(found != NULL, "a loaded tensor does not match its own shape");
        check_copy(f, t);
    }
    for (int i = 0; i < f->n_meta; i++)
        bn_fuzz_invariant(bn_st_meta_get(f, f->meta[i].key) != NULL,
                          "a loaded metadata key is not found");
}

int bn_fuzz_safetensors(const uint8_t *data, size_t size)
{
    char path[512];
    if (!bn_fuzz_path("model.safetensors", path, sizeof path) ||
        !bn_fuzz_write("model.safetensors", data, size))
        return 0;
    bn_st_file f;
    bn_error err = {0};
    int loaded = bn_st_load(&f, path, &err) == BN_OK;
    if (loaded) {
        check_tensors(&f);
        const int64_t shape[2] = {32, 16};
        const bn_st_tensor *t = NULL;
        bn_st_expect(&f, "token_embeddings", BN_DTYPE_F32, 2, shape, &t, &err);
        bn_st_meta_get(&f, "config");
        bn_st_free(&f);
    }
    bn_fuzz_remove("model.safetensors");
    return loaded;
}
