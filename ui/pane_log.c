/* pane_log.c - samples and log: evaluations with example completions, checkpoint saves,
 * warnings (NaN, slow terminal, disk errors), the UI's own notes. j/k scroll. */
#include <stdio.h>
#include <string.h>

#include "draw.h"

static bn_role role_of(bn_log_kind kind)
{
    switch (kind) {
    case BN_LOG_SAMPLE: return BN_ROLE_NORMAL;
    case BN_LOG_GOOD: return BN_ROLE_GOOD;
    case BN_LOG_WARN: return BN_ROLE_WARN;
    case BN_LOG_ERROR: return BN_ROLE_ERROR;
    default: return BN_ROLE_DIM;
    }
}

static void log_draw(bn_pane *p, bn_ui *ui)
{
    char title[64] = "Samples and log";
    if (ui->logview.scroll)
        snprintf(title, sizeof title, "Samples and log (scrolled up %d)", ui->logview.scroll);
    bn_draw_box(ui, p->rect, title, ui->focus == BN_PANE_LOG);
    bn_rect in = bn_rect_inner(p->rect);
    const bn_loglines *l = &ui->log;
    int last = l->count - 1 - ui->logview.scroll;
    /* Newest at the bottom; a long line wraps, continuation rows indented by two. */
    for (int row = in.h - 1, i = last; row >= 0 && i >= 0; i--) {
        bn_log_kind kind;
        const char *text = bn_loglines_get(l, i, &kind);
        int len = (int)strlen(text), rest = len > in.w ? len - in.w : 0;
        int cont = in.w > 4 ? in.w - 2 : in.w, extra = (rest + cont - 1) / cont;
        for (int k = extra; k >= 1 && row >= 0; k--, row--) {
            int from = in.w + (k - 1) * cont;
            bn_draw_text(ui, in.y + row, in.x + 2, cont, role_of(kind), text + from);
        }
        if (row >= 0)
            bn_draw_text(ui, in.y + row--, in.x, in.w, role_of(kind), text);
    }
}

static int log_key(bn_pane *p, bn_ui *ui, int key)
{
    int page = p->rect.h - 2, max = ui->log.count - 1;
    switch (key) {
    case KEY_UP: case 'k': ui->logview.scroll++; break;
    case KEY_DOWN: case 'j': ui->logview.scroll--; break;
    case KEY_PPAGE: ui->logview.scroll += page; break;
    case KEY_NPAGE: ui->logview.scroll -= page; break;
    case KEY_END: ui->logview.scroll = 0; break;
    default: return BN_KEY_IGNORED;
    }
    if (ui->logview.scroll > max)
        ui->logview.scroll = max;
    if (ui->logview.scroll < 0)
        ui->logview.scroll = 0;
    return BN_KEY_HANDLED | BN_KEY_REDRAW;
}

static void log_resize(bn_pane *p, bn_rect r)
{
    p->rect = r;
}

const bn_pane_ops bn_pane_log_ops = {
    .draw = log_draw,
    .handle_key = log_key,
    .resize = log_resize,
};
