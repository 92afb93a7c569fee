/* source_arith.c - the arithmetic training stream as a data source. Its state object:
 * {"kind": "arithmetic", "rng": [4 x "<hex>"], "pending": "<unread tail>", "pending_pos": n};
 * the legacy form (trainer_state.json format 1) is the same without "kind". */
#include "task/sources.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    bn_data_source base;
    bn_arith_spec spec;
    const bn_tokenizer *tok;
    bn_arith_stream stream;
} arith_source;

static void arith_next(bn_data_source *s, int *tokens, int rows, int seq_len)
{
    arith_source *a = (arith_source *)s;
    bn_arith_stream_fill(&a->spec, a->tok, &a->stream, tokens, rows, seq_len);
}

static json_t *arith_save(const bn_data_source *s)
{
    const arith_source *a = (const arith_source *)s;
    int len = a->stream.pending_len < 0 ? 0 : a->stream.pending_len;
    return json_pack("{s:s, s:o, s:s%, s:i}", "kind", "arithmetic", "rng",
                     bn_source_rng_json(&a->stream.rng), "pending", a->stream.pending,
                     (size_t)len, "pending_pos", a->stream.pending_pos);
}

/* "pending" and "pending_pos" into st (a problem's text: no NUL, at most one problem). */
static bn_status read_pending(const json_t *data, const char *what, bn_arith_stream *st,
                              bn_error *err)
{
    const json_t *pending = json_object_get(data, "pending");
    const json_t *pos = json_object_get(data, "pending_pos");
    if (!json_is_string(pending))
        return bn_fail(err, BN_ERR_INPUT, "%s.pending: missing or not a string", what);
    size_t len = json_string_length(pending);
    if (len > BN_ARITH_TEXT_MAX || memchr(json_string_value(pending), '\0', len))
        return bn_fail(err, BN_ERR_INPUT, "%s.pending: not the text of one problem", what);
    if (!json_is_integer(pos) || json_integer_value(pos) < 0 ||
        json_integer_value(pos) > (json_int_t)len)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s.pending_pos: missing, or not a position in \"pending\" (0..%zu)",
                       what, len);
    memset(st->pending, 0, sizeof st->pending);
    memcpy(st->pending, json_string_value(pending), len);
    st->pending_len = (int)len;
    st->pending_pos = (int)json_integer_value(pos);
    return BN_OK;
}

static bn_status arith_load(bn_data_source *s, const json_t *data, const char *what,
                            bn_error *err)
{
    arith_source *a = (arith_source *)s;
    int legacy;
    bn_arith_stream st;
    memset(&st, 0, sizeof st);
    bn_status r = bn_source_check_kind(data, "arithmetic", what, &legacy, err);
    if (r == BN_OK)
        r = bn_source_rng_read(data, what, &st.rng, err);
    if (r == BN_OK)
        r = read_pending(data, what, &st, err);
    if (r == BN_OK)
        a->stream = st;
    return r;
}

static void arith_close(bn_data_source *s)
{
    free(s);
}

static const bn_data_source_ops arith_ops = {arith_next, arith_save, arith_load, arith_close};

bn_status bn_arith_source_open(const bn_arith_spec *spec, const bn_tokenizer *tok,
                               uint64_t seed, bn_data_source **out, bn_error *err)
{
    arith_source *a = calloc(1, sizeof *a);
    *out = NULL;
    if (!a)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for the data source");
    a->base.ops = &arith_ops;
    a->spec = *spec;
    a->tok = tok;
    bn_arith_stream_init(&a->stream, seed);
    *out = &a->base;
    return BN_OK;
}
