/* tui.h - the terminal UI's entry point. */
#ifndef BN_UI_TUI_H
#define BN_UI_TUI_H

#include "io/config.h"
#include "kernels/kernels.h"

typedef struct {
    const bn_kernels *kernels; /* for runs started here */
    int cores;                 /* threads for "0 = every core" */
    const char *installed_experiments; /* PKGDATADIR/experiments */
    bn_data_sample sample;     /* the shipped text sample (empty train: not found) */
} bn_tui_options;

/* Run the UI until the user quits; the terminal is restored on every way out. Returns the
 * process exit status: 0, 2 when the terminal cannot be used, 128+N after signal N. */
int bn_tui_run(const bn_tui_options *opt);

#endif
