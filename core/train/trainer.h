/* trainer.h - the training loop, runnable on any thread.
 *
 * One trainer owns a model, its optimizer, its data and its run directory. bn_trainer_run
 * loops until the last step, a stop request, divergence or an I/O failure. Front ends (the
 * --batch driver, the TUI, tests) observe it through hooks called on the training thread and
 * through bn_trainer_snapshot (a copy taken under the mutex, never waiting on a step), and
 * steer it with bn_trainer_command from any thread. */
#ifndef BN_TRAINER_H
#define BN_TRAINER_H

#include <pthread.h>

#include "model/chat.h"
#include "io/checkpoint.h"
#include "io/config.h"
#include "base/error.h"
#include "task/eval_ttt.h"
#include "task/task.h"
#include "model/model.h"
#include "model/optim.h"
#include "io/rundir.h"
#include "io/sample_cache.h"
#include "model/schedule.h"
#include "train/dist.h"
#include "train/requests.h"

typedef enum {
    BN_RUN_STARTING, BN_RUN_RUNNING, BN_RUN_PAUSED, BN_RUN_FINISHED, BN_RUN_STOPPED,
    BN_RUN_DIVERGED, BN_RUN_FAILED
} bn_run_state;

const char *bn_run_state_name(bn_run_state s);

/* The numbers of the last logged step (replaced as a whole at each log interval). */
typedef struct {
    long step;            /* steps completed */
    long total_steps;
    double loss;          /* of the last step */
    double loss_ema;      /* smoothed (debiased exponential moving average) */
    double lr, wd, grad_norm;
    int stage;            /* 1 or 2 */
    double tokens_per_sec; /* over the last log interval */
    double step_ms;       /* of the last step */
    double elapsed_s, eta_s;
    long tokens_seen;
    double ternary[3];    /* share of weights at -1, 0, +1 */
} bn_step_stats;

/* The last evaluation, whatever the task (from its bn_eval_report). */
typedef struct {
    int have;
    long step;
    bn_metric metrics[BN_METRICS_MAX]; /* as written to scalars.jsonl */
    int n_metrics;
    char value[32];       /* the status line's figure: "97.0%", "legal 99.8%" */
    char detail[64];      /* the run header's extra ("random 97/88% perfect 64/51%"), or "" */
    char summary[128];    /* for a run's last line: "97.0% exact match (held-out)" */
    char headline[384];   /* the log line, after "eval step N: " */
} bn_eval_summary;

typedef struct {
    bn_run_state state;
    bn_step_stats stats;
    bn_eval_summary eval;
    int threads;          /* compute threads of the engine */
    char kernel[16];      /* BitLinear kernel path in use ("avx512", ...) */
    char run_dir[BN_PATH_MAX];
    char last_checkpoint[BN_PATH_MAX];
    char message[256];    /* the latest event, for status lines */
} bn_train_snapshot;

typedef enum { BN_CMD_PAUSE, BN_CMD_RESUME, BN_CMD_STOP, BN_CMD_SAVE } bn_train_cmd;

/* Called on the training thread; any may be NULL. Fill with designated initializers. */
typedef struct {
    void *ctx;
    /* Every log_interval steps, with the current snapshot. */
    void (*on_log)(void *ctx, const bn_train_snapshot *snap);
    /* An evaluation's report (its samples record included), after it is on disk. */
    void (*on_eval)(void *ctx, long step, const bn_eval_report *report);
    /* A checkpoint saved at `path`. */
    void (*on_checkpoint)(void *ctx, long step, const char *path);
    /* Something went wrong but the run goes on (a run marker not written, ...). */
    void (*on_warning)(void *ctx, const char *text);
    /* The run stopped on an error (divergence): the whole message. */
    void (*on_error)(void *ctx, const char *text);
    /* A generate request's completion so far (done = 0 while it grows, 1 at the end,
     * BN_GEN_STOPPED at the end of one its asker cancelled: cut where it was), with
     * the id bn_trainer_generate returned (a request of origin BN_ORIGIN_LIVE_RUN). */
    void (*on_generate)(void *ctx, long id, const char *completion, int done);
    /* A move request's answer (error == NULL), or why there is none (answer == NULL). */
    void (*on_move)(void *ctx, long id, const bn_ttt_answer *answer, const char *error);
    /* Preparing the shipped text sample on first use (io/sample_cache.h), during
     * bn_trainer_init on its thread: as bn_prepare_run reports it (p->done on the last
     * call); a non-zero answer stops it (bn_trainer_init then fails). */
    bn_prepare_progress_fn on_prepare;
} bn_trainer_hooks;

typedef struct {
    bn_config cfg;
    char *config_ini;        /* the resolved config, as written to meta/config.ini */
    bn_model model;
    bn_adamw opt;
    const bn_task_ops *task;
    bn_tokenizer *tok;
    bn_data_source *source;
    bn_schedule sched;
    bn_train_state state;
    bn_rundir run;
    int *tokens;             /* (batch, seq_len): one micro-batch */
    bn_dist dist;            /* this process's place in the job ({0, 1, NULL, NULL}: alone) */
    float *grad_sum;         /* (num_params) sum of the step's earlier micro-batches'
                                gradients; NULL unless grad_accum_steps > 1 */
    int stop_agreed;         /* size > 1: a rank asked to stop, all stop after this step */
    /* ZeRO-1 (shard_optimizer with size > 1, README "Training on many machines"): opt holds
     * the slice [bounds[rank], bounds[rank + 1]) of the moments; rank 0's buffers for the
     * moment streams of saves and resumes. NULL otherwise. */
    size_t *bounds;
    float *chunk;
    size_t *next;
    long saved_step;         /* the step of the last (collective) sharded save, or -1 */
    bn_trainer_hooks hooks;
    bn_sample_outcome sample; /* whether cfg.data.path is the shipped sample (prepared now) */

    pthread_mutex_t lock;    /* guards snap and the requests */
    pthread_cond_t wake;     /* signalled on every command and request (ends a pause wait) */
    bn_train_snapshot snap;
    int pause_requested, stop_requested, save_requested;
    bn_requests requests;    /* generate and move requests (origin BN_ORIGIN_LIVE_RUN) */

    double started_at;       /* monotonic seconds */
    long steps_this_session; /* for the ETA after a resume */
    double interval_started_at;
    long interval_tokens;
} bn_trainer;

/* Build everything for a run: validate, allocate, init or (resume_dir != NULL) load the
 * latest checkpoint of that run directory, create the run directory. One process:
 * bn_trainer_init_dist with dist NULL. */
bn_status bn_trainer_init(bn_trainer *t, const bn_config *cfg, const char *resume_dir,
                          const bn_kernels *kernels, bn_trainer_hooks hooks, bn_error *err);

/* The same as one rank of a data-parallel job (README, "Training on many machines"); dist
 * NULL or of size 1 is one process, exactly bn_trainer_init. Every rank of the job calls it
 * (collectively) and then bn_trainer_run. With size > 1:
 * - rank 0's cfg and resume_dir (whether given) are broadcast and used by every rank, each
 *   keeping its own train.threads and data.sample (paths of its machine); the others may
 *   pass the same arguments;
 * - rank 0 alone creates, resumes and writes the run directory (config, metrics, samples,
 *   checkpoints, state marker, evaluations); a resumed run's checkpoint is loaded by rank 0
 *   and broadcast (parameters, AdamW moments, trainer state, data position), so the other
 *   ranks never read the run directory;
 * - hooks: on_log, on_eval, on_checkpoint, on_warning and on_error (divergence) are called
 *   on rank 0 only; on_prepare on any rank that prepares the shipped sample (ranks on one
 *   machine take turns on its cache, io/sample_cache.h: one prepares, the others reuse);
 * - a failure on any rank during init fails it on every rank: the failing rank's err says
 *   why, the others' says which rank failed;
 * - bn_dist's operations must succeed or fail on every rank alike (an MPI error aborts the
 *   job). */
bn_status bn_trainer_init_dist(bn_trainer *t, const bn_config *cfg, const char *resume_dir,
                               const bn_kernels *kernels, bn_trainer_hooks hooks,
                               const bn_dist *dist, bn_error *err);

/* Train to the end (or until stopped). Saves a checkpoint every checkpoint_interval and at
 * the end (also when stopped). BN_ERR_DIVERGED on NaN/Inf: no checkpoint of the bad state
 * is written, the last good one stays.
 * One optimizer step (README, "Gradient accumulation"): grad_accum_steps micro-batches of
 * batch_size rows per rank, their gradients summed in order, summed over the ranks, scaled
 * by 1 / (ranks x grad_accum_steps). With size > 1 every rank returns at the same step: a
 * stop request on any rank stops all after the step in progress (rank 0 saves), divergence
 * is decided on the summed loss, and a failure of rank 0's writing (disk) ends the others'
 * run too (their err names rank 0). */
bn_status bn_trainer_run(bn_trainer *t, bn_error *err);

void bn_trainer_command(bn_trainer *t, bn_train_cmd cmd);

/* Ask the training thread to complete `prompt` (as typed; see bn_chat_prompt) with the
 * current weights, between two steps (also while paused): greedily, or for a task whose chat
 * samples (text) with the default sampling settings and seed 0 (bn_trainer_request posts
 * others). The completion arrives through
 * hooks.on_generate. Returns the request's id (> 0; numbered with move requests, origin
 * BN_ORIGIN_LIVE_RUN), or 0 while another generate request is pending or being served.
 * A model that cannot chat (no tokenizer) answers with an error text, done = 1. */
long bn_trainer_generate(bn_trainer *t, const char *prompt, int max_new);
/* Post any request (bn_request_of, then its sampling settings and seed for a text run's
 * chat, README "Requests"): its id (> 0), or 0 while one of its kind is pending. */
long bn_trainer_request(bn_trainer *t, const bn_request *req);
/* The asker no longer wants request id (Esc on a streaming answer): 1 when it waits or is
 * being answered (it stops at its next token, done BN_GEN_STOPPED), 0 when answered. */
int bn_trainer_cancel(bn_trainer *t, long id);
/* Ask the training thread for the model's move in a tic-tac-toe game (game text or a
 * position, see bn_ttt_parse) with the current weights, between two steps (also while
 * paused). The answer arrives through hooks.on_move. Returns the request's id (> 0), or 0
 * while another move request is pending. */
long bn_trainer_move(bn_trainer *t, const char *game_text);
void bn_trainer_snapshot(bn_trainer *t, bn_train_snapshot *out);
void bn_trainer_free(bn_trainer *t);

/* "bitnet_<size>_<experiment>_<unix time>", size from the parameter count ("3M"). */
void bn_default_run_id(char *out, size_t cap, size_t num_params, const char *experiment,
                       long unix_time);

#endif
