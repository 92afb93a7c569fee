#!/bin/sh
# `prepare` (README, "Preparing a corpus"): the shards are the same bytes for 1 and 2
# threads and for compressed inputs; they hold each document as the end-of-text id and
# the ids `tokenizer encode` gives it, so decoding gives the documents back; the val split
# follows its rule (--val-fraction) or its files (--val); dataset.json counts them; a
# small --shard-tokens cuts several shards. Every refusal is exit status 2 with one line,
# and leaves no shard behind; so does a stop signal (128 + N). `tokenizer train` takes the
# same input forms.
set -u
. "${srcdir:-.}/tests/lib.sh"
CORPUS="$SRC/tests/fixtures/bpe_train/corpus.txt"
GPT2="$SRC/assets/gpt2/tokenizer.json"
work_dir prepare

# The ids of shards, in order, as one JSON array (the header's count checked too).
ids() {
    for f in "$@"; do
        count=$(od -An -tu4 -j8 -N4 "$f" | tr -d ' ')
        size=$(wc -c <"$f")
        [ $((1024 + 2 * count)) -eq "$size" ] || echo "BAD HEADER $f" >&2
        od -An -v -tu2 -j1024 "$f"
    done | tr -s ' \n' '\n\n' | grep . | paste -sd, - | sed 's/^/[/; s/$/]/'
}

# The documents of a .txt corpus, split by F (awk does the same double arithmetic as
# prepare: document k is val when int((k+1)F) > int(kF)); which = train, val or all.
# Each is printed as "<|endoftext|>" and the document, stripped; empty ones skipped.
docs() {
    awk -v F="$2" -v which="$3" -v dir="${4:-}" '
        function flush() {
            gsub(/^[[:space:]]+|[[:space:]]+$/, "", doc)
            if (doc != "") {
                val = int((k + 1) * F) > int(k * F)
                if (which == "all" || (which == "val") == val) {
                    printf "<|endoftext|>%s", doc
                    if (dir != "") { f = dir "/" k ".txt"; printf "%s", doc > f; close(f) }
                }
                k++
            }
            doc = ""
        }
        BEGIN { k = 0; doc = "" }
        $0 == "<|endoftext|>" || $0 == "<|endoftext|>\r" { flush(); next }
        { doc = doc $0 "\n" }
        END { flush() }' "$1"
}

# expect_error "description" "message fragment" args...: prepare ARGS is refused, no OUT dir
expect_error() {
    desc=$1 want=$2
    shift 2
    refused --none "$WORK/bad" "$desc" "$want" "$BIN" prepare "$@"
}

# ---- a small tokenizer, and prepare with 1 and 2 threads
TOK="$WORK/tok.json"
"$BIN" tokenizer train --vocab-size 400 --out "$TOK" "$CORPUS" 2>/dev/null || bad "tokenizer train"
for t in 1 2; do
    "$BIN" prepare --tokenizer "$TOK" --out "$WORK/d$t" --threads $t --val-fraction 0.1 \
        --shard-tokens 1000 "$CORPUS" 2>"$WORK/err$t.txt" || bad "prepare --threads $t: $(cat "$WORK/err$t.txt")"
done
diff -r "$WORK/d1" "$WORK/d2" >/dev/null && ok || bad "1 and 2 threads: different files"
ls "$WORK/d1" | tr '\n' ' ' | grep -q "^dataset.json tokenizer.json train_000000.bin train_000001.bin .*val_000000.bin $" &&
    ok || bad "the files: $(ls "$WORK/d1" | tr '\n' ' ')"
cmp -s "$TOK" "$WORK/d1/tokenizer.json" && ok || bad "tokenizer.json is not a copy of the tokenizer"

# every document: the end-of-text id, then exactly the ids `tokenizer encode` gives it
mkdir "$WORK/train_docs"
docs "$CORPUS" 0.1 train "$WORK/train_docs" >"$WORK/train_want.txt"
docs "$CORPUS" 0.1 val >"$WORK/val_want.txt"
EOT=$(printf '<|endoftext|>' | "$BIN" tokenizer encode "$TOK" | tr -d '[] ')
want=""
for k in $(ls "$WORK/train_docs" | sed 's/\.txt$//' | sort -n); do
    doc=$("$BIN" tokenizer encode "$TOK" <"$WORK/train_docs/$k.txt" | tr -d '[] ')
    want="$want${want:+,}$EOT${doc:+,}$doc"
done
ids "$WORK"/d1/train_*.bin >"$WORK/train_ids.json"
[ "[$want]" = "$(cat "$WORK/train_ids.json")" ] && ok || bad "train ids are not the documents' own ids"
"$BIN" tokenizer decode "$TOK" <"$WORK/train_ids.json" >"$WORK/train_got.txt" &&
    cmp -s "$WORK/train_want.txt" "$WORK/train_got.txt" && ok ||
    bad "train shards do not decode to the train documents"
ids "$WORK"/d1/val_*.bin | "$BIN" tokenizer decode "$TOK" >"$WORK/val_got.txt" &&
    cmp -s "$WORK/val_want.txt" "$WORK/val_got.txt" && ok ||
    bad "val shards do not decode to documents 9, 19, ..."
[ "$(grep -o '<|endoftext|>' "$WORK/val_got.txt" | wc -l)" -eq 6 ] && ok || bad "val: not 6 documents"

# dataset.json: the counts (all whitespace removed, the format's name's too)
tr -d ' \n' <"$WORK/d1/dataset.json" >"$WORK/manifest.txt"
ntrain=$(tr ',' '\n' <"$WORK/train_ids.json" | wc -l)
nval=$(ids "$WORK"/d1/val_*.bin | tr ',' '\n' | wc -l)
tbytes=$(($(wc -c <"$WORK/train_want.txt") - 54 * 13))
for want in '"format":"bitnet-tuidataset","version":1' '"vocab_size":400,"eot":0' \
    "\"tokens\":$ntrain,\"documents\":54,\"bytes\":$tbytes}" "\"tokens\":$nval,\"documents\":6," \
    '"val":{"shards":["val_000000.bin"]' '"documents":60}]' '"val_fraction":0.1}' \
    "\"hash\":\"$("$BIN" tokenizer info "$TOK" | tr -d ' \n' | sed 's/.*"hash":"\([^"]*\)".*/\1/')\""; do
    grep -qF -- "$want" "$WORK/manifest.txt" && ok || bad "dataset.json lacks $want: $(cat "$WORK/manifest.txt")"
done
[ "$(ls "$WORK"/d1/train_*.bin | wc -l)" -ge 3 ] && ok || bad "--shard-tokens 1000: fewer than 3 shards"
for f in "$WORK"/d1/train_*.bin; do # all full but the last, as llm.c cuts them
    [ "$f" = "$(ls "$WORK"/d1/train_*.bin | tail -1)" ] ||
        [ "$(wc -c <"$f")" -eq $((1024 + 2000)) ] || bad "$f: not 1000 tokens"
done

# documents holding added tokens' text are encoded as they are alone, too
# (and those that merely hold "<", or end in the start of one, which may be joined)
printf 'one <|endoftext|> two\n<|endoftext|>\nthree <pad> four<|endoftext|>\n<|endoftext|>\nfive <|endoftext|\n<|endoftext|>\n<pad>\n<|endoftext|>\na < b <p\n<|endoftext|>\nends <|endof\n<|endoftext|>\nends <pa\n<|endoftext|>\n<|end <|endoftext| <pad\n' >"$WORK/sp.txt"
"$BIN" prepare --tokenizer "$TOK" --out "$WORK/sp" --val-fraction 0 "$WORK/sp.txt" 2>/dev/null || bad "prepare sp.txt"
want=""
for doc in 'one <|endoftext|> two' 'three <pad> four<|endoftext|>' 'five <|endoftext|' '<pad>' \
    'a < b <p' 'ends <|endof' 'ends <pa' '<|end <|endoftext| <pad'; do
    ids1=$(printf '%s' "$doc" | "$BIN" tokenizer encode "$TOK" | tr -d '[] ')
    want="$want${want:+,}$EOT,$ids1"
done
[ "[$want]" = "$(ids "$WORK"/sp/train_*.bin)" ] && ok || bad "documents with added tokens inside: other ids"

# ---- a directory of one small file per document: the same shards, for any threads
mkdir "$WORK/many"
awk -v dir="$WORK/many" 'BEGIN { k = 0 } /^<\|endoftext\|>$/ { k++; next }
    { f = sprintf("%s/%05d.txt", dir, k); print >> f; close(f) }' "$CORPUS"
for t in 1 2; do
    "$BIN" prepare --tokenizer "$TOK" --out "$WORK/m$t" --threads $t --val-fraction 0.1 \
        --shard-tokens 1000 "$WORK/many" 2>/dev/null || bad "prepare a directory, $t threads"
    for f in "$WORK"/d1/*.bin; do
        cmp -s "$f" "$WORK/m$t/$(basename "$f")" || bad "many files, $t threads: $(basename "$f") differs"
    done
done
[ "$(ls "$WORK/many" | wc -l)" -eq 60 ] && ok || bad "the corpus split into $(ls "$WORK/many" | wc -l) files"

# ---- compressed inputs and directories give the same shards
mkdir "$WORK/gz" "$WORK/zst"
gzip -c "$CORPUS" >"$WORK/gz/corpus.txt.gz"
if command -v zstd >/dev/null; then zstd -q -c "$CORPUS" >"$WORK/zst/corpus.txt.zst"; else cp "$WORK/gz/corpus.txt.gz" "$WORK/zst/"; fi
for z in gz zst; do
    "$BIN" prepare --tokenizer "$TOK" --out "$WORK/o$z" --val-fraction 0.1 --shard-tokens 1000 "$WORK/$z" 2>/dev/null &&
        for f in "$WORK"/d1/*.bin; do cmp -s "$f" "$WORK/o$z/$(basename "$f")" || bad "$z: $(basename "$f") differs"; done &&
        ok || bad "prepare from a directory of .$z"
done

# ---- --val FILE: the held-out split is that file's documents
printf 'held out one\n<|endoftext|>\r\n  held out two  \n' >"$WORK/val.txt"
"$BIN" prepare --tokenizer "$TOK" --out "$WORK/dv" --val "$WORK/val.txt" "$CORPUS" 2>/dev/null || bad "prepare --val"
[ "$(ids "$WORK"/dv/val_*.bin | "$BIN" tokenizer decode "$TOK")" = "<|endoftext|>held out one<|endoftext|>held out two" ] &&
    ok || bad "--val: the val split is not val.txt"
ids "$WORK"/dv/train_*.bin | "$BIN" tokenizer decode "$TOK" >"$WORK/all_got.txt"
docs "$CORPUS" 0 all | cmp -s - "$WORK/all_got.txt" && ok || bad "--val: train is not every document"
tr -d ' \n' <"$WORK/dv/dataset.json" | grep -q '"documents":2}],"val_fraction":null}' && ok ||
    bad "--val: dataset.json: $(cat "$WORK/dv/dataset.json")"

# ---- GPT-2's tokenizer (50257 ids), the default split
"$BIN" prepare --tokenizer "$GPT2" --out "$WORK/g" "$CORPUS" 2>/dev/null || bad "prepare with GPT-2's tokenizer"
ids "$WORK"/g/train_*.bin | "$BIN" tokenizer decode "$GPT2" >"$WORK/g_got.txt"
docs "$CORPUS" 0.01 train | cmp -s - "$WORK/g_got.txt" && ok || bad "GPT-2: shards do not decode to the documents"
tr -d ' \n' <"$WORK/g/dataset.json" | grep -q '"vocab_size":50257,"eot":50256}.*"val_fraction":0.01}' && ok ||
    bad "GPT-2: dataset.json"

# ---- refusals: status 2, one line, nothing left under $WORK/bad
awk '{print} /"vocab": \{/ { for (i = 261; i <= 66000; i++) printf "      \"zz%d\": %d,\n", i, i }' \
    "$SRC/tests/fixtures/bpe-small/tokenizer.json" >"$WORK/big.json"
expect_error "vocab > 65536" "66001 tokens do not fit the uint16 ids" --tokenizer "$WORK/big.json" --out "$WORK/bad" "$CORPUS"
expect_error "no input" "needs an INPUT" --tokenizer "$TOK" --out "$WORK/bad"
expect_error "no tokenizer" "needs --tokenizer FILE and --out DIR" --out "$WORK/bad" "$CORPUS"
expect_error "missing input" "nothing.txt: cannot open" --tokenizer "$TOK" --out "$WORK/bad" "$CORPUS" "$WORK/nothing.txt"
expect_error "val fraction 1" "--val-fraction 1: must be a number at least 0 and below 1" --tokenizer "$TOK" --out "$WORK/bad" --val-fraction 1 "$CORPUS"
expect_error "val fraction -0.1" "--val-fraction -0.1: must be" --tokenizer "$TOK" --out "$WORK/bad" --val-fraction -0.1 "$CORPUS"
expect_error "val fraction x" "--val-fraction x: must be" --tokenizer "$TOK" --out "$WORK/bad" --val-fraction=x "$CORPUS"
expect_error "both val flags" "give one or the other" --tokenizer "$TOK" --out "$WORK/bad" --val-fraction 0.1 --val "$WORK/val.txt" "$CORPUS"
expect_error "shard tokens 0" "--shard-tokens 0: must be an integer" --tokenizer "$TOK" --out "$WORK/bad" --shard-tokens 0 "$CORPUS"
expect_error "unknown flag" "--bogus: unknown flag" --bogus --tokenizer "$TOK" --out "$WORK/bad" "$CORPUS"
expect_error "not BPE" "not a byte-level BPE" --tokenizer arithmetic --out "$WORK/bad" "$CORPUS"
: >"$WORK/empty.txt"
expect_error "empty corpus" "no documents" --tokenizer "$TOK" --out "$WORK/bad" "$WORK/empty.txt"
# a corrupt file after shards were written: they go again
mkdir "$WORK/broken" && cp "$CORPUS" "$WORK/broken/a.txt" && echo junk >"$WORK/broken/b.txt.gz"
expect_error "corrupt .gz" "b.txt.gz: corrupt gzip data" --tokenizer "$TOK" --out "$WORK/bad" --shard-tokens 100 "$WORK/broken"
printf '{"text": "fine"}\n{"text": \n' >"$WORK/broken/c.jsonl"
rm "$WORK/broken/b.txt.gz"
expect_error "bad jsonl line" "c.jsonl:2: not a JSON object" --tokenizer "$TOK" --out "$WORK/bad" --shard-tokens 100 "$WORK/broken"
# an existing dataset: refused without --force (and left as it was), replaced with it
mkdir "$WORK/bad" && cp -r "$WORK/d1/." "$WORK/bad/"
"$BIN" prepare --tokenizer "$TOK" --out "$WORK/bad" "$CORPUS" 2>"$WORK/err.txt"
[ $? -eq 2 ] && grep -q "already holds a dataset (dataset.json); --force replaces it" "$WORK/err.txt" &&
    diff -r "$WORK/d1" "$WORK/bad" >/dev/null && ok || bad "existing dataset: $(cat "$WORK/err.txt")"
"$BIN" prepare --tokenizer "$TOK" --out "$WORK/bad" --force --val-fraction 0.1 "$CORPUS" 2>/dev/null &&
    [ "$(ls "$WORK/bad" | tr '\n' ' ')" = "dataset.json tokenizer.json train_000000.bin val_000000.bin " ] &&
    ok || bad "--force: $(ls "$WORK/bad" | tr '\n' ' ')"
ls "$WORK" | grep -q tmp && bad "a temporary file was left: $(ls "$WORK")" || ok

# a stop signal: exit status 128 + N, and what the run wrote is removed. The input is a
# FIFO (a named pipe is read like a file), held open until after the signal, so the run is
# in the middle of reading when it comes and writes its shards (--shard-tokens 10) after it.
mkfifo "$WORK/fifo.txt"
"$BIN" prepare --tokenizer "$TOK" --out "$WORK/stopped" --shard-tokens 10 "$WORK/fifo.txt" 2>"$WORK/err.txt" &
pid=$!
(cat "$CORPUS"; sleep 2) >"$WORK/fifo.txt" &
writer=$!
sleep 1
kill -TERM $pid
wait $pid
status=$?
kill $writer 2>/dev/null
[ $status -eq 143 ] && grep -q "stopped before the end; the files written are removed" "$WORK/err.txt" &&
    [ ! -e "$WORK/stopped" ] && ok || bad "SIGTERM: status $status, $(cat "$WORK/err.txt"), left: $(ls "$WORK/stopped" 2>&1)"
rm -f "$WORK/fifo.txt"

# ---- tokenizer train reads the same inputs: .gz and .zst give the same tokenizer
for z in gz zst; do
    "$BIN" tokenizer train --vocab-size 400 --out "$WORK/tok_$z.json" "$WORK/$z" 2>/dev/null &&
        cmp -s "$TOK" "$WORK/tok_$z.json" && ok || bad "tokenizer train from .$z: another tokenizer"
done

echo "test_prepare.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
