/* sampling_cmd.h - sampling settings from text (README, "Generating text and chatting"): the
 * numbers of generate's flags, and the chat commands `/temp 0.7`, `/top_p 0.9`, `/top_k 40`,
 * `/seed 5` that `chat` and the TUI's chat pane take. A bad value is refused with a one-line
 * message naming the setting and what is allowed, and changes nothing. */
#ifndef BN_SAMPLING_CMD_H
#define BN_SAMPLING_CMD_H

#include "base/error.h"
#include "model/sampler.h"

/* "0.7" -> 0.7 for the setting `what`; BN_ERR_INPUT naming it when not a number. */
bn_status bn_parse_float(const char *what, const char *text, float *out, bn_error *err);
/* A whole number >= 0; BN_ERR_INPUT otherwise. */
bn_status bn_parse_seed(const char *text, unsigned long long *out, bn_error *err);

typedef enum {
    BN_SAMPLING_CMD_NONE,     /* not /temp, /top_p, /top_k or /seed: nothing changed */
    BN_SAMPLING_CMD_SETTINGS, /* *set changed (checked with bn_sampling_check) */
    BN_SAMPLING_CMD_SEED      /* *seed changed */
} bn_sampling_cmd_kind;

/* Apply one command line ("/temp 0.7", spaces or tabs between) to *set or *seed. *kind says
 * which; BN_ERR_INPUT (nothing changed) for a missing or bad value of a known command. */
bn_status bn_sampling_command(const char *line, bn_sampling *set, unsigned long long *seed,
                              bn_sampling_cmd_kind *kind, bn_error *err);

#endif
