/* test_threadpool.c - bn_parallel_for: coverage (every index exactly once), the documented
 * deterministic split, thread_index < size, the inline paths, many back-to-back calls (no
 * lost wake-ups), waits longer than the pool's watch (workers and caller asleep), repeated
 * create/destroy, and a reproducible parallel reduction. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "base/threadpool.h"

#define MAX_T 8

/* ---- visit counting and chunk recording ---- */

typedef struct {
    int *count;             /* per index */
    int size;               /* pool size */
    int calls[MAX_T];       /* fn calls per thread_index */
    int begin[MAX_T];       /* chunk handled by each thread_index */
    int end[MAX_T];
    pthread_t who[MAX_T];   /* thread that ran it */
    int bad_index;          /* a thread_index out of [0, size) was seen */
} visit_ctx;

static void visit_fn(void *vctx, int begin, int end, int ti)
{
    visit_ctx *c = vctx;
    if (ti < 0 || ti >= c->size || ti >= MAX_T) {
        c->bad_index = 1; /* racy only if the pool is already broken */
        return;
    }
    c->calls[ti]++;
    c->begin[ti] = begin;
    c->end[ti] = end;
    c->who[ti] = pthread_self();
    for (int i = begin; i < end; i++)
        c->count[i]++;
}

static void visit_reset(visit_ctx *c, int n, int size)
{
    memset(c->count, 0, (size_t)(n > 0 ? n : 1) * sizeof *c->count);
    memset(c->calls, 0, sizeof c->calls);
    memset(c->begin, 0, sizeof c->begin);
    memset(c->end, 0, sizeof c->end);
    c->size = size;
    c->bad_index = 0;
}

static void test_coverage(void)
{
    static const int ns[] = {0, 1, 2, 3, 7, 100, 10007};
    static const int sizes[] = {1, 2, 3, 8};
    int *count = malloc(10007 * sizeof *count);
    CHECK(count != NULL, "malloc");
    if (!count)
        return;

    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        int T = sizes[si];
        bn_threadpool *pool = NULL;
        bn_error err = {0};
        CHECK(bn_threadpool_create(&pool, T, &err) == BN_OK, "create(%d): %s", T, err.msg);
        if (!pool)
            continue;
        CHECK(bn_threadpool_size(pool) == T, "size %d != %d", bn_threadpool_size(pool), T);

        for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++) {
            int n = ns[ni];
            visit_ctx c = {.count = count};
            int first_begin[MAX_T], first_end[MAX_T], first_calls[MAX_T];
            for (int rep = 0; rep < 3; rep++) {
                visit_reset(&c, n, T);
                bn_parallel_for(pool, n, visit_fn, &c);

                CHECK(!c.bad_index, "T=%d n=%d: thread_index out of range", T, n);
                int wrong = 0;
                for (int i = 0; i < n; i++)
                    if (c.count[i] != 1)
                        wrong++;
                CHECK(wrong == 0, "T=%d n=%d: %d indices not visited exactly once", T, n, wrong);

                /* The documented split: k = min(n, T) chunks, chunk t = [n t / k, n (t+1) / k)
                 * on thread_index t; n == 1 or T == 1 inline as one chunk. */
                int k = n <= 0 ? 0 : (n < T ? n : T);
                for (int t = 0; t < MAX_T; t++) {
                    if (t < k) {
                        int b = (int)((long long)n * t / k), e = (int)((long long)n * (t + 1) / k);
                        CHECK(c.calls[t] == 1 && c.begin[t] == b && c.end[t] == e,
                              "T=%d n=%d chunk %d: calls %d [%d,%d) want [%d,%d)", T, n, t,
                              c.calls[t], c.begin[t], c.end[t], b, e);
                    } else {
                        CHECK(c.calls[t] == 0, "T=%d n=%d: thread_index %d called %d times", T,
                              n, t, c.calls[t]);
                    }
                }
                /* Chunk 0 runs on the caller, the others on distinct other threads. */
                if (k >= 1)
                    CHECK(pthread_equal(c.who[0], pthread_self()),
                          "T=%d n=%d: chunk 0 not on the caller", T, n);
                for (int a = 1; a < k; a++)
                    for (int b2 = 0; b2 < a; b2++)
                        CHECK(!pthread_equal(c.who[a], c.who[b2]),
                              "T=%d n=%d: chunks %d and %d on the same thread", T, n, b2, a);

                if (rep == 0) {
                    memcpy(first_begin, c.begin, sizeof first_begin);
                    memcpy(first_end, c.end, sizeof first_end);
                    memcpy(first_calls, c.calls, sizeof first_calls);
                } else {
                    CHECK(memcmp(first_begin, c.begin, sizeof first_begin) == 0 &&
                              memcmp(first_end, c.end, sizeof first_end) == 0 &&
                              memcmp(first_calls, c.calls, sizeof first_calls) == 0,
                          "T=%d n=%d: chunks differ between calls", T, n);
                }
            }
        }
        bn_threadpool_destroy(pool);
    }
    free(count);
}

/* ---- inline paths ---- */

static void test_inline(void)
{
    int count[100];
    visit_ctx c = {.count = count};

    visit_reset(&c, 100, 1);
    bn_parallel_for(NULL, 100, visit_fn, &c);
    CHECK(c.calls[0] == 1 && c.begin[0] == 0 && c.end[0] == 100, "NULL pool: not one inline call");
    CHECK(pthread_equal(c.who[0], pthread_self()), "NULL pool: not on the caller");
    CHECK(bn_threadpool_size(NULL) == 1, "size(NULL) = %d", bn_threadpool_size(NULL));

    visit_reset(&c, 0, 1);
    bn_parallel_for(NULL, 0, visit_fn, &c);
    bn_parallel_for(NULL, -5, visit_fn, &c);
    CHECK(c.calls[0] == 0, "n <= 0 called fn");

    bn_threadpool *pool = NULL;
    bn_error err = {0};
    CHECK(bn_threadpool_create(&pool, 4, &err) == BN_OK, "create(4): %s", err.msg);
    visit_reset(&c, 1, 4);
    bn_parallel_for(pool, 1, visit_fn, &c);
    CHECK(c.calls[0] == 1 && c.begin[0] == 0 && c.end[0] == 1 &&
              pthread_equal(c.who[0], pthread_self()),
          "n == 1: not inline");
    bn_threadpool_destroy(pool);
    bn_threadpool_destroy(NULL);

    /* Bad sizes. */
    static const int bad[] = {0, -1, BN_THREADPOOL_MAX + 1};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bn_threadpool *p = (bn_threadpool *)&err; /* must be reset to NULL */
        bn_error e = {0};
        CHECK(bn_threadpool_create(&p, bad[i], &e) == BN_ERR_INPUT && p == NULL &&
                  e.status == BN_ERR_INPUT && e.msg[0],
              "create(%d) accepted", bad[i]);
    }
    bn_threadpool *p = NULL;
    CHECK(bn_threadpool_create(&p, 0, NULL) == BN_ERR_INPUT, "create with err == NULL");
}

/* ---- many back-to-back calls ---- */

typedef struct {
    long long per_thread[MAX_T];
} tally_ctx;

static void tally_fn(void *vctx, int begin, int end, int ti)
{
    tally_ctx *c = vctx;
    c->per_thread[ti] += end - begin;
}

static void test_back_to_back(void)
{
    static const int sizes[] = {2, 3, 8};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        int T = sizes[si];
        bn_threadpool *pool = NULL;
        bn_error err = {0};
        CHECK(bn_threadpool_create(&pool, T, &err) == BN_OK, "create(%d): %s", T, err.msg);
        if (!pool)
            continue;
        tally_ctx c = {{0}};
        long long want = 0;
        for (int it = 0; it < 10000; it++) {
            int n = 1 + it % 13; /* mixes n < T (idle workers) and n >= T */
            bn_parallel_for(pool, n, tally_fn, &c);
            want += n;
        }
        long long got = 0;
        for (int t = 0; t < MAX_T; t++)
            got += c.per_thread[t];
        CHECK(got == want, "T=%d: 10000 calls covered %lld, want %lld", T, got, want);
        bn_threadpool_destroy(pool);
    }
}

/* ---- waits longer than the watch: workers and the caller sleep and are woken ----------
 * A pool watches its counters for 50 us before sleeping (README, "Threads"): pauses of
 * 300 us between calls put the workers to sleep, and a chunk of 300 us on a worker puts
 * the caller to sleep; every index must still be covered once. */

typedef struct {
    int slow_thread; /* this thread's chunk sleeps; -1: none */
    long long per_thread[MAX_T];
} slow_ctx;

static void pause_us(long us)
{
    struct timespec t = {0, us * 1000L};
    nanosleep(&t, NULL);
}

static void slow_fn(void *vctx, int begin, int end, int ti)
{
    slow_ctx *c = vctx;
    if (ti == c->slow_thread)
        pause_us(300);
    c->per_thread[ti] += end - begin;
}

static void test_sleeping_waits(void)
{
    static const int sizes[] = {2, 3};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        int T = sizes[si];
        bn_threadpool *pool = NULL;
        bn_error err = {0};
        CHECK(bn_threadpool_create(&pool, T, &err) == BN_OK, "create(%d): %s", T, err.msg);
        if (!pool)
            continue;
        slow_ctx c = {-1, {0}};
        long long want = 0;
        for (int it = 0; it < 60; it++) {
            c.slow_thread = it % 3 == 0 ? -1 : it % T; /* the caller (0) or a worker */
            if (it % 2)
                pause_us(300);
            bn_parallel_for(pool, 2 * T, slow_fn, &c);
            want += 2 * T;
        }
        long long got = 0;
        for (int t = 0; t < MAX_T; t++)
            got += c.per_thread[t];
        CHECK(got == want, "T=%d: 60 calls with sleeps covered %lld, want %lld", T, got, want);
        bn_threadpool_destroy(pool);
    }
}

/* ---- create/destroy repeatedly (LeakSanitizer checks the leaks at exit) ---- */

static void test_create_destroy(void)
{
    int ok = 0;
    for (int i = 0; i < 100; i++) {
        int T = 1 + i % 8;
        bn_threadpool *pool = NULL;
        bn_error err = {0};
        if (bn_threadpool_create(&pool, T, &err) != BN_OK)
            break;
        if (i % 2) {
            tally_ctx c = {{0}};
            bn_parallel_for(pool, 50, tally_fn, &c);
            long long got = 0;
            for (int t = 0; t < MAX_T; t++)
                got += c.per_thread[t];
            if (got != 50) {
                bn_threadpool_destroy(pool);
                break;
            }
        }
        bn_threadpool_destroy(pool);
        ok++;
    }
    CHECK(ok == 100, "create/destroy: only %d of 100 rounds succeeded", ok);
}

/* ---- a parallel reduction ---- */

typedef struct {
    const float *x;
    uint64_t isum[MAX_T];
    float fsum[MAX_T];
} sum_ctx;

static void sum_fn(void *vctx, int begin, int end, int ti)
{
    sum_ctx *c = vctx;
    uint64_t is = 0;
    float fs = 0.0f;
    for (int i = begin; i < end; i++) {
        is += (uint64_t)i * (uint64_t)i;
        fs += c->x[i];
    }
    c->isum[ti] = is;
    c->fsum[ti] = fs;
}

static void test_sum(void)
{
    enum { N = 100003 };
    float *x = malloc(N * sizeof *x);
    CHECK(x != NULL, "malloc");
    if (!x)
        return;
    uint64_t s = 0x12345678u;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(s >> 40) / (double)(1ull << 24) - 0.5);
    }
    uint64_t want_i = 0;
    for (int i = 0; i < N; i++)
        want_i += (uint64_t)i * (uint64_t)i;

    static const int sizes[] = {1, 2, 3, 8};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        int T = sizes[si];
        bn_threadpool *pool = NULL;
        bn_error err = {0};
        CHECK(bn_threadpool_create(&pool, T, &err) == BN_OK, "create(%d): %s", T, err.msg);
        if (!pool)
            continue;
        /* The serial float sum done chunk by chunk, combined in thread_index order. */
        float want_f = 0.0f;
        for (int t = 0; t < T; t++) {
            int b = (int)((long long)N * t / T), e = (int)((long long)N * (t + 1) / T);
            float part = 0.0f;
            for (int i = b; i < e; i++)
                part += x[i];
            want_f += part;
        }
        for (int rep = 0; rep < 3; rep++) {
            sum_ctx c = {.x = x};
            bn_parallel_for(pool, N, sum_fn, &c);
            uint64_t got_i = 0;
            float got_f = 0.0f;
            for (int t = 0; t < T; t++) {
                got_i += c.isum[t];
                got_f += c.fsum[t];
            }
            CHECK(got_i == want_i, "T=%d: integer sum %llu want %llu", T,
                  (unsigned long long)got_i, (unsigned long long)want_i);
            CHECK(memcmp(&got_f, &want_f, sizeof got_f) == 0,
                  "T=%d: float sum %.9g want %.9g (not reproducible)", T, got_f, want_f);
        }
        bn_threadpool_destroy(pool);
    }
    free(x);
}

int main(void)
{
    test_coverage();
    test_inline();
    test_back_to_back();
    test_sleeping_waits();
    test_create_destroy();
    test_sum();
    return check_exit("test_threadpool");
}
