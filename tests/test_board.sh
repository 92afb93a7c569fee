#!/bin/sh
# The board pane in a real terminal (tmux): a tiny tic-tac-toe model trained here with
# --batch opens as a past run; on the board a digit places X and the model's O appears,
# answered by the checkpoint worker, with its heat map; playing O makes the model open;
# cursor keys and Enter place a mark; a taken cell is refused. Then a live tic-tac-toe run
# started from the form answers from the training thread; at 80x24 the board shares the
# bottom slot.
set -u
. "${srcdir:-.}/tests/lib.sh"
tmux_work board
cp -r "$SRC/experiments" .
# The board's rows as drawn: "  X  |  1  |  O  ".
row_is() { screen | grep -Eq "│$1 *│"; }
TINY="--set model.hidden_size=64 --set model.num_layers=2 --set model.num_heads=2 \
 --set model.num_kv_heads=1 --set model.ffn_size=192 --set model.embedding_init_std=0.02"

# ---- a past run: the worker answers from its checkpoint --------------------------------
"$BIN" --batch tictactoe $TINY --threads 1 --batch-size 16 --seq-len 96 --num-steps 200 \
    --set training.warmup_steps=20 --sample-interval 0 --run-id past >train.out 2>&1
check "a tiny tictactoe run trains" [ $? -eq 0 ]
open_ui 120 40
wait_for 10 'Experiments \(Enter' >/dev/null
tm send-keys -t bn End Enter
check "the run opens" wait_for 5 'Status: tictactoe, finished'
tm send-keys -t bn 6
check "6 focuses the board, you play X" wait_for 2 'Board: you X  0-0-0'
tm send-keys -t bn 4
check "the model answers a mark in the centre" wait_for 10 'model played [0-8] \([0-9]+%\)'
check "the X is on the board" row_is '  [0-9O]  \|  X  \|  [0-9O]  '
check "an O is on the board" sh -c "tmux -S '$SOCK' capture-pane -p -t bn | grep -Eq '│.*  O  .*│'"
check "the heat map shows percentages" wait_for 1 '[0-9]+%\|.*[0-9]+%\|.*[0-9]+%'
tm send-keys -t bn 4
check "a taken cell is refused" wait_for 2 'cell 4 is taken'
tm send-keys -t bn o
check "o: a new game as O, the model opens" wait_for 10 'Board: you O  0-0-0'
check "the model's X arrives" wait_for 10 'model played [0-8]'
# Play the game out with cursor keys and Enter: try every cell until it ends.
for i in 1 2 3 4 5 6 7 8 9; do
    screen | grep -Eq 'Board: you O  (1-0-0|0-1-0|0-0-1)' && break
    for k in Right Right Right Down; do
        tm send-keys -t bn Enter
        sleep 0.3
        screen | grep -Eq 'Board: you O  (1-0-0|0-1-0|0-0-1)' && break 2
        tm send-keys -t bn "$k"
    done
done
check "the score counts the game" wait_for 10 'Board: you O  (1-0-0|0-1-0|0-0-1)'
check "the result is shown" wait_for 2 '(you win|the model wins|draw) \('
tm send-keys -t bn q
wait_exit
check "q exits 0" [ "$(cat status 2>/dev/null)" = 0 ]
cp "$WORK/status" /dev/null 2>&1

# ---- a live run: the training thread answers; 80x24 puts the board in the shared slot ----
tm kill-server
SOCK=$WORK/tmux2.sock
open_ui 80 24
wait_for 10 'Experiments \(Enter' >/dev/null
tm send-keys -t bn Down Down Enter
check "the tictactoe form opens" wait_for 5 'Train tictactoe'
tm send-keys -t bn 20000 Down 16 Down 96 Down live Down 1 Down \
    'model.hidden_size=64 model.num_layers=2 model.num_heads=2 model.num_kv_heads=1' \
    ' model.ffn_size=192 logging.sample_interval=0 training.warmup_steps=20' Enter
check "the live run starts" wait_for 20 'running +step [1-9][0-9]*/20000'
tm send-keys -t bn 6
check "the board takes the shared slot" wait_for 2 'Board: you X'
tm send-keys -t bn 0
check "the live model answers" wait_for 10 'model played [0-8]'
check "the X is in the corner" row_is '  X  \|  [0-9O]  \|  [0-9O]  .*'
tm send-keys -t bn Tab q
check "quitting asks first" wait_for 5 'Quit'
tm send-keys -t bn y
wait_exit
check "the live run stops and the UI exits 0" [ "$(cat status 2>/dev/null)" = 0 ]

echo "test_board: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
