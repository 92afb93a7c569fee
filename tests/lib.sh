# lib.sh - what the shell tests share. Each test sources it after `set -u`:
#     . "${srcdir:-.}/tests/lib.sh"
# It sets BIN (the program: $BITNET_TUI, else ./bitnet-tui) and SRC (the source tree: $srcdir,
# else .), both absolute so that a test may cd, and defines the counters and checks, the work
# directory, refusals, the values of metrics records, the tiny text model's INI, the
# comparison of two runs, jobs under mpirun (and a rank killed in one) and the helpers of the
# tests that drive the UI in tmux.

BIN=${BITNET_TUI:-$PWD/bitnet-tui}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
SRC=$(cd "${srcdir:-.}" && pwd) || exit 1

# ---- counters: a test ends with `[ "$fail" -eq 0 ]` --------------------------------------
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check "description" command...: passes when the command succeeds
    desc=$1
    shift
    if "$@"; then ok; else bad "$desc"; fi
}

# ---- the work directory -------------------------------------------------------------------
# work_dir NAME: a new directory /tmp/bitnet-NAME.XXXXXX, as $WORK and the current directory;
# removed on exit, and the tmux server at $SOCK (if any) killed.
work_dir() {
    WORK=$(mktemp -d "/tmp/bitnet-$1.XXXXXX") || exit 1
    trap cleanup EXIT
    cd "$WORK" || exit 1
}
cleanup() {
    [ -z "${SOCK:-}" ] || tmux -S "$SOCK" kill-server 2>/dev/null
    rm -rf "$WORK"
}

# ---- bad input: exit status 2 and one line (README, "Command line") -----------------------
# refused [--in FILE] [--none PATH] "description" "wanted text" command...: the command, its
# stdin FILE (else /dev/null), exits with status 2 and one line on stderr that holds the
# wanted text, and leaves nothing at PATH. Its output goes to $WORK/r_out.txt and r_err.txt.
refused() {
    r_in=/dev/null r_none=
    while :; do
        case $1 in
        --in) r_in=$2 ;;
        --none) r_none=$2 ;;
        *) break ;;
        esac
        shift 2
    done
    desc=$1 want=$2
    shift 2
    "$@" <"$r_in" >"$WORK/r_out.txt" 2>"$WORK/r_err.txt"
    status=$?
    lines=$(wc -l <"$WORK/r_err.txt")
    if [ $status -eq 2 ] && grep -qF -- "$want" "$WORK/r_err.txt" && [ "$lines" -eq 1 ] &&
        { [ -z "$r_none" ] || [ ! -e "$r_none" ]; }; then
        ok
    else
        bad "$desc: status $status, $lines line(s), wanted '$want', got:"
        sed 's/^/    /' "$WORK/r_err.txt"
        [ -z "$r_none" ] || ls "$r_none" 2>/dev/null | sed 's/^/    left: /'
    fi
}

# ---- runs ---------------------------------------------------------------------------------
# value_at FILE STEP KEY: the value of KEY in the last record of FILE (scalars.jsonl) for step
# STEP that has it, as written.
value_at() {
    grep "^{\"step\": $2, " "$1" | grep "\"$3\": " | tail -n 1 |
        sed "s/.*\"$3\": \([-0-9.eE+a-z]*\).*/\1/"
}

# text_ini NAME [SECTION.KEY=VALUE ...]: on stdout, the INI of a tiny text experiment NAME:
# d=64, 2 layers, the 384-token BPE of tests/fixtures/text-dataset, which is its data; 8 rows
# of 32 tokens, one thread, no samples. Each SECTION.KEY=VALUE replaces a key or adds one.
text_ini() {
    awk -v name="$1" -v data="$SRC/tests/fixtures/text-dataset" '
    function put(sec, key, v) {
        if (!((sec, key) in val))
            keys[sec] = keys[sec] " " key
        val[sec, key] = v
    }
    BEGIN {
        put("experiment", "name", name); put("experiment", "task", "text")
        put("model", "vocab_size", "384"); put("model", "hidden_size", "64")
        put("model", "num_layers", "2"); put("model", "num_heads", "4")
        put("model", "num_kv_heads", "2"); put("model", "ffn_size", "192")
        put("model", "max_seq_len", "64"); put("model", "embedding_init_std", "0.02")
        put("training", "num_steps", "40"); put("training", "batch_size", "8")
        put("training", "seq_len", "32"); put("training", "warmup_steps", "4")
        put("training", "seed", "11"); put("training", "threads", "1")
        put("logging", "log_interval", "10"); put("logging", "sample_interval", "0")
        put("logging", "checkpoint_interval", "0"); put("data", "path", data)
        for (i = 2; i < ARGC; i++) {
            dot = index(ARGV[i], "."); eq = index(ARGV[i], "=")
            if (dot < 2 || eq < dot + 2) {
                print "text_ini: " ARGV[i] ": expected section.key=value" >"/dev/stderr"
                exit 1
            }
            put(substr(ARGV[i], 1, dot - 1), substr(ARGV[i], dot + 1, eq - dot - 1),
                substr(ARGV[i], eq + 1))
        }
        n = split("experiment model training logging data", secs, " ")
        for (s = 1; s <= n; s++) {
            printf "[%s]\n", secs[s]
            m = split(keys[secs[s]], k, " ")
            for (i = 1; i <= m; i++)
                printf "%s = %s\n", k[i], val[secs[s], k[i]]
        }
        exit 0
    }' "$@"
}

# wait_line SECONDS PATTERN FILE: until a line of FILE matches (grep -E; the file may not exist
# yet); 1 on timeout. For a background run's log: `wait_line 30 '^step 3/' run.err`.
wait_line() {
    n=$(($1 * 10))
    while ! grep -Eq "$2" "$3" 2>/dev/null; do
        [ $n -gt 0 ] || return 1
        sleep 0.1
        n=$((n - 1))
    done
}

# ---- two runs that must end alike (README, "Training on many machines") ------------------
# tensor_bytes FILE: a safetensors file's tensor bytes, without its header (which holds the
# config, so it names the run and its accumulation).
tensor_bytes() {
    n=$(od -An -t u8 -N8 "$1" | tr -d ' ')
    tail -c +$((9 + n)) "$1"
}
# same_losses A B N: runs/B logged the same N losses as runs/A, step by step.
same_losses() {
    grep -o '"step": [0-9]*, "loss": [^,]*' "runs/$1/metrics/scalars.jsonl" >a.txt
    grep -o '"step": [0-9]*, "loss": [^,]*' "runs/$2/metrics/scalars.jsonl" >b.txt
    check "$2: $3 losses as $1's" [ "$(wc -l <a.txt)" -eq "$3" ]
    check "$2: the same losses as $1" cmp -s a.txt b.txt
}
# same_checkpoint A B STEP: runs/B's checkpoint of STEP holds the same weights and the same
# AdamW moments (the whole optimizer file) as runs/A's.
same_checkpoint() {
    c=checkpoints/step_$(printf %06d "$3")
    tensor_bytes "runs/$1/$c/model.safetensors" >a.bin
    tensor_bytes "runs/$2/$c/model.safetensors" >b.bin
    check "$2: weights at step $3" [ -s b.bin ]
    check "$2: the same weights as $1 at step $3" cmp -s a.bin b.bin
    check "$2: the same AdamW moments as $1 at step $3" \
        cmp -s "runs/$1/$c/optimizer.safetensors" "runs/$2/$c/optimizer.safetensors"
}

# ---- jobs of 2 ranks under mpirun (README, "Training on many machines") -------------------
# mpi_work NAME: work_dir NAME, for a test that skips (77) in a build --without-mpi or where
# mpirun is missing; sets BUILD (the build tree), MPIEXEC (mpirun and our options) and MPIRUN
# ($MPIEXEC -np 2). Open MPI refuses root unless told; -q keeps its own banners off stderr;
# --oversubscribe lets 2 ranks run on fewer cores. Under AddressSanitizer, LeakSanitizer
# reports what Open MPI (its plugins, PMIx, hwloc, libevent) keeps allocated at
# MPI_Finalize, from plugins already unloaded, so no suppression can name them: leak
# detection is off for the runs under mpirun only (runs of one process keep it).
mpi_work() {
    BUILD=${BN_BUILDDIR:-$(dirname "$BIN")}
    [ "${BN_WITH_MPI:-yes}" = yes ] && [ -x "$BUILD/tests/test_mpi_dist" ] ||
        { echo "SKIP: built --without-mpi"; exit 77; }
    command -v mpirun >/dev/null 2>&1 || { echo "SKIP: mpirun not installed"; exit 77; }
    work_dir "$1"
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    no_leaks=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
    MPIEXEC="env ASAN_OPTIONS=$no_leaks mpirun -q --oversubscribe --bind-to none"
    MPIRUN="$MPIEXEC -np 2"
}

# ---- a rank killed mid-run (README, "Training on many machines") --------------------------
# kill_rank RUN SECONDS INI [ARG ...], after mpi_work: `$MPIRUN $BIN train INI --run-id RUN
# ARG...` in the background (output to RUN.out, RUN.err), marked by BN_TEST_JOB=$$ so that
# its ranks can be told from any other job's; once a checkpoint is out (SECONDS at most),
# kill -9 rank 1. Open MPI's launcher then ends the job (SIGTERM, then SIGKILL): it must end
# with a non-zero status within 30 s, leave at least one checkpoint, and every checkpoint
# directory in runs/RUN/checkpoints whole (a save cut short is only ever a step_N.tmp). Sets
# $newest, the newest checkpoint, for the caller to load.
kill_rank() {
    k_run=$1 k_wait=$2 k_ini=$3
    shift 3
    BN_TEST_JOB=$$ $MPIRUN -x BN_TEST_JOB "$BIN" train "$k_ini" --run-id "$k_run" "$@" \
        >"$k_run.out" 2>"$k_run.err" &
    job=$!
    wait_line "$k_wait" '^checkpoint saved' "$k_run.err"
    rank1=
    for e in /proc/[0-9]*/environ; do
        vars=$( (tr '\0' '\n' <"$e") 2>/dev/null) || continue
        case $vars in *"BN_TEST_JOB=$$"*) ;; *) continue ;; esac
        printf '%s\n' "$vars" | grep -qx 'OMPI_COMM_WORLD_RANK=1' && rank1=${e#/proc/} &&
            rank1=${rank1%/environ}
    done
    check "rank 1 found" [ -n "$rank1" ]
    start=$(date +%s)
    [ -z "$rank1" ] || kill -9 "$rank1"
    n=0
    while kill -0 $job 2>/dev/null && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
    took=$(($(date +%s) - start))
    kill -9 $job 2>/dev/null
    wait $job
    st=$?
    check "a killed rank: the job ends with a non-zero status ($st)" [ $st -ne 0 ]
    check "a killed rank: the job ends within 30 s ($took s)" [ $took -le 30 ]
    whole=0
    for d in "runs/$k_run/checkpoints/step_"*; do
        case $d in *.tmp | *.old) continue ;; esac
        if [ -s "$d/model.safetensors" ] && [ -s "$d/optimizer.safetensors" ] &&
            [ -s "$d/trainer_state.json" ]; then
            whole=$((whole + 1))
        else
            bad "partial checkpoint $d"
        fi
    done
    check "checkpoints left ($whole)" [ $whole -ge 1 ]
    newest=$(ls -d "runs/$k_run/checkpoints/step_"* | grep -v '\.' | tail -n 1)
}

# ---- the UI in a real terminal: bitnet-tui in a detached tmux session, read with
# capture-pane (README, "Terminal UI") ------------------------------------------------------
# tmux_work NAME: work_dir NAME, for a test that skips (77) without tmux; tm talks to a tmux
# server of the test's own at $SOCK (a test moves SOCK to start a fresh one).
tmux_work() {
    command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux not installed"; exit 77; }
    work_dir "$1"
    SOCK=$WORK/tmux.sock
    unset TMUX
}
tm() { tmux -S "$SOCK" "$@"; }
screen() { tm capture-pane -p -t bn 2>/dev/null; }
# wait_for SECONDS PATTERN: until the screen matches (grep -E); 1 on timeout, with the screen.
wait_for() {
    n=$(($1 * 20))
    while [ $n -gt 0 ]; do
        screen | grep -Eq "$2" && return 0
        sleep 0.05
        n=$((n - 1))
    done
    echo "timed out waiting for /$2/; the screen:"
    screen
    return 1
}
# open_ui COLS ROWS [VAR=VALUE ...]: bitnet-tui, with these variables, in session bn of a
# COLSxROWS terminal; when it exits, `stty -a` goes to $WORK/stty, then its status to
# $WORK/status (in that order: once wait_exit sees the status, the stty file is whole).
# Under ASan, LeakSanitizer checks the UI too (a leak makes the exit status 23): with
# Debian's ncurses 6.4 it reports none, so leak detection stays on.
open_ui() {
    cols=$1 rows=$2
    shift 2
    rm -f "$WORK/status" "$WORK/stty"
    tm new-session -d -s bn -x "$cols" -y "$rows" \
        "env $* '$BIN'; s=\$?; stty -a > '$WORK/stty'; echo \$s > '$WORK/status'; sleep 600"
}
# wait_exit: until the UI has exited (its status file is written), 20 s at most.
wait_exit() {
    n=0
    while [ ! -s "$WORK/status" ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
}
