/* tok_cmd.c - `tokenizer encode|decode|info TOKENIZER` (README, "Tokenizers"): stdin to
 * stdout for scripts. encode prints the ids of all of stdin as one JSON array; decode reads
 * such an array and writes the bytes; info prints what the tokenizer holds as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "experiments.h"
#include "io/jsonio.h"
#include "tok/bpe.h"

/* All of stdin, malloc'd and NUL-terminated. */
static bn_status read_stdin(char **text, size_t *len, bn_error *err)
{
    size_t cap = 1 << 16, n = 0, got, want = cap + 1;
    char *buf = malloc(want);
    while (buf && (got = fread(buf + n, 1, cap - n, stdin)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, want = 2 * cap + 1);
            if (!bigger)
                free(buf);
            buf = bigger;
            cap *= 2;
        }
    }
    if (!buf)
        return bn_nomem(err, "the text read from stdin", want);
    if (ferror(stdin)) {
        free(buf);
        return bn_fail(err, BN_ERR_INPUT, "stdin: read error");
    }
    buf[n] = 0;
    *text = buf;
    *len = n;
    return BN_OK;
}

static bn_status encode(const bn_tokenizer *t, bn_error *err)
{
    char *text;
    size_t len;
    bn_status st = read_stdin(&text, &len, err);
    if (st != BN_OK)
        return st;
    int *ids;
    size_t n;
    st = bn_tok_encode_all(t, text, len, &ids, &n, err);
    if (st != BN_OK) {
        free(text);
        return st;
    }
    putchar('[');
    for (size_t i = 0; i < n; i++)
        printf(i ? ",%d" : "%d", ids[i]);
    printf("]\n");
    free(ids);
    free(text);
    return BN_OK;
}

static bn_status decode(const bn_tokenizer *t, bn_error *err)
{
    char *text;
    size_t len;
    json_t *doc = NULL;
    bn_status st = read_stdin(&text, &len, err);
    if (st == BN_OK)
        st = bn_json_parse_text("stdin", text, len, &doc, err);
    if (st == BN_OK && !json_is_array(doc))
        st = bn_fail(err, BN_ERR_INPUT, "stdin: must be a JSON array of token ids");
    size_t i;
    const json_t *v;
    int vocab = bn_tok_vocab_size(t);
    json_array_foreach(doc, i, v) {
        if (st != BN_OK)
            break;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= vocab)
            st = bn_fail(err, BN_ERR_INPUT, "stdin: [%zu]: must be a token id in 0..%d", i,
                         vocab - 1);
    }
    json_array_foreach(doc, i, v) {
        if (st != BN_OK)
            break;
        const char *piece;
        size_t n = bn_tok_piece(t, (int)json_integer_value(v), &piece);
        fwrite(piece, 1, n, stdout);
    }
    json_decref(doc);
    free(text);
    return st;
}

static json_t *special_json(const bn_tokenizer *t)
{
    static const char *const names[4] = {"pad", "bos", "eos", "unk"};
    json_t *o = json_object();
    for (int k = 0; k < 4; k++) {
        int id = bn_tok_special(t, (bn_tok_special_kind)k);
        json_object_set_new(o, names[k], id < 0 ? json_null() : json_integer(id));
    }
    return o;
}

static json_t *added_json(const bn_tokenizer *t)
{
    json_t *list = json_array();
    for (int i = 0; i < bn_tok_bpe_n_added(t); i++) {
        int special, id = bn_tok_bpe_added(t, i, &special);
        const char *piece;
        size_t n = bn_tok_piece(t, id, &piece);
        json_array_append_new(list, json_pack("{s:i, s:s%, s:b}", "id", id, "content", piece,
                                              n, "special", special));
    }
    return list;
}

static bn_status info(const bn_tokenizer *t, bn_error *err)
{
    json_t *doc = json_pack("{s:s, s:s, s:i, s:o}", "name", bn_tok_name(t), "kind",
                            bn_tok_is_bpe(t) ? "byte-level BPE" : "characters", "vocab_size",
                            bn_tok_vocab_size(t), "specials", special_json(t));
    char hash[BN_TOK_HASH_CAP];
    bn_status hashed = doc && bn_tok_is_bpe(t) ? bn_tok_hash(t, hash, err) : BN_OK;
    if (hashed != BN_OK) {
        json_decref(doc);
        return hashed;
    }
    if (doc && bn_tok_is_bpe(t)) {
        json_object_set_new(doc, "hash", json_string(hash));
        json_object_set_new(doc, "merges", json_integer(bn_tok_bpe_n_merges(t)));
        json_object_set_new(doc, "added_tokens", added_json(t));
        json_object_set_new(doc, "pre_tokenizer",
                            json_pack("{s:s, s:b, s:b}", "pattern", bn_tok_bpe_pattern(t),
                                      "add_prefix_space", bn_tok_bpe_add_prefix_space(t),
                                      "ignore_merges", bn_tok_bpe_ignore_merges(t)));
    }
    char *line = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    if (!line)
        return bn_fail(err, BN_ERR_NOMEM, "out of memory");
    printf("%s\n", line);
    free(line);
    return BN_OK;
}

int bn_cmd_tokenizer(const bn_cli *cli)
{
    bn_error err = {0};
    bn_tokenizer *t = NULL;
    char shipped[BN_PATH_MAX];
    bn_status st = BN_OK;
    const char *a = cli->action;
    if (strcmp(a, "encode") != 0 && strcmp(a, "decode") != 0 && strcmp(a, "info") != 0)
        st = bn_fail(&err, BN_ERR_INPUT, "tokenizer %s: unknown action (encode, decode, info)",
                     a);
    if (st == BN_OK)
        st = bn_tok_open(&t, bn_tokenizer_arg(cli->tokenizer, shipped), &err);
    if (st == BN_OK)
        st = strcmp(a, "encode") == 0   ? encode(t, &err)
             : strcmp(a, "decode") == 0 ? decode(t, &err)
                                        : info(t, &err);
    bn_tok_free(t);
    if (fflush(stdout) != 0 && st == BN_OK)
        st = bn_fail(&err, BN_ERR_IO, "stdout: write error");
    if (st != BN_OK)
        fprintf(stderr, "bitnet-tui: %s\n", err.msg);
    return bn_exit_status(st);
}
