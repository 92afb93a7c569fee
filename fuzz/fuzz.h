/* fuzz.h - the fuzz targets' entry points and what they share (README, "Fuzzing").
 *
 * Each target is one function over one input (bytes, any length) that feeds it to a loader
 * the way a user's file or typed line reaches it, and returns 1 when the loader took it
 * whole, else 0 (every seed must be taken: tests/test_fuzz_replay.c checks). It must not
 * exit, leak or write outside its temporary directory: a bad input comes back from core/
 * as an error.
 * fuzz/libfuzzer.c turns one of them into a libFuzzer binary (clang, `make fuzz`);
 * tests/test_fuzz_replay.c runs every committed input through all of them under the
 * normal build (`make check`). */
#ifndef BN_FUZZ_H
#define BN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "tok/tokenizer.h"

typedef int (*bn_fuzz_fn)(const uint8_t *data, size_t size);

int bn_fuzz_config(const uint8_t *data, size_t size);
int bn_fuzz_safetensors(const uint8_t *data, size_t size);
int bn_fuzz_checkpoint(const uint8_t *data, size_t size);
int bn_fuzz_trainer_state(const uint8_t *data, size_t size);
int bn_fuzz_tokenizer(const uint8_t *data, size_t size);
int bn_fuzz_shards(const uint8_t *data, size_t size);
int bn_fuzz_ttt(const uint8_t *data, size_t size);
int bn_fuzz_arith_prompt(const uint8_t *data, size_t size);
int bn_fuzz_scalars(const uint8_t *data, size_t size);
int bn_fuzz_chat_prompt(const uint8_t *data, size_t size);

/* ---- helpers (fuzz/util.c) */

/* This process's temporary directory (made on first use under $TMPDIR or /tmp, removed
 * at exit when empty); NULL when it cannot be made. */
const char *bn_fuzz_dir(void);

/* "<bn_fuzz_dir()>/<name>" into out (cap bytes); 0 when it does not fit or there is no
 * directory. */
int bn_fuzz_path(const char *name, char *out, size_t cap);

/* Write n bytes as <dir>/<name> (subdirectories must exist); 0 on failure. */
int bn_fuzz_write(const char *name, const void *data, size_t n);

/* Remove <dir>/<name> (a file or an empty directory), if there. */
void bn_fuzz_remove(const char *name);

/* A malloc'd NUL-terminated copy of the bytes (NULL when out of memory). */
char *bn_fuzz_cstr(const uint8_t *data, size_t size);

/* Split an input into at most n parts at each line "--8<--" (the separator and its
 * newline dropped): parts[i] points into data, sizes[i] its length; returns how many. */
#define BN_FUZZ_SEPARATOR "\n--8<--\n"
int bn_fuzz_split(const uint8_t *data, size_t size, const uint8_t **parts, size_t *sizes,
                  int n);

/* A training-mode model of random weights (seed 5) over vocab ids: d=16, one layer of 2
 * heads, contexts of max_seq tokens, one thread; 0 when it cannot be made. */
int bn_fuzz_tiny_model(bn_model *m, int vocab, int max_seq);

/* A tokenizer and a tiny model of its vocabulary, made once per process by the targets
 * that run a model on their input. */
typedef struct {
    int made; /* 0 not tried, 1 failed, 2 ready */
    bn_model m;
    bn_tokenizer *tok;
} bn_fuzz_fixture;

/* On the first call make fx: the character vocabulary of char_task, or else the
 * tokenizer.json at json_path under $srcdir (or .), and a bn_fuzz_tiny_model over it;
 * at_exit (which should call bn_fuzz_fixture_free on fx) is registered then. 1 when ready. */
int bn_fuzz_fixture_ready(bn_fuzz_fixture *fx, const char *char_task, const char *json_path,
                          int max_seq, void (*at_exit)(void));
void bn_fuzz_fixture_free(bn_fuzz_fixture *fx);

/* A named input was rejected where a crash would have been: a broken invariant. Aborts so
 * that the fuzzer stops with the input (never reached on correct code). */
void bn_fuzz_invariant(int ok, const char *what);

#endif
