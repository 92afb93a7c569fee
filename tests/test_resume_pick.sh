#!/bin/sh
# Resume that survives a bad checkpoint, and bounded disk (README, "Resume" and "Runs on
# disk"): --resume RUN skips damaged checkpoints (truncated model, truncated optimizer,
# torn trainer_state.json), each named on stderr with why, and continues bit for bit from
# the newest good one; --resume RUN/checkpoints/step_N resumes from that one; a run with none
# that loads is refused (exit 2) and left untouched; leftover *.tmp directories go;
# keep_checkpoints and keep_every bound the checkpoints kept; a write failure at a
# checkpoint (RLIMIT_FSIZE: writes fail with EFBIG, as on a full disk, without root) ends the
# run with exit 1, no step_N.tmp left and the previous checkpoint whole; a failing
# scalars.jsonl append is reported once while training goes on.
set -u
. "${srcdir:-.}/tests/lib.sh"
work_dir resume-pick
cp -r "$SRC/experiments" .
TINY="--threads 1 --set model.hidden_size=32 --set model.num_layers=1 --set model.ffn_size=64
 --set training.warmup_steps=3 --batch-size 4 --seq-len 32 --set logging.eval_problems=20
 --log-interval 5 --checkpoint-interval 10"
train() { "$BIN" --batch arithmetic $TINY "$@"; }
ckpts() { ls "$1/checkpoints" | tr '\n' ' '; }
same() { check "$1: got '$2', want '$3'" [ "$2" = "$3" ]; }
# one_per_step FILE: no training record is there twice.
one_per_step() { [ -z "$(grep -o '^{"step": [0-9]*, "loss"' "$1" | sort | uniq -d)" ]; }

# ---- the straight run, its checkpoints kept (keep_checkpoints = 0) ---------------------
train --num-steps 50 --run-id a --set logging.keep_checkpoints=0 >/dev/null 2>a.err
check "the straight run exits 0 ($(tail -n 1 a.err))" [ $? -eq 0 ]
same "keep_checkpoints = 0 keeps all" "$(ckpts runs/a)" \
    "step_000010 step_000020 step_000030 step_000040 step_000050 "
S=runs/a/metrics/scalars.jsonl

# ---- 1. the newest two damaged: the run resumes from step 30 ----------------------------
cp -r runs/a runs/b
truncate -s 1000 runs/b/checkpoints/step_000050/model.safetensors
truncate -s 100 runs/b/checkpoints/step_000040/optimizer.safetensors
mkdir runs/b/checkpoints/step_000060.tmp
echo partial >runs/b/checkpoints/step_000060.tmp/model.safetensors
"$BIN" --batch --resume runs/b --num-steps 50 --set logging.keep_checkpoints=0 \
    >/dev/null 2>b.err
check "resume past two damaged checkpoints exits 0 ($(tail -n 1 b.err))" [ $? -eq 0 ]
check "step 50 named as skipped, with why" grep -q \
    '^bitnet-tui: skipping runs/b/checkpoints/step_000050: model.safetensors: truncated' b.err
check "step 40 named as skipped, with why" grep -q \
    '^bitnet-tui: skipping runs/b/checkpoints/step_000040: optimizer.safetensors: truncated' b.err
check "two skip lines" [ "$(grep -c skipping b.err)" -eq 2 ]
check "resumed at step 30" grep -q '^step 35/50' b.err
check "the leftover .tmp is gone" [ ! -e runs/b/checkpoints/step_000060.tmp ]
for step in 40 50; do
    same "resumed from 30: loss at step $step" "$(value_at runs/b/metrics/scalars.jsonl $step loss)" \
        "$(value_at $S $step loss)"
done
check "one record per step after the resume" one_per_step runs/b/metrics/scalars.jsonl

# ---- 2. a torn trainer_state.json is skipped too ----------------------------------------
cp -r runs/a runs/c
printf '{"format_version": 2, "step": 5' >runs/c/checkpoints/step_000050/trainer_state.json
"$BIN" --batch --resume runs/c --num-steps 50 >/dev/null 2>c.err
check "a torn trainer_state.json: resume exits 0 ($(tail -n 1 c.err))" [ $? -eq 0 ]
check "a torn trainer_state.json is named" \
    grep -q 'skipping runs/c/checkpoints/step_000050: .*trainer_state.json' c.err
check "then resumed at step 40" grep -q '^step 45/50' c.err

# ---- 3. --resume RUN/checkpoints/step_N: exactly that one -------------------------------
cp -r runs/a runs/d
"$BIN" --batch --resume runs/d/checkpoints/step_000020/ --num-steps 50 --checkpoint-interval 0 \
    --set logging.keep_checkpoints=0 >/dev/null 2>d.err
check "a named checkpoint resumes, exit 0 ($(tail -n 1 d.err))" [ $? -eq 0 ]
check "from step 20" grep -q '^step 25/50' d.err
for step in 30 50; do
    same "loss at step $step as the straight run's" \
        "$(value_at runs/d/metrics/scalars.jsonl $step loss)" "$(value_at $S $step loss)"
done
check "one record per step" one_per_step runs/d/metrics/scalars.jsonl
same "keep_checkpoints = 0: the later checkpoints stay" "$(ckpts runs/d)" \
    "step_000010 step_000020 step_000030 step_000040 step_000050 "
check "step 40's untouched" cmp -s runs/a/checkpoints/step_000040/model.safetensors \
    runs/d/checkpoints/step_000040/model.safetensors
truncate -s 1000 runs/d/checkpoints/step_000020/model.safetensors
refused "a damaged named checkpoint" "step_000020/model.safetensors: truncated" \
    "$BIN" --batch --resume runs/d/checkpoints/step_000020 --num-steps 30
refused "a named checkpoint that is not there" "no such checkpoint directory" \
    "$BIN" --batch --resume runs/d/checkpoints/step_000070 --num-steps 80

# ---- 4. none loads: refused, listed, nothing touched ------------------------------------
cp -r runs/a runs/e
for d in runs/e/checkpoints/step_*; do truncate -s 100 $d/model.safetensors; done
mkdir runs/e/checkpoints/step_000060.tmp
cp runs/e/metrics/scalars.jsonl before.jsonl
"$BIN" --batch --resume runs/e --num-steps 60 >/dev/null 2>e.err
check "none loads: exit 2" [ $? -eq 2 ]
check "each named as skipped" [ "$(grep -c '^bitnet-tui: skipping runs/e/checkpoints/step_0000[1-5]0: model.safetensors' e.err)" -eq 5 ]
check "the last line lists them" grep -q \
    'runs/e: none of its 5 checkpoints loads (step_000050, step_000040, step_000030, step_000020, step_000010' e.err
check "scalars.jsonl untouched" cmp -s before.jsonl runs/e/metrics/scalars.jsonl
check "the .tmp untouched when nothing loads" [ -d runs/e/checkpoints/step_000060.tmp ]

# ---- 5. keep_checkpoints and keep_every -------------------------------------------------
train --num-steps 70 --run-id k >/dev/null 2>k.err
check "default keep_checkpoints run exits 0" [ $? -eq 0 ]
same "the default keeps the newest 3" "$(ckpts runs/k)" "step_000050 step_000060 step_000070 "
train --num-steps 70 --run-id k2 --set logging.keep_checkpoints=2 --set logging.keep_every=30 \
    >/dev/null 2>k2.err
same "keep 2 and every 30th" "$(ckpts runs/k2)" "step_000030 step_000060 step_000070 "
# resumed from step 20 with keep 2: the first new checkpoint (30) removes the later ones
cp -r runs/a runs/k3
"$BIN" --batch --resume runs/k3/checkpoints/step_000020 --num-steps 30 \
    --set logging.keep_checkpoints=2 >/dev/null 2>k3.err
same "a named resume with keep 2: later checkpoints pruned" "$(ckpts runs/k3)" \
    "step_000020 step_000030 "

# ---- 6. a write failure at a checkpoint (EFBIG through RLIMIT_FSIZE) --------------------
# The model file (44 KB) fits under 64 KB, the optimizer file (87 KB) does not.
train --num-steps 20 --run-id f >/dev/null 2>f0.err
(
    trap '' XFSZ
    exec prlimit --fsize=65536 "$BIN" --batch --resume runs/f --num-steps 40
) >/dev/null 2>f.err
check "a failed checkpoint write: exit 1" [ $? -eq 1 ]
check "the message names the file" \
    grep -q '^bitnet-tui: runs/f/checkpoints/step_000030.tmp/optimizer.safetensors: cannot write' f.err
check "no step_N.tmp left" [ -z "$(ls runs/f/checkpoints | grep tmp)" ]
same "the previous checkpoints stay" "$(ckpts runs/f)" "step_000010 step_000020 "
"$BIN" --batch --resume runs/f --num-steps 30 >/dev/null 2>f2.err
check "and the run resumes from step 20 ($(tail -n 1 f2.err))" \
    [ $? -eq 0 -a -n "$(grep '^step 25/30' f2.err)" ]

# ---- 7. a failing scalars.jsonl append: reported once, training goes on -----------------
train --num-steps 20 --run-id g --log-interval 1 >/dev/null 2>g0.err
limit=$(($(wc -c <runs/g/metrics/scalars.jsonl) + 300))
(
    trap '' XFSZ
    exec prlimit --fsize=$limit "$BIN" --batch --resume runs/g --num-steps 40 --log-interval 1
) >/dev/null 2>g.err
check "the run stops at its checkpoint, exit 1" [ $? -eq 1 ]
check "the append failure reported once" \
    [ "$(grep -c 'scalars.jsonl: cannot append' g.err)" -eq 1 ]
check "training went on to the checkpoint at step 30" grep -q '^step 29/40' g.err

echo "test_resume_pick: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
