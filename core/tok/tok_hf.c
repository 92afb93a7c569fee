/* tok_hf.c - Hugging Face tokenizer.json for byte-level BPE (README, "Tokenizers"): what
 * we read (model BPE, ByteLevel or Split + ByteLevel pre-tokenizer, ByteLevel decoder,
 * added tokens, no normalizer), refusing any other kind by name, and what we write (the
 * layout Hugging Face's tokenizers writes, so it loads there and gives the same ids). */
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "io/jsonio.h"
#include "tok/bpe.h"
#include "tok/bpe_impl.h"
#include "tok/bytelevel.h"

/* What a load collects before building. */
typedef struct {
    const char *path;
    char **pieces;           /* raw bytes per id, malloc'd */
    size_t *lens;
    int n;
    int *merges, n_merges;
    int *added, n_added;
    unsigned char *added_special;
    char *pattern;           /* NULL: GPT-2's */
    int add_prefix_space, ignore_merges;
} hf_load;

static const char *type_of(const json_t *obj)
{
    const char *type = json_string_value(json_object_get(obj, "type"));
    return type ? type : "?";
}

static int flag(const json_t *obj, const char *key, int dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* A member that must be null, or an object whose type is `allowed` (NULL: none). */
static bn_status null_or(const hf_load *L, const json_t *doc, const char *key,
                         const char *allowed, bn_error *err)
{
    const json_t *v = json_object_get(doc, key);
    if (!v || json_is_null(v))
        return BN_OK;
    if (allowed && json_is_object(v) && strcmp(type_of(v), allowed) == 0)
        return BN_OK;
    if (json_is_object(v))
        return bn_fail(err, BN_ERR_INPUT, "%s: %s \"%s\": not supported (%s%s)", L->path, key,
                       type_of(v), allowed ? "null or " : "only null", allowed ? allowed : "");
    return bn_fail(err, BN_ERR_INPUT, "%s: %s: not supported (only null)", L->path, key);
}

static bn_status check_top(const hf_load *L, const json_t *doc, bn_error *err)
{
    if (!json_is_object(doc))
        return bn_fail(err, BN_ERR_INPUT, "%s: not a tokenizer.json (not a JSON object)",
                       L->path);
    bn_status st = null_or(L, doc, "normalizer", NULL, err);
    if (st == BN_OK)
        st = null_or(L, doc, "truncation", NULL, err);
    if (st == BN_OK)
        st = null_or(L, doc, "padding", NULL, err);
    if (st == BN_OK)
        st = null_or(L, doc, "post_processor", "ByteLevel", err);
    if (st == BN_OK)
        st = null_or(L, doc, "decoder", "ByteLevel", err);
    return st;
}

/* Split(pattern, Isolated) as the regex the pre-tokenizer runs. */
static bn_status split_pattern(hf_load *L, const json_t *split, bn_error *err)
{
    const json_t *pat = json_object_get(split, "pattern");
    const char *regex = json_string_value(json_object_get(pat, "Regex"));
    const char *literal = json_string_value(json_object_get(pat, "String"));
    const char *behavior = json_string_value(json_object_get(split, "behavior"));
    if (!behavior || strcmp(behavior, "Isolated") != 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: pre_tokenizer Split behavior \"%s\": not "
                       "supported (Isolated)", L->path, behavior ? behavior : "?");
    if (flag(split, "invert", 0))
        return bn_fail(err, BN_ERR_INPUT, "%s: pre_tokenizer Split invert true: not supported",
                       L->path);
    if ((!regex && !literal) || (literal && strstr(literal, "\\E")))
        return bn_fail(err, BN_ERR_INPUT, "%s: pre_tokenizer Split pattern: must be "
                       "{\"Regex\": ...} or {\"String\": ...}", L->path);
    const char *p = regex ? regex : literal;
    L->pattern = malloc(strlen(p) + 5);
    if (!L->pattern)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", L->path);
    /* a String pattern is matched literally: quote it */
    sprintf(L->pattern, regex ? "%s" : "\\Q%s\\E", p);
    return BN_OK;
}

static bn_status sequence(hf_load *L, const json_t *pre, bn_error *err)
{
    const json_t *list = json_object_get(pre, "pretokenizers");
    const json_t *split = json_array_get(list, 0), *bl = json_array_get(list, 1);
    if (json_array_size(list) != 2 || strcmp(type_of(split), "Split") != 0 ||
        strcmp(type_of(bl), "ByteLevel") != 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: pre_tokenizer Sequence: not supported (only "
                       "[Split, ByteLevel])", L->path);
    if (flag(bl, "use_regex", 1))
        return bn_fail(err, BN_ERR_INPUT, "%s: pre_tokenizer Sequence: ByteLevel after Split "
                       "must have use_regex false", L->path);
    L->add_prefix_space = flag(bl, "add_prefix_space", 0);
    return split_pattern(L, split, err);
}

static bn_status pre_tokenizer(hf_load *L, const json_t *doc, bn_error *err)
{
    const json_t *pre = json_object_get(doc, "pre_tokenizer");
    if (!json_is_object(pre))
        return bn_fail(err, BN_ERR_INPUT, "%s: pre_tokenizer: missing (a byte-level BPE needs "
                       "ByteLevel)", L->path);
    const char *type = type_of(pre);
    if (strcmp(type, "Sequence") == 0)
        return sequence(L, pre, err);
    if (strcmp(type, "ByteLevel") != 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: pre_tokenizer \"%s\": not supported (ByteLevel, "
                       "or Sequence of Split and ByteLevel)", L->path, type);
    if (!flag(pre, "use_regex", 1))
        return bn_fail(err, BN_ERR_INPUT, "%s: pre_tokenizer ByteLevel with use_regex false "
                       "and no Split: not supported", L->path);
    L->add_prefix_space = flag(pre, "add_prefix_space", 1);
    return BN_OK;
}

static bn_status check_model(const hf_load *L, const json_t *model, bn_error *err)
{
    if (!json_is_object(model))
        return bn_fail(err, BN_ERR_INPUT, "%s: model: missing", L->path);
    const char *type = json_string_value(json_object_get(model, "type"));
    if (type && strcmp(type, "BPE") != 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: model.type \"%s\": not supported (BPE)",
                       L->path, type);
    static const char *const unset[] = {"dropout", "continuing_subword_prefix",
                                        "end_of_word_suffix"};
    for (size_t i = 0; i < sizeof unset / sizeof unset[0]; i++) {
        const json_t *v = json_object_get(model, unset[i]);
        if (v && !json_is_null(v) && !(json_is_string(v) && !*json_string_value(v)))
            return bn_fail(err, BN_ERR_INPUT, "%s: model.%s: not supported (only null)",
                           L->path, unset[i]);
    }
    if (flag(model, "byte_fallback", 0))
        return bn_fail(err, BN_ERR_INPUT, "%s: model.byte_fallback true: not supported",
                       L->path);
    if (!json_is_object(json_object_get(model, "vocab")) ||
        !json_is_array(json_object_get(model, "merges")))
        return bn_fail(err, BN_ERR_INPUT, "%s: model: needs \"vocab\" (object) and \"merges\" "
                       "(array)", L->path);
    return BN_OK;
}

/* The vocabulary size: one past the largest id of the vocab and the added tokens. */
static bn_status count_ids(hf_load *L, const json_t *vocab, const json_t *added, bn_error *err)
{
    long max = -1;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)vocab, key, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) >= (1 << 24))
            return bn_fail(err, BN_ERR_INPUT, "%s: model.vocab \"%s\": id must be an integer "
                           "in 0..16777215", L->path, key);
        if (json_integer_value(v) > max)
            max = (long)json_integer_value(v);
    }
    size_t i;
    json_array_foreach(added, i, v) {
        json_int_t id = json_integer_value(json_object_get(v, "id"));
        if (!json_is_integer(json_object_get(v, "id")) || id < 0 || id >= (1 << 24))
            return bn_fail(err, BN_ERR_INPUT, "%s: added_tokens[%zu].id: must be an integer "
                           "in 0..16777215", L->path, i);
        if (id > max)
            max = (long)id;
    }
    L->n = (int)(max + 1);
    L->pieces = calloc((size_t)L->n + 1, sizeof *L->pieces);
    L->lens = calloc((size_t)L->n + 1, sizeof *L->lens);
    if (!L->pieces || !L->lens)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", L->path);
    return BN_OK;
}

static bn_status set_piece(hf_load *L, int id, const char *bytes, size_t n, bn_error *err)
{
    L->pieces[id] = malloc(n + 1);
    if (!L->pieces[id])
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", L->path);
    memcpy(L->pieces[id], bytes, n);
    L->lens[id] = n;
    return BN_OK;
}

static bn_status read_added(hf_load *L, const json_t *added, bn_error *err)
{
    size_t n = json_array_size(added), i;
    L->added = malloc((n + 1) * sizeof *L->added);
    L->added_special = malloc(n + 1);
    if (!L->added || !L->added_special)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", L->path);
    const json_t *a;
    json_array_foreach(added, i, a) {
        const json_t *content = json_object_get(a, "content");
        int id = (int)json_integer_value(json_object_get(a, "id"));
        if (!json_is_string(content) || json_string_length(content) == 0)
            return bn_fail(err, BN_ERR_INPUT, "%s: added_tokens[%zu].content: must be a "
                           "non-empty string", L->path, i);
        if (flag(a, "single_word", 0) || flag(a, "lstrip", 0) || flag(a, "rstrip", 0))
            return bn_fail(err, BN_ERR_INPUT, "%s: added_tokens[%zu]: single_word, lstrip and "
                           "rstrip true are not supported", L->path, i);
        if (L->pieces[id])
            return bn_fail(err, BN_ERR_INPUT, "%s: added_tokens[%zu]: id %d twice", L->path, i,
                           id);
        bn_status st = set_piece(L, id, json_string_value(content), json_string_length(content),
                                 err);
        if (st != BN_OK)
            return st;
        L->added[L->n_added] = id;
        L->added_special[L->n_added++] = (unsigned char)flag(a, "special", 0);
    }
    return BN_OK;
}

/* Vocab keys are byte-level strings; an id an added token already gave keeps that text. */
static bn_status read_vocab(hf_load *L, const json_t *vocab, bn_error *err)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)vocab, key, v) {
        int id = (int)json_integer_value(v);
        int is_added = 0;
        for (int i = 0; i < L->n_added; i++)
            is_added |= L->added[i] == id;
        if (is_added)
            continue;
        if (L->pieces[id])
            return bn_fail(err, BN_ERR_INPUT, "%s: model.vocab \"%s\": id %d twice", L->path,
                           key, id);
        size_t klen = strlen(key);
        char *bytes = malloc(klen + 1);
        long n = bytes ? bn_bytelevel_decode(key, klen, bytes) : -2;
        bn_status st = n > 0 ? set_piece(L, id, bytes, (size_t)n, err) : BN_OK;
        free(bytes);
        if (n == -2)
            return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", L->path);
        if (n <= 0)
            return bn_fail(err, BN_ERR_INPUT, "%s: model.vocab \"%s\": not in the byte-level "
                           "alphabet", L->path, key);
        if (st != BN_OK)
            return st;
    }
    for (int id = 0; id < L->n; id++)
        if (!L->pieces[id])
            return bn_fail(err, BN_ERR_INPUT, "%s: id %d has no token (ids must be 0..%d "
                           "without gaps)", L->path, id, L->n - 1);
    return BN_OK;
}

/* One merge, "a b" or ["a", "b"], as the ids of its two byte-level strings. */
static bn_status read_merge(hf_load *L, const json_t *vocab, size_t r, const json_t *m,
                            bn_error *err)
{
    char buf[1024];
    const char *left = NULL, *right = NULL;
    if (json_is_string(m) && json_string_length(m) < sizeof buf) {
        strcpy(buf, json_string_value(m));
        char *space = strchr(buf, ' ');
        if (space) {
            *space = 0;
            left = buf;
            right = space + 1;
        }
    } else if (json_is_array(m) && json_array_size(m) == 2) {
        left = json_string_value(json_array_get(m, 0));
        right = json_string_value(json_array_get(m, 1));
    }
    const json_t *l = left ? json_object_get(vocab, left) : NULL;
    const json_t *rt = right ? json_object_get(vocab, right) : NULL;
    if (!left || !right)
        return bn_fail(err, BN_ERR_INPUT, "%s: model.merges[%zu]: must be \"a b\" or "
                       "[\"a\", \"b\"]", L->path, r);
    if (!l || !rt)
        return bn_fail(err, BN_ERR_INPUT, "%s: model.merges[%zu]: \"%s\" is not in the vocab",
                       L->path, r, l ? right : left);
    L->merges[2 * r] = (int)json_integer_value(l);
    L->merges[2 * r + 1] = (int)json_integer_value(rt);
    return BN_OK;
}

static bn_status read_merges(hf_load *L, const json_t *model, bn_error *err)
{
    const json_t *vocab = json_object_get(model, "vocab");
    const json_t *merges = json_object_get(model, "merges");
    size_t n = json_array_size(merges), r;
    L->merges = malloc((2 * n + 1) * sizeof *L->merges);
    if (!L->merges)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", L->path);
    const json_t *m;
    json_array_foreach(merges, r, m) {
        bn_status st = read_merge(L, vocab, r, m, err);
        if (st != BN_OK)
            return st;
    }
    L->n_merges = (int)n;
    L->ignore_merges = flag(model, "ignore_merges", 0);
    return BN_OK;
}

static bn_status read_doc(hf_load *L, const json_t *doc, bn_error *err)
{
    const json_t *model = json_object_get(doc, "model");
    const json_t *added = json_object_get(doc, "added_tokens");
    if (added && !json_is_array(added) && !json_is_null(added))
        return bn_fail(err, BN_ERR_INPUT, "%s: added_tokens: must be an array", L->path);
    bn_status st = check_top(L, doc, err);
    if (st == BN_OK)
        st = check_model(L, model, err);
    if (st == BN_OK)
        st = pre_tokenizer(L, doc, err);
    if (st == BN_OK)
        st = count_ids(L, json_object_get(model, "vocab"), added, err);
    if (st == BN_OK)
        st = read_added(L, added, err);
    if (st == BN_OK)
        st = read_vocab(L, json_object_get(model, "vocab"), err);
    if (st == BN_OK)
        st = read_merges(L, model, err);
    return st;
}

static void load_free(hf_load *L)
{
    for (int i = 0; L->pieces && i < L->n; i++)
        free(L->pieces[i]);
    free(L->pieces);
    free(L->lens);
    free(L->merges);
    free(L->added);
    free(L->added_special);
    free(L->pattern);
}

bn_status bn_tok_load_hf(bn_tokenizer **out, const char *path, bn_error *err)
{
    *out = NULL;
    hf_load L = {.path = path};
    json_t *doc = NULL;
    bn_status st = bn_json_read_file(path, &doc, err);
    if (st == BN_OK)
        st = read_doc(&L, doc, err);
    if (st == BN_OK) {
        bn_bpe_spec spec = {.pieces = (const char *const *)L.pieces, .lens = L.lens,
                            .n_vocab = L.n, .merges = L.merges, .n_merges = L.n_merges,
                            .added = L.added, .added_special = L.added_special,
                            .n_added = L.n_added, .pattern = L.pattern,
                            .add_prefix_space = L.add_prefix_space,
                            .ignore_merges = L.ignore_merges, .name = path};
        st = bn_tok_bpe_new(out, &spec, path, err);
    }
    json_decref(doc);
    load_free(&L);
    return st;
}
