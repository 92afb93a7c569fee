/* main.c - hands over to the command line (README, "Command line"). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

int main(int argc, char **argv)
{
    bn_cli cli;
    bn_error err = {0};
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
