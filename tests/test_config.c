/* test_config.c - the INI schema: defaults, the shipped experiments, round trips through
 * the written form, --set overrides, and one bad file per class of mistake.
 * Run from the repository root (or with $srcdir set, as make check does), or pass the
 * experiments directory as argv[1]. */
#include "check.h"
#include "io/config.h"
#include "model/model.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp_dir[256];

static bool has(const char *haystack, const char *needle)
{
    return strstr(haystack, needle) != NULL;
}

/* Every field equal (source_path excepted: it names where the config came from). */
static bool config_equal(const bn_config *a, const bn_config *b)
{
    const bn_model_config *am = &a->model, *bm = &b->model;
    const bn_train_config *at = &a->train, *bt = &b->train;
    const bn_log_config *al = &a->log, *bl = &b->log;
    const bn_data_config *ad = &a->data, *bd = &b->data;
    return strcmp(a->experiment.name, b->experiment.name) == 0 &&
           a->experiment.task == b->experiment.task &&
           strcmp(a->experiment.description, b->experiment.description) == 0 &&
           am->vocab_size == bm->vocab_size && am->hidden_size == bm->hidden_size &&
           am->num_layers == bm->num_layers && am->num_heads == bm->num_heads &&
           am->num_kv_heads == bm->num_kv_heads && am->ffn_size == bm->ffn_size &&
           am->max_seq_len == bm->max_seq_len && am->rope_theta == bm->rope_theta &&
           am->norm_eps == bm->norm_eps && am->embedding_init_std == bm->embedding_init_std &&
           at->num_steps == bt->num_steps && at->batch_size == bt->batch_size &&
           at->seq_len == bt->seq_len && at->grad_accum_steps == bt->grad_accum_steps &&
           at->peak_lr == bt->peak_lr &&
           at->warmup_steps == bt->warmup_steps && at->weight_decay == bt->weight_decay &&
           at->beta1 == bt->beta1 && at->beta2 == bt->beta2 && at->adam_eps == bt->adam_eps &&
           at->grad_clip == bt->grad_clip && at->seed == bt->seed &&
           at->threads == bt->threads && al->log_interval == bl->log_interval &&
           al->sample_interval == bl->sample_interval &&
           al->checkpoint_interval == bl->checkpoint_interval &&
           al->keep_checkpoints == bl->keep_checkpoints && al->keep_every == bl->keep_every &&
           al->eval_problems == bl->eval_problems && strcmp(al->run_id, bl->run_id) == 0 &&
           strcmp(al->runs_dir, bl->runs_dir) == 0 && ad->max_operand == bd->max_operand &&
           strcmp(ad->operators, bd->operators) == 0 &&
           ad->holdout_percent == bd->holdout_percent && strcmp(ad->path, bd->path) == 0;
}

/* Write text to tmp_dir/name and return the path (static buffer). */
static const char *write_ini(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    return path;
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void test_defaults(void)
{
    bn_config cfg;
    bn_error err = {0};
    bn_config_defaults(&cfg);
    CHECK(bn_config_validate(&cfg, &err) == BN_OK, "defaults: %s", err.msg);
    CHECK(strcmp(cfg.experiment.name, "arithmetic") == 0, "name %s", cfg.experiment.name);
    CHECK(cfg.experiment.task == BN_TASK_ARITHMETIC, "task %d", cfg.experiment.task);
    CHECK(cfg.model.vocab_size == 32 && cfg.model.hidden_size == 256 &&
              cfg.model.num_layers == 4 && cfg.model.num_heads == 4 &&
              cfg.model.num_kv_heads == 2 && cfg.model.ffn_size == 768 &&
              cfg.model.max_seq_len == 256,
          "model defaults");
    CHECK(cfg.model.rope_theta == 10000 && cfg.model.norm_eps == 1e-5 &&
              cfg.model.embedding_init_std == 1.0,
          "model double defaults");
    CHECK(cfg.train.num_steps == 10000 && cfg.train.batch_size == 32 &&
              cfg.train.seq_len == 64 && cfg.train.warmup_steps == 100 &&
              cfg.train.threads == 0 && cfg.train.seed == 1337 &&
              cfg.train.grad_accum_steps == 1,
          "training defaults");
    CHECK(cfg.train.peak_lr == 1.5e-3 && cfg.train.weight_decay == 0.1 &&
              cfg.train.beta1 == 0.9 && cfg.train.beta2 == 0.95 && cfg.train.adam_eps == 1e-8 &&
              cfg.train.grad_clip == 1.0,
          "optimizer defaults");
    CHECK(cfg.log.log_interval == 10 && cfg.log.sample_interval == 500 &&
              cfg.log.checkpoint_interval == 1000 && cfg.log.keep_checkpoints == 3 &&
              cfg.log.keep_every == 0 && cfg.log.eval_problems == 200 &&
              cfg.log.run_id[0] == '\0' && strcmp(cfg.log.runs_dir, "runs") == 0,
          "logging defaults");
    CHECK(cfg.data.max_operand == 100 && strcmp(cfg.data.operators, "+-*/") == 0 &&
              cfg.data.holdout_percent == 10 && cfg.data.path[0] == '\0',
          "data defaults");
    CHECK(cfg.source_path[0] == '\0', "source_path '%s'", cfg.source_path);
    CHECK(strcmp(bn_task_name(BN_TASK_TEXT), "text") == 0, "task name");

    /* Evaluations follow sample_interval until eval_interval is set (old INI files). */
    CHECK(cfg.log.eval_interval == 0 && bn_config_eval_interval(&cfg) == 500,
          "eval_interval default %d -> %d", cfg.log.eval_interval, bn_config_eval_interval(&cfg));
    CHECK(bn_config_set(&cfg, "logging.eval_interval=100", &err) == BN_OK &&
              bn_config_eval_interval(&cfg) == 100 && cfg.log.sample_interval == 500,
          "eval_interval 100: %s", err.msg);
    CHECK(bn_config_set(&cfg, "logging.eval_interval=-1", &err) == BN_ERR_INPUT &&
              has(err.msg, "eval_interval"), "eval_interval -1: %s", err.msg);

    /* bn_config_validate checks ranges on its own, not only while parsing. */
    cfg.train.batch_size = 0;
    bn_status st = bn_config_validate(&cfg, &err);
    CHECK(st == BN_ERR_INPUT && has(err.msg, "batch_size"), "validate batch 0: %s", err.msg);
}

static void test_experiments(const char *dir)
{
    static const struct {
        const char *file, *name;
        bn_task task;
        int vocab, hidden, layers, heads, kv, ffn, seq, batch;
        long steps;
        int warmup, accum;
        size_t params; /* bn_model_param_count */
    } want[] = {
        {"arithmetic.ini", "arithmetic", BN_TASK_ARITHMETIC, 32, 256, 4, 4, 2, 768, 64, 32,
         6000, 100, 1, 3162368},
        {"tictactoe.ini", "tictactoe", BN_TASK_TICTACTOE, 32, 128, 4, 4, 2, 384, 128, 32,
         3000, 100, 1, 794752},
        {"tinystories.ini", "tinystories", BN_TASK_TEXT, 2048, 384, 6, 8, 4, 1152, 256, 16,
         1200, 200, 1, 11422080},
        /* The previous tool's baseline: 8 layers, 6 kv heads, 16 rows x 2 micro-batches;
         * 95,410,944 parameters (its docs' 95,367,936 leaves out the BitLinear norm gains). */
        {"baseline-95m.ini", "baseline-95m", BN_TASK_TEXT, 32000, 768, 8, 12, 6, 3072, 256,
         16, 400000, 375, 2, 95410944},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, want[i].file);
        bn_config cfg;
        bn_error err = {0};
        bn_config_defaults(&cfg);
        bn_status st = bn_config_load(&cfg, path, &err);
        CHECK(st == BN_OK, "%s: %s", path, err.msg);
        if (st != BN_OK)
            continue;
        CHECK(strcmp(cfg.source_path, path) == 0, "source_path %s", cfg.source_path);
        CHECK(strcmp(cfg.experiment.name, want[i].name) == 0, "%s: name %s", path,
              cfg.experiment.name);
        CHECK(cfg.experiment.task == want[i].task, "%s: task", path);
        CHECK(cfg.experiment.description[0] != '\0', "%s: description", path);
        CHECK(cfg.model.vocab_size == want[i].vocab && cfg.model.hidden_size == want[i].hidden &&
                  cfg.model.num_layers == want[i].layers &&
                  cfg.model.num_heads == want[i].heads && cfg.model.num_kv_heads == want[i].kv &&
                  cfg.model.ffn_size == want[i].ffn,
              "%s: model shape", path);
        CHECK(cfg.train.seq_len == want[i].seq && cfg.train.batch_size == want[i].batch &&
                  cfg.train.num_steps == want[i].steps &&
                  cfg.train.warmup_steps == want[i].warmup && cfg.train.peak_lr == 1.5e-3 &&
                  cfg.train.grad_accum_steps == want[i].accum,
              "%s: training", path);
        CHECK(bn_model_param_count(&cfg.model) == want[i].params, "%s: %zu parameters, "
              "expected %zu", path, bn_model_param_count(&cfg.model), want[i].params);
        /* tinystories trains on the shipped sample (empty path); baseline names its data. */
        int sample = strcmp(want[i].name, "tinystories") == 0;
        CHECK(want[i].task != BN_TASK_TEXT || (cfg.data.path[0] == '\0') == sample,
              "%s: data path '%s'", path, cfg.data.path);

        /* Round trip through the written form. */
        char *text = bn_config_to_string(&cfg);
        CHECK(text != NULL, "to_string");
        if (!text)
            continue;
        bn_config back;
        st = bn_config_parse(&back, text, "metadata", &err);
        CHECK(st == BN_OK, "%s: parse(to_string): %s", path, err.msg);
        CHECK(st == BN_OK && config_equal(&cfg, &back), "%s: round trip differs", path);
        free(text);
    }
}

static void test_round_trip(void)
{
    bn_config cfg, back;
    bn_error err = {0};
    bn_config_defaults(&cfg);

    /* Awkward values: doubles with no short form, strings with INI punctuation. */
    cfg.model.norm_eps = 1.0 / 3.0 * 1e-5;
    cfg.model.rope_theta = 500000.123456789;
    cfg.model.embedding_init_std = 0.1 + 0.2;
    cfg.train.peak_lr = 1e-300;
    cfg.train.weight_decay = 0.0;
    cfg.train.beta2 = 0.99999999999999989;
    cfg.train.seed = UINT64_MAX;
    cfg.train.num_steps = 1000000000L;
    snprintf(cfg.experiment.description, sizeof cfg.experiment.description,
             "  it's a = b; c # d [x] \\ ");
    snprintf(cfg.log.run_id, sizeof cfg.log.run_id, "run-1.a_b");
    snprintf(cfg.data.operators, sizeof cfg.data.operators, "/*");
    snprintf(cfg.data.path, sizeof cfg.data.path, "/some dir/with;semi#hash.txt");
    CHECK(bn_config_validate(&cfg, &err) == BN_OK, "awkward config: %s", err.msg);

    char *text = bn_config_to_string(&cfg);
    CHECK(text != NULL, "to_string");
    if (!text)
        return;
    CHECK(text[0] == '#', "header comment line: %.40s", text);
    static const char *const sections[] = {"[experiment]", "[model]", "[training]",
                                           "[logging]", "[data]"};
    const char *prev = text;
    for (size_t i = 0; i < 5; i++) {
        const char *at = strstr(text, sections[i]);
        CHECK(at && at >= prev, "section %s missing or out of order", sections[i]);
        if (at)
            prev = at;
    }
    CHECK(has(text, "hidden_size = 256\n"), "hidden_size line");
    CHECK(has(text, "seed = 18446744073709551615\n"), "seed line");
    CHECK(has(text, "task = arithmetic\n"), "task line");

    /* The parse must not leave its temporary file behind. */
    char tmp_sub[300];
    snprintf(tmp_sub, sizeof tmp_sub, "%s/tmp", tmp_dir);
    CHECK(mkdir(tmp_sub, 0700) == 0, "mkdir %s", tmp_sub);
    char *old_tmpdir = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", tmp_sub, 1);

    bn_status st = bn_config_parse(&back, text, "checkpoint metadata", &err);
    CHECK(st == BN_OK, "parse: %s", err.msg);
    CHECK(st == BN_OK && config_equal(&cfg, &back), "round trip differs:\n%s", text);
    CHECK(strcmp(back.source_path, "checkpoint metadata") == 0, "origin %s", back.source_path);
    CHECK(count_files(tmp_sub) == 0, "parse left a temporary file in %s", tmp_sub);

    /* And twice: write(parse(write(cfg))) is the same text. */
    char *again = bn_config_to_string(&back);
    CHECK(again && strcmp(again, text) == 0, "second write differs");
    free(again);

    /* A parse error names the origin, not the temporary file, and cleans up too. */
    st = bn_config_parse(&back, "[model]\nnum_heads = 5\n", "ckpt.safetensors", &err);
    CHECK(st == BN_ERR_INPUT && has(err.msg, "ckpt.safetensors") && has(err.msg, "num_heads"),
          "parse error: %s", err.msg);
    st = bn_config_parse(&back, "this is not ini\n", "ckpt.safetensors", &err);
    CHECK(st == BN_ERR_INPUT && has(err.msg, "ckpt.safetensors: not a valid INI file"),
          "parse garbage: %s", err.msg);
    CHECK(count_files(tmp_sub) == 0, "failed parse left a temporary file in %s", tmp_sub);

    if (old_tmpdir) {
        setenv("TMPDIR", old_tmpdir, 1);
        free(old_tmpdir);
    } else {
        unsetenv("TMPDIR");
    }
    rmdir(tmp_sub);
    free(text);

    /* Written through a FILE too. */
    FILE *f = tmpfile();
    CHECK(f != NULL, "tmpfile");
    if (f) {
        bn_config_write(&cfg, f);
        CHECK(ftell(f) > 200, "bn_config_write wrote %ld bytes", ftell(f));
        fclose(f);
    }
}

static void test_set(void)
{
    bn_config cfg;
    bn_error err = {0};
    bn_config_defaults(&cfg);

    CHECK(bn_config_set(&cfg, "training.batch_size=64", &err) == BN_OK, "set: %s", err.msg);
    CHECK(cfg.train.batch_size == 64, "batch_size %d", cfg.train.batch_size);
    CHECK(bn_config_set(&cfg, " Model.Hidden_Size = 128 ", &err) == BN_OK, "set: %s", err.msg);
    CHECK(cfg.model.hidden_size == 128, "hidden_size %d", cfg.model.hidden_size);
    CHECK(bn_config_set(&cfg, "training.peak_lr=3e-4", &err) == BN_OK, "set: %s", err.msg);
    CHECK(cfg.train.peak_lr == 3e-4, "peak_lr %g", cfg.train.peak_lr);
    CHECK(bn_config_set(&cfg, "logging.run_id=my-run_1", &err) == BN_OK, "set: %s", err.msg);
    CHECK(strcmp(cfg.log.run_id, "my-run_1") == 0, "run_id %s", cfg.log.run_id);
    CHECK(bn_config_set(&cfg, "data.operators=+-", &err) == BN_OK, "set: %s", err.msg);
    CHECK(strcmp(cfg.data.operators, "+-") == 0, "operators %s", cfg.data.operators);
    CHECK(bn_config_set(&cfg, "training.seed=18446744073709551615", &err) == BN_OK, "set: %s",
          err.msg);
    CHECK(cfg.train.seed == UINT64_MAX, "seed");

    /* Refused overrides leave the config as it was. */
    bn_config before = cfg;
    struct {
        const char *assignment, *expect;
    } bad[] = {
        {"foo", "--set foo: expected section.key=value"},
        {"training.batch_size", "expected section.key=value"},
        {"batch_size=3", "expected section.key=value"},
        {".batch_size=3", "expected section.key=value"},
        {"training.=3", "expected section.key=value"},
        {"trainin.batch_size=3", "--set: unknown section [trainin]"},
        {"training.batchsize=3", "--set: [training] unknown key 'batchsize'"},
        {"training.batch_size=abc", "--set: [training] batch_size = abc: not an integer"},
        {"training.batch_size=", "batch_size = : not an integer"},
        {"training.batch_size=0", "batch_size = 0: must be between 1 and 65536"},
        {"training.grad_accum_steps=0", "[training] grad_accum_steps = 0: must be between 1 "
                                        "and 65536"},
        {"training.grad_accum_steps=2.5", "grad_accum_steps = 2.5: not an integer"},
        {"model.num_heads=5", "--set: [model] num_heads = 5: must divide hidden_size (128)"},
        {"training.seed=-1", "seed = -1: must be between 0"},
        {"experiment.task=chess", "task = chess: must be one of"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        bn_status st = bn_config_set(&cfg, bad[i].assignment, &err);
        CHECK(st == BN_ERR_INPUT && err.status == BN_ERR_INPUT, "--set %s accepted",
              bad[i].assignment);
        CHECK(has(err.msg, bad[i].expect), "--set %s: message '%s' lacks '%s'",
              bad[i].assignment, err.msg, bad[i].expect);
        CHECK(config_equal(&cfg, &before), "--set %s changed the config", bad[i].assignment);
    }
}

/* One bad file per class of mistake: BN_ERR_INPUT, a message naming the file and the key. */
static void test_bad_files(void)
{
    static const struct {
        const char *name, *text, *expect, *expect2;
    } cases[] = {
        {"section.ini", "[modle]\nhidden_size = 256\n", "unknown section [modle]",
         "allowed: experiment, model, training, logging, data"},
        {"key.ini", "[model]\nhiden_size = 256\n", "[model] unknown key 'hiden_size'",
         "hidden_size"},
        {"outside.ini", "hidden_size = 256\n[model]\n", "hidden_size", "outside any section"},
        {"noint.ini", "[training]\nbatch_size = abc\n", "[training] batch_size = abc",
         "not an integer"},
        {"trailing.ini", "[training]\nbatch_size = 32x\n", "batch_size = 32x", "not an integer"},
        {"float.ini", "[training]\nnum_steps = 1.5\n", "num_steps = 1.5", "not an integer"},
        {"range.ini", "[model]\nnum_layers = 300\n", "[model] num_layers = 300",
         "must be between 1 and 256"},
        {"huge.ini", "[model]\nnum_layers = 99999999999999999999999\n", "num_layers",
         "must be between 1 and 256"},
        {"batch0.ini", "[training]\nbatch_size = 0\n", "[training] batch_size = 0",
         "must be between 1 and 65536"},
        {"nodouble.ini", "[training]\npeak_lr = fast\n", "peak_lr = fast", "not a number"},
        {"nan.ini", "[training]\npeak_lr = nan\n", "peak_lr = nan", "not a finite number"},
        {"eps0.ini", "[model]\nnorm_eps = 0\n", "norm_eps = 0", "must be > 0 and <= 1"},
        {"beta.ini", "[training]\nbeta1 = 1\n", "beta1 = 1", "must be >= 0 and < 1"},
        {"theta.ini", "[model]\nrope_theta = -1\n", "rope_theta = -1", "must be > 0"},
        {"heads.ini", "[model]\nnum_heads = 5\n", "[model] num_heads = 5",
         "must divide hidden_size (256)"},
        {"kv.ini", "[model]\nnum_kv_heads = 3\n", "[model] num_kv_heads = 3",
         "must divide num_heads (4)"},
        {"kvbig.ini", "[model]\nnum_kv_heads = 8\n", "num_kv_heads = 8", "must divide num_heads"},
        {"headdim.ini", "[model]\nhidden_size = 260\n", "num_heads", "head_dim"},
        {"seq.ini", "[training]\nseq_len = 512\n", "[training] seq_len = 512",
         "max_seq_len (256)"},
        {"warmup.ini", "[training]\nnum_steps = 50\n", "warmup_steps = 100",
         "must be at most num_steps (50)"},
        {"vocab.ini", "[model]\nvocab_size = 64\n", "vocab_size = 64", "must be 32"},
        {"task.ini", "[experiment]\ntask = chess\n", "task = chess",
         "arithmetic, tictactoe, text"},
        {"runid.ini", "[logging]\nrun_id = my run\n", "run_id = \"my run\"",
         "only letters, digits"},
        {"runid2.ini", "[logging]\nrun_id = ../escape\n", "run_id", "'.'"},
        {"runid3.ini", "[logging]\nrun_id = a/b\n", "run_id", "only letters"},
        {"runid4.ini",
         "[logging]\nrun_id = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
         "run_id", "at most 63 characters"},
        {"name.ini", "[experiment]\nname =\n", "name", "must not be empty"},
        {"ops.ini", "[data]\noperators = +x\n", "[data] operators = \"+x\"", "+ - * /"},
        {"ops2.ini", "[data]\noperators = ++\n", "operators", "at most once"},
        {"ops3.ini", "[data]\noperators =\n", "operators", "+ - * /"},
        {"quote.ini", "[experiment]\ndescription = say \"hi\"\n", "description",
         "double quotes"},
        {"syntax.ini", "[model]\nhidden_size 256\n", "not a valid INI file", "syntax.ini"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = write_ini(cases[i].name, cases[i].text);
        bn_config cfg, before;
        bn_error err = {0};
        bn_config_defaults(&cfg);
        before = cfg;
        bn_status st = bn_config_load(&cfg, path, &err);
        CHECK(st == BN_ERR_INPUT && err.status == BN_ERR_INPUT, "%s accepted", cases[i].name);
        CHECK(has(err.msg, path), "%s: message '%s' lacks the path", cases[i].name, err.msg);
        CHECK(has(err.msg, cases[i].expect) && has(err.msg, cases[i].expect2),
              "%s: message '%s' lacks '%s' or '%s'", cases[i].name, err.msg, cases[i].expect,
              cases[i].expect2);
        CHECK(!strchr(err.msg, '\n'), "%s: message is not one line", cases[i].name);
        CHECK(config_equal(&cfg, &before), "%s: failed load changed the config", cases[i].name);
        unlink(path);
    }

    /* The exact format of the common messages. */
    bn_config cfg;
    bn_error err = {0};
    const char *path = write_ini("exact.ini", "[training]\nbatch_size = abc\n");
    char want[1024];
    bn_config_load(&cfg, path, &err);
    snprintf(want, sizeof want, "%s: [training] batch_size = abc: not an integer", path);
    CHECK(strcmp(err.msg, want) == 0, "got '%s', want '%s'", err.msg, want);
    unlink(path);

    /* Missing file and directory. */
    char missing[512];
    snprintf(missing, sizeof missing, "%s/does-not-exist.ini", tmp_dir);
    bn_status st = bn_config_load(&cfg, missing, &err);
    CHECK(st == BN_ERR_INPUT && has(err.msg, missing) && has(err.msg, "cannot open"),
          "missing file: %s", err.msg);
    st = bn_config_load(&cfg, tmp_dir, &err);
    CHECK(st == BN_ERR_INPUT && has(err.msg, "cannot open"), "directory: %s", err.msg);
}

/* What INI files may do: case-insensitive names, quotes, comments, partial files. */
static void test_good_files(void)
{
    bn_config cfg;
    bn_error err = {0};
    const char *path = write_ini("good.ini", "# a comment\n"
                                             "; another\n"
                                             "[MODEL]\n"
                                             "Hidden_Size = 128   ; inline comment\n"
                                             "[training]\n"
                                             "batch_size = \"16\"\n"
                                             "peak_lr = 0.002 # inline\n"
                                             "[experiment]\n"
                                             "description = \"keeps ; and # inside quotes\"\n"
                                             "name = 'quoted'\n");
    bn_config_defaults(&cfg);
    bn_status st = bn_config_load(&cfg, path, &err);
    CHECK(st == BN_OK, "good.ini: %s", err.msg);
    CHECK(cfg.model.hidden_size == 128, "hidden_size %d", cfg.model.hidden_size);
    CHECK(cfg.train.batch_size == 16, "batch_size %d", cfg.train.batch_size);
    CHECK(cfg.train.peak_lr == 0.002, "peak_lr %g", cfg.train.peak_lr);
    CHECK(strcmp(cfg.experiment.description, "keeps ; and # inside quotes") == 0,
          "description '%s'", cfg.experiment.description);
    CHECK(strcmp(cfg.experiment.name, "quoted") == 0, "name '%s'", cfg.experiment.name);
    CHECK(cfg.model.num_layers == 4, "untouched keys keep defaults");
    unlink(path);

    path = write_ini("empty.ini", "");
    st = bn_config_load(&cfg, path, &err);
    CHECK(st == BN_OK, "empty.ini: %s", err.msg);
    CHECK(cfg.model.hidden_size == 256, "empty file gives defaults");
    unlink(path);
}

/* Config text (a checkpoint's) is parsed in memory: no temporary file, so a missing or
 * unwritable $TMPDIR does not matter; unknown names are still refused by name. */
static void test_parse_in_memory(void)
{
    bn_config cfg;
    bn_error err = {0};
    char tmp_sub[300];
    snprintf(tmp_sub, sizeof tmp_sub, "%s/empty", tmp_dir);
    CHECK(mkdir(tmp_sub, 0700) == 0, "mkdir %s", tmp_sub);
    char *old_tmpdir = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", tmp_sub, 1);
    bn_status st = bn_config_parse(&cfg, "[model]\nhidden_size = 128\n", "meta", &err);
    CHECK(st == BN_OK && cfg.model.hidden_size == 128, "parse: %s", err.msg);
    CHECK(count_files(tmp_sub) == 0, "parse left a file in %s", tmp_sub);

    static const struct {
        const char *text, *expect, *expect2;
    } bad[] = {
        {"[model]\nhiden_size = 3\n", "meta: [model] unknown key 'hiden_size'", "num_layers"},
        {"[modle]\nhidden_size = 3\n", "meta: unknown section [modle]", "training"},
        {"seed = 3\n[training]\n", "key 'seed' is outside any section", "meta"},
        {"[training]\nseed = 1\n[data]\nbogus = 1\n", "[data] unknown key 'bogus'", "meta"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        st = bn_config_parse(&cfg, bad[i].text, "meta", &err);
        CHECK(st == BN_ERR_INPUT && has(err.msg, bad[i].expect) && has(err.msg, bad[i].expect2),
              "case %zu: '%s' lacks '%s' or '%s'", i, err.msg, bad[i].expect, bad[i].expect2);
    }
    CHECK(count_files(tmp_sub) == 0, "failed parses left a file in %s", tmp_sub);

    /* A $TMPDIR that does not exist: a temporary file could not be made there. */
    snprintf(tmp_sub, sizeof tmp_sub, "%s/does-not-exist", tmp_dir);
    setenv("TMPDIR", tmp_sub, 1);
    st = bn_config_parse(&cfg, "[training]\nbatch_size = 8\n", "meta", &err);
    CHECK(st == BN_OK && cfg.train.batch_size == 8, "parse without a TMPDIR: %s", err.msg);

    if (old_tmpdir) {
        setenv("TMPDIR", old_tmpdir, 1);
        free(old_tmpdir);
    } else {
        unsetenv("TMPDIR");
    }
    snprintf(tmp_sub, sizeof tmp_sub, "%s/empty", tmp_dir);
    rmdir(tmp_sub);
}

/* bn_config_peek: one key of a file, leniently; bn_config_key_doc: the schema's text. */
static void test_peek(void)
{
    const char *path = write_ini("peek.ini", "[Experiment]\n"
                                             "Description = \"a ; b # c\"  ; comment\n"
                                             "[training]\n"
                                             "num_steps = 300 ; comment\n"
                                             "unknown_key = kept\n");
    char out[64];
    bn_error err = {0};
    CHECK(bn_config_peek(path, "experiment.description", out, sizeof out, &err) == BN_OK &&
              strcmp(out, "a ; b # c") == 0, "description '%s' (%s)", out, err.msg);
    CHECK(bn_config_peek(path, "training.num_steps", out, sizeof out, &err) == BN_OK &&
              strcmp(out, "300") == 0, "num_steps '%s'", out);
    CHECK(bn_config_peek(path, "training.unknown_key", out, sizeof out, &err) == BN_OK &&
              strcmp(out, "kept") == 0, "peek does not validate: '%s'", out);
    snprintf(out, sizeof out, "stale");
    CHECK(bn_config_peek(path, "training.seed", out, sizeof out, &err) == BN_OK && !out[0],
          "missing key: '%s'", out);
    snprintf(out, sizeof out, "stale");
    CHECK(bn_config_peek(path, "logging.run_id", out, sizeof out, &err) == BN_OK && !out[0],
          "missing section: '%s'", out);
    char small[4];
    CHECK(bn_config_peek(path, "experiment.description", small, sizeof small, &err) == BN_OK &&
              strcmp(small, "a ;") == 0, "truncated: '%s'", small);
    unlink(path);

    bn_status st = bn_config_peek(path, "training.seed", out, sizeof out, &err);
    CHECK(st == BN_ERR_INPUT && has(err.msg, path) && has(err.msg, "cannot open") && !out[0],
          "missing file: %s", err.msg);
    path = write_ini("peekbad.ini", "[model]\nhidden_size 256\n");
    st = bn_config_peek(path, "model.hidden_size", out, sizeof out, &err);
    CHECK(st == BN_ERR_INPUT && has(err.msg, "not a valid INI file"), "garbage: %s", err.msg);
    unlink(path);

    const char *help = NULL, *def = NULL;
    CHECK(bn_config_key_doc("training.num_steps", &help, &def) && help && help[0] &&
              strcmp(def, "10000") == 0, "key doc: %s / %s", help, def);
    CHECK(bn_config_key_doc("logging.run_id", &help, &def) && strcmp(def, "") == 0, "run_id");
    CHECK(!bn_config_key_doc("training.bogus", &help, &def), "unknown key has a doc");
    CHECK(!bn_config_key_doc("num_steps", &help, &def), "a key without a section has a doc");
}

int main(int argc, char **argv)
{
    /* make check sets srcdir, so out-of-tree builds find the source tree's experiments. */
    char from_srcdir[1024];
    const char *srcdir = getenv("srcdir");
    snprintf(from_srcdir, sizeof from_srcdir, "%s/experiments", srcdir ? srcdir : ".");
    const char *experiments = argc > 1 ? argv[1] : from_srcdir;
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/test_config-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }

    test_defaults();
    test_experiments(experiments);
    test_round_trip();
    test_set();
    test_bad_files();
    test_good_files();
    test_parse_in_memory();
    test_peek();

    rmdir(tmp_dir);
    return check_exit("test_config");
}
