/* test_sampling_cmd.c - the chat commands `/temp`, `/top_p`, `/top_k`, `/seed` that `chat`
 * and the TUI's chat pane share (model/sampling_cmd.h): good values change exactly their
 * setting; bad or missing values are refused with a one-line message naming the setting,
 * and change nothing; other lines are not sampling commands. */
#include <string.h>

#include "check.h"
#include "model/sampling_cmd.h"

/* Apply line to the defaults and seed 3: the status, with *set, *seed, *kind after it. */
static bn_status run(const char *line, bn_sampling *set, unsigned long long *seed,
                     bn_sampling_cmd_kind *kind, bn_error *err)
{
    *set = bn_sampling_defaults();
    *seed = 3;
    memset(err, 0, sizeof *err);
    return bn_sampling_command(line, set, seed, kind, err);
}

static int unchanged(const bn_sampling *s, unsigned long long seed)
{
    bn_sampling d = bn_sampling_defaults();
    return s->temperature == d.temperature && s->top_p == d.top_p && s->top_k == d.top_k &&
           seed == 3;
}

static void check_good(void)
{
    bn_sampling s;
    unsigned long long seed;
    bn_sampling_cmd_kind kind;
    bn_error err;
    CHECK(run("/temp 0.5", &s, &seed, &kind, &err) == BN_OK, "%s", err.msg);
    CHECK(kind == BN_SAMPLING_CMD_SETTINGS && s.temperature == 0.5f && s.top_p == 0.95f &&
          s.top_k == 0 && seed == 3, "/temp 0.5: %g %g %d", (double)s.temperature,
          (double)s.top_p, s.top_k);
    CHECK(run("  /top_p\t0.9 ", &s, &seed, &kind, &err) == BN_OK && s.top_p == 0.9f &&
          s.temperature == 0.9f && kind == BN_SAMPLING_CMD_SETTINGS, "/top_p 0.9");
    CHECK(run("/top_k 40", &s, &seed, &kind, &err) == BN_OK && s.top_k == 40 &&
          kind == BN_SAMPLING_CMD_SETTINGS, "/top_k 40");
    CHECK(run("/temp 0", &s, &seed, &kind, &err) == BN_OK && s.temperature == 0.0f,
          "/temp 0 (greedy)");
    CHECK(run("/seed 5", &s, &seed, &kind, &err) == BN_OK && seed == 5 &&
          kind == BN_SAMPLING_CMD_SEED && s.temperature == 0.9f, "/seed 5");
    CHECK(run("/reset", &s, &seed, &kind, &err) == BN_OK && kind == BN_SAMPLING_CMD_NONE &&
          unchanged(&s, seed), "/reset is not a sampling command");
    CHECK(run("Once upon a time", &s, &seed, &kind, &err) == BN_OK &&
          kind == BN_SAMPLING_CMD_NONE && unchanged(&s, seed), "a prompt is not one");
}

/* line is refused, nothing changes, and the message contains want. */
static void refused(const char *line, const char *want)
{
    bn_sampling s;
    unsigned long long seed;
    bn_sampling_cmd_kind kind = BN_SAMPLING_CMD_SETTINGS;
    bn_error err;
    bn_status st = run(line, &s, &seed, &kind, &err);
    CHECK(st == BN_ERR_INPUT, "%s: status %d", line, (int)st);
    CHECK(unchanged(&s, seed) && kind == BN_SAMPLING_CMD_NONE, "%s changed a setting", line);
    CHECK(strstr(err.msg, want) && !strchr(err.msg, '\n'), "%s: message '%s', want '%s'",
          line, err.msg, want);
}

int main(void)
{
    check_good();
    refused("/temp -1", "temperature -1: must be a number >= 0");
    refused("/temp warm", "temperature warm: not a number");
    refused("/top_p 1.5", "top-p 1.5: must be in (0, 1]");
    refused("/top_p 0", "top-p 0: must be in (0, 1]");
    refused("/top_k 2.5", "top-k 2.5: must be a whole number >= 0");
    refused("/top_k -1", "top-k -1: must be >= 0");
    refused("/seed -2", "seed -2: must be a whole number >= 0");
    refused("/seed x", "seed x: must be a whole number >= 0");
    refused("/temp", "/temp needs a value");
    refused("/temp 0.5 0.7", "/temp takes one value");
    return check_exit("test_sampling_cmd");
}
