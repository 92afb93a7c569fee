/* cli.h - the command line: one table of subcommands, each with its table of flags, parsed
 * by getopt_long into a bn_cli request (README, "Command line"). The usage texts are
 * generated from the same tables. */
#ifndef BN_CLI_H
#define BN_CLI_H

#include <stdio.h>

#include "io/config.h"
#include "base/error.h"

#define BN_CLI_MAX_SETS 64

typedef enum {
    BN_CMD_TUI, BN_CMD_TRAIN, BN_CMD_EVAL, BN_CMD_BENCH, BN_CMD_HELP, BN_CMD_VERSION,
    BN_CMD_MOVE, BN_CMD_PLAY, BN_CMD_TOKENIZER, BN_CMD_GENERATE, BN_CMD_CHAT,
    BN_CMD_RUNS
} bn_command;

struct bn_subcommand; /* a row of the table in cli.c */

typedef struct bn_cli {
    bn_command command;       /* BN_CMD_HELP: print the usage of `sub` */
    const struct bn_subcommand *sub; /* the subcommand named (the TUI's row when none) */
    const char *experiment;   /* train, bench --experiment: name or INI path */
    const char *resume;       /* train: run directory to continue */
    const char *checkpoint;   /* eval, move, play */
    const char *board;        /* move --board: one position */
    char player;              /* move --player / play --player: 'X', 'O' (0 = not given) */
    int games;                /* eval --games: tic-tac-toe games per mode (0 = default) */
    const char *data_file;    /* eval --data */
    int problems;             /* eval: held-out problems (0 = default) */
    int shots;                /* eval --shots (-1 = the checkpoint's logging.eval_shots) */
    int threads;              /* bench --threads (0 = the config's) */
    int steps;                /* bench --steps: timed steps (0 = default) */
    int json;                 /* bench --json, runs --json */
    const char *runs_dir;     /* runs --runs-dir (NULL: runs) */
    const char *kernel;       /* --kernel, else $BITNET_KERNEL, else auto */
    const char *action;       /* tokenizer: encode, decode, info */
    const char *tokenizer;    /* tokenizer, bench --tokenizer: a tokenizer.json (or a character
                                 vocabulary) */
    const char *corpus;       /* bench --corpus: the text for bench --tokenizer */
    int generate;             /* bench --generate: decoding speed */
    const char *prompt;       /* generate --prompt */
    const char *temperature;  /* generate, chat: sampling (NULL: the default) */
    const char *top_p;
    const char *seed;         /* NULL: from the clock (printed) */
    int top_k;                /* 0: no cut */
    int max_tokens;           /* 0: the default */
    const char *sets[BN_CLI_MAX_SETS]; /* "section.key=value", flags translated to these */
    char set_storage[BN_CLI_MAX_SETS][BN_PATH_MAX + 64];
    int n_sets;
} bn_cli;

/* Parse argv (getopt_long permutes it). Errors are BN_ERR_INPUT with a one-line message
 * naming the subcommand and the flag or argument. */
bn_status bn_cli_parse(bn_cli *cli, int argc, char **argv, bn_error *err);

/* The usage text: every subcommand when cli->sub is the TUI's row (or cli is NULL), else
 * the flags of cli->sub with their help and defaults. */
void bn_cli_usage(FILE *out, const bn_cli *cli);

/* Run the parsed subcommand; returns the process exit status. */
int bn_cli_run(const bn_cli *cli);

/* Apply the collected --set overrides (and translated flags) to cfg, in order. */
bn_status bn_cli_apply_sets(const bn_cli *cli, bn_config *cfg, bn_error *err);

#endif
