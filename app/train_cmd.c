/* train_cmd.c - `--batch`: train headless on a background thread, progress lines on stderr,
 * SIGINT/SIGTERM/SIGHUP stop the run with a checkpoint. */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
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

/* Wait for the job, turning the first termination signal into a stop request. Returns the
 * signal number that stopped the run, or 0. */
static int supervise(train_job *job, const sigset_t *signals)
{
    int stopped_by = 0;
    struct timespec tick = {0, 200 * 1000 * 1000};
    while (!job_done(job)) {
        int sig = sigtimedwait(signals, NULL, &tick);
        if (sig > 0 && !stopped_by) {
            stopped_by = sig;
            fprintf(stderr, "received %s: stopping after this step and saving a checkpoint\n",
                    strsignal(sig));
            bn_trainer_command(job->trainer, BN_CMD_STOP);
        }
    }
    return stopped_by;
}

static bn_status load_config(const bn_cli *cli, bn_config *cfg, bn_error *err)
{
    char path[BN_PATH_MAX + 32];
    if (cli->resume)
        snprintf(path, sizeof path, "%s/meta/config.ini", cli->resume);
    else if (bn_experiment_path(cli->experiment, path, sizeof path, err) != BN_OK)
        return BN_ERR_INPUT;
    bn_status s = bn_config_load(cfg, path, err);
    if (s == BN_OK)
        s = bn_cli_apply_sets(cli, cfg, err);
    return s == BN_OK ? locate_sample(cfg, err) : s;
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

int bn_cmd_train(const bn_cli *cli)
{
    bn_error err = {0};
    bn_config cfg;
    bn_config_defaults(&cfg);
    if (load_config(cli, &cfg, &err) != BN_OK) {
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        return BN_EXIT_INPUT;
    }
    const bn_kernels *kernels = NULL;
    if (bn_select_kernels(cli->kernel, &kernels, &err) != BN_OK) {
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        return BN_EXIT_INPUT;
    }
    cfg.train.threads = bn_resolve_threads(cfg.train.threads);

    /* Block the stop signals before any thread exists, so only sigtimedwait sees them. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);

    bn_trainer trainer;
    bn_progress prep;
    bn_progress_start(&prep);
    bn_trainer_hooks hooks = {.ctx = &prep,
                              .on_prepare = print_prepare,
                              .on_log = print_progress,
                              .on_eval = print_eval,
                              .on_checkpoint = print_checkpoint,
                              .on_warning = print_line,
                              .on_error = print_line};
    bn_status s = bn_trainer_init(&trainer, &cfg, cli->resume, kernels, hooks, &err);
    if (s != BN_OK) {
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        bn_trainer_free(&trainer);
        return bn_exit_status(s);
    }
    fprintf(stderr, "run %s: %s, %zu parameters, %ld steps of %d x %d tokens, %d thread%s, "
                    "kernel %s%s\n",
            trainer.run.dir, cfg.experiment.name, trainer.model.num_params, cfg.train.num_steps,
            cfg.train.batch_size, cfg.train.seq_len, cfg.train.threads,
            cfg.train.threads == 1 ? "" : "s", kernels->name,
            cli->resume ? " (resumed)" : "");
    print_data(&trainer);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    train_job job = {.trainer = &trainer};
    pthread_mutex_init(&job.lock, NULL);
    pthread_t thread;
    if (pthread_create(&thread, NULL, train_thread, &job) != 0) {
        fprintf(stderr, "bitnet-tui: cannot start the training thread\n");
        bn_trainer_free(&trainer);
        return BN_EXIT_RUNTIME;
    }
    int stopped_by = supervise(&job, &signals);
    pthread_join(thread, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_mutex_destroy(&job.lock);

    if (job.status != BN_OK && job.status != BN_ERR_DIVERGED) /* that one was an event */
        fprintf(stderr, "bitnet-tui: %s\n", job.err.msg);
    print_summary(&trainer, job.status,
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
    bn_trainer_free(&trainer);
    if (job.status != BN_OK)
        return bn_exit_status(job.status);
    return stopped_by ? 128 + stopped_by : BN_EXIT_OK;
}
