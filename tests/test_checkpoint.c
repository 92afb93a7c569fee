/* test_checkpoint.c - checkpoint round trip, atomic replacement, and refusal of damaged,
 * foreign or mismatched checkpoints. */
#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "io/checkpoint.h"
#include "task/sources.h"
#include "kernels/kernels.h"
#include "tiny_fixture.h"

#define CAP 1024

static char root[] = "/tmp/bn_test_ckpt_XXXXXX";

/* ---------------------------------------------------------------- file helpers */

/* printf a path into a CAP-sized buffer (temp paths here are short). */
static void pathf(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void pathf(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, CAP, fmt, ap);
    va_end(ap);
}

static const char *in_root(char *buf, const char *name)
{
    pathf(buf, "%s/%s", root, name);
    return buf;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(*n + 1);
    if (buf && fread(buf, 1, *n, f) != *n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        buf[*n] = 0;
    return buf;
}

static int write_all(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(bytes, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int same_file(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    unsigned char *x = read_all(a, &na), *y = read_all(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

/* Remove a directory tree (the test's own temporary files only). */
static void rm_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char child[CAP];
            pathf(child, "%s/%s", path, e->d_name);
            rm_tree(child);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Whether dir holds an entry whose name ends with suffix. */
static int has_suffix_entry(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    size_t ns = strlen(suffix);
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n >= ns && strcmp(e->d_name + n - ns, suffix) == 0)
            found = 1;
    }
    if (d)
        closedir(d);
    return found;
}

/* ---------------------------------------------------------------- fixtures */

/* A data position as the arithmetic source writes it, stopped in the middle of a problem
 * (rows drop the problem they end in, so a fill never leaves one; the format carries it). */
static json_t *mid_problem_data(void)
{
    return json_pack("{s:s, s:[s,s,s,s], s:s, s:i}", "kind", "arithmetic", "rng",
                     "00000000000000ff", "0123456789abcdef", "8000000000000000",
                     "ffffffffffffffff", "pending", "12 + 34 = 46 ", "pending_pos", 5);
}

static int fixture_init(tiny_fixture *fx)
{
    if (tiny_fixture_init(fx, "ckpt_test", 1234) != 0)
        return -1;
    fx->opt.t = 7;
    fx->state.step = 42;
    fx->state.tokens_seen = 42L * 2 * 8;
    fx->state.loss_ema = 2.0 / 3.0;
    fx->state.ema_weight = 0.1234567890123456789;
    fx->state.data = mid_problem_data();
    return fx->state.data ? 0 : -1;
}

static bn_status save(const tiny_fixture *fx, const char *dir, bn_error *err)
{
    return bn_checkpoint_save(dir, &fx->m, &fx->opt, &fx->state, fx->ini,
                              fx->cfg.experiment.name, err);
}

static int same_state(const bn_train_state *a, const bn_train_state *b)
{
    return a->step == b->step && a->tokens_seen == b->tokens_seen &&
           memcmp(&a->loss_ema, &b->loss_ema, sizeof(double)) == 0 &&
           memcmp(&a->ema_weight, &b->ema_weight, sizeof(double)) == 0 &&
           json_equal(a->data, b->data);
}

/* ---------------------------------------------------------------- tests */

/* The loss of one fixed row: equal losses mean the forward used the same weights. */
static double probe_loss(bn_model *m)
{
    int tokens[8];
    for (int i = 0; i < 8; i++)
        tokens[i] = (i * 7 + 3) % 32;
    return bn_model_forward(m, tokens, 1, 8);
}

/* (1) + (3): save, open, load everything into fresh objects; byte-exact and deterministic. */
static void test_round_trip(tiny_fixture *fx, const char *dir)
{
    bn_error err = {0};
    CHECK(save(fx, dir, &err) == BN_OK, "save: %s", err.msg);

    bn_config cfg;
    bn_st_file file;
    long step = -1;
    CHECK(bn_checkpoint_open(dir, &cfg, &file, &step, &err) == BN_OK, "open: %s", err.msg);
    if (err.status != BN_OK)
        return;
    CHECK(step == 42, "step %ld", step);
    CHECK(cfg.model.hidden_size == 32 && cfg.model.num_layers == 2 &&
              cfg.model.ffn_size == 48 && cfg.model.num_kv_heads == 2 &&
              cfg.model.max_seq_len == 16 && cfg.train.seq_len == 8,
          "config differs: d=%d L=%d F=%d", cfg.model.hidden_size, cfg.model.num_layers,
          cfg.model.ffn_size);
    CHECK(strcmp(cfg.experiment.name, "ckpt_test") == 0, "experiment %s",
          cfg.experiment.name);
    CHECK(cfg.train.beta2 == fx->cfg.train.beta2, "beta2 %g", cfg.train.beta2);
    CHECK(strcmp(bn_st_meta_get(&file, "experiment"), "ckpt_test") == 0, "experiment meta");

    bn_model m;
    bn_adamw opt;
    if (tiny_model(&cfg, &m, &opt) != 0) {
        bn_st_free(&file);
        CHECK(0, "cannot build the model from the loaded config");
        return;
    }
    bn_train_state state;
    memset(&state, 0x5a, sizeof state);
    state.data = NULL;
    double before = probe_loss(&m); /* ternarizes the all-zero weights */
    CHECK(bn_checkpoint_load_params(&m, &file, &err) == BN_OK, "load_params: %s", err.msg);
    double want = probe_loss(&fx->m), got = probe_loss(&m);
    CHECK(got == want && got != before, "forward after load: %.9g, expected %.9g", got, want);
    CHECK(bn_checkpoint_load_training(dir, &m, &opt, &state, &err) == BN_OK,
          "load_training: %s", err.msg);
    size_t bytes = m.num_params * sizeof(float);
    CHECK(m.num_params == fx->m.num_params, "num_params %zu", m.num_params);
    CHECK(memcmp(m.params, fx->m.params, bytes) == 0, "params differ");
    CHECK(memcmp(opt.m, fx->opt.m, bytes) == 0, "exp_avg differs");
    CHECK(memcmp(opt.v, fx->opt.v, bytes) == 0, "exp_avg_sq differs");
    CHECK(opt.t == 7, "t %ld", opt.t);
    CHECK(same_state(&state, &fx->state), "train state differs");
    bn_train_state_clear(&state);
    bn_adamw_free(&opt);
    bn_model_free(&m);
    bn_st_free(&file);

    /* The open path may also name the file itself. */
    char path[CAP];
    pathf(path, "%s/model.safetensors", dir);
    step = -1;
    CHECK(bn_checkpoint_open(path, &cfg, &file, &step, &err) == BN_OK && step == 42,
          "open file: %s", err.msg);
    bn_st_free(&file);
}

static void test_deterministic(const tiny_fixture *fx, const char *dir)
{
    bn_error err = {0};
    char again[CAP], a[CAP], b[CAP];
    pathf(again, "%s_again", dir);
    CHECK(save(fx, again, &err) == BN_OK, "save again: %s", err.msg);
    const char *files[] = {"model.safetensors", "optimizer.safetensors", "trainer_state.json"};
    for (int i = 0; i < 3; i++) {
        pathf(a, "%s/%s", dir, files[i]);
        pathf(b, "%s/%s", again, files[i]);
        CHECK(same_file(a, b), "%s differs between two saves of one state", files[i]);
    }
    rm_tree(again);
}

/* (2) no leftovers; saving over an existing step directory replaces it. */
static void test_overwrite(tiny_fixture *fx, const char *ckpt_dir, const char *dir)
{
    bn_error err = {0};
    char stale[CAP];
    CHECK(!has_suffix_entry(ckpt_dir, ".tmp") && !has_suffix_entry(ckpt_dir, ".old"),
          "leftover .tmp/.old in %s", ckpt_dir);
    CHECK(!has_suffix_entry(dir, ".tmp"), "leftover .tmp file in %s", dir);

    /* A crashed earlier save left "<dir>.tmp" with junk in it. */
    pathf(stale, "%s.tmp", dir);
    mkdir(stale, 0777);
    pathf(stale, "%s.tmp/model.safetensors.tmp", dir);
    write_all(stale, "junk", 4);
    /* ...and one that crashed between its renames left a "<dir>.old". */
    pathf(stale, "%s.old", dir);
    mkdir(stale, 0777);
    pathf(stale, "%s.old/model.safetensors", dir);
    write_all(stale, "junk", 4);

    float saved = fx->m.params[0];
    fx->m.params[0] = 123.5f;
    fx->state.step = 43;
    CHECK(save(fx, dir, &err) == BN_OK, "save over existing: %s", err.msg);
    CHECK(!has_suffix_entry(ckpt_dir, ".tmp") && !has_suffix_entry(ckpt_dir, ".old"),
          "leftover .tmp/.old after overwrite");

    bn_config cfg;
    bn_st_file file;
    long step = 0;
    CHECK(bn_checkpoint_open(dir, &cfg, &file, &step, &err) == BN_OK, "reopen: %s", err.msg);
    if (err.status == BN_OK) {
        const bn_st_tensor *t = bn_st_find(&file, "token_embeddings.weight");
        float first = 0;
        if (t)
            memcpy(&first, t->data, sizeof first);
        CHECK(step == 43 && first == 123.5f, "overwrite not visible: step %ld, w %g", step,
              first);
        bn_st_free(&file);
    }
    fx->m.params[0] = saved;
    fx->state.step = 42;
    CHECK(save(fx, dir, &err) == BN_OK, "restore save: %s", err.msg);
}

/* (4) truncated copies of a valid model file. */
static void test_truncated(const char *dir)
{
    char src[CAP], dst[CAP];
    pathf(src, "%s/model.safetensors", dir);
    size_t n = 0;
    unsigned char *bytes = read_all(src, &n);
    CHECK(bytes && n > 200, "cannot read %s", src);
    if (!bytes)
        return;
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++)
        hlen |= (uint64_t)bytes[i] << (8 * i);
    size_t cuts[] = {4, 8 + (size_t)hlen / 2, n - 100};
    in_root(dst, "trunc.safetensors");
    for (int i = 0; i < 3; i++) {
        bn_error err = {0};
        bn_config cfg;
        bn_st_file file;
        write_all(dst, bytes, cuts[i]);
        bn_status st = bn_checkpoint_open(dst, &cfg, &file, NULL, &err);
        CHECK(st == BN_ERR_INPUT, "cut at %zu: status %d", cuts[i], (int)st);
        CHECK(strstr(err.msg, dst) &&
                  (strstr(err.msg, "truncated") || strstr(err.msg, "not a safetensors")),
              "cut at %zu: message '%s'", cuts[i], err.msg);
        if (st == BN_OK)
            bn_st_free(&file);
    }
    free(bytes);
}

/* (4b) a model file cut short after it was opened (mapped): copying the weights fails
 * with the path and "truncated while loading", never a crash (SIGBUS through the mapping). */
static void test_truncated_after_open(const char *dir)
{
    char src[CAP], dst[CAP];
    pathf(src, "%s/model.safetensors", dir);
    size_t n = 0;
    unsigned char *bytes = read_all(src, &n);
    in_root(dst, "shrinks.safetensors");
    CHECK(bytes && n > 200 && write_all(dst, bytes, n) == 0, "cannot copy %s", src);
    free(bytes);
    bn_error err = {0};
    bn_config cfg;
    bn_st_file file;
    bn_status st = bn_checkpoint_open(dst, &cfg, &file, NULL, &err);
    CHECK(st == BN_OK && file.mapped, "open: %s", err.msg);
    if (st != BN_OK)
        return;
    bn_model m;
    bn_adamw opt;
    CHECK(truncate(dst, (off_t)(n - 100)) == 0, "truncate %s", dst);
    if (tiny_model(&cfg, &m, &opt) == 0) {
        st = bn_checkpoint_load_params(&m, &file, &err);
        CHECK(st == BN_ERR_INPUT && strstr(err.msg, dst) &&
                  strstr(err.msg, "truncated while loading"),
              "status %d, message '%s'", (int)st, err.msg);
        bn_adamw_free(&opt);
        bn_model_free(&m);
    } else {
        CHECK(0, "cannot build the model from the loaded config");
    }
    bn_st_free(&file);
    remove(dst);
}

/* (5) a file whose qkv_proj has the wrong shape, written with our metadata. */
static void test_wrong_shape(const tiny_fixture *fx)
{
    char dir[CAP], path[CAP];
    in_root(dir, "bad_shape");
    mkdir(dir, 0777);
    pathf(path, "%s/model.safetensors", dir);

    const bn_model *m = &fx->m;
    bn_st_tensor *ts = calloc((size_t)m->num_tensors, sizeof *ts);
    for (int i = 0; ts && i < m->num_tensors; i++) {
        const bn_tensor_info *t = &m->tensors[i];
        ts[i] = (bn_st_tensor){.name = t->name, .dtype = BN_DTYPE_F32, .ndim = t->ndim,
                               .shape = {t->shape[0], t->shape[1]},
                               .data = m->params + t->offset,
                               .nbytes = t->numel * sizeof(float)};
        if (strcmp(t->name, "blocks.0.attention.qkv_proj.weight") == 0) {
            ts[i].shape[0] = t->shape[1]; /* transposed: same size, other shape */
            ts[i].shape[1] = t->shape[0];
        }
    }
    const bn_st_meta meta[] = {{"format", "bitnet-tui"}, {"format_version", "1"},
                               {"step", "5"}, {"config", fx->ini}};
    bn_error err = {0};
    CHECK(ts && bn_st_write(path, ts, m->num_tensors, meta, 4, &err) == BN_OK, "write: %s",
          err.msg);
    free(ts);

    bn_config cfg;
    bn_st_file file;
    CHECK(bn_checkpoint_open(dir, &cfg, &file, NULL, &err) == BN_OK, "open: %s", err.msg);
    if (err.status != BN_OK)
        return;
    bn_model m2;
    bn_adamw opt;
    if (tiny_model(&cfg, &m2, &opt) == 0) {
        bn_status st = bn_checkpoint_load_params(&m2, &file, &err);
        CHECK(st == BN_ERR_INPUT, "wrong shape accepted (%d)", (int)st);
        CHECK(strstr(err.msg, path) &&
                  strstr(err.msg, "blocks.0.attention.qkv_proj.weight has shape"),
              "message '%s'", err.msg);
        bn_adamw_free(&opt);
        bn_model_free(&m2);
    }
    bn_st_free(&file);
}

/* (5) a model of another width refuses a valid checkpoint. */
static void test_other_model(const char *dir)
{
    bn_config cfg;
    bn_st_file file;
    bn_error err = {0};
    CHECK(bn_checkpoint_open(dir, &cfg, &file, NULL, &err) == BN_OK, "open: %s", err.msg);
    if (err.status != BN_OK)
        return;
    bn_config wide;
    tiny_config(&wide, "ckpt_test", 64);
    bn_model m;
    bn_adamw opt;
    if (tiny_model(&wide, &m, &opt) == 0) {
        bn_status st = bn_checkpoint_load_params(&m, &file, &err);
        CHECK(st == BN_ERR_INPUT && strstr(err.msg, "has shape"),
              "other width: status %d, '%s'", (int)st, err.msg);
        st = bn_checkpoint_load_training(dir, &m, &opt, &(bn_train_state){0}, &err);
        CHECK(st == BN_ERR_INPUT && strstr(err.msg, "has shape"),
              "other width, optimizer: status %d, '%s'", (int)st, err.msg);
        bn_adamw_free(&opt);
        bn_model_free(&m);
    }
    bn_st_free(&file);
}

/* (6) a valid safetensors file without our metadata. */
static void test_foreign(void)
{
    char path[CAP];
    in_root(path, "foreign.safetensors");
    float x[4] = {1, 2, 3, 4};
    bn_st_tensor t = {.name = "w", .dtype = BN_DTYPE_F32, .ndim = 1, .shape = {4},
                      .data = x, .nbytes = sizeof x};
    bn_error err = {0};
    CHECK(bn_st_write(path, &t, 1, NULL, 0, &err) == BN_OK, "write: %s", err.msg);
    bn_config cfg;
    bn_st_file file;
    bn_status st = bn_checkpoint_open(path, &cfg, &file, NULL, &err);
    CHECK(st == BN_ERR_INPUT && strstr(err.msg, path) &&
              strstr(err.msg, "not a bitnet-tui checkpoint"),
          "foreign file: status %d, '%s'", (int)st, err.msg);

    /* Another format name, or a format_version this build does not read. */
    const bn_st_meta other[] = {{"format", "bitnet-tui-x"}, {"step", "1"}, {"config", ""}};
    CHECK(bn_st_write(path, &t, 1, other, 3, &err) == BN_OK, "write: %s", err.msg);
    st = bn_checkpoint_open(path, &cfg, &file, NULL, &err);
    CHECK(st == BN_ERR_INPUT && strstr(err.msg, "not a bitnet-tui checkpoint"),
          "other format: status %d, '%s'", (int)st, err.msg);
    const bn_st_meta v2[] = {{"format", "bitnet-tui"}, {"format_version", "2"},
                             {"step", "1"}, {"config", ""}};
    CHECK(bn_st_write(path, &t, 1, v2, 4, &err) == BN_OK, "write: %s", err.msg);
    st = bn_checkpoint_open(path, &cfg, &file, NULL, &err);
    CHECK(st == BN_ERR_INPUT && strstr(err.msg, "format_version"),
          "format_version 2: status %d, '%s'", (int)st, err.msg);

    /* Our format but no config. */
    const bn_st_meta meta[] = {{"format", "bitnet-tui"}, {"step", "1"}};
    CHECK(bn_st_write(path, &t, 1, meta, 2, &err) == BN_OK, "write: %s", err.msg);
    st = bn_checkpoint_open(path, &cfg, &file, NULL, &err);
    CHECK(st == BN_ERR_INPUT && strstr(err.msg, "not a bitnet-tui checkpoint (no config"),
          "no config: status %d, '%s'", (int)st, err.msg);
}

/* Replace the first occurrence of `from` in dir's trainer_state.json with `to`. */
static int edit_state(const char *dir, const char *from, const char *to)
{
    char path[CAP];
    pathf(path, "%s/trainer_state.json", dir);
    size_t n = 0;
    char *text = (char *)read_all(path, &n);
    char *at = text ? strstr(text, from) : NULL;
    int rc = -1;
    if (at) {
        size_t nf = strlen(from), nt = strlen(to);
        char *out = malloc(n - nf + nt + 1);
        if (out) {
            size_t pre = (size_t)(at - text);
            memcpy(out, text, pre);
            memcpy(out + pre, to, nt);
            memcpy(out + pre + nt, at + nf, n - pre - nf);
            rc = write_all(path, out, n - nf + nt);
            free(out);
        }
    }
    free(text);
    return rc;
}

/* (7) a damaged trainer_state.json is refused and leaves opt and state untouched. */
static void test_bad_state(const tiny_fixture *fx)
{
    static const struct {
        const char *from, *to, *what;
    } edits[] = {
        {"\"format_version\": 2", "\"format_version\": 3", "format_version"},
        {"\"kind\": ", "\"kinds\": ", "data.kind"},
        {"\"data\": ", "\"data\": 1, \"was\": ", "\"data\""},
        {"\"tokens_seen\": ", "\"tokens_seen\": -", "tokens_seen"},
        {"\"loss_ema\": ", "\"loss_ema\": \"x\", \"was\": ", "loss_ema"},
        {"{", "[", "not valid JSON"},
    };
    char dir[CAP];
    in_root(dir, "bad_state");
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        bn_error err = {0};
        CHECK(save(fx, dir, &err) == BN_OK, "save: %s", err.msg);
        CHECK(edit_state(dir, edits[i].from, edits[i].to) == 0, "cannot edit the state");
        bn_model m;
        bn_adamw opt;
        if (tiny_model(&fx->cfg, &m, &opt) != 0)
            continue;
        bn_train_state state = {.step = -5};
        bn_status st = bn_checkpoint_load_training(dir, &m, &opt, &state, &err);
        CHECK(st == BN_ERR_INPUT && strstr(err.msg, "trainer_state.json") &&
                  strstr(err.msg, edits[i].what),
              "edit %zu: status %d, '%s'", i, (int)st, err.msg);
        CHECK(state.step == -5 && opt.t == 0 && opt.m[0] == 0.0f,
              "edit %zu: a failed load changed the state", i);
        bn_adamw_free(&opt);
        bn_model_free(&m);
    }
}

/* A hand-written format 1 trainer_state.json (no format_version, no data.kind) with the
 * given rng word first: it loads, and the arithmetic source takes a valid word (upper case
 * too) and refuses an invalid one. */
static void test_state_words(const tiny_fixture *fx)
{
    static const struct {
        const char *word;
        int ok;
    } cases[] = {
        {"00000000000000ff", 1}, {"00000000000000FF", 1}, {"000000000000000g", 0},
        {"0x000000000000ff", 0}, {"ff", 0}, {"-0000000000000ff", 0},
    };
    char dir[CAP], path[CAP];
    bn_tokenizer *tok = NULL;
    bn_arith_spec spec = {100, "+-*/", 10};
    CHECK(bn_tok_char(&tok, "arithmetic", NULL) == BN_OK, "tokenizer");
    in_root(dir, "words");
    bn_error err = {0};
    CHECK(save(fx, dir, &err) == BN_OK, "save: %s", err.msg);
    pathf(path, "%s/trainer_state.json", dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        /* Only the first word varies; the others are valid. */
        snprintf(text, sizeof text,
                 "{\"step\": 5, \"tokens_seen\": 80, \"loss_ema\": 0.5, \"ema_weight\": 1,"
                 " \"data\": {\"rng\": [\"%s\", \"0000000000000001\", \"0000000000000002\","
                 " \"ffffffffffffffff\"], \"pending\": \"1 + 2 = 3 \", \"pending_pos\": 4}}",
                 cases[i].word);
        write_all(path, text, strlen(text));
        bn_model m;
        bn_adamw opt;
        if (tiny_model(&fx->cfg, &m, &opt) != 0)
            continue;
        bn_train_state state = {0};
        bn_status st = bn_checkpoint_load_training(dir, &m, &opt, &state, &err);
        CHECK(st == BN_OK && state.step == 5 && state.tokens_seen == 80 &&
                  state.loss_ema == 0.5 && json_is_object(state.data),
              "word %s: a format 1 state not read: %s", cases[i].word, err.msg);
        /* Its "data" is the arithmetic source's legacy form. */
        bn_data_source *src = NULL;
        if (st == BN_OK && bn_arith_source_open(&spec, tok, 1, &src, &err) == BN_OK) {
            st = bn_source_load_state(src, state.data, "trainer_state.json: data", &err);
            json_t *back = bn_source_save_state(src);
            if (cases[i].ok)
                CHECK(st == BN_OK &&
                          strcmp(json_string_value(json_array_get(json_object_get(back, "rng"),
                                                                  0)),
                                 "00000000000000ff") == 0 &&
                          strcmp(json_string_value(json_object_get(back, "pending")),
                                 "1 + 2 = 3 ") == 0 &&
                          json_integer_value(json_object_get(back, "pending_pos")) == 4,
                      "word %s: %s", cases[i].word, err.msg);
            else
                CHECK(st == BN_ERR_INPUT && strstr(err.msg, "rng[0]") &&
                          strstr(err.msg, "hex"),
                      "word %s accepted: %d '%s'", cases[i].word, (int)st, err.msg);
            json_decref(back);
            bn_source_close(src);
        }
        bn_train_state_clear(&state);
        bn_adamw_free(&opt);
        bn_model_free(&m);
    }
    bn_tok_free(tok);
}

/* (8) latest: highest step_N directory, ignoring .tmp/.old and other names. */
static void test_latest(void)
{
    char run[CAP], path[CAP], out[CAP];
    in_root(run, "run_latest");
    mkdir(run, 0777);
    bn_error err = {0};
    bn_status st = bn_checkpoint_latest(run, out, sizeof out, &err);
    CHECK(st == BN_ERR_INPUT && strstr(err.msg, "no checkpoints in"), "empty run: %d '%s'",
          (int)st, err.msg);

    /* Several lower steps, so that a scan keeping the last entry seen is unlikely to pass. */
    const char *dirs[] = {"checkpoints", "checkpoints/step_000100", "checkpoints/step_000200",
                          "checkpoints/step_000050", "checkpoints/step_000150",
                          "checkpoints/step_000010", "checkpoints/step_000199",
                          "checkpoints/step_000300.tmp", "checkpoints/step_000400.old",
                          "checkpoints/step_", "checkpoints/step_12x"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        pathf(path, "%s/%s", run, dirs[i]);
        mkdir(path, 0777);
    }
    pathf(path, "%s/checkpoints/step_000900", run); /* a file, not a dir */
    write_all(path, "x", 1);

    st = bn_checkpoint_latest(run, out, sizeof out, &err);
    pathf(path, "%s/checkpoints/step_000200", run);
    CHECK(st == BN_OK && strcmp(out, path) == 0, "latest: %d '%s' '%s'", (int)st, out,
          err.msg);
    char small[8];
    CHECK(bn_checkpoint_latest(run, small, sizeof small, &err) != BN_OK, "tiny buffer ok");
}

int main(void)
{
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    tiny_fixture fx;
    if (fixture_init(&fx) != 0) {
        CHECK(0, "fixture setup failed");
        tiny_fixture_free(&fx);
        rm_tree(root);
        return check_exit("test_checkpoint");
    }
    char ckpt_dir[CAP], dir[CAP];
    in_root(ckpt_dir, "run/checkpoints");
    in_root(dir, "run");
    mkdir(dir, 0777);
    mkdir(ckpt_dir, 0777);
    pathf(dir, "%s/step_000042", ckpt_dir);

    test_round_trip(&fx, dir);
    test_deterministic(&fx, dir);
    test_overwrite(&fx, ckpt_dir, dir);
    test_truncated(dir);
    test_truncated_after_open(dir);
    test_wrong_shape(&fx);
    test_other_model(dir);
    test_foreign();
    test_bad_state(&fx);
    test_state_words(&fx);
    test_latest();

    tiny_fixture_free(&fx);
    rm_tree(root);
    CHECK(!exists(root), "temp dir %s not removed", root);
    return check_exit("test_checkpoint");
}
