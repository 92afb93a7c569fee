/* tui_cmd.c - checks that a terminal is there, then hands over to ui/. */
#include "tui_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "experiments.h"
#include "tui.h"

static const char *unusable_terminal(void)
{
    const char *term = getenv("TERM");
    if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
        return "standard input and output are not a terminal";
    if (!term || !term[0])
        return "TERM is not set";
    if (strcmp(term, "dumb") == 0)
        return "TERM=dumb cannot show it";
    return NULL;
}

int bn_cmd_tui(const bn_cli *cli)
{
    const char *why = unusable_terminal();
    if (why) {
        fprintf(stderr, "bitnet-tui: the terminal UI needs a terminal (%s); train headless "
                        "with `bitnet-tui train arithmetic` (or the previous tool's "
                        "`--batch arithmetic`; see --help)\n", why);
        return BN_EXIT_INPUT;
    }
    bn_error err = {0};
    bn_tui_options opt = {.cores = bn_resolve_threads(0),
                          .installed_experiments = BN_PKGDATADIR "/experiments"};
    if (bn_text_sample_locate(&opt.sample, &err) != BN_OK)
        err.msg[0] = '\0'; /* a text run with an empty [data] path says so when it starts */
    if (bn_select_kernels(cli->kernel, &opt.kernels, &err) != BN_OK) {
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        return BN_EXIT_INPUT;
    }
    return bn_tui_run(&opt);
}
