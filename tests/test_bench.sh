#!/bin/sh
# `bench --json` on a one-layer arithmetic model: every figure is there (also the name of
# the kernels OpenBLAS picked), the phase shares are shares (0 < share <= 1: a phase cannot
# beat its products at the units' peaks), and the ceiling is B x T over the two ideal times
# and lies above the measured speed. Nothing is
# timed against a limit (README, "Performance").
set -u
. "${srcdir:-.}/tests/lib.sh"
work_dir bench

if (cd "$SRC" && "$BIN" bench --experiment arithmetic --threads 1 --steps 2 --set model.num_layers=1 \
    --set training.batch_size=4 --json) >"$WORK/out.json" 2>"$WORK/err.txt"; then
    for key in tokens_per_sec forward_ms backward_ms peak_rss_mib forward_ideal_ms \
        backward_ideal_ms forward_share backward_share ceiling_tok_s; do
        check "the report has $key" grep -q "\"$key\": [0-9]" "$WORK/out.json"
    done
    check "the report names OpenBLAS's kernels" grep -Eq '"blas_core": "[A-Za-z0-9]+"' \
        "$WORK/out.json"
    # The numbers, one per line, by name.
    num() { sed -n "s/.*\"$1\": \([0-9.e+-]*\).*/\1/p" "$WORK/out.json"; }
    awk -v tps="$(num tokens_per_sec)" -v f="$(num forward_ideal_ms)" \
        -v b="$(num backward_ideal_ms)" -v fs="$(num forward_share)" \
        -v bs="$(num backward_share)" -v c="$(num ceiling_tok_s)" -v bt=256 'BEGIN {
        want = bt / ((f + b) / 1000)
        bad = 0
        if (fs <= 0 || fs > 1 || bs <= 0 || bs > 1) { print "shares " fs ", " bs; bad = 1 }
        if (c < 0.9 * want || c > 1.1 * want) { print "ceiling " c ", want " want; bad = 1 }
        if (c < tps) { print "ceiling " c " below the measured " tps " tok/s"; bad = 1 }
        exit bad }' || { bad "the roofs do not add up:"; cat "$WORK/out.json"; }
else
    bad "bench:"; cat "$WORK/err.txt"
fi
echo "test_bench: $fail failed"
[ "$fail" -eq 0 ]
