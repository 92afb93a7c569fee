#!/bin/sh
# `bench --tokenizer` runs the text pipeline end to end on a small corpus and reports every
# figure (never timed here: README, "Performance"); a missing corpus is exit status 2.
set -u
. "${srcdir:-.}/tests/lib.sh"
CORPUS="$SRC/tests/fixtures/bpe_train/corpus.txt"
TOK="$SRC/assets/tinystories/tokenizer.json"
work_dir benchtok

if "$BIN" bench --tokenizer "$TOK" --corpus "$CORPUS" --threads 2 --json >"$WORK/out.json" \
    2>"$WORK/err.txt"; then
    # The merge counts are the trainer's on this corpus: the same as `tokenizer train`.
    "$BIN" tokenizer train --vocab-size 2048 --out "$WORK/t.json" "$CORPUS" 2>/dev/null
    want=$("$BIN" tokenizer info "$WORK/t.json" | sed -n 's/^  "merges": \([0-9]*\),*$/\1/p')
    for key in train_2048_mb_per_s train_32000_mb_per_s encode_mb_per_s bytes_per_token \
        prepare_mb_per_s peak_rss_mb; do
        check "the report has $key" grep -q "\"$key\": [0-9]" "$WORK/out.json"
    done
    grep -q "\"merges_2048\": $want," "$WORK/out.json" ||
        { bad "merges_2048 is not $want:"; cat "$WORK/out.json"; }
else
    bad "bench --tokenizer:"; cat "$WORK/err.txt"
fi

"$BIN" bench --tokenizer "$TOK" --corpus "$WORK/none.txt" >/dev/null 2>"$WORK/err.txt"
status=$?
if [ "$status" -ne 2 ] || ! grep -q "none.txt" "$WORK/err.txt"; then
    bad "missing corpus: status $status"; cat "$WORK/err.txt"
fi
echo "test_bench_tok: $fail failed"
[ "$fail" -eq 0 ]
