/* screens.h - what is drawn around and over the panes: the title bar, the key footer, the
 * help and quit-confirmation modals, the "terminal too small" screen. */
#ifndef BN_UI_SCREENS_H
#define BN_UI_SCREENS_H

#include "ui.h"

void bn_screen_title(bn_ui *ui);
void bn_screen_footer(bn_ui *ui);
void bn_screen_help(bn_ui *ui);
void bn_screen_confirm_quit(bn_ui *ui);
void bn_screen_too_small(bn_ui *ui);

#endif
