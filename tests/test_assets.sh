#!/bin/sh
# The shipped TinyStories sample and its tokenizer (README, "Shipped data"): the text files
# are the bytes SOURCE.md names, and training a 2048-token tokenizer on the training excerpt
# gives assets/tinystories/tokenizer.json byte for byte (the trainer is deterministic and
# the shipped file is what it makes). GPT-2's shipped tokenizer.json is the file SOURCE.md names.
set -u
. "${srcdir:-.}/tests/lib.sh"
DIR="$SRC/assets/tinystories"
work_dir assets

check_sha() {
    got=$(sha256sum "$DIR/$1" | cut -d' ' -f1)
    check "$1: sha256 $got, SOURCE.md says $2" [ "$got" = "$2" ]
    check "SOURCE.md names $2" grep -qF "$2" "$DIR/SOURCE.md"
}
check_sha TinyStories-train-head.txt ba02237f5747a07d420cb7329f721fdc51b6f5c35a81788b9c4bb871e15ff30a
check_sha TinyStories-valid-head.txt 5fc1fb0113df62b567fb271806cd645ce8d75f59c58ca0b764c03d3b6ff34ca6
DIR="$SRC/assets/gpt2"
check_sha tokenizer.json 6d2b1432cbaccb6807d843af56b7a9d5da5c2e30659ef26bedb42c9eeae71dfa
DIR="$SRC/assets/tinystories"

if "$BIN" tokenizer train --vocab-size 2048 --out "$WORK/tokenizer.json" \
    "$DIR/TinyStories-train-head.txt" 2>"$WORK/err.txt"; then
    check "the retrained tokenizer is the shipped one" \
        cmp -s "$WORK/tokenizer.json" "$DIR/tokenizer.json"
else
    bad "tokenizer train:"; cat "$WORK/err.txt"
fi
echo "test_assets: $fail failed"
[ "$fail" -eq 0 ]
