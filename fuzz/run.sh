#!/bin/sh
# Run the libFuzzer targets built by fuzz/build.sh, one after the other, each for SECONDS on
# its seeds (tests/fuzz/<name>/), and print each one's executions (README, "Fuzzing").
#   sh fuzz/run.sh OUTDIR SECONDS [TARGET...]
# New inputs go to OUTDIR/corpus/<name>/ (the committed seeds are never written); a crash,
# leak or timeout leaves OUTDIR/crash-<name>-* and makes the exit status 1.
set -u
out=${1:?usage: run.sh OUTDIR SECONDS [TARGET...]}
seconds=${2:?usage: run.sh OUTDIR SECONDS [TARGET...]}
shift 2
src=${srcdir:-.}
targets=${*:-$(cat "$src/fuzz/TARGETS")}
failed=""
summary=""
# The targets' temporary files stay under OUTDIR.
mkdir -p "$out/tmp"
TMPDIR=$(cd "$out/tmp" && pwd)
export TMPDIR srcdir="$src"
for t in $targets; do
    mkdir -p "$out/corpus/$t"
    log="$out/fuzz_$t.log"
    echo "fuzz: $t for ${seconds}s (log $log)"
    # -timeout: an input taking longer is a hang; -rss_limit_mb: ASan's default.
    "$out/fuzz_$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/crash-$t-" \
        "$out/corpus/$t" "$src/tests/fuzz/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$rc" -ne 0 ]; then
        failed="$failed $t"
        echo "fuzz: $t FAILED (exit $rc); the end of its log:"
        tail -n 40 "$log"
    fi
    summary="$summary$(printf '%-16s %6ss %12s execs%s' "$t" "$seconds" "${execs:-?}" \
        "$([ "$rc" -ne 0 ] && echo '  FAILED')")
"
done
printf 'fuzz: executions per target\n%s' "$summary"
[ -z "$failed" ] || { echo "fuzz: failed:$failed" >&2; exit 1; }
