/* test_accum.c - gradient accumulation and the trainer's side of data-parallel training,
 * without MPI: two trainers on two threads joined by a small in-process bn_dist (sums and
 * broadcasts through a barrier) stand for two ranks.
 * - 2 ranks x batch B are bit-identical (losses, weights, AdamW moments) to one trainer with
 *   batch B and grad_accum_steps 2; rank 0 alone logs;
 * - a 1-process checkpoint resumes on 2 ranks and a 2-rank one on 1 process, bit for bit;
 * - a stop requested on rank 1 stops both ranks after the same step, rank 0 saves;
 * - a failure of one rank's init fails every rank's, and rank 0's failing disk ends the
 *   other's run too (no rank waits for ever); a NaN loss on rank 1 alone is divergence on
 *   both ranks, with nothing saved;
 * - accum 2 x B matches batch 2B within float tolerance (same rows: the source's 2B rows
 *   are its B + B rows), with the activation memory of B. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "task/task.h"
#include "train/trainer.h"

#define B 2
#define STEPS 6
#define RANKS 2

static char tmp_dir[] = "/tmp/bitnet-accum.XXXXXX";

/* ---------------------------------------------------------------- an in-process bn_dist */

typedef struct {
    pthread_barrier_t barrier;
    int size;
    void *slot[RANKS];
} comm;

typedef struct {
    comm *c;
    int rank;
} member;

/* Every rank's buffer summed in rank order into each, through a private copy so that no
 * rank writes while another reads. */
#define SUM_INTO(T, ctx, buf, n)                                                \
    do {                                                                        \
        member *me = ctx;                                                       \
        T *acc = malloc(sizeof(T) * ((n) ? (n) : 1));                           \
        me->c->slot[me->rank] = (buf);                                          \
        pthread_barrier_wait(&me->c->barrier);                                  \
        for (size_t i = 0; i < (n); i++) {                                      \
            acc[i] = ((T *)me->c->slot[0])[i];                                  \
            for (int r = 1; r < me->c->size; r++)                               \
                acc[i] += ((T *)me->c->slot[r])[i];                             \
        }                                                                       \
        pthread_barrier_wait(&me->c->barrier);                                  \
        memcpy((buf), acc, sizeof(T) * (n));                                    \
        free(acc);                                                              \
    } while (0)

static bn_status sum_f32(void *ctx, float *buf, size_t n, bn_error *err)
{
    (void)err;
    SUM_INTO(float, ctx, buf, n);
    return BN_OK;
}

static bn_status sum_f64(void *ctx, double *buf, size_t n, bn_error *err)
{
    (void)err;
    SUM_INTO(double, ctx, buf, n);
    return BN_OK;
}

static bn_status broadcast(void *ctx, void *buf, size_t bytes, bn_error *err)
{
    member *me = ctx;
    (void)err;
    me->c->slot[me->rank] = buf;
    pthread_barrier_wait(&me->c->barrier);
    if (me->rank != 0)
        memcpy(buf, me->c->slot[0], bytes);
    pthread_barrier_wait(&me->c->barrier);
    return BN_OK;
}

static const bn_dist_ops test_ops = {.allreduce_f32 = sum_f32, .allreduce_f64 = sum_f64,
                                      .broadcast = broadcast};

/* ---------------------------------------------------------------- runs */

static bn_config tiny_config(const char *run_id, int batch, int accum)
{
    bn_config cfg;
    bn_config_defaults(&cfg); /* arithmetic: no data files */
    cfg.model.hidden_size = 32;
    cfg.model.num_layers = 2;
    cfg.model.ffn_size = 48;
    cfg.train.batch_size = batch;
    cfg.train.grad_accum_steps = accum;
    cfg.train.seq_len = 24;
    cfg.train.num_steps = STEPS;
    cfg.train.warmup_steps = 2;
    cfg.train.threads = 1;
    cfg.train.backward_precision = BN_PRECISION_FP32;
    cfg.log.log_interval = 1;
    cfg.log.sample_interval = 0;
    cfg.log.checkpoint_interval = 0;
    cfg.log.eval_problems = 4;
    snprintf(cfg.log.runs_dir, sizeof cfg.log.runs_dir, "%s", tmp_dir);
    snprintf(cfg.log.run_id, sizeof cfg.log.run_id, "%s", run_id);
    return cfg;
}

/* One rank (or the one process) of a run: its trainer, what its hooks saw, how it ended. */
typedef struct {
    bn_config cfg;
    const char *resume; /* a run directory, or NULL */
    bn_dist dist;       /* size 1: alone */
    long stop_at;       /* on_log asks for a stop at this step (0: never) */
    int stop_first;     /* a stop request before the first step */
    int full_disk;      /* its checkpoints directory is a file: the first save fails */
    int nan_weights;    /* its final norm gain is NaN: its loss is NaN */
    bn_trainer t;
    double loss[STEPS + 1]; /* by step, from on_log */
    int logs;           /* on_log calls */
    bn_status init_s, run_s;
    bn_error err;
} rank_run;

static void on_log(void *ctx, const bn_train_snapshot *snap)
{
    rank_run *r = ctx;
    r->logs++;
    if (snap->stats.step >= 1 && snap->stats.step <= STEPS)
        r->loss[snap->stats.step] = snap->stats.loss;
    if (snap->stats.step == r->stop_at)
        bn_trainer_command(&r->t, BN_CMD_STOP);
}

static void *rank_main(void *arg)
{
    rank_run *r = arg;
    bn_trainer_hooks hooks = {.ctx = r, .on_log = on_log};
    r->init_s = bn_trainer_init_dist(&r->t, &r->cfg, r->resume, bn_kernels_find("ref", NULL),
                                     hooks, &r->dist, &r->err);
    if (r->init_s == BN_OK && r->stop_first)
        bn_trainer_command(&r->t, BN_CMD_STOP);
    if (r->init_s == BN_OK && r->nan_weights) {
        bn_model_final_norm(&r->t.model, r->t.model.params)[0] = NAN;
        bn_model_params_changed(&r->t.model);
    }
    if (r->init_s == BN_OK && r->full_disk) {
        char path[sizeof r->t.run.dir + 16];
        snprintf(path, sizeof path, "%s/checkpoints", r->t.run.dir);
        FILE *f = rmdir(path) == 0 ? fopen(path, "w") : NULL;
        if (f)
            fclose(f);
    }
    r->run_s = r->init_s == BN_OK ? bn_trainer_run(&r->t, &r->err) : r->init_s;
    return NULL;
}

static void run_alone(rank_run *r)
{
    r->dist = (bn_dist){.rank = 0, .size = 1};
    rank_main(r);
}

/* Two ranks on two threads, with one comm. */
static void run_job(rank_run r[RANKS])
{
    comm c = {.size = RANKS};
    member m[RANKS];
    pthread_t th[RANKS];
    pthread_barrier_init(&c.barrier, NULL, RANKS);
    for (int i = 0; i < RANKS; i++) {
        m[i] = (member){&c, i};
        r[i].dist = (bn_dist){.rank = i, .size = RANKS, .ops = &test_ops, .ctx = &m[i]};
        pthread_create(&th[i], NULL, rank_main, &r[i]);
    }
    for (int i = 0; i < RANKS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&c.barrier);
}

static int same_floats(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, sizeof(float) * n) == 0;
}

/* Weights and both AdamW moments identical, bit for bit. */
static int same_state(const bn_trainer *a, const bn_trainer *b)
{
    size_t n = a->model.num_params;
    return n == b->model.num_params && same_floats(a->model.params, b->model.params, n) &&
           same_floats(a->opt.m, b->opt.m, n) && same_floats(a->opt.v, b->opt.v, n) &&
           a->opt.t == b->opt.t && a->state.step == b->state.step &&
           a->state.tokens_seen == b->state.tokens_seen;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int count_lines_with(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return f ? n : -1;
}

/* (init always leaves the trainer safe to free) */
static void free_run(rank_run *r) { bn_trainer_free(&r->t); }

static void check_losses(const rank_run *got, const rank_run *want, long from, const char *what)
{
    for (long s = from; s <= STEPS; s++)
        CHECK(got->loss[s] == want->loss[s], "%s: step %ld loss %.17g, expected %.17g", what, s,
              got->loss[s], want->loss[s]);
}

/* 2 ranks x batch B against 1 process with accum 2: the same bits; rank 0 alone logs and
 * writes; accumulation costs a gradient sum, not activations. */
static void test_ranks_equal_accum(rank_run *alone)
{
    rank_run *job = calloc(RANKS, sizeof *job);
    for (int i = 0; i < RANKS; i++)
        job[i].cfg = tiny_config("job", B, 1);
    run_job(job);
    for (int i = 0; i < RANKS; i++)
        CHECK(job[i].run_s == BN_OK, "rank %d: %s", i, job[i].err.msg);
    check_losses(&job[0], alone, 1, "2 ranks vs accum 2");
    CHECK(job[0].loss[STEPS] > 0, "no loss logged");
    for (int i = 0; i < RANKS; i++)
        CHECK(same_state(&job[i].t, &alone->t), "rank %d's weights or moments differ", i);
    CHECK(job[0].logs == STEPS && job[1].logs == 0, "on_log calls: rank 0 %d, rank 1 %d",
          job[0].logs, job[1].logs);
    bn_train_snapshot s1;
    bn_trainer_snapshot(&job[1].t, &s1);
    CHECK(s1.stats.step == STEPS && s1.stats.loss == job[0].loss[STEPS] &&
          s1.state == BN_RUN_FINISHED, "rank 1's snapshot: step %ld loss %g state %s",
          s1.stats.step, s1.stats.loss, bn_run_state_name(s1.state));
    CHECK(strcmp(s1.run_dir, job[0].t.run.dir) == 0, "rank 1's run dir '%s'", s1.run_dir);
    CHECK(s1.stats.tokens_seen == (long)STEPS * RANKS * B * 24, "tokens seen %ld",
          s1.stats.tokens_seen);
    char path[600];
    snprintf(path, sizeof path, "%s/job/metrics/scalars.jsonl", tmp_dir);
    CHECK(count_lines_with(path, "\"loss\"") == STEPS, "%s: one record per step", path);
    CHECK(job[0].t.grad_sum == NULL && alone->t.grad_sum != NULL,
          "the gradient sum is for accumulation only");
    CHECK(job[0].t.model.alloc_bytes == alone->t.model.alloc_bytes,
          "accum 2's model holds %zu bytes, batch B's %zu", alone->t.model.alloc_bytes,
          job[0].t.model.alloc_bytes);
    for (int i = 0; i < RANKS; i++)
        free_run(&job[i]);
    free(job);
}

/* 1 process stopped at step 3 resumed by 2 ranks; 2 ranks stopped (by rank 1) resumed by 1
 * process: both end where the uninterrupted run ends. */
static void test_resume_across_ranks(const rank_run *alone)
{
    char dir[600];
    rank_run *r = calloc(1 + 2 * RANKS + 1, sizeof *r);
    r[0].cfg = tiny_config("one", B, 2);
    r[0].stop_at = 3;
    run_alone(&r[0]);
    CHECK(r[0].run_s == BN_OK && r[0].t.state.step == 3, "stopped at %ld: %s",
          r[0].t.state.step, r[0].err.msg);
    snprintf(dir, sizeof dir, "%s/one", tmp_dir);
    rank_run *two = &r[1];
    for (int i = 0; i < RANKS; i++) {
        two[i].cfg = tiny_config("ignored", B, 1);
        two[i].resume = i == 0 ? dir : NULL; /* rank 0's choice is every rank's */
    }
    run_job(two);
    for (int i = 0; i < RANKS; i++) {
        CHECK(two[i].run_s == BN_OK, "resumed rank %d: %s", i, two[i].err.msg);
        CHECK(same_state(&two[i].t, &alone->t), "1 -> 2 ranks: rank %d differs", i);
    }
    check_losses(&two[0], alone, 4, "1 -> 2 ranks");

    rank_run *back = &r[1 + RANKS];
    for (int i = 0; i < RANKS; i++)
        back[i].cfg = tiny_config("two", B, 1);
    back[1].stop_first = 1;
    run_job(back);
    for (int i = 0; i < RANKS; i++)
        CHECK(back[i].run_s == BN_OK && back[i].t.state.step == 1 &&
              back[i].t.snap.state == BN_RUN_STOPPED, "rank %d after rank 1's stop: step %ld "
              "%s", i, back[i].t.state.step, back[i].err.msg);
    snprintf(dir, sizeof dir, "%s/two/checkpoints/step_000001", tmp_dir);
    CHECK(is_dir(dir), "rank 0 saved no %s", dir);
    snprintf(dir, sizeof dir, "%s/two", tmp_dir);
    rank_run *last = &r[1 + 2 * RANKS];
    last->cfg = tiny_config("ignored", B, 2);
    last->resume = dir;
    run_alone(last);
    CHECK(last->run_s == BN_OK && same_state(&last->t, &alone->t), "2 ranks -> 1: %s",
          last->err.msg);
    check_losses(last, alone, 2, "2 ranks -> 1");
    for (int i = 0; i < 2 + 2 * RANKS; i++)
        free_run(&r[i]);
    free(r);
}

/* A rank whose init fails (rank 0: no such run to resume) fails every rank's. */
static void test_init_failure_shared(void)
{
    rank_run *job = calloc(RANKS, sizeof *job);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no-such-run", tmp_dir);
    for (int i = 0; i < RANKS; i++) {
        job[i].cfg = tiny_config("failing", B, 1);
        job[i].resume = missing;
    }
    run_job(job);
    CHECK(job[0].init_s == BN_ERR_INPUT && strstr(job[0].err.msg, "no-such-run"),
          "rank 0: %d %s", job[0].init_s, job[0].err.msg);
    CHECK(job[1].init_s == BN_ERR_INPUT && strstr(job[1].err.msg, "rank 0 failed"),
          "rank 1: %d %s", job[1].init_s, job[1].err.msg);
    for (int i = 0; i < RANKS; i++)
        free_run(&job[i]);
    free(job);
}

/* Rank 0 cannot write its checkpoint after step 1 (a failing disk; a failing metrics append
 * is only a warning): both ranks end there. */
static void test_rank0_failure_shared(void)
{
    rank_run *job = calloc(RANKS, sizeof *job);
    for (int i = 0; i < RANKS; i++) {
        job[i].cfg = tiny_config("full", B, 1);
        job[i].cfg.log.checkpoint_interval = 1;
    }
    job[0].full_disk = 1;
    run_job(job);
    CHECK(job[0].run_s == BN_ERR_IO && strstr(job[0].err.msg, "step_000001.tmp"),
          "rank 0: %d %s", job[0].run_s, job[0].err.msg);
    CHECK(job[1].run_s == BN_ERR_IO && strstr(job[1].err.msg, "rank 0 stopped the run"),
          "rank 1: %d %s", job[1].run_s, job[1].err.msg);
    for (int i = 0; i < RANKS; i++)
        CHECK(job[i].t.state.step == 1 && job[i].t.snap.state == BN_RUN_FAILED,
              "rank %d ended at step %ld, %s", i, job[i].t.state.step,
              bn_run_state_name(job[i].t.snap.state));
    for (int i = 0; i < RANKS; i++)
        free_run(&job[i]);
    free(job);
}

/* Rank 1's loss alone is NaN: both ranks see the summed loss and stop as diverged. */
static void test_divergence_shared(void)
{
    rank_run *job = calloc(RANKS, sizeof *job);
    for (int i = 0; i < RANKS; i++)
        job[i].cfg = tiny_config("nan", B, 1);
    job[1].nan_weights = 1;
    run_job(job);
    for (int i = 0; i < RANKS; i++)
        CHECK(job[i].run_s == BN_ERR_DIVERGED && strstr(job[i].err.msg, "diverged at step 1: "
                                                         "loss is NaN") &&
                  job[i].t.state.step == 0 && job[i].t.snap.state == BN_RUN_DIVERGED,
              "rank %d: %d %s", i, job[i].run_s, job[i].err.msg);
    CHECK(strstr(job[1].err.msg, "rank 0 keeps"), "rank 1: %s", job[1].err.msg);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/nan/checkpoints/step_000001", tmp_dir);
    CHECK(!is_dir(dir), "%s saved from a diverged step", dir);
    for (int i = 0; i < RANKS; i++)
        free_run(&job[i]);
    free(job);
}

/* The source's 2B rows are its B rows twice: a batch of 2B sees what accum 2 x B sees. */
static void test_same_rows(void)
{
    bn_config cfg = tiny_config("rows", B, 1);
    bn_tokenizer *tok = NULL;
    bn_data_source *one = NULL, *two = NULL;
    bn_error err = {0};
    int T = cfg.train.seq_len, big[2 * B * 24], small[2 * B * 24];
    CHECK(bn_task_open_tokenizer(&cfg, &tok, &err) == BN_OK &&
          bn_task_open_source(&cfg, tok, &one, &err) == BN_OK &&
          bn_task_open_source(&cfg, tok, &two, &err) == BN_OK, "source: %s", err.msg);
    for (int step = 0; one && two && step < 3; step++) {
        bn_source_next_batch(one, big, 2 * B, T);
        bn_source_next_batch(two, small, B, T);
        bn_source_next_batch(two, small + B * T, B, T);
        CHECK(memcmp(big, small, sizeof big) == 0, "step %d: 2B rows are not B + B", step);
    }
    bn_source_close(one);
    bn_source_close(two);
    bn_tok_free(tok);
}

/* accum 2 x B against batch 2B: equal up to float rounding (the products sum in another
 * order). Prints what it measured. */
static void test_accum_matches_big_batch(const rank_run *alone)
{
    rank_run *big = calloc(1, sizeof *big);
    big->cfg = tiny_config("big", 2 * B, 1);
    run_alone(big);
    CHECK(big->run_s == BN_OK, "batch 2B: %s", big->err.msg);
    double worst_loss = 0, worst_w = 0;
    for (int s = 1; s <= STEPS; s++) {
        double d = fabs(big->loss[s] - alone->loss[s]) / alone->loss[s];
        worst_loss = d > worst_loss ? d : worst_loss;
    }
    for (size_t i = 0; i < big->t.model.num_params; i++) {
        double d = fabs((double)big->t.model.params[i] - alone->t.model.params[i]);
        worst_w = d > worst_w ? d : worst_w;
    }
    printf("accum 2 x %d vs batch %d over %d steps: loss rel. diff %.3g, weight abs. diff "
           "%.3g\n", B, 2 * B, STEPS, worst_loss, worst_w);
    CHECK(worst_loss < 1e-5, "losses differ by %g (relative)", worst_loss);
    free_run(big);
    free(big);
}

int main(void)
{
    if (!mkdtemp(tmp_dir))
        return 1;
    rank_run *alone = calloc(1, sizeof *alone);
    alone->cfg = tiny_config("alone", B, 2);
    run_alone(alone);
    CHECK(alone->run_s == BN_OK, "accum 2: %s", alone->err.msg);
    CHECK(alone->t.model.num_params == bn_model_param_count(&alone->cfg.model),
          "the model holds %zu parameters, bn_model_param_count says %zu",
          alone->t.model.num_params, bn_model_param_count(&alone->cfg.model));
    test_same_rows();
    test_ranks_equal_accum(alone);
    test_resume_across_ranks(alone);
    test_init_failure_shared();
    test_rank0_failure_shared();
    test_divergence_shared();
    test_accum_matches_big_batch(alone);
    free_run(alone);
    free(alone);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp_dir);
    return check_exit("test_accum");
}
