#!/bin/sh
# Data-parallel training over MPI (README, "Training on many machines"), under
# `mpirun -np 2`: the job's collectives (tests/test_mpi_dist) give the bits of a + b on both
# ranks and rank 0's bytes everywhere; every subcommand but training refuses to run as one
# of several ranks (one line from rank 0, exit status 2); 2 ranks x batch 4 train bit for
# bit as 1 process x batch 4 x accum 2 (losses, weights, AdamW moments), rank 1 silent; a
# checkpoint of 1 process resumes on 2 ranks and the reverse, ending where the straight run
# did; a rank that cannot start (its data missing) says so and the job ends with status 2,
# as does rank 0's disk failing mid-run (status 1);
# SIGUSR1 to mpirun stops every rank with a checkpoint; a rank killed mid-run ends the job
# with a non-zero status within 30 s, every checkpoint left whole.
# Skipped (77) in a build --without-mpi or where mpirun is missing.
set -u
. "${srcdir:-.}/tests/lib.sh"
mpi_work mpi

# ---- 1. the collectives --------------------------------------------------------------------
$MPIRUN "$BUILD/tests/test_mpi_dist" >dist.txt 2>&1
check "test_mpi_dist passes on both ranks ($(tr '\n' ' ' <dist.txt))" [ $? -eq 0 ]
check "both ranks reported" [ "$(grep -c ' 0 failed' dist.txt)" -eq 2 ]

# ---- 2. only training runs as one of several ranks ---------------------------------------
# Each subcommand as rank 0 and rank 1 of 2, as Open MPI's launcher describes them (the
# refusal comes before MPI starts), then two for real under mpirun.
only="runs as one process only, not as one of 2 ranks"
as_rank() { r=$1; shift; env OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK="$r" "$@"; }
ok_silent() { [ ! -s err.txt ] && [ ! -s out.txt ]; }
for args in "|the terminal UI" "runs|runs" "eval x|eval" "bench|bench" "generate x|generate" \
    "chat x|chat" "move x|move" "play x|play" "tokenizer info arithmetic|tokenizer" \
    "tokenizer train|tokenizer train" "prepare|prepare" "plot x|plot" "status x|status"; do
    name=${args#*|}
    refused "$name as rank 0 of 2" "$name: $only" as_rank 0 "$BIN" ${args%|*}
    as_rank 1 "$BIN" ${args%|*} >out.txt 2>err.txt
    st=$?
    check "$name as rank 1 of 2: status 2 ($st)" [ $st -eq 2 ]
    check "$name as rank 1 of 2: silent" ok_silent
done
refused "the TUI under mpirun" "the terminal UI: $only" $MPIRUN "$BIN"
refused "prepare under mpirun" "prepare: $only" $MPIRUN "$BIN" prepare
refused "a bad flag under mpirun" "--no-such-flag" $MPIRUN "$BIN" train --no-such-flag x
refused "a missing experiment under mpirun" "unknown experiment 'nosuch'" \
    $MPIRUN "$BIN" train nosuch
$MPIRUN "$BIN" --version >out.txt 2>err.txt
check "--version under mpirun: status 0" [ $? -eq 0 ]
check "--version under mpirun: rank 0 alone prints it" [ "$(grep -c '^bitnet-tui ' out.txt)" -eq 1 ]

# ---- 3. 2 ranks x batch 4 = 1 process x batch 4 x accum 2, bit for bit ---------------------
# same_run A B: B ended where A did: every logged loss, the weights, the AdamW moments.
same_run() {
    same_losses "$1" "$2" 40
    same_checkpoint "$1" "$2" 40
}
text_ini tinympi training.batch_size=4 logging.log_interval=1 logging.checkpoint_interval=20 \
    >tiny.ini
"$BIN" train tiny.ini --grad-accum 2 --run-id one >one.out 2>one.err
check "1 process x accum 2 exits 0 ($(tail -n 1 one.err))" [ $? -eq 0 ]
$MPIRUN "$BIN" train tiny.ini --run-id two >two.out 2>two.err
check "2 ranks exit 0 ($(tail -n 1 two.err))" [ $? -eq 0 ]
same_run one two
check "the header says 2 ranks x 1 thread" grep -q "^run runs/two: .*, 2 ranks x 1 thread," two.err
check "rank 1 is silent: one header" [ "$(grep -c '^run ' two.err)" -eq 1 ]
check "rank 1 is silent: 40 step lines" [ "$(grep -c '^step ' two.err)" -eq 40 ]
check "rank 1 is silent: one summary" [ "$(grep -c '^finished: ' two.err)" -eq 1 ]
check "nothing on stdout" [ ! -s two.out ]
check "the allreduce time per step is reported" \
    grep -Eq '^allreduce: [0-9.]+ ms per step over 40 steps' two.err

# ---- 4. a checkpoint resumes on another number of ranks ------------------------------------
# The global batch (ranks x accum x batch) stays 8 rows: 1 x 2 x 4 = 2 x 1 x 4.
cp -r runs/one runs/r12 && rm -r runs/r12/checkpoints/step_000040
$MPIRUN "$BIN" train --resume runs/r12 --grad-accum 1 >r12.out 2>r12.err
check "2 ranks resume a 1-process run ($(tail -n 1 r12.err))" [ $? -eq 0 ]
same_run one r12
cp -r runs/two runs/r21 && rm -r runs/r21/checkpoints/step_000040
"$BIN" train --resume runs/r21 --grad-accum 2 >r21.out 2>r21.err
check "1 process resumes a 2-rank run ($(tail -n 1 r21.err))" [ $? -eq 0 ]
same_run one r21

# ---- 5. a rank that cannot start -----------------------------------------------------------
# Rank 1 works in a directory without the (relative) data path, as on a machine that lacks
# it: it says why, rank 0 names it, the job ends with status 2 and no run directory.
mkdir d0 d1 && ln -s "$SRC/tests/fixtures/text-dataset" d0/data
sed 's|^path = .*|path = data|' tiny.ini >d0/tiny.ini
$MPIEXEC -np 1 -wdir d0 "$BIN" train tiny.ini --run-id bad : \
    -np 1 -wdir d1 "$BIN" train tiny.ini --run-id bad >bad.out 2>bad.err
st=$?
check "a rank without its data: status 2 ($st)" [ $st -eq 2 ]
check "rank 1 says why" \
    grep -q "^bitnet-tui: rank 1: tiny.ini: \[data\] path = data: cannot open" bad.err
check "rank 0 names rank 1" grep -q "^bitnet-tui: rank 0: rank 1 failed while starting" bad.err
check "two lines in all" [ "$(wc -l <bad.err)" -eq 2 ]
check "no run directory" [ ! -e d0/runs/bad ]

# Rank 0's disk fails mid-run (its checkpoints directory turned into a file): rank 0 says
# why, the trainer tells rank 1 in the next step's exchange, every rank ends with status 1.
$MPIRUN "$BIN" train tiny.ini --run-id disk --num-steps 100000 --checkpoint-interval 20 \
    --log-interval 1000 >disk.out 2>disk.err &
job=$!
wait_line 30 '^checkpoint saved' disk.err
mv runs/disk/checkpoints runs/disk/saved && echo x >runs/disk/checkpoints
wait $job
st=$?
check "rank 0's disk fails: status 1 ($st)" [ $st -eq 1 ]
check "rank 0 says why, rank 1 is silent" \
    [ "$(grep -c '^bitnet-tui: ' disk.err)" -eq 1 ]
# (the swap may land inside a save, whose message then names the file it was writing)
grep -qE '^bitnet-tui: rank 0: runs/disk/checkpoints/step_[0-9]+\.tmp(/[^:]*)?: ' disk.err &&
    ok || { bad "the message names rank 0 and the directory:"; cat disk.err; }

# ---- 6. SIGUSR1 to mpirun: every rank stops after the same step, with a checkpoint -----------
$MPIRUN "$BIN" train tiny.ini --run-id usr1 --num-steps 100000 --checkpoint-interval 0 \
    --log-interval 1 >usr1.out 2>usr1.err &
job=$!
wait_line 30 '^step 3/' usr1.err
kill -USR1 $job
wait $job
st=$?
check "SIGUSR1: status 138 ($st)" [ $st -eq 138 ]
check "SIGUSR1: rank 0 alone says so" [ "$(grep -c '^received ' usr1.err)" -eq 1 ]
check "SIGUSR1: a checkpoint" grep -q '^checkpoint saved: runs/usr1/checkpoints/step_' usr1.err

# ---- 7. a rank killed mid-run --------------------------------------------------------------
# kill -9 rank 1 once a checkpoint is out (kill_rank, in lib.sh); the newest checkpoint
# loads.
kill_rank kill 30 tiny.ini --num-steps 100000 --checkpoint-interval 5
"$BIN" eval "$newest" >eval.out 2>eval.err
check "the newest checkpoint ($newest) loads: $(tail -n 1 eval.err)" [ $? -eq 0 ]

echo "test_mpi: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
