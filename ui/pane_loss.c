/* pane_loss.c - the loss chart: raw loss as bars, the smoothed loss as a line of dots, the
 * validation loss of the evaluations (text runs) as markers, the LR on its own axis, and a
 * second run's smoothed loss when one is overlaid ('o' in the run list); the whole history
 * compressed to the pane's width (chart.c does the arithmetic). Keys: [ and ] smoothing,
 * g log scale, l the LR curve. */
#include <stdio.h>
#include <string.h>

#include "client/chart.h"
#include "draw.h"

static const double decays[] = {0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999};
#define N_DECAYS (int)(sizeof decays / sizeof decays[0])
#define DEFAULT_DECAY 5 /* 0.98, as the trainer's smoothed loss */
#define LABEL_W 8

static double decay_of(const bn_ui *ui)
{
    int i = ui->chart.decay_index;
    return decays[i < 0 ? 0 : i >= N_DECAYS ? N_DECAYS - 1 : i];
}

/* Column x of the plot, from the bottom row up to `level` eighths. */
static void draw_bar(const bn_ui *ui, int x, int bottom, int level)
{
    const bn_glyphs *g = ui->theme.glyphs;
    for (int r = 0; r < level / 8; r++)
        bn_draw_glyph(ui, bottom - r, x, BN_ROLE_LOSS_RAW, g->blocks[8]);
    if (level % 8)
        bn_draw_glyph(ui, bottom - level / 8, x, BN_ROLE_LOSS_RAW, g->blocks[level % 8]);
}

/* A point at `level` eighths: the row it falls in (the top level sits in the top row). */
static void draw_point(const bn_ui *ui, int x, int bottom, int rows, int level, bn_role role,
                       const char *glyph)
{
    if (level < 0)
        return;
    int row = level / 8 < rows ? level / 8 : rows - 1;
    bn_draw_glyph(ui, bottom - row, x, role, glyph);
}

/* "× RUN_ID" of the overlaid run, at x on the top border; returns the columns used. */
static int draw_overlay_legend(const bn_ui *ui, int y, int x)
{
    if (!ui->overlay_id[0])
        return 0;
    int n = (int)strlen(ui->overlay_id);
    n = n > 16 ? 16 : n;
    bn_draw_glyph(ui, y, x, BN_ROLE_OVERLAY, ui->theme.glyphs->overlay);
    bn_draw_printf(ui, y, x + 1, n + 2, BN_ROLE_DIM, " %.*s ", n, ui->overlay_id);
    return n + 3;
}

/* "█ raw • smooth [× RUN] [◆ val] [· lr]" at the right of the top border, when it fits. */
static void draw_legend(const bn_ui *ui, bn_rect r)
{
    const bn_glyphs *g = ui->theme.glyphs;
    int val = ui->series.n_val > 0, id = (int)strlen(ui->overlay_id);
    int need = 15 + (val ? 6 : 0) + (ui->chart.show_lr ? 6 : 0) + (id ? (id > 16 ? 16 : id) + 3
                                                                         : 0);
    int x = r.x + r.w - need - 6;
    if (x < r.x + 26) /* closer to the corner rather than over the title */
        x = r.x + r.w - need - 1;
    if (x < r.x + 26)
        return;
    bn_draw_glyph(ui, r.y, x, BN_ROLE_LOSS_RAW, g->blocks[8]);
    bn_draw_text(ui, r.y, x + 1, 5, BN_ROLE_DIM, " raw ");
    bn_draw_glyph(ui, r.y, x + 6, BN_ROLE_LOSS_SMOOTH, g->smooth);
    bn_draw_text(ui, r.y, x + 7, 8, BN_ROLE_DIM, " smooth ");
    x += 15;
    x += draw_overlay_legend(ui, r.y, x);
    if (val) {
        bn_draw_glyph(ui, r.y, x, BN_ROLE_LOSS_VAL, g->val);
        bn_draw_text(ui, r.y, x + 1, 5, BN_ROLE_DIM, " val ");
        x += 6;
    }
    if (ui->chart.show_lr) {
        bn_draw_glyph(ui, r.y, x, BN_ROLE_LR, g->lr);
        bn_draw_text(ui, r.y, x + 1, 4, BN_ROLE_DIM, " lr ");
    }
}

static void draw_axes(const bn_ui *ui, const bn_chart_columns *c, bn_rect in, int rows)
{
    const double fracs[3] = {1.0, 0.5, 0.0};
    const int ys[3] = {in.y, in.y + (rows - 1) / 2, in.y + rows - 1};
    for (int i = 0; i < 3; i++)
        bn_draw_printf(ui, ys[i], in.x, LABEL_W - 1, BN_ROLE_AXIS, "%7.4g",
                       bn_chart_value_at(&c->axis, fracs[i]));
    int y = in.y + rows;
    bn_draw_printf(ui, y, in.x, in.w, BN_ROLE_AXIS, "%*s step %ld", LABEL_W - 6, "",
                   c->first_step);
    char right[64];
    int n = snprintf(right, sizeof right, "%ld%s", c->last_step,
                     ui->chart.log_scale ? "  (log y)" : "");
    bn_draw_text(ui, y, in.x + in.w - n, n, BN_ROLE_AXIS, right);
    if (ui->chart.show_lr && c->lr_max > 0)
        bn_draw_printf(ui, in.y, in.x + in.w - 14, 14, BN_ROLE_LR, "lr max %.1e", c->lr_max);
}

static void loss_draw(bn_pane *p, bn_ui *ui)
{
    char title[96];
    snprintf(title, sizeof title, "Loss (ema %.3g%s)", decay_of(ui),
             ui->chart.log_scale ? ", log" : "");
    bn_draw_box(ui, p->rect, title, ui->focus == BN_PANE_LOSS);
    draw_legend(ui, p->rect);
    bn_rect in = bn_rect_inner(p->rect);
    int rows = in.h - 1, width = in.w - LABEL_W;
    if (rows < 2 || width < 8)
        return;
    const bn_series *s = &ui->series;
    if (s->n == 0) {
        bn_draw_text(ui, in.y + rows / 2, in.x + 2, in.w - 4, BN_ROLE_DIM,
                     ui->session.kind == BN_SESSION_NONE
                         ? "pick an experiment (Enter) or a run to see its loss"
                         : "waiting for the first logged step...");
        return;
    }
    bn_chart_columns c;
    bn_chart_points val = {s->val_step, s->val, s->n_val};
    bn_chart_overlay over = {ui->overlay.step, ui->overlay.loss, ui->overlay.n};
    if (bn_chart_columns_compute_overlay(&c, s->step, s->loss, ui->chart.show_lr ? s->lr : NULL,
                                         s->n, &val, &over, width, rows * 8, decay_of(ui),
                                         ui->chart.log_scale) != 0)
        return;
    /* A short history is stretched: each record takes `rep` columns. */
    int bottom = in.y + rows - 1, x0 = in.x + LABEL_W, rep = width / c.columns;
    for (int k = 0; k < c.columns * rep; k++) {
        int i = k / rep, x = x0 + k;
        if (c.raw[i] >= 0)
            draw_bar(ui, x, bottom, c.raw[i]);
        if (c.lr)
            draw_point(ui, x, bottom, rows, c.lr[i], BN_ROLE_LR, ui->theme.glyphs->lr);
        draw_point(ui, x, bottom, rows, c.smooth[i], BN_ROLE_LOSS_SMOOTH,
                   ui->theme.glyphs->smooth);
        if (c.overlay)
            draw_point(ui, x, bottom, rows, c.overlay[i], BN_ROLE_OVERLAY,
                       ui->theme.glyphs->overlay);
        if (c.val && k % rep == 0) /* over the others: evaluations are few */
            draw_point(ui, x, bottom, rows, c.val[i], BN_ROLE_LOSS_VAL, ui->theme.glyphs->val);
    }
    draw_axes(ui, &c, in, rows);
    bn_chart_columns_free(&c);
}

static int loss_key(bn_pane *p, bn_ui *ui, int key)
{
    (void)p;
    switch (key) {
    case '[':
        if (ui->chart.decay_index > 0)
            ui->chart.decay_index--;
        break;
    case ']':
        if (ui->chart.decay_index + 1 < N_DECAYS)
            ui->chart.decay_index++;
        break;
    case 'g':
        ui->chart.log_scale = !ui->chart.log_scale;
        break;
    case 'l':
        ui->chart.show_lr = !ui->chart.show_lr;
        break;
    default:
        return BN_KEY_IGNORED;
    }
    return BN_KEY_HANDLED | BN_KEY_REDRAW;
}

static void loss_resize(bn_pane *p, bn_rect r)
{
    p->rect = r;
}

const bn_pane_ops bn_pane_loss_ops = {
    .draw = loss_draw,
    .handle_key = loss_key,
    .resize = loss_resize,
};

int bn_pane_loss_default_decay(void)
{
    return DEFAULT_DECAY;
}
