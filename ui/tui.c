/* tui.c - the event loop: one thread that draws and reads keys. Keys are read with a 100 ms
 * timeout, so the loop turns at least ten times a second: it drains the engine's events,
 * copies the run's snapshot, redraws what changed. Every way out restores the terminal. */
#include "tui.h"

#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions.h"
#include "draw.h"
#include "screens.h"

#define TICK_MS 100
#define RUNS_SCAN_S 3.0
#define SLOW_DRAW_S 0.25

/* The one piece of global state: the number of a stop signal, set by its handler. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* ---------------------------------------------------------------- layout and drawing */

static const char *const pane_titles[BN_PANE_COUNT] = {"Experiments", "Loss", "Status",
                                                       "Samples and log", "Chat", "Board"};

static void apply_layout(bn_ui *ui)
{
    bn_layout_compute(&ui->layout, LINES, COLS, ui->slot_pane);
    for (int p = 0; p < BN_PANE_COUNT; p++) {
        ui->panes[p].visible = ui->layout.visible[p] && !ui->layout.too_small;
        ui->panes[p].ops->resize(&ui->panes[p], ui->layout.pane[p]);
    }
    ui->dirty = 1;
}

static void draw(bn_ui *ui)
{
    double t0 = bn_ui_now();
    erase();
    if (ui->layout.too_small) {
        bn_screen_too_small(ui);
    } else {
        for (int p = 0; p < BN_PANE_COUNT; p++)
            if (ui->panes[p].visible)
                ui->panes[p].ops->draw(&ui->panes[p], ui);
        bn_screen_title(ui);
        bn_screen_footer(ui);
        if (ui->screen == BN_SCREEN_FORM)
            bn_form_draw(&ui->form, ui);
        else if (ui->screen == BN_SCREEN_HELP)
            bn_screen_help(ui);
        else if (ui->screen == BN_SCREEN_CONFIRM_QUIT)
            bn_screen_confirm_quit(ui);
    }
    refresh();
    double took = bn_ui_now() - t0;
    ui->last_draw = bn_ui_now();
    ui->dirty = 0;
    if (ui->trace && ui->key_pending_trace) {
        fprintf(ui->trace, "key answered in %.2f ms\n", (ui->last_draw - ui->key_read_at) * 1e3);
        fflush(ui->trace);
        ui->key_pending_trace = 0;
    }
    if (took > SLOW_DRAW_S)
        bn_ui_log(ui, BN_LOG_WARN, "warning: slow terminal: a redraw took %.0f ms",
                  took * 1e3);
}

/* ---------------------------------------------------------------- keys */

static void set_focus(bn_ui *ui, int pane)
{
    ui->focus = (pane + BN_PANE_COUNT) % BN_PANE_COUNT;
    if (ui->focus >= BN_PANE_LOG && ui->slot_pane != (bn_pane_id)ui->focus) {
        ui->slot_pane = (bn_pane_id)ui->focus;
        apply_layout(ui);
    }
}

/* A running run asks first; one that has ended quits once its thread is done (it may
 * still be writing its state file). */
static void ask_quit(bn_ui *ui)
{
    if (!bn_session_active(&ui->session))
        ui->done = 1;
    else if (bn_session_run_over(&ui->session))
        ui->quitting = 1;
    else
        ui->screen = BN_SCREEN_CONFIRM_QUIT;
}

static void quit_with_stop(bn_ui *ui)
{
    ui->quitting = 1;
    bn_session_command(&ui->session, BN_CMD_STOP);
    bn_ui_flash(ui, "stopping: saving a checkpoint, then quitting...");
}

/* Keys no pane took. */
static void global_key(bn_ui *ui, int key)
{
    switch (key) {
    case 'q': case 'Q': ask_quit(ui); break;
    case 'p': case ' ': bn_ui_toggle_pause(ui); break;
    case 's': bn_ui_save_now(ui); break;
    case 'x': bn_ui_stop_run(ui); break;
    case '?': case KEY_F(1): ui->screen = BN_SCREEN_HELP; break;
    case '1': case '2': case '3': case '4': case '5': case '6': set_focus(ui, key - '1'); break;
    default: /* the chart's keys work from any pane but the chat */
        ui->panes[BN_PANE_LOSS].ops->handle_key(&ui->panes[BN_PANE_LOSS], ui, key);
    }
}

static void main_key(bn_ui *ui, int key)
{
    if (key == '\t' || key == KEY_BTAB) {
        set_focus(ui, ui->focus + (key == '\t' ? 1 : -1));
        return;
    }
    if (key == 27 && ui->focus == BN_PANE_CHAT) {
        bn_ui_chat_cancel(ui); /* an answer still streaming stops */
        set_focus(ui, BN_PANE_EXPERIMENTS);
        return;
    }
    bn_pane *p = &ui->panes[ui->focus];
    int flags = p->ops->handle_key(p, ui, key);
    if (flags & BN_KEY_FOCUS_NEXT)
        set_focus(ui, ui->focus + 1);
    if (flags & BN_KEY_FOCUS_PREV)
        set_focus(ui, ui->focus - 1);
    if (flags & BN_KEY_QUIT)
        ask_quit(ui);
    if (!(flags & BN_KEY_HANDLED) && ui->focus != BN_PANE_CHAT)
        global_key(ui, key);
}

static void handle_key(bn_ui *ui, int key)
{
    ui->dirty = 1;
    if (key == KEY_RESIZE) {
        apply_layout(ui);
        return;
    }
    if (ui->layout.too_small) {
        if (key == 'q')
            ask_quit(ui);
        return;
    }
    switch (ui->screen) {
    case BN_SCREEN_FORM: {
        bn_form_result r = bn_form_key(&ui->form, key);
        if (r == BN_FORM_CANCEL)
            ui->screen = BN_SCREEN_MAIN;
        else if (r == BN_FORM_SUBMIT)
            bn_ui_submit_form(ui);
        break;
    }
    case BN_SCREEN_HELP:
        ui->screen = BN_SCREEN_MAIN;
        break;
    case BN_SCREEN_CONFIRM_QUIT:
        if (key == 'y' || key == 'Y' || key == '\n' || key == '\r')
            quit_with_stop(ui);
        if (key == 'y' || key == 'Y' || key == '\n' || key == '\r' || key == 'n' ||
            key == 'N' || key == 27 || key == 'q')
            ui->screen = BN_SCREEN_MAIN;
        break;
    case BN_SCREEN_MAIN:
        main_key(ui, key);
        break;
    }
}

/* ---------------------------------------------------------------- the loop */

static void on_signal(bn_ui *ui)
{
    int sig = stop_signal;
    stop_signal = 0;
    ui->exit_status = 128 + sig;
    bn_ui_log(ui, BN_LOG_WARN, "received %s: stopping", strsignal(sig));
    if (bn_session_active(&ui->session))
        quit_with_stop(ui);
    else
        ui->done = 1;
}

static void turn(bn_ui *ui)
{
    double started = bn_ui_now();
    if (stop_signal)
        on_signal(ui);
    bn_ui_pump_events(ui);
    bn_ui_poll_session(ui);
    double now = bn_ui_now();
    if (now - ui->last_runs_scan > RUNS_SCAN_S) {
        bn_catalog_scan_runs(&ui->catalog);
        ui->last_runs_scan = now;
        ui->dirty = 1;
    }
    if (ui->quitting && !bn_session_active(&ui->session))
        ui->done = 1;
    /* A live run's numbers change all the time: redraw at the tick. */
    if (ui->dirty || bn_session_active(&ui->session) || now - ui->last_draw > 1.0)
        draw(ui);
    double work = bn_ui_now() - started;
    if (work > ui->longest_turn)
        ui->longest_turn = work;
    int key = getch();
    if (key != ERR) {
        ui->key_read_at = bn_ui_now();
        ui->key_pending_trace = 1;
        handle_key(ui, key);
    }
}

/* ---------------------------------------------------------------- set-up and tear-down */

static int ui_init(bn_ui *ui, const bn_tui_options *opt)
{
    static const bn_pane_ops *const ops[BN_PANE_COUNT] = {
        &bn_pane_experiments_ops, &bn_pane_loss_ops, &bn_pane_status_ops,
        &bn_pane_log_ops,         &bn_pane_chat_ops, &bn_pane_board_ops};
    for (int p = 0; p < BN_PANE_COUNT; p++)
        ui->panes[p] = (bn_pane){.ops = ops[p], .title = pane_titles[p]};
    ui->kernels = opt->kernels;
    ui->cores = opt->cores;
    ui->sample = opt->sample;
    ui->slot_pane = BN_PANE_LOG;
    ui->chart.decay_index = bn_pane_loss_default_decay();
    ui->chat.sampling = bn_sampling_defaults();
    bn_session_init(&ui->session);
    bn_series_init(&ui->series);
    bn_series_init(&ui->overlay);
    snprintf(ui->catalog.runs_dir, sizeof ui->catalog.runs_dir, "runs");
    bn_catalog_scan_experiments(&ui->catalog, opt->installed_experiments);
    bn_catalog_scan_runs(&ui->catalog);
    ui->last_runs_scan = bn_ui_now();
    if (bn_ui_queue_init(&ui->queue, 8192) != 0)
        return -1;
    if (bn_worker_start(&ui->worker, &ui->queue, opt->kernels) != 0)
        return -1;
    bn_board_new_game(&ui->board, 'X');
    bn_ui_log(ui, BN_LOG_INFO, "%d experiments, %d runs in ./runs. ? shows every key.",
              ui->catalog.n_exps, ui->catalog.n_runs);
    return 0;
}

static void ui_free(bn_ui *ui)
{
    bn_worker_stop(&ui->worker);
    if (bn_session_active(&ui->session)) { /* only on a failure path: stop, then wait */
        bn_session_command(&ui->session, BN_CMD_STOP);
        struct timespec tick = {0, 20 * 1000 * 1000};
        while (bn_session_poll(&ui->session) == BN_POLL_NOTHING)
            nanosleep(&tick, NULL);
    }
    bn_session_close(&ui->session);
    bn_series_free(&ui->series);
    bn_series_free(&ui->overlay);
    bn_ui_queue_free(&ui->queue);
}

static SCREEN *start_curses(bn_ui *ui)
{
    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr)
        return NULL;
    set_term(scr);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    timeout(TICK_MS);
    set_escdelay(25);
    const char *nc = getenv("NO_COLOR");
    int utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    bn_theme_init(&ui->theme, nc && nc[0], utf8);
    return scr;
}

int bn_tui_run(const bn_tui_options *opt)
{
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C"); /* numbers as in every file we write */
    bn_ui *ui = calloc(1, sizeof *ui);
    if (!ui || ui_init(ui, opt) != 0) {
        fprintf(stderr, "bitnet-tui: out of memory starting the UI\n");
        free(ui);
        return 1;
    }
    install_signals();
    SCREEN *scr = start_curses(ui);
    if (!scr) {
        ui_free(ui);
        free(ui);
        fprintf(stderr, "bitnet-tui: cannot use this terminal (TERM=%s); train headless with "
                        "`bitnet-tui train arithmetic` (or --batch)\n", getenv("TERM"));
        return 2;
    }
    apply_layout(ui);
    const char *trace = getenv("BITNET_TUI_TRACE");
    ui->trace = trace && trace[0] ? fopen(trace, "w") : NULL;
    while (!ui->done)
        turn(ui);
    endwin();
    if (ui->trace) {
        fprintf(ui->trace, "longest loop turn %.2f ms\n", ui->longest_turn * 1e3);
        fclose(ui->trace);
    }
    delscreen(scr);
    int status = ui->exit_status;
    ui_free(ui);
    free(ui);
    return status;
}
