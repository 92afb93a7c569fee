/* commands.h - the subcommands; each returns the process exit status. */
#ifndef BN_COMMANDS_H
#define BN_COMMANDS_H

#include "cli.h"
#include "dist_mpi.h"
#include "kernels/kernels.h"

/* Exit statuses (README documents them). */
enum { BN_EXIT_OK = 0, BN_EXIT_RUNTIME = 1, BN_EXIT_INPUT = 2, BN_EXIT_DIVERGED = 3 };

int bn_exit_status(bn_status s);

/* Training threads: 0 means every core. */
int bn_resolve_threads(int threads);

/* The kernel table for --kernel / $BITNET_KERNEL (NULL or "auto": the fastest here).
 * An unknown name, or one this CPU cannot run, is BN_ERR_INPUT. */
bn_status bn_select_kernels(const char *name, const bn_kernels **out, bn_error *err);

int bn_cmd_train(const bn_cli *cli);
/* train as one of job->size > 1 ranks of an mpirun job (README, "Training on many
 * machines"): starts MPI; a failing rank says so and ends the whole job. */
int bn_cmd_train_ranked(const bn_cli *cli, bn_job *job);
int bn_cmd_eval(const bn_cli *cli);
int bn_cmd_bench(const bn_cli *cli);
/* bench --tokenizer FILE [--corpus PATH] (bench_tok.c). */
int bn_cmd_bench_tokenizer(const bn_cli *cli);
int bn_cmd_move(const bn_cli *cli);
int bn_cmd_play(const bn_cli *cli);
int bn_cmd_tokenizer(const bn_cli *cli);
/* generate and chat with a text checkpoint (gen_cmd.c, chat_cmd.c). */
int bn_cmd_generate(const bn_cli *cli);
int bn_cmd_chat(const bn_cli *cli);
/* bench --generate (bench_gen.c). */
int bn_cmd_bench_generate(const bn_cli *cli);

/* `tokenizer train ARGS...` (argv after "train"); parses its own flags, since it takes
 * any number of inputs. */
int bn_cmd_tokenizer_train(int argc, char **argv);

/* `runs`: the runs of a runs directory (runs_cmd.c). */
int bn_cmd_runs(const bn_cli *cli);

/* `status ARGS...` (argv after "status"): one run in full, --watch redraws it; parses its
 * own flags, since --watch takes an optional value (status_cmd.c). */
int bn_cmd_status(int argc, char **argv);

/* `prepare ARGS...` (argv after "prepare"); parses its own flags for the same reason. */
int bn_cmd_prepare(int argc, char **argv);

/* `plot RUN...` (argv after "plot"); parses its own flags, since it takes any number of runs. */
int bn_cmd_plot(int argc, char **argv);

#endif
