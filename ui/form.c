/* form.c - the start-a-run form: fields, keys, validation, drawing. */
#include "form.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "draw.h"

static const struct {
    const char *label, *key, *hint;
} fields[BN_FORM_FIELDS] = {
    {"Steps", "training.num_steps", "optimizer steps"},
    {"Batch size", "training.batch_size", "rows per step"},
    {"Seq len", "training.seq_len", "tokens per row"},
    {"Run id", "logging.run_id", "empty: bitnet_<size>_<experiment>_<time>"},
    {"Threads", "training.threads", "0 = every core"},
    {"Overrides", NULL, "more INI keys: model.num_layers=2 logging.log_interval=5"},
};

bn_status bn_form_open(bn_form *f, const char *name, const char *ini_path, bn_error *err)
{
    memset(f, 0, sizeof *f);
    snprintf(f->experiment, sizeof f->experiment, "%s", name);
    bn_config_defaults(&f->cfg);
    bn_status s = bn_config_load(&f->cfg, ini_path, err);
    if (s != BN_OK)
        return s;
    for (int i = 0; i < BN_FORM_FIELDS; i++) {
        f->field[i].label = fields[i].label;
        f->field[i].key = fields[i].key;
        f->field[i].hint = fields[i].hint;
    }
    snprintf(f->field[0].value, BN_FORM_VALUE, "%ld", f->cfg.train.num_steps);
    snprintf(f->field[1].value, BN_FORM_VALUE, "%d", f->cfg.train.batch_size);
    snprintf(f->field[2].value, BN_FORM_VALUE, "%d", f->cfg.train.seq_len);
    snprintf(f->field[3].value, BN_FORM_VALUE, "%s", f->cfg.log.run_id);
    snprintf(f->field[4].value, BN_FORM_VALUE, "%d", f->cfg.train.threads);
    return BN_OK;
}

static void edit(bn_form_field *fl, int key)
{
    size_t n = strlen(fl->value);
    if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        if (n > 0)
            fl->value[n - 1] = '\0';
        fl->edited = 1;
    } else if (key == 21) { /* Ctrl-U */
        fl->value[0] = '\0';
        fl->edited = 1;
    } else if (key >= 32 && key < 127) {
        if (!fl->edited) {
            fl->value[0] = '\0';
            n = 0;
        }
        fl->edited = 1;
        if (n + 1 < BN_FORM_VALUE) {
            fl->value[n] = (char)key;
            fl->value[n + 1] = '\0';
        }
    }
}

bn_form_result bn_form_key(bn_form *f, int key)
{
    switch (key) {
    case 27: return BN_FORM_CANCEL;
    case '\n': case '\r': case KEY_ENTER: return BN_FORM_SUBMIT;
    case KEY_UP: case KEY_BTAB:
        f->current = (f->current + BN_FORM_FIELDS - 1) % BN_FORM_FIELDS;
        return BN_FORM_CONTINUE;
    case KEY_DOWN: case '\t':
        f->current = (f->current + 1) % BN_FORM_FIELDS;
        return BN_FORM_CONTINUE;
    default:
        f->error[0] = '\0';
        edit(&f->field[f->current], key);
        return BN_FORM_CONTINUE;
    }
}

/* Split the overrides field into assignments (a leading "--set" is allowed and skipped). */
static int split_overrides(char *text, const char **out, int cap)
{
    int n = 0;
    for (char *tok = strtok(text, " \t"); tok && n < cap; tok = strtok(NULL, " \t"))
        if (strcmp(tok, "--set") != 0)
            out[n++] = tok;
    return n;
}

bn_status bn_form_config(const bn_form *f, bn_config *out, bn_error *err)
{
    char storage[BN_FORM_FIELDS][BN_FORM_VALUE + 40], overrides[BN_FORM_VALUE];
    const char *sets[BN_FORM_FIELDS + 64];
    int n = 0;
    for (int i = 0; i < BN_FORM_FIELDS; i++) {
        const bn_form_field *fl = &f->field[i];
        if (!fl->key)
            continue;
        snprintf(storage[i], sizeof storage[i], "%s=%s", fl->key, fl->value);
        sets[n++] = storage[i];
    }
    snprintf(overrides, sizeof overrides, "%s", f->field[BN_FORM_FIELDS - 1].value);
    n += split_overrides(overrides, sets + n, 64);
    *out = f->cfg;
    bn_status s = bn_config_set_all(out, sets, n, err);
    if (s != BN_OK)
        return s;
    if (out->log.run_id[0]) {
        char dir[BN_PATH_MAX];
        struct stat st;
        s = bn_path_join(dir, out->log.runs_dir, out->log.run_id, err);
        if (s != BN_OK)
            return s;
        if (stat(dir, &st) == 0)
            return bn_fail(err, BN_ERR_INPUT, "run id '%s': %s exists; choose another",
                           out->log.run_id, dir);
    }
    return BN_OK;
}

void bn_form_draw(bn_form *f, bn_ui *ui)
{
    int w = ui->layout.cols - 8 < 72 ? ui->layout.cols - 8 : 72, h = BN_FORM_FIELDS * 2 + 7;
    bn_rect r = {(ui->layout.lines - h) / 2, (ui->layout.cols - w) / 2, h, w};
    char title[BN_NAME_MAX + 32];
    snprintf(title, sizeof title, "Train %s", f->experiment);
    bn_draw_clear(r);
    bn_draw_box(ui, r, title, 1);
    int x = r.x + 2, vx = r.x + 15, vw = r.w - 17;
    for (int i = 0; i < BN_FORM_FIELDS; i++) {
        const bn_form_field *fl = &f->field[i];
        int y = r.y + 2 + 2 * i, cur = i == f->current;
        bn_draw_text(ui, y, x, 12, cur ? BN_ROLE_KEY : BN_ROLE_NORMAL, fl->label);
        bn_role role = cur ? BN_ROLE_SELECTED : BN_ROLE_INPUT;
        attr_t a = bn_theme_attr(&ui->theme, role);
        attron(a);
        mvhline(y, vx, ' ', vw);
        attroff(a);
        int len = (int)strlen(fl->value); /* the end stays in view while typing */
        bn_draw_text(ui, y, vx, vw, role, fl->value + (cur && len > vw - 1 ? len - (vw - 1) : 0));
        bn_draw_text(ui, y + 1, vx, vw, BN_ROLE_DIM, fl->hint);
    }
    int y = r.y + r.h - 3;
    if (f->error[0])
        bn_draw_text(ui, y, x, r.w - 4, BN_ROLE_ERROR, f->error);
    bn_draw_text(ui, y + 1, x, r.w - 4, BN_ROLE_DIM,
                 "Enter: start   Tab/Down, Up: field   Ctrl-U: clear   Esc: cancel");
}
