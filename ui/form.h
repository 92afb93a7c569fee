/* form.h - the "start a run" form: an experiment's defaults in a few editable fields
 * (steps, batch size, seq len, run id, threads, and any other INI keys as section.key=value),
 * turned into a validated configuration. */
#ifndef BN_UI_FORM_H
#define BN_UI_FORM_H

#include "io/config.h"
#include "base/error.h"

#define BN_FORM_FIELDS 6
#define BN_FORM_VALUE 480

typedef struct {
    const char *label;
    const char *key;          /* the INI key it sets; NULL for the free overrides field */
    const char *hint;
    char value[BN_FORM_VALUE];
    int edited;               /* typing replaces an untouched default */
} bn_form_field;

typedef struct {
    bn_form_field field[BN_FORM_FIELDS];
    int current;
    char experiment[BN_NAME_MAX];
    bn_config cfg;            /* the experiment's INI, loaded when the form opened */
    char error[BN_PATH_MAX + 256];
} bn_form;

typedef enum { BN_FORM_CONTINUE, BN_FORM_SUBMIT, BN_FORM_CANCEL } bn_form_result;

/* Load the experiment's INI (err on failure) and fill the fields with its values. */
bn_status bn_form_open(bn_form *f, const char *name, const char *ini_path, bn_error *err);

/* One key (curses codes). */
bn_form_result bn_form_key(bn_form *f, int key);

/* The configuration the fields describe, validated (threads 0 = every core); a run id
 * whose directory exists is refused. */
bn_status bn_form_config(const bn_form *f, bn_config *out, bn_error *err);

struct bn_ui;
void bn_form_draw(bn_form *f, struct bn_ui *ui);

#endif
