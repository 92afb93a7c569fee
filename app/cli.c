/* cli.c - flags of the previous tool (--num-steps ...), --set for any INI key, subcommands. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Training flags that are shorthands for one INI key each. */
static const struct {
    const char *flag;
    const char *metavar;
    const char *key;
    const char *help;
} key_flags[] = {
    {"--num-steps", "N", "training.num_steps", "optimizer steps"},
    {"--batch-size", "N", "training.batch_size", "rows per step"},
    {"--seq-len", "N", "training.seq_len", "tokens per row"},
    {"--seed", "N", "training.seed", "seed for init and data"},
    {"--threads", "N", "training.threads", "compute threads, 0 = all cores"},
    {"--run-id", "ID", "logging.run_id", "run directory name, none = bitnet_<size>_<exp>_<time>"},
    {"--runs-dir", "DIR", "logging.runs_dir", "where run directories go"},
    {"--log-interval", "N", "logging.log_interval", "steps between progress lines"},
    {"--sample-interval", "N", "logging.sample_interval", "steps between evaluations, 0 = never"},
    {"--checkpoint-interval", "N", "logging.checkpoint_interval",
     "steps between checkpoints, 0 = only at the end"},
};
#define N_KEY_FLAGS (sizeof key_flags / sizeof key_flags[0])

/* The built-in default of an INI key, as text, for the usage listing. */
static void default_of(const char *key, char *out, size_t cap)
{
    bn_config cfg;
    bn_config_defaults(&cfg);
    char *ini = bn_config_to_string(&cfg);
    snprintf(out, cap, "?");
    if (!ini)
        return;
    const char *dot = strchr(key, '.');
    char section[64];
    snprintf(section, sizeof section, "[%.*s]", (int)(dot - key), key);
    const char *sec = strstr(ini, section);
    size_t klen = strlen(dot + 1);
    for (const char *line = sec; line && *line; line = strchr(line, '\n')) {
        line += *line == '\n';
        if (strncmp(line, dot + 1, klen) == 0 && (line[klen] == ' ' || line[klen] == '=')) {
            const char *v = strchr(line, '=');
            const char *end = strchr(line, '\n');
            if (v) {
                v++;
                while (*v == ' ')
                    v++;
                snprintf(out, cap, "%.*s", (int)((end ? end : v + strlen(v)) - v), v);
                if (!out[0] || strcmp(out, "\"\"") == 0)
                    snprintf(out, cap, "none");
            }
            break;
        }
    }
    free(ini);
}

void bn_cli_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s                                   open the terminal UI\n"
            "       %s --batch EXPERIMENT [options]      train headless (name or INI path)\n"
            "       %s --batch --resume RUN_DIR [options] continue a run from its latest "
            "checkpoint\n"
            "       %s eval CHECKPOINT [--data FILE] [--problems N] [--shots K] [--threads N]\n"
            "       %s eval CHECKPOINT [--games N]              tic-tac-toe play evaluation\n"
            "       %s move CHECKPOINT [--board POS] [--player X|O]  the model's move, as JSON\n"
            "       %s play CHECKPOINT [--player X|O]           play tic-tac-toe against it\n"
            "       %s bench [--experiment NAME] [--threads N] [--steps N] [--json] [--kernel K]\n"
            "             [--set section.key=value]\n"
            "\n"
            "EXPERIMENT is a name from ./experiments or %s/experiments (arithmetic,\n"
            "tictactoe, tinystories, baseline-95m), or a path to an INI file.\n"
            "\nTraining options (default: the value in the experiment's INI file, else the built-in\n"
            "value shown; experiments/arithmetic.ini sets 6000 steps):\n",
            prog, prog, prog, prog, prog, prog, prog, prog, BN_PKGDATADIR);
    for (size_t i = 0; i < N_KEY_FLAGS; i++) {
        char def[128];
        default_of(key_flags[i].key, def, sizeof def);
        char flag[64];
        snprintf(flag, sizeof flag, "%s %s", key_flags[i].flag, key_flags[i].metavar);
        fprintf(out, "  %-25s %s [%s; default %s]\n", flag, key_flags[i].help, key_flags[i].key,
                def);
    }
    fprintf(out,
            "  %-25s set any INI key, e.g. --set training.peak_lr=1e-3 (repeatable)\n"
            "  %-25s continue the run in RUN_DIR (its config, plus overrides)\n"
            "  %-25s BitLinear kernel: auto, amx, avx512, avx2, blas, ref (the ones\n"
            "  %-25s this CPU has) [default auto; or $BITNET_KERNEL]\n"
            "\nEval options:\n"
            "  %-25s mean next-token loss over FILE instead of arithmetic accuracy\n"
            "  %-25s held-out arithmetic problems [default 1000]\n"
            "  %-25s solved problems before each prompt [default: logging.eval_shots]\n"
            "  %-25s tic-tac-toe games per mode (masked, unmasked) [default 1000]\n"
            "\nMove and play options (tic-tac-toe checkpoints):\n"
            "  %-25s one position (X_O______ or game text); else one per stdin line\n"
            "  %-25s move: the side to move (checked); play: your side [default X]\n"
            "\nBench options (training speed on random tokens; default: arithmetic, tictactoe,\n"
            "tinystories):\n"
            "  %-25s one experiment's config only\n"
            "  %-25s compute threads [default: all cores]\n"
            "  %-25s timed steps after 3 warm-up steps [default 10]\n"
            "  %-25s one JSON object per config\n"
            "  %-25s any INI key, as for training (e.g. training.backward_precision=fp32)\n"
            "\nOther:\n"
            "  %-25s this text\n"
            "  %-25s version\n"
            "\nExit status: 0 done, 1 runtime error (disk), 2 bad input, 3 training diverged,\n"
            "128+N stopped by signal N (a checkpoint is written first).\n",
            "--set SECTION.KEY=VALUE", "--resume RUN_DIR", "--kernel NAME", "", "--data FILE",
            "--problems N", "--shots K", "--games N", "--board POS", "--player X|O",
            "--experiment NAME", "--threads N", "--steps N", "--json", "--set SECTION.KEY=VALUE",
            "--help", "--version");
}

static bn_status add_set(bn_cli *cli, const char *key, const char *value, bn_error *err)
{
    if (cli->n_sets == BN_CLI_MAX_SETS)
        return bn_fail(err, BN_ERR_INPUT, "too many --set options (at most %d)", BN_CLI_MAX_SETS);
    char *slot = cli->set_storage[cli->n_sets];
    if (key)
        snprintf(slot, sizeof cli->set_storage[0], "%s=%s", key, value);
    else
        snprintf(slot, sizeof cli->set_storage[0], "%s", value);
    cli->sets[cli->n_sets++] = slot;
    return BN_OK;
}

static const char *needs_value(int argc, char **argv, int *i, bn_error *err)
{
    if (*i + 1 >= argc) {
        bn_fail(err, BN_ERR_INPUT, "%s: needs a value (see --help)", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

static bn_status parse_option(bn_cli *cli, int argc, char **argv, int *i, bn_error *err)
{
    const char *arg = argv[*i];
    for (size_t k = 0; k < N_KEY_FLAGS; k++)
        if (strcmp(arg, key_flags[k].flag) == 0) {
            const char *v = needs_value(argc, argv, i, err);
            return v ? add_set(cli, key_flags[k].key, v, err) : BN_ERR_INPUT;
        }
    const char **target = NULL;
    if (strcmp(arg, "--set") == 0) {
        const char *v = needs_value(argc, argv, i, err);
        return v ? add_set(cli, NULL, v, err) : BN_ERR_INPUT;
    }
    if (strcmp(arg, "--resume") == 0)
        target = &cli->resume;
    else if (strcmp(arg, "--kernel") == 0)
        target = &cli->kernel;
    else if (strcmp(arg, "--data") == 0)
        target = &cli->data_file;
    else if (strcmp(arg, "--shots") == 0) {
        const char *v = needs_value(argc, argv, i, err);
        char *end;
        long n = v ? strtol(v, &end, 10) : -1;
        if (!v || *end || n < 0 || n > 8)
            return bn_fail(err, BN_ERR_INPUT, "--shots %s: must be an integer 0..8", v ? v : "");
        cli->shots = (int)n;
        return BN_OK;
    } else if (strcmp(arg, "--board") == 0) {
        cli->board = needs_value(argc, argv, i, err);
        return cli->board ? BN_OK : BN_ERR_INPUT;
    } else if (strcmp(arg, "--player") == 0) {
        const char *v = needs_value(argc, argv, i, err);
        if (!v)
            return BN_ERR_INPUT;
        if ((v[0] != 'X' && v[0] != 'O' && v[0] != 'x' && v[0] != 'o') || v[1])
            return bn_fail(err, BN_ERR_INPUT, "--player %s: must be X or O", v);
        cli->player = (char)(v[0] == 'x' || v[0] == 'X' ? 'X' : 'O');
        return BN_OK;
    } else if (strcmp(arg, "--games") == 0) {
        const char *v = needs_value(argc, argv, i, err);
        if (!v)
            return BN_ERR_INPUT;
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 4 || n > 1000000)
            return bn_fail(err, BN_ERR_INPUT, "--games %s: must be an integer 4..1000000", v);
        cli->games = (int)n;
        return BN_OK;
    } else if (strcmp(arg, "--problems") == 0) {
        const char *v = needs_value(argc, argv, i, err);
        if (!v)
            return BN_ERR_INPUT;
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 1000000)
            return bn_fail(err, BN_ERR_INPUT, "--problems %s: must be an integer 1..1000000", v);
        cli->problems = (int)n;
        return BN_OK;
    }
    if (!target)
        return bn_fail(err, BN_ERR_INPUT, "%s: unknown option (see --help)", arg);
    *target = needs_value(argc, argv, i, err);
    return *target ? BN_OK : BN_ERR_INPUT;
}

/* A positive integer flag value in [1, max]. */
static bn_status int_value(const char *flag, const char *v, int max, int *out, bn_error *err)
{
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || n < 1 || n > max)
        return bn_fail(err, BN_ERR_INPUT, "%s %s: must be an integer 1..%d", flag, v ? v : "",
                       max);
    *out = (int)n;
    return BN_OK;
}

/* bench [--experiment NAME] [--threads N] [--steps N] [--json] [--kernel NAME] [--set K=V] */
static bn_status parse_bench_option(bn_cli *cli, int argc, char **argv, int *i, bn_error *err)
{
    const char *arg = argv[*i];
    if (strcmp(arg, "--json") == 0) {
        cli->json = 1;
        return BN_OK;
    }
    if (strcmp(arg, "--experiment") == 0) {
        cli->experiment = needs_value(argc, argv, i, err);
        return cli->experiment ? BN_OK : BN_ERR_INPUT;
    }
    if (strcmp(arg, "--kernel") == 0) {
        cli->kernel = needs_value(argc, argv, i, err);
        return cli->kernel ? BN_OK : BN_ERR_INPUT;
    }
    if (strcmp(arg, "--threads") == 0)
        return int_value(arg, needs_value(argc, argv, i, err), 1024, &cli->threads, err);
    if (strcmp(arg, "--steps") == 0)
        return int_value(arg, needs_value(argc, argv, i, err), 100000, &cli->steps, err);
    if (strcmp(arg, "--set") == 0)
        return parse_option(cli, argc, argv, i, err);
    return bn_fail(err, BN_ERR_INPUT, "bench: %s: unknown option (see --help)", arg);
}

bn_status bn_cli_parse(bn_cli *cli, int argc, char **argv, bn_error *err)
{
    memset(cli, 0, sizeof *cli);
    cli->command = BN_CMD_TUI;
    cli->shots = -1;
    int i = 1;
    if (argc > 1 && strcmp(argv[1], "eval") == 0) {
        cli->command = BN_CMD_EVAL;
        i = 2;
    } else if (argc > 1 && strcmp(argv[1], "move") == 0) {
        cli->command = BN_CMD_MOVE;
        i = 2;
    } else if (argc > 1 && strcmp(argv[1], "play") == 0) {
        cli->command = BN_CMD_PLAY;
        i = 2;
    } else if (argc > 1 && strcmp(argv[1], "bench") == 0) {
        cli->command = BN_CMD_BENCH;
        i = 2;
    }
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli->command = BN_CMD_HELP;
            return BN_OK;
        }
        if (strcmp(arg, "--version") == 0) {
            cli->command = BN_CMD_VERSION;
            return BN_OK;
        }
        if (strcmp(arg, "--batch") == 0 && cli->command != BN_CMD_EVAL &&
            cli->command != BN_CMD_MOVE && cli->command != BN_CMD_PLAY) {
            cli->command = BN_CMD_TRAIN;
            continue;
        }
        if (cli->command == BN_CMD_BENCH) {
            bn_status s = parse_bench_option(cli, argc, argv, &i, err);
            if (s != BN_OK)
                return s;
            continue;
        }
        if (arg[0] == '-' && arg[1] == '-') {
            bn_status s = parse_option(cli, argc, argv, &i, err);
            if (s != BN_OK)
                return s;
            continue;
        }
        int takes_ckpt = cli->command == BN_CMD_EVAL || cli->command == BN_CMD_MOVE ||
                         cli->command == BN_CMD_PLAY;
        const char **positional = takes_ckpt ? &cli->checkpoint : &cli->experiment;
        if (*positional)
            return bn_fail(err, BN_ERR_INPUT, "%s: unexpected argument (see --help)", arg);
        *positional = arg;
    }
    if (cli->command == BN_CMD_TUI && (cli->experiment || cli->resume || cli->n_sets))
        return bn_fail(err, BN_ERR_INPUT,
                       "training from the command line needs --batch (e.g. --batch %s)",
                       cli->experiment ? cli->experiment : "arithmetic");
    if (cli->command == BN_CMD_TRAIN && !cli->experiment && !cli->resume)
        return bn_fail(err, BN_ERR_INPUT,
                       "--batch needs an EXPERIMENT (e.g. arithmetic) or --resume RUN_DIR");
    if (cli->command == BN_CMD_TRAIN && cli->experiment && cli->resume)
        return bn_fail(err, BN_ERR_INPUT,
                       "--resume %s: give either an EXPERIMENT or --resume, not both",
                       cli->resume);
    if (cli->command == BN_CMD_EVAL && !cli->checkpoint)
        return bn_fail(err, BN_ERR_INPUT, "eval needs a CHECKPOINT (a step_NNNNNN directory)");
    if ((cli->command == BN_CMD_MOVE || cli->command == BN_CMD_PLAY) && !cli->checkpoint)
        return bn_fail(err, BN_ERR_INPUT, "%s needs a CHECKPOINT (a step_NNNNNN directory of a "
                       "tictactoe run)", cli->command == BN_CMD_MOVE ? "move" : "play");
    if (!cli->kernel)
        cli->kernel = getenv("BITNET_KERNEL");
    return BN_OK;
}

bn_status bn_cli_apply_sets(const bn_cli *cli, bn_config *cfg, bn_error *err)
{
    return bn_config_set_all(cfg, cli->sets, cli->n_sets, err);
}
