/* actions.h - what the UI does between keys: applying engine events, noticing a run's start
 * and end, starting runs from the form, opening past runs, sending chat prompts. */
#ifndef BN_UI_ACTIONS_H
#define BN_UI_ACTIONS_H

#include "ui.h"

/* Drain the event queue into the series, the log and the chat. */
void bn_ui_pump_events(bn_ui *ui);

/* Copy the snapshot; on a run's end, log it and refresh the run list. */
void bn_ui_poll_session(bn_ui *ui);

/* The form's Enter: start the run it describes, or leave an error in the form. */
void bn_ui_submit_form(bn_ui *ui);

/* p / s / x. */
void bn_ui_toggle_pause(bn_ui *ui);
void bn_ui_save_now(bn_ui *ui);
void bn_ui_stop_run(bn_ui *ui);

void bn_ui_log(bn_ui *ui, bn_log_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
