/* pane_chat.c - a prompt line and the open run's completions, streamed as they come: greedy
 * answers on one line each ("12+34=" -> "46"), or on a text run sampled stories wrapped over
 * the pane's width under a line of the sampling settings (README, "Terminal UI"). Typing
 * goes to the prompt while this pane has the focus; Enter sends (actions.c routes it to the
 * training thread or the checkpoint worker, or takes a /command). */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "draw.h"

/* After an answer's text: " ..." while it streams, " [stopped]" when Esc cut it. */
static const char *entry_tail(const bn_chat_entry *e)
{
    return e->state == 0 ? " ..." : e->state == BN_GEN_STOPPED ? " [stopped]" : "";
}

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
                       entry_tail(e));
}

/* ---------------------------------------------------------------- a text run's stories */

/* An entry's text; every line takes at least one byte of it, so it has no more lines. */
#define STORY_BYTES (BN_CHAT_TEXT_MAX + BN_CHAT_ANSWER_MAX + 16)

typedef struct {
    const char *s;
    size_t len;
} span;

/* The character at s (len > 0 bytes left): its bytes in *n and its columns on screen (a
 * wide emoji or CJK character takes two; a byte that starts none counts as one). */
static int char_cols(const char *s, size_t len, size_t *n)
{
    mbstate_t st;
    wchar_t wc;
    memset(&st, 0, sizeof st);
    size_t k = mbrtowc(&wc, s, len, &st);
    if (k == 0 || k == (size_t)-1 || k == (size_t)-2) {
        *n = 1;
        return 1;
    }
    *n = k;
    int w = wcwidth(wc);
    return w < 0 ? 1 : w;
}

/* Columns of s[0..n). */
static int cols(const char *s, size_t n)
{
    int c = 0;
    for (size_t i = 0, k; i < n; i += k)
        c += char_cols(s + i, n - i, &k);
    return c;
}

/* The next line of s (len bytes) at most w columns wide: ends at a newline, else at the last
 * space that fits (else mid-word). Returns its length; *skip the bytes after it that no line
 * shows (the newline or the space broken at). */
static size_t next_line(const char *s, size_t len, int w, size_t *skip)
{
    size_t i = 0, space = 0, k;
    int col = 0;
    *skip = 0;
    while (i < len) {
        if (s[i] == '\n') {
            *skip = 1;
            return i;
        }
        int c = char_cols(s + i, len - i, &k);
        if (col + c > w && col > 0)
            break;
        if (s[i] == ' ')
            space = i;
        col += c;
        i += k;
    }
    if (i < len && s[i] == ' ') {
        *skip = 1;
        return i;
    }
    if (i < len && space > 0 && s[i] != '\n') {
        *skip = 1;
        return space;
    }
    return i;
}

/* Wrap text into at most max lines of w columns: their count. */
static int wrap(const char *text, int w, span *lines, int max)
{
    size_t len = strlen(text), at = 0, skip;
    int n = 0;
    while (n < max && (at < len || n == 0)) {
        size_t k = next_line(text + at, len - at, w, &skip);
        lines[n++] = (span){text + at, k};
        at += k + skip;
        if (k == 0 && skip == 0)
            break;
    }
    return n;
}

/* One line of an entry, in the roles of the parts it crosses: the prompt up to b1, the
 * completion up to b2, then the pending marker. */
static void draw_story_line(bn_ui *ui, span l, const char *base, size_t b1, size_t b2,
                            bn_role answer, int y, int x)
{
    size_t from = (size_t)(l.s - base), to = from + l.len, cut[4] = {from, b1, b2, to};
    bn_role role[3] = {BN_ROLE_INPUT, answer, BN_ROLE_DIM};
    for (int part = 0; part < 3; part++) {
        size_t a = cut[part] > from ? cut[part] : from, b = cut[part + 1] < to ? cut[part + 1] : to;
        if (b <= a)
            continue;
        char buf[STORY_BYTES];
        memcpy(buf, base + a, b - a);
        buf[b - a] = '\0';
        bn_draw_text(ui, y, x, (int)(b - a), role[part], buf); /* it fits: wrapped to w */
        x += cols(base + a, b - a);
    }
}

/* An entry as flowing text ("> prompt" and its continuation), its last lines from row
 * `bottom` up to row `top`: the row above what it drew. */
static int draw_story(bn_ui *ui, const bn_chat_entry *e, int top, int bottom, int x, int w)
{
    char text[STORY_BYTES];
    int n1 = snprintf(text, sizeof text, "> %s%s", e->prompt, e->state < 0 ? " " : "");
    size_t b1 = (size_t)(n1 < (int)sizeof text ? n1 : (int)sizeof text - 1);
    snprintf(text + b1, sizeof text - b1, "%s%s", e->completion, entry_tail(e));
    size_t b2 = b1 + strlen(e->completion);
    for (char *t = text; *t; t++) /* a tab or a control byte would move the cursor */
        if ((unsigned char)*t < 0x20 && *t != '\n')
            *t = ' ';
    span lines[STORY_BYTES];
    int n = wrap(text, w, lines, STORY_BYTES), row = bottom;
    for (int i = n - 1; i >= 0 && row >= top; i--, row--)
        draw_story_line(ui, lines[i], text, b1, b2, e->state < 0 ? BN_ROLE_ERROR : BN_ROLE_GOOD,
                        row, x);
    return row;
}

/* "temp 0.9  top-p 0.95  top-k 0  seed new", closer together when the pane is narrow. */
static void settings_line(const bn_chat_view *c, int w, char *out, size_t cap)
{
    char seed[32]; /* "new": each prompt draws from a new seed */
    if (c->seed_fixed)
        snprintf(seed, sizeof seed, "%llu", c->seed);
    else
        snprintf(seed, sizeof seed, "new");
    for (int gap = 2; gap >= 1; gap--) {
        int n = snprintf(out, cap, "temp %g%*stop-p %g%*stop-k %d%*sseed %s",
                         (double)c->sampling.temperature, gap, "", (double)c->sampling.top_p,
                         gap, "", c->sampling.top_k, gap, "", seed);
        if (n <= w)
            return;
    }
}

static void draw_stories(bn_ui *ui, bn_rect in, int input_y)
{
    const bn_chat_view *c = &ui->chat;
    char line[160];
    settings_line(c, in.w, line, sizeof line);
    bn_draw_text(ui, in.y, in.x, in.w, BN_ROLE_DIM, line);
    int top = in.y + 1;
    span note[2]; /* a refusal over two lines at most */
    int n = c->note[0] ? wrap(c->note, in.w, note, 2) : 0;
    for (int i = 0; i < n; i++) {
        char buf[sizeof c->note];
        snprintf(buf, sizeof buf, "%.*s", (int)note[i].len, note[i].s);
        bn_draw_text(ui, top++, in.x, in.w, c->note_bad ? BN_ROLE_ERROR : BN_ROLE_DIM, buf);
    }
    int row = input_y - 1;
    for (int i = c->n_entries - 1; i >= 0 && row >= top; i--)
        row = draw_story(ui, &c->entry[i], top, row, in.x, in.w);
    if (c->n_entries == 0 && row >= top + 1) {
        bn_draw_text(ui, top, in.x, in.w, BN_ROLE_DIM, "type the start of a story, Enter");
        bn_draw_text(ui, top + 1, in.x, in.w, BN_ROLE_DIM, "/temp 0.7 /top_p 0.9 /top_k 40 /seed 5");
    }
}

/* ---------------------------------------------------------------- the pane */

static void chat_draw(bn_pane *p, bn_ui *ui)
{
    int focused = ui->focus == BN_PANE_CHAT;
    bn_draw_box(ui, p->rect, focused ? "Chat (typing here; Tab leaves)" : "Chat", focused);
    bn_rect in = bn_rect_inner(p->rect);
    const bn_chat_view *c = &ui->chat;
    int input_y = in.y + in.h - 1;
    if (ui->session.task && ui->session.task->chat_samples)
        draw_stories(ui, in, input_y);
    else
        for (int row = input_y - 1, i = c->n_entries - 1; row >= in.y && i >= 0; row--, i--)
            draw_entry(ui, &c->entry[i], row, in.x, in.w);
    if (c->n_entries == 0 && in.h >= 3 && !(ui->session.task && ui->session.task->chat_samples))
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
