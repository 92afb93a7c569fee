/* ui.h - the terminal UI's context: one struct that owns every piece of UI state (no globals
 * besides the signal flag in tui.c), and the pane interface.
 *
 * A pane is a small class: a vtable of draw / handle_key / resize, set with designated
 * initializers in its own file. Key handlers return flags that the event loop acts on. */
#ifndef BN_UI_UI_H
#define BN_UI_UI_H

#include "client/board.h"
#include "client/catalog.h"
#include "model/chat.h"
#include "model/sampling_cmd.h"
#include "curses_inc.h"
#include "form.h"
#include "client/layout.h"
#include "client/loglines.h"
#include "client/queue.h"
#include "client/series.h"
#include "client/session.h"
#include "client/worker.h"
#include "theme.h"

/* What a key handler did. */
enum {
    BN_KEY_IGNORED = 0,
    BN_KEY_HANDLED = 1,    /* consumed */
    BN_KEY_REDRAW = 2,     /* something changed on screen */
    BN_KEY_QUIT = 4,       /* leave (the loop asks first while a run trains) */
    BN_KEY_FOCUS_NEXT = 8,
    BN_KEY_FOCUS_PREV = 16
};

typedef struct bn_ui bn_ui;
typedef struct bn_pane bn_pane;

typedef struct {
    void (*draw)(bn_pane *p, bn_ui *ui);
    int (*handle_key)(bn_pane *p, bn_ui *ui, int key);
    void (*resize)(bn_pane *p, bn_rect r);
} bn_pane_ops;

struct bn_pane {
    const bn_pane_ops *ops;
    const char *title;
    bn_rect rect;
    int visible;
};

/* The panes' own state. */
typedef struct {
    int selected, scroll; /* rows: experiments, then runs */
} bn_exp_view;

typedef struct {
    int decay_index;      /* into the EMA decay table of pane_loss.c */
    int log_scale, show_lr;
} bn_chart_view;

#define BN_CHAT_HISTORY 16

typedef struct {
    char prompt[BN_CHAT_TEXT_MAX];
    char completion[BN_CHAT_ANSWER_MAX]; /* so far, while pending */
    int state;            /* 0 pending, 1 done, -1 error (completion holds the message),
                           * BN_GEN_STOPPED cut by Esc (drawn with " [stopped]") */
    bn_req_origin origin; /* who answers it: the training thread or the past-run worker */
    long id;              /* request id, numbered by that server */
    double cancelled_at;  /* when Esc cancelled it (bn_ui_now), 0 if not */
} bn_chat_entry;

typedef struct {
    char input[BN_CHAT_TEXT_MAX];
    int len;
    bn_chat_entry entry[BN_CHAT_HISTORY]; /* oldest first */
    int n_entries;
    /* A text run's sampling (README, "Terminal UI"): changed by /temp, /top_p, /top_k, /seed;
     * seed_fixed 0: each prompt draws from a new seed. */
    bn_sampling sampling;
    int seed_fixed;
    unsigned long long seed, last_seed;
    int max_tokens;       /* a text run's answer: tokens at most (/max_tokens; 0: 96) */
    char note[160];       /* the last command's answer or refusal, one line */
    int note_bad;         /* note is a refusal */
} bn_chat_view;

typedef struct {
    int scroll;           /* lines up from the newest */
} bn_log_view;

/* The screens: the main one, and modals drawn over it. */
typedef enum { BN_SCREEN_MAIN, BN_SCREEN_FORM, BN_SCREEN_HELP, BN_SCREEN_CONFIRM_QUIT } bn_screen;

struct bn_ui {
    bn_layout layout;
    bn_pane panes[BN_PANE_COUNT];
    int focus;                  /* a bn_pane_id */
    bn_pane_id slot_pane;       /* shown in the shared slot of small layouts */
    bn_screen screen;
    bn_theme theme;

    bn_catalog catalog;
    bn_session session;
    bn_worker worker;           /* chat and moves for a past run, from its checkpoint */
    bn_ui_queue queue;
    bn_series series;
    bn_series overlay;          /* a second run's loss drawn over the chart ('o' on a run) */
    char overlay_id[BN_NAME_MAX]; /* its id, "" when none */
    bn_loglines log;
    bn_form form;
    bn_exp_view exp;
    bn_chart_view chart;
    bn_chat_view chat;
    bn_log_view logview;
    bn_board_game board;        /* the board pane's game against the model */

    const bn_kernels *kernels;  /* --kernel, else the fastest here */
    int cores;
    bn_data_sample sample;      /* for text runs with an empty [data] path */
    int quitting;               /* stop requested on the way out: leave when it ended */
    int exit_status;
    int done;
    int dirty;                  /* redraw at the next turn */
    double last_runs_scan, last_draw;
    char flash[160];            /* a one-line message in the title bar */
    double flash_until;

    /* $BITNET_TUI_TRACE: per key, the time from reading it to the screen showing its
     * effect; and the longest turn of the loop (what a key could wait, beyond the tick). */
    FILE *trace;
    double key_read_at, longest_turn;
    int key_pending_trace;
};

/* Panes (one file each). */
extern const bn_pane_ops bn_pane_experiments_ops, bn_pane_loss_ops, bn_pane_status_ops,
    bn_pane_log_ops, bn_pane_chat_ops, bn_pane_board_ops;

/* Actions panes trigger (tui.c). */
void bn_ui_open_form(bn_ui *ui, int experiment_index);
void bn_ui_open_run(bn_ui *ui, int run_index);
/* Overlay that run's loss on the loss chart; the same run again takes it off. */
void bn_ui_toggle_overlay(bn_ui *ui, int run_index);
void bn_ui_chat_send(bn_ui *ui);
/* Esc in the chat: the newest answer still streaming is cancelled (it stops at its next
 * token and shows " [stopped]"; the log says so, one line, when it has). */
void bn_ui_chat_cancel(bn_ui *ui);
void bn_ui_flash(bn_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double bn_ui_now(void);

/* The loss chart's default smoothing index (pane_loss.c). */
int bn_pane_loss_default_decay(void);

#endif
