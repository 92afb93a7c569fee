/* main.c - hands over to the command line (README, "Command line"); started by mpirun as one
 * of several ranks, to training only (README, "Training on many machines"). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dist_mpi.h"

/* What the refusal under mpirun calls the command. */
static const char *command_name(bn_command c)
{
    switch (c) {
    case BN_CMD_TUI: return "the terminal UI";
    case BN_CMD_EVAL: return "eval";
    case BN_CMD_BENCH: return "bench";
    case BN_CMD_MOVE: return "move";
    case BN_CMD_PLAY: return "play";
    case BN_CMD_TOKENIZER: return "tokenizer";
    case BN_CMD_GENERATE: return "generate";
    case BN_CMD_CHAT: return "chat";
    case BN_CMD_RUNS: return "runs";
    default: return "train";
    }
}

/* The subcommands that parse their own arguments (see main below), else NULL. */
static const char *own_parser(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "tokenizer") == 0 && strcmp(argv[2], "train") == 0)
        return "tokenizer train";
    static const char *const names[] = {"prepare", "plot", "status"};
    for (size_t i = 0; argc >= 2 && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(argv[1], names[i]) == 0)
            return argv[1];
    return NULL;
}

/* One of several ranks of an mpirun job: training only; rank 0 speaks for the job, and
 * a refusal (the same on every rank) is one line and exit status 2. */
static int run_as_rank(bn_job *job, int argc, char **argv)
{
    bn_cli cli;
    bn_error err = {0};
    const char *own = own_parser(argc, argv);
    bn_status s = own ? BN_ERR_INPUT : bn_cli_parse(&cli, argc, argv, &err);
    if (s == BN_OK && (cli.command == BN_CMD_HELP || cli.command == BN_CMD_VERSION)) {
        if (job->rank == 0 && cli.command == BN_CMD_HELP)
            bn_cli_usage(stdout, &cli);
        else if (job->rank == 0)
            printf("bitnet-tui %s\n", BN_VERSION);
        return BN_EXIT_OK;
    }
    if (own || (s == BN_OK && cli.command != BN_CMD_TRAIN))
        s = bn_fail(&err, BN_ERR_INPUT, "%s: runs as one process only, not as one of %d ranks "
                    "(under mpirun only training does: mpirun -np N bitnet-tui train "
                    "EXPERIMENT)", own ? own : command_name(cli.command), job->size);
    if (s != BN_OK) {
        if (job->rank == 0)
            fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        return BN_EXIT_INPUT;
    }
    return bn_cmd_train_ranked(&cli, job);
}

int main(int argc, char **argv)
{
    bn_cli cli;
    bn_error err = {0};
    bn_job job;
    bn_job_detect(&job);
    if (job.size > 1)
        return run_as_rank(&job, argc, argv);
    if (argc >= 3 && strcmp(argv[1], "tokenizer") == 0 && strcmp(argv[2], "train") == 0)
        return bn_cmd_tokenizer_train(argc - 3, argv + 3);
    if (argc >= 2 && strcmp(argv[1], "prepare") == 0)
        return bn_cmd_prepare(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "plot") == 0)
        return bn_cmd_plot(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "status") == 0)
        return bn_cmd_status(argc - 2, argv + 2);
    if (bn_cli_parse(&cli, argc, argv, &err) != BN_OK) {
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        return BN_EXIT_INPUT;
    }
    if (cli.command == BN_CMD_HELP) {
        bn_cli_usage(stdout, &cli);
        return BN_EXIT_OK;
    }
    if (cli.command == BN_CMD_VERSION) {
        printf("bitnet-tui %s\n", BN_VERSION);
        return BN_EXIT_OK;
    }
    return bn_cli_run(&cli);
}
