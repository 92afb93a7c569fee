/* test_mpi_dist.c - the job's collectives (app/dist_mpi.c), run by tests/test_mpi.sh as
 * `mpirun -np 2`: sums in place with the bits of a + b on both ranks, in pieces as well as
 * whole; rank 0's bytes and text on every rank; the allreduce timer counts its calls; each
 * rank's part of a slab to both (ZeRO-1's allgather, by MPI_Allgatherv in rounds or, where
 * the offsets pass max_count, by broadcasts), parts empty or not; bytes from one rank to
 * the other, whole and in pieces. */
#include <stdlib.h>
#include <string.h>

#include "dist_mpi.h"
#include "check.h"

#define N 1031

static float value_f32(int rank, int i)
{
    return (float)(rank + 1) / (float)(i + 1) + (float)rank * 1e-3f * (float)i;
}

static double value_f64(int rank, int i)
{
    return (double)(rank + 3) / (double)(i + 7) - (double)rank * 1e-7 * (double)i;
}

/* Sum N values over the 2 ranks, max_count at a time; the bits must be v0 + v1. */
static void check_sums(bn_job *job, size_t max_count)
{
    float f[N], want_f[N];
    double d[N], want_d[N];
    for (int i = 0; i < N; i++) {
        f[i] = value_f32(job->rank, i);
        want_f[i] = value_f32(0, i) + value_f32(1, i);
        d[i] = value_f64(job->rank, i);
        want_d[i] = value_f64(0, i) + value_f64(1, i);
    }
    bn_error err = {0};
    job->max_count = max_count;
    const bn_dist *dist = &job->dist;
    CHECK(dist->ops->allreduce_f32(dist->ctx, f, N, &err) == BN_OK, "%s", err.msg);
    CHECK(memcmp(f, want_f, sizeof f) == 0, "f32 sums differ (max_count %zu)", max_count);
    CHECK(dist->ops->allreduce_f64(dist->ctx, d, N, &err) == BN_OK, "%s", err.msg);
    CHECK(memcmp(d, want_d, sizeof d) == 0, "f64 sums differ (max_count %zu)", max_count);
    CHECK(dist->ops->allreduce_f32(dist->ctx, f, 0, &err) == BN_OK, "empty: %s", err.msg);
}

static void check_broadcast(bn_job *job, size_t max_count)
{
    unsigned char buf[3001], want[3001];
    for (size_t i = 0; i < sizeof buf; i++)
        want[i] = (unsigned char)(i * 7 + 3);
    if (job->rank == 0)
        memcpy(buf, want, sizeof buf);
    else
        memset(buf, 0, sizeof buf);
    bn_error err = {0};
    job->max_count = max_count;
    CHECK(job->dist.ops->broadcast(job->dist.ctx, buf, sizeof buf, &err) == BN_OK, "%s",
          err.msg);
    CHECK(memcmp(buf, want, sizeof buf) == 0, "broadcast differs (max_count %zu)", max_count);
}

static void check_share_text(bn_job *job)
{
    char mine[] = "[training]\nnum_steps = 5\n";
    char *text = job->rank == 0 ? mine : NULL;
    bn_error err = {0};
    CHECK(bn_job_share_text(job, &text, &err) == BN_OK, "%s", err.msg);
    CHECK(text && strcmp(text, mine) == 0, "rank %d got '%s'", job->rank, text ? text : "");
    if (job->rank != 0)
        free(text);
    /* Rank 0 failed to read it: every rank hears so, rank 0 keeping its message. */
    text = NULL;
    err = (bn_error){0};
    if (job->rank == 0)
        bn_fail(&err, BN_ERR_INPUT, "x.ini: cannot open");
    CHECK(bn_job_share_text(job, &text, &err) == BN_ERR_INPUT && !text, "rank %d", job->rank);
    CHECK(strstr(err.msg, job->rank == 0 ? "x.ini" : "rank 0") != NULL, "%s", err.msg);
}

/* Rank r's part [bounds[r], bounds[r + 1]) of N floats to both ranks, max_count at a time. */
static void check_allgather(bn_job *job, size_t max_count, size_t split)
{
    float f[N], want[N];
    size_t bounds[3] = {0, split, N};
    for (int i = 0; i < N; i++) {
        int owner = (size_t)i >= split;
        want[i] = value_f32(owner, i);
        f[i] = owner == job->rank ? want[i] : -1.0f;
    }
    bn_error err = {0};
    job->max_count = max_count;
    long calls = job->allgather_calls;
    CHECK(job->dist.ops->allgather_f32(job->dist.ctx, f, bounds, &err) == BN_OK, "%s",
          err.msg);
    CHECK(memcmp(f, want, sizeof f) == 0, "allgather differs (max_count %zu, split %zu)",
          max_count, split);
    CHECK(job->allgather_calls == calls + 1 && job->allgather_s >= 0, "allgather timed");
}

/* Bytes from rank `from` to the other, max_count at a time; a rank's own transfer to
 * itself is nothing. */
static void check_transfer(bn_job *job, int from, size_t max_count)
{
    unsigned char buf[2049], want[2049];
    for (size_t i = 0; i < sizeof buf; i++)
        want[i] = (unsigned char)(i * 13 + (size_t)from);
    if (job->rank == from)
        memcpy(buf, want, sizeof buf);
    else
        memset(buf, 0, sizeof buf);
    bn_error err = {0};
    job->max_count = max_count;
    const bn_dist *d = &job->dist;
    CHECK(d->ops->transfer(d->ctx, from, 1 - from, buf, sizeof buf, &err) == BN_OK, "%s",
          err.msg);
    CHECK(d->ops->transfer(d->ctx, from, from, buf, sizeof buf, &err) == BN_OK, "%s", err.msg);
    CHECK(memcmp(buf, want, sizeof buf) == 0, "transfer from %d differs (max_count %zu)", from,
          max_count);
}

int main(int argc, char **argv)
{
    bn_job job;
    bn_error err = {0};
    bn_job_detect(&job);
    if (job.size != 2) {
        fprintf(stderr, "test_mpi_dist: run me with mpirun -np 2 (size %d)\n", job.size);
        return 2;
    }
    CHECK(bn_job_start(&job, &argc, &argv, &err) == BN_OK, "%s", err.msg);
    CHECK(job.dist.size == 2 && job.dist.rank == job.rank && job.dist.ops, "dist");
    if (!job.dist.ops)
        return check_exit("test_mpi_dist");
    check_sums(&job, job.max_count);
    check_sums(&job, 100);
    check_sums(&job, 1);
    CHECK(job.allreduce_calls == 6 && job.allreduce_s >= 0, "%ld calls timed",
          job.allreduce_calls);
    check_broadcast(&job, 1u << 30);
    check_broadcast(&job, 256);
    check_share_text(&job);
    size_t whole = job.max_count = 1u << 30;
    check_allgather(&job, whole, 528);
    check_allgather(&job, whole, 0);
    check_allgather(&job, whole, N);
    check_allgather(&job, 100, 48);    /* rounds: offsets within max_count, counts above it */
    check_allgather(&job, 100, 528);   /* broadcasts: an offset past max_count */
    check_allgather(&job, 1, 1);
    check_transfer(&job, 0, whole);
    check_transfer(&job, 1, whole);
    check_transfer(&job, 0, 100);
    check_transfer(&job, 1, 7);
    bn_job_end(&job);
    char name[32];
    snprintf(name, sizeof name, "test_mpi_dist rank %d", job.rank);
    return check_exit(name);
}
