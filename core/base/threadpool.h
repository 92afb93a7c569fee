/* threadpool.h - a small persistent thread pool for the engine's non-BLAS loops (attention
 * over (batch, head), RMSNorm and quantization over rows, ...).
 *
 * A pool of size T is T - 1 worker threads plus the thread that calls bn_parallel_for, which
 * takes a share of the work itself. An idle worker watches for the next job for 50 us, then
 * sleeps on a condition variable, so between training steps and after them the pool uses
 * no CPU; a pool of more threads than the machine has CPUs never watches. The engine never
 * has more than T busy threads of its own.
 *
 * No global state; every pool is independent. Workers start with all signals blocked, so
 * signals (SIGINT, SIGWINCH, ...) are delivered to the application's own threads. */
#ifndef BN_THREADPOOL_H
#define BN_THREADPOOL_H

#include "base/error.h"

typedef struct bn_threadpool bn_threadpool; /* opaque */

/* Create a pool of n_threads - 1 workers plus the calling thread. n_threads >= 1; 1 means no
 * workers (every parallel_for runs inline). Fails with BN_ERR_INPUT for n_threads < 1 or
 * > BN_THREADPOOL_MAX, BN_ERR_NOMEM when memory or threads cannot be had (nothing leaks). */
#define BN_THREADPOOL_MAX 1024
bn_status bn_threadpool_create(bn_threadpool **pool, int n_threads, bn_error *err);

/* Stop and join the workers, free the pool. NULL-safe. Must not be called while a
 * parallel_for on this pool is running. */
void bn_threadpool_destroy(bn_threadpool *pool);

/* The pool's n_threads (1 for NULL). */
int bn_threadpool_size(const bn_threadpool *pool);

/* fn(ctx, begin, end, thread_index) handles indices [begin, end). */
typedef void (*bn_range_fn)(void *ctx, int begin, int end, int thread_index);

/* Run fn over [0, n) and return when all of it is done.
 *
 * Splitting: with T = size and k = min(n, T), [0, n) is cut into k contiguous chunks,
 * chunk t = [n*t/k, n*(t+1)/k) (sizes differ by at most 1), run with thread_index = t; the
 * caller runs chunk 0 and worker t runs chunk t. The split depends only on (n, T), so a
 * reduction that keeps per-thread partials indexed by thread_index and combines them in
 * index order is bit-reproducible for a given thread count. thread_index < size always, so
 * callers may use per-thread scratch indexed by it.
 *
 * Inline: with pool == NULL, T == 1 or n == 1, fn(ctx, 0, n, 0) runs on the calling thread.
 * n <= 0 does nothing (fn is not called). The pool does not judge whether the work is worth
 * waking threads for (a wake-up costs microseconds): callers with tiny loops should call fn
 * themselves, or pass a NULL pool.
 *
 * Not reentrant: one parallel_for at a time per pool, always from the same thread, and fn
 * must not call bn_parallel_for on the same pool. */
void bn_parallel_for(bn_threadpool *pool, int n, bn_range_fn fn, void *ctx);

#endif
