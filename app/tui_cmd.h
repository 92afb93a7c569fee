/* tui_cmd.h - `bitnet-tui` without arguments: the terminal UI. */
#ifndef BN_TUI_CMD_H
#define BN_TUI_CMD_H

#include "cli.h"

/* Refuses (status 2, a message pointing to train and --batch) when stdin/stdout is not a terminal or
 * TERM is unset or "dumb"; otherwise runs the UI and returns its exit status. */
int bn_cmd_tui(const bn_cli *cli);

#endif
