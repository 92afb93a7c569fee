#!/bin/sh
# Text training on token shards, end to end (README, "Training on shards"): a tiny model on
# the committed fixture dataset (tests/fixtures/text-dataset, remade here by its generator
# and compared byte for byte) trains, its loss falls; its checkpoints carry tokenizer.json
# and the hash in the metadata; a resumed run ends bit for bit where the straight run did
# (weights, optimizer, losses and held-out evaluations);
# eval prints loss and bits per byte; a changed or missing tokenizer.json, a dataset with
# other rows and a text file as [data] path are refused with exit status 2.
set -u
. "${srcdir:-.}/tests/lib.sh"
GEN=$(dirname "$BIN")/tests/make_text_dataset
FIX=$SRC/tests/fixtures/text-dataset
CORPUS=$SRC/tests/fixtures/bpe_train/corpus.txt
work_dir text-train

# ---- 0. the fixture is what its generator makes ---------------------------------------
mkdir gen
"$GEN" "$FIX/tokenizer.json" "$CORPUS" gen 6
check "generator exits 0" [ $? -eq 0 ]
for f in dataset.json tokenizer.json train_000000.bin val_000000.bin; do
    check "fixture $f is the generator's output" cmp -s "gen/$f" "$FIX/$f"
done

# ---- 1. a short run: d=64, 2 layers, 8 rows of 32 tokens of the 384-token BPE ----------
text_ini tinytext logging.eval_interval=10 logging.checkpoint_interval=20 >tiny.ini
"$BIN" --batch tiny.ini --run-id t >out1.txt 2>err1.txt
check "training exits 0 ($(tail -n 1 err1.txt))" [ $? -eq 0 ]
R=runs/t
first=$(value_at $R/metrics/scalars.jsonl 10 loss)
last=$(value_at $R/metrics/scalars.jsonl 40 loss)
echo "loss at step 10: $first, at step 40: $last"
check "loss falls ($first at step 10, $last at step 40)" \
    awk -v a="$first" -v b="$last" 'BEGIN { exit !(a != "" && b != "" && b < a - 0.3) }'
C=$R/checkpoints/step_000040
hash=$(sed -n 's/.*"hash": "\([^"]*\)".*/\1/p' "$FIX/dataset.json")
check "the checkpoint holds tokenizer.json" cmp -s $C/tokenizer.json "$FIX/tokenizer.json"
check "model.safetensors metadata holds tokenizer_hash $hash" \
    grep -qa "\"tokenizer_hash\": *\"$hash\"" $C/model.safetensors
check "trainer_state.json: the text stream's position" \
    grep -q '"kind": "text"' $C/trainer_state.json
check "trainer_state.json: rows" grep -q '"rows": 214' $C/trainer_state.json

# ---- 2. resume: N/2 then --resume to N ends where the straight run did -----------------
mv $C straight_040
cp $R/metrics/scalars.jsonl straight.jsonl
"$BIN" --batch --resume $R >/dev/null 2>err2.txt
check "resumed run exits 0 ($(tail -n 1 err2.txt))" [ $? -eq 0 ]
check "resumed at step 20" grep -q '^step 30/40 ' err2.txt
want=$(value_at straight.jsonl 40 loss)
got=$(value_at $R/metrics/scalars.jsonl 40 loss)
check "loss at step 40: resumed $got, straight $want" [ -n "$want" -a "$got" = "$want" ]
for step in 30 40; do
    want=$(grep "^{\"step\": $step, \"val_loss\": " straight.jsonl | tail -n 1)
    got=$(grep "^{\"step\": $step, \"val_loss\": " $R/metrics/scalars.jsonl | tail -n 1)
    check "held-out figures at step $step: resumed '$got', straight '$want'" \
        [ -n "$want" -a "$got" = "$want" ]
done
check "weights identical to the straight run" \
    cmp -s straight_040/model.safetensors $C/model.safetensors
check "optimizer identical to the straight run" \
    cmp -s straight_040/optimizer.safetensors $C/optimizer.safetensors

# A dataset with other rows (more documents held out) is refused on resume.
mkdir other
"$GEN" "$FIX/tokenizer.json" "$CORPUS" other 12 >/dev/null
refused "resume on a dataset with other rows" "rows is 214" \
    "$BIN" --batch --resume $R --num-steps 60 --set data.path="$WORK/other"
# A dataset of another tokenizer: the checkpoint's tokenizer.json decides, refused.
mkdir other_tok
"$GEN" "$SRC/tests/fixtures/bpe-small/tokenizer.json" "$CORPUS" other_tok 6 >/dev/null
refused "resume on a dataset of another tokenizer" "the checkpoint's tokenizer is $hash" \
    "$BIN" --batch --resume $R --num-steps 60 --set data.path="$WORK/other_tok"

# ---- 3. eval: the val split, a dataset, a shard, a text file ---------------------------
"$BIN" eval $C >eval1.txt 2>eval1.err
check "eval exits 0 ($(cat eval1.err))" [ $? -eq 0 ]
check "eval: the val split, loss and bits per byte" \
    grep -qE '"split": "val", "seq_len": 32, "rows": 23, "predictions": 713, "loss": [0-9.]+, "bpb": [0-9.]+' eval1.txt
"$BIN" eval $C --data "$FIX" >eval2.txt 2>&1
check "eval --data DIR: the same figures" \
    [ "$(sed 's/.*"split"//' eval1.txt)" = "$(sed 's/.*"split"//' eval2.txt)" ]
"$BIN" eval $C --data "$FIX/train_000000.bin" >eval3.txt 2>&1
check "eval --data SHARD: all of it" grep -qE '"split": "all", "seq_len": 32, "rows": 214, .*"bpb": [0-9.]+' eval3.txt
"$BIN" eval $C --data "$CORPUS" >eval4.txt 2>&1
check "eval --data TEXT: loss and bpb" grep -qE '"split": "all", .*"loss": [0-9.]+, "bpb": [0-9.]+' eval4.txt
# A text file is read as prepare reads it: the same figures as its prepared shards.
"$BIN" prepare --tokenizer "$FIX/tokenizer.json" --out whole --val-fraction 0 "$CORPUS" 2>prep.err
"$BIN" eval $C --data whole >eval5.txt 2>&1
check "eval --data TEXT equals eval of the text prepared ($(cat prep.err eval5.txt))" \
    [ "$(sed 's/.*"seq_len"//' eval4.txt)" = "$(sed 's/.*"seq_len"//' eval5.txt)" ]

# ---- 4. refusals ------------------------------------------------------------------------
cp -r $C changed
cp "$SRC/tests/fixtures/bpe-small/tokenizer.json" changed/tokenizer.json
refused "eval of a checkpoint whose tokenizer.json was changed" \
    "changed/tokenizer.json: tokenizer hash" "$BIN" eval changed
rm changed/tokenizer.json
refused "eval of a checkpoint without its tokenizer.json" "changed/tokenizer.json: missing" \
    "$BIN" eval changed
refused "[data] path is a text file" "bitnet-tui prepare --tokenizer T --out DIR" \
    "$BIN" --batch tiny.ini --run-id txt --set data.path="$CORPUS"
refused "the model's vocab_size below the tokenizer's" "vocab_size = 300 is smaller" \
    "$BIN" --batch tiny.ini --run-id v --set model.vocab_size=300

echo "test_text_train: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
