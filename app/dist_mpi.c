/* dist_mpi.c - the job over MPI_COMM_WORLD (README, "Training on many machines"): the
 * trainer's bn_dist as MPI collectives, in place, in pieces whose count fits an int. MPI
 * errors come back as one-line messages (MPI_ERRORS_RETURN) rather than MPI's own abort, so
 * that the failing rank can name itself before it ends the job. */
#include "dist_mpi.h"

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static bn_status mpi_fail(bn_job *job, bn_error *err, int rc, const char *what, size_t n)
{
    char text[MPI_MAX_ERROR_STRING];
    job->failed = 1;
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "error %d", rc);
    return bn_fail(err, BN_ERR_IO, "%s of %zu: %s", what, n, text);
}

/* Sum buf over the ranks, in place, max_count elements per call. */
static bn_status allreduce(bn_job *job, void *buf, size_t n, MPI_Datatype type, size_t elem,
                           const char *what, bn_error *err)
{
    for (size_t off = 0; off < n; off += job->max_count) {
        size_t count = n - off < job->max_count ? n - off : job->max_count;
        int rc = MPI_Allreduce(MPI_IN_PLACE, (char *)buf + off * elem, (int)count, type,
                               MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_fail(job, err, rc, what, n);
    }
    return BN_OK;
}

static bn_status allreduce_f32(void *ctx, float *buf, size_t n, bn_error *err)
{
    bn_job *job = ctx;
    double t0 = MPI_Wtime();
    bn_status s = allreduce(job, buf, n, MPI_FLOAT, sizeof *buf, "MPI_Allreduce (floats)", err);
    job->allreduce_s += MPI_Wtime() - t0;
    job->allreduce_calls++;
    return s;
}

static bn_status allreduce_f64(void *ctx, double *buf, size_t n, bn_error *err)
{
    return allreduce(ctx, buf, n, MPI_DOUBLE, sizeof *buf, "MPI_Allreduce (doubles)", err);
}

static bn_status broadcast(void *ctx, void *buf, size_t bytes, bn_error *err)
{
    bn_job *job = ctx;
    for (size_t off = 0; off < bytes; off += job->max_count) {
        size_t count = bytes - off < job->max_count ? bytes - off : job->max_count;
        int rc = MPI_Bcast((char *)buf + off, (int)count, MPI_BYTE, 0, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_fail(job, err, rc, "MPI_Bcast (bytes)", bytes);
    }
    return BN_OK;
}

/* Each rank's part to all, one MPI_Bcast per rank and piece: where the parts' offsets do
 * not fit an int (or max_count), as MPI_Allgatherv's displacements must. */
static bn_status gather_by_broadcasts(bn_job *job, float *buf, const size_t *bounds,
                                      bn_error *err)
{
    for (int r = 0; r < job->size; r++)
        for (size_t at = bounds[r]; at < bounds[r + 1]; at += job->max_count) {
            size_t n = bounds[r + 1] - at < job->max_count ? bounds[r + 1] - at : job->max_count;
            int rc = MPI_Bcast(buf + at, (int)n, MPI_FLOAT, r, MPI_COMM_WORLD);
            if (rc != MPI_SUCCESS)
                return mpi_fail(job, err, rc, "MPI_Bcast (floats)", bounds[job->size]);
        }
    return BN_OK;
}

/* In rounds: round k moves elements [k x max_count, (k + 1) x max_count) of every part. */
static bn_status gather_in_rounds(bn_job *job, float *buf, const size_t *bounds, int *counts,
                                  int *displs, bn_error *err)
{
    size_t longest = 0, chunk = job->max_count;
    for (int r = 0; r < job->size; r++) {
        size_t len = bounds[r + 1] - bounds[r];
        longest = len > longest ? len : longest;
        displs[r] = (int)(bounds[r] - bounds[0]);
    }
    for (size_t k = 0; k < longest; k += chunk) {
        for (int r = 0; r < job->size; r++) {
            size_t len = bounds[r + 1] - bounds[r];
            counts[r] = (int)(len <= k ? 0 : len - k < chunk ? len - k : chunk);
        }
        int rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf + bounds[0] + k,
                                counts, displs, MPI_FLOAT, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_fail(job, err, rc, "MPI_Allgatherv (floats)", bounds[job->size]);
    }
    return BN_OK;
}

static bn_status allgather_f32(void *ctx, float *buf, const size_t *bounds, bn_error *err)
{
    bn_job *job = ctx;
    double t0 = MPI_Wtime();
    bn_status s;
    int *counts = malloc(2 * sizeof(int) * (size_t)job->size);
    if (!counts)
        s = bn_fail(err, BN_ERR_NOMEM, "out of memory for %d counts", 2 * job->size);
    else if (bounds[job->size - 1] - bounds[0] > job->max_count)
        s = gather_by_broadcasts(job, buf, bounds, err);
    else
        s = gather_in_rounds(job, buf, bounds, counts, counts + job->size, err);
    free(counts);
    job->allgather_s += MPI_Wtime() - t0;
    job->allgather_calls++;
    return s;
}

static bn_status transfer(void *ctx, int from, int to, void *buf, size_t bytes, bn_error *err)
{
    bn_job *job = ctx;
    if (from == to || (job->rank != from && job->rank != to))
        return BN_OK;
    for (size_t off = 0; off < bytes; off += job->max_count) {
        int count = (int)(bytes - off < job->max_count ? bytes - off : job->max_count);
        int rc = job->rank == from
                 ? MPI_Send((char *)buf + off, count, MPI_BYTE, to, 0, MPI_COMM_WORLD)
                 : MPI_Recv((char *)buf + off, count, MPI_BYTE, from, 0, MPI_COMM_WORLD,
                            MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return mpi_fail(job, err, rc, job->rank == from ? "MPI_Send (bytes)"
                                                            : "MPI_Recv (bytes)", bytes);
    }
    return BN_OK;
}

static const bn_dist_ops mpi_ops = {allreduce_f32, allreduce_f64, broadcast, allgather_f32,
                                    transfer};

static const char *thread_level_name(int level)
{
    switch (level) {
    case MPI_THREAD_SINGLE: return "MPI_THREAD_SINGLE";
    case MPI_THREAD_FUNNELED: return "MPI_THREAD_FUNNELED";
    case MPI_THREAD_SERIALIZED: return "MPI_THREAD_SERIALIZED";
    default: return "MPI_THREAD_MULTIPLE";
    }
}

/* MPI is up: check what it gave against what the launcher said. */
static bn_status joined(bn_job *job, int provided, bn_error *err)
{
    int rank = 0, size = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    job->rank = rank;
    job->size = size;
    if (provided < MPI_THREAD_SERIALIZED)
        return bn_fail(err, BN_ERR_IO, "this MPI gives thread level %s; training needs "
                       "MPI_THREAD_SERIALIZED (its collectives run on the training thread)",
                       thread_level_name(provided));
    job->dist = (bn_dist){.rank = rank, .size = size, .ops = &mpi_ops, .ctx = job};
    return BN_OK;
}

bn_status bn_job_start(bn_job *job, int *argc, char ***argv, bn_error *err)
{
    if (job->size <= 1)
        return BN_OK;
    int provided = MPI_THREAD_SINGLE;
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
    if (rc != MPI_SUCCESS)
        return bn_fail(err, BN_ERR_IO, "MPI_Init_thread failed (error %d)", rc);
    job->started = 1;
    return joined(job, provided, err);
}

void bn_job_end(bn_job *job)
{
    if (job->started)
        MPI_Finalize();
    job->started = 0;
}

void bn_job_abort(bn_job *job, int status)
{
    if (!job->started)
        return;
    fflush(stdout);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, status);
    _exit(status); /* MPI_Abort does not return; should it, this rank still ends */
}
