#!/bin/sh
# End to end in a real terminal: bitnet-tui in a detached tmux session of 100x30. Pick
# arithmetic, start a run from the form (a tiny model so it trains at once), read the screen
# with capture-pane: the step counter and the loss advance; p freezes the counter and p
# resumes it; resizing to 80x24 (and through "too small") redraws; the chat answers; q and y
# stop the run with a checkpoint and exit 0; the terminal is sane afterwards. Then, in a new
# UI, the run opens as a past run: its loss history, checkpoints, and a chat answered by the
# worker thread from its checkpoint, in the monochrome scheme (NO_COLOR). Without a terminal,
# or with TERM=dumb, it refuses with status 2 and points to --batch. Ctrl-C during a run
# stops it with a checkpoint, restores the terminal and exits 130. A tiny tinystories run
# prepares the shipped sample into $XDG_CACHE_HOME and shows its held-out loss in the status
# pane and as the chart's validation series.
set -u
. "${srcdir:-.}/tests/lib.sh"
tmux_work tui
cp -r "$SRC/experiments" .
step_now() { screen | grep -o 'step [0-9]*/' | tail -1 | tr -dc 0-9; }
# wait_step_above N SECONDS: until the step counter passes N (slow builds, e.g. TSan, take
# longer; a normal build passes at once).
wait_step_above() {
    n=$(($2 * 20))
    while [ $n -gt 0 ]; do
        [ "$(step_now)" -gt "$1" ] 2>/dev/null && return 0
        sleep 0.05
        n=$((n - 1))
    done
    return 1
}
smooth_now() { screen | sed -n 's/.*loss [0-9.]* smooth \([0-9.]*\).*/\1/p' | head -1; }
lt() { awk "BEGIN { exit !($1 < $2) }"; }

# ---- no terminal, or a dumb one: a one-line pointer to --batch, status 2 ----------------
"$BIN" </dev/null >out.txt 2>err.txt
status=$?
check "not a terminal: status 2 (got $status)" [ $status -eq 2 ]
check "not a terminal: one line pointing to --batch" \
    sh -c '[ "$(wc -l <err.txt)" -eq 1 ] && grep -q -- "--batch" err.txt'
tm new-session -d -s dumb -x 100 -y 30 "TERM=dumb '$BIN' 2>'$WORK/dumb.txt'; echo \$? > '$WORK/dumb.status'"
n=0
while [ ! -s dumb.status ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
check "TERM=dumb: status 2 (got $(cat dumb.status 2>/dev/null))" [ "$(cat dumb.status 2>/dev/null)" = 2 ]
check "TERM=dumb: says so and points to --batch" grep -q 'TERM=dumb.*--batch' dumb.txt

open_ui 100 30
check "the experiment list appears" wait_for 10 'Experiments \(Enter'
check "arithmetic is listed" wait_for 1 'arithmetic'
colours() { tm capture-pane -e -p -t bn | grep -cE '\[(3|4)[0-7]m|\[[0-9;]*[34]8;5;' ; }
check "colours by default" [ "$(colours)" -gt 0 ]

# ---- the form: a tiny model, one thread, long enough to be running when we quit --------
tm send-keys -t bn Enter
check "Enter opens the form" wait_for 5 'Train arithmetic'
check "the form shows the INI's steps" wait_for 1 'Steps +6000'
tm send-keys -t bn 20000 Down Down Down Down 1 Down \
    'model.hidden_size=64 model.num_layers=2 model.num_heads=2 model.num_kv_heads=1' \
    ' model.ffn_size=128 logging.log_interval=5 logging.sample_interval=100' Enter
if ! wait_for 20 'running +step [1-9][0-9]*/20000'; then
    echo "FAIL: the run did not start; giving up"
    exit 1
fi
wait_for 10 'step [2-9][0-9]/' >/dev/null
s1=$(step_now)
m1=$(smooth_now)
wait_step_above $((s1 + 30)) 60
s2=$(step_now)
m2=$(smooth_now)
check "the step counter advances ($s1 -> $s2)" [ "${s2:-0}" -gt "${s1:-0}" ]
check "the smoothed loss falls ($m1 -> $m2)" lt "${m2:-9}" "${m1:-0}"
check "the chart's x axis runs to the last logged step" wait_for 2 'step [0-9]+ .*[0-9]│$'
check "an evaluation is logged" wait_for 60 'eval step 100'

# ---- pause and resume -----------------------------------------------------------------
tm send-keys -t bn p
check "p pauses" wait_for 10 'paused +step'
p1=$(step_now)
sleep 1.5
p2=$(step_now)
check "the step counter is frozen while paused ($p1 -> $p2)" [ "$p1" = "$p2" ]
tm send-keys -t bn p
check "p resumes" wait_for 10 'running +step'
wait_step_above "$p2" 30
p3=$(step_now)
check "the step counter moves after resuming ($p2 -> $p3)" [ "${p3:-0}" -gt "${p2:-0}" ]

# ---- resize -----------------------------------------------------------------------------
tm resize-window -t bn -x 70 -y 20
check "below 80x24: terminal too small" wait_for 5 'terminal too small: 70x20'
tm resize-window -t bn -x 80 -y 24
check "80x24 redraws the panes" wait_for 5 'Status: arithmetic'
check "80x24: the loss pane" wait_for 1 '─ Loss'
width() { # the widest line, in characters
    screen | LC_ALL=C.UTF-8 sed 's/./x/g' | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }'
}
check "80x24: the panes end at column 80 (widest line $(width))" [ "$(width)" -eq 80 ]
check "still training after the resizes" wait_step_above "$(step_now)" 30
tm resize-window -t bn -x 100 -y 30

# ---- chat with the live run (answered by the training thread between steps) ------------
tm send-keys -t bn 5
check "5 focuses the chat" wait_for 5 'Chat \(typing here'
tm send-keys -t bn '12+34=' Enter
check "the chat answers 12+34=" wait_for 10 '> 12\+34= [^ .][^ ]*'
tm send-keys -t bn Escape

# ---- quit: ask, stop with a checkpoint, exit 0 ----------------------------------------
tm send-keys -t bn q
check "q asks first while a run trains" wait_for 5 'Quit\?'
tm send-keys -t bn y
wait_exit
check "exit status 0 after q, y (got $(cat status 2>/dev/null))" [ "$(cat status 2>/dev/null)" = 0 ]
check "a checkpoint on disk" [ -n "$(ls -d runs/*/checkpoints/step_* 2>/dev/null)" ]
check "the run is marked stopped" grep -q '"state": "stopped"' runs/*/meta/state.json
check "the terminal is sane: canonical mode" grep -Eq '(^| )icanon( |;|$)' stty
check "the terminal is sane: echo" grep -Eq '(^| )echo( |;|$)' stty
check "the UI left the screen" sh -c "! tmux -S '$SOCK' capture-pane -p -t bn | grep -q 'Experiments (Enter'"

# ---- a past run: its history, checkpoints and a chat answered from its checkpoint ------
tm kill-server
SOCK=$WORK/tmux2.sock # a fresh server: the old one may still be shutting down
open_ui 100 30 NO_COLOR=1
check "the run is listed as stopped" wait_for 10 'stopped +[0-9]+/20000'
check "NO_COLOR: the monochrome scheme (no colour codes)" [ "$(colours)" -eq 0 ]
tm send-keys -t bn End Enter
check "Enter opens the past run" wait_for 5 'Status: arithmetic, stopped'
check "its checkpoints are listed" wait_for 2 'checkpoints \(1\)'
check "its loss history is drawn" wait_for 2 'step 5 .*[0-9]│$'
tm send-keys -t bn 5 '7+8=' Enter
check "the chat answers from the checkpoint" wait_for 10 '> 7\+8= [^ .][^ ]*'
tm send-keys -t bn Escape q
wait_exit
check "with no run training, q exits at once, status 0" [ "$(cat status 2>/dev/null)" = 0 ]

# ---- Ctrl-C (SIGINT) while a run trains: checkpoint, terminal restored, status 130 --------
tm kill-server
SOCK=$WORK/tmux3.sock
open_ui 100 30
wait_for 10 'Experiments \(Enter' >/dev/null
tm send-keys -t bn Home Enter
wait_for 5 'Train arithmetic' >/dev/null
tm send-keys -t bn 20000 Down Down Down sigint Down 1 Down 'model.hidden_size=64 model.num_layers=1' Enter
check "a second run starts" wait_for 20 'running +step [1-9][0-9]*/20000'
tm send-keys -t bn C-c
wait_exit
check "SIGINT: exit status 130 (got $(cat status 2>/dev/null))" [ "$(cat status 2>/dev/null)" = 130 ]
check "SIGINT: a checkpoint on disk" [ -n "$(ls -d runs/sigint/checkpoints/step_* 2>/dev/null)" ]
check "SIGINT: the terminal is sane" grep -Eq '(^| )icanon( |;|$)' stty

# ---- a text run: the shipped sample prepared on first use, its held-out loss --------------
tm kill-server
SOCK=$WORK/tmux4.sock
ln -s "$SRC/assets" assets
open_ui 100 30 XDG_CACHE_HOME="$WORK/cache"
wait_for 10 'Experiments \(Enter' >/dev/null
tm send-keys -t bn Home Down Down Down Enter
check "the tinystories form" wait_for 5 'Train tinystories'
tm send-keys -t bn C-u 300 Down C-u 4 Down C-u 32 Down Down C-u 1 Down C-u \
    'model.hidden_size=32 model.num_layers=1 model.num_heads=2 model.num_kv_heads=1' \
    ' model.ffn_size=64 model.max_seq_len=32 training.warmup_steps=5 logging.log_interval=5' \
    ' logging.eval_interval=50 logging.eval_problems=16' Enter
check "text run: the status pane shows the held-out loss" \
    wait_for 30 'val [0-9.]+ \([0-9.]+ bits/byte\) @[0-9]+'
check "text run: the chart's legend names the validation series" wait_for 5 '(◆|o) val '
check "text run: it finishes" wait_for 30 'Status: tinystories, finished'
check "text run: the sample was prepared into the cache" \
    sh -c "ls '$WORK'/cache/bitnet-tui/datasets/tinystories-sample-*/dataset.json >/dev/null"
check "text run: its val_loss records" grep -q '"val_loss"' runs/*tinystories*/metrics/scalars.jsonl
tm send-keys -t bn q
wait_exit
check "text run: q exits, status 0" [ "$(cat status 2>/dev/null)" = 0 ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
