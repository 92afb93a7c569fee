#!/bin/sh
# Bad input: every class of mistake gets exit status 2 and a one-line message naming the
# file, key or value; nothing already written is touched.
set -u
BIN=${BITNET_TUI:-./bitnet-tui}
SRC=${srcdir:-.}
WORK=$(mktemp -d /tmp/bitnet-cli.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
cp -r "$SRC/experiments" .
pass=0
fail=0

# expect_error "description" "expected message fragment" command...
expect_error() {
    desc=$1 want=$2
    shift 2
    "$@" >out.txt 2>err.txt
    status=$?
    lines=$(wc -l <err.txt)
    if [ "$status" -eq 2 ] && grep -qF -- "$want" err.txt && [ "$lines" -eq 1 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $desc: status $status, $lines line(s), wanted '$want', got:"
        sed 's/^/    /' err.txt
    fi
}

ini() { # ini NAME SECTION KEY VALUE: arithmetic.ini with one key replaced or added
    sed "/^\[$2\]/a $3 = $4" experiments/arithmetic.ini |
        awk -v k="$3" 'BEGIN{seen=0} $1==k && seen {next} $1==k {seen=1} {print}' >"$1"
}

T="$BIN --batch"
SMALL="--num-steps 2 --set training.warmup_steps=1 --batch-size 2 --seq-len 16 --set model.hidden_size=32 --set model.num_layers=1 --set model.ffn_size=32 --sample-interval 0"

expect_error "unknown experiment" "unknown experiment 'arithmatic'" $T arithmatic
expect_error "missing INI file" "nope.ini: cannot open" $T nope.ini
printf '[modle]\nhidden_size = 3\n' >badsec.ini
expect_error "unknown section" "badsec.ini: unknown section [modle]" $T badsec.ini
printf '[model]\nhiden_size = 3\n' >badkey.ini
expect_error "unknown key" "badkey.ini: [model] unknown key 'hiden_size'" $T badkey.ini
printf '[training]\nbatch_size = lots\n' >badtype.ini
expect_error "wrong type" "badtype.ini: [training] batch_size = lots: not an integer" $T badtype.ini
printf '[training]\npeak_lr = 7\n' >badrange.ini
expect_error "out of range" "badrange.ini: [training] peak_lr = 7" $T badrange.ini
printf 'this is [not an ini\n' >garbage.ini
expect_error "not an INI file" "garbage.ini" $T garbage.ini
expect_error "heads not dividing hidden" "num_heads = 5: must divide hidden_size (256)" \
    $T arithmetic --set model.num_heads=5
expect_error "kv heads not dividing heads" "num_kv_heads = 3: must divide num_heads (4)" \
    $T arithmetic --set model.num_kv_heads=3
expect_error "odd head_dim" "head_dim" $T arithmetic --set model.hidden_size=12 --set model.num_heads=4 --set model.num_kv_heads=4
expect_error "seq_len above max" "seq_len = 512: must be at most [model] max_seq_len" \
    $T arithmetic --seq-len 512
expect_error "batch 0" "batch_size = 0: must be between 1" $T arithmetic --batch-size 0
expect_error "bad --set syntax" "--set training: expected section.key=value" \
    $T arithmetic --set training
expect_error "unknown flag" "--bogus: unknown option" $T arithmetic --bogus
expect_error "flag without value" "--num-steps: needs a value" $T arithmetic --num-steps
expect_error "bad run id" "run_id" $T arithmetic --run-id ../escape
expect_error "unknown kernel" "kernel 'simd9': unknown (allowed:" $T arithmetic --kernel simd9
expect_error "tictactoe: no player weight" "random_weight + minimax_weight + perfect_weight must be above 0" \
    $T tictactoe --set data.random_weight=0 --set data.minimax_weight=0 --set data.perfect_weight=0
expect_error "tictactoe: epsilon above 1" "minimax_epsilon = 2" $T tictactoe --set data.minimax_epsilon=2
expect_error "tinystories with a dataset that is not there" \
    "[data] path = data/tinystories: cannot open" $T tinystories --set data.path=data/tinystories
expect_error "baseline without its prepared dataset" "[data] path = fineweb-edu.txt: cannot open" \
    $T baseline-95m
expect_error "an experiment without train" "to train this experiment: bitnet-tui train arithmetic" \
    "$BIN" arithmetic

# The command line: one flag table per subcommand (README, "Command line").
expect_error "unknown subcommand" "evl: unknown subcommand" "$BIN" evl
expect_error "a flag train does not take" "train: --games: unknown option" \
    "$BIN" train arithmetic --games 10
expect_error "a flag --batch does not take" "train: --games: unknown option" $T arithmetic --games 10
expect_error "a flag eval does not take, --flag=value" "eval: --num-steps: unknown option" \
    "$BIN" eval some/checkpoint --num-steps=3
expect_error "a flag bench does not take" "bench: --board: unknown option" "$BIN" bench --board X
expect_error "an abbreviated flag" "train: --num: unknown option (did you mean --num-steps?)" \
    "$BIN" train arithmetic --num 3
expect_error "a value for a switch" "bench: --json: takes no value" "$BIN" bench --json=1
expect_error "two experiments" "train: tictactoe: unexpected argument" \
    "$BIN" train arithmetic tictactoe
expect_error "train without an experiment" "train needs an EXPERIMENT" "$BIN" train
expect_error "--flag=value checked like --flag value" "--games 2: must be an integer 4..1000000" \
    "$BIN" eval some/checkpoint --games=2
expect_error "-- ends the options" "train: --num-steps: unexpected argument" \
    "$BIN" train arithmetic -- --num-steps
help_has() { # help_has "description" pattern command...: status 0, pattern on stdout
    desc=$1 want=$2
    shift 2
    if "$@" >out.txt 2>err.txt && grep -qF -- "$want" out.txt && [ ! -s err.txt ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $desc: wanted '$want' in:"
        sed 's/^/    /' out.txt err.txt
    fi
}
help_has "eval --help lists --problems" "--problems N" "$BIN" eval --help
help_has "--help lists the subcommands" "train EXPERIMENT|--resume RUN_DIR" "$BIN" --help
help_has "--help lists bench" "bench [options]" "$BIN" --help
help_has "train --help: help and default from the config schema" \
    "[training.num_steps; default 10000]" "$BIN" train --help
for sub in train eval move play bench; do
    if "$BIN" $sub --help | grep -q "no such INI key"; then
        fail=$((fail + 1))
        echo "FAIL: $sub --help: a flag names a key the config schema lacks"
    else
        pass=$((pass + 1))
    fi
done
help_has "--batch --help is train's" "--resume RUN_DIR" "$BIN" --batch --help
help_has "eval --help: threads default from the checkpoint" \
    "[training.threads; default the checkpoint's]" "$BIN" eval --help

# A real tiny run to have a checkpoint and a run directory to misuse.
$T arithmetic $SMALL --run-id tiny >/dev/null 2>train.log || { echo "FAIL: tiny run"; cat train.log; exit 1; }
CK=runs/tiny/checkpoints/step_000002
[ -f $CK/model.safetensors ] || { echo "FAIL: no checkpoint"; exit 1; }

before=$(cat runs/tiny/meta/config.ini runs/tiny/metrics/scalars.jsonl | cksum)
expect_error "existing run directory" "runs/tiny: run directory already exists" \
    $T arithmetic $SMALL --run-id tiny
after=$(cat runs/tiny/meta/config.ini runs/tiny/metrics/scalars.jsonl | cksum)
[ "$before" = "$after" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: existing run was modified"; }

mkdir -p bad/trunc bad/junk
head -c 100 $CK/model.safetensors >bad/trunc/model.safetensors
expect_error "truncated checkpoint" "bad/trunc/model.safetensors: truncated" "$BIN" eval bad/trunc
head -c 7 $CK/model.safetensors >bad/short.safetensors
expect_error "checkpoint shorter than its header length" "bad/short.safetensors" "$BIN" eval bad/short.safetensors
echo "hello, I am not a tensor file at all" >bad/junk/model.safetensors
expect_error "not safetensors" "not a safetensors file" "$BIN" eval bad/junk
expect_error "missing checkpoint" "cannot open" "$BIN" eval bad/nothing-here
expect_error "checkpoint of another shape" "tensor token_embeddings.weight has shape [32, 32], expected [32, 64]" \
    $T --resume runs/tiny --num-steps 4 --set model.hidden_size=64
expect_error "eval data file missing" "nodata.txt: cannot open" "$BIN" eval $CK --data nodata.txt
expect_error "eval bad --problems" "--problems 0" "$BIN" eval $CK --problems 0
expect_error "eval bad --shots" "--shots 9: must be an integer 0..8" "$BIN" eval $CK --shots 9

# train is --batch: the same tiny run both ways, flags as --flag=value, the same losses.
TINY3="--set model.hidden_size=32 --set model.num_layers=1 --set model.ffn_size=32 --set training.warmup_steps=1 --batch-size=2 --seq-len=16 --sample-interval=0 --log-interval=1"
"$BIN" train arithmetic --num-steps=3 $TINY3 --run-id=viatrain >/dev/null 2>t1.log
s1=$?
$T arithmetic --num-steps 3 $TINY3 --run-id batchrun >/dev/null 2>t2.log
s2=$?
losses() { grep -o '"loss": *[-0-9.e]*' "runs/$1/metrics/scalars.jsonl"; }
if [ $s1 -eq 0 ] && [ $s2 -eq 0 ] && [ -d runs/viatrain/checkpoints/step_000003 ] &&
    [ "$(losses viatrain | wc -l)" -eq 3 ] && [ "$(losses viatrain)" = "$(losses batchrun)" ]; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL: train and --batch: status $s1 and $s2, losses:"
    losses viatrain
    losses batchrun
    cat t1.log t2.log
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
