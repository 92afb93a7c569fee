#!/bin/sh
# `tokenizer encode|decode|info`: GPT-2's ids for the fixture text are Hugging Face's, decode
# gives the bytes back (random bytes too), info reports the tokenizer; bad input: exit 2
# and one line.
set -u
. "${srcdir:-.}/tests/lib.sh"
FIX="$SRC/tests/fixtures/gpt2"
GPT2TOK="$SRC/assets/gpt2/tokenizer.json"
work_dir tok

"$BIN" tokenizer encode "$GPT2TOK" <"$FIX/text.txt" >"$WORK/ids.json" &&
    cmp -s "$WORK/ids.json" "$FIX/text.ids.json" && ok || bad "encode: not Hugging Face's ids"
"$BIN" tokenizer decode "$GPT2TOK" <"$WORK/ids.json" >"$WORK/back.txt" &&
    cmp -s "$WORK/back.txt" "$FIX/text.txt" && ok || bad "decode: not the text"
head -c 20000 /dev/urandom >"$WORK/random.bin"
"$BIN" tokenizer encode "$GPT2TOK" <"$WORK/random.bin" >"$WORK/rids.json" &&
    "$BIN" tokenizer decode "$GPT2TOK" <"$WORK/rids.json" >"$WORK/rback.bin" &&
    cmp -s "$WORK/random.bin" "$WORK/rback.bin" && ok || bad "random bytes: no round trip"
ln -s "$SRC/assets" assets # the shipped tokenizers, found in ./assets as from a source tree
"$BIN" tokenizer encode gpt2 <"$FIX/text.txt" >"$WORK/ids-by-name.json" &&
    cmp -s "$WORK/ids-by-name.json" "$FIX/text.ids.json" && ok ||
    bad "encode with the shipped tokenizer by name (gpt2): not Hugging Face's ids"
printf '' | "$BIN" tokenizer encode "$GPT2TOK" | grep -qx '\[\]' && ok ||
    bad "empty input: not []"
"$BIN" tokenizer info "$GPT2TOK" >"$WORK/info.json" &&
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
    "$BIN" tokenizer decode "$GPT2TOK"
printf '[1, "x"' >"$WORK/notjson.json"
refused --in "$WORK/notjson.json" "decode input not JSON" "stdin:" "$BIN" tokenizer decode "$GPT2TOK"

echo "test_tok_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
