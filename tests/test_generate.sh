#!/bin/sh
# generate and chat on a tiny text model trained here on the fixture dataset (README,
# "Inference"): generate prints valid UTF-8, the same text for the same seed (on two threads
# and on the reference kernel too) and another for another seed, greedy (temperature 0) text does not depend on the seed, tok/s on
# stderr; chat over stdin with a small context overflows (the drop line appears, no crash)
# and takes its /commands; bad input (a prompt longer than the context, temperature < 0,
# top-p outside (0, 1], a non-text checkpoint) gets one line and exit status 2.
set -u
. "${srcdir:-.}/tests/lib.sh"
work_dir generate
valid_utf8() { iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1; }

# ---- a tiny text model: d=64, 2 layers, 300 steps of 8 x 64 tokens, context 64 ---------
text_ini tinygen training.num_steps=300 training.seq_len=64 training.warmup_steps=20 \
    logging.log_interval=50 >tiny.ini
"$BIN" --batch tiny.ini --run-id g >train.txt 2>&1
check "training exits 0" [ $? -eq 0 ]
C=runs/g/checkpoints/step_000300

# ---- generate --------------------------------------------------------------------------
gen() { "$BIN" generate $C --prompt "Once upon a time" --max-tokens 40 "$@"; }
gen --seed 1 >s1.txt 2>e1.txt
check "generate exits 0 ($(cat e1.txt))" [ $? -eq 0 ]
check "generate prints text" [ "$(wc -c <s1.txt)" -gt 5 ]
check "the text is valid UTF-8" valid_utf8 s1.txt
check "tok/s on stderr" grep -q "tok/s" e1.txt
check "one line on stderr" [ "$(wc -l <e1.txt)" -eq 1 ]
gen --seed 1 >s1b.txt 2>/dev/null
check "the same seed, the same text" cmp -s s1.txt s1b.txt
gen --seed 1 --threads 2 >s1t.txt 2>/dev/null
check "two threads, the same text" cmp -s s1.txt s1t.txt
gen --seed 1 --kernel ref >s1r.txt 2>/dev/null
check "the reference kernel, the same text" cmp -s s1.txt s1r.txt
gen --seed 2 >s2.txt 2>/dev/null
check "another seed, another text" sh -c '! cmp -s s1.txt s2.txt'
check "seed 2 text is valid UTF-8" valid_utf8 s2.txt
gen --temperature 0 --seed 1 >g1.txt 2>/dev/null
gen --temperature 0 --seed 2 >g2.txt 2>/dev/null
check "greedy text does not depend on the seed" cmp -s g1.txt g2.txt
gen --top-k 1 --seed 3 >k1.txt 2>/dev/null
check "top-k 1 is greedy" cmp -s g1.txt k1.txt
"$BIN" generate $C --prompt "" --max-tokens 10 --seed 4 >empty.txt 2>/dev/null
check "an empty prompt starts a new story" [ $? -eq 0 ]

# ---- chat: a context of 64 tokens overflows within a few turns -------------------------
cat >chat_in.txt <<EOF2
Once upon a time there was a little girl.
/temp 0.5
/top_p 0.9
/top_k 40
/seed 7
/top_p 1.5
She liked to play in the park with her friends every day.
/help
One day she found a big red ball under the tree.
Her mom said it was time to go home for dinner.
/reset
The dog ran fast.
EOF2
"$BIN" chat $C --max-tokens 24 --seed 1 <chat_in.txt >chat_out.txt 2>chat_err.txt
check "chat exits 0 ($(cat chat_err.txt))" [ $? -eq 0 ]
check "chat says when it drops turns" grep -q "context full: dropped the" chat_out.txt
check "/temp takes effect" grep -q "(temperature 0.5, top-p 0.95, top-k 0)" chat_out.txt
check "/top_k takes effect" grep -q "top-k 40)" chat_out.txt
check "/seed" grep -q "(seed 7)" chat_out.txt
check "a bad /top_p is refused, chat goes on" grep -q "top-p 1.5: must be in (0, 1]" chat_out.txt
check "/help" grep -q "/reset" chat_out.txt
check "/reset" grep -q "(a new story)" chat_out.txt
check "the chat is valid UTF-8" valid_utf8 chat_out.txt
"$BIN" chat $C --max-tokens 24 --seed 1 <chat_in.txt >chat_out2.txt 2>/dev/null
check "the same seed, the same chat" cmp -s chat_out.txt chat_out2.txt

# ---- bad input ---------------------------------------------------------------------------
long=$(awk 'BEGIN { for (i = 0; i < 80; i++) printf "story "; }')
refused "a prompt longer than the context" "the context holds 64" \
    "$BIN" generate $C --prompt "$long"
refused "temperature below 0" "temperature -0.5: must be a number >= 0" \
    "$BIN" generate $C --prompt hi --temperature -0.5
refused "top-p 0" "top-p 0: must be in (0, 1]" "$BIN" generate $C --prompt hi --top-p 0
refused "top-p above 1" "top-p 1.2: must be in (0, 1]" "$BIN" generate $C --prompt hi --top-p 1.2
refused "temperature not a number" "temperature warm: not a number" \
    "$BIN" generate $C --prompt hi --temperature warm
refused "chat: top-p outside" "top-p 2: must be in (0, 1]" "$BIN" chat $C --top-p 2
refused "a missing checkpoint" "generate" "$BIN" generate nowhere/step_000001 --prompt hi
FIXV1=$SRC/tests/fixtures/v1/arith
ARITH=$(ls -d "$FIXV1"/checkpoints/step_* 2>/dev/null | head -n 1)
if [ -n "$ARITH" ]; then
    refused "chat: an arithmetic checkpoint" "generate and chat need a text one" \
        "$BIN" chat "$ARITH"
    refused "generate: an arithmetic checkpoint" "generate and chat need a text one" \
        "$BIN" generate "$ARITH" --prompt hi
else
    bad "no arithmetic checkpoint under tests/fixtures/v1/arith"
fi

echo "test_generate: $pass passed, $fail failed"
[ $fail -eq 0 ]
