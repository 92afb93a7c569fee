/* config.c - fuzz target: an experiment INI file, loaded and validated (io/config.h), then
 * an override (--set) from its first line. What loads must write out as INI text that loads
 * again to the same text (the run directory's meta/config.ini and a checkpoint's metadata
 * rely on it). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "io/config.h"

/* The resolved config as text, parsed back: it must load, and write out the same. */
static void check_round_trip(const bn_config *cfg)
{
    char *text = bn_config_to_string(cfg);
    if (!text)
        return;
    bn_config again;
    bn_error err = {0};
    bn_status st = bn_config_parse(&again, text, "round trip", &err);
    bn_fuzz_invariant(st == BN_OK, "a loaded config's INI text does not load");
    char *text2 = bn_config_to_string(&again);
    bn_fuzz_invariant(!text2 || strcmp(text, text2) == 0,
                      "a loaded config's INI text loads to another config");
    free(text2);
    free(text);
}

/* The first line as a --set assignment over the loaded config. */
static void try_override(bn_config *cfg, const uint8_t *data, size_t size)
{
    size_t n = 0;
    while (n < size && data[n] != '\n')
        n++;
    char *line = bn_fuzz_cstr(data, n);
    bn_error err = {0};
    if (line && bn_config_set(cfg, line, &err) == BN_OK)
        check_round_trip(cfg);
    free(line);
}

int bn_fuzz_config(const uint8_t *data, size_t size)
{
    char path[512];
    if (!bn_fuzz_path("experiment.ini", path, sizeof path) ||
        !bn_fuzz_write("experiment.ini", data, size))
        return 0;
    bn_config cfg;
    bn_error err = {0};
    int loaded = bn_config_load(&cfg, path, &err) == BN_OK;
    if (loaded) {
        check_round_trip(&cfg);
        try_override(&cfg, data, size);
    }
    char value[BN_PATH_MAX];
    bn_config_peek(path, "model.hidden_size", value, sizeof value, &err);
    bn_config_peek(path, "experiment.task", value, sizeof value, &err);
    bn_fuzz_remove("experiment.ini");
    return loaded;
}
