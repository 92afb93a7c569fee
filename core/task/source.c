/* source.c - the data source interface's calls and the state helpers its kinds share. */
#include "task/source.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void bn_source_next_batch(bn_data_source *s, int *tokens, int rows, int seq_len)
{
    s->ops->next_batch(s, tokens, rows, seq_len);
}

json_t *bn_source_save_state(const bn_data_source *s)
{
    return s->ops->save_state(s);
}

bn_status bn_source_load_state(bn_data_source *s, const json_t *data, const char *what,
                               bn_error *err)
{
    if (!json_is_object(data))
        return bn_fail(err, BN_ERR_INPUT, "%s: must be a JSON object", what);
    return s->ops->load_state(s, data, what, err);
}

void bn_source_close(bn_data_source *s)
{
    if (s)
        s->ops->close(s);
}

json_t *bn_source_rng_json(const bn_rng *rng)
{
    json_t *words = json_array();
    for (int i = 0; words && i < 4; i++) {
        char hex[17];
        snprintf(hex, sizeof hex, "%016" PRIx64, rng->s[i]);
        if (json_array_append_new(words, json_string(hex)) != 0) {
            json_decref(words);
            return NULL;
        }
    }
    return words;
}

/* Exactly 16 hex digits, as bn_source_rng_json writes them; -1 otherwise. */
static int parse_hex64(const json_t *node, uint64_t *out)
{
    const char *s = json_string_value(node);
    if (!s || json_string_length(node) != 16)
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return 0;
}

bn_status bn_source_rng_read(const json_t *data, const char *what, bn_rng *out,
                             bn_error *err)
{
    const json_t *rng = json_object_get(data, "rng");
    if (!json_is_array(rng) || json_array_size(rng) != 4)
        return bn_fail(err, BN_ERR_INPUT, "%s.rng: must be an array of 4 strings", what);
    bn_rng parsed;
    for (size_t i = 0; i < 4; i++)
        if (parse_hex64(json_array_get(rng, i), &parsed.s[i]) < 0)
            return bn_fail(err, BN_ERR_INPUT, "%s.rng[%zu]: must be 16 hex digits", what, i);
    *out = parsed;
    return BN_OK;
}

bn_status bn_source_check_kind(const json_t *data, const char *kind, const char *what,
                               int *legacy, bn_error *err)
{
    const json_t *k = json_object_get(data, "kind");
    *legacy = k == NULL;
    if (!k)
        return BN_OK;
    if (!json_is_string(k))
        return bn_fail(err, BN_ERR_INPUT, "%s.kind: must be a string", what);
    if (strcmp(json_string_value(k), kind) != 0)
        return bn_fail(err, BN_ERR_INPUT, "%s.kind is \"%s\", this run's task is %s", what,
                       json_string_value(k), kind);
    return BN_OK;
}
