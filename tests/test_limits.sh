#!/bin/sh
# Failures reported, not dropped (README, "Limits"): an allocation that fails is reported on
# one line naming what was allocated and its size, exit status 1 (a resource failure, as a
# full disk); a path longer than BN_PATH_MAX - 1 (511) bytes is refused by name with the
# limit, exit status 2, and nothing truncated is created.
set -u
. "${srcdir:-.}/tests/lib.sh"
work_dir limits
cp -r "$SRC/experiments" .
SHORT="--threads 1 --set training.warmup_steps=0 --num-steps 2 --checkpoint-interval 0
 --set logging.eval_problems=1"

# resource STATUS "description" "wanted text" command...: exits with STATUS and one line on
# stderr holding the wanted text; no runs/ made.
resource() {
    want_status=$1 desc=$2 want=$3
    shift 3
    "$@" >out.txt 2>err.txt
    status=$?
    lines=$(wc -l <err.txt)
    if [ $status -eq "$want_status" ] && grep -qF -- "$want" err.txt && [ "$lines" -eq 1 ] &&
        [ ! -e runs ]; then
        ok
    else
        bad "$desc: status $status, $lines line(s), wanted '$want', got:"
        sed 's/^/    /' err.txt
    fi
}

# ---- out of memory: an address-space limit makes the big allocation fail --------------
# AddressSanitizer reserves terabytes of shadow memory, so under it no such limit can hold.
# OpenBLAS's own worker thread retries a failed buffer forever (and exit waits for it):
# OPENBLAS_NUM_THREADS=1 starts none; SIGKILL after 60 s keeps a hang from stalling make check.
if grep -q -e __asan_init -e AddressSanitizer "$BIN" 2>/dev/null; then
    echo "test_limits: sanitizer build: the out-of-memory checks are skipped"
elif ! command -v prlimit >/dev/null 2>&1; then
    echo "test_limits: no prlimit: the out-of-memory checks are skipped"
else
    limited() { # limited MiB command...
        mib=$1
        shift
        OPENBLAS_NUM_THREADS=1 timeout -s KILL 60 prlimit --as=$((mib * 1024 * 1024)) "$@"
    }
    # 2 GiB of weights (d=2048, 8 layers) under a 200 MiB limit
    resource 1 "the model's weights" \
        "bitnet-tui: out of memory allocating the model's weights (2.0 GiB)" \
        limited 200 "$BIN" --batch arithmetic $SHORT --set model.hidden_size=2048 \
        --set model.ffn_size=8192 --set model.num_layers=8 --set model.num_heads=16 \
        --set model.num_kv_heads=16
    # 33.6M parameters: the model (weights, gradients, ternary forms: about 400 MiB) fits in
    # 600 MiB, its AdamW moments (256 MiB more) do not
    resource 1 "the AdamW moments" \
        "bitnet-tui: out of memory allocating the AdamW moments (256.4 MiB)" \
        limited 600 "$BIN" --batch arithmetic $SHORT --batch-size 1 --seq-len 16 \
        --set model.hidden_size=1024 --set model.ffn_size=4096 --set model.num_layers=2 \
        --set model.num_heads=8 --set model.num_kv_heads=8
    # a 16 MiB pre-token (16 MiB of "a") needs 576 MiB of merge scratch: under 300 MiB the
    # encoder fails and says so, and nothing is encoded otherwise (no ids printed, no
    # dataset written); before, it fell back to one token per byte without a word
    head -c 16777216 /dev/zero | tr '\0' a >big.txt
    TOK="$SRC/tests/fixtures/text-dataset/tokenizer.json"
    NOMEM="bitnet-tui: out of memory allocating the merge scratch of a 16777216-byte pre-token \
to encode 16777216 bytes of text (576.0 MiB)"
    resource 1 "tokenizer encode's merge scratch" "$NOMEM" \
        limited 300 "$BIN" tokenizer encode "$TOK" <big.txt
    check "no ids printed when encoding failed" [ ! -s out.txt ]
    resource 1 "prepare's merge scratch" "$NOMEM" \
        limited 300 "$BIN" prepare --tokenizer "$TOK" --out ds big.txt
    check "no dataset when encoding failed" [ ! -e ds ]
    rm -f big.txt
fi

# ---- paths that do not fit --------------------------------------------------------------
D=$(printf 'd%.0s' $(seq 1 200))
DEEP="deep/$D/$D" # 406 bytes
R="$DEEP/$(printf 'f%.0s' $(seq 1 40))" # 447 bytes: fits, but a run in it would not
mkdir -p "$DEEP"
refused --none "$R" "a run directory too long for its checkpoints" \
    "path too long for a run directory (449 bytes; at most 444" \
    "$BIN" --batch arithmetic $SHORT --runs-dir "$R" --run-id x
refused --none "$DEEP/$D" "--runs-dir over the limit" "at most 511 characters" \
    "$BIN" --batch arithmetic $SHORT --runs-dir "$DEEP/$D"
check "nothing made under the long runs dir" [ -z "$(ls "$DEEP")" ]
refused "--resume of a path over the limit" "path too long (609 bytes; at most 511)" \
    "$BIN" --batch --resume "$DEEP/$D/x"
refused "status of a path over the limit" "path too long (609 bytes; at most 511)" \
    "$BIN" status "$DEEP/$D/x"
refused "plot of a path over the limit" "path too long (609 bytes; at most 511)" \
    "$BIN" plot "$DEEP/$D/x"
refused --none "$DEEP/$D" "prepare --out over the limit" "path too long (" \
    "$BIN" prepare --tokenizer "$SRC/tests/fixtures/text-dataset/tokenizer.json" \
    --out "$DEEP/$D" "$SRC/assets/tinystories/TinyStories-valid-head.txt"
# a dataset directory that exists, but whose tokenizer.json's path does not fit
LONGDS="$DEEP/$(printf 'e%.0s' $(seq 1 100))"
mkdir -p "$LONGDS"
cp "$SRC"/tests/fixtures/text-dataset/* "$LONGDS/"
refused "a data path whose files do not fit" "path too long (522 bytes; at most 511)" \
    "$BIN" --batch experiments/tinystories.ini $SHORT --set data.path="$LONGDS"

echo "test_limits: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
