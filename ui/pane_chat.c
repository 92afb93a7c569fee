/* pane_chat.c - a prompt line and the open run's greedy completions ("12+34=" -> "46"),
 * streamed as they come. Typing goes to the prompt while this pane has the focus; Enter
 * sends (tui.c routes it to the training thread or the checkpoint worker). */
#include <stdio.h>
#include <string.h>

#include "draw.h"

static void draw_entry(bn_ui *ui, const bn_chat_entry *e, int y, int x, int w)
{
    bn_draw_printf(ui, y, x, w, BN_ROLE_INPUT, "> %s", e->prompt);
    int px = x + 2 + (int)strlen(e->prompt) + 1;
    if (px >= x + w)
        return;
    if (e->state < 0)
        bn_draw_text(ui, y, px, x + w - px, BN_ROLE_ERROR, e->completion);
    else
        bn_draw_printf(ui, y, px, x + w - px, BN_ROLE_GOOD, "%s%s", e->completion,
                       e->state == 0 ? " ..." : "");
}

static void chat_draw(bn_pane *p, bn_ui *ui)
{
    int focused = ui->focus == BN_PANE_CHAT;
    bn_draw_box(ui, p->rect, focused ? "Chat (typing here; Tab leaves)" : "Chat", focused);
    bn_rect in = bn_rect_inner(p->rect);
    const bn_chat_view *c = &ui->chat;
    int input_y = in.y + in.h - 1;
    for (int row = input_y - 1, i = c->n_entries - 1; row >= in.y && i >= 0; row--, i--)
        draw_entry(ui, &c->entry[i], row, in.x, in.w);
    if (c->n_entries == 0 && in.h >= 3)
        bn_draw_text(ui, in.y, in.x, in.w, BN_ROLE_DIM,
                     ui->session.kind == BN_SESSION_NONE
                         ? "open a run, then type a prompt such as 12+34="
                         : "type a prompt such as 12+34= and Enter");
    /* The prompt line, scrolled to keep its end in view. */
    int room = in.w - 3, start = c->len > room ? c->len - room : 0;
    bn_draw_text(ui, input_y, in.x, 2, BN_ROLE_KEY, "> ");
    bn_draw_text(ui, input_y, in.x + 2, room, BN_ROLE_INPUT, c->input + start);
    if (focused)
        bn_draw_glyph(ui, input_y, in.x + 2 + c->len - start, BN_ROLE_SELECTED, " ");
}

static int chat_key(bn_pane *p, bn_ui *ui, int key)
{
    (void)p;
    bn_chat_view *c = &ui->chat;
    if (key == '\n' || key == '\r' || key == KEY_ENTER) {
        bn_ui_chat_send(ui);
    } else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        if (c->len > 0)
            c->input[--c->len] = '\0';
    } else if (key == 21) { /* Ctrl-U */
        c->len = 0;
        c->input[0] = '\0';
    } else if (key >= 32 && key < 127) {
        if (c->len + 1 < (int)sizeof c->input) {
            c->input[c->len++] = (char)key;
            c->input[c->len] = '\0';
        }
    } else {
        return BN_KEY_IGNORED;
    }
    return BN_KEY_HANDLED | BN_KEY_REDRAW;
}

static void chat_resize(bn_pane *p, bn_rect r)
{
    p->rect = r;
}

const bn_pane_ops bn_pane_chat_ops = {
    .draw = chat_draw,
    .handle_key = chat_key,
    .resize = chat_resize,
};
