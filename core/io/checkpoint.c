/* checkpoint.c - saving and loading training state (see checkpoint.h). */
#include "io/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "io/jsonio.h"
#include "tok/bpe.h"

#define FORMAT_NAME "bitnet-tui"
#define FORMAT_VERSION "1"
#define MODEL_FILE "model.safetensors"
#define OPTIM_FILE "optimizer.safetensors"
#define STATE_FILE "trainer_state.json"
#define TOKENIZER_FILE "tokenizer.json"
#define TOKENIZER_HASH_KEY "tokenizer_hash"
#define STATE_FORMAT_VERSION 2 /* 1: before data sources (README, "Data sources") */
#define PREFIX_M "exp_avg."
#define PREFIX_V "exp_avg_sq."
#define NAME_CAP 128          /* a tensor name (< 96) with either prefix */
#define MAX_EXACT_INT 9007199254740992.0 /* 2^53: JSON numbers are doubles */

/* ================================================================== small helpers */

/* printf into a path buffer; a truncated path is an input error naming what was cut. */
static bn_status path_printf(char *out, size_t cap, bn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bn_status path_printf(char *out, size_t cap, bn_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap)
        return bn_path_too_long(err, out, n);
    return BN_OK;
}

static int is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int path_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* %.17g (exact round trip) with '.' as the decimal point whatever LC_NUMERIC says, since
 * JSON and our metadata readers expect '.'. */
static void format_double(char *out, size_t cap, double x)
{
    snprintf(out, cap, "%.17g", x);
    const char *dp = localeconv()->decimal_point;
    if (dp[0] && !dp[1] && dp[0] != '.') {
        char *p = strchr(out, dp[0]);
        if (p)
            *p = '.';
    }
}

/* A whole non-negative decimal number (no sign, no spaces); -1 if s is not one. */
static int parse_count(const char *s, long *out)
{
    if (!s || !*s || strlen(s) > 18)
        return -1;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return 0;
}

/* fsync a directory so renames inside it are durable; failure is not an error (some
 * filesystems refuse to fsync directories). */
static void fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return;
    (void)fsync(fd);
    close(fd);
}

/* The directory holding path ("." for a bare name). */
static void parent_dir(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

/* Remove a flat directory: its files, then itself. A missing directory is fine. */
static bn_status remove_dir(const char *path, bn_error *err)
{
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT)
            return BN_OK;
        return bn_fail(err, BN_ERR_IO, "%s: cannot open directory: %s", path, strerror(errno));
    }
    bn_status st = BN_OK;
    struct dirent *e;
    while (st == BN_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char file[BN_PATH_MAX];
        st = path_printf(file, sizeof file, err, "%s/%s", path, e->d_name);
        if (st == BN_OK && unlink(file) != 0)
            st = bn_fail(err, BN_ERR_IO, "%s: cannot remove: %s", file, strerror(errno));
    }
    closedir(d);
    if (st == BN_OK && rmdir(path) != 0)
        st = bn_fail(err, BN_ERR_IO, "%s: cannot remove directory: %s", path, strerror(errno));
    return st;
}


/* ================================================================== saving */

/* The model's tensors (or its moments, under a name prefix) as safetensors entries. */
static void slab_tensors(const bn_model *m, const float *slab, const char *prefix,
                         char (*names)[NAME_CAP], bn_st_tensor *out)
{
    for (int i = 0; i < m->num_tensors; i++) {
        const bn_tensor_info *t = &m->tensors[i];
        snprintf(names[i], NAME_CAP, "%s%s", prefix, t->name);
        out[i] = (bn_st_tensor){.name = names[i], .dtype = BN_DTYPE_F32, .ndim = t->ndim,
                                .data = slab + t->offset, .nbytes = t->numel * sizeof(float)};
        for (int d = 0; d < t->ndim; d++)
            out[i].shape[d] = t->shape[d];
    }
}

/* tok_hash: the carried tokenizer's bn_tok_hash, or NULL when there is none. */
static bn_status write_model(const char *path, const bn_model *m, long step,
                             const char *config_ini, const char *experiment,
                             const char *tok_hash, bn_error *err)
{
    int n = m->num_tensors;
    char (*names)[NAME_CAP] = malloc((size_t)n * sizeof *names);
    bn_st_tensor *tensors = malloc((size_t)n * sizeof *tensors);
    bn_status st;
    if (!names || !tensors) {
        st = bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    } else {
        char step_s[32], params_s[32];
        snprintf(step_s, sizeof step_s, "%ld", step);
        snprintf(params_s, sizeof params_s, "%zu", m->num_params);
        const bn_st_meta meta[] = {
            {"format", FORMAT_NAME}, {"format_version", FORMAT_VERSION}, {"step", step_s},
            {"experiment", experiment ? experiment : ""}, {"config", config_ini},
            {"num_params", params_s}, {TOKENIZER_HASH_KEY, tok_hash},
        };
        int n_meta = (int)(sizeof meta / sizeof meta[0]) - (tok_hash ? 0 : 1);
        slab_tensors(m, m->params, "", names, tensors);
        st = bn_st_write(path, tensors, n, meta, n_meta, err);
    }
    free(names);
    free(tensors);
    return st;
}

/* The moments' bytes of the optimizer file's data section, [at, at + n): exp_avg of every
 * tensor in slab order, then exp_avg_sq; the tensors tile their slab in order (model.c lays
 * them out so), so byte at is element at / 4 of one slab. */
typedef struct {
    const bn_moment_source *src;
    size_t slab_bytes;
} fill_ctx;

static bn_status fill_moments(void *ctx, size_t at, void *buf, size_t n, bn_error *err)
{
    const fill_ctx *f = ctx;
    unsigned char *out = buf;
    while (n > 0) {
        int which = at >= f->slab_bytes;
        size_t in = at - (which ? f->slab_bytes : 0);
        size_t take = f->slab_bytes - in < n ? f->slab_bytes - in : n;
        bn_status st = f->src->read(f->src->ctx, which, in / sizeof(float),
                                    take / sizeof(float), (float *)out, err);
        if (st != BN_OK)
            return st;
        at += take, out += take, n -= take;
    }
    return BN_OK;
}

/* Whether the tensors tile the slab in order (what fill_moments relies on). */
static int tiles_in_order(const bn_model *m)
{
    size_t at = 0;
    for (int i = 0; i < m->num_tensors; i++) {
        if (m->tensors[i].offset != at)
            return 0;
        at += m->tensors[i].numel;
    }
    return at == m->num_params;
}

/* src NULL: opt's own (whole) moments; else src's, read in order. */
static bn_status write_optimizer(const char *path, const bn_model *m, const bn_adamw *opt,
                                 const bn_moment_source *src, bn_error *err)
{
    int n = m->num_tensors;
    char (*names)[NAME_CAP] = malloc(2 * (size_t)n * sizeof *names);
    bn_st_tensor *tensors = malloc(2 * (size_t)n * sizeof *tensors);
    bn_status st;
    if (!names || !tensors) {
        st = bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    } else if (src && !tiles_in_order(m)) {
        st = bn_fail(err, BN_ERR_INPUT, "%s: the model's tensors do not tile its slab in "
                     "order", path);
    } else {
        char step_s[32], b1[32], b2[32], eps[32];
        snprintf(step_s, sizeof step_s, "%ld", opt->t);
        format_double(b1, sizeof b1, opt->beta1);
        format_double(b2, sizeof b2, opt->beta2);
        format_double(eps, sizeof eps, opt->eps);
        const bn_st_meta meta[] = {
            {"step", step_s}, {"beta1", b1}, {"beta2", b2}, {"eps", eps},
        };
        int n_meta = (int)(sizeof meta / sizeof meta[0]);
        slab_tensors(m, opt->m, PREFIX_M, names, tensors);
        slab_tensors(m, opt->v, PREFIX_V, names + n, tensors + n);
        fill_ctx f = {src, sizeof(float) * m->num_params};
        st = src ? bn_st_write_filled(path, tensors, 2 * n, meta, n_meta, fill_moments, &f,
                                      err)
                 : bn_st_write(path, tensors, 2 * n, meta, n_meta, err);
    }
    free(names);
    free(tensors);
    return st;
}

void bn_train_state_clear(bn_train_state *state)
{
    json_decref(state->data);
    state->data = NULL;
}

/* What save can store: finite doubles (JSON has no NaN) and a data position. */
static bn_status check_state(const char *dir, const bn_train_state *state, bn_error *err)
{
    if (!isfinite(state->loss_ema) || !isfinite(state->ema_weight))
        return bn_fail(err, BN_ERR_DIVERGED, "%s: cannot save a non-finite loss average",
                       dir);
    if (state->step < 0 || state->tokens_seen < 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: negative step or token count in the state",
                       dir);
    if (!json_is_object(state->data))
        return bn_fail(err, BN_ERR_INPUT, "%s: no data source position to save", dir);
    return BN_OK;
}

/* trainer_state.json (atomically, see bn_json_write_file); doubles exact. */
static bn_status write_state(const char *path, const bn_train_state *state, bn_error *err)
{
    json_t *doc = json_pack("{s:i, s:I, s:I, s:f, s:f, s:O}", "format_version",
                            STATE_FORMAT_VERSION, "step", (json_int_t)state->step,
                            "tokens_seen", (json_int_t)state->tokens_seen, "loss_ema",
                            state->loss_ema, "ema_weight", state->ema_weight, "data",
                            state->data);
    if (!doc)
        return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory", path);
    bn_status st = bn_json_write_file(path, doc, BN_JSON_EXACT, err);
    json_decref(doc);
    return st;
}

/* A fresh, empty "<dir>.tmp" (a crashed save may have left one behind). */
static bn_status fresh_dir(const char *path, bn_error *err)
{
    bn_status st = remove_dir(path, err);
    if (st != BN_OK)
        return st;
    if (mkdir(path, 0777) != 0)
        return bn_fail(err, BN_ERR_IO, "%s: cannot create directory: %s", path,
                       strerror(errno));
    return BN_OK;
}

/* A BPE tokenizer's tokenizer.json into tmp, and its hash for the metadata; nothing (and
 * hash "") for a character vocabulary. */
static bn_status write_tokenizer(const char *tmp, const bn_tokenizer *tok,
                                 char hash[BN_TOK_HASH_CAP], bn_error *err)
{
    char path[BN_PATH_MAX];
    hash[0] = '\0';
    if (!tok || !bn_tok_is_bpe(tok))
        return BN_OK;
    bn_status st = bn_tok_hash(tok, hash, err);
    if (st == BN_OK)
        st = path_printf(path, sizeof path, err, "%s/" TOKENIZER_FILE, tmp);
    if (st == BN_OK)
        st = bn_tok_save_hf(tok, path, err);
    return st;
}

static bn_status write_all_files(const char *tmp, const bn_model *m, const bn_adamw *opt,
                                 const bn_moment_source *src, const bn_train_state *state,
                                 const char *config_ini, const char *experiment,
                                 const bn_tokenizer *tok, bn_error *err)
{
    char path[BN_PATH_MAX], hash[BN_TOK_HASH_CAP];
    bn_status st = write_tokenizer(tmp, tok, hash, err);
    if (st == BN_OK)
        st = path_printf(path, sizeof path, err, "%s/" MODEL_FILE, tmp);
    if (st == BN_OK)
        st = write_model(path, m, state->step, config_ini, experiment, hash[0] ? hash : NULL,
                         err);
    if (st == BN_OK)
        st = path_printf(path, sizeof path, err, "%s/" OPTIM_FILE, tmp);
    if (st == BN_OK)
        st = write_optimizer(path, m, opt, src, err);
    if (st == BN_OK)
        st = path_printf(path, sizeof path, err, "%s/" STATE_FILE, tmp);
    if (st == BN_OK)
        st = write_state(path, state, err);
    return st;
}

/* Put the complete tmp directory in place of dir: the old one is moved aside first, and
 * removed only once the new one holds the real name. */
static bn_status swap_into_place(const char *dir, const char *tmp, const char *old,
                                 bn_error *err)
{
    if (path_exists(dir)) {
        /* A stale .old (from a crash) would make the rename fail; tmp is complete now. */
        bn_status st = remove_dir(old, err);
        if (st != BN_OK)
            return st;
        if (rename(dir, old) != 0)
            return bn_fail(err, BN_ERR_IO, "%s: cannot move aside to %s: %s", dir, old,
                           strerror(errno));
    }
    if (rename(tmp, dir) != 0)
        return bn_fail(err, BN_ERR_IO, "%s: cannot rename %s into place: %s", dir, tmp,
                       strerror(errno));
    char parent[BN_PATH_MAX];
    parent_dir(dir, parent, sizeof parent);
    fsync_dir(parent);
    return remove_dir(old, err);
}

bn_status bn_checkpoint_save(const char *dir, const bn_model *m, const bn_adamw *opt,
                             const bn_train_state *state, const char *config_ini,
                             const char *experiment, bn_error *err)
{
    return bn_checkpoint_save_tok(dir, m, opt, state, config_ini, experiment, NULL, err);
}

bn_status bn_checkpoint_save_tok(const char *dir, const bn_model *m, const bn_adamw *opt,
                                 const bn_train_state *state, const char *config_ini,
                                 const char *experiment, const bn_tokenizer *tok,
                                 bn_error *err)
{
    return bn_checkpoint_save_from(dir, m, opt, NULL, state, config_ini, experiment, tok, err);
}

bn_status bn_checkpoint_save_from(const char *dir, const bn_model *m, const bn_adamw *opt,
                                  const bn_moment_source *src, const bn_train_state *state,
                                  const char *config_ini, const char *experiment,
                                  const bn_tokenizer *tok, bn_error *err)
{
    char clean[BN_PATH_MAX], tmp[BN_PATH_MAX], old[BN_PATH_MAX];
    if (!dir || !*dir)
        return bn_fail(err, BN_ERR_INPUT, "checkpoint: empty directory name");
    if (!config_ini)
        return bn_fail(err, BN_ERR_INPUT, "%s: no configuration text to store", dir);
    if (!src && opt->n != m->num_params)
        return bn_fail(err, BN_ERR_INPUT, "%s: optimizer holds %zu values, model has %zu",
                       dir, opt->n, m->num_params);
    /* "x/step_1/" must give "x/step_1.tmp", not "x/step_1/.tmp". */
    bn_status st = path_printf(clean, sizeof clean, err, "%s", dir);
    for (size_t n = strlen(clean); n > 1 && clean[n - 1] == '/'; n--)
        clean[n - 1] = '\0';
    if (st == BN_OK)
        st = check_state(clean, state, err);
    if (st == BN_OK)
        st = path_printf(tmp, sizeof tmp, err, "%s.tmp", clean);
    if (st == BN_OK)
        st = path_printf(old, sizeof old, err, "%s.old", clean);
    if (st == BN_OK)
        st = fresh_dir(tmp, err);
    if (st == BN_OK) {
        st = write_all_files(tmp, m, opt, src, state, config_ini, experiment, tok, err);
        if (st != BN_OK) /* a full disk: what was written goes, the previous one stays */
            (void)remove_dir(tmp, NULL);
    }
    if (st == BN_OK) {
        fsync_dir(tmp); /* the files' directory entries, before the directory is renamed */
        st = swap_into_place(clean, tmp, old, err);
    }
    return st;
}

/* ================================================================== opening */

/* The step recorded in the model file's metadata. */
static bn_status check_format(const char *path, const bn_st_file *file, long *step,
                              bn_error *err)
{
    const char *format = bn_st_meta_get(file, "format");
    const char *version = bn_st_meta_get(file, "format_version");
    if (!format || strcmp(format, FORMAT_NAME) != 0)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a bitnet-tui checkpoint (no \"format\": \"" FORMAT_NAME
                       "\" in metadata)", path);
    if (version && strcmp(version, FORMAT_VERSION) != 0)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: unsupported bitnet-tui checkpoint format_version \"%.32s\" "
                       "(this build reads " FORMAT_VERSION ")", path, version);
    if (!bn_st_meta_get(file, "config"))
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a bitnet-tui checkpoint (no config in metadata)", path);
    const char *step_s = bn_st_meta_get(file, "step");
    if (parse_count(step_s, step) < 0)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: not a bitnet-tui checkpoint (step metadata \"%.32s\" is not a "
                       "step count)", path, step_s ? step_s : "");
    return BN_OK;
}

bn_status bn_checkpoint_open(const char *path, bn_config *cfg, bn_st_file *file,
                             long *step, bn_error *err)
{
    char model_path[BN_PATH_MAX], origin[BN_PATH_MAX];
    memset(file, 0, sizeof *file);
    if (!path || !*path)
        return bn_fail(err, BN_ERR_INPUT, "checkpoint: empty path");
    bn_status st = is_dir(path)
                       ? path_printf(model_path, sizeof model_path, err, "%s/" MODEL_FILE, path)
                       : path_printf(model_path, sizeof model_path, err, "%s", path);
    if (st == BN_OK)
        st = path_printf(origin, sizeof origin, err, "%s (config metadata)", path);
    if (st != BN_OK)
        return st;
    st = bn_st_load(file, model_path, err);
    if (st != BN_OK)
        return st;
    long found = 0;
    st = check_format(path, file, &found, err);
    if (st == BN_OK)
        st = bn_config_parse(cfg, bn_st_meta_get(file, "config"), origin, err);
    if (st != BN_OK) {
        bn_st_free(file);
        return st;
    }
    if (step)
        *step = found;
    return BN_OK;
}

/* ================================================================== tokenizer */

bn_status bn_checkpoint_tokenizer(const char *path, const bn_st_file *file,
                                  bn_tokenizer **out, bn_error *err)
{
    char dir[BN_PATH_MAX], tok_path[BN_PATH_MAX], have[BN_TOK_HASH_CAP];
    const char *want = bn_st_meta_get(file, TOKENIZER_HASH_KEY);
    struct stat sb;
    *out = NULL;
    if (!want)
        return BN_OK;
    bn_status st = path_printf(dir, sizeof dir, err, "%s", path);
    if (st == BN_OK && !is_dir(path))
        parent_dir(path, dir, sizeof dir);
    if (st == BN_OK)
        st = path_printf(tok_path, sizeof tok_path, err, "%s/" TOKENIZER_FILE, dir);
    if (st == BN_OK && stat(tok_path, &sb) != 0)
        return bn_fail(err, BN_ERR_INPUT,
                       "%s: missing: the checkpoint's metadata names tokenizer %.32s", tok_path,
                       want);
    if (st == BN_OK)
        st = bn_tok_load_hf(out, tok_path, err);
    if (st == BN_OK)
        st = bn_tok_hash(*out, have, err);
    if (st == BN_OK && strcmp(have, want) != 0)
        st = bn_fail(err, BN_ERR_INPUT,
                     "%s: tokenizer hash %s, but the checkpoint's metadata says %.32s (the "
                     "file was changed?)", tok_path, have, want);
    if (st != BN_OK) {
        bn_tok_free(*out);
        *out = NULL;
    }
    return st;
}

/* ================================================================== tensors */

/* Check that every model tensor is in file under prefix, F32, with the model's shape. */
static bn_status check_slab(const bn_model *m, const bn_st_file *file, const char *prefix,
                            bn_error *err)
{
    for (int i = 0; i < m->num_tensors; i++) {
        const bn_tensor_info *t = &m->tensors[i];
        char name[NAME_CAP];
        snprintf(name, sizeof name, "%s%s", prefix, t->name);
        bn_status st = bn_st_expect(file, name, BN_DTYPE_F32, t->ndim, t->shape, NULL, err);
        if (st != BN_OK)
            return st;
    }
    return BN_OK;
}

/* Copy the tensors check_slab accepted into a slab laid out like m->params, straight from
 * the file (no copy of the whole file is ever held: README, "Runs on disk"). */
static bn_status copy_slab(const bn_model *m, const bn_st_file *file, const char *prefix,
                           float *slab, bn_error *err)
{
    for (int i = 0; i < m->num_tensors; i++) {
        const bn_tensor_info *t = &m->tensors[i];
        char name[NAME_CAP];
        snprintf(name, sizeof name, "%s%s", prefix, t->name);
        bn_status st = bn_st_copy(file, bn_st_find(file, name), slab + t->offset, err);
        if (st != BN_OK)
            return st;
    }
    return BN_OK;
}

/* Elements [first, first + n) of the slab laid out like m->params whose tensors are in
 * file under prefix (checked by check_slab), into out. */
static bn_status copy_slab_range(const bn_model *m, const bn_st_file *file, const char *prefix,
                                 size_t first, size_t n, float *out, bn_error *err)
{
    size_t end = first + n;
    for (int i = 0; i < m->num_tensors && first < end; i++) {
        const bn_tensor_info *t = &m->tensors[i];
        size_t lo = t->offset > first ? t->offset : first;
        size_t hi = t->offset + t->numel < end ? t->offset + t->numel : end;
        if (lo >= hi)
            continue;
        char name[NAME_CAP];
        snprintf(name, sizeof name, "%s%s", prefix, t->name);
        bn_status st = bn_st_copy_range(file, bn_st_find(file, name),
                                        (lo - t->offset) * sizeof(float),
                                        (hi - lo) * sizeof(float), out + (lo - first), err);
        if (st != BN_OK)
            return st;
    }
    return BN_OK;
}

/* Checking everything before copying anything leaves m untouched when a file is refused;
 * only a file cut short by another process while it is copied fails in the middle (the
 * callers then load another checkpoint or give up the model). */
bn_status bn_checkpoint_load_params(bn_model *m, const bn_st_file *file, bn_error *err)
{
    bn_status st = check_slab(m, file, "", err);
    if (st == BN_OK)
        st = copy_slab(m, file, "", m->params, err);
    if (st == BN_OK)
        bn_model_params_changed(m);
    return st;
}

/* ================================================================== training state */

/* A whole count in [0, 2^53] (an integer, or a real with no fraction, as format 1's
 * writer could produce) into out; -1 if missing or not one. */
static int json_count(const json_t *node, long *out)
{
    double v;
    if (json_is_integer(node))
        v = (double)json_integer_value(node);
    else if (json_is_real(node))
        v = json_real_value(node);
    else
        return -1;
    if (v < 0 || v > MAX_EXACT_INT || v != floor(v))
        return -1;
    *out = (long)v;
    return 0;
}

/* The parsed document into state (data: a new reference); returns the key that is wrong,
 * with what it must be, or NULL. */
static const char *read_state(const json_t *root, bn_train_state *state)
{
    long version = 1;
    const json_t *fv = json_object_get(root, "format_version");
    if (!json_is_object(root))
        return "not a JSON object";
    if (fv && (json_count(fv, &version) < 0 || version < 1 || version > STATE_FORMAT_VERSION))
        return "\"format_version\": must be 1 or 2 (a newer bitnet-tui wrote it?)";
    if (json_count(json_object_get(root, "step"), &state->step) < 0)
        return "\"step\": missing or not a whole number >= 0";
    if (json_count(json_object_get(root, "tokens_seen"), &state->tokens_seen) < 0)
        return "\"tokens_seen\": missing or not a whole number >= 0";
    if (!json_is_number(json_object_get(root, "loss_ema")))
        return "\"loss_ema\": missing or not a number";
    if (!json_is_number(json_object_get(root, "ema_weight")))
        return "\"ema_weight\": missing or not a number";
    const json_t *data = json_object_get(root, "data");
    if (!json_is_object(data))
        return "\"data\": missing or not an object";
    if (version >= 2 && !json_is_string(json_object_get(data, "kind")))
        return "\"data.kind\": missing or not a string (format_version 2)";
    state->loss_ema = json_number_value(json_object_get(root, "loss_ema"));
    state->ema_weight = json_number_value(json_object_get(root, "ema_weight"));
    state->data = json_incref((json_t *)data);
    return NULL;
}

/* Parse and validate trainer_state.json into state (untouched on failure). */
static bn_status load_state(const char *path, bn_train_state *state, bn_error *err)
{
    json_t *root = NULL;
    bn_status st = bn_json_read_file(path, &root, err);
    if (st != BN_OK)
        return st;
    bn_train_state parsed = *state;
    const char *wrong = read_state(root, &parsed);
    if (wrong)
        st = bn_fail(err, BN_ERR_INPUT, "%s: %s", path, wrong);
    else {
        json_decref(state->data);
        *state = parsed;
    }
    json_decref(root);
    return st;
}

/* AdamW's step count from the optimizer file's metadata. */
static bn_status read_opt_step(const bn_st_file *file, long *t, bn_error *err)
{
    const char *s = bn_st_meta_get(file, "step");
    if (parse_count(s, t) < 0)
        return bn_fail(err, BN_ERR_INPUT, "%s: missing or invalid \"step\" metadata",
                       file->path);
    return BN_OK;
}

bn_status bn_checkpoint_moments_open(const char *dir, const bn_model *m, bn_st_file *file,
                                     bn_error *err)
{
    char path[BN_PATH_MAX];
    memset(file, 0, sizeof *file);
    bn_status st = path_printf(path, sizeof path, err, "%s/" OPTIM_FILE, dir);
    if (st == BN_OK)
        st = bn_st_load(file, path, err);
    if (st != BN_OK)
        return st;
    st = check_slab(m, file, PREFIX_M, err);
    if (st == BN_OK)
        st = check_slab(m, file, PREFIX_V, err);
    if (st != BN_OK)
        bn_st_free(file);
    return st;
}

bn_status bn_checkpoint_moments_read(const bn_st_file *file, const bn_model *m, int which,
                                     size_t first, size_t n, float *out, bn_error *err)
{
    if (first > m->num_params || n > m->num_params - first)
        return bn_fail(err, BN_ERR_INPUT, "%s: moments %zu..%zu of %zu", file->path, first,
                       first + n, m->num_params);
    return copy_slab_range(m, file, which ? PREFIX_V : PREFIX_M, first, n, out, err);
}

bn_status bn_checkpoint_load_training(const char *dir, const bn_model *m, bn_adamw *opt,
                                      bn_train_state *state, bn_error *err)
{
    char state_path[BN_PATH_MAX];
    if (opt->lo > m->num_params || opt->n > m->num_params - opt->lo)
        return bn_fail(err, BN_ERR_INPUT, "%s: optimizer holds values %zu..%zu, model has %zu",
                       dir, opt->lo, opt->lo + opt->n, m->num_params);
    bn_status st = path_printf(state_path, sizeof state_path, err, "%s/" STATE_FILE, dir);
    if (st != BN_OK)
        return st;
    bn_st_file file;
    st = bn_checkpoint_moments_open(dir, m, &file, err);
    if (st != BN_OK)
        return st;
    long t = 0;
    st = read_opt_step(&file, &t, err);
    if (st == BN_OK)
        st = load_state(state_path, state, err);
    /* Everything validated: only now touch the optimizer. */
    if (st == BN_OK)
        st = bn_checkpoint_moments_read(&file, m, 0, opt->lo, opt->n, opt->m, err);
    if (st == BN_OK)
        st = bn_checkpoint_moments_read(&file, m, 1, opt->lo, opt->n, opt->v, err);
    if (st == BN_OK)
        opt->t = t;
    bn_st_free(&file);
    return st;
}

/* ================================================================== finding */

/* The step number of an entry named exactly "step_<digits>"; -1 otherwise. */
static long step_of(const char *name)
{
    long step;
    if (strncmp(name, "step_", 5) != 0 || parse_count(name + 5, &step) < 0)
        return -1;
    return step;
}

/* qsort order: highest step first. */
static int newer_first(const void *a, const void *b)
{
    long x = ((const bn_checkpoint_entry *)a)->step, y = ((const bn_checkpoint_entry *)b)->step;
    return x > y ? -1 : x < y;
}

/* Add the entry called name (a "step_<digits>" directory in dir) to *list. */
static bn_status add_entry(bn_checkpoint_list *list, const char *dir, const char *name,
                           size_t *cap, bn_error *err)
{
    char entry[BN_PATH_MAX];
    long step = step_of(name);
    if (step < 0 || strlen(name) >= sizeof list->at[0].name ||
        path_printf(entry, sizeof entry, NULL, "%s/%s", dir, name) != BN_OK || !is_dir(entry))
        return BN_OK;
    if (list->n == *cap) {
        size_t grown = *cap ? 2 * *cap : 16;
        bn_checkpoint_entry *at = realloc(list->at, grown * sizeof *at);
        if (!at)
            return bn_fail(err, BN_ERR_NOMEM, "%s: out of memory listing checkpoints", dir);
        list->at = at;
        *cap = grown;
    }
    list->at[list->n].step = step;
    snprintf(list->at[list->n].name, sizeof list->at[0].name, "%s", name);
    list->n++;
    return BN_OK;
}

bn_status bn_checkpoint_list_run(const char *run_dir, bn_checkpoint_list *list, bn_error *err)
{
    char dir[BN_PATH_MAX];
    memset(list, 0, sizeof *list);
    bn_status st = path_printf(dir, sizeof dir, err, "%s/checkpoints", run_dir);
    DIR *d = st == BN_OK ? opendir(dir) : NULL;
    if (!d)
        return st; /* no checkpoints directory: none */
    size_t cap = 0;
    struct dirent *e;
    while (st == BN_OK && (e = readdir(d)) != NULL)
        st = add_entry(list, dir, e->d_name, &cap, err);
    closedir(d);
    if (st != BN_OK)
        bn_checkpoint_list_free(list);
    else if (list->n > 1)
        qsort(list->at, list->n, sizeof *list->at, newer_first);
    return st;
}

void bn_checkpoint_list_free(bn_checkpoint_list *list)
{
    free(list->at);
    list->at = NULL;
    list->n = 0;
}

/* Whether name ends in ".tmp". */
static int is_tmp_name(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".tmp") == 0;
}

bn_status bn_checkpoint_remove_tmp(const char *run_dir, int *removed, bn_error *err)
{
    char dir[BN_PATH_MAX], entry[BN_PATH_MAX];
    *removed = 0;
    bn_status st = path_printf(dir, sizeof dir, err, "%s/checkpoints", run_dir);
    DIR *d = st == BN_OK ? opendir(dir) : NULL;
    if (!d)
        return st;
    struct dirent *e;
    while (st == BN_OK && (e = readdir(d)) != NULL) {
        if (!is_tmp_name(e->d_name))
            continue;
        st = path_printf(entry, sizeof entry, err, "%s/%s", dir, e->d_name);
        if (st == BN_OK && is_dir(entry) && (st = remove_dir(entry, err)) == BN_OK)
            (*removed)++;
    }
    closedir(d);
    return st;
}

/* Whether pruning keeps entry e, given the step just saved (README, "Runs on disk"): the
 * saved one, the keep - 1 next below it (*below counts them), and multiples of keep_every
 * at or below it. Those above it belong to a continuation that a resume abandoned. */
static int kept(const bn_checkpoint_entry *e, long saved, int keep, int keep_every, int *below)
{
    if (e->step == saved)
        return 1;
    if (e->step > saved)
        return 0;
    if (*below < keep - 1) {
        (*below)++;
        return 1;
    }
    return keep_every > 0 && e->step % keep_every == 0;
}

/* Delete checkpoint directory dir: renamed to "<dir>.tmp" first, so that a crash while its
 * files go leaves an unfinished save (removed when the run restarts), never a torn
 * checkpoint under its real name (README, "Resume"). */
static bn_status remove_checkpoint(const char *dir, bn_error *err)
{
    char aside[BN_PATH_MAX];
    bn_status st = path_printf(aside, sizeof aside, err, "%s.tmp", dir);
    if (st == BN_OK)
        st = remove_dir(aside, err); /* a stale one would make the rename fail */
    if (st == BN_OK && rename(dir, aside) != 0)
        st = bn_fail(err, BN_ERR_IO, "%s: cannot rename to %s: %s", dir, aside,
                     strerror(errno));
    return st == BN_OK ? remove_dir(aside, err) : st;
}

bn_status bn_checkpoint_prune(const char *run_dir, long saved_step, int keep, int keep_every,
                              bn_error *err)
{
    if (keep <= 0)
        return BN_OK;
    bn_checkpoint_list list;
    bn_status st = bn_checkpoint_list_run(run_dir, &list, err);
    int below = 0;
    int have_saved = 0;
    for (size_t i = 0; st == BN_OK && i < list.n; i++)
        have_saved |= list.at[i].step == saved_step;
    for (size_t i = 0; st == BN_OK && have_saved && i < list.n; i++) {
        char entry[BN_PATH_MAX];
        if (kept(&list.at[i], saved_step, keep, keep_every, &below))
            continue;
        st = path_printf(entry, sizeof entry, err, "%s/checkpoints/%s", run_dir,
                         list.at[i].name);
        if (st == BN_OK)
            st = remove_checkpoint(entry, err);
    }
    bn_checkpoint_list_free(&list);
    return st;
}

/* "<run>/checkpoints/step_<digits>" with trailing slashes trimmed: the run directory (the
 * parent's parent) into run_dir and the step; -1 if path is not of that form. */
static int split_step_path(const char *path, char *run_dir, size_t cap, long *step)
{
    char p[BN_PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (size_t n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
        p[n - 1] = '\0';
    char *base = strrchr(p, '/');
    if (!base || (*step = step_of(base + 1)) < 0)
        return -1;
    *base = '\0';
    char *parent = strrchr(p, '/');
    const char *name = parent ? parent + 1 : p;
    if (strcmp(name, "checkpoints") != 0)
        return -1;
    if (parent)
        *parent = '\0';
    snprintf(run_dir, cap, "%s", parent ? (p[0] ? p : "/") : ".");
    return 0;
}

bn_status bn_checkpoint_resume_target(const char *arg, char *run_dir, size_t cap, long *step,
                                      bn_error *err)
{
    *step = -1;
    if (!arg || !*arg)
        return bn_fail(err, BN_ERR_INPUT, "--resume: empty path");
    if (strlen(arg) >= BN_PATH_MAX || strlen(arg) >= cap)
        return bn_path_too_long(err, arg, (long)strlen(arg));
    if (split_step_path(arg, run_dir, cap, step) == 0)
        return is_dir(arg) ? BN_OK
                           : bn_fail(err, BN_ERR_INPUT, "--resume %s: no such checkpoint "
                                     "directory", arg);
    snprintf(run_dir, cap, "%s", arg);
    for (size_t n = strlen(run_dir); n > 1 && run_dir[n - 1] == '/'; n--)
        run_dir[n - 1] = '\0';
    return BN_OK;
}

bn_status bn_checkpoint_latest(const char *run_dir, char *out, size_t cap, bn_error *err)
{
    bn_checkpoint_list list;
    bn_status st = bn_checkpoint_list_run(run_dir, &list, err);
    if (st == BN_OK && list.n == 0)
        st = bn_fail(err, BN_ERR_INPUT, "%s: no checkpoints in %s/checkpoints", run_dir,
                     run_dir);
    if (st == BN_OK)
        st = path_printf(out, cap, err, "%s/checkpoints/%s", run_dir, list.at[0].name);
    bn_checkpoint_list_free(&list);
    return st;
}
