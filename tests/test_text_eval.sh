#!/bin/sh
# A text run's held-out evaluations and its data on first use (README, "Evaluation reports",
# "Shipped data"):
# 1. evaluations run every [logging] eval_interval and at the end, and only then; they
#    record val_loss, val_bpb and val_rows in scalars.jsonl, a text_eval record in
#    samples.jsonl and an "eval step N" line; over the whole val split the figures equal
#    `bitnet-tui eval` of the checkpoint saved at that step;
# 2. with eval_problems below the split's rows, the rows floor(i R / n) are evaluated: the
#    figures equal `eval --data` of a shard made of exactly those rows;
# 3. an empty [data] path prepares the shipped sample into $XDG_CACHE_HOME once, the next
#    run reuses it, a damaged cache is rebuilt, of two runs starting at once one prepares and
#    the other waits and reuses it (one dataset, no temporary directory left), a resumed run
#    whose cache was removed prepares it again.
set -u
. "${srcdir:-.}/tests/lib.sh"
FIX=$SRC/tests/fixtures/text-dataset
ASSETS=$SRC/assets
work_dir text-eval
# The value of key $2 in the JSON line of file $1.
value_of() {
    sed "s/.*\"$2\": \([-0-9.eE+a-z]*\).*/\1/" "$1"
}

# ---- 1. evaluations every eval_interval, equal to eval of the checkpoint -----------------
text_ini tinytext training.num_steps=30 logging.log_interval=5 logging.eval_interval=10 \
    logging.checkpoint_interval=10 >tiny.ini
"$BIN" train tiny.ini --run-id e >out1.txt 2>err1.txt
check "training exits 0 ($(tail -n 1 err1.txt))" [ $? -eq 0 ]
S=runs/e/metrics/scalars.jsonl
check "val_loss at steps 10, 20, 30 and nowhere else ($(grep -c val_loss $S) records)" \
    [ "$(grep '"val_loss"' $S | sed 's/^{"step": \([0-9]*\),.*/\1/' | tr '\n' ' ')" = "10 20 30 " ]
check "scalars: val_bpb and val_rows 23 (the whole val split) at step 20" \
    grep -qE '^\{"step": 20, "val_loss": [0-9.]+, "val_bpb": [0-9.]+, "val_rows": 23\}$' $S
check "samples.jsonl: a text_eval record at step 10" \
    grep -qE '^\{"step": 10, "kind": "text_eval", "split": "val", "rows": 23, "split_rows": 23, ' \
    runs/e/samples/samples.jsonl
check "the log line of the evaluation at step 20" \
    grep -qE '^eval step 20: val loss [0-9.]+ nats/token, [0-9.]+ bits/byte \(23 of the val split.s 23 rows\)$' err1.txt
check "the step lines after it carry val" grep -qE '^step 25/30 \| .* \| val [0-9.]+ \([0-9.]+ bpb\) \|' err1.txt
for step in 20 30; do
    C=runs/e/checkpoints/step_0000$step
    "$BIN" eval $C >eval$step.txt 2>&1
    check "eval of step $step exits 0 ($(cat eval$step.txt))" [ $? -eq 0 ]
    for k in loss bpb; do
        want=$(value_of eval$step.txt $k)
        got=$(value_at $S $step val_$k)
        check "val_$k at step $step ($got) equals eval's $k ($want)" [ -n "$want" -a "$got" = "$want" ]
    done
done
first=$(value_at $S 10 val_loss)
last=$(value_at $S 30 val_loss)
check "val_loss falls ($first at step 10, $last at step 30)" \
    awk -v a="$first" -v b="$last" 'BEGIN { exit !(a != "" && b != "" && b < a) }'

# ---- 1b. generated samples every sample_interval, training unchanged by them ------------
"$BIN" train tiny.ini --run-id smp --set logging.sample_interval=15 >/dev/null 2>err1b.txt
check "training with samples exits 0 ($(tail -n 1 err1b.txt))" [ $? -eq 0 ]
SM=runs/smp/samples/samples.jsonl
check "samples at steps 15 and 30 (the end), none at 10 and 20" \
    [ "$(grep '"examples"' $SM | sed 's/^{"step": \([0-9]*\),.*/\1/' | tr '\n' ' ')" = "15 30 " ]
check "evaluations at 10, 15, 20, 30" \
    [ "$(grep '"val_loss"' runs/smp/metrics/scalars.jsonl | sed 's/^{"step": \([0-9]*\),.*/\1/' | tr '\n' ' ')" = "10 15 20 30 " ]
check "four story openings continued at step 15" \
    [ "$(grep '^{"step": 15,' $SM | grep -o '"prompt": "[^"]*"' | wc -l)" -eq 4 ]
check "samples leave training as it was: the same loss at step 30" \
    [ "$(value_at runs/smp/metrics/scalars.jsonl 30 loss)" = "$(value_at $S 30 loss)" ]

# ---- 2. at most eval_problems rows, spread evenly ----------------------------------------
"$BIN" train tiny.ini --run-id cap --num-steps 10 --set logging.eval_problems=5 >/dev/null 2>err2.txt
check "capped run exits 0 ($(tail -n 1 err2.txt))" [ $? -eq 0 ]
check "val_rows 5 of 23" grep -q '"val_rows": 5}' runs/cap/metrics/scalars.jsonl
check "its log line" grep -q '^eval step 10: .*(5 of the val split.s 23 rows)$' err2.txt
# A shard of rows 0, 4, 9, 13, 18 (floor(i 23 / 5)) of the 32-token rows of the val shard:
# the llm.c header (magic 20240520, version 1, 160 tokens), then the rows' 64 bytes each.
{
    printf '\210\330\064\001\001\000\000\000\240\000\000\000'
    head -c 1012 /dev/zero
    for r in 0 4 9 13 18; do
        dd if="$FIX/val_000000.bin" bs=64 skip=$((16 + r)) count=1 2>/dev/null
    done
} >rows.bin
"$BIN" eval runs/cap/checkpoints/step_000010 --data rows.bin >eval_rows.txt 2>&1
check "eval of the 5 rows ($(cat eval_rows.txt))" grep -q '"rows": 5,' eval_rows.txt
for k in loss bpb; do
    want=$(value_of eval_rows.txt $k)
    got=$(value_at runs/cap/metrics/scalars.jsonl 10 val_$k)
    check "capped val_$k ($got) equals eval of those rows ($want)" [ -n "$want" -a "$got" = "$want" ]
done

# ---- 3. the shipped sample, prepared on first use --------------------------------------
ln -s "$ASSETS" assets
# The cache's entries but the lock file runs take turns on (.NAME.lock).
entries() { ls -A "$D" | grep -v '^\..*\.lock$'; }
export XDG_CACHE_HOME="$WORK/cache"
D=$XDG_CACHE_HOME/bitnet-tui/datasets
# A tiny model on the sample's 2048-token tokenizer; tinystories.ini's [data] path is empty.
tiny_story() { # tiny_story RUN_ID [more flags]
    id=$1
    shift
    "$BIN" train "$SRC/experiments/tinystories.ini" --run-id "$id" --num-steps 2 \
        --batch-size 2 --seq-len 16 --threads 1 --eval-interval 1 \
        --set model.hidden_size=16 --set model.num_layers=1 --set model.num_heads=2 \
        --set model.num_kv_heads=1 --set model.ffn_size=32 --set model.max_seq_len=16 \
        --set training.warmup_steps=1 --set logging.eval_problems=4 \
        --set logging.checkpoint_interval=1 --set logging.log_interval=1 "$@"
}
tiny_story s1 >/dev/null 2>s1.txt
check "a run with an empty [data] path exits 0 ($(tail -n 1 s1.txt))" [ $? -eq 0 ]
check "it says it prepared the sample" grep -q "^data: the shipped sample, prepared into $D/tinystories-sample-" s1.txt
check "one dataset in the cache ($(entries | tr '\n' ' '))" [ "$(entries | wc -l)" -eq 1 ]
DS=$(ls -d $D/tinystories-sample-*)
check "it is a finished dataset" [ -f "$DS/dataset.json" -a -f "$DS/val_000000.bin" ]
check "meta/config.ini records it as [data] path" grep -qF "path = \"$DS\"" runs/s1/meta/config.ini
check "the run evaluated 4 rows of the sample's val split" grep -q '"val_rows": 4}' runs/s1/metrics/scalars.jsonl
cp "$DS/train_000000.bin" first_train.bin
inode() { ls -i "$1" | cut -d' ' -f1; }
before="$(inode "$DS/dataset.json") $(inode "$DS/train_000000.bin")"
tiny_story s2 >/dev/null 2>s2.txt
check "a second run exits 0 ($(tail -n 1 s2.txt))" [ $? -eq 0 ]
check "it reuses the prepared sample" grep -q "^data: the shipped sample, prepared before in $DS\$" s2.txt
check "the cache's files are untouched" [ "$(inode "$DS/dataset.json") $(inode "$DS/train_000000.bin")" = "$before" ]
"$BIN" eval runs/s2/checkpoints/step_000002 >s2_eval.txt 2>&1
check "eval finds the run's data ($(cat s2_eval.txt))" grep -qF "\"data\": \"$DS\", \"split\": \"val\"" s2_eval.txt

rm "$DS/dataset.json"
mkdir "$D/.$(basename "$DS").tmp-1-2" # what a run killed while preparing leaves
touch "$D/.$(basename "$DS").tmp-1-2/train_000000.bin"
tiny_story s3 >/dev/null 2>s3.txt
check "a run on a damaged cache exits 0 ($(tail -n 1 s3.txt))" [ $? -eq 0 ]
check "it prepares the sample again" grep -q "^data: the shipped sample, prepared into $DS\$" s3.txt
check "the rebuilt cache is whole, a killed run's leftovers gone ($(entries | tr '\n' ' '))" \
    [ -f "$DS/dataset.json" -a "$(entries | wc -l)" -eq 1 ]
check "the rebuilt shards are the first ones" cmp -s "$DS/train_000000.bin" first_train.bin

rm -rf "$D"
tiny_story c1 >/dev/null 2>c1.txt &
p1=$!
tiny_story c2 >/dev/null 2>c2.txt
st2=$?
wait $p1
st1=$?
check "two runs starting at once both train ($st1 $st2: $(tail -n 1 c1.txt) / $(tail -n 1 c2.txt))" \
    [ $st1 -eq 0 -a $st2 -eq 0 ]
check "they leave one dataset and no temporary directory ($(entries | tr '\n' ' '))" \
    [ "$(entries | wc -l)" -eq 1 -a -f "$DS/dataset.json" ]
check "one of them prepared it, the other reused it" \
    [ "$(cat c1.txt c2.txt | grep -c '^data: the shipped sample, prepared into')" -eq 1 -a \
      "$(cat c1.txt c2.txt | grep -c '^data: the shipped sample, prepared before in')" -eq 1 ]

rm -rf "$D"
"$BIN" train --resume runs/s1 --num-steps 3 >/dev/null 2>r1.txt
check "a resumed run whose cache was removed exits 0 ($(tail -n 1 r1.txt))" [ $? -eq 0 ]
check "it prepared the sample again" grep -q "^data: the shipped sample, prepared into $DS\$" r1.txt
check "and trained on from step 2" grep -q '^step 3/3 ' r1.txt
rm -rf "$D"
"$BIN" eval runs/s1/checkpoints/step_000003 >r1_eval.txt 2>&1
check "eval of a checkpoint whose cache was removed prepares it again ($(cat r1_eval.txt))" \
    grep -qF "\"data\": \"$DS\", \"split\": \"val\"" r1_eval.txt

echo "test_text_eval: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
