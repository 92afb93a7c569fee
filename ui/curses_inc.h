/* curses_inc.h - the one place that includes curses, so every UI file sees it the same way.
 * With ncursesw (configure prefers it) and a UTF-8 locale, addstr takes UTF-8 text. */
#ifndef BN_UI_CURSES_INC_H
#define BN_UI_CURSES_INC_H

#include <curses.h>

#endif
