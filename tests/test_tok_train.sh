#!/bin/sh
# `tokenizer train` (README, "Training a tokenizer"): a run writes tokenizer.json, the same
# bytes with 1 or 2 threads and from a directory; every bad input gets exit status 2, one
# line, and nothing under the output name.
set -u
. "${srcdir:-.}/tests/lib.sh"
CORPUS="$SRC/tests/fixtures/bpe_train/corpus.txt"
work_dir toktrain

# expect_error "description" "message fragment" args...: tokenizer train ARGS is refused,
# no out.json
expect_error() {
    desc=$1 want=$2
    shift 2
    refused --none "$WORK/out.json" "$desc" "$want" "$BIN" tokenizer train "$@"
}

: >"$WORK/empty.txt"
printf '<|endoftext|><pad>' >"$WORK/specials.txt"
expect_error "empty corpus" "corpus is empty" --vocab-size 300 --out "$WORK/out.json" "$WORK/empty.txt"
expect_error "only specials" "corpus is empty" --vocab-size 300 --out "$WORK/out.json" "$WORK/specials.txt"
expect_error "small vocab" "at least 258" --vocab-size 257 --out "$WORK/out.json" "$CORPUS"
expect_error "missing input" "nothing.txt: cannot open" --vocab-size 300 --out "$WORK/out.json" "$WORK/nothing.txt"
expect_error "no input" "needs an INPUT" --vocab-size 300 --out "$WORK/out.json"
expect_error "no vocab" "needs --vocab-size" --out "$WORK/out.json" "$CORPUS"
expect_error "bad vocab" "--vocab-size 12x" --vocab-size 12x --out "$WORK/out.json" "$CORPUS"
expect_error "unknown flag" "--bogus" --bogus 1 --vocab-size 300 --out "$WORK/out.json" "$CORPUS"
expect_error "special twice" "--special <s>: given twice" --special "<s>" --special "<s>" --vocab-size 300 --out "$WORK/out.json" "$CORPUS"
expect_error "out dir" "no directory $WORK/nodir" --vocab-size 300 --out "$WORK/nodir/out.json" "$CORPUS"

# a run: the file, identical with 2 threads and through a directory; no temporary left
mkdir "$WORK/dir" && cp "$CORPUS" "$WORK/dir/a.txt" && echo skipped >"$WORK/dir/b.json"
"$BIN" tokenizer train --vocab-size 400 --threads 1 --out "$WORK/t1.json" "$CORPUS" 2>"$WORK/err.txt" &&
    grep -q '"<|endoftext|>"' "$WORK/t1.json" && grep -q '"merges"' "$WORK/t1.json" && ok ||
    bad "train: $(cat "$WORK/err.txt")"
"$BIN" tokenizer train --vocab-size 400 --threads 2 --out "$WORK/t2.json" "$WORK/dir" 2>/dev/null &&
    cmp -s "$WORK/t1.json" "$WORK/t2.json" && ok || bad "2 threads, directory: another file"
ls "$WORK" | grep -q tmp && bad "a temporary file was left: $(ls "$WORK")" || ok

echo "test_tok_train.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
