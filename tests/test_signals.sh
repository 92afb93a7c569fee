#!/bin/sh
# Stop signals (README, "Resume"): many SIGTERMs sent to a busy run, from its start (OpenBLAS
# starts its worker threads before main blocks the stop signals, so a signal may land on
# one) and while it writes a checkpoint at every step, stop it cleanly every time: exit 143,
# the "stopped" summary, no step_N.tmp left, and the run resumes. A second Ctrl-C while the
# run stops ends it at once, without a checkpoint, and says so (exit 130).
set -u
. "${srcdir:-.}/tests/lib.sh"
work_dir signals
cp -r "$SRC/experiments" .
RUN="--threads 1 --num-steps 100000 --set training.warmup_steps=0 --set logging.eval_problems=5"

# ---- 1. a storm of SIGTERMs, a checkpoint at every step -----------------------------------
for d in 0.05 0.2 1; do
    rm -rf runs
    "$BIN" --batch arithmetic $RUN --checkpoint-interval 1 --run-id t >/dev/null 2>t.err &
    pid=$!
    sleep $d
    for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        kill -TERM $pid 2>/dev/null
        sleep 0.02
    done
    wait $pid
    status=$?
    check "SIGTERMs from ${d}s: exit 143 (got $status: $(tail -n 1 t.err))" [ $status -eq 143 ]
    check "SIGTERMs from ${d}s: a clean stop" grep -q '^stopped: ' t.err
    check "SIGTERMs from ${d}s: no step_N.tmp left" \
        [ -z "$(ls runs/t/checkpoints | grep tmp)" ]
    rm -f r.err
    "$BIN" --batch --resume runs/t --num-steps 100000 >/dev/null 2>r.err &
    pid=$!
    wait_line 60 '^run runs/t' r.err
    kill -TERM $pid 2>/dev/null
    wait $pid
    check "SIGTERMs from ${d}s: the run resumes ($(tail -n 1 r.err))" \
        [ -n "$(grep '(resumed)' r.err)" -a -n "$(grep '^stopped: ' r.err)" ]
done

# ---- 2. a second Ctrl-C: stop now -------------------------------------------------------
# A long final evaluation keeps the run stopping while the second SIGINT comes.
rm -rf runs
"$BIN" --batch arithmetic $RUN --checkpoint-interval 0 --set logging.eval_problems=100000 \
    --run-id i >/dev/null 2>i.err &
pid=$!
wait_line 60 '^run runs/i' i.err
kill -INT $pid
wait_line 30 '^received Interrupt' i.err
kill -INT $pid
wait $pid
status=$?
check "a second Ctrl-C: exit 130 (got $status)" [ $status -eq 130 ]
check "a second Ctrl-C: says so" grep -q 'again: stopping now, without a checkpoint' i.err
check "a second Ctrl-C: no summary" [ -z "$(grep '^stopped: ' i.err)" ]

echo "test_signals: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
