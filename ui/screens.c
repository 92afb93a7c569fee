/* screens.c - title bar, footer, modals, the too-small screen. */
#include "screens.h"

#include <stdio.h>
#include <string.h>

#include "draw.h"

void bn_screen_title(bn_ui *ui)
{
    bn_rect r = ui->layout.title;
    attr_t a = bn_theme_attr(&ui->theme, BN_ROLE_TITLE);
    attron(a);
    mvhline(r.y, 0, ' ', r.w);
    attroff(a);
    char run[160] = "no run open";
    const bn_session *s = &ui->session;
    if (s->kind != BN_SESSION_NONE) {
        const char *id = strrchr(s->run_dir, '/');
        snprintf(run, sizeof run, "%s  %s  step %ld/%ld", id ? id + 1 : s->experiment,
                 s->state, s->snap.stats.step, s->snap.stats.total_steps);
    }
    int left_w = r.w - 2;
    if (ui->flash[0] && bn_ui_now() < ui->flash_until) { /* the flash takes the right end */
        int n = (int)strlen(ui->flash);
        int x = r.w - n - 1 > r.w / 2 ? r.w - n - 1 : r.w / 2;
        bn_draw_text(ui, r.y, x, r.w - x - 1, BN_ROLE_TITLE, ui->flash);
        left_w = x - 3;
    }
    bn_draw_printf(ui, r.y, 1, left_w, BN_ROLE_TITLE, "bitnet-tui %s | %s", BN_VERSION, run);
}

/* Keys and what they do, in footer order (most important first). */
static const struct {
    const char *key, *what;
} footer_keys[] = {
    {"Tab", "pane"}, {"Enter", "select"}, {"p", "pause"}, {"s", "save"}, {"x", "stop"},
    {"[ ]", "smooth"}, {"g", "log y"}, {"l", "lr"}, {"?", "help"}, {"q", "quit"},
};

void bn_screen_footer(bn_ui *ui)
{
    bn_rect r = ui->layout.footer;
    mvhline(r.y, 0, ' ', r.w);
    if (ui->focus == BN_PANE_CHAT && ui->screen == BN_SCREEN_MAIN) {
        int story = ui->session.task && ui->session.task->chat_samples;
        bn_draw_text(ui, r.y, 1, r.w - 2, BN_ROLE_DIM,
                     story ? "a story's start, Enter: continue  /temp /top_p /top_k /seed  "
                             "Tab/Esc: leave"
                           : "type a prompt (e.g. 12+34=)  Enter: complete  Ctrl-U: clear  "
                             "Tab/Esc: leave the chat");
        return;
    }
    int x = 1;
    for (size_t i = 0; i < sizeof footer_keys / sizeof footer_keys[0]; i++) {
        int need = (int)(strlen(footer_keys[i].key) + strlen(footer_keys[i].what)) + 3;
        if (x + need > r.w - 1)
            break;
        bn_draw_text(ui, r.y, x, need, BN_ROLE_KEY, footer_keys[i].key);
        x += (int)strlen(footer_keys[i].key) + 1;
        bn_draw_text(ui, r.y, x, need, BN_ROLE_DIM, footer_keys[i].what);
        x += (int)strlen(footer_keys[i].what) + 2;
    }
}

static const char *const help_lines[] = {
    "Tab / Shift-Tab    next / previous pane (1-6 jump to one)",
    "Up/Down, j/k       move in the experiment list; scroll the log",
    "Enter              experiment: the start-a-run form; run: open it",
    "p                  pause / resume the training run",
    "s                  save a checkpoint now",
    "x                  stop the run (it saves a checkpoint)",
    "[ and ]            less / more smoothing of the loss curve",
    "g                  log scale for the loss axis",
    "l                  show the learning-rate curve",
    "o                  on a run in the list: overlay its loss on the chart",
    "Chat pane          type a prompt such as 12+34=, Enter: greedy completion",
    "                   (a live run answers between steps; a past run from",
    "                   its latest checkpoint); a text run samples a story,",
    "                   set with /temp 0.7 /top_p 0.9 /top_k 40 /seed 5",
    "?                  this help          q  quit (a run stops with a checkpoint)",
    "",
    "Long unattended runs: bitnet-tui train EXPERIMENT (see train --help).",
    "Any key closes this help.",
};

void bn_screen_help(bn_ui *ui)
{
    int n = (int)(sizeof help_lines / sizeof help_lines[0]);
    int w = ui->layout.cols - 4 < 76 ? ui->layout.cols - 4 : 76;
    int h = n + 2 < ui->layout.lines - 2 ? n + 2 : ui->layout.lines - 2;
    bn_rect r = {(ui->layout.lines - h) / 2, (ui->layout.cols - w) / 2, h, w};
    bn_draw_clear(r);
    bn_draw_box(ui, r, "Keys", 1);
    for (int i = 0; i < n && i < h - 2; i++)
        bn_draw_text(ui, r.y + 1 + i, r.x + 2, w - 4, BN_ROLE_NORMAL, help_lines[i]);
}

void bn_screen_confirm_quit(bn_ui *ui)
{
    int w = 60, h = 6;
    bn_rect r = {(ui->layout.lines - h) / 2, (ui->layout.cols - w) / 2, h, w};
    bn_draw_clear(r);
    bn_draw_box(ui, r, "Quit?", 1);
    bn_draw_text(ui, r.y + 1, r.x + 2, w - 4, BN_ROLE_NORMAL,
                 "A run is training. Quitting stops it after this step");
    bn_draw_text(ui, r.y + 2, r.x + 2, w - 4, BN_ROLE_NORMAL,
                 "and saves a checkpoint (resume: train --resume DIR).");
    bn_draw_text(ui, r.y + 4, r.x + 2, w - 4, BN_ROLE_KEY, "y: stop and quit    n / Esc: keep training");
}

void bn_screen_too_small(bn_ui *ui)
{
    bn_draw_printf(ui, 0, 0, ui->layout.cols, BN_ROLE_WARN, "terminal too small: %dx%d",
                   ui->layout.cols, ui->layout.lines);
    bn_draw_printf(ui, 1, 0, ui->layout.cols, BN_ROLE_NORMAL, "bitnet-tui needs %dx%d;",
                   BN_MIN_COLS, BN_MIN_LINES);
    bn_draw_text(ui, 2, 0, ui->layout.cols, BN_ROLE_NORMAL, "enlarge it, or q to quit.");
}
