/* dist_none.c - the job in a build --without-mpi (README, "Training on many machines"):
 * always one process. Started by mpirun as one of several ranks, it refuses, rather than
 * run N copies of the same training into the same run directory. */
#include "dist_mpi.h"

bn_status bn_job_start(bn_job *job, int *argc, char ***argv, bn_error *err)
{
    (void)argc, (void)argv;
    if (job->size <= 1)
        return BN_OK;
    return bn_fail(err, BN_ERR_INPUT, "started as one of %d ranks, but this bitnet-tui was "
                   "built --without-mpi: run it as one process, or rebuild it with Open MPI",
                   job->size);
}

void bn_job_end(bn_job *job)
{
    (void)job;
}

void bn_job_abort(bn_job *job, int status)
{
    (void)job, (void)status;
}
