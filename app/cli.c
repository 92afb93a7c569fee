/* cli.c - the subcommand table, each row with its flag table; getopt_long parses a row's
 * flags, and --help prints them from the same rows (README, "Command line"). The training
 * flags that stand for one INI key take their help and default from the config schema. */
#include "cli.h"

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "experiments.h"
#include "model/model.h"
#include "tui_cmd.h"

#define PROG "bitnet-tui"

/* How a flag's value lands in bn_cli. */
typedef enum {
    OPT_KEY,     /* one INI key: becomes "key=value" among the --set overrides */
    OPT_SET,     /* --set section.key=value */
    OPT_TEXT,    /* a const char * field */
    OPT_INT,     /* an int field, in [min, max] */
    OPT_SWITCH,  /* an int field set to 1; takes no value */
    OPT_PLAYER,  /* the player field: X or O */
    OPT_NOTHING, /* accepted and ignored (--batch within train) */
} opt_kind;

typedef struct {
    const char *name;    /* without the leading "--"; NULL ends a table */
    const char *metavar; /* NULL: the flag takes no value */
    opt_kind kind;
    const char *key;     /* OPT_KEY: "section.key" */
    size_t field;        /* OPT_TEXT, OPT_INT, OPT_SWITCH: offsetof(bn_cli, ...) */
    int min, max;        /* OPT_INT */
    const char *help;    /* NULL for OPT_KEY: the schema's */
    const char *def;     /* default shown (NULL: none); for OPT_KEY the schema's */
} cli_option;

typedef struct bn_subcommand {
    const char *name;       /* "" : no subcommand, the terminal UI */
    bn_command command;
    const char *args;       /* what follows the name in the usage line */
    const char *summary;    /* one line */
    const char *positional; /* its one positional argument, NULL: none */
    const char *missing;    /* message when a required positional is missing (NULL: optional) */
    const cli_option *options;
    const char *notes;      /* printed after the flags by SUB --help */
    const char *key_defaults; /* OPT_KEY defaults shown, NULL: the schema's built-in ones */
    int (*run)(const bn_cli *cli);
} bn_subcommand;

#define KEY(n, mv, k) {n, mv, OPT_KEY, k, 0, 0, 0, NULL, NULL}
#define TEXT(n, mv, f, h, d) {n, mv, OPT_TEXT, NULL, offsetof(bn_cli, f), 0, 0, h, d}
#define INT(n, mv, f, lo, hi, h, d) {n, mv, OPT_INT, NULL, offsetof(bn_cli, f), lo, hi, h, d}
#define SET {"set", "SECTION.KEY=VALUE", OPT_SET, NULL, 0, 0, 0, \
             "set any INI key, e.g. --set training.peak_lr=1e-3 (repeatable)", NULL}
#define KERNEL TEXT("kernel", "NAME", kernel, "BitLinear kernel: auto, amx, avx512, avx2, " \
                    "blas, ref (the ones this CPU has)", "auto, or $BITNET_KERNEL")
#define THREADS KEY("threads", "N", "training.threads")
#define END {NULL, NULL, OPT_NOTHING, NULL, 0, 0, 0, NULL, NULL}

static const cli_option train_options[] = {
    KEY("num-steps", "N", "training.num_steps"),
    KEY("batch-size", "N", "training.batch_size"),
    KEY("grad-accum", "N", "training.grad_accum_steps"),
    KEY("seq-len", "N", "training.seq_len"),
    KEY("seed", "N", "training.seed"),
    THREADS,
    KEY("run-id", "ID", "logging.run_id"),
    KEY("runs-dir", "DIR", "logging.runs_dir"),
    KEY("log-interval", "N", "logging.log_interval"),
    KEY("sample-interval", "N", "logging.sample_interval"),
    KEY("eval-interval", "N", "logging.eval_interval"),
    KEY("checkpoint-interval", "N", "logging.checkpoint_interval"),
    KEY("shard-optimizer", NULL, "training.shard_optimizer"),
    SET,
    TEXT("resume", "RUN_DIR", resume, "continue the run in RUN_DIR (its config, plus "
         "overrides) from its newest checkpoint", NULL),
    KERNEL,
    {"batch", NULL, OPT_NOTHING, NULL, 0, 0, 0, "the previous tool's spelling of train "
     "(`" PROG " --batch EXPERIMENT`)", NULL},
    END,
};

static const cli_option eval_options[] = {
    TEXT("data", "FILE|DIR", data_file, "mean next-token loss and bits per byte over a dataset "
         "(its val split), a shard or a text file", NULL),
    INT("problems", "N", problems, 1, 1000000, "held-out arithmetic problems", "1000"),
    INT("shots", "K", shots, 0, 8, "solved problems before each prompt",
        "the checkpoint's logging.eval_shots"),
    INT("games", "N", games, 4, 1000000, "tic-tac-toe games per mode (masked, unmasked)",
        "1000"),
    KEY("seq-len", "N", "training.seq_len"),
    THREADS, KERNEL, SET, END,
};

static const cli_option move_options[] = {
    TEXT("board", "POS", board, "one position (X_O______ or game text); else one per "
         "stdin line", NULL),
    {"player", "X|O", OPT_PLAYER, NULL, 0, 0, 0, "the side to move (checked)", NULL},
    THREADS, KERNEL, SET, END,
};

static const cli_option play_options[] = {
    {"player", "X|O", OPT_PLAYER, NULL, 0, 0, 0, "your side (X opens)", "X"},
    THREADS, KERNEL, SET, END,
};

static const cli_option bench_options[] = {
    TEXT("experiment", "NAME", experiment, "one experiment's config only",
         "arithmetic, tictactoe, tinystories"),
    INT("threads", "N", threads, 1, 1024, "compute threads", "all cores"),
    INT("steps", "N", steps, 1, 100000, "timed steps after 3 warm-up steps", "10"),
    {"json", NULL, OPT_SWITCH, NULL, offsetof(bn_cli, json), 0, 0,
     "one JSON object per config", NULL},
    KERNEL,
    {"set", "SECTION.KEY=VALUE", OPT_SET, NULL, 0, 0, 0,
     "any INI key, as for training (e.g. training.backward_precision=fp32)", NULL},
    TEXT("tokenizer", "FILE", tokenizer, "instead: the text pipeline's speed (BPE training "
         "at 2048 and 32000 tokens, encoding with FILE, prepare)", NULL),
    TEXT("corpus", "PATH", corpus, "the text for --tokenizer",
         "the shipped TinyStories sample"),
    {"generate", NULL, OPT_SWITCH, NULL, offsetof(bn_cli, generate), 0, 0,
     "instead: decoding speed at batch 1 and prefill speed, KV-cache decoder beside the "
     "full re-forward, on 1 and 2 threads (random weights)", NULL},
    END,
};

#define SAMPLING                                                                            \
    TEXT("temperature", "T", temperature, "sampling temperature, >= 0 (0 = greedy)", "0.9"), \
    TEXT("top-p", "P", top_p, "nucleus: sample from the smallest set reaching P, in (0, 1]", \
         "0.95"),                                                                           \
    INT("top-k", "K", top_k, 0, 1000000, "sample from the K most likely only (0 = all)", "0"), \
    TEXT("seed", "S", seed, "sampling seed: the same seed, the same text", "from the clock"), \
    INT("max-tokens", "N", max_tokens, 1, 1000000, "new tokens at most", "256"),          \
    INT("threads", "N", threads, 1, 1024, "compute threads", "1"), KERNEL, SET

static const cli_option generate_options[] = {
    TEXT("prompt", "TEXT", prompt, "the text to continue", "\"\" (a new story)"),
    SAMPLING, END,
};

static const cli_option chat_options[] = {SAMPLING, END};

static const cli_option tui_options[] = {KERNEL, END};

static const cli_option tokenizer_options[] = {END};

static const cli_option runs_options[] = {
    TEXT("runs-dir", "DIR", runs_dir, "the runs directory", "runs"),
    {"json", NULL, OPT_SWITCH, NULL, offsetof(bn_cli, json), 0, 0, "one JSON object per run",
     NULL},
    END,
};

#define EXPERIMENT_NOTE                                                                     \
    "EXPERIMENT is a name from ./experiments or " BN_PKGDATADIR "/experiments\n"  \
    "(arithmetic, tictactoe, tinystories, baseline-95m), or a path to an INI file.\n"

static const bn_subcommand subcommands[] = {
    {"train", BN_CMD_TRAIN, "EXPERIMENT|--resume RUN_DIR [options]",
     "train a model headless (also: --batch EXPERIMENT, --batch --resume RUN_DIR)",
     "EXPERIMENT", NULL, train_options,
     EXPERIMENT_NOTE "A flag's default is the value in the experiment's INI file, else the\n"
     "built-in value shown (experiments/arithmetic.ini sets 6000 steps).\n",
     NULL, bn_cmd_train},
    {"eval", BN_CMD_EVAL, "CHECKPOINT [options]",
     "evaluate a checkpoint: arithmetic accuracy, text loss or tic-tac-toe games, as JSON",
     "CHECKPOINT", "eval needs a CHECKPOINT (a step_NNNNNN directory)", eval_options,
     "CHECKPOINT is a runs/<id>/checkpoints/step_NNNNNN directory (or its model.safetensors).\n",
     "the checkpoint's", bn_cmd_eval},
    {"move", BN_CMD_MOVE, "CHECKPOINT [options]",
     "a tic-tac-toe checkpoint's move for a position, as JSON",
     "CHECKPOINT", "move needs a CHECKPOINT (a step_NNNNNN directory of a tictactoe run)",
     move_options, NULL, "the checkpoint's", bn_cmd_move},
    {"play", BN_CMD_PLAY, "CHECKPOINT [options]", "play tic-tac-toe against a checkpoint",
     "CHECKPOINT", "play needs a CHECKPOINT (a step_NNNNNN directory of a tictactoe run)",
     play_options, NULL, "the checkpoint's", bn_cmd_play},
    {"bench", BN_CMD_BENCH, "[options]",
     "training speed on random tokens (arithmetic, tictactoe, tinystories)",
     NULL, NULL, bench_options, NULL, NULL, bn_cmd_bench},
    {"generate", BN_CMD_GENERATE, "CHECKPOINT --prompt TEXT [options]",
     "continue a text with a text checkpoint, streamed to stdout (tok/s on stderr)",
     "CHECKPOINT", "generate needs a CHECKPOINT (a step_NNNNNN directory of a text run)",
     generate_options, "Stops at <|endoftext|>, after --max-tokens, or when the context "
     "([model] max_seq_len) is full.\n", NULL, bn_cmd_generate},
    {"chat", BN_CMD_CHAT, "CHECKPOINT [options]",
     "talk to a text checkpoint line by line (stdin/stdout; /help for commands)",
     "CHECKPOINT", "chat needs a CHECKPOINT (a step_NNNNNN directory of a text run)",
     chat_options, "Each line you type is added to the story so far and the model continues "
     "it,\nuntil <|endoftext|>, a blank line or --max-tokens. Commands: /temp T, /top_p P,\n"
     "/top_k K, /seed S, /reset, /help.\n", NULL, bn_cmd_chat},
    {"tokenizer", BN_CMD_TOKENIZER, "encode|decode|info TOKENIZER",
     "text to token ids and back, what a tokenizer holds (as JSON), or train one "
     "(tokenizer train --help)",
     "ACTION TOKENIZER", "tokenizer needs an ACTION (encode, decode, info) and a TOKENIZER",
     tokenizer_options,
     "encode reads all of stdin as one text and prints its ids as one JSON array; decode\n"
     "reads such an array and writes the bytes; info prints vocabulary size, merges,\n"
     "special tokens and pre-tokenizer. TOKENIZER is a tokenizer.json (Hugging Face's\n"
     "byte-level BPE) or a character vocabulary: arithmetic, tictactoe.\n"
     "Training one: " PROG " tokenizer train --vocab-size N --out FILE INPUT... (see\n"
     PROG " tokenizer train --help).\n",
     NULL, bn_cmd_tokenizer},
    {"runs", BN_CMD_RUNS, "[--runs-dir DIR] [--json]",
     "the runs, newest first: state, step, loss, last eval, speed, age, size", NULL, NULL,
     runs_options, NULL, NULL, bn_cmd_runs},
    {"", BN_CMD_TUI, "[--kernel NAME]", "the terminal UI", NULL, NULL, tui_options, NULL,
     NULL, bn_cmd_tui},
};
#define N_SUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

/* Subcommands that take any number of inputs parse their own arguments (main.c hands them
 * over before this table is consulted); the overview lists them too. */
static const struct {
    const char *name, *args, *summary;
} own_parsers[] = {
    {"prepare", "--tokenizer FILE --out DIR [options] INPUT...",
     "tokenize a corpus (.txt, .jsonl, .gz, .zst, directories) into token shards for "
     "training (prepare --help)"},
    {"plot", "RUN [RUN...] [--png [FILE]] [--metric NAME] [options]",
     "runs' loss (or another metric) as a chart in the terminal or a PNG (plot --help)"},
    {"status", "RUN [--watch [SECONDS]] [--json] [--runs-dir DIR]",
     "one run in full; --watch redraws it until the run ends (status --help)"},
};
#define TUI_ROW (&subcommands[N_SUBCOMMANDS - 1])
#define TRAIN_ROW (&subcommands[0])

/* ---- usage ---- */

static const char *option_help(const cli_option *o, const char **def)
{
    const char *help = o->help;
    *def = o->def;
    if (o->kind == OPT_KEY && !bn_config_key_doc(o->key, &help, def))
        help = "(no such INI key)"; /* tests/test_cli_errors.sh looks for it */
    return help;
}

/* text after `indent` columns, wrapped at word boundaries to USAGE_WIDTH columns. */
#define USAGE_WIDTH 79
static void print_wrapped(FILE *out, int indent, const char *text)
{
    int col = indent;
    while (*text) {
        int word = (int)strcspn(text, " ");
        if (col > indent && col + 1 + word > USAGE_WIDTH) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", word, text);
        col += word;
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', out);
}

static void print_option(FILE *out, const bn_subcommand *s, const cli_option *o)
{
    char flag[64], text[512];
    const char *def;
    const char *help = option_help(o, &def);
    snprintf(flag, sizeof flag, "--%s%s%s", o->name, o->metavar ? " " : "",
             o->metavar ? o->metavar : "");
    if (o->kind == OPT_KEY && s->key_defaults)
        snprintf(text, sizeof text, "%s [%s; default %s]", help, o->key, s->key_defaults);
    else if (o->kind == OPT_KEY)
        snprintf(text, sizeof text, "%s [%s; default %s]", help, o->key,
                 def && def[0] ? def : "empty");
    else if (def)
        snprintf(text, sizeof text, "%s [default %s]", help, def);
    else
        snprintf(text, sizeof text, "%s", help);
    fprintf(out, "  %-26s ", flag);
    print_wrapped(out, 29, text);
}

static void usage_overview(FILE *out)
{
    fprintf(out, "usage: %s [SUBCOMMAND] [options]\n\nSubcommands:\n", PROG);
    for (size_t i = 0; i < N_SUBCOMMANDS; i++) {
        const bn_subcommand *s = &subcommands[i];
        for (size_t k = 0; s == TUI_ROW && k < sizeof own_parsers / sizeof own_parsers[0]; k++) {
            fprintf(out, "  %s %s\n      ", own_parsers[k].name, own_parsers[k].args);
            print_wrapped(out, 6, own_parsers[k].summary);
        }
        fprintf(out, "  %s %s\n      ", s->name[0] ? s->name : "(none)", s->args);
        print_wrapped(out, 6, s->summary);
    }
    fprintf(out,
            "\n%s SUBCOMMAND --help lists its options with their defaults.\n"
            "Options take their value as --flag VALUE or --flag=VALUE; -- ends the options.\n"
            "\n" EXPERIMENT_NOTE
            "\nExit status: 0 done, 1 runtime error (disk), 2 bad input, 3 training diverged,\n"
            "128+N stopped by signal N (a checkpoint is written first).\n",
            PROG);
}

/* n with thousands separators: 95,410,944. */
static void grouped(size_t n, char *out, size_t cap)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%zu", n), at = 0;
    for (int i = 0; i < len && at + 2 < (int)cap; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[at++] = ',';
        out[at++] = digits[i];
    }
    out[at] = '\0';
}

/* The shipped experiments found here with their parameter counts, from the model's own
 * count of each INI's [model] (README's figures come from this list). */
static void print_experiment_sizes(FILE *out)
{
    static const char *const names[] = {"arithmetic", "tictactoe", "tinystories",
                                        "baseline-95m"};
    fprintf(out, "\nParameters of the shipped experiments:\n");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[BN_PATH_MAX], count[32];
        bn_config cfg;
        bn_error err = {0};
        bn_config_defaults(&cfg);
        if (bn_experiment_path(names[i], path, sizeof path, &err) != BN_OK ||
            bn_config_load(&cfg, path, &err) != BN_OK)
            continue;
        grouped(bn_model_param_count(&cfg.model), count, sizeof count);
        fprintf(out, "  %-14s %12s\n", names[i], count);
    }
}

void bn_cli_usage(FILE *out, const bn_cli *cli)
{
    const bn_subcommand *s = cli && cli->sub ? cli->sub : TUI_ROW;
    if (s == TUI_ROW) {
        usage_overview(out);
        return;
    }
    fprintf(out, "usage: %s %s %s\n%s.\n\nOptions:\n", PROG, s->name, s->args, s->summary);
    for (const cli_option *o = s->options; o->name; o++)
        print_option(out, s, o);
    fprintf(out, "  %-26s this text\n", "--help");
    if (s->notes)
        fprintf(out, "\n%s", s->notes);
    if (s == TRAIN_ROW)
        print_experiment_sizes(out);
}

/* ---- applying one flag ---- */

static bn_status add_set(bn_cli *cli, const char *key, const char *value, bn_error *err)
{
    if (cli->n_sets == BN_CLI_MAX_SETS)
        return bn_fail(err, BN_ERR_INPUT, "too many --set options (at most %d)", BN_CLI_MAX_SETS);
    char *slot = cli->set_storage[cli->n_sets];
    int n = key ? snprintf(slot, sizeof cli->set_storage[0], "%s=%s", key, value)
                : snprintf(slot, sizeof cli->set_storage[0], "%s", value);
    if (n < 0 || (size_t)n >= sizeof cli->set_storage[0]) /* never a cut value */
        return bn_fail(err, BN_ERR_INPUT, "%.80s...: too long (a value of at most %d "
                       "characters)", slot, BN_PATH_MAX - 1);
    cli->sets[cli->n_sets++] = slot;
    return BN_OK;
}

static bn_status int_value(const cli_option *o, const char *v, int *out, bn_error *err)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < o->min || n > o->max)
        return bn_fail(err, BN_ERR_INPUT, "--%s %s: must be an integer %d..%d", o->name, v,
                       o->min, o->max);
    *out = (int)n;
    return BN_OK;
}

static bn_status apply_option(bn_cli *cli, const cli_option *o, const char *v, bn_error *err)
{
    char *field = (char *)cli + o->field;
    switch (o->kind) {
    case OPT_KEY: /* one without a value (--shard-optimizer) sets its key to 1 */
        return add_set(cli, o->key, o->metavar ? v : "1", err);
    case OPT_SET:
        return add_set(cli, NULL, v, err);
    case OPT_TEXT:
        *(const char **)(void *)field = v;
        return BN_OK;
    case OPT_INT:
        return int_value(o, v, (int *)(void *)field, err);
    case OPT_SWITCH:
        *(int *)(void *)field = 1;
        return BN_OK;
    case OPT_PLAYER:
        if ((v[0] != 'X' && v[0] != 'O' && v[0] != 'x' && v[0] != 'o') || v[1])
            return bn_fail(err, BN_ERR_INPUT, "--player %s: must be X or O", v);
        cli->player = (char)(v[0] == 'x' || v[0] == 'X' ? 'X' : 'O');
        return BN_OK;
    case OPT_NOTHING:
        return BN_OK;
    }
    return BN_OK;
}

/* ---- parsing one subcommand's flags ---- */

#define MAX_OPTIONS 32
enum { LONG_BASE = 256, LONG_HELP = 1000, LONG_VERSION = 1001 };

static void build_longopts(const bn_subcommand *s, struct option *longs)
{
    int n = 0;
    for (const cli_option *o = s->options; o->name && n < MAX_OPTIONS; o++, n++)
        longs[n] = (struct option){o->name, o->metavar ? required_argument : no_argument,
                                   NULL, LONG_BASE + n};
    longs[n++] = (struct option){"help", no_argument, NULL, LONG_HELP};
    longs[n++] = (struct option){"version", no_argument, NULL, LONG_VERSION};
    longs[n] = (struct option){NULL, 0, NULL, 0};
}

/* "train: --games: unknown option (see `bitnet-tui train --help`)". */
static bn_status refuse(const bn_subcommand *s, const char *flag, const char *why,
                        bn_error *err)
{
    const char *name = s->name[0] ? s->name : NULL;
    int flag_len = (int)strcspn(flag, "=");
    int hint = !name && strncmp(why, "unknown option", 14) == 0;
    return bn_fail(err, BN_ERR_INPUT, "%s%s%.*s: %s (see `%s%s%s --help`%s)", name ? name : "",
                   name ? ": " : "", flag_len, flag, why, PROG, name ? " " : "",
                   name ? name : "",
                   hint ? "; training flags go with `" PROG " train EXPERIMENT`" : "");
}

/* getopt_long said '?' or ':' about argv[optind - 1]. */
static bn_status refuse_flag(const bn_subcommand *s, int c, char **argv, bn_error *err)
{
    char shown[8];
    const char *arg = argv[optind - 1]; /* a long flag, as written */
    int known_long = optopt >= LONG_BASE && optopt < LONG_BASE + MAX_OPTIONS;
    if (optopt > 0 && optopt < 128) { /* a short one: -x, perhaps inside -yx */
        snprintf(shown, sizeof shown, "-%c", optopt);
        arg = shown;
    }
    if (c == ':')
        return refuse(s, arg, "needs a value", err);
    return refuse(s, arg, known_long ? "takes no value" : "unknown option", err);
}

/* getopt_long takes any unambiguous prefix (--num for --num-steps); a prefix would stop
 * working the day another flag starts the same way, so only whole names are accepted. */
static bn_status check_spelled_out(const bn_subcommand *s, const cli_option *o, char **argv,
                                   bn_error *err)
{
    const char *arg = argv[optind - 1];
    if (optarg && optarg == arg) /* --flag VALUE: the flag is the element before */
        arg = argv[optind - 2];
    size_t len = strcspn(arg, "=");
    if (len == strlen(o->name) + 2 && strncmp(arg + 2, o->name, len - 2) == 0)
        return BN_OK;
    char why[96];
    snprintf(why, sizeof why, "unknown option (did you mean --%s?)", o->name);
    return refuse(s, arg, why, err);
}

/* Parse argv[1..argc) against s's flags; argv[argc - n_pos ..] are left as positionals. */
static bn_status parse_flags(bn_cli *cli, const bn_subcommand *s, int argc, char **argv,
                             int *first_positional, bn_error *err)
{
    struct option longs[MAX_OPTIONS + 3];
    build_longopts(s, longs);
    optind = 0; /* glibc: 0 restarts the scan from argv[1] */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == 'h' || c == LONG_HELP || c == LONG_VERSION) {
            cli->command = c == LONG_VERSION ? BN_CMD_VERSION : BN_CMD_HELP;
            return BN_OK;
        }
        if (c == '?' || c == ':')
            return refuse_flag(s, c, argv, err);
        const cli_option *o = &s->options[c - LONG_BASE];
        bn_status st = check_spelled_out(s, o, argv, err);
        if (st == BN_OK)
            st = apply_option(cli, o, optarg, err);
        if (st != BN_OK)
            return st;
    }
    *first_positional = optind;
    return BN_OK;
}

/* ---- the subcommand, its positional argument ---- */

static const bn_subcommand *find_subcommand(const char *name)
{
    for (size_t i = 0; name && i + 1 < N_SUBCOMMANDS; i++)
        if (strcmp(subcommands[i].name, name) == 0)
            return &subcommands[i];
    return NULL;
}

/* The previous tool's habit: --batch anywhere (before --) means train. */
static int has_batch_flag(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--batch") == 0)
            return 1;
    return 0;
}

static bn_status unknown_subcommand(const char *word, bn_error *err)
{
    char path[BN_PATH_MAX];
    if (word[0] != '-' && bn_experiment_path(word, path, sizeof path, NULL) == BN_OK)
        return bn_fail(err, BN_ERR_INPUT, "%s: unknown subcommand; to train this experiment: "
                       "%s train %s (or %s --batch %s)", word, PROG, word, PROG, word);
    return bn_fail(err, BN_ERR_INPUT, "%s: unknown subcommand (subcommands: train, eval, "
                   "move, play, generate, chat, bench, tokenizer, prepare, runs, status, plot; "
                   "see `%s --help`)", word, PROG);
}

/* tokenizer ACTION TOKENIZER: two positionals. */
static bn_status take_tokenizer_args(bn_cli *cli, const bn_subcommand *s, int argc,
                                     char **argv, int first, bn_error *err)
{
    if (first + 2 < argc)
        return refuse(s, argv[first + 2], "unexpected argument", err);
    if (first + 2 > argc)
        return bn_fail(err, BN_ERR_INPUT, "%s", s->missing);
    cli->action = argv[first];
    cli->tokenizer = argv[first + 1];
    return BN_OK;
}

static bn_status take_positionals(bn_cli *cli, const bn_subcommand *s, int argc, char **argv,
                                  int first, bn_error *err)
{
    if (s->command == BN_CMD_TOKENIZER)
        return take_tokenizer_args(cli, s, argc, argv, first, err);
    if (first < argc && !s->positional)
        return s == TUI_ROW ? unknown_subcommand(argv[first], err)
                            : refuse(s, argv[first], "unexpected argument", err);
    if (first + 1 < argc)
        return refuse(s, argv[first + 1], "unexpected argument", err);
    const char *arg = first < argc ? argv[first] : NULL;
    if (!arg && s->missing)
        return bn_fail(err, BN_ERR_INPUT, "%s", s->missing);
    if (s->command == BN_CMD_TRAIN)
        cli->experiment = arg;
    else if (arg)
        cli->checkpoint = arg;
    return BN_OK;
}

static bn_status check_train(const bn_cli *cli, bn_error *err)
{
    if (!cli->experiment && !cli->resume)
        return bn_fail(err, BN_ERR_INPUT, "train needs an EXPERIMENT (e.g. arithmetic) or "
                       "--resume RUN_DIR (see `%s train --help`)", PROG);
    if (cli->experiment && cli->resume)
        return bn_fail(err, BN_ERR_INPUT,
                       "--resume %s: give either an EXPERIMENT or --resume, not both",
                       cli->resume);
    return BN_OK;
}

bn_status bn_cli_parse(bn_cli *cli, int argc, char **argv, bn_error *err)
{
    memset(cli, 0, sizeof *cli);
    cli->shots = -1;
    /* argv[first] plays the part of argv[0] for getopt_long: the subcommand's name. */
    const bn_subcommand *s = find_subcommand(argc > 1 ? argv[1] : NULL);
    int first = s ? 1 : 0;
    if (!s)
        s = has_batch_flag(argc, argv) ? TRAIN_ROW : TUI_ROW;
    cli->sub = s;
    cli->command = s->command;
    int pos = 0;
    bn_status st = parse_flags(cli, s, argc - first, argv + first, &pos, err);
    if (st != BN_OK || cli->command == BN_CMD_HELP || cli->command == BN_CMD_VERSION)
        return st;
    st = take_positionals(cli, s, argc - first, argv + first, pos, err);
    if (st == BN_OK && s->command == BN_CMD_TRAIN)
        st = check_train(cli, err);
    if (!cli->kernel)
        cli->kernel = getenv("BITNET_KERNEL");
    return st;
}

int bn_cli_run(const bn_cli *cli)
{
    return cli->sub->run(cli);
}

bn_status bn_cli_apply_sets(const bn_cli *cli, bn_config *cfg, bn_error *err)
{
    return bn_config_set_all(cfg, cli->sets, cli->n_sets, err);
}
