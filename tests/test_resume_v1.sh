#!/bin/sh
# Checkpoints written before the data sources (trainer_state.json format 1: no
# format_version, "data" without "kind") still resume, bit for bit: each fixture is a run
# of 20 steps by the pre-redesign binary, kept at its step 10 checkpoint, whose
# metrics/scalars.jsonl holds the original losses of steps 5..20. Resuming a copy drops the
# records after step 10 and must log the same losses at steps 15 and 20 (to 1e-4 relative: fp32 reductions may differ in the
# last bits across CPUs), and its new checkpoint is format 2.
set -u
. "${srcdir:-.}/tests/lib.sh"
FIX=$SRC/tests/fixtures/v1
work_dir resume-v1

# Whether $1 and $2 agree to 1e-4 relative.
close() {
    [ -n "$1" ] && [ -n "$2" ] &&
        awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d;
            m = a < 0 ? -a : a; exit !(d <= 1e-4 * m) }'
}

for task in arith ttt; do
    rm -rf run_$task
    cp -r "$FIX/$task" run_$task
    chmod -R u+w run_$task
    original=$FIX/$task/metrics/scalars.jsonl
    "$BIN" --batch --resume run_$task --threads 1 >out_$task.txt 2>err_$task.txt
    check "$task: resume exits 0 ($(tail -n 1 err_$task.txt))" [ $? -eq 0 ]
    check "$task: resumed from step 10" grep -q 'step 15/20' err_$task.txt
    # The resume dropped the original's records after step 10: those at 15 and 20 are new.
    new=run_$task/metrics/scalars.jsonl
    check "$task: one training record per step" \
        [ -z "$(grep -o '^{"step": [0-9]*, "loss"' $new | sort | uniq -d)" ]
    cp $new new_$task.jsonl
    for step in 15 20; do
        want=$(value_at "$original" $step loss)
        got=$(value_at new_$task.jsonl $step loss)
        check "$task: loss at step $step is $got, the original run logged $want" \
            close "$got" "$want"
    done
    state=run_$task/checkpoints/step_000020/trainer_state.json
    check "$task: the new checkpoint is format 2" grep -q '"format_version": 2' "$state"
done
check "arith: data.kind" grep -q '"kind": "arithmetic"' run_arith/checkpoints/step_000020/trainer_state.json
check "ttt: data.kind" grep -q '"kind": "tictactoe"' run_ttt/checkpoints/step_000020/trainer_state.json

echo "test_resume_v1: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
