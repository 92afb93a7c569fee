/* experiments.h - finding an experiment's INI file by name, and the shipped data. */
#ifndef BN_EXPERIMENTS_H
#define BN_EXPERIMENTS_H

#include <stddef.h>

#include "base/error.h"

/* A name ("arithmetic") is looked up as ./experiments/NAME.ini, then
 * PKGDATADIR/experiments/NAME.ini; anything with a '/' or ending in ".ini" is a path. */
bn_status bn_experiment_path(const char *name_or_path, char *out, size_t cap, bn_error *err);

/* A shipped data file, e.g. "tinystories/tokenizer.json": ./assets/REL, then
 * PKGDATADIR/assets/REL. */
bn_status bn_asset_path(const char *rel, char *out, size_t cap, bn_error *err);

#endif
