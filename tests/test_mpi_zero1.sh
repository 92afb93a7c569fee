#!/bin/sh
# ZeRO-1 over MPI (README, "Training on many machines"), under `mpirun -np 2`: with
# --shard-optimizer each rank keeps the AdamW moments of its half of the parameters, and the
# run is bit for bit the run without it (losses, weights, and the whole optimizer file, which
# rank 0 writes from both ranks' halves) and the run of 1 process x accum 2; a sharded
# checkpoint resumes on 1 process and on 2 unsharded ranks, and a 1-process checkpoint on 2
# sharded ranks, each ending where the straight run did; rank 0's disk failing mid-run ends
# the job with status 1 (no rank left waiting on its save); a rank killed mid-run ends the
# job with a non-zero status within 30 s, every checkpoint whole. The model is large enough
# (2,464,000 parameters) that each rank's slice goes to rank 0 in more than one 4 MiB chunk.
# Skipped (77) in a build --without-mpi or where mpirun is missing.
set -u
. "${srcdir:-.}/tests/lib.sh"
mpi_work zero1

# same_run A B: B ended where A did: the weights and the optimizer file at steps 20 and 40,
# every logged loss.
same_run() {
    same_checkpoint "$1" "$2" 20
    same_checkpoint "$1" "$2" 40
    same_losses "$1" "$2" 40
}
text_ini zero1 model.hidden_size=256 model.ffn_size=768 model.num_layers=3 \
    training.batch_size=4 logging.log_interval=1 logging.checkpoint_interval=20 \
    logging.keep_checkpoints=0 >tiny.ini

# ---- 1. sharded = unsharded = 1 process x accum 2, bit for bit -----------------------------
"$BIN" train tiny.ini --grad-accum 2 --run-id one >one.out 2>one.err
check "1 process x accum 2 exits 0 ($(tail -n 1 one.err))" [ $? -eq 0 ]
check "the model has 2,464,000 parameters" grep -q "^run runs/one: zero1, 2464000 param" one.err
"$BIN" train tiny.ini --grad-accum 2 --run-id one1 --shard-optimizer >one1.out 2>one1.err
check "--shard-optimizer with one process exits 0 ($(tail -n 1 one1.err))" [ $? -eq 0 ]
check "... and says nothing of it" sh -c '! grep -Eqi "shard|allgather|rank" one1.err' 
same_run one one1
$MPIRUN "$BIN" train tiny.ini --run-id two >two.out 2>two.err
check "2 ranks exit 0 ($(tail -n 1 two.err))" [ $? -eq 0 ]
$MPIRUN "$BIN" train tiny.ini --run-id z2 --shard-optimizer >z2.out 2>z2.err
check "2 sharded ranks exit 0 ($(tail -n 1 z2.err))" [ $? -eq 0 ]
same_run two z2
same_run one z2
check "rank 1 is silent: one summary" [ "$(grep -c '^finished: ' z2.err)" -eq 1 ]
check "the allgather time per step is reported" \
    grep -Eq '^allreduce: [0-9.]+ ms per step over 40 steps .*, allgather: [0-9.]+ ms per step' \
    z2.err
check "no allgather without sharding" sh -c '! grep -q allgather two.err'
check "the INI key does it too" sh -c "$MPIRUN '$BIN' train tiny.ini --run-id z2i \
    --set training.shard_optimizer=1 --num-steps 4 2>&1 | grep -q 'allgather: '"

# ---- 2. sharded checkpoints resume anywhere, and are resumed by sharded ranks --------------
# The global batch stays 8 rows: 1 x 2 x 4 = 2 x 1 x 4.
resume_from() { # resume_from RUN NAME: runs/NAME = runs/RUN without its step-40 checkpoint
    cp -r "runs/$1" "runs/$2" && rm -r "runs/$2/checkpoints/step_000040"
}
resume_from z2 z21
"$BIN" train --resume runs/z21 --grad-accum 2 >z21.out 2>z21.err
check "1 process resumes a sharded run ($(tail -n 1 z21.err))" [ $? -eq 0 ]
same_run one z21
resume_from z2 z22
$MPIRUN "$BIN" train --resume runs/z22 --set training.shard_optimizer=0 >z22.out 2>z22.err
check "2 unsharded ranks resume a sharded run ($(tail -n 1 z22.err))" [ $? -eq 0 ]
check "... unsharded" sh -c '! grep -q allgather z22.err'
same_run one z22
resume_from one z12
$MPIRUN "$BIN" train --resume runs/z12 --grad-accum 1 --shard-optimizer >z12.out 2>z12.err
check "2 sharded ranks resume a 1-process run ($(tail -n 1 z12.err))" [ $? -eq 0 ]
check "... sharded" grep -q 'allgather: ' z12.err
same_run one z12

# ---- 3. rank 0's disk fails mid-run --------------------------------------------------------
# Its checkpoints directory turned into a file: rank 0 cannot write, yet takes rank 1's
# moments (rank 1 would wait on its send otherwise); it says why, rank 1 hears of it in the
# next step, and every rank ends with status 1 in seconds.
$MPIRUN "$BIN" train tiny.ini --run-id disk --shard-optimizer --num-steps 100000 \
    --checkpoint-interval 5 --log-interval 1000 >disk.out 2>disk.err &
job=$!
wait_line 60 '^checkpoint saved' disk.err
mv runs/disk/checkpoints runs/disk/saved && echo x >runs/disk/checkpoints
n=0
while kill -0 $job 2>/dev/null && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
kill -9 $job 2>/dev/null
wait $job
st=$?
check "rank 0's disk fails: status 1 ($st)" [ $st -eq 1 ]
check "rank 0 says why, rank 1 is silent" [ "$(grep -c '^bitnet-tui: ' disk.err)" -eq 1 ]
grep -qE '^bitnet-tui: rank 0: runs/disk/checkpoints/step_[0-9]+\.tmp(/[^:]*)?: ' disk.err &&
    ok || { bad "the message names rank 0 and the directory:"; cat disk.err; }

# ---- 4. a rank killed mid-run --------------------------------------------------------------
# kill -9 rank 1 of a sharded job once a checkpoint is out (kill_rank, in lib.sh); the newest
# checkpoint resumes on one process.
kill_rank kill 60 tiny.ini --shard-optimizer --num-steps 100000 --checkpoint-interval 3
next=$(expr "${newest##*step_}" + 1)
"$BIN" train --resume "$newest" --num-steps "$next" >kr.out 2>kr.err
check "the newest checkpoint ($newest) resumes on one process: $(tail -n 1 kr.err)" [ $? -eq 0 ]

echo "test_mpi_zero1: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
