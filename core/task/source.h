/* source.h - where a run's training tokens come from, whatever the task (README, "Data
 * sources").
 *
 * The trainer asks a source for batches and, at each checkpoint, for its position as a JSON
 * object that goes under "data" in trainer_state.json; a resumed run hands that object back
 * to a fresh source, which then continues exactly where the saved one was. The object names
 * its own kind ({"kind": "arithmetic", ...}) so a checkpoint of one task cannot silently
 * restore another's stream. */
#ifndef BN_SOURCE_H
#define BN_SOURCE_H

#include <jansson.h>

#include "base/error.h"
#include "base/rng.h"

typedef struct bn_data_source bn_data_source;

typedef struct {
    /* rows x seq_len token ids, row-major. */
    void (*next_batch)(bn_data_source *s, int *tokens, int rows, int seq_len);
    /* The position as a new JSON object (NULL only when out of memory). */
    json_t *(*save_state)(const bn_data_source *s);
    /* Restore a position saved by save_state (or its legacy form, see the task); `what`
     * names the object in messages ("<file>: data"). The source is untouched on failure. */
    bn_status (*load_state)(bn_data_source *s, const json_t *data, const char *what,
                            bn_error *err);
    void (*close)(bn_data_source *s);
} bn_data_source_ops;

struct bn_data_source {
    const bn_data_source_ops *ops;
};

void bn_source_next_batch(bn_data_source *s, int *tokens, int rows, int seq_len);
json_t *bn_source_save_state(const bn_data_source *s);
bn_status bn_source_load_state(bn_data_source *s, const json_t *data, const char *what,
                               bn_error *err);
void bn_source_close(bn_data_source *s);

/* Shared by the sources' state objects: an RNG as ["<16 hex digits>" x 4], and back. */
json_t *bn_source_rng_json(const bn_rng *rng);
bn_status bn_source_rng_read(const json_t *data, const char *what, bn_rng *out,
                             bn_error *err);

/* Check data["kind"]: NULL or absent is the legacy (format 1) form and sets *legacy;
 * another kind is refused ("<what>.kind is \"x\", this run's task is <kind>"). */
bn_status bn_source_check_kind(const json_t *data, const char *kind, const char *what,
                               int *legacy, bn_error *err);

#endif
