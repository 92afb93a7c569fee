/* pane_experiments.c - the experiment picker and the run list: Enter on an experiment opens
 * the start-a-run form, Enter on a run opens it. */
#include <stdio.h>
#include <string.h>

#include "draw.h"

static int item_count(const bn_ui *ui)
{
    return ui->catalog.n_exps + ui->catalog.n_runs;
}

static bn_role state_role(const char *state)
{
    if (strcmp(state, "running") == 0 || strcmp(state, "paused") == 0)
        return BN_ROLE_GOOD;
    if (strcmp(state, "stopped") == 0)
        return BN_ROLE_WARN;
    if (strcmp(state, "diverged") == 0 || strcmp(state, "failed") == 0)
        return BN_ROLE_ERROR;
    return BN_ROLE_DIM;
}

/* The run's id cut from the left when too long (its time stamp is what tells runs apart). */
static void fit_id(const char *id, int w, char *out, size_t cap)
{
    int n = (int)strlen(id);
    if (n <= w || w < 4)
        snprintf(out, cap, "%s", id);
    else
        snprintf(out, cap, "~%s", id + n - (w - 1));
}

/* Display lines: a header, experiments (1 line), a header, runs (2 lines). Returns the line
 * of item i, or the total count of lines for i = -1. */
static int line_of(const bn_ui *ui, int item)
{
    int ne = ui->catalog.n_exps;
    if (item < 0)
        return 1 + ne + 2 + 2 * ui->catalog.n_runs;
    return item < ne ? 1 + item : 1 + ne + 2 + 2 * (item - ne);
}

/* The live run's numbers beat the file's. */
static void run_line2(const bn_ui *ui, const bn_run_info *r, char *out, size_t cap,
                      const char **state)
{
    long step = r->step;
    double loss = r->loss;
    int have_loss = r->have_loss;
    *state = r->state;
    if (bn_session_active(&ui->session) &&
        strcmp(ui->session.run_dir, r->dir) == 0) {
        step = ui->session.snap.stats.step;
        loss = ui->session.snap.stats.loss;
        have_loss = step > 0;
        *state = ui->session.state;
    }
    if (have_loss)
        snprintf(out, cap, "%-8s %ld/%ld %.3f", *state, step, r->total_steps, loss);
    else
        snprintf(out, cap, "%-8s %ld/%ld", *state, step, r->total_steps);
}

static void draw_item(bn_ui *ui, int item, int y, int x, int w, int limit_y)
{
    int selected = item == ui->exp.selected && ui->focus == BN_PANE_EXPERIMENTS;
    int ne = ui->catalog.n_exps;
    if (item < ne) {
        bn_draw_printf(ui, y, x, w, selected ? BN_ROLE_SELECTED : BN_ROLE_NORMAL, "%-*s", w,
                       ui->catalog.exps[item].name);
        return;
    }
    const bn_run_info *r = &ui->catalog.runs[item - ne];
    char id[BN_NAME_MAX + 4], line2[128];
    const char *state;
    int open = ui->session.kind != BN_SESSION_NONE && strcmp(ui->session.run_dir, r->dir) == 0;
    fit_id(r->id, w - 2, id, sizeof id);
    bn_draw_printf(ui, y, x, w, selected ? BN_ROLE_SELECTED : BN_ROLE_NORMAL, "%s %-*s",
                   open ? "*" : " ", w - 2, id);
    run_line2(ui, r, line2, sizeof line2, &state);
    if (y + 1 < limit_y)
        bn_draw_printf(ui, y + 1, x + 2, w - 2, state_role(state), "%s", line2);
}

static void exp_draw(bn_pane *p, bn_ui *ui)
{
    bn_rect in = bn_rect_inner(p->rect);
    bn_draw_box(ui, p->rect, p->title, ui->focus == BN_PANE_EXPERIMENTS);
    if (ui->exp.selected >= item_count(ui)) /* the run list can shrink */
        ui->exp.selected = item_count(ui) > 0 ? item_count(ui) - 1 : 0;
    int total = line_of(ui, -1);
    int sel_line = item_count(ui) ? line_of(ui, ui->exp.selected) : 0;
    /* Scroll so the selection (and a run's second line) stays in view. */
    if (sel_line + 1 >= ui->exp.scroll + in.h)
        ui->exp.scroll = sel_line + 2 - in.h;
    if (sel_line - 1 < ui->exp.scroll)
        ui->exp.scroll = sel_line > 0 ? sel_line - 1 : 0;
    if (ui->exp.scroll > total - in.h)
        ui->exp.scroll = total - in.h > 0 ? total - in.h : 0;
    int ne = ui->catalog.n_exps, first = ui->exp.scroll;
    int ys = in.y - first, limit = in.y + in.h;
    if (ys >= in.y)
        bn_draw_text(ui, ys, in.x, in.w, BN_ROLE_HEADER, "Experiments (Enter: train)");
    int runs_header = ys + 1 + ne + 1;
    if (runs_header >= in.y && runs_header < limit)
        bn_draw_printf(ui, runs_header, in.x, in.w, BN_ROLE_HEADER, "Runs in ./runs (%d)",
                       ui->catalog.n_runs);
    for (int i = 0; i < item_count(ui); i++) {
        int y = ys + line_of(ui, i);
        if (y >= in.y && y < limit)
            draw_item(ui, i, y, in.x, in.w, limit);
    }
    if (!ui->catalog.n_exps)
        bn_draw_text(ui, in.y + 1, in.x, in.w, BN_ROLE_WARN, "no experiments/*.ini found");
}

static int exp_key(bn_pane *p, bn_ui *ui, int key)
{
    (void)p;
    int n = item_count(ui);
    switch (key) {
    case KEY_UP: case 'k':
        if (ui->exp.selected > 0)
            ui->exp.selected--;
        return BN_KEY_HANDLED | BN_KEY_REDRAW;
    case KEY_DOWN: case 'j':
        if (ui->exp.selected + 1 < n)
            ui->exp.selected++;
        return BN_KEY_HANDLED | BN_KEY_REDRAW;
    case KEY_HOME:
        ui->exp.selected = 0;
        return BN_KEY_HANDLED | BN_KEY_REDRAW;
    case KEY_END:
        ui->exp.selected = n > 0 ? n - 1 : 0;
        return BN_KEY_HANDLED | BN_KEY_REDRAW;
    case '\n': case '\r': case KEY_ENTER:
        if (ui->exp.selected < ui->catalog.n_exps)
            bn_ui_open_form(ui, ui->exp.selected);
        else if (ui->exp.selected < n)
            bn_ui_open_run(ui, ui->exp.selected - ui->catalog.n_exps);
        return BN_KEY_HANDLED | BN_KEY_REDRAW;
    case 'o':
        if (ui->exp.selected >= ui->catalog.n_exps && ui->exp.selected < n)
            bn_ui_toggle_overlay(ui, ui->exp.selected - ui->catalog.n_exps);
        return BN_KEY_HANDLED | BN_KEY_REDRAW;
    }
    return BN_KEY_IGNORED;
}

static void exp_resize(bn_pane *p, bn_rect r)
{
    p->rect = r;
}

const bn_pane_ops bn_pane_experiments_ops = {
    .draw = exp_draw,
    .handle_key = exp_key,
    .resize = exp_resize,
};
