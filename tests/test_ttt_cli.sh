#!/bin/sh
# Tic-tac-toe end to end: a tiny model trained here (800 steps, 1 thread, ~30 s) answers the
# `move` protocol with legal moves, refuses bad positions with JSON error lines while the
# stream goes on, plays `play` from stdin, is evaluated by `eval`; a resumed tic-tac-toe run
# continues bit for bit.
set -u
. "${srcdir:-.}/tests/lib.sh"
work_dir ttt
cp -r "$SRC/experiments" .
TINY="--threads 1 --batch-size 32 --seq-len 96 --set training.warmup_steps=30 \
 --set model.hidden_size=96 --set model.num_layers=2 --set model.num_heads=2 \
 --set model.num_kv_heads=1 --set model.ffn_size=288 --set model.embedding_init_std=0.02 \
 --set training.peak_lr=3e-3 --set logging.eval_problems=40 --log-interval 50"

# ---- 1. train a tiny model -----------------------------------------------------------
$BIN --batch tictactoe $TINY --num-steps 800 --sample-interval 400 --run-id tiny \
    >train.out 2>train.err
check "training exits 0" [ $? -eq 0 ]
C=runs/tiny/checkpoints/step_000800
check "checkpoint written" [ -s $C/model.safetensors ]
check "samples.jsonl has the game evaluation" grep -q '"kind": "tictactoe_eval"' \
    runs/tiny/samples/samples.jsonl
check "scalars.jsonl has the eval keys" grep -q '"eval_legal_rate"' runs/tiny/metrics/scalars.jsonl
check "progress shows the evaluation" grep -q 'eval step 400: legal' train.err

# ---- 2. move: positions from games in progress ---------------------------------------
cat >positions.txt <<'EOF'
_________
____X____
X___O____
X___O___X
XO__O___X
_ _ _ _ _ _ _ _ _ | X:0 | O:4 | X:8 | O:2
_ _ _ _ _ _ _ _ _ | X:4 | O:0
_ _ _ _ _ _ _ _ _ | X:4 | O:0 | X:2 | O:6 | X:3
_ _ _ _ _ _ _ _ _ | X:1 | O:4 | X:7
_ _ _ _ _ _ _ _ _ | X:8 | O:0 | X:6 | O:7
_ _ _ _ _ _ _ _ _ | X:2
_ _ _ _ _ _ _ _ _ | X:0 | O:1
_ _ _ _ _ _ _ _ _ | X:4 | O:8 | X:0
_ _ _ _ _ _ _ _ _ | X:5 | O:3 | X:4 | O:6
_ _ _ _ _ _ _ _ _ | X:6 | O:2 | X:0 | O:3 | X:4
_ _ _ _ _ _ _ _ _ | X:3
_ _ _ _ _ _ _ _ _ | X:7 | O:4
_ _ _ _ _ _ _ _ _ | X:4 | O:2 | X:6
_ _ _ _ _ _ _ _ _ | X:0 | O:8 | X:2 | O:1
_ _ _ _ _ _ _ _ _ | X:4 | O:1 | X:0 | O:8 | X:3 | O:5
EOF
$BIN move $C <positions.txt >moves.jsonl 2>move.err
check "move exits 0" [ $? -eq 0 ]
check "one answer per position" [ "$(wc -l <moves.jsonl)" -eq "$(wc -l <positions.txt)" ]
# Every answer: a cell that was empty, nine probabilities; the top digit (unmasked) legal in
# at least 90% of the positions (bare ones are asked as games from the empty board).
python_free_check() { # the board and cell of each line, checked with awk
    awk '
    {
        b = $0; sub(/.*"board": "/, "", b); b = substr(b, 1, 9)
        c = $0; sub(/.*"cell": /, "", c); sub(/,.*/, "", c)
        p = $0; sub(/.*"probs": \[/, "", p); sub(/\].*/, "", p)
        n = split(p, probs, ", ")
        if (substr(b, c + 1, 1) != "_" || n != 9) { print "bad answer: " $0; bad++ }
        if ($0 ~ /"legal_unmasked": true/) legal++
        total++
    }
    END {
        printf "%d of %d legal unmasked\n", legal, total
        exit (bad > 0 || legal < 0.9 * total) ? 1 : 0
    }' moves.jsonl
}
check "answers are empty cells; >= 90% legal unmasked" python_free_check

line_has() { sed -n "$1p" bad.jsonl | grep -q -- "$2"; }
# Bad positions: JSON errors, and the stream goes on.
printf '%s\n' 'X_O______' 'XX_______' 'XXXOO____' 'X_O_____' 'XOXXOOOXX' \
    '_ _ _ _ _ _ _ _ _ | X:4 | O:4' '_ _ _ _ _ _ _ _ _ | X:4 | X:0' 'hello' '____X____' \
    >bad.txt
$BIN move $C <bad.txt >bad.jsonl 2>bad.err
check "move with bad lines exits 0" [ $? -eq 0 ]
check "one line per input line" [ "$(wc -l <bad.jsonl)" -eq 9 ]
check "first answer is a move" line_has 1 '"cell": '
check "impossible counts refused" line_has 2 '"error": "impossible counts'
check "game over refused" line_has 3 '"error": "game already over: X wins"'
check "wrong length refused" line_has 4 '"error": "the position must start'
check "full board refused" line_has 5 'game already over: draw'
check "occupied cell refused" line_has 6 'occupied'
check "wrong side refused" line_has 7 "O's turn"
check "garbage refused" line_has 8 '"error"'
check "the stream goes on after errors" line_has 9 '"player": "O", "cell"'

# --board / --player: one position.
$BIN move $C --board X___O____ --player X >one.json 2>one.err
check "--board answers" grep -q '"board": "X___O____", "player": "X"' one.json
$BIN move $C --board X___O____ --player O >one.json 2>one.err
check "--player against the counts: status 2" [ $? -eq 2 ]
check "--player against the counts: JSON error" grep -q '"error": "it is X' one.json
$BIN move $C --board XXX >one.json 2>one.err
check "--board wrong length: status 2" [ $? -eq 2 ]
$BIN move $C --player Z >/dev/null 2>one.err
check "--player Z refused" grep -q -- '--player Z: must be X or O' one.err
$BIN move >/dev/null 2>one.err
check "move without a checkpoint refused" grep -q 'move needs a CHECKPOINT' one.err
$BIN --batch arithmetic --threads 1 --num-steps 2 --set training.warmup_steps=1 --batch-size 2 \
    --seq-len 16 --set model.hidden_size=32 --set model.num_layers=1 --set model.ffn_size=32 \
    --sample-interval 0 --run-id arith >/dev/null 2>&1
$BIN move runs/arith/checkpoints/step_000002 --board _________ >/dev/null 2>one.err
check "move on an arithmetic checkpoint: status 2" [ $? -eq 2 ]
check "move on an arithmetic checkpoint: says so" grep -q 'move and play need a tictactoe one' one.err

# ---- 3. play from stdin; eval ------------------------------------------------------
seq 0 8 >moves.txt
printf 'n\n' >>moves.txt
$BIN play $C --player X <moves.txt >play.out 2>play.err
check "play exits 0" [ $? -eq 0 ]
check "play ends a game with a score" grep -q 'Score: you' play.out
check "play writes the game text" grep -q '^_ _ _ _ _ _ _ _ _ | X:0' play.out
$BIN eval $C --games 40 >eval.json 2>eval.err
check "eval exits 0" [ $? -eq 0 ]
check "eval reports the legal rate and both modes" \
    grep -q '"legal_rate": .*"unmasked": {"random": {"X": {"games": 10.*"masked": ' eval.json

# ---- 4. resume is bit-identical -------------------------------------------------------
R="$TINY --sample-interval 0 --log-interval 1 --set training.warmup_steps=5"
$BIN --batch tictactoe $R --num-steps 20 --run-id whole >/dev/null 2>&1
$BIN --batch tictactoe $R --num-steps 20 --checkpoint-interval 10 --run-id part \
    >/dev/null 2>&1
rm -rf runs/part/checkpoints/step_000020
$BIN --batch --resume runs/part --num-steps 20 >/dev/null 2>&1
check "resume ran" [ $? -eq 0 ]
last() { grep '"step": 20,' "$1" | tail -1 | sed 's/.*"loss": \([^,]*\),.*/\1/'; }
W=$(last runs/whole/metrics/scalars.jsonl)
P=$(last runs/part/metrics/scalars.jsonl)
same_loss() { [ -n "$W" ] && [ "$W" = "$P" ]; }
check "resumed loss at step 20 ($P) equals the uninterrupted one ($W)" same_loss

echo "test_ttt_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
