/* threadpool.c - persistent thread pool: one mutex, two condition variables (work available,
 * work done) and a generation counter.
 *
 * bn_parallel_for publishes a job (fn, ctx, n, k chunks), sets pending = k - 1, bumps the
 * generation and broadcasts "work". A worker wakes when the generation differs from the last
 * one it saw; if its index is < k it copies the job, runs its chunk without the lock, then
 * decrements pending and signals "done" when it reaches 0. The caller runs chunk 0 and
 * waits for pending == 0. A new generation is published only after every worker needed by
 * the previous one has finished, so a needed worker can never miss a generation, and a
 * worker that sleeps through generations that did not need it just catches up.
 *
 * Before sleeping, a worker watches the generation, and the caller the pending count, for up
 * to SPIN_NS without the lock: the counters are atomics, written under the mutex, so a
 * sleeper still cannot miss a change. */
#include "base/threadpool.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* How long a worker waits for the next job, and the caller for the workers, by watching
 * the counters before sleeping on a condition variable: a training step runs hundreds of
 * parallel_fors a few tens of microseconds apart, and a futex sleep and wake-up costs about
 * as much as a short one (README, "Threads"). */
#define SPIN_NS 50000L

typedef struct {
    bn_threadpool *pool;
    int index; /* 1 .. n_threads - 1 */
} bn_worker;

struct bn_threadpool {
    int n_threads;
    int n_started; /* workers actually created */
    long spin_ns;  /* SPIN_NS, or 0 when the pool has more threads than the CPUs */
    pthread_t *threads;
    bn_worker *workers;

    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* generation changed or stop set */
    pthread_cond_t done_cv; /* pending reached 0 */

    /* Written under mu; also read without it while spinning. */
    atomic_ulong generation;
    atomic_int pending; /* workers of the current generation not yet done */
    int stop;
    bn_range_fn fn;
    void *ctx;
    int n;
    int n_chunks;
};

static int chunk_bound(int n, int t, int k) { return (int)((long long)n * t / k); }

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The time a spin may go on: spin_more() is 1 until spin_ns have passed since its first
 * call (the clock is read every 64 calls); spin_ns = 0 never spins. */
typedef struct {
    long spin_ns;
    long long end;
    int calls;
} spin_budget;

static int spin_more(spin_budget *b)
{
    if (b->spin_ns <= 0)
        return 0;
    if (b->calls++ % 64 == 0) {
        long long t = now_ns();
        if (b->end == 0)
            b->end = t + b->spin_ns;
        else if (t > b->end)
            return 0;
    }
    cpu_relax();
    return 1;
}

static void *worker_main(void *arg)
{
    bn_worker *w = arg;
    bn_threadpool *p = w->pool;
    unsigned long seen = 0;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (!p->stop && p->generation == seen) {
            pthread_mutex_unlock(&p->mu);
            spin_budget b = {p->spin_ns, 0, 0};
            while (atomic_load_explicit(&p->generation, memory_order_acquire) == seen &&
                   spin_more(&b))
                ;
            pthread_mutex_lock(&p->mu);
        }
        while (!p->stop && p->generation == seen)
            pthread_cond_wait(&p->work_cv, &p->mu);
        if (p->stop)
            break;
        seen = p->generation;
        if (w->index >= p->n_chunks)
            continue; /* not needed this time */
        bn_range_fn fn = p->fn;
        void *ctx = p->ctx;
        int n = p->n, k = p->n_chunks;
        pthread_mutex_unlock(&p->mu);

        fn(ctx, chunk_bound(n, w->index, k), chunk_bound(n, w->index + 1, k), w->index);

        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0)
            pthread_cond_signal(&p->done_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Stop and join the started workers, free everything. */
static void pool_free(bn_threadpool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_started; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->done_cv);
    pthread_cond_destroy(&p->work_cv);
    pthread_mutex_destroy(&p->mu);
    free(p->workers);
    free(p->threads);
    free(p);
}

bn_status bn_threadpool_create(bn_threadpool **pool, int n_threads, bn_error *err)
{
    *pool = NULL;
    if (n_threads < 1 || n_threads > BN_THREADPOOL_MAX)
        return bn_fail(err, BN_ERR_INPUT, "thread pool: %d threads (must be 1..%d)", n_threads,
                       BN_THREADPOOL_MAX);

    bn_threadpool *p = calloc(1, sizeof *p);
    if (!p)
        return bn_fail(err, BN_ERR_NOMEM, "thread pool: out of memory");
    p->n_threads = n_threads;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    p->spin_ns = cpus > 0 && n_threads > cpus ? 0 : SPIN_NS;
    int nw = n_threads - 1;
    if (nw > 0) {
        p->threads = calloc((size_t)nw, sizeof *p->threads);
        p->workers = calloc((size_t)nw, sizeof *p->workers);
        if (!p->threads || !p->workers) {
            free(p->threads);
            free(p->workers);
            free(p);
            return bn_fail(err, BN_ERR_NOMEM, "thread pool: out of memory");
        }
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p->threads);
        free(p->workers);
        free(p);
        return bn_fail(err, BN_ERR_NOMEM, "thread pool: cannot create a mutex");
    }
    if (pthread_cond_init(&p->work_cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        free(p->threads);
        free(p->workers);
        free(p);
        return bn_fail(err, BN_ERR_NOMEM, "thread pool: cannot create a condition variable");
    }
    if (pthread_cond_init(&p->done_cv, NULL) != 0) {
        pthread_cond_destroy(&p->work_cv);
        pthread_mutex_destroy(&p->mu);
        free(p->threads);
        free(p->workers);
        free(p);
        return bn_fail(err, BN_ERR_NOMEM, "thread pool: cannot create a condition variable");
    }

    /* Workers inherit the creating thread's signal mask: block everything while creating
     * them so that signals go to the application's threads, then restore. */
    sigset_t all, old;
    sigfillset(&all);
    int masked = pthread_sigmask(SIG_SETMASK, &all, &old) == 0;
    int rc = 0;
    for (int i = 0; i < nw; i++) {
        p->workers[i].pool = p;
        p->workers[i].index = i + 1;
        rc = pthread_create(&p->threads[i], NULL, worker_main, &p->workers[i]);
        if (rc != 0)
            break;
        p->n_started++;
    }
    if (masked)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        int started = p->n_started;
        pool_free(p);
        return bn_fail(err, BN_ERR_NOMEM, "thread pool: cannot start thread %d of %d: %s",
                       started + 1, nw, strerror(rc));
    }
    *pool = p;
    return BN_OK;
}

void bn_threadpool_destroy(bn_threadpool *pool)
{
    if (pool)
        pool_free(pool);
}

int bn_threadpool_size(const bn_threadpool *pool) { return pool ? pool->n_threads : 1; }

void bn_parallel_for(bn_threadpool *pool, int n, bn_range_fn fn, void *ctx)
{
    if (n <= 0)
        return;
    if (!pool || pool->n_threads == 1 || n == 1) {
        fn(ctx, 0, n, 0);
        return;
    }
    int k = n < pool->n_threads ? n : pool->n_threads;

    pthread_mutex_lock(&pool->mu);
    pool->fn = fn;
    pool->ctx = ctx;
    pool->n = n;
    pool->n_chunks = k;
    pool->pending = k - 1;
    pool->generation++;
    pthread_cond_broadcast(&pool->work_cv);
    pthread_mutex_unlock(&pool->mu);

    fn(ctx, 0, chunk_bound(n, 1, k), 0);

    spin_budget b = {pool->spin_ns, 0, 0};
    while (atomic_load_explicit(&pool->pending, memory_order_acquire) != 0 && spin_more(&b))
        ;
    pthread_mutex_lock(&pool->mu);
    while (pool->pending > 0)
        pthread_cond_wait(&pool->done_cv, &pool->mu);
    pthread_mutex_unlock(&pool->mu);
}
