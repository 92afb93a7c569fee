/* experiments.c - experiment and shipped-data lookup in the working directory, then the
 * installed data. */
#include "experiments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A path snprintf wrote n bytes of into out[cap]: refused by name when it did not fit. */
static bn_status fits(const char *out, size_t cap, bn_error *err, int n)
{
    return n >= 0 && (size_t)n < cap ? BN_OK : bn_path_too_long(err, out, n);
}

bn_status bn_experiment_path(const char *name, char *out, size_t cap, bn_error *err)
{
    if (strchr(name, '/') || ends_with(name, ".ini"))
        return fits(out, cap, err, snprintf(out, cap, "%s", name));
    const char *const dirs[] = {"experiments", BN_PKGDATADIR "/experiments"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (fits(out, cap, err, snprintf(out, cap, "%s/%s.ini", dirs[i], name)) != BN_OK)
            return BN_ERR_INPUT;
        if (access(out, R_OK) == 0)
            return BN_OK;
    }
    return bn_fail(err, BN_ERR_INPUT,
                   "unknown experiment '%s' (looked in ./experiments and %s/experiments; "
                   "shipped: arithmetic, tictactoe, tinystories, baseline-95m)",
                   name, BN_PKGDATADIR);
}

bn_status bn_asset_path(const char *rel, char *out, size_t cap, bn_error *err)
{
    const char *const dirs[] = {"assets", BN_PKGDATADIR "/assets"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (fits(out, cap, err, snprintf(out, cap, "%s/%s", dirs[i], rel)) != BN_OK)
            return BN_ERR_INPUT;
        if (access(out, R_OK) == 0)
            return BN_OK;
    }
    return bn_fail(err, BN_ERR_INPUT, "shipped file %s not found (looked in ./assets and %s/assets)",
                   rel, BN_PKGDATADIR);
}

const char *bn_tokenizer_arg(const char *arg, char buf[BN_PATH_MAX])
{
    char rel[128];
    bn_error ignored;
    if (strchr(arg, '/') || strchr(arg, '.') || strlen(arg) > 64)
        return arg;
    snprintf(rel, sizeof rel, "%s/tokenizer.json", arg);
    return bn_asset_path(rel, buf, BN_PATH_MAX, &ignored) == BN_OK ? buf : arg;
}

/* ${XDG_CACHE_HOME:-$HOME/.cache}/bitnet-tui/datasets (BN_PATH_MAX bytes), or "" when
 * neither is set. */
static bn_status cache_dir(char *out, bn_error *err)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    out[0] = '\0';
    if (xdg && xdg[0] == '/')
        return bn_path_printf(out, err, "%s/bitnet-tui/datasets", xdg);
    if (home && home[0])
        return bn_path_printf(out, err, "%s/.cache/bitnet-tui/datasets", home);
    return BN_OK;
}

bn_status bn_text_sample_locate(bn_data_sample *s, bn_error *err)
{
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "tinystories-sample");
    bn_status st = bn_asset_path("tinystories/TinyStories-train-head.txt", s->train,
                                 sizeof s->train, err);
    if (st == BN_OK)
        st = bn_asset_path("tinystories/TinyStories-valid-head.txt", s->val, sizeof s->val,
                           err);
    if (st == BN_OK)
        st = bn_asset_path("tinystories/tokenizer.json", s->tokenizer, sizeof s->tokenizer,
                           err);
    if (st != BN_OK) {
        s->train[0] = '\0';
        return st;
    }
    st = cache_dir(s->cache_dir, err);
    if (st != BN_OK) {
        s->train[0] = '\0';
        return st;
    }
    /* the assets directory is where the sample's tokenizer was found, less its REL */
    size_t rel = strlen("/tinystories/tokenizer.json");
    snprintf(s->assets, sizeof s->assets, "%.*s", (int)(strlen(s->tokenizer) - rel),
             s->tokenizer);
    return BN_OK;
}
