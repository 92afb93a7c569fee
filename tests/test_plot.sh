#!/bin/sh
# plot (README, "Plotting runs"): the terminal chart of known runs is a known picture (UTF-8
# and ASCII), colour only on a terminal and never with NO_COLOR, a resumed run's repeated
# steps drawn once, runs of different lengths overlaid, the PNG where it is asked for (or
# under the first run's plots/), a torn last line skipped with a warning, and bad input
# refused with one line and exit status 2.
set -u
. "${srcdir:-.}/tests/lib.sh"
work_dir plot
F=$SRC/tests/fixtures/plot
cp -r "$F/set" runs

# ---- the terminal chart: the fixtures' goldens at a fixed size ----
LC_ALL=C.UTF-8 "$BIN" plot alpha beta --size 64x16 --smooth 0.5 >utf8.txt 2>err.txt
check "UTF-8 chart exits 0 and says nothing on stderr" [ $? -eq 0 ] && [ ! -s err.txt ]
check "UTF-8 chart is the golden one" cmp -s utf8.txt "$F/alpha_beta.utf8.txt"
LC_ALL=C "$BIN" plot alpha beta --size 64x16 --smooth 0.5 >ascii.txt
check "ASCII chart is the golden one" cmp -s ascii.txt "$F/alpha_beta.ascii.txt"
check "ASCII chart is ASCII" sh -c "! LC_ALL=C grep -q '[^ -~]' ascii.txt"
check "braille cells in the UTF-8 chart" grep -q '⣀' utf8.txt
check "piped: no colour" sh -c "! grep -q \"$(printf '\033')\" utf8.txt"
# By path too, with the width from COLUMNS when stdout is not a terminal.
COLUMNS=50 LC_ALL=C "$BIN" plot runs/alpha/ runs/beta >cols.txt
check "COLUMNS sets the width" [ "$(awk '{ if (length > m) m = length } END { print m }' cols.txt)" -eq 50 ]
check "both runs in the legend, x unit" grep -q '^  \*\* alpha  ++ beta   x: step$' cols.txt

# On a terminal (script gives one): colours, unless NO_COLOR is set.
if command -v script >/dev/null; then
    script -qc "COLUMNS=60 '$BIN' plot alpha beta --size 60x12" /dev/null >tty.txt </dev/null
    check "a terminal gets colours" grep -q "$(printf '\033')\[36m" tty.txt
    script -qc "NO_COLOR=1 '$BIN' plot alpha beta --size 60x12" /dev/null >nocolor.txt </dev/null
    check "NO_COLOR: none" sh -c "! grep -q \"$(printf '\033')\[3\" nocolor.txt"
fi

# ---- a resumed run's repeated steps are drawn once: its chart is the clean history's ----
LC_ALL=C "$BIN" plot r1 --runs-dir "$F/resumed" --size 50x12 --smooth 0 >resumed.txt
LC_ALL=C "$BIN" plot r1 --runs-dir "$F/clean" --size 50x12 --smooth 0 >clean.txt
check "resumed run plots as its clean history" cmp -s resumed.txt clean.txt

# ---- a torn last line: skipped, with a one-line warning ----
mkdir -p torn/metrics
cp runs/beta/metrics/scalars.jsonl torn/metrics/
printf '{"step": 110, "loss": 1.7' >>torn/metrics/scalars.jsonl
LC_ALL=C "$BIN" plot torn --size 50x12 >torn.txt 2>torn_err.txt
check "torn: exit 0" [ $? -eq 0 ]
check "torn: one warning line" [ "$(wc -l <torn_err.txt)" -eq 1 ]
check "torn: it names the file" grep -q "torn/metrics/scalars.jsonl: the last line is cut short" torn_err.txt
check "torn: the chart is beta's" sh -c "LC_ALL=C '$BIN' plot beta --size 50x12 | sed 's/beta/torn/' | cmp -s - torn.txt"

# Evaluations and the LR are not smoothed unless asked.
check "val_loss: raw by default" sh -c "'$BIN' plot alpha --metric val_loss | head -1 | grep -qx 'val_loss (raw) against step'"
check "--smooth applies to it when given" sh -c "'$BIN' plot alpha --metric val_loss --smooth 0.5 | head -1 | grep -q 'EMA 0.5'"

# ---- PNG ----
is_png() { [ "$(od -An -c -N4 "$1" | tr -d ' ')" = '211PNG' ]; }
"$BIN" plot alpha beta --png >png_out.txt 2>png_err.txt
check "--png: exit 0" [ $? -eq 0 ]
check "--png: the first run's plots/loss.png" is_png runs/alpha/plots/loss.png
check "--png: its path on stdout" grep -qx "runs/alpha/plots/loss.png" png_out.txt
check "--png: no temporary left" [ "$(ls runs/alpha/plots)" = loss.png ]
"$BIN" plot alpha --png lr.png --metric lr --x tokens --size 640x480 --log >/dev/null
check "--png FILE --metric lr" is_png lr.png
check "--size 640x480" [ "$(od -An -tu1 -j16 -N8 lr.png | tr -s ' ')" = " 0 0 2 128 0 0 1 224" ]
"$BIN" plot beta --png=val.png --metric grad_norm --x time >/dev/null
check "--png=FILE" is_png val.png

# ---- bad input: one line, exit status 2 ----
refused "no such run" "nope: no such run" "$BIN" plot nope
refused "no run" "plot needs a RUN" "$BIN" plot
refused "unknown metric" "--metric accuracy: must be loss, val_loss" "$BIN" plot alpha --metric accuracy
refused "a metric the run lacks" "no val_loss values" "$BIN" plot beta --metric val_loss
refused "an eval metric the run lacks" "no eval_bleu values" "$BIN" plot alpha --metric eval_bleu
refused "bad --x" "--x epochs: must be step, tokens or time" "$BIN" plot alpha --x epochs
refused "bad --size" "--size 12by5: must be WIDTHxHEIGHT" "$BIN" plot alpha --size 12by5
refused "PNG too small" "--size 100x80: a PNG is at least 200x150" "$BIN" plot alpha --png --size 100x80
refused "bad --smooth" "--smooth 1: must be a number in [0, 1)" "$BIN" plot alpha --smooth 1
refused "unknown flag" "--bogus: unknown flag" "$BIN" plot alpha --bogus
refused "flag without value" "--metric: needs a value" "$BIN" plot alpha --metric
refused --none /nonexistent-dir "unwritable PNG path" "/nonexistent-dir/x.png: cannot write" \
    "$BIN" plot alpha --png /nonexistent-dir/x.png
mkdir -p empty/metrics
: >empty/metrics/scalars.jsonl
refused "a run with no records" "empty: no loss values" "$BIN" plot empty
refused "a directory that is no run" "metrics/scalars.jsonl" "$BIN" plot /tmp

echo "test_plot.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
