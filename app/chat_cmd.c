/* chat_cmd.c - `chat CHECKPOINT`: a line-mode conversation with a story model (README,
 * "Inference"). Each line is added to the story so far and the model continues it until
 * <|endoftext|>, a blank line or --max-tokens. The story stays in the decoder's KV cache
 * across turns; when a turn would not fit, the oldest turns are dropped and the cache is
 * rebuilt from the kept ones, and a line says so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "model/textgen.h"
#include "textmodel.h"

typedef struct {
    int *ids;
    int n;
} chat_turn;

typedef struct {
    bn_textmodel *t;
    chat_turn *turns;
    int n_turns, eos;
} chat_state;

static void to_stdout(void *ctx, const char *text, size_t len)
{
    int *last = ctx;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    *last = text[len - 1];
}

static void drop_turns(chat_state *c, int k)
{
    if (k <= 0)
        return;
    for (int i = 0; i < k; i++)
        free(c->turns[i].ids);
    memmove(c->turns, c->turns + k, sizeof *c->turns * (size_t)(c->n_turns - k));
    c->n_turns -= k;
}

/* The cache from scratch: <|endoftext|> (a story starts after it), then the kept turns. */
static bn_status rebuild(chat_state *c, bn_error *err)
{
    bn_decoder *d = &c->t->dec;
    bn_decoder_reset(d);
    bn_status s = c->eos >= 0 ? bn_decoder_prefill(d, &c->eos, 1, err) : BN_OK;
    for (int i = 0; s == BN_OK && i < c->n_turns; i++)
        s = bn_decoder_prefill(d, c->turns[i].ids, c->turns[i].n, err);
    return s;
}

/* Room for n_user tokens and an answer of at least min(max_tokens, max_seq / 4). */
static bn_status make_room(chat_state *c, int n_user, bn_error *err)
{
    bn_decoder *d = &c->t->dec;
    int reserve = c->t->max_tokens < d->max_seq / 4 ? c->t->max_tokens : d->max_seq / 4;
    int base = c->eos >= 0, used = bn_decoder_pos(d) > 0 ? bn_decoder_pos(d) : base;
    if (used + n_user + reserve <= d->max_seq && bn_decoder_pos(d) > 0)
        return BN_OK;
    int drop = 0;
    while (drop < c->n_turns && used + n_user + reserve > d->max_seq)
        used -= c->turns[drop++].n;
    if (drop > 0) {
        drop_turns(c, drop);
        printf("(context full: dropped the %d oldest turn%s, kept %d of %d tokens)\n", drop,
               drop > 1 ? "s" : "", used, d->max_seq);
    }
    return rebuild(c, err);
}

static bn_status add_turn(chat_state *c, int *ids, int n_user, const int *gen, int n_gen)
{
    chat_turn *grown = realloc(c->turns, sizeof *grown * (size_t)(c->n_turns + 1));
    int *all = realloc(ids, sizeof(int) * (size_t)(n_user + n_gen + 1));
    if (!grown || !all) {
        free(all ? all : ids);
        if (grown)
            c->turns = grown;
        return BN_ERR_NOMEM;
    }
    memcpy(all + n_user, gen, sizeof(int) * (size_t)n_gen);
    c->turns = grown;
    c->turns[c->n_turns++] = (chat_turn){all, n_user + n_gen};
    return BN_OK;
}

/* One line of story: encoded (after a space when the story has text), fed, continued. */
static bn_status story_turn(chat_state *c, const char *line, int *gen, bn_error *err)
{
    char *text = malloc(strlen(line) + 2);
    if (!text)
        return bn_fail(err, BN_ERR_NOMEM, "chat: out of memory");
    snprintf(text, strlen(line) + 2, "%s%s", c->n_turns ? " " : "", line);
    int *ids = NULL, n = 0;
    bn_status s = bn_textgen_encode(c->t->tok, text, &ids, &n, err);
    free(text);
    if (s == BN_OK && n + 1 + c->t->dec.max_seq / 4 > c->t->dec.max_seq) {
        printf("(that line is %d tokens; the context holds %d)\n", n, c->t->dec.max_seq);
        free(ids);
        return BN_OK;
    }
    if (s == BN_OK)
        s = make_room(c, n, err);
    bn_textgen_stats st;
    bn_textgen_opts o = {.max_tokens = c->t->max_tokens, .stop_blank_line = 1};
    int last = '\n';
    if (s == BN_OK)
        s = bn_textgen_continue(&c->t->dec, c->t->tok, &c->t->sampler, ids, n, &o, to_stdout,
                                &last, gen, &st, err);
    if (s == BN_OK && last != '\n')
        printf("\n");
    if (s == BN_OK && st.stop == BN_STOP_FULL)
        printf("(the context is full; the next line drops the oldest turns)\n");
    if (s == BN_OK)
        return add_turn(c, ids, n, gen, st.tokens) == BN_OK
                   ? BN_OK : bn_fail(err, BN_ERR_NOMEM, "chat: out of memory");
    free(ids);
    return s;
}

static void help(void)
{
    printf("Type a line of story; the model continues it. /temp T, /top_p P, /top_k K "
           "(0 = all), /seed S, /reset (a new story), /help.\n");
}

/* /temp, /top_p, /top_k, /seed (model/sampling_cmd.h): 1 when line is one of them. */
static int sampling_command(chat_state *c, const char *line)
{
    bn_error err = {0};
    bn_sampling set = c->t->sampler.set;
    unsigned long long seed = 0;
    bn_sampling_cmd_kind kind;
    if (bn_sampling_command(line, &set, &seed, &kind, &err) != BN_OK) {
        printf("(%s)\n", err.msg);
        return 1;
    }
    if (kind == BN_SAMPLING_CMD_SEED) {
        bn_sampler_seed(&c->t->sampler, seed);
        printf("(seed %llu)\n", seed);
    } else if (kind == BN_SAMPLING_CMD_SETTINGS) {
        c->t->sampler.set = set;
        printf("(temperature %g, top-p %g, top-k %d)\n", (double)set.temperature,
               (double)set.top_p, set.top_k);
    }
    return kind != BN_SAMPLING_CMD_NONE;
}

static void command(chat_state *c, char *line)
{
    if (sampling_command(c, line))
        return;
    char *name = strtok(line, " \t");
    if (strcmp(name, "/help") == 0) {
        help();
    } else if (strcmp(name, "/reset") == 0) {
        drop_turns(c, c->n_turns);
        bn_decoder_reset(&c->t->dec);
        printf("(a new story)\n");
    } else {
        printf("(unknown command: %s; /help lists them)\n", name);
    }
}

static bn_status chat_loop(chat_state *c, bn_error *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int *gen = malloc(sizeof(int) * (size_t)c->t->max_tokens);
    bn_status s = gen ? BN_OK : bn_fail(err, BN_ERR_NOMEM, "chat: out of memory");
    int tty = isatty(STDIN_FILENO);
    while (s == BN_OK && (tty ? printf("> "), fflush(stdout) : 0, 1) &&
           (len = getline(&line, &cap, stdin)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (line[0] == '/')
            command(c, line);
        else
            s = story_turn(c, line, gen, err);
        fflush(stdout);
    }
    free(line);
    free(gen);
    return s;
}

int bn_cmd_chat(const bn_cli *cli)
{
    bn_error err = {0};
    bn_textmodel t;
    bn_status s = bn_textmodel_open(&t, cli, &err);
    chat_state c = {.t = &t};
    if (s == BN_OK) {
        c.eos = bn_tok_special(t.tok, BN_TOK_EOS);
        if (isatty(STDIN_FILENO))
            help();
        s = chat_loop(&c, &err);
    }
    if (s != BN_OK)
        fprintf(stderr, "bitnet-tui: chat: %s\n", err.msg);
    drop_turns(&c, c.n_turns);
    free(c.turns);
    bn_textmodel_close(&t);
    return bn_exit_status(s);
}
