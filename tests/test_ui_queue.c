/* test_ui_queue.c - the two channels between the UI and the engine under concurrent use:
 * the event ring (several producers, one consumer draining as it goes: nothing lost while it
 * keeps up, each producer's order kept, a full ring drops the oldest and counts them), and
 * the trainer's snapshot / command / generate requests hammered from other threads while it
 * trains. Meant to run under ThreadSanitizer too (./configure --enable-tsan). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "client/queue.h"
#include "train/trainer.h"

#define PRODUCERS 4
#define PER_PRODUCER 20000

typedef struct {
    bn_ui_queue *q;
    int id;
} producer_arg;

static void *produce(void *arg)
{
    producer_arg *p = arg;
    bn_ui_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = BN_UI_EV_LOG;
    ev.id = p->id;
    for (long i = 0; i < PER_PRODUCER; i++) {
        ev.step = i;
        snprintf(ev.text, sizeof ev.text, "%d:%ld", p->id, i);
        bn_ui_queue_push(p->q, &ev);
    }
    return NULL;
}

static void test_ring_concurrent(void)
{
    bn_ui_queue q;
    CHECK(bn_ui_queue_init(&q, 1 << 17) == 0, "init");
    pthread_t th[PRODUCERS];
    producer_arg args[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        args[i] = (producer_arg){&q, i};
        pthread_create(&th[i], NULL, produce, &args[i]);
    }
    long next[PRODUCERS] = {0}, total = 0, dropped_total = 0;
    int order_ok = 1;
    bn_ui_event buf[256];
    while (total + dropped_total < (long)PRODUCERS * PER_PRODUCER) {
        long dropped = 0;
        int n = bn_ui_queue_drain(&q, buf, 256, &dropped);
        dropped_total += dropped;
        for (int i = 0; i < n; i++) {
            int p = (int)buf[i].id;
            char want[32];
            snprintf(want, sizeof want, "%d:%ld", p, next[p]);
            if (buf[i].step != next[p] || strcmp(buf[i].text, want) != 0)
                order_ok = 0;
            next[p] = buf[i].step + 1;
        }
        total += n;
    }
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(th[i], NULL);
    CHECK(dropped_total == 0, "dropped %ld with room for everything", dropped_total);
    CHECK(total == (long)PRODUCERS * PER_PRODUCER, "received %ld", total);
    CHECK(order_ok, "each producer's events arrive in order");
    bn_ui_queue_free(&q);
}

static void test_ring_full(void)
{
    bn_ui_queue q;
    bn_ui_queue_init(&q, 8);
    bn_ui_event ev;
    memset(&ev, 0, sizeof ev);
    for (long i = 0; i < 20; i++) {
        ev.step = i;
        bn_ui_queue_push(&q, &ev);
    }
    bn_ui_event out[32];
    long dropped = -1;
    int n = bn_ui_queue_drain(&q, out, 32, &dropped);
    CHECK(n == 8 && dropped == 12, "full ring: kept %d, dropped %ld", n, dropped);
    CHECK(out[0].step == 12 && out[7].step == 19, "the newest are kept, oldest first");
    n = bn_ui_queue_drain(&q, out, 32, &dropped);
    CHECK(n == 0 && dropped == 0, "drained empty");
    bn_ui_queue_free(&q);
}

/* ---- the trainer's side: hooks into the ring, commands and snapshots from other threads */

typedef struct {
    bn_trainer *t;
    bn_status status;
    bn_error err;
} train_job;

static void *train(void *arg)
{
    train_job *j = arg;
    j->status = bn_trainer_run(j->t, &j->err);
    return NULL;
}

static void hook_log(void *ctx, const bn_train_snapshot *s)
{
    bn_ui_event ev = {.kind = BN_UI_EV_LOG, .step = s->stats.step, .loss = s->stats.loss};
    bn_ui_queue_push(ctx, &ev);
}

static void hook_checkpoint(void *ctx, long step, const char *path)
{
    bn_ui_event ev = {.kind = BN_UI_EV_CHECKPOINT, .step = step};
    snprintf(ev.text, sizeof ev.text, "%s", path);
    bn_ui_queue_push(ctx, &ev);
}

static void hook_generate(void *ctx, long id, const char *text, int done)
{
    bn_ui_event ev = {.kind = BN_UI_EV_GEN, .id = id, .done = done};
    snprintf(ev.text, sizeof ev.text, "%s", text);
    bn_ui_queue_push(ctx, &ev);
}

typedef struct {
    bn_trainer *t;
    volatile int *stop;
    long snapshots;
} hammer_arg;

static void *hammer_snapshots(void *arg)
{
    hammer_arg *h = arg;
    bn_train_snapshot s;
    while (!__atomic_load_n(h->stop, __ATOMIC_ACQUIRE)) {
        bn_trainer_snapshot(h->t, &s);
        h->snapshots++;
    }
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void tiny_config(bn_config *cfg, const char *dir)
{
    bn_config_defaults(cfg);
    cfg->model.hidden_size = 32;
    cfg->model.num_layers = 1;
    cfg->model.ffn_size = 32;
    cfg->train.batch_size = 2;
    cfg->train.seq_len = 32;
    cfg->train.num_steps = 1000000;
    cfg->train.warmup_steps = 10;
    cfg->train.threads = 1;
    cfg->log.log_interval = 1;
    cfg->log.sample_interval = 0;
    cfg->log.checkpoint_interval = 0;
    snprintf(cfg->log.runs_dir, sizeof cfg->log.runs_dir, "%s", dir);
    snprintf(cfg->log.run_id, sizeof cfg->log.run_id, "q");
}

/* Commands from one thread, snapshots from another, the UI draining: the run pauses,
 * resumes, saves, answers generate requests (also while paused) and stops with a checkpoint;
 * log records arrive in step order. */
static void test_trainer_channels(const char *dir)
{
    bn_config cfg;
    tiny_config(&cfg, dir);
    bn_ui_queue q;
    bn_ui_queue_init(&q, 1 << 16);
    bn_trainer *t = calloc(1, sizeof *t);
    bn_error err = {0};
    bn_trainer_hooks hooks = {.ctx = &q,
                              .on_log = hook_log,
                              .on_checkpoint = hook_checkpoint,
                              .on_generate = hook_generate};
    bn_status s = bn_trainer_init(t, &cfg, NULL, bn_kernels_find("ref", NULL), hooks, &err);
    CHECK(s == BN_OK, "init: %s", err.msg);
    if (s != BN_OK)
        return;
    CHECK(t->snap.threads == 1 && strcmp(t->snap.kernel, "ref") == 0, "threads %d kernel %s",
          t->snap.threads, t->snap.kernel);
    train_job job = {.t = t};
    volatile int stop = 0;
    hammer_arg h = {t, &stop, 0};
    pthread_t th_train, th_snap;
    pthread_create(&th_train, NULL, train, &job);
    pthread_create(&th_snap, NULL, hammer_snapshots, &h);

    long gen_ids[3] = {0};
    for (int round = 0; round < 20; round++) {
        bn_trainer_command(t, round % 2 ? BN_CMD_RESUME : BN_CMD_PAUSE);
        if (round == 4)
            bn_trainer_command(t, BN_CMD_SAVE);
        if (round == 6 || round == 7 || round == 13) { /* paused, running, running */
            long id = bn_trainer_generate(t, "12+34=", 4);
            for (int k = 0; k < 500 && !id; k++) { /* the previous one may be pending */
                sleep_ms(2);
                id = bn_trainer_generate(t, "12+34=", 4);
            }
            gen_ids[round == 6 ? 0 : round == 7 ? 1 : 2] = id;
        }
        sleep_ms(20);
    }
    bn_trainer_command(t, BN_CMD_RESUME);
    sleep_ms(100);
    bn_trainer_command(t, BN_CMD_STOP);
    pthread_join(th_train, NULL);
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    pthread_join(th_snap, NULL);
    CHECK(job.status == BN_OK, "run: %s", job.err.msg);

    bn_train_snapshot fin;
    bn_trainer_snapshot(t, &fin);
    CHECK(fin.state == BN_RUN_STOPPED, "state %s", bn_run_state_name(fin.state));
    CHECK(h.snapshots > 10, "snapshots taken: %ld", h.snapshots);

    static bn_ui_event evs[1 << 16];
    long dropped = 0;
    int n = bn_ui_queue_drain(&q, evs, 1 << 16, &dropped);
    long last_step = 0, gens_done = 0, saves = 0;
    int in_order = 1;
    for (int i = 0; i < n; i++) {
        if (evs[i].kind == BN_UI_EV_LOG) {
            in_order &= evs[i].step > last_step;
            last_step = evs[i].step;
        } else if (evs[i].kind == BN_UI_EV_GEN && evs[i].done) {
            gens_done++;
            CHECK(strlen(evs[i].text) <= 4 * 5, "at most 4 tokens: '%s'", evs[i].text);
        } else if (evs[i].kind == BN_UI_EV_CHECKPOINT) {
            saves++;
        }
    }
    CHECK(dropped == 0, "dropped %ld", dropped);
    CHECK(in_order && last_step == fin.stats.step, "log records in order up to %ld (last %ld)",
          fin.stats.step, last_step);
    CHECK(gen_ids[0] > 0 && gen_ids[1] > 0 && gen_ids[2] > 0, "generate requests accepted");
    CHECK(gens_done == 3, "generate requests answered: %ld of 3", gens_done);
    CHECK(saves == 2, "checkpoints: %ld (save request and stop)", saves);
    bn_trainer_free(t);
    free(t);
    bn_ui_queue_free(&q);
}

/* The last answer (done != 0) to request id in the queue, waiting up to 20 s: its done. */
static int wait_answer(bn_ui_queue *q, long id, char *text, size_t cap)
{
    static bn_ui_event evs[256];
    for (int tries = 0; tries < 10000; tries++) {
        long dropped = 0;
        int n = bn_ui_queue_drain(q, evs, 256, &dropped);
        for (int i = 0; i < n; i++)
            if (evs[i].kind == BN_UI_EV_GEN && evs[i].id == id && evs[i].done) {
                snprintf(text, cap, "%s", evs[i].text);
                return evs[i].done;
            }
        sleep_ms(2);
    }
    return 0;
}

/* Esc on a live run's answer (bn_trainer_cancel): a request cancelled before the training
 * thread took it is answered at once, empty and marked stopped; one not cancelled is
 * answered whole; an unknown id cannot be cancelled. */
static void test_trainer_cancel(const char *dir)
{
    bn_config cfg;
    tiny_config(&cfg, dir);
    snprintf(cfg.log.run_id, sizeof cfg.log.run_id, "cancel");
    bn_ui_queue q;
    bn_ui_queue_init(&q, 1 << 12);
    bn_trainer *t = calloc(1, sizeof *t);
    bn_error err = {0};
    bn_trainer_hooks hooks = {.ctx = &q, .on_generate = hook_generate};
    CHECK(bn_trainer_init(t, &cfg, NULL, bn_kernels_find("ref", NULL), hooks, &err) == BN_OK,
          "init: %s", err.msg);
    long id = bn_trainer_generate(t, "12+34=", 24);
    CHECK(id > 0 && bn_trainer_cancel(t, id) == 1, "a waiting request is cancelled");
    CHECK(bn_trainer_cancel(t, id + 100) == 0, "an unknown id is not");
    train_job job = {.t = t};
    pthread_t th;
    pthread_create(&th, NULL, train, &job);
    char text[BN_UI_EVENT_TEXT];
    int done = wait_answer(&q, id, text, sizeof text);
    CHECK(done == BN_GEN_STOPPED && text[0] == '\0', "cancelled: done %d, '%s'", done, text);
    long again = 0;
    for (int k = 0; k < 1000 && !again; k++, sleep_ms(2))
        again = bn_trainer_generate(t, "12+34=", 4);
    done = wait_answer(&q, again, text, sizeof text);
    CHECK(again > 0 && done == 1, "not cancelled: answered whole (done %d)", done);
    bn_trainer_command(t, BN_CMD_STOP);
    pthread_join(th, NULL);
    CHECK(job.status == BN_OK, "run: %s", job.err.msg);
    bn_trainer_free(t);
    free(t);
    bn_ui_queue_free(&q);
}

int main(void)
{
    test_ring_full();
    test_ring_concurrent();
    char dir[] = "/tmp/bitnet-uiqueue.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    test_trainer_channels(dir);
    test_trainer_cancel(dir);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_exit("test_ui_queue");
}
