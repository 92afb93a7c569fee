#!/bin/sh
# Crash tests (README, "Resume"): a training run killed with SIGKILL at random moments (mid-step,
# while a checkpoint is written, right after a scalars.jsonl append), then resumed, again and
# again. After every kill: each checkpoint under its final name is whole, the resumed run loads
# the newest of them (no checkpoint skipped), it lost at most one checkpoint interval, and
# scalars.jsonl holds one whole record per step 1..M. At the end the run finishes, scalars.jsonl
# holds exactly one training record per step 1..N and the final checkpoint loads.
# CRASH_KILLS (default 6) kills; CRASH_SEED seeds the moments (printed; default: the time).
# `make soak` runs it with CRASH_KILLS=300 and prints the counts.
set -u
. "${srcdir:-.}/tests/lib.sh"
work_dir crash
cp -r "$SRC/experiments" .
KILLS=${CRASH_KILLS:-6}
SEED=${CRASH_SEED:-$(date +%s)}
echo "test_crash: CRASH_SEED=$SEED CRASH_KILLS=$KILLS"
INTERVAL=10
# About 5 ms a step and 25 ms a checkpoint write (3.5 MB with fsyncs) on an idle core.
TINY="--threads 1 --set model.hidden_size=128 --set model.num_layers=2 --set model.ffn_size=256
 --set training.warmup_steps=3 --batch-size 4 --seq-len 32 --set logging.eval_problems=5
 --sample-interval 0 --log-interval 1 --checkpoint-interval $INTERVAL"
CK=runs/c/checkpoints
S=runs/c/metrics/scalars.jsonl

# ---- the seeded random source: an LCG, no fork ----------------------------------------
rng=$SEED
rand() { # rand N: $r, uniform-ish in 0..N-1
    rng=$(((rng * 1103515245 + 12345) % 2147483648))
    r=$(((rng / 65536) % $1))
}

# ---- what must hold ----------------------------------------------------------------------
# newest: the highest step of a checkpoint under its final name (0 if none).
newest() {
    n=0
    for d in $CK/step_[0-9][0-9][0-9][0-9][0-9][0-9]; do
        [ -d "$d" ] || continue
        s=${d##*step_}
        s=$(expr "$s" + 0)
        [ "$s" -gt "$n" ] && n=$s
    done
    echo $n
}
# whole_checkpoints: every checkpoint under its final name has its three files.
whole_checkpoints() {
    for d in $CK/step_[0-9][0-9][0-9][0-9][0-9][0-9]; do
        [ -d "$d" ] || continue
        for f in model.safetensors optimizer.safetensors trainer_state.json; do
            [ -s "$d/$f" ] || { echo "    $d has no $f"; return 1; }
        done
    done
}
# records_upto M: every line of scalars.jsonl is a whole record, and its training records
# are exactly steps 1..M, each once.
records_upto() {
    [ -z "$(grep -Ev '^\{"step": [0-9]+, .*\}$' $S)" ] || { echo "    a torn line"; return 1; }
    grep -o '^{"step": [0-9]*, "loss"' $S | sed 's/[^0-9]//g' |
        awk -v m="$1" '{ if ($1 != NR) bad = 1 } END { exit bad || NR != m }'
}
last_record() { grep -o '^{"step": [0-9]*, "loss"' $S | tail -n 1 | sed 's/[^0-9]//g'; }

# ---- the moments ---------------------------------------------------------------------------
# Each waits in its own way, then returns; the caller kills.
mid_step() { # a random 0..149 ms into training
    rand 150
    sleep "$(printf '0.%03d' $r)"
}
# until a step_N.tmp directory exists (a checkpoint is being written), then a random number
# of further polls (a few ms at most) so that the kill lands at different files.
in_checkpoint() {
    i=0
    while [ $i -lt 100000 ]; do
        for d in $CK/*.tmp; do [ -d "$d" ] && break 2; done
        i=$((i + 1))
    done
    rand 40
    i=0
    while [ $i -lt $r ]; do
        for d in $CK/*.tmp; do [ -d "$d" ]; done
        i=$((i + 1))
    done
}
# right after scalars.jsonl grows (a record was appended): its mtime passes a fresh stamp.
after_append() {
    touch stamp
    i=0
    while [ $i -lt 100000 ] && ! [ $S -nt stamp ]; do i=$((i + 1)); done
}

# ---- the run ---------------------------------------------------------------------------------
# A first run, not killed, so that there is a checkpoint to resume.
"$BIN" --batch arithmetic $TINY --num-steps $INTERVAL --run-id c >/dev/null 2>first.err
check "the first run exits 0 ($(tail -n 1 first.err))" [ $? -eq 0 ]
n_step=0 n_ckpt=0 n_append=0 n_torn_tmp=0 resumes=0 kills=0
k=1
while [ $k -le $KILLS ] && [ "$fail" -eq 0 ]; do
    L=$(newest)
    M=$(last_record)
    rm -f r.err
    "$BIN" --batch --resume runs/c --num-steps 100000 >/dev/null 2>r.err &
    pid=$!
    # until its first step is logged (its restart step is that step - 1), or it has died
    while kill -0 $pid 2>/dev/null && ! grep -qs '^step [0-9]*/' r.err; do sleep 0.02; done
    first=$(grep -m 1 -o '^step [0-9]*' r.err | sed 's/[^0-9]//g')
    if [ -z "$first" ]; then
        wait $pid
        bad "kill $k: the resume did not start (status $?):"
        sed 's/^/    /' r.err
        break
    fi
    resumes=$((resumes + 1))
    R=$((first - 1))
    check "kill $k: resumed at step $R, the newest checkpoint before the kill (step $L)" \
        [ "$R" -eq "$L" ]
    check "kill $k: lost at most one interval (last record $M, restart $R)" \
        [ $((M - R)) -le $INTERVAL ]
    check "kill $k: no checkpoint skipped" [ -z "$(grep skipping r.err)" ]
    # the moment: the first three kills take one of each, then at random
    if [ $k -le 3 ]; then m=$((k - 1)); else rand 3; m=$r; fi
    case $m in
    0) mid_step; n_step=$((n_step + 1)) ;;
    1) in_checkpoint; n_ckpt=$((n_ckpt + 1)) ;;
    2) after_append; n_append=$((n_append + 1)) ;;
    esac
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    kills=$((kills + 1))
    for d in $CK/*.tmp; do [ -d "$d" ] && n_torn_tmp=$((n_torn_tmp + 1)) && break; done
    check "kill $k: every checkpoint under its final name is whole" whole_checkpoints
    M=$(last_record)
    check "kill $k: scalars.jsonl holds one whole record per step 1..$M" records_upto "$M"
    k=$((k + 1))
done

# ---- the end: the run finishes, one record per step, the final checkpoint loads ----------
N=$(($(last_record) + 2 * INTERVAL))
"$BIN" --batch --resume runs/c --num-steps $N >/dev/null 2>end.err
check "the last resume finishes at step $N ($(tail -n 1 end.err))" [ $? -eq 0 ]
check "scalars.jsonl holds exactly one record per step 1..$N" records_upto $N
"$BIN" eval $CK/step_$(printf %06d $N) --problems 5 >/dev/null 2>eval.err
check "the final checkpoint loads ($(tail -n 1 eval.err))" [ $? -eq 0 ]

echo "test_crash: $kills kills, $resumes resumes; moments: $n_step mid-step, $n_ckpt checkpoint" \
    "write ($n_torn_tmp left a step_N.tmp: killed inside the write), $n_append scalars append"
echo "test_crash: $pass passed, $fail failed (CRASH_SEED=$SEED)"
[ "$fail" -eq 0 ]
