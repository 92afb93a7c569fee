/* source_ttt.c - the tic-tac-toe game stream as a data source. Rows never leave a game
 * half-read, so its state is its RNG: {"kind": "tictactoe", "rng": [4 x "<hex>"]}. The
 * legacy form (trainer_state.json format 1) has no "kind" and the arithmetic stream's
 * "pending" (always "") and "pending_pos" (0), which carry nothing for this stream. */
#include "task/sources.h"

#include <stdlib.h>

typedef struct {
    bn_data_source base;
    bn_ttt_spec spec;
    const bn_tokenizer *tok;
    bn_ttt_stream stream;
    bn_ttt_solver solver; /* perfect play, for the players */
} ttt_source;

static void ttt_next(bn_data_source *s, int *tokens, int rows, int seq_len)
{
    ttt_source *g = (ttt_source *)s;
    bn_ttt_stream_fill(&g->spec, &g->solver, g->tok, &g->stream, tokens, rows, seq_len);
}

static json_t *ttt_save(const bn_data_source *s)
{
    const ttt_source *g = (const ttt_source *)s;
    return json_pack("{s:s, s:o}", "kind", "tictactoe", "rng",
                     bn_source_rng_json(&g->stream.rng));
}

static bn_status ttt_load(bn_data_source *s, const json_t *data, const char *what,
                          bn_error *err)
{
    ttt_source *g = (ttt_source *)s;
    int legacy;
    bn_rng rng;
    bn_status r = bn_source_check_kind(data, "tictactoe", what, &legacy, err);
    if (r == BN_OK)
        r = bn_source_rng_read(data, what, &rng, err);
    if (r == BN_OK)
        g->stream.rng = rng;
    return r;
}

static void ttt_close(bn_data_source *s)
{
    free(s);
}

static const bn_data_source_ops ttt_ops = {ttt_next, ttt_save, ttt_load, ttt_close};

bn_status bn_ttt_source_open(const bn_ttt_spec *spec, const bn_tokenizer *tok, uint64_t seed,
                             bn_data_source **out, bn_error *err)
{
    ttt_source *g = malloc(sizeof *g);
    *out = NULL;
    if (!g)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for the data source");
    g->base.ops = &ttt_ops;
    g->spec = *spec;
    g->tok = tok;
    bn_ttt_solver_init(&g->solver);
    bn_ttt_stream_init(&g->stream, seed);
    *out = &g->base;
    return BN_OK;
}
