/* sample_cache.h - the shipped text sample, prepared into token shards on first use
 * (README, "Shipped data").
 *
 * A text run whose [data] path is empty trains on the sample that the front end names in
 * cfg->data.sample. It is prepared once (bn_prepare_run, the sample's val text as the
 * held-out split) into CACHE/NAME-<16 hex digits of the tokenizer's hash>, and reused while
 * that directory holds a finished dataset (dataset.json) of the same tokenizer whose shards
 * open. Runs that find it missing take turns (an fcntl lock on CACHE/.NAME-<hex>.lock): the
 * first prepares, the next finds it ready. Preparing writes into a temporary directory beside
 * it and renames it into place, so a run killed while preparing never leaves a half-written
 * dataset under the final name (the next run that prepares removes such leftovers). A
 * damaged cache (no dataset.json, a shard that does not open) is moved aside, removed and
 * prepared again. */
#ifndef BN_SAMPLE_CACHE_H
#define BN_SAMPLE_CACHE_H

#include <stddef.h>

#include "base/error.h"
#include "io/config.h"
#include "io/prepare.h"

/* What bn_sample_resolve did. */
typedef enum { BN_SAMPLE_UNUSED, BN_SAMPLE_REUSED, BN_SAMPLE_PREPARED } bn_sample_outcome;

/* For a text config whose [data] path is empty, or is the sample's cache directory (a run
 * resumed after the cache was removed): make sure the sample is prepared and set
 * cfg->data.path to its directory. Any other config is left as it is (BN_SAMPLE_UNUSED).
 * progress (may be NULL) sees the preparing, as bn_prepare_run calls it. A text config with
 * an empty path and no sample is refused (BN_ERR_INPUT, naming [data] path). */
bn_status bn_sample_resolve(bn_config *cfg, bn_prepare_progress_fn progress, void *ctx,
                            bn_sample_outcome *outcome, bn_error *err);

/* The sample's dataset directory for its tokenizer: CACHE/NAME-<hash hex> into out. */
bn_status bn_sample_dir(const bn_data_sample *s, char *out, size_t cap, bn_error *err);

#endif
