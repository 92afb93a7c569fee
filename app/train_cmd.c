/* train_cmd.c - `--batch`: train headless on a background thread, progress lines on stderr,
 * SIGINT/SIGTERM/SIGHUP stop the run with a checkpoint. */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "commands.h"
#include "base/fileio.h"
#include "experiments.h"
#include "kernels/kernels.h"
#include "progress.h"
#include "train/trainer.h"

int bn_exit_status(bn_status s)
{
    switch (s) {
    case BN_OK: return BN_EXIT_OK;
    case BN_ERR_INPUT: return BN_EXIT_INPUT;
    case BN_ERR_DIVERGED: return BN_EXIT_DIVERGED;
    default: return BN_EXIT_RUNTIME;
    }
}

int bn_resolve_threads(int threads)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return threads > 0 ? threads : (cores > 0 ? (int)cores : 1);
}

bn_status bn_select_kernels(const char *name, const bn_kernels **out, bn_error *err)
{
    int unsupported = 0;
    *out = bn_kernels_find(name, &unsupported);
    if (*out)
        return BN_OK;
    if (unsupported)
        return bn_fail(err, BN_ERR_INPUT, "kernel '%s': this CPU lacks its instructions "
                                          "(available here: %s)", name, bn_kernels_names());
    return bn_fail(err, BN_ERR_INPUT, "kernel '%s': unknown (allowed: %s)", name,
                   bn_kernels_names());
}

static void format_duration(char *out, size_t cap, double seconds)
{
    long s = seconds > 0 ? (long)(seconds + 0.5) : 0;
    snprintf(out, cap, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

/* " | val 2.3456 (1.234 bpb)" after a text run's evaluation, else "". */
static void held_out(const bn_eval_summary *e, char *out, size_t cap)
{
    double loss = NAN, bpb = NAN;
    for (int i = 0; e->have && i < e->n_metrics; i++) {
        if (strcmp(e->metrics[i].key, "val_loss") == 0)
            loss = e->metrics[i].value;
        else if (strcmp(e->metrics[i].key, "val_bpb") == 0)
            bpb = e->metrics[i].value;
    }
    out[0] = '\0';
    if (!isnan(loss))
        snprintf(out, cap, " | val %.4f (%.3f bpb)", loss, bpb);
}

static void print_progress(void *ctx, const bn_train_snapshot *snap)
{
    (void)ctx;
    const bn_step_stats *s = &snap->stats;
    char elapsed[32], eta[32], val[48];
    held_out(&snap->eval, val, sizeof val);
    format_duration(elapsed, sizeof elapsed, s->elapsed_s);
    format_duration(eta, sizeof eta, s->eta_s);
    fprintf(stderr,
            "step %ld/%ld | loss %.4f | smooth %.4f%s | lr %.3e | %.0f tok/s | elapsed %s | "
            "ETA %s\n",
            s->step, s->total_steps, s->loss, s->loss_ema, val, s->lr, s->tokens_per_sec,
            elapsed, eta);
}

static void print_line(void *ctx, const char *text)
{
    (void)ctx;
    fprintf(stderr, "%s\n", text);
}

/* A warning (a skipped checkpoint, a failed append) names the program, as errors do. */
static void print_warning(void *ctx, const char *text)
{
    (void)ctx;
    fprintf(stderr, "bitnet-tui: %s\n", text);
}

static void print_eval(void *ctx, long step, const bn_eval_report *report)
{
    (void)ctx;
    fprintf(stderr, "eval step %ld: %s\n", step, report->headline);
}

static void print_checkpoint(void *ctx, long step, const char *path)
{
    (void)ctx, (void)step;
    fprintf(stderr, "checkpoint saved: %s\n", path);
}

/* Preparing the shipped sample on first use: a progress line on stderr (ctx: bn_progress). */
static int print_prepare(void *ctx, const bn_prepare_progress *p)
{
    char extra[64];
    snprintf(extra, sizeof extra, "%lld tokens", p->tokens);
    bn_progress_show(ctx, "preparing the shipped sample", p->disk_bytes, p->disk_total, 1e6,
                     "MB", extra, p->done);
    return 0;
}

/* A text run with an empty [data] path trains on the shipped sample: find it (README,
 * "Shipped data"). Also for a resumed one, whose path may be the sample's cache. */
static bn_status locate_sample(bn_config *cfg, bn_error *err)
{
    if (cfg->experiment.task != BN_TASK_TEXT)
        return BN_OK;
    bn_status s = bn_text_sample_locate(&cfg->data.sample, err);
    return cfg->data.path[0] ? BN_OK : s;
}

static void print_data(const bn_trainer *t)
{
    if (t->sample != BN_SAMPLE_UNUSED)
        fprintf(stderr, "data: the shipped sample, %s %s\n",
                t->sample == BN_SAMPLE_PREPARED ? "prepared into" : "prepared before in",
                t->cfg.data.path);
}

/* The trainer thread's job. */
typedef struct {
    bn_trainer *trainer;
    bn_error err;
    bn_status status;
    pthread_mutex_t lock;
    int done;
} train_job;

static void *train_thread(void *arg)
{
    train_job *job = arg;
    bn_status s = bn_trainer_run(job->trainer, &job->err);
    pthread_mutex_lock(&job->lock);
    job->status = s;
    job->done = 1;
    pthread_mutex_unlock(&job->lock);
    return NULL;
}

static int job_done(train_job *job)
{
    pthread_mutex_lock(&job->lock);
    int d = job->done;
    pthread_mutex_unlock(&job->lock);
    return d;
}

/* A second Ctrl-C while the run stops: end now, without a checkpoint. A save under way
 * leaves only its step_N.tmp, which is never read and goes at the next resume (README,
 * "Resume"). _exit: the training thread is still running. */
static void stop_now(const train_job *job, int sig)
{
    bn_train_snapshot snap;
    bn_trainer_snapshot(job->trainer, &snap);
    fprintf(stderr, "received %s again: stopping now, without a checkpoint (the last one: "
            "%s)\n", strsignal(sig), snap.last_checkpoint[0] ? snap.last_checkpoint : "none");
    _exit(128 + sig);
}

/* Wait for the job, turning the first termination signal into a stop request. Returns the
 * signal number that stopped the run, or 0. `who` goes in the message ("" for one process,
 * "every rank " on rank 0 of a job); the other ranks pass NULL and stay quiet. A second
 * SIGINT of one process stops it at once; other repeated signals change nothing. */
static int supervise(train_job *job, const sigset_t *signals, const char *who)
{
    int stopped_by = 0;
    struct timespec tick = {0, 200 * 1000 * 1000};
    while (!job_done(job)) {
        int sig = sigtimedwait(signals, NULL, &tick);
        if (sig == SIGINT && stopped_by && who && !who[0])
            stop_now(job, sig);
        if (sig > 0 && !stopped_by) {
            stopped_by = sig;
            if (who)
                fprintf(stderr, "received %s: stopping %safter this step and saving a "
                        "checkpoint%s\n", strsignal(sig), who,
                        who[0] ? "" : " (Ctrl-C again: stop now, without one)");
            bn_trainer_command(job->trainer, BN_CMD_STOP);
        }
    }
    return stopped_by;
}

/* The INI a run starts from: the experiment's, or the resumed run's meta/config.ini. */
static bn_status config_path(const bn_cli *cli, char *path, size_t cap, bn_error *err)
{
    char run_dir[BN_PATH_MAX];
    long step;
    if (cli->resume) { /* a run directory, or RUN/checkpoints/step_N (README, "Resume") */
        if (bn_checkpoint_resume_target(cli->resume, run_dir, sizeof run_dir, &step, err) != BN_OK)
            return BN_ERR_INPUT;
        int n = snprintf(path, cap, "%s/meta/config.ini", run_dir);
        if (n < 0 || (size_t)n >= cap)
            return bn_path_too_long(err, path, n);
    } else if (bn_experiment_path(cli->experiment, path, cap, err) != BN_OK)
        return BN_ERR_INPUT;
    return BN_OK;
}

static bn_status load_config(const bn_cli *cli, bn_config *cfg, bn_error *err)
{
    char path[BN_PATH_MAX];
    if (config_path(cli, path, sizeof path, err) != BN_OK)
        return BN_ERR_INPUT;
    bn_status s = bn_config_load(cfg, path, err);
    if (s == BN_OK)
        s = bn_cli_apply_sets(cli, cfg, err);
    return s == BN_OK ? locate_sample(cfg, err) : s;
}

/* In a job of several ranks rank 0 reads the INI (a resumed run's is on its machine only)
 * and hands its path and text to the others; every rank then parses the same text with the
 * same flags, so a bad config fails alike everywhere. */
static bn_status load_config_ranked(const bn_cli *cli, bn_job *job, bn_config *cfg,
                                    bn_error *err)
{
    char path[BN_PATH_MAX];
    char *origin = NULL, *text = NULL;
    size_t len;
    if (job->rank == 0 && config_path(cli, path, sizeof path, err) == BN_OK &&
        bn_read_file(path, &text, &len, err) == BN_OK)
        origin = path;
    bn_status s = bn_job_share_text(job, &origin, err);
    if (s == BN_OK)
        s = bn_job_share_text(job, &text, err);
    if (s == BN_OK)
        s = bn_config_parse(cfg, text, origin, err);
    if (s == BN_OK)
        s = bn_cli_apply_sets(cli, cfg, err);
    if (job->rank != 0)
        free(origin);
    free(text);
    return s;
}

static void print_summary(bn_trainer *t, bn_status s, double wall)
{
    bn_train_snapshot snap;
    bn_trainer_snapshot(t, &snap);
    char took[32], eval[160] = "n/a";
    format_duration(took, sizeof took, wall);
    if (snap.eval.have)
        snprintf(eval, sizeof eval, "%s (step %ld)", snap.eval.summary, snap.eval.step);
    fprintf(stderr, "%s: step %ld/%ld | final loss %.4f (smoothed %.4f) | eval %s | "
                    "checkpoint %s | wall %s\n",
            s == BN_OK || s == BN_ERR_DIVERGED ? bn_run_state_name(snap.state) : "failed",
            snap.stats.step, snap.stats.total_steps,
            snap.stats.loss, snap.stats.loss_ema, eval,
            snap.last_checkpoint[0] ? snap.last_checkpoint : "none", took);
}

/* A stop signal that reached a thread which has it unblocked: OpenBLAS starts its workers
 * when the library loads, before main can block anything, and the process-directed signal
 * may land on one of them. Block the stop signals in that thread for good (the mask in
 * uc, restored when the handler returns) and send the signal again: it stays pending for
 * sigtimedwait. Only async-signal-safe calls. */
static void reroute_signal(int sig, siginfo_t *info, void *uc)
{
    (void)info;
    sigset_t *mask = &((ucontext_t *)uc)->uc_sigmask;
    sigaddset(mask, SIGINT);
    sigaddset(mask, SIGTERM);
    sigaddset(mask, SIGHUP);
    sigaddset(mask, SIGUSR1);
    kill(getpid(), sig);
}

/* The stop signals, blocked before any thread of ours exists (MPI's own included), so that
 * only sigtimedwait sees them; in a job of several ranks also SIGUSR1, which mpirun passes
 * on to every rank (README, "Training on many machines"). The library threads that existed
 * before get reroute_signal. */
static void block_stop_signals(sigset_t *signals, const bn_job *job)
{
    sigemptyset(signals);
    sigaddset(signals, SIGINT);
    sigaddset(signals, SIGTERM);
    sigaddset(signals, SIGHUP);
    if (job)
        sigaddset(signals, SIGUSR1);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = reroute_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sa.sa_mask = *signals;
    static const int stops[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
        if (sigismember(signals, stops[i]) == 1)
            sigaction(stops[i], &sa, NULL);
    pthread_sigmask(SIG_BLOCK, signals, NULL);
}

/* A failure before the trainer's collectives, which the other ranks cannot hear of: one
 * line naming the rank, and the job ends on every rank. Returns the exit status. */
static int fail_out(bn_job *job, int status, const char *msg)
{
    if (!job)
        fprintf(stderr, "bitnet-tui: %s\n", msg);
    else if (job->started || job->rank == 0)
        fprintf(stderr, "bitnet-tui: rank %d: %s\n", job->rank, msg);
    if (job)
        bn_job_abort(job, status);
    return status;
}

/* The trainer failed in a job: its ranks fail together (it shares a failure with the
 * others, README "Training on many machines"), so each failing rank says why, rank 0 for
 * the job, and every rank ends cleanly with the status. An MPI error cannot be shared: that
 * rank ends the job (MPI_Abort). Divergence was an event (rank 0 printed it). */
static int job_failure(bn_job *job, bn_status s, const bn_error *err)
{
    int status = bn_exit_status(s);
    if (job->failed || (s != BN_ERR_DIVERGED && (job->rank == 0 || !err->other_rank)))
        fprintf(stderr, "bitnet-tui: rank %d: %s\n", job->rank, err->msg);
    if (job->failed)
        bn_job_abort(job, status);
    return status;
}

/* The config and the kernels; in a job, MPI started first. Returns 0 or the exit status. */
static int prepare(const bn_cli *cli, bn_job *job, bn_config *cfg, const bn_kernels **kernels,
                   sigset_t *signals)
{
    bn_error err = {0};
    bn_config_defaults(cfg);
    if (job) {
        block_stop_signals(signals, job);
        if (bn_job_start(job, NULL, NULL, &err) != BN_OK)
            return fail_out(job, bn_exit_status(err.status), err.msg);
    }
    if ((job ? load_config_ranked(cli, job, cfg, &err) : load_config(cli, cfg, &err)) != BN_OK) {
        if (job && job->failed)
            return fail_out(job, BN_EXIT_RUNTIME, err.msg);
        if (!job || job->rank == 0) /* the same on every rank: one line, every rank ends */
            fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        return BN_EXIT_INPUT;
    }
    if ((job && locate_sample(cfg, &err) != BN_OK) ||
        bn_select_kernels(cli->kernel, kernels, &err) != BN_OK)
        return fail_out(job, BN_EXIT_INPUT, err.msg);
    cfg->train.threads = bn_resolve_threads(cfg->train.threads);
    if (!job)
        block_stop_signals(signals, job);
    return 0;
}

/* The other ranks of a job stay quiet unless they fail. */
static bn_trainer_hooks batch_hooks(bn_progress *prep, const bn_job *job)
{
    if (job && job->rank != 0)
        return (bn_trainer_hooks){.ctx = NULL};
    return (bn_trainer_hooks){.ctx = prep,
                              .on_prepare = print_prepare,
                              .on_log = print_progress,
                              .on_eval = print_eval,
                              .on_checkpoint = print_checkpoint,
                              .on_warning = print_warning,
                              .on_error = print_line};
}

static void print_header(const bn_trainer *t, const bn_cli *cli, const bn_kernels *kernels,
                         const bn_job *job)
{
    const bn_config *cfg = &t->cfg;
    char procs[64] = "";
    if (job)
        snprintf(procs, sizeof procs, "%d ranks x ", job->size);
    fprintf(stderr, "run %s: %s, %zu parameters, %ld steps of %d x %d tokens, %s%d thread%s, "
                    "kernel %s%s\n",
            t->run.dir, cfg->experiment.name, t->model.num_params, cfg->train.num_steps,
            cfg->train.batch_size, cfg->train.seq_len, procs, cfg->train.threads,
            cfg->train.threads == 1 ? "" : "s", kernels->name,
            cli->resume ? " (resumed)" : "");
    print_data(t);
}

/* Rank 0 of a job: the gradient allreduce's share of the run. */
static void print_allreduce(const bn_job *job, double wall)
{
    if (!job || job->rank != 0 || job->allreduce_calls == 0)
        return;
    fprintf(stderr, "allreduce: %.2f ms per step over %ld steps (%.1f%% of the wall time)",
            job->allreduce_s * 1e3 / (double)job->allreduce_calls, job->allreduce_calls,
            wall > 0 ? 100.0 * job->allreduce_s / wall : 0.0);
    if (job->allgather_calls > 0) /* ZeRO-1's (README, "Training on many machines") */
        fprintf(stderr, ", allgather: %.2f ms per step (%.1f%%)",
                job->allgather_s * 1e3 / (double)job->allgather_calls,
                wall > 0 ? 100.0 * job->allgather_s / wall : 0.0);
    fputc('\n', stderr);
}

/* Train on a background thread until done or stopped; returns the exit status. */
static int run_training(bn_trainer *trainer, bn_job *job, const sigset_t *signals)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    train_job tj = {.trainer = trainer};
    pthread_mutex_init(&tj.lock, NULL);
    pthread_t thread;
    if (pthread_create(&thread, NULL, train_thread, &tj) != 0)
        return fail_out(job, BN_EXIT_RUNTIME, "cannot start the training thread");
    int stopped_by = supervise(&tj, signals, !job ? "" : job->rank == 0 ? "every rank " : NULL);
    pthread_join(thread, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_mutex_destroy(&tj.lock);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;

    int quiet = job && job->rank != 0;
    if (job && tj.status != BN_OK) {
        int status = job_failure(job, tj.status, &tj.err);
        if (!quiet)
            print_summary(trainer, tj.status, wall);
        return status;
    }
    if (tj.status != BN_OK && tj.status != BN_ERR_DIVERGED) /* that one was an event */
        fprintf(stderr, "bitnet-tui: %s\n", tj.err.msg);
    if (!quiet)
        print_summary(trainer, tj.status, wall);
    print_allreduce(job, wall);
    if (tj.status != BN_OK)
        return bn_exit_status(tj.status);
    return stopped_by ? 128 + stopped_by : BN_EXIT_OK;
}

static int train(const bn_cli *cli, bn_job *job)
{
    bn_config cfg;
    const bn_kernels *kernels = NULL;
    sigset_t signals;
    int status = prepare(cli, job, &cfg, &kernels, &signals);
    if (status != 0)
        return status;
    bn_error err = {0};
    bn_trainer trainer;
    bn_progress prep;
    bn_progress_start(&prep);
    bn_status s = bn_trainer_init_dist(&trainer, &cfg, cli->resume, kernels,
                                       batch_hooks(&prep, job), job ? &job->dist : NULL, &err);
    if (s != BN_OK) {
        bn_trainer_free(&trainer);
        return job ? job_failure(job, s, &err) : fail_out(NULL, bn_exit_status(s), err.msg);
    }
    if (!job || job->rank == 0)
        print_header(&trainer, cli, kernels, job);
    status = run_training(&trainer, job, &signals);
    bn_trainer_free(&trainer);
    return status;
}

int bn_cmd_train(const bn_cli *cli)
{
    return train(cli, NULL);
}

int bn_cmd_train_ranked(const bn_cli *cli, bn_job *job)
{
    int status = train(cli, job);
    bn_job_end(job);
    return status;
}
