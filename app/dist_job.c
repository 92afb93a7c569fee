/* dist_job.c - what every build shares of the job (README, "Training on many machines"):
 * reading the launcher's environment and handing rank 0's text to the others. No MPI here. */
#include "dist_mpi.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A non-negative int from the environment, else -1. */
static int env_int(const char *name)
{
    const char *v = getenv(name);
    char *end;
    long n = v && *v ? strtol(v, &end, 10) : -1;
    return n >= 0 && n <= INT_MAX && v && *end == '\0' ? (int)n : -1;
}

void bn_job_detect(bn_job *job)
{
    memset(job, 0, sizeof *job);
    job->size = env_int("OMPI_COMM_WORLD_SIZE");
    job->rank = env_int("OMPI_COMM_WORLD_RANK");
    if (job->size < 1) { /* MPICH's and Intel MPI's launchers */
        job->size = env_int("PMI_SIZE");
        job->rank = env_int("PMI_RANK");
    }
    if (job->size < 1 || job->rank < 0 || job->rank >= job->size)
        job->size = 1, job->rank = 0;
    job->dist = (bn_dist){.rank = 0, .size = 1, .ops = NULL, .ctx = NULL};
    job->max_count = INT_MAX;
}

bn_status bn_job_share_text(bn_job *job, char **text, bn_error *err)
{
    const bn_dist *d = &job->dist;
    if (d->size <= 1)
        return *text ? BN_OK : err->status;
    int64_t len = d->rank != 0 ? 0 : *text ? (int64_t)strlen(*text) : -1;
    bn_status s = d->ops->broadcast(d->ctx, &len, sizeof len, err);
    if (s != BN_OK)
        return s;
    if (len < 0) /* rank 0 has the message */
        return d->rank == 0 ? err->status
                            : bn_fail(err, BN_ERR_INPUT, "rank 0 could not read the config");
    if (d->rank != 0 && !(*text = malloc((size_t)len + 1)))
        return bn_fail(err, BN_ERR_NOMEM, "out of memory for the config (%lld bytes)",
                       (long long)len);
    return d->ops->broadcast(d->ctx, *text, (size_t)len + 1, err);
}
