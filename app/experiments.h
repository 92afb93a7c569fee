/* experiments.h - finding an experiment's INI file by name, and the shipped data. */
#ifndef BN_EXPERIMENTS_H
#define BN_EXPERIMENTS_H

#include <stddef.h>

#include "base/error.h"
#include "io/config.h"

/* A name ("arithmetic") is looked up as ./experiments/NAME.ini, then
 * PKGDATADIR/experiments/NAME.ini; anything with a '/' or ending in ".ini" is a path. */
bn_status bn_experiment_path(const char *name_or_path, char *out, size_t cap, bn_error *err);

/* A shipped data file, e.g. "tinystories/tokenizer.json": ./assets/REL, then
 * PKGDATADIR/assets/REL. */
bn_status bn_asset_path(const char *rel, char *out, size_t cap, bn_error *err);

/* A --tokenizer argument: a shipped tokenizer's name ("gpt2", "tinystories": no '/' or '.')
 * becomes its bn_asset_path, written into buf (BN_PATH_MAX bytes); anything else (a path, "arithmetic",
 * "tictactoe", a name with no shipped tokenizer) is returned as it is. */
const char *bn_tokenizer_arg(const char *arg, char buf[BN_PATH_MAX]);

/* The shipped TinyStories sample that a text run with an empty [data] path trains on
 * (README, "Shipped data"): its texts and tokenizer (bn_asset_path) and the cache directory
 * ${XDG_CACHE_HOME:-$HOME/.cache}/bitnet-tui/datasets (an XDG_CACHE_HOME that is not an
 * absolute path is ignored, as the XDG spec asks). A missing asset is BN_ERR_INPUT naming
 * it, and leaves s->train empty. */
bn_status bn_text_sample_locate(bn_data_sample *s, bn_error *err);

#endif
