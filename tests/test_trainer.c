/* test_trainer.c - the trainer driven from another thread, as a front end drives it:
 * snapshots while it runs, pause freezes the step counter, resume continues, save writes a
 * checkpoint at once, stop ends the run with a checkpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "train/trainer.h"

typedef struct {
    bn_trainer *t;
    bn_status status;
    bn_error err;
} job;

static void *run_thread(void *arg)
{
    job *j = arg;
    j->status = bn_trainer_run(j->t, &j->err);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bn_train_snapshot snap_of(bn_trainer *t)
{
    bn_train_snapshot s;
    bn_trainer_snapshot(t, &s);
    return s;
}

/* Wait up to 10 s for the snapshot's step to reach `step`. */
static int wait_for_step(bn_trainer *t, long step)
{
    for (int i = 0; i < 1000; i++) {
        if (snap_of(t).stats.step >= step)
            return 1;
        sleep_ms(10);
    }
    return 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int main(void)
{
    char dir[] = "/tmp/bitnet-trainer.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    bn_config cfg;
    bn_config_defaults(&cfg);
    cfg.model.hidden_size = 32;
    cfg.model.num_layers = 1;
    cfg.model.ffn_size = 32;
    cfg.train.batch_size = 2;
    cfg.train.seq_len = 16;
    cfg.train.num_steps = 1000000; /* only a stop ends it */
    cfg.train.warmup_steps = 10;
    cfg.train.threads = 1;
    cfg.log.log_interval = 1;
    cfg.log.sample_interval = 0;
    cfg.log.checkpoint_interval = 0;
    snprintf(cfg.log.runs_dir, sizeof cfg.log.runs_dir, "%s", dir);
    snprintf(cfg.log.run_id, sizeof cfg.log.run_id, "t");

    bn_trainer *t = calloc(1, sizeof *t);
    bn_error err = {0};
    bn_trainer_hooks hooks = {0};
    bn_status s = bn_trainer_init(t, &cfg, NULL, bn_kernels_find("ref", NULL), hooks, &err);
    CHECK(s == BN_OK, "init: %s", err.msg);
    if (s != BN_OK)
        return check_exit("test_trainer");
    CHECK(snap_of(t).state == BN_RUN_STARTING, "state before run");

    job j = {.t = t};
    pthread_t th;
    pthread_create(&th, NULL, run_thread, &j);
    CHECK(wait_for_step(t, 5), "the step counter advances");
    bn_train_snapshot running = snap_of(t);
    CHECK(running.state == BN_RUN_RUNNING, "state %s", bn_run_state_name(running.state));
    CHECK(running.stats.loss > 0 && running.stats.lr > 0, "loss %g lr %g", running.stats.loss, running.stats.lr);

    /* Pause: the counter freezes (allow the step in flight to finish). */
    bn_trainer_command(t, BN_CMD_PAUSE);
    sleep_ms(200);
    long paused_at = snap_of(t).stats.step;
    sleep_ms(300);
    bn_train_snapshot paused = snap_of(t);
    CHECK(paused.stats.step == paused_at, "step moved while paused: %ld -> %ld", paused_at,
          paused.stats.step);
    CHECK(paused.state == BN_RUN_PAUSED, "state while paused: %s",
          bn_run_state_name(paused.state));

    /* Resume: it advances again. */
    bn_trainer_command(t, BN_CMD_RESUME);
    CHECK(wait_for_step(t, paused_at + 5), "no progress after resume");

    /* Save: a checkpoint appears without stopping the run. */
    bn_trainer_command(t, BN_CMD_SAVE);
    int saved = 0;
    for (int i = 0; i < 500 && !saved; i++) {
        saved = snap_of(t).last_checkpoint[0] != '\0';
        sleep_ms(10);
    }
    bn_train_snapshot after_save = snap_of(t);
    CHECK(saved && is_dir(after_save.last_checkpoint), "save request wrote no checkpoint");
    CHECK(after_save.state == BN_RUN_RUNNING, "saving stopped the run");

    /* Stop, even from a pause: the run ends with a checkpoint of its last step. */
    bn_trainer_command(t, BN_CMD_PAUSE);
    bn_trainer_command(t, BN_CMD_STOP);
    pthread_join(th, NULL);
    bn_train_snapshot stopped = snap_of(t);
    CHECK(j.status == BN_OK, "run: %s", j.err.msg);
    CHECK(stopped.state == BN_RUN_STOPPED, "state after stop: %s",
          bn_run_state_name(stopped.state));
    char want[BN_PATH_MAX + 64];
    snprintf(want, sizeof want, "%s/t/checkpoints/step_%06ld", dir, stopped.stats.step);
    CHECK(strcmp(stopped.last_checkpoint, want) == 0 && is_dir(want),
          "final checkpoint %s, expected %s", stopped.last_checkpoint, want);

    bn_trainer_free(t);
    free(t);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_exit("test_trainer");
}
