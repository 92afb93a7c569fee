#!/bin/sh
# `tokenizer encode|decode|info`: GPT-2's ids for the fixture text are Hugging Face's, decode
# gives the bytes back (random bytes too), info reports the tokenizer; bad input: exit 2
# and one line.
set -u
BIN=${BITNET_TUI:-./bitnet-tui}
SRC=${srcdir:-.}
FIX="$SRC/tests/fixtures/gpt2"
WORK=$(mktemp -d /tmp/bitnet-tok.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

"$BIN" tokenizer encode "$FIX/tokenizer.json" <"$FIX/text.txt" >"$WORK/ids.json" &&
    cmp -s "$WORK/ids.json" "$FIX/text.ids.json" && ok || bad "encode: not Hugging Face's ids"
"$BIN" tokenizer decode "$FIX/tokenizer.json" <"$WORK/ids.json" >"$WORK/back.txt" &&
    cmp -s "$WORK/back.txt" "$FIX/text.txt" && ok || bad "decode: not the text"
head -c 20000 /dev/urandom >"$WORK/random.bin"
"$BIN" tokenizer encode "$FIX/tokenizer.json" <"$WORK/random.bin" >"$WORK/rids.json" &&
    "$BIN" tokenizer decode "$FIX/tokenizer.json" <"$WORK/rids.json" >"$WORK/rback.bin" &&
    cmp -s "$WORK/random.bin" "$WORK/rback.bin" && ok || bad "random bytes: no round trip"
printf '' | "$BIN" tokenizer encode "$FIX/tokenizer.json" | grep -qx '\[\]' && ok ||
    bad "empty input: not []"
"$BIN" tokenizer info "$FIX/tokenizer.json" >"$WORK/info.json" &&
    grep -q '"vocab_size": 50257' "$WORK/info.json" && grep -q '"merges": 50000' "$WORK/info.json" &&
    grep -q '"eos": 50256' "$WORK/info.json" && ok || bad "info"

# expect_error "description" "expected message fragment" command... (stdin from $IN)
expect_error() {
    desc=$1 want=$2
    shift 2
    "$@" <"$IN" >"$WORK/out.txt" 2>"$WORK/err.txt"
    status=$?
    lines=$(wc -l <"$WORK/err.txt")
    if [ "$status" -eq 2 ] && grep -qF -- "$want" "$WORK/err.txt" && [ "$lines" -eq 1 ]; then
        ok
    else
        bad "$desc: status $status, $lines line(s), wanted '$want', got: $(cat "$WORK/err.txt")"
    fi
}
IN=/dev/null
expect_error "no tokenizer" "tokenizer needs an ACTION" "$BIN" tokenizer encode
expect_error "unknown action" "tokenizer frob: unknown action" "$BIN" tokenizer frob x.json
expect_error "missing file" "nope.json: cannot open" "$BIN" tokenizer info "$WORK/nope.json"
printf '{"model": {"type": "WordPiece", "vocab": {}}}' >"$WORK/wp.json"
expect_error "WordPiece" 'model.type "WordPiece"' "$BIN" tokenizer info "$WORK/wp.json"
printf '{"model": ' >"$WORK/broken.json"
expect_error "malformed JSON" "broken.json" "$BIN" tokenizer info "$WORK/broken.json"
printf '[15496, 50257]' >"$WORK/big.json"
IN="$WORK/big.json"
expect_error "id out of range" "stdin: [1]: must be a token id in 0..50256" \
    "$BIN" tokenizer decode "$FIX/tokenizer.json"
printf '[1, "x"' >"$WORK/notjson.json"
IN="$WORK/notjson.json"
expect_error "decode input not JSON" "stdin:" "$BIN" tokenizer decode "$FIX/tokenizer.json"

echo "test_tok_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
