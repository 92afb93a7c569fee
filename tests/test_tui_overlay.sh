#!/bin/sh
# The loss pane's overlay (README, "Terminal UI"): in a 100x30 tmux terminal, o on a run in
# the run list overlays its smoothed loss on the chart (× points and "× RUN" in the legend)
# over the run that is open, with the open run's validation loss as ◆ markers; o on the same
# run again takes it off; q exits 0 (and clean under LeakSanitizer). The runs are the plot
# fixtures (tests/fixtures/plot/set) with an arithmetic config.
set -u
. "${srcdir:-.}/tests/lib.sh"
tmux_work tuiover
cp -r "$SRC/experiments" .
for r in alpha beta; do
    mkdir -p runs/$r/meta
    cp -r "$SRC/tests/fixtures/plot/set/$r/metrics" runs/$r/
    cp experiments/arithmetic.ini runs/$r/meta/config.ini
done
touch -d '2 hours ago' runs/beta/metrics/scalars.jsonl runs/beta # alpha is listed first

open_ui 100 30 LANG=C.UTF-8 LC_ALL=C.UTF-8
check "the runs are listed" wait_for 10 'Runs in ./runs \(2\)'
tm send-keys -t bn End o
check "o on beta overlays it" wait_for 5 'overlay: beta \(10 steps\)'
tm send-keys -t bn Up Enter
check "alpha opens" wait_for 5 'Status: arithmetic'
check "the legend names the overlaid run" wait_for 5 '× beta'
check "its points are drawn" sh -c "[ \$(tmux -S '$SOCK' capture-pane -p -t bn | grep -o '×' | wc -l) -ge 4 ]"
check "alpha's validation loss shows as markers (and in the legend)" \
    sh -c "[ \$(tmux -S '$SOCK' capture-pane -p -t bn | grep -o '◆' | wc -l) -ge 3 ]"
tm send-keys -t bn 1 End o
check "o again: off" wait_for 5 'overlay off'
check "the legend no longer names it" sh -c "! tmux -S '$SOCK' capture-pane -p -t bn | grep -q '× beta'"
tm send-keys -t bn q
wait_exit
check "q exits 0 (got $(cat status 2>/dev/null))" [ "$(cat status 2>/dev/null)" = 0 ]

echo "test_tui_overlay.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
