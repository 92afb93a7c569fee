/* sampling_cmd.c - sampling settings from text (README, "Generating text and chatting"). */
#include "model/sampling_cmd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bn_status bn_parse_float(const char *what, const char *text, float *out, bn_error *err)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end || errno || !isfinite(v))
        return bn_fail(err, BN_ERR_INPUT, "%s %s: not a number", what, text);
    *out = (float)v;
    return BN_OK;
}

bn_status bn_parse_seed(const char *text, unsigned long long *out, bn_error *err)
{
    char *end;
    errno = 0;
    *out = strtoull(text, &end, 10);
    if (end == text || *end || errno || text[0] == '-')
        return bn_fail(err, BN_ERR_INPUT, "seed %s: must be a whole number >= 0", text);
    return BN_OK;
}

/* The setting a command names into *set (a copy; checked before it is taken). */
static bn_status parse_setting(const char *name, const char *value, bn_sampling *set,
                               bn_error *err)
{
    if (strcmp(name, "/temp") == 0)
        return bn_parse_float("temperature", value, &set->temperature, err);
    if (strcmp(name, "/top_p") == 0)
        return bn_parse_float("top-p", value, &set->top_p, err);
    float k = 0.0f;
    bn_status s = bn_parse_float("top-k", value, &k, err);
    if (s == BN_OK && (k > 1e9f || k < -1e9f || (float)(int)k != k))
        return bn_fail(err, BN_ERR_INPUT, "top-k %s: must be a whole number >= 0", value);
    set->top_k = (int)k;
    return s;
}

bn_status bn_sampling_command(const char *line, bn_sampling *set, unsigned long long *seed,
                              bn_sampling_cmd_kind *kind, bn_error *err)
{
    char name[16] = "", value[64] = "", extra[2] = "";
    int n = sscanf(line, " %15s %63s %1s", name, value, extra);
    int is_seed = strcmp(name, "/seed") == 0;
    *kind = BN_SAMPLING_CMD_NONE;
    if (n < 1 || (!is_seed && strcmp(name, "/temp") != 0 && strcmp(name, "/top_p") != 0 &&
                  strcmp(name, "/top_k") != 0))
        return BN_OK;
    if (n < 2)
        return bn_fail(err, BN_ERR_INPUT, "%s needs a value (e.g. %s %s)", name, name,
                       is_seed ? "5" : strcmp(name, "/top_k") == 0 ? "40" : "0.7");
    if (n > 2)
        return bn_fail(err, BN_ERR_INPUT, "%s takes one value", name);
    if (is_seed) {
        unsigned long long v;
        bn_status s = bn_parse_seed(value, &v, err);
        if (s == BN_OK) {
            *seed = v;
            *kind = BN_SAMPLING_CMD_SEED;
        }
        return s;
    }
    bn_sampling next = *set;
    bn_status s = parse_setting(name, value, &next, err);
    if (s == BN_OK)
        s = bn_sampling_check(&next, err);
    if (s == BN_OK) {
        *set = next;
        *kind = BN_SAMPLING_CMD_SETTINGS;
    }
    return s;
}
