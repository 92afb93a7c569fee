/* config.c - the INI schema (one table, one row per key) and everything driven by it:
 * defaults, loading, --set overrides, validation, and writing the resolved configuration.
 *
 * Values are parsed strictly (the whole string must be a number of the right kind); the
 * first problem becomes one line "<file>: [section] key = value: what is allowed". On any
 * failure the caller's bn_config is left exactly as it was. */
/* memfd_create (Linux, glibc 2.27) is behind _GNU_SOURCE; see bn_config_parse. */
#define _GNU_SOURCE 1
#include "io/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iniparser.h>

#include "task/task.h"

typedef enum {
    KEY_INT,       /* int, range [min, max] */
    KEY_LONG,      /* long, range [min, max] */
    KEY_DOUBLE,    /* double, finite, range [min, max] (ends may be exclusive, max may be inf) */
    KEY_U64,       /* uint64_t, any value */
    KEY_TEXT,      /* char[size], one line, no '"'; at least min characters */
    KEY_ID,        /* as KEY_TEXT, and only [A-Za-z0-9._-], not starting with '.' (a dir name) */
    KEY_TASK,      /* bn_task, by name */
    KEY_PRECISION, /* bn_precision, by name */
    KEY_OPERATORS, /* char[size], a non-empty subset of "+-*" "/" without repeats */
} key_type;

enum { MIN_EXCLUSIVE = 1, MAX_EXCLUSIVE = 2 };

typedef struct {
    const char *section;
    const char *key;
    key_type type;
    size_t offset;    /* into bn_config */
    size_t size;      /* of the field; for strings the buffer, so at most size-1 characters */
    const char *def;  /* default, as it would be written in the INI file */
    double min, max;  /* numbers: allowed range; strings: min = least length */
    unsigned flags;   /* MIN_EXCLUSIVE, MAX_EXCLUSIVE */
    const char *help; /* one line */
} key_spec;

#define FIELD(m) offsetof(bn_config, m), sizeof(((bn_config *)0)->m)

/* The schema. Defaults are the arithmetic experiment (README, "Experiments"). */
static const key_spec schema[] = {
    {"experiment", "name", KEY_ID, FIELD(experiment.name), "arithmetic", 1, 0, 0,
     "short name of the experiment, used in run ids"},
    {"experiment", "task", KEY_TASK, FIELD(experiment.task), "arithmetic", 0, 0, 0,
     "what the model learns: arithmetic, tictactoe or text"},
    {"experiment", "description", KEY_TEXT, FIELD(experiment.description),
     "a op b = c with a character vocabulary", 0, 0, 0, "one line shown in the experiment picker"},

    {"model", "vocab_size", KEY_INT, FIELD(model.vocab_size), "32", 2, 1000000, 0,
     "number of token ids"},
    {"model", "hidden_size", KEY_INT, FIELD(model.hidden_size), "256", 1, 65536, 0,
     "width d of the residual stream"},
    {"model", "num_layers", KEY_INT, FIELD(model.num_layers), "4", 1, 256, 0,
     "number of transformer blocks"},
    {"model", "num_heads", KEY_INT, FIELD(model.num_heads), "4", 1, 1024, 0,
     "attention (query) heads"},
    {"model", "num_kv_heads", KEY_INT, FIELD(model.num_kv_heads), "2", 1, 1024, 0,
     "key/value heads (grouped-query attention)"},
    {"model", "ffn_size", KEY_INT, FIELD(model.ffn_size), "768", 1, 1000000, 0,
     "hidden width of the feed-forward block"},
    {"model", "max_seq_len", KEY_INT, FIELD(model.max_seq_len), "256", 2, 65536, 0,
     "longest row the model accepts (RoPE table size)"},
    {"model", "rope_theta", KEY_DOUBLE, FIELD(model.rope_theta), "10000", 0, INFINITY,
     MIN_EXCLUSIVE, "RoPE base frequency"},
    {"model", "norm_eps", KEY_DOUBLE, FIELD(model.norm_eps), "1e-5", 0, 1, MIN_EXCLUSIVE,
     "RMSNorm epsilon"},
    {"model", "embedding_init_std", KEY_DOUBLE, FIELD(model.embedding_init_std), "1", 0, 100,
     MIN_EXCLUSIVE, "standard deviation of the token embeddings at init"},

    {"training", "num_steps", KEY_LONG, FIELD(train.num_steps), "10000", 1, 1e9, 0,
     "optimizer steps in the whole run"},
    {"training", "batch_size", KEY_INT, FIELD(train.batch_size), "32", 1, 65536, 0,
     "rows per step"},
    {"training", "seq_len", KEY_INT, FIELD(train.seq_len), "64", 2, 65536, 0,
     "tokens per row"},
    {"training", "grad_accum_steps", KEY_INT, FIELD(train.grad_accum_steps), "1", 1, 65536, 0,
     "micro-batches of batch_size rows per optimizer step (gradient accumulation)"},
    {"training", "peak_lr", KEY_DOUBLE, FIELD(train.peak_lr), "1.5e-3", 0, 1, MIN_EXCLUSIVE,
     "learning rate at the end of warmup"},
    {"training", "warmup_steps", KEY_INT, FIELD(train.warmup_steps), "100", 0, 1e9, 0,
     "steps of linear warmup from 0 to peak_lr"},
    {"training", "weight_decay", KEY_DOUBLE, FIELD(train.weight_decay), "0.1", 0, 10, 0,
     "AdamW decoupled weight decay in the first half"},
    {"training", "beta1", KEY_DOUBLE, FIELD(train.beta1), "0.9", 0, 1, MAX_EXCLUSIVE,
     "AdamW first-moment decay"},
    {"training", "beta2", KEY_DOUBLE, FIELD(train.beta2), "0.95", 0, 1, MAX_EXCLUSIVE,
     "AdamW second-moment decay"},
    {"training", "adam_eps", KEY_DOUBLE, FIELD(train.adam_eps), "1e-8", 0, INFINITY,
     MIN_EXCLUSIVE, "AdamW epsilon"},
    {"training", "grad_clip", KEY_DOUBLE, FIELD(train.grad_clip), "1", 0, INFINITY,
     MIN_EXCLUSIVE, "largest global gradient norm"},
    {"training", "seed", KEY_U64, FIELD(train.seed), "1337", 0, 0, 0,
     "seed for initialization and data"},
    {"training", "threads", KEY_INT, FIELD(train.threads), "0", 0, 1024, 0,
     "compute threads, 0 = number of cores"},
    {"training", "backward_precision", KEY_PRECISION, FIELD(train.backward_precision), "auto",
     0, 0, 0, "BitLinear backward products: fp32, bf16 (AMX or AVX512_BF16) or auto (bf16 "
     "where either is)"},
    {"training", "head_precision", KEY_PRECISION, FIELD(train.head_precision), "auto", 0, 0,
     0, "the lm_head's logits and d(final_n) products: fp32, bf16 or auto (bf16 exactly when "
     "the backward is)"},
    {"training", "low_memory", KEY_INT, FIELD(train.low_memory), "0", 0, 1, 0,
     "1 = the backward computes each layer's gate|up product again instead of keeping it"},
    {"training", "shard_optimizer", KEY_INT, FIELD(train.shard_optimizer), "0", 0, 1, 0,
     "1 = each rank of an MPI job keeps only its slice of the AdamW moments (ZeRO-1)"},

    {"logging", "log_interval", KEY_INT, FIELD(log.log_interval), "10", 1, INT_MAX, 0,
     "steps between metric records"},
    {"logging", "sample_interval", KEY_INT, FIELD(log.sample_interval), "500", 0, INT_MAX, 0,
     "steps between samples (and evals when eval_interval is 0), 0 = never"},
    {"logging", "eval_interval", KEY_INT, FIELD(log.eval_interval), "0", 0, INT_MAX, 0,
     "steps between held-out evaluations, 0 = at every sample_interval"},
    {"logging", "checkpoint_interval", KEY_INT, FIELD(log.checkpoint_interval), "1000", 0,
     INT_MAX, 0, "steps between checkpoints, 0 = only at the end"},
    {"logging", "keep_checkpoints", KEY_INT, FIELD(log.keep_checkpoints), "3", 0, INT_MAX, 0,
     "newest checkpoints kept on disk, older ones deleted, 0 = keep all"},
    {"logging", "keep_every", KEY_INT, FIELD(log.keep_every), "0", 0, INT_MAX, 0,
     "also keep every checkpoint whose step is a multiple of this, 0 = off"},
    {"logging", "eval_problems", KEY_INT, FIELD(log.eval_problems), "200", 1, 100000, 0,
     "held-out problems (arithmetic), games per mode (tictactoe), rows (text) per eval"},
    {"logging", "eval_shots", KEY_INT, FIELD(log.eval_shots), "0", 0, 8, 0,
     "solved problems before each evaluation prompt"},
    {"logging", "run_id", KEY_ID, FIELD(log.run_id), "", 0, 0, 0,
     "run directory name, empty = bitnet_<size>_<experiment>_<unix time>"},
    {"logging", "runs_dir", KEY_TEXT, FIELD(log.runs_dir), "runs", 1, 0, 0,
     "directory that holds the runs"},

    {"data", "max_operand", KEY_INT, FIELD(data.max_operand), "100", 1, 9999, 0,
     "arithmetic: largest operand"},
    {"data", "operators", KEY_OPERATORS, FIELD(data.operators), "+-*/", 0, 0, 0,
     "arithmetic: operators used"},
    {"data", "holdout_percent", KEY_INT, FIELD(data.holdout_percent), "10", 1, 50, 0,
     "arithmetic: share of problems kept for evaluation"},
    {"data", "path", KEY_TEXT, FIELD(data.path), "", 0, 0, 0,
     "text tasks: a prepared dataset directory (bitnet-tui prepare) or llm.c shards"},
    {"data", "tokenizer", KEY_TEXT, FIELD(data.tokenizer), "", 0, 0, 0,
     "text tasks: the tokenizer.json of the shards' ids, empty = the dataset's own"},
    {"data", "random_weight", KEY_DOUBLE, FIELD(data.random_weight), "1", 0, 1e6, 0,
     "tictactoe: weight of the random player in each side's mix"},
    {"data", "minimax_weight", KEY_DOUBLE, FIELD(data.minimax_weight), "1", 0, 1e6, 0,
     "tictactoe: weight of minimax with minimax_epsilon random moves"},
    {"data", "perfect_weight", KEY_DOUBLE, FIELD(data.perfect_weight), "1", 0, 1e6, 0,
     "tictactoe: weight of perfect minimax (uniform among optimal moves)"},
    {"data", "minimax_epsilon", KEY_DOUBLE, FIELD(data.minimax_epsilon), "0.2", 0, 1, 0,
     "tictactoe: share of random moves of the minimax player"},
    {"data", "random_start_percent", KEY_INT, FIELD(data.random_start_percent), "0", 0, 100,
     0, "tictactoe: games that start from a position of 1-6 random moves"},
};

#define SCHEMA_LEN (sizeof schema / sizeof schema[0])

static const char *const task_names[] = {"arithmetic", "tictactoe", "text"};
#define TASK_COUNT (sizeof task_names / sizeof task_names[0])
static const char *const precision_names[] = {"fp32", "bf16", "auto"}; /* bn_precision order */
#define PRECISION_COUNT (sizeof precision_names / sizeof precision_names[0])

const char *bn_precision_name(bn_precision p)
{
    return (unsigned)p < PRECISION_COUNT ? precision_names[p] : "unknown";
}

/* How much of a raw value to quote in a message. */
#define SHOWN_MAX 100

const char *bn_task_name(bn_task task)
{
    return (unsigned)task < TASK_COUNT ? task_names[task] : "unknown";
}

static bool is_string_type(key_type t)
{
    return t == KEY_TEXT || t == KEY_ID || t == KEY_OPERATORS;
}

static void *field_ptr(bn_config *cfg, const key_spec *k) { return (char *)cfg + k->offset; }

static const void *field_cptr(const bn_config *cfg, const key_spec *k)
{
    return (const char *)cfg + k->offset;
}

/* ---- messages ---- */

/* "<origin>: [section] key = value: <why>", strings quoted. */
static bn_status value_fail(bn_error *err, const char *origin, const key_spec *k,
                            const char *value, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static bn_status value_fail(bn_error *err, const char *origin, const key_spec *k,
                            const char *value, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    const char *q = is_string_type(k->type) ? "\"" : "";
    const char *more = strlen(value) > SHOWN_MAX ? "..." : "";
    return bn_fail(err, BN_ERR_INPUT, "%s: [%s] %s = %s%.*s%s%s: %s", origin, k->section,
                   k->key, q, SHOWN_MAX, value, more, q, why);
}

/* A number as a person would write it: integers without a fraction. */
static void format_bound(char *buf, size_t size, double v)
{
    if (v > -1e15 && v < 1e15 && v == (double)(long long)v)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%g", v);
}

static void describe_range(const key_spec *k, char *buf, size_t size)
{
    char lo[32], hi[32];
    format_bound(lo, sizeof lo, k->min);
    format_bound(hi, sizeof hi, k->max);
    const char *ge = (k->flags & MIN_EXCLUSIVE) ? ">" : ">=";
    const char *le = (k->flags & MAX_EXCLUSIVE) ? "<" : "<=";
    if (isinf(k->max))
        snprintf(buf, size, "must be %s %s", ge, lo);
    else if (!(k->flags & (MIN_EXCLUSIVE | MAX_EXCLUSIVE)))
        snprintf(buf, size, "must be between %s and %s", lo, hi);
    else
        snprintf(buf, size, "must be %s %s and %s %s", ge, lo, le, hi);
}

static bool in_range(const key_spec *k, double v)
{
    bool lo_ok = (k->flags & MIN_EXCLUSIVE) ? v > k->min : v >= k->min;
    bool hi_ok = (k->flags & MAX_EXCLUSIVE) ? v < k->max : v <= k->max;
    return lo_ok && hi_ok;
}

static bn_status range_fail(bn_error *err, const char *origin, const key_spec *k,
                            const char *value)
{
    char allowed[128];
    describe_range(k, allowed, sizeof allowed);
    return value_fail(err, origin, k, value, "%s", allowed);
}

/* ", "-separated list of the sections (section == NULL) or of one section's keys. */
static void list_names(const char *section, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < SCHEMA_LEN; i++) {
        const char *name;
        if (section) {
            if (strcmp(schema[i].section, section) != 0)
                continue;
            name = schema[i].key;
        } else {
            if (i > 0 && strcmp(schema[i - 1].section, schema[i].section) == 0)
                continue;
            name = schema[i].section;
        }
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", name);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

static bool section_known(const char *section)
{
    for (size_t i = 0; i < SCHEMA_LEN; i++)
        if (strcmp(schema[i].section, section) == 0)
            return true;
    return false;
}

static const key_spec *find_key(const char *section, const char *key)
{
    for (size_t i = 0; i < SCHEMA_LEN; i++)
        if (strcmp(schema[i].section, section) == 0 && strcmp(schema[i].key, key) == 0)
            return &schema[i];
    return NULL;
}

static bn_status unknown_section(bn_error *err, const char *origin, const char *section)
{
    char allowed[256];
    list_names(NULL, allowed, sizeof allowed);
    return bn_fail(err, BN_ERR_INPUT, "%s: unknown section [%.*s] (allowed: %s)", origin,
                   SHOWN_MAX, section, allowed);
}

static bn_status unknown_key(bn_error *err, const char *origin, const char *section,
                             const char *key)
{
    char allowed[512];
    list_names(section, allowed, sizeof allowed);
    return bn_fail(err, BN_ERR_INPUT, "%s: [%s] unknown key '%.*s' (allowed: %s)", origin,
                   section, SHOWN_MAX, key, allowed);
}

/* ---- checking one value (shared by parsing and bn_config_validate) ---- */

static bn_status check_string(const key_spec *k, const char *s, const char *origin,
                              bn_error *err)
{
    size_t len = strnlen(s, k->size);
    if (len >= k->size)
        return value_fail(err, origin, k, s, "must be at most %zu characters", k->size - 1);
    if (len < (size_t)k->min)
        return value_fail(err, origin, k, s, "must not be empty");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '"')
            return value_fail(err, origin, k, s,
                              "must not contain double quotes or control characters");
        if (k->type == KEY_ID && !isalnum(c) && c != '.' && c != '_' && c != '-')
            return value_fail(err, origin, k, s,
                              "may contain only letters, digits, '.', '_' and '-'");
    }
    if (k->type == KEY_ID && s[0] == '.')
        return value_fail(err, origin, k, s, "must not start with '.'");
    return BN_OK;
}

static bn_status check_operators(const key_spec *k, const char *s, const char *origin,
                                 bn_error *err)
{
    static const char allowed[] = "+-*/";
    size_t len = strnlen(s, k->size);
    bool bad = len == 0 || len >= k->size;
    for (size_t i = 0; i < len && !bad; i++)
        bad = strchr(allowed, s[i]) == NULL || memchr(s, s[i], i) != NULL;
    if (bad)
        return value_fail(err, origin, k, s,
                          "must be one or more of + - * / (each at most once)");
    return BN_OK;
}

/* The field's current value, as written in the INI file (strings quoted). */
static void format_value(const bn_config *cfg, const key_spec *k, char *buf, size_t size)
{
    const void *p = field_cptr(cfg, k);
    switch (k->type) {
    case KEY_INT:
        snprintf(buf, size, "%d", *(const int *)p);
        break;
    case KEY_LONG:
        snprintf(buf, size, "%ld", *(const long *)p);
        break;
    case KEY_U64:
        snprintf(buf, size, "%" PRIu64, *(const uint64_t *)p);
        break;
    case KEY_DOUBLE: {
        /* The shortest of %.15g..%.17g that reads back as the same double. */
        double v = *(const double *)p;
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, size, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
        break;
    }
    case KEY_TASK:
        snprintf(buf, size, "%s", bn_task_name(*(const bn_task *)p));
        break;
    case KEY_PRECISION:
        snprintf(buf, size, "%s", bn_precision_name(*(const bn_precision *)p));
        break;
    case KEY_TEXT:
    case KEY_ID:
    case KEY_OPERATORS:
        snprintf(buf, size, "\"%.*s\"", (int)strnlen(p, k->size), (const char *)p);
        break;
    }
}

/* The field's current value as plain text for messages (strings unquoted). */
static void shown_value(const bn_config *cfg, const key_spec *k, char *buf, size_t size)
{
    if (is_string_type(k->type))
        snprintf(buf, size, "%.*s", (int)strnlen(field_cptr(cfg, k), k->size),
                 (const char *)field_cptr(cfg, k));
    else
        format_value(cfg, k, buf, size);
}

/* Check one field of cfg against its row of the schema. */
static bn_status check_field(const bn_config *cfg, const key_spec *k, const char *origin,
                             bn_error *err)
{
    const void *p = field_cptr(cfg, k);
    char shown[600];
    double v;
    switch (k->type) {
    case KEY_INT:
        v = *(const int *)p;
        break;
    case KEY_LONG:
        v = (double)*(const long *)p;
        break;
    case KEY_DOUBLE:
        v = *(const double *)p;
        if (!isfinite(v)) {
            shown_value(cfg, k, shown, sizeof shown);
            return value_fail(err, origin, k, shown, "not a finite number");
        }
        break;
    case KEY_U64:
        return BN_OK;
    case KEY_TASK:
        if ((unsigned)*(const bn_task *)p < TASK_COUNT)
            return BN_OK;
        snprintf(shown, sizeof shown, "%d", (int)*(const bn_task *)p);
        return value_fail(err, origin, k, shown, "must be one of arithmetic, tictactoe, text");
    case KEY_PRECISION:
        if ((unsigned)*(const bn_precision *)p < PRECISION_COUNT)
            return BN_OK;
        snprintf(shown, sizeof shown, "%d", (int)*(const bn_precision *)p);
        return value_fail(err, origin, k, shown, "must be one of fp32, bf16, auto");
    case KEY_TEXT:
    case KEY_ID:
        return check_string(k, p, origin, err);
    case KEY_OPERATORS:
        return check_operators(k, p, origin, err);
    default:
        return BN_OK;
    }
    if (in_range(k, v))
        return BN_OK;
    shown_value(cfg, k, shown, sizeof shown);
    return range_fail(err, origin, k, shown);
}

/* ---- parsing one value from text into cfg ---- */

/* iniparser drops quotes around a value, but leaves them on e.g. an unterminated one;
 * for numbers, task names and operators, drop a matching pair here. */
static void strip_quotes(const char *value, char *buf, size_t size)
{
    size_t len = strlen(value);
    if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0]) {
        value++;
        len -= 2;
    }
    snprintf(buf, size, "%.*s", (int)len, value);
}

static bn_status parse_value(bn_config *cfg, const key_spec *k, const char *raw,
                             const char *origin, bn_error *err)
{
    void *p = field_ptr(cfg, k);
    if (k->type == KEY_TEXT || k->type == KEY_ID) {
        bn_status st = check_string(k, raw, origin, err);
        if (st == BN_OK)
            memcpy(p, raw, strlen(raw) + 1);
        return st;
    }

    char text[128];
    if (strlen(raw) >= sizeof text)
        return value_fail(err, origin, k, raw, "value too long");
    strip_quotes(raw, text, sizeof text);
    char *end = NULL;
    bool complete;
    errno = 0;
    switch (k->type) {
    case KEY_INT:
    case KEY_LONG: {
        long long v = strtoll(text, &end, 10);
        if (end == text || *end != '\0' || isspace((unsigned char)text[0]))
            return value_fail(err, origin, k, raw, "not an integer");
        if (errno == ERANGE || !in_range(k, (double)v))
            return range_fail(err, origin, k, raw);
        if (k->type == KEY_INT)
            *(int *)p = (int)v;
        else
            *(long *)p = (long)v;
        return BN_OK;
    }
    case KEY_U64: {
        unsigned long long v = strtoull(text, &end, 10);
        if (end == text || *end != '\0' || isspace((unsigned char)text[0]))
            return value_fail(err, origin, k, raw, "not an integer");
        if (errno == ERANGE || text[0] == '-')
            return value_fail(err, origin, k, raw, "must be between 0 and %" PRIu64,
                              UINT64_MAX);
        *(uint64_t *)p = (uint64_t)v;
        return BN_OK;
    }
    case KEY_DOUBLE: {
        double v = strtod(text, &end);
        complete = end != text && *end == '\0' && !isspace((unsigned char)text[0]);
        if (!complete)
            return value_fail(err, origin, k, raw, "not a number");
        if (!isfinite(v))
            return value_fail(err, origin, k, raw, "not a finite number");
        if (!in_range(k, v))
            return range_fail(err, origin, k, raw);
        *(double *)p = v;
        return BN_OK;
    }
    case KEY_TASK:
        for (size_t t = 0; t < TASK_COUNT; t++)
            if (strcmp(text, task_names[t]) == 0) {
                *(bn_task *)p = (bn_task)t;
                return BN_OK;
            }
        return value_fail(err, origin, k, raw, "must be one of arithmetic, tictactoe, text");
    case KEY_PRECISION:
        for (size_t t = 0; t < PRECISION_COUNT; t++)
            if (strcmp(text, precision_names[t]) == 0) {
                *(bn_precision *)p = (bn_precision)t;
                return BN_OK;
            }
        return value_fail(err, origin, k, raw, "must be one of fp32, bf16, auto");
    case KEY_OPERATORS: {
        bn_status st = check_operators(k, text, origin, err);
        if (st == BN_OK)
            memcpy(p, text, strlen(text) + 1);
        return st;
    }
    default:
        return BN_OK;
    }
}

/* ---- defaults, validation ---- */

void bn_config_defaults(bn_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    /* The defaults are checked by tests/test_config.c; a bad one would leave its field 0. */
    for (size_t i = 0; i < SCHEMA_LEN; i++)
        parse_value(cfg, &schema[i], schema[i].def, "defaults", NULL);
}

/* A cross-field rule failed on section.key: report it with the key's value. */
static bn_status rule_fail(bn_error *err, const char *origin, const bn_config *cfg,
                           const char *section, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static bn_status rule_fail(bn_error *err, const char *origin, const bn_config *cfg,
                           const char *section, const char *key, const char *fmt, ...)
{
    const key_spec *k = find_key(section, key);
    char why[512], shown[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    shown_value(cfg, k, shown, sizeof shown);
    return value_fail(err, origin, k, shown, "%s", why);
}

static bn_status validate(const bn_config *cfg, const char *origin, bn_error *err)
{
    for (size_t i = 0; i < SCHEMA_LEN; i++) {
        bn_status st = check_field(cfg, &schema[i], origin, err);
        if (st != BN_OK)
            return st;
    }

    const bn_model_config *m = &cfg->model;
    const bn_train_config *t = &cfg->train;
    if (m->hidden_size % m->num_heads != 0)
        return rule_fail(err, origin, cfg, "model", "num_heads",
                         "must divide hidden_size (%d)", m->hidden_size);
    int head_dim = m->hidden_size / m->num_heads;
    if (head_dim % 2 != 0)
        return rule_fail(err, origin, cfg, "model", "num_heads",
                         "head_dim = hidden_size / num_heads = %d / %d = %d must be even "
                         "(RoPE rotates pairs of dimensions)",
                         m->hidden_size, m->num_heads, head_dim);
    if (m->num_heads % m->num_kv_heads != 0)
        return rule_fail(err, origin, cfg, "model", "num_kv_heads",
                         "must divide num_heads (%d)", m->num_heads);
    if (t->seq_len > m->max_seq_len)
        return rule_fail(err, origin, cfg, "training", "seq_len",
                         "must be at most [model] max_seq_len (%d)", m->max_seq_len);
    if (t->warmup_steps > t->num_steps)
        return rule_fail(err, origin, cfg, "training", "warmup_steps",
                         "must be at most num_steps (%ld); for short runs also lower it, "
                         "e.g. --set training.warmup_steps=%ld",
                         t->num_steps, t->num_steps / 10);
    /* The task's own rules (README, "Tasks"). */
    const bn_task_ops *task = bn_task_find(cfg->experiment.task);
    bn_task_problem problem;
    if (task && task->validate && task->validate(cfg, &problem))
        return rule_fail(err, origin, cfg, problem.section, problem.key, "%s", problem.why);
    return BN_OK;
}

bn_status bn_config_validate(const bn_config *cfg, bn_error *err)
{
    return validate(cfg, cfg->source_path[0] ? cfg->source_path : "config", err);
}

/* ---- loading ---- */

static int quiet_errors(const char *fmt, ...)
{
    (void)fmt;
    return 0;
}

/* iniparser files keys before the first [section] under the unnamed section "", which its
 * API lists only once "" exists as an entry: declare it, then list its keys. */
static bn_status check_outside_keys(dictionary *d, const char *origin, bn_error *err)
{
    iniparser_set(d, "", NULL);
    int n = iniparser_getsecnkeys(d, "");
    if (n <= 0)
        return BN_OK;
    const char **keys = calloc((size_t)n, sizeof *keys);
    if (!keys)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory reading the INI file", origin);
    iniparser_getseckeys(d, "", keys);
    char allowed[256];
    list_names(NULL, allowed, sizeof allowed);
    bn_status st = bn_fail(err, BN_ERR_INPUT,
                           "%s: key '%.*s' is outside any section (sections: %s)", origin,
                           SHOWN_MAX, keys[0] + 1, allowed);
    free(keys);
    return st;
}

/* Apply the keys of one [section] of d over cfg, in file order. */
static bn_status apply_section(bn_config *cfg, const dictionary *d, const char *section,
                               const char *origin, bn_error *err)
{
    if (!section_known(section))
        return unknown_section(err, origin, section);
    int n = iniparser_getsecnkeys(d, section);
    if (n <= 0)
        return BN_OK;
    const char **keys = calloc((size_t)n, sizeof *keys);
    if (!keys)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory reading the INI file", origin);
    iniparser_getseckeys(d, section, keys);
    bn_status st = BN_OK;
    for (int i = 0; i < n && st == BN_OK; i++) {
        const char *key = keys[i] + strlen(section) + 1; /* "section:key" */
        const key_spec *k = find_key(section, key);
        const char *value = iniparser_getstring(d, keys[i], NULL);
        st = k ? parse_value(cfg, k, value ? value : "", origin, err)
               : unknown_key(err, origin, section, key);
    }
    free(keys);
    return st;
}

/* Apply every key of d over cfg, section by section (iniparser lowercases the names). */
static bn_status apply_dictionary(bn_config *cfg, dictionary *d, const char *origin,
                                  bn_error *err)
{
    bn_status st = check_outside_keys(d, origin, err);
    int n = iniparser_getnsec(d);
    for (int i = 0; i < n && st == BN_OK; i++) {
        const char *section = iniparser_getsecname(d, i);
        if (section && section[0])
            st = apply_section(cfg, d, section, origin, err);
    }
    return st;
}

/* Load the INI file at path over the defaults into cfg; messages say `origin`. */
static bn_status load_ini(bn_config *cfg, const char *path, const char *origin,
                          bn_error *err)
{
    iniparser_set_error_callback(quiet_errors);
    dictionary *d = iniparser_load(path);
    iniparser_set_error_callback(NULL);
    if (!d)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a valid INI file (every line must be [section], "
                       "key = value, or a comment)",
                       origin);

    bn_config next;
    bn_config_defaults(&next);
    bn_status st = apply_dictionary(&next, d, origin, err);
    iniparser_freedict(d);
    if (st != BN_OK)
        return st;
    st = bn_path_printf(next.source_path, err, "%s", origin);
    if (st == BN_OK)
        st = validate(&next, origin, err);
    if (st == BN_OK)
        *cfg = next;
    return st;
}

/* iniparser's own message for a missing file goes to stderr; say it in one line instead. */
static bn_status check_readable(const char *path, bn_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    bool is_dir = fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode);
    fclose(f);
    if (is_dir)
        return bn_fail(err, BN_ERR_INPUT, "%s: cannot open: %s", path, strerror(EISDIR));
    return BN_OK;
}

bn_status bn_config_load(bn_config *cfg, const char *path, bn_error *err)
{
    bn_status st = check_readable(path, err);
    return st == BN_OK ? load_ini(cfg, path, path, err) : st;
}

static bool write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        text += n;
        len -= (size_t)n;
    }
    return true;
}

/* iniparser 4.1 (Debian bookworm) reads only named files, and a checkpoint's config is text
 * in memory. Rather than a temporary file (which needs a writable $TMPDIR and can be left
 * behind), the text goes into an anonymous memory file (memfd_create, Linux) that
 * iniparser opens by its /proc/self/fd name; nothing touches the disk. */
bn_status bn_config_parse(bn_config *cfg, const char *ini_text, const char *origin,
                          bn_error *err)
{
    if (!origin)
        origin = "<text>";
    int fd = memfd_create("bitnet-config", MFD_CLOEXEC);
    if (fd < 0)
        return bn_fail(err, BN_ERR_IO, "%s: cannot create an in-memory file: %s", origin,
                       strerror(errno));
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    bn_status st;
    if (!write_all(fd, ini_text, strlen(ini_text)))
        st = bn_fail(err, BN_ERR_IO, "%s: cannot write an in-memory file: %s", origin,
                     strerror(errno));
    else if (access(path, R_OK) != 0)
        st = bn_fail(err, BN_ERR_IO, "%s: cannot read %s (is /proc mounted?): %s", origin,
                     path, strerror(errno));
    else
        st = load_ini(cfg, path, origin, err);
    close(fd);
    return st;
}

/* ---- overrides ---- */

static void trim(char *s)
{
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    size_t start = 0;
    while (isspace((unsigned char)s[start]))
        start++;
    memmove(s, s + start, len - start + 1);
}

/* Parse one "section.key=value" into cfg, checking the value alone (no cross-field rules). */
static bn_status apply_assignment(bn_config *cfg, const char *assignment, bn_error *err)
{
    const char *origin = "--set";
    char buf[1024];
    const char *eq = strchr(assignment, '=');
    const char *dot = eq ? memchr(assignment, '.', (size_t)(eq - assignment)) : NULL;
    if (!eq || !dot || strlen(assignment) >= sizeof buf)
        return bn_fail(err, BN_ERR_INPUT, "--set %.*s: expected section.key=value", SHOWN_MAX,
                       assignment);
    memcpy(buf, assignment, strlen(assignment) + 1);
    char *section = buf;
    char *key = buf + (dot - assignment) + 1;
    char *value = buf + (eq - assignment) + 1;
    buf[dot - assignment] = '\0';
    buf[eq - assignment] = '\0';
    trim(section);
    trim(key);
    trim(value);
    if (!*section || !*key)
        return bn_fail(err, BN_ERR_INPUT, "--set %.*s: expected section.key=value", SHOWN_MAX,
                       assignment);
    /* As in INI files, section and key names are case-insensitive. */
    for (char *c = section; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    for (char *c = key; *c; c++)
        *c = (char)tolower((unsigned char)*c);

    if (!section_known(section))
        return unknown_section(err, origin, section);
    const key_spec *k = find_key(section, key);
    if (!k)
        return unknown_key(err, origin, section, key);
    return parse_value(cfg, k, value, origin, err);
}

bn_status bn_config_set(bn_config *cfg, const char *assignment, bn_error *err)
{
    return bn_config_set_all(cfg, &assignment, 1, err);
}

bn_status bn_config_set_all(bn_config *cfg, const char *const *assignments, int n,
                            bn_error *err)
{
    bn_config next = *cfg;
    bn_status st = BN_OK;
    for (int i = 0; i < n && st == BN_OK; i++)
        st = apply_assignment(&next, assignments[i], err);
    if (st == BN_OK)
        st = validate(&next, "--set", err);
    if (st == BN_OK)
        *cfg = next;
    return st;
}

/* ---- writing ---- */

void bn_config_write(const bn_config *cfg, FILE *out)
{
    fputs("# bitnet-tui experiment configuration, fully resolved\n", out);
    for (size_t i = 0; i < SCHEMA_LEN; i++) {
        const key_spec *k = &schema[i];
        if (i == 0 || strcmp(schema[i - 1].section, k->section) != 0)
            fprintf(out, "\n[%s]\n", k->section);
        char value[600];
        format_value(cfg, k, value, sizeof value);
        fprintf(out, "%s = %s\n", k->key, value);
    }
}

char *bn_config_to_string(const bn_config *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    bn_config_write(cfg, out);
    bool failed = ferror(out) != 0;
    if (fclose(out) != 0 || failed) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- reading single keys (lists, usage text) ---- */

bn_status bn_config_peek(const char *path, const char *name, char *out, size_t cap,
                         bn_error *err)
{
    if (cap)
        out[0] = '\0';
    bn_status st = check_readable(path, err);
    if (st != BN_OK)
        return st;
    iniparser_set_error_callback(quiet_errors);
    dictionary *d = iniparser_load(path);
    iniparser_set_error_callback(NULL);
    if (!d)
        return bn_fail(err, BN_ERR_INPUT, "%s: not a valid INI file", path);
    char key[256];
    snprintf(key, sizeof key, "%s", name);
    char *dot = strchr(key, '.');
    if (dot)
        *dot = ':'; /* iniparser spells section.key as "section:key" */
    const char *value = iniparser_getstring(d, key, NULL);
    if (value && cap)
        snprintf(out, cap, "%s", value);
    iniparser_freedict(d);
    return BN_OK;
}

int bn_config_key_doc(const char *name, const char **help, const char **def)
{
    const char *dot = strchr(name, '.');
    char section[64];
    if (!dot || (size_t)(dot - name) >= sizeof section)
        return 0;
    snprintf(section, sizeof section, "%.*s", (int)(dot - name), name);
    const key_spec *k = find_key(section, dot + 1);
    if (!k)
        return 0;
    if (help)
        *help = k->help;
    if (def)
        *def = k->def;
    return 1;
}

int bn_config_eval_interval(const bn_config *cfg)
{
    return cfg->log.eval_interval > 0 ? cfg->log.eval_interval : cfg->log.sample_interval;
}
