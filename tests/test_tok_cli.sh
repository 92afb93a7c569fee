#!/bin/sh
# `tokenizer encode|decode|info`: GPT-2's ids for the fixture text are Hugging Face's, decode
# gives the bytes back (random bytes too), info reports the tokenizer; bad input: exit 2
# and one line.
set -u
. "${srcdir:-.}/tests/lib.sh"
FIX="$SRC/tests/fixtures/gpt2"
work_dir tok

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

refused "no tokenizer" "tokenizer needs an ACTION" "$BIN" tokenizer encode
refused "unknown action" "tokenizer frob: unknown action" "$BIN" tokenizer frob x.json
refused "missing file" "nope.json: cannot open" "$BIN" tokenizer info "$WORK/nope.json"
printf '{"model": {"type": "WordPiece", "vocab": {}}}' >"$WORK/wp.json"
refused "WordPiece" 'model.type "WordPiece"' "$BIN" tokenizer info "$WORK/wp.json"
printf '{"model": ' >"$WORK/broken.json"
refused "malformed JSON" "broken.json" "$BIN" tokenizer info "$WORK/broken.json"
printf '[15496, 50257]' >"$WORK/big.json"
refused --in "$WORK/big.json" "id out of range" "stdin: [1]: must be a token id in 0..50256" \
    "$BIN" tokenizer decode "$FIX/tokenizer.json"
printf '[1, "x"' >"$WORK/notjson.json"
refused --in "$WORK/notjson.json" "decode input not JSON" "stdin:" "$BIN" tokenizer decode "$FIX/tokenizer.json"

echo "test_tok_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
