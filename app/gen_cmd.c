/* gen_cmd.c - `generate CHECKPOINT --prompt TEXT`: the continuation streamed to stdout as
 * whole UTF-8 characters, the speed on stderr (README, "Inference"). */
#include <stdio.h>

#include "commands.h"
#include "model/textgen.h"
#include "textmodel.h"

static void to_stdout(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
}

static const char *stop_name(bn_stop_reason r)
{
    switch (r) {
    case BN_STOP_EOS: return "<|endoftext|>";
    case BN_STOP_FULL: return "a full context";
    case BN_STOP_BLANK: return "a blank line";
    default: return "--max-tokens";
    }
}

static void report(const bn_textmodel *t, const bn_textgen_stats *st)
{
    fprintf(stderr, "generate: %d tokens in %.3f s (%.0f tok/s), prompt of %d tokens "
            "prefilled in %.4f s (%.0f tok/s); seed %llu; stopped at %s\n",
            st->tokens, st->decode_s, st->decode_s > 0 ? st->tokens / st->decode_s : 0.0,
            st->prompt_tokens, st->prefill_s,
            st->prefill_s > 0 ? st->prompt_tokens / st->prefill_s : 0.0, t->seed,
            stop_name(st->stop));
}

int bn_cmd_generate(const bn_cli *cli)
{
    bn_error err = {0};
    bn_textmodel t;
    bn_status s = bn_textmodel_open(&t, cli, &err);
    bn_textgen_stats st = {0};
    if (s == BN_OK) {
        bn_textgen_opts o = {.max_tokens = t.max_tokens};
        s = bn_textgen_run(&t.dec, t.tok, &t.sampler, cli->prompt ? cli->prompt : "", &o,
                           to_stdout, NULL, &st, &err);
    }
    if (s == BN_OK) {
        printf("\n");
        report(&t, &st);
    } else {
        fprintf(stderr, "bitnet-tui: generate: %s\n", err.msg);
    }
    bn_textmodel_close(&t);
    return bn_exit_status(s);
}
