/* main.c - hands over to the command line. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "tui_cmd.h"

int main(int argc, char **argv)
{
    bn_cli cli;
    bn_error err = {0};
    if (bn_cli_parse(&cli, argc, argv, &err) != BN_OK) {
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        return BN_EXIT_INPUT;
    }
    switch (cli.command) {
    case BN_CMD_HELP:
        bn_cli_usage(stdout, "bitnet-tui");
        return BN_EXIT_OK;
    case BN_CMD_VERSION:
        printf("bitnet-tui %s\n", BN_VERSION);
        return BN_EXIT_OK;
    case BN_CMD_TRAIN:
        return bn_cmd_train(&cli);
    case BN_CMD_EVAL:
        return bn_cmd_eval(&cli);
    case BN_CMD_BENCH:
        return bn_cmd_bench(&cli);
    case BN_CMD_MOVE:
        return bn_cmd_move(&cli);
    case BN_CMD_PLAY:
        return bn_cmd_play(&cli);
    case BN_CMD_TUI:
        return bn_cmd_tui(&cli);
    }
    return BN_EXIT_INPUT;
}
