/* dist_mpi.h - the job this process belongs to (README, "Training on many machines"): one
 * process, or one rank of an `mpirun` job whose bn_dist the trainer reduces through.
 * dist_mpi.c implements it over MPI_COMM_WORLD; a build --without-mpi links dist_none.c
 * instead, which knows only jobs of one process. dist_job.c has what both share. */
#ifndef BN_DIST_MPI_H
#define BN_DIST_MPI_H

#include <stddef.h>

#include "base/error.h"
#include "train/dist.h"

typedef struct {
    int rank, size;        /* from the launcher's environment, then from MPI */
    int started;           /* MPI is initialised (bn_job_end finalizes it) */
    int failed;            /* an MPI call failed: the ranks cannot agree on anything now,
                              so this one ends the job (bn_job_abort) */
    bn_dist dist;          /* what the trainer gets: size 1 and no ops for one process */
    size_t max_count;      /* elements per MPI call at most (an int; tests make it small) */
    double allreduce_s;    /* time inside the gradient allreduce (allreduce_f32), summed */
    long allreduce_calls;
    double allgather_s;    /* time inside the parameter allgather (allgather_f32, ZeRO-1) */
    long allgather_calls;
} bn_job;

/* The job as its launcher describes it (Open MPI's OMPI_COMM_WORLD_SIZE and _RANK, else
 * PMI_SIZE and PMI_RANK): size 1, rank 0 when not started by mpirun. Calls no MPI, so a
 * plain run does nothing new. */
void bn_job_detect(bn_job *job);

/* Join a job of several ranks: initialise MPI with the thread level the trainer needs (it
 * runs the collectives on its own thread: MPI_THREAD_SERIALIZED) and fill job->dist. A job
 * of one does nothing. Errors are one line; built without MPI a job of several is refused
 * (BN_ERR_INPUT). Block the signals the program waits for before calling it: the threads
 * MPI starts inherit the mask. */
bn_status bn_job_start(bn_job *job, int *argc, char ***argv, bn_error *err);

/* Leave the job (MPI_Finalize): every rank, after the same collectives. */
void bn_job_end(bn_job *job);

/* End every rank of the job now, with this exit status (MPI_Abort), for a failure that the
 * other ranks may not share (they may be waiting in a collective). Returns only for a job
 * of one, whose caller then returns the status itself. */
void bn_job_abort(bn_job *job, int status);

/* Rank 0's text to every rank: *text is rank 0's (NULL when it failed: every rank then
 * returns BN_ERR_INPUT, rank 0 keeping its own message in err); the others get a copy to
 * free. */
bn_status bn_job_share_text(bn_job *job, char **text, bn_error *err);

#endif
