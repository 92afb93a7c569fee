/* session.h - the run the UI has open: a live one (a trainer on its own pthread, built and
 * run there, observed through snapshots and the event queue, steered by commands) or a past
 * one read from disk. No curses here. */
#ifndef BN_UI_SESSION_H
#define BN_UI_SESSION_H

#include <pthread.h>
#include <signal.h>

#include "client/queue.h"
#include "io/runs.h"
#include "train/trainer.h"

typedef enum { BN_SESSION_NONE, BN_SESSION_LIVE, BN_SESSION_PAST } bn_session_kind;

/* Where a live session's thread is. */
typedef enum { BN_PHASE_INIT, BN_PHASE_RUNNING, BN_PHASE_DONE } bn_session_phase;

/* What bn_session_poll noticed. */
typedef enum { BN_POLL_NOTHING, BN_POLL_STARTED, BN_POLL_ENDED, BN_POLL_INIT_FAILED } bn_poll_event;

typedef struct {
    bn_session_kind kind;
    char run_dir[BN_PATH_MAX];
    char experiment[BN_NAME_MAX];
    const bn_task_ops *task; /* NULL: a past run whose config could not be read */
    char state[16];          /* running | paused | finished | stopped | ... */
    bn_train_snapshot snap;  /* the UI's copy (past runs: filled from disk) */

    /* live */
    bn_config cfg;
    const bn_kernels *kernels;
    bn_trainer *trainer;
    bn_ui_queue *queue;
    pthread_t thread;
    int joined;
    pthread_mutex_t lock;    /* guards phase, status, err, stop_early */
    bn_session_phase phase;
    bn_status status;
    bn_error err;
    int stop_early;          /* stop requested before the trainer existed */
    int built;               /* the trainer exists (init succeeded) */
    int seen_phase;          /* the phase the UI last saw */
    int start_reported;      /* BN_POLL_STARTED was returned */
    int pause_wanted;        /* the UI's view of p: 1 after a pause command */
} bn_session;

void bn_session_init(bn_session *s);

/* Start training cfg on a new thread (blocking SIGINT/SIGTERM/SIGHUP in it): the thread
 * builds the trainer, then runs it. Returns BN_ERR_* only when no thread could start. */
bn_status bn_session_start(bn_session *s, const bn_config *cfg, const bn_kernels *kernels,
                           bn_ui_queue *queue, bn_error *err);

/* Open a past run (no thread): its summary and its task (from its meta/config.ini, or its
 * latest checkpoint's config); the caller reads its history. */
void bn_session_open_past(bn_session *s, const bn_run_info *info);

/* Copy the snapshot (live), notice the start and the end of the thread (joining it). */
bn_poll_event bn_session_poll(bn_session *s);

/* A live session whose thread has not ended. */
int bn_session_active(const bn_session *s);

/* Whether a live run has ended (finished, stopped, diverged, failed) as its last snapshot
 * says, though its thread may still be closing its files. */
int bn_session_run_over(const bn_session *s);

/* Pause/resume/stop/save; a stop before the trainer is built is remembered. */
void bn_session_command(bn_session *s, bn_train_cmd cmd);

/* A generate request (bn_request_of, with its sampling settings) to the training thread; 0
 * if not running or one is pending. */
long bn_session_generate(bn_session *s, const bn_request *req);

/* Cancel a generate request of the training thread (bn_trainer_cancel): 1 when it was not
 * answered yet. */
int bn_session_cancel(bn_session *s, long id);

/* A tic-tac-toe move request to the training thread (BN_UI_EV_MOVE answers it); 0 if not
 * running or one is pending. */
long bn_session_move(bn_session *s, const char *game_text);

/* The thread's final status and message (after BN_POLL_ENDED / INIT_FAILED). */
bn_status bn_session_result(bn_session *s, bn_error *err);

/* Close: a live session must have ended (poll returned ENDED or INIT_FAILED). */
void bn_session_close(bn_session *s);

/* Block the stop signals in threads created while this is in effect: returns the old mask. */
void bn_block_stop_signals(sigset_t *old);

#endif
