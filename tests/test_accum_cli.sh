#!/bin/sh
# Gradient accumulation on the command line: a bad grad_accum_steps (flag, --set or INI) is
# refused with exit status 2 and one line naming the key; --grad-accum trains and counts
# every micro-batch's tokens; train --help lists each shipped experiment's parameter count
# (the baseline's is the previous tool's 95,410,944).
set -u
. "${srcdir:-.}/tests/lib.sh"
work_dir accum
cp -r "$SRC/experiments" .

T="$BIN train"
SMALL="--num-steps 2 --set training.warmup_steps=1 --batch-size 2 --seq-len 16 --set model.hidden_size=32 --set model.num_layers=1 --set model.ffn_size=32 --sample-interval 0 --set logging.eval_problems=4 --threads 1"

refused "--grad-accum 0" "[training] grad_accum_steps = 0: must be between 1 and 65536" \
    $T arithmetic $SMALL --grad-accum 0
refused "--grad-accum -1" "grad_accum_steps = -1: must be between 1" \
    $T arithmetic $SMALL --grad-accum -1
refused "--grad-accum 1.5" "grad_accum_steps = 1.5: not an integer" \
    $T arithmetic $SMALL --set training.grad_accum_steps=1.5
printf '[training]\ngrad_accum_steps = two\n' >badaccum.ini
refused "INI grad_accum_steps = two" "badaccum.ini: [training] grad_accum_steps = two: not an integer" \
    $T badaccum.ini
check "nothing was written by the refused runs" [ ! -e runs ]

$T arithmetic $SMALL --grad-accum 3 --log-interval 1 --run-id acc >out.txt 2>&1
check "--grad-accum 3 trains (status $?)" [ $? -eq 0 ]
check "tokens_seen counts 3 micro-batches of 2 x 16 per step" \
    grep -q '"step": 2,.*"tokens_seen": 192' runs/acc/metrics/scalars.jsonl
check "the resolved config keeps the key" grep -q '^grad_accum_steps = 3' runs/acc/meta/config.ini

"$BIN" train --help >help.txt
check "train --help lists the baseline's parameter count" \
    grep -Eq '^  baseline-95m +95,410,944$' help.txt
check "train --help lists --grad-accum" grep -q -- '--grad-accum N' help.txt

echo "test_accum_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
