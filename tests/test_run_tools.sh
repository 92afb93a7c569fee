#!/bin/sh
# The run tools (README, "Run tools"): `runs` and `status` report a run made here as its
# files say (--json fields against scalars.jsonl and the checkpoints), a run whose pid is
# dead reads as stopped, a resumed run leaves one record per step, a torn last line is
# skipped with a warning, `status --watch` redraws in place in a terminal (tmux) and prints
# snapshots when piped, and exits when the run ends; bad input gets status 2 and one line.
set -u
. "${srcdir:-.}/tests/lib.sh"
work_dir run-tools
cp -r "$SRC/experiments" .
TINY="--threads 1 --set model.hidden_size=32 --set model.num_layers=1 --set model.ffn_size=64
 --set training.warmup_steps=3 --batch-size 4 --seq-len 32 --set logging.eval_problems=20"
train() { "$BIN" --batch arithmetic $TINY "$@" >/dev/null 2>>train.err; }
# field JSON KEY: KEY's value in a one-line JSON object, as written (strings with quotes).
field() { printf '%s\n' "$1" | sed -n "s/.*\"$2\": \(\"[^\"]*\"\|[^,}]*\).*/\1/p"; }
# same "description" GOT WANT: one check that shows both.
same() { check "$1: got '$2', want '$3'" [ "$2" = "$3" ]; }
files_bytes() { find "$1" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'; }

# ---- 1. a finished run, as runs --json and status --json report it ---------------------
train --num-steps 30 --log-interval 5 --eval-interval 10 --checkpoint-interval 10 --run-id a
check "the run exits 0 ($(tail -n 1 train.err))" [ $? -eq 0 ]
S=runs/a/metrics/scalars.jsonl
"$BIN" runs --json >runs.json 2>runs.err
check "runs --json exits 0, silent on stderr" [ $? -eq 0 -a ! -s runs.err ]
"$BIN" status a --json >status.json 2>status.err
check "status --json exits 0, one line" [ $? -eq 0 -a "$(wc -l <status.json)" -eq 1 ]
for source in runs status; do
    line=$(grep '"id": "a"' $source.json)
    same "$source: state" "$(field "$line" state)" '"finished"'
    same "$source: step" "$(field "$line" step)" 30
    same "$source: total_steps" "$(field "$line" total_steps)" 30
    for key in loss loss_ema lr grad_norm tokens_per_sec tokens_seen; do
        same "$source: $key" "$(field "$line" $key)" "$(value_at $S 30 $key)"
    done
    same "$source: eval_metric" "$(field "$line" eval_metric)" '"eval_accuracy"'
    same "$source: eval_value" "$(field "$line" eval_value)" "$(value_at $S 30 eval_accuracy)"
    same "$source: eval_step" "$(field "$line" eval_step)" 30
    same "$source: checkpoint_step" "$(field "$line" checkpoint_step)" 30
    same "$source: disk_bytes" "$(field "$line" disk_bytes)" "$(files_bytes runs/a)"
done

# ---- 2. copies: a long id, a dead pid, a live pid, a torn last line, a bad marker -------
LONG=bitnet_10K_arithmetic_1764761605
for r in $LONG dead live torn badstate; do cp -r runs/a runs/$r; done
sh -c 'exit 0' &
dead=$!
wait $dead
sed "s/\"finished\"/\"running\"/; s/\"pid\": [0-9]*/\"pid\": $dead/" runs/a/meta/state.json \
    >runs/dead/meta/state.json
sed "s/\"finished\"/\"running\"/; s/\"pid\": [0-9]*/\"pid\": $$/" runs/a/meta/state.json \
    >runs/live/meta/state.json
printf '{"step": 35, "loss": 2.9' >>runs/torn/metrics/scalars.jsonl
printf '{"state": ' >runs/badstate/meta/state.json

"$BIN" status dead --json >dead.json
same "a running marker whose pid is dead reads" "$(field "$(cat dead.json)" state)" '"stopped"'
"$BIN" status live --json >live.json
same "a running marker whose pid is alive reads" "$(field "$(cat live.json)" state)" '"running"'
"$BIN" status torn --json >torn.json 2>torn.err
check "a torn last line: status exits 0" [ $? -eq 0 ]
check "a torn last line: one warning line" \
    [ "$(wc -l <torn.err)" -eq 1 -a "$(grep -c 'last line is not a whole record' torn.err)" -eq 1 ]
same "a torn last line is skipped: step" "$(field "$(cat torn.json)" step)" 30
"$BIN" status 1764761605 --json >long.json
same "a run found by part of its id" "$(field "$(cat long.json)" id)" "\"$LONG\""

LC_ALL=C "$BIN" runs >table.txt 2>table.err
check "runs exits 0" [ $? -eq 0 ]
check "the table fits 80 columns" [ -z "$(awk 'length > 80' table.txt)" ]
check "the table's header" grep -q '^ID  *EXPERIMENT  *STATE  *STEP  *LOSS  *SMOOTH  *EVAL  *TOK/S  *AGE  *SIZE$' table.txt
check "a long id is cut in the middle" grep -q '^bitn~1764761605 arithmetic finished  *30/30 ' table.txt
check "the dead run's row" grep -q '^dead  *arithmetic stopped  *30/30 ' table.txt
check "rows: the header and every run but the bad marker" [ "$(wc -l <table.txt)" -eq 6 ]
check "runs warns of the torn line and the bad marker, a line each" \
    [ "$(grep -c 'torn/metrics/scalars.jsonl: the last line\|badstate/meta/state.json' table.err)" -eq 2 ]
check "runs on stderr: those two lines only" [ "$(wc -l <table.err)" -eq 2 ]

# ---- 3. resume: records after the checkpoint are dropped, one record per step ----------
cp -r runs/a runs/r
rm -r runs/r/checkpoints/step_000020 runs/r/checkpoints/step_000030
printf '{"step": 35, "loss": 2.9' >>runs/r/metrics/scalars.jsonl
"$BIN" --batch --resume runs/r >/dev/null 2>resume.err
check "the resumed run exits 0 ($(tail -n 1 resume.err))" [ $? -eq 0 ]
# The records up to their timings, which differ from run to run.
untimed() { sed 's/, "step_time_ms".*//' "$1"; }
untimed runs/a/metrics/scalars.jsonl >a.untimed
untimed runs/r/metrics/scalars.jsonl >r.untimed
check "scalars.jsonl: the same records as the straight run's, once each" cmp -s a.untimed r.untimed
check "those records are the 6 training and 3 evaluation records" [ "$(wc -l <r.untimed)" -eq 9 ]
check "samples.jsonl likewise" cmp -s runs/a/samples/samples.jsonl runs/r/samples/samples.jsonl
check "no temporary file left" [ -z "$(find runs/r -name '*.tmp')" ]
check "the header says 1 thread" grep -q ', 1 thread, ' resume.err

# ---- 4. bad input: status 2, one line ---------------------------------------------------
refused "status of no such run" "nosuch: no such run" "$BIN" status nosuch
refused "status without a RUN" "status needs a RUN" "$BIN" status
refused "status --watch=0" "--watch 0: must be a number of seconds" "$BIN" status a --watch=0
refused "status --watch -1" "--watch -1: must be" "$BIN" status a --watch -1
refused "status --watch=x" "--watch x: must be" "$BIN" status a --watch=x
refused "status, two runs" "b: unexpected argument" "$BIN" status a b
refused "status, unknown flag" "--plot: unknown option" "$BIN" status a --plot
refused "status of a run with a bad state.json" "badstate/meta/state.json" "$BIN" status badstate
refused "runs --runs-dir nowhere" "--runs-dir nowhere: no such directory" "$BIN" runs --runs-dir nowhere
refused "runs with an argument" "extra: unexpected argument" "$BIN" runs extra

# ---- 5. --watch on a live run: in place in a terminal, snapshots when piped -------------
# A run that goes on until SIGTERM (not SIGINT: a background job of sh ignores it); timeout
# ends it, and the piped watch, should the test go wrong.
timeout 60 "$BIN" --batch arithmetic $TINY --num-steps 1000000 --log-interval 100 \
    --eval-interval 0 --checkpoint-interval 0 --run-id w >/dev/null 2>w.err &
tpid=$!
n=0
until grep -q running runs/w/meta/state.json 2>/dev/null && [ -s runs/w/metrics/scalars.jsonl ] ||
    [ $n -ge 200 ]; do sleep 0.1; n=$((n + 1)); done
timeout 60 "$BIN" status w --watch 0.3 >piped.txt 2>piped.err &
wpid=$!
if command -v tmux >/dev/null 2>&1; then
    SOCK=$WORK/tmux.sock
    unset TMUX
    tm new-session -d -s bn -x 100 -y 30 \
        "'$BIN' status w --watch 0.3; echo \$? >'$WORK/status'; sleep 600"
    check "watch: shows the run running" wait_for 10 '^state +running'
    first=$(screen | grep '^loss ')
    n=0
    while [ "$(screen | grep '^loss ')" = "$first" ] && [ $n -lt 100 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    check "watch: redraws (the loss line changed from '$first')" [ $n -lt 100 ]
fi
kill -TERM $tpid
wait $tpid
wait $wpid
check "piped watch exits 0 when the run ends" [ $? -eq 0 ]
check "piped watch: several snapshots" [ "$(grep -c '^progress' piped.txt)" -ge 2 ]
check "piped watch: the last says stopped" [ "$(grep '^state' piped.txt | tail -n 1 | cut -c11-17)" = stopped ]
check "piped watch: no escape sequences" [ "$(tr -cd '\033' <piped.txt | wc -c)" -eq 0 ]
if command -v tmux >/dev/null 2>&1; then
    wait_exit
    check "watch exits 0 when the run ends" [ "$(cat "$WORK/status" 2>/dev/null)" = 0 ]
    check "watch: the final screen says stopped" wait_for 5 '^state +stopped'
    check "watch: drawn in place (one snapshot on the screen and in the scrollback)" \
        [ "$(tm capture-pane -p -S -1000 -t bn | grep -c '^progress')" -eq 1 ]
fi

echo "test_run_tools: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
