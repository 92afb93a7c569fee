/* ttt_cmd.c - `move CHECKPOINT` (a line protocol: positions in, one JSON object per line
 * out) and `play CHECKPOINT` (a line-mode game against the model in any terminal). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "io/infer_load.h"
#include "task/eval_ttt.h"
#include "io/jsonio.h"
#include "task/task.h"
#include "task/ttt.h"

#define LINE_MAX_LEN 512

/* Before the model is built: refuse other tasks, apply --set, choose the kernels. */
static bn_status prepare_ttt(void *ctx, bn_config *cfg, bn_infer_opts *opts, bn_error *err)
{
    const bn_cli *cli = ctx;
    if (bn_task_find(cfg->experiment.task) != &bn_task_tictactoe)
        return bn_fail(err, BN_ERR_INPUT, "%s: a %s checkpoint; move and play need a tictactoe one",
                       cli->checkpoint, bn_task_name(cfg->experiment.task));
    bn_status s = bn_cli_apply_sets(cli, cfg, err);
    if (s == BN_OK)
        s = bn_select_kernels(cli->kernel, &opts->kernels, err);
    return s;
}

/* Load a tic-tac-toe checkpoint for inference, one row at a time. */
static bn_status load_ttt_model(const bn_cli *cli, bn_model *m, bn_tokenizer **tok,
                                bn_error *err)
{
    bn_config cfg;
    bn_infer_opts opts = {.max_batch = 1, .threads = 1, .prepare = prepare_ttt,
                          .ctx = (void *)cli};
    bn_status s = bn_inference_load(cli->checkpoint, &opts, m, &cfg, NULL, err);
    if (s == BN_OK)
        s = bn_task_tictactoe.open_tokenizer(&cfg, tok, err);
    return s;
}

/* ---------------------------------------------------------------- move */

/* One JSON line on stdout (a record of the move protocol). */
static void print_record(json_t *rec)
{
    char *line = rec ? bn_json_line(rec, BN_JSON_RECORD) : NULL;
    json_decref(rec);
    printf("%s\n", line ? line : "{\"error\": \"out of memory\"}");
    free(line);
}

/* {"error": why, "input": the line}; JSON text is UTF-8, so an input that is not is shown
 * with its non-ASCII bytes as '?'. */
static void print_error(const char *input, const char *why)
{
    char shown[LINE_MAX_LEN];
    snprintf(shown, sizeof shown, "%s", input);
    json_t *in = json_string(shown);
    for (size_t i = 0; !in && shown[i]; i++)
        if ((unsigned char)shown[i] >= 0x80)
            shown[i] = '?';
    if (!in)
        in = json_string(shown);
    print_record(json_pack("{s:s, s:o}", "error", why, "input", in ? in : json_null()));
}

/* The answer's record: board, player, chosen cell, unmasked top digit, nine probabilities. */
static json_t *answer_record(const char b[BN_TTT_CELLS], const bn_ttt_answer *a)
{
    json_t *probs = json_array();
    for (int i = 0; probs && i < BN_TTT_CELLS; i++)
        json_array_append_new(probs, bn_json_number(round(a->probs[i] * 1e4) / 1e4));
    return json_pack("{s:s#, s:s#, s:i, s:i, s:b, s:o}", "board", b, (size_t)BN_TTT_CELLS,
                     "player", &a->player, (size_t)1, "cell", a->cell, "top_digit",
                     a->top_digit, "legal_unmasked", a->legal, "probs", probs);
}

/* Answer one line; returns 0 when it was refused, -1 when the model could not answer (out
 * of memory: said on stderr). */
static int answer_line(bn_model *m, const bn_tokenizer *tok, const char *line, char player)
{
    bn_ttt_game g;
    const char *why = bn_ttt_parse(line, &g);
    char b[BN_TTT_CELLS], msg[128];
    if (!why) {
        bn_ttt_game_board(&g, b);
        why = bn_ttt_check_position(b);
    }
    if (!why && player && player != bn_ttt_to_move(b)) {
        snprintf(msg, sizeof msg, "it is %c's turn, not %c's (X moves first; the counts decide)",
                 bn_ttt_to_move(b), player);
        why = msg;
    }
    if (why) {
        print_error(line, why);
        return 0;
    }
    /* A position that does not start from the empty board is asked as a game from the empty
     * board (the model reads the board from the moves: on all 4,520 positions the default
     * model's top digit was legal for 100% this way, against 75% given bare; README). */
    if (memchr(g.start, 'X', BN_TTT_CELLS) || memchr(g.start, 'O', BN_TTT_CELLS)) {
        bn_ttt_game rest = g;
        bn_ttt_game_from_position(g.start, &g);
        for (int i = 0; i < rest.n_moves; i++)
            g.moves[g.n_moves++] = rest.moves[i];
    }
    bn_ttt_answer a;
    bn_error err = {0};
    if (bn_ttt_model_answer(m, tok, &g, 1, &a, &err) != BN_OK) {
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        return -1;
    }
    print_record(answer_record(b, &a));
    return 1;
}

int bn_cmd_move(const bn_cli *cli)
{
    bn_error err = {0};
    bn_model m;
    bn_tokenizer *tok = NULL;
    bn_status s = load_ttt_model(cli, &m, &tok, &err);
    if (s != BN_OK) {
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        bn_tok_free(tok);
        bn_model_free(&m);
        return bn_exit_status(s);
    }
    int status = BN_EXIT_OK;
    if (cli->board) {
        int r = answer_line(&m, tok, cli->board, cli->player);
        status = r > 0 ? BN_EXIT_OK : r == 0 ? BN_EXIT_INPUT : BN_EXIT_RUNTIME;
    } else {
        char line[LINE_MAX_LEN];
        while (fgets(line, sizeof line, stdin)) {
            size_t n = strcspn(line, "\r\n");
            int whole = line[n] != '\0' || feof(stdin);
            line[n] = '\0';
            if (!whole) { /* an over-long line: refuse it and skip its rest */
                int c;
                while ((c = getchar()) != EOF && c != '\n')
                    ;
                print_error(line, "line too long for a tic-tac-toe position");
            } else if (line[0] != '\0' && answer_line(&m, tok, line, cli->player) < 0) {
                status = BN_EXIT_RUNTIME;
                break;
            }
            fflush(stdout);
        }
    }
    bn_tok_free(tok);
    bn_model_free(&m);
    return status;
}

/* ---------------------------------------------------------------- play */

static void show_board(const char b[BN_TTT_CELLS], const float *probs)
{
    for (int r = 0; r < 3; r++) {
        printf("   ");
        for (int c = 0; c < 3; c++) {
            int i = r * 3 + c;
            printf(" %c %s", b[i] == '_' ? (char)('0' + i) : b[i], c < 2 ? "|" : "");
        }
        if (probs) {
            printf("      model:");
            for (int c = 0; c < 3; c++)
                printf(" %3.0f%%", 100.0 * probs[r * 3 + c]);
        }
        printf("\n%s", r < 2 ? "   ---+---+---\n" : "");
    }
}

/* The person's move: a free cell 0-8; -1 at EOF or 'q'. */
static int read_move(const char b[BN_TTT_CELLS])
{
    char line[64];
    for (;;) {
        printf("your move (0-8, q quits): ");
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin) || line[0] == 'q')
            return -1;
        int c = line[0] - '0';
        if (c >= 0 && c < BN_TTT_CELLS && b[c] == '_' && (line[1] == '\n' || line[1] == '\0'))
            return c;
        printf("not a free cell\n");
    }
}

/* One game; returns its result, or BN_TTT_ONGOING when the person quit or the model could
 * not answer (err set). */
static bn_ttt_result play_game(bn_model *m, const bn_tokenizer *tok, char human, bn_error *err)
{
    bn_ttt_game g;
    memset(&g, 0, sizeof g);
    memset(g.start, '_', BN_TTT_CELLS);
    char b[BN_TTT_CELLS];
    memcpy(b, g.start, sizeof b);
    show_board(b, NULL);
    while (bn_ttt_result_of(b, NULL) == BN_TTT_ONGOING) {
        char me = bn_ttt_to_move(b);
        int cell;
        if (me == human) {
            if ((cell = read_move(b)) < 0)
                return BN_TTT_ONGOING;
        } else {
            bn_ttt_answer a;
            if (bn_ttt_model_answer(m, tok, &g, 1, &a, err) != BN_OK)
                return BN_TTT_ONGOING;
            cell = a.cell;
            printf("model (%c) plays %d (p %.0f%%%s)\n", me, cell, 100.0 * a.probs[cell],
                   a.legal ? "" : "; its top digit was not a free cell");
            b[cell] = me;
            g.moves[g.n_moves++] = cell;
            show_board(b, a.probs);
            continue;
        }
        b[cell] = me;
        g.moves[g.n_moves++] = cell;
        show_board(b, NULL);
    }
    g.result = bn_ttt_result_of(b, NULL);
    char text[BN_TTT_TEXT_MAX];
    bn_ttt_format(&g, 1, text, sizeof text);
    printf("%s\n", text);
    return g.result;
}

int bn_cmd_play(const bn_cli *cli)
{
    bn_error err = {0};
    bn_model m;
    bn_tokenizer *tok = NULL;
    bn_status s = load_ttt_model(cli, &m, &tok, &err);
    if (s != BN_OK) {
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
        bn_tok_free(tok);
        bn_model_free(&m);
        return bn_exit_status(s);
    }
    char human = cli->player ? cli->player : 'X';
    int you = 0, model = 0, draws = 0;
    printf("You play %c, the model %c; cells are numbered 0-8 row by row.\n", human,
           human == 'X' ? 'O' : 'X');
    for (;;) {
        bn_ttt_result r = play_game(&m, tok, human, &err);
        if (r == BN_TTT_ONGOING)
            break;
        you += r == (human == 'X' ? BN_TTT_X_WINS : BN_TTT_O_WINS);
        model += r == (human == 'X' ? BN_TTT_O_WINS : BN_TTT_X_WINS);
        draws += r == BN_TTT_DRAW;
        printf("%s. Score: you %d, model %d, draws %d. Another game? [Y/n] ",
               r == BN_TTT_DRAW ? "Draw" : r == (human == 'X' ? BN_TTT_X_WINS : BN_TTT_O_WINS)
                                               ? "You win"
                                               : "The model wins",
               you, model, draws);
        fflush(stdout);
        char line[16];
        if (!fgets(line, sizeof line, stdin) || line[0] == 'n' || line[0] == 'q')
            break;
    }
    printf("\n");
    if (err.status != BN_OK)
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
    bn_tok_free(tok);
    bn_model_free(&m);
    return bn_exit_status(err.status);
}
