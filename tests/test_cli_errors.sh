#!/bin/sh
# Bad input: every class of mistake gets exit status 2 and a one-line message naming the
# file, key or value; nothing already written is touched.
set -u
. "${srcdir:-.}/tests/lib.sh"
work_dir cli
cp -r "$SRC/experiments" .

ini() { # ini NAME SECTION KEY VALUE: arithmetic.ini with one key replaced or added
    sed "/^\[$2\]/a $3 = $4" experiments/arithmetic.ini |
        awk -v k="$3" 'BEGIN{seen=0} $1==k && seen {next} $1==k {seen=1} {print}' >"$1"
}

T="$BIN --batch"
SMALL="--num-steps 2 --set training.warmup_steps=1 --batch-size 2 --seq-len 16 --set model.hidden_size=32 --set model.num_layers=1 --set model.ffn_size=32 --sample-interval 0"

refused "unknown experiment" "unknown experiment 'arithmatic'" $T arithmatic
refused "missing INI file" "nope.ini: cannot open" $T nope.ini
printf '[modle]\nhidden_size = 3\n' >badsec.ini
refused "unknown section" "badsec.ini: unknown section [modle]" $T badsec.ini
printf '[model]\nhiden_size = 3\n' >badkey.ini
refused "unknown key" "badkey.ini: [model] unknown key 'hiden_size'" $T badkey.ini
printf '[training]\nbatch_size = lots\n' >badtype.ini
refused "wrong type" "badtype.ini: [training] batch_size = lots: not an integer" $T badtype.ini
printf '[training]\npeak_lr = 7\n' >badrange.ini
refused "out of range" "badrange.ini: [training] peak_lr = 7" $T badrange.ini
printf 'this is [not an ini\n' >garbage.ini
refused "not an INI file" "garbage.ini" $T garbage.ini
refused "heads not dividing hidden" "num_heads = 5: must divide hidden_size (256)" \
    $T arithmetic --set model.num_heads=5
refused "kv heads not dividing heads" "num_kv_heads = 3: must divide num_heads (4)" \
    $T arithmetic --set model.num_kv_heads=3
refused "odd head_dim" "head_dim" $T arithmetic --set model.hidden_size=12 --set model.num_heads=4 --set model.num_kv_heads=4
refused "seq_len above max" "seq_len = 512: must be at most [model] max_seq_len" \
    $T arithmetic --seq-len 512
refused "batch 0" "batch_size = 0: must be between 1" $T arithmetic --batch-size 0
refused "bad --set syntax" "--set training: expected section.key=value" \
    $T arithmetic --set training
refused "unknown flag" "--bogus: unknown option" $T arithmetic --bogus
refused "flag without value" "--num-steps: needs a value" $T arithmetic --num-steps
refused "bad run id" "run_id" $T arithmetic --run-id ../escape
refused "unknown kernel" "kernel 'simd9': unknown (allowed:" $T arithmetic --kernel simd9
refused "tictactoe: no player weight" "random_weight + minimax_weight + perfect_weight must be above 0" \
    $T tictactoe --set data.random_weight=0 --set data.minimax_weight=0 --set data.perfect_weight=0
refused "tictactoe: epsilon above 1" "minimax_epsilon = 2" $T tictactoe --set data.minimax_epsilon=2
refused "tinystories with a dataset that is not there" \
    "[data] path = data/tinystories: cannot open" $T tinystories --set data.path=data/tinystories
refused "baseline without its prepared dataset, saying how to get it" \
    "[data] path = data/fineweb-edu: cannot open: No such file or directory (a dataset directory made by bitnet-tui prepare --tokenizer T --out DIR TEXT, or llm.c's shards; the INI's [data] comments and README's \"The baseline on FineWeb-Edu\" say how to get one)" \
    $T baseline-95m
ln -s "$SRC/assets" assets # the shipped files, found in ./assets as from a source tree
refused "a shipped tokenizer's name that is not shipped" \
    "[data] tokenizer = gpt3: no shipped tokenizer of that name (in assets); allowed: gpt2, tinystories, or a path to a tokenizer.json" \
    $T tinystories --set data.tokenizer=gpt3
refused "an experiment without train" "to train this experiment: bitnet-tui train arithmetic" \
    "$BIN" arithmetic

# The command line: one flag table per subcommand (README, "Command line").
refused "unknown subcommand" "evl: unknown subcommand" "$BIN" evl
refused "a flag train does not take" "train: --games: unknown option" \
    "$BIN" train arithmetic --games 10
refused "a flag --batch does not take" "train: --games: unknown option" $T arithmetic --games 10
refused "a flag eval does not take, --flag=value" "eval: --num-steps: unknown option" \
    "$BIN" eval some/checkpoint --num-steps=3
refused "a flag bench does not take" "bench: --board: unknown option" "$BIN" bench --board X
refused "an abbreviated flag" "train: --num: unknown option (did you mean --num-steps?)" \
    "$BIN" train arithmetic --num 3
refused "a value for a switch" "bench: --json: takes no value" "$BIN" bench --json=1
refused "two experiments" "train: tictactoe: unexpected argument" \
    "$BIN" train arithmetic tictactoe
refused "train without an experiment" "train needs an EXPERIMENT" "$BIN" train
refused "--flag=value checked like --flag value" "--games 2: must be an integer 4..1000000" \
    "$BIN" eval some/checkpoint --games=2
refused "-- ends the options" "train: --num-steps: unexpected argument" \
    "$BIN" train arithmetic -- --num-steps
help_has() { # help_has "description" pattern command...: status 0, pattern on stdout
    desc=$1 want=$2
    shift 2
    if "$@" >out.txt 2>err.txt && grep -qF -- "$want" out.txt && [ ! -s err.txt ]; then
        ok
    else
        bad "$desc: wanted '$want' in:"
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
        bad "$sub --help: a flag names a key the config schema lacks"
    else
        ok
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
refused "existing run directory" "runs/tiny: run directory already exists" \
    $T arithmetic $SMALL --run-id tiny
after=$(cat runs/tiny/meta/config.ini runs/tiny/metrics/scalars.jsonl | cksum)
check "an existing run is left as it was" [ "$before" = "$after" ]

mkdir -p bad/trunc bad/junk
head -c 100 $CK/model.safetensors >bad/trunc/model.safetensors
refused "truncated checkpoint" "bad/trunc/model.safetensors: truncated" "$BIN" eval bad/trunc
head -c 7 $CK/model.safetensors >bad/short.safetensors
refused "checkpoint shorter than its header length" "bad/short.safetensors" "$BIN" eval bad/short.safetensors
echo "hello, I am not a tensor file at all" >bad/junk/model.safetensors
refused "not safetensors" "not a safetensors file" "$BIN" eval bad/junk
refused "missing checkpoint" "cannot open" "$BIN" eval bad/nothing-here
refused "checkpoint of another shape" "tensor token_embeddings.weight has shape [32, 32], expected [32, 64]" \
    $T --resume runs/tiny --num-steps 4 --set model.hidden_size=64
refused "eval data file missing" "nodata.txt: cannot open" "$BIN" eval $CK --data nodata.txt
refused "eval bad --problems" "--problems 0" "$BIN" eval $CK --problems 0
refused "eval bad --shots" "--shots 9: must be an integer 0..8" "$BIN" eval $CK --shots 9

# train is --batch: the same tiny run both ways, flags as --flag=value, the same losses.
TINY3="--set model.hidden_size=32 --set model.num_layers=1 --set model.ffn_size=32 --set training.warmup_steps=1 --batch-size=2 --seq-len=16 --sample-interval=0 --log-interval=1"
"$BIN" train arithmetic --num-steps=3 $TINY3 --run-id=viatrain >/dev/null 2>t1.log
s1=$?
$T arithmetic --num-steps 3 $TINY3 --run-id batchrun >/dev/null 2>t2.log
s2=$?
losses() { grep -o '"loss": *[-0-9.e]*' "runs/$1/metrics/scalars.jsonl"; }
if [ $s1 -eq 0 ] && [ $s2 -eq 0 ] && [ -d runs/viatrain/checkpoints/step_000003 ] &&
    [ "$(losses viatrain | wc -l)" -eq 3 ] && [ "$(losses viatrain)" = "$(losses batchrun)" ]; then
    ok
else
    bad "train and --batch: status $s1 and $s2, losses:"
    losses viatrain
    losses batchrun
    cat t1.log t2.log
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
