/* util.c - the fuzz targets' temporary directory and input splitting (fuzz/fuzz.h). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/rng.h"
#include "kernels/kernels.h"
#include "tok/bpe.h"

/* One directory per process: the fuzz driver is the only mutable global here (core/ keeps
 * none). */
static char fuzz_dir[256];

static void remove_fuzz_dir(void)
{
    if (fuzz_dir[0])
        rmdir(fuzz_dir);
}

const char *bn_fuzz_dir(void)
{
    if (fuzz_dir[0])
        return fuzz_dir;
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    char made[sizeof fuzz_dir];
    if ((size_t)snprintf(made, sizeof made, "%s/bn-fuzz-XXXXXX", tmp) >= sizeof made)
        return NULL;
    if (!mkdtemp(made))
        return NULL;
    memcpy(fuzz_dir, made, sizeof made);
    atexit(remove_fuzz_dir);
    return fuzz_dir;
}

int bn_fuzz_path(const char *name, char *out, size_t cap)
{
    const char *dir = bn_fuzz_dir();
    return dir && (size_t)snprintf(out, cap, "%s/%s", dir, name) < cap;
}

int bn_fuzz_write(const char *name, const void *data, size_t n)
{
    char path[512];
    if (!bn_fuzz_path(name, path, sizeof path))
        return 0;
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

void bn_fuzz_remove(const char *name)
{
    char path[512];
    if (bn_fuzz_path(name, path, sizeof path))
        remove(path);
}

char *bn_fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        if (size)
            memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

int bn_fuzz_split(const uint8_t *data, size_t size, const uint8_t **parts, size_t *sizes,
                  int n)
{
    const size_t sep = strlen(BN_FUZZ_SEPARATOR);
    int k = 0;
    size_t start = 0;
    while (k < n) {
        size_t end = start;
        while (end + sep <= size && memcmp(data + end, BN_FUZZ_SEPARATOR, sep) != 0)
            end++;
        if (end + sep > size || k == n - 1)
            end = size;
        parts[k] = data + start;
        sizes[k++] = end - start;
        if (end == size)
            break;
        start = end + sep;
    }
    return k;
}

void bn_fuzz_invariant(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz: invariant broken: %s\n", what);
        abort();
    }
}

int bn_fuzz_tiny_model(bn_model *m, int vocab, int max_seq)
{
    bn_model_config c = {.vocab_size = vocab, .hidden_size = 16, .num_layers = 1,
                         .num_heads = 2, .num_kv_heads = 1, .ffn_size = 32,
                         .max_seq_len = max_seq, .rope_theta = 10000.0, .norm_eps = 1e-5,
                         .embedding_init_std = 1.0};
    bn_error err = {0};
    if (bn_model_init(m, &c, 1, max_seq, bn_kernels_find(NULL, NULL), 1, &err) != BN_OK)
        return 0;
    bn_rng rng;
    bn_rng_seed(&rng, 5);
    bn_model_init_weights(m, &rng);
    return 1;
}

int bn_fuzz_fixture_ready(bn_fuzz_fixture *fx, const char *char_task, const char *json_path,
                          int max_seq, void (*at_exit)(void))
{
    if (fx->made)
        return fx->made == 2;
    bn_error err = {0};
    atexit(at_exit);
    fx->made = 1;
    bn_status s;
    if (char_task) {
        s = bn_tok_char(&fx->tok, char_task, &err);
    } else {
        const char *src = getenv("srcdir");
        char path[512];
        snprintf(path, sizeof path, "%s/%s", src ? src : ".", json_path);
        s = bn_tok_load_hf(&fx->tok, path, &err);
    }
    if (s == BN_OK && bn_fuzz_tiny_model(&fx->m, bn_tok_vocab_size(fx->tok), max_seq))
        fx->made = 2;
    return fx->made == 2;
}

void bn_fuzz_fixture_free(bn_fuzz_fixture *fx)
{
    bn_tok_free(fx->tok);
    if (fx->made == 2)
        bn_model_free(&fx->m);
}
