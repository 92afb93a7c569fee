#!/bin/sh
# The chat pane on a text run, end to end in a real terminal of 80x24 (README, "Terminal
# UI"): bitnet-tui in a detached tmux session, read with capture-pane. A tiny text model is
# trained first (on tests/fixtures/text-dataset, a fraction of a second). As a past run: the
# pane shows the sampling settings; /temp 0.5, /top_k 40 and /seed 5 change them, /temp -1 is
# refused in one line and keeps 0.5; a prompt is continued from the run's checkpoint by the
# worker thread (the pane then holds text besides the prompt, and the log names the settings
# and the seed); Esc leaves the chat, q exits 0. As a live run (started
# from the form): the training thread answers between steps with a new seed per prompt; Esc
# while an answer streams leaves the UI answering keys; q and y stop the run and exit 0.
set -u
. "${srcdir:-.}/tests/lib.sh"
tmux_work tui-text
# The chat pane's text (right of the status pane), without its settings line, its input line,
# borders and spaces: one string.
chat_text() {
    screen | sed -n '/Chat/,$p' | sed -n 's/.*││//p' | sed '1d; /^> *│$/d' | tr -d ' │\n'
}
# The characters of the chat pane besides the prompt (spaces removed) and a pending " ...":
# the answers (a long one pushes its prompt out of the pane's top).
answer_chars() {
    chat_text | sed "s/$1//; s/\.\.\.\$//" | LC_ALL=C.UTF-8 wc -m
}
# wait_answer PROMPT MIN: until the pane holds more than MIN characters of answer (20 s; the
# screen is printed on a timeout).
wait_answer() {
    n=400
    while [ $n -gt 0 ]; do
        [ "$(answer_chars "$1")" -gt "$2" ] && return 0
        sleep 0.05
        n=$((n - 1))
    done
    echo "timed out waiting for more than $2 characters of answer; the screen:"
    screen
    return 1
}
# The chat's input line without spaces: ">" when empty, ">Lily" while Lily waits to be sent.
input_line() {
    screen | sed -n '/Chat (typing/,$p' | sed -n 's/.*││//p' | tail -n 1 | tr -d ' │'
}
# send_prompt: Enter until the prompt is taken (the input line empties; 20 s). A server takes
# one prompt at a time: while the previous answer streams, Enter is refused ("busy with the
# previous prompt") and the text stays in the input line.
send_prompt() {
    n=40
    while [ $n -gt 0 ]; do
        tm send-keys -t bn Enter
        k=10
        while [ $k -gt 0 ]; do
            [ "$(input_line)" = ">" ] && return 0
            sleep 0.05
            k=$((k - 1))
        done
        n=$((n - 1))
    done
    echo "the prompt was never taken; the screen:"
    screen
    return 1
}
# The log pane's lines joined (wrapped lines become one), without spaces.
log_has() { screen | sed -n 's/.*││//p' | tr -d ' │\n' | grep -Eq "$1"; }
# wait_log PATTERN: until the log pane matches (5 s; the screen is printed on a timeout).
wait_log() {
    n=100
    while [ $n -gt 0 ]; do
        log_has "$1" && return 0
        sleep 0.05
        n=$((n - 1))
    done
    echo "timed out waiting for /$1/ in the log; the screen:"
    screen
    return 1
}
start_ui() { open_ui 80 24 LANG=C.UTF-8; }
# ini STEPS CONTEXT: a tiny text model on the fixture. The fp32 backward and the small
# embedding init keep the trained model (and so the seeded answer below) the same on CPUs with
# and without AMX. The past run's context of 4096 lets an answer run long enough to be stopped
# by Esc (training is the same with any max_seq_len); the live run keeps 128, as a decoder
# sized for 4096 is slow to set up under AddressSanitizer.
ini() {
    text_ini tinychat model.hidden_size=32 model.num_layers=1 model.num_heads=2 \
        model.num_kv_heads=1 model.ffn_size=64 model.max_seq_len="$2" training.num_steps="$1" \
        training.batch_size=4 training.warmup_steps=5 training.backward_precision=fp32
}
ini 60 4096 >past.ini
"$BIN" --batch past.ini --run-id past >train.txt 2>&1
check "the tiny text run trains ($(tail -1 train.txt))" [ -d runs/past/checkpoints/step_000060 ]

# ---- a past run: settings, commands, a story continued from its checkpoint ----------------
start_ui
check "the UI starts" wait_for 10 'Experiments \(Enter'
tm send-keys -t bn End Enter
check "Enter opens the past text run" wait_for 5 'Status: tinychat, finished'
tm send-keys -t bn 5
check "5 focuses the chat" wait_for 5 'Chat \(typing here'
check "the settings line: the defaults, a new seed per prompt" \
    wait_for 2 'temp 0\.9 +top-p 0\.95 +top-k 0 +seed new'
check "the footer names the commands" wait_for 1 '/temp /top_p /top_k /seed'
tm send-keys -t bn '/temp 0.5' Enter
check "/temp 0.5 changes the shown setting" wait_for 2 'temp 0\.5 +top-p 0\.95'
tm send-keys -t bn '/temp -1' Enter
check "/temp -1 is refused in the pane" wait_for 2 'temperature -1: must be a number'
check "... and the temperature stays 0.5" wait_for 1 'temp 0\.5 +top-p 0\.95'
tm send-keys -t bn '/top_k 40' Enter '/seed 5' Enter
check "/top_k 40 and /seed 5 are shown" wait_for 2 'temp 0\.5 +top-p 0\.95 +top-k 40 +seed 5'
tm send-keys -t bn 'Once upon a time'
wait_for 2 '> Once upon a time' >/dev/null
tm send-keys -t bn Enter
check "the prompt stays in the pane" wait_for 5 '││> Once upon a'
check "the answer streamed into the pane" wait_answer '>Onceuponatime' 8
tm send-keys -t bn Escape
check "Esc leaves the chat" wait_for 2 '─ Chat ─'
tm send-keys -t bn 4
check "the log names the settings and the seed" \
    wait_log 'chat:temp0\.5top-p0\.95top-k40seed5:Onceuponatime'
# Esc while a long answer streams stops it: greedy (/top_k 1; this model then repeats itself
# without an end of text) for up to 4000 tokens, a fraction of a second of work or more
# (max_seq_len 4096 above: the context; training is the same with any max_seq_len). Esc
# goes with the Enter: ncurses' 25 ms wait for a lone Esc is far shorter than the answer.
tm send-keys -t bn 5
wait_for 5 'Chat \(typing here' >/dev/null
tm send-keys -t bn '/top_k 1' Enter '/max_tokens 4000' Enter
check "/max_tokens 4000 is taken" wait_for 2 'answers of up to 4000 tokens'
tm send-keys -t bn 'Lily' Enter Escape
check "Esc stops it: the pane shows it cut, [stopped]" wait_for 10 '\[stopped\] *│$'
tm send-keys -t bn 4
check "the log says the answer stopped, and how long after Esc" \
    wait_log 'chat:stoppedbyEscin[0-9]+ms,[0-9]+bytes:Lily'
tm send-keys -t bn q
wait_exit
check "q exits, status 0 (got $(cat status 2>/dev/null))" [ "$(cat status 2>/dev/null)" = 0 ]

# ---- a live run: the training thread continues the prompt between steps -----------------
tm kill-server
SOCK=$WORK/tmux2.sock
mkdir experiments
ini 1000000 128 >experiments/tinychat.ini
start_ui
wait_for 10 'Experiments \(Enter' >/dev/null
tm send-keys -t bn Home Enter
check "the form of the text experiment" wait_for 5 'Train tinychat'
tm send-keys -t bn Enter
check "the run trains" wait_for 20 'running +step [1-9][0-9]*/1000000'
tm send-keys -t bn 5
wait_for 5 'Chat \(typing here' >/dev/null
tm send-keys -t bn 'Once upon a time'
wait_for 2 '> Once upon a time' >/dev/null
tm send-keys -t bn Enter
check "live: the answer streamed into the pane" wait_answer '>Onceuponatime' 0
tm send-keys -t bn 'Lily'
wait_for 2 '> Lily' >/dev/null
check "live: a second prompt is taken (once the first answer is done)" send_prompt
tm send-keys -t bn Escape '?'
check "live: Esc right after a prompt leaves the UI answering keys" wait_for 2 '─ Keys ─'
tm send-keys -t bn Escape 4
check "live: each prompt drew from a new seed, named in the log" \
    wait_log 'chat:temp0\.9top-p0\.95top-k0seed[0-9]+:Lily'
check "live: still training" wait_for 5 'running +step'
tm send-keys -t bn q
check "q asks first while the run trains" wait_for 5 'Quit\?'
tm send-keys -t bn y
wait_exit
check "q, y: exit status 0 (got $(cat status 2>/dev/null))" [ "$(cat status 2>/dev/null)" = 0 ]
check "the live run is marked stopped" grep -q '"state": "stopped"' runs/bitnet_*_tinychat_*/meta/state.json

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
