/* test_zero1.c - ZeRO-1's pieces that need no MPI (README, "Training on many machines"):
 * the parts of the parameter slab (contiguous, covering, aligned, even); AdamW over slices
 * gives the bits of AdamW over the whole slab; a checkpoint written from a moment source is
 * byte for byte the one written from a whole optimizer, the source asked in file order, and
 * its failure leaves nothing; a slice of the moments loads from a checkpoint. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rng.h"
#include "io/checkpoint.h"
#include "model/optim.h"
#include "check.h"
#include "tiny_fixture.h"

static void check_parts(void)
{
    const size_t sizes[] = {0, 1, 15, 16, 17, 1000, 100003};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (int parts = 1; parts <= 5; parts++) {
            size_t n = sizes[k], at = 0, first_len = 0;
            for (int p = 0; p < parts; p++) {
                size_t lo, hi;
                bn_adamw_part(n, parts, p, &lo, &hi);
                CHECK(lo == at && hi >= lo && hi <= n, "n %zu part %d/%d: [%zu, %zu)", n, p,
                      parts, lo, hi);
                CHECK(lo % BN_ADAMW_ALIGN == 0 || lo == n, "n %zu part %d: lo %zu", n, p, lo);
                if (p == 0)
                    first_len = hi - lo;
                CHECK(p == parts - 1 || hi - lo == first_len || hi == n, "n %zu part %d: %zu",
                      n, p, hi - lo);
                at = hi;
            }
            CHECK(at == n, "n %zu, %d parts cover %zu", n, parts, at);
        }
}

#define N_PARAMS 100003

/* Three AdamW steps over the whole slab and over 3 slices: the same bits. */
static void check_slices(void)
{
    static float whole_p[N_PARAMS], sliced_p[N_PARAMS], g[N_PARAMS];
    bn_adamw whole, part[3];
    bn_error err = {0};
    bn_rng rng;
    bn_rng_seed(&rng, 5);
    for (int i = 0; i < N_PARAMS; i++)
        whole_p[i] = sliced_p[i] = bn_rng_normal(&rng);
    CHECK(bn_adamw_init(&whole, N_PARAMS, 0.9, 0.95, 1e-8, &err) == BN_OK, "%s", err.msg);
    for (int p = 0; p < 3; p++) {
        size_t lo, hi;
        bn_adamw_part(N_PARAMS, 3, p, &lo, &hi);
        CHECK(bn_adamw_init(&part[p], hi - lo, 0.9, 0.95, 1e-8, &err) == BN_OK, "%s", err.msg);
        part[p].lo = lo;
    }
    for (int step = 0; step < 3; step++) {
        for (int i = 0; i < N_PARAMS; i++)
            g[i] = bn_rng_normal(&rng) * 1e-2f;
        bn_adamw_step(&whole, NULL, whole_p, g, 1e-3, 0.1);
        for (int p = 0; p < 3; p++)
            bn_adamw_step(&part[p], NULL, sliced_p, g, 1e-3, 0.1);
    }
    CHECK(memcmp(whole_p, sliced_p, sizeof whole_p) == 0, "sliced parameters differ");
    for (int p = 0; p < 3; p++) {
        size_t lo = part[p].lo, n = part[p].n;
        CHECK(memcmp(whole.m + lo, part[p].m, n * sizeof(float)) == 0 &&
              memcmp(whole.v + lo, part[p].v, n * sizeof(float)) == 0 && part[p].t == 3,
              "slice %d's moments differ", p);
        bn_adamw_free(&part[p]);
    }
    bn_adamw_free(&whole);
}

/* ---------------------------------------------------------------- checkpoints */

typedef struct {
    const bn_adamw *opt;
    int which;
    size_t next, calls;
    size_t fail_at; /* fail the call that asks for this element of exp_avg_sq (0: never) */
} source_ctx;

/* The moments of a whole optimizer, checking that they are asked in file order. */
static bn_status read_source(void *ctx, int which, size_t first, size_t n, float *out,
                             bn_error *err)
{
    source_ctx *s = ctx;
    if (which != s->which) {
        CHECK(which == 1 && s->which == 0 && s->next == s->opt->n, "exp_avg_sq before the end");
        s->which = which, s->next = 0;
    }
    CHECK(first == s->next && n > 0 && n <= ((size_t)1 << 20) && first + n <= s->opt->n,
          "asked [%zu, +%zu) where %zu was next", first, n, s->next);
    if (s->fail_at && which == 1 && first <= s->fail_at && s->fail_at < first + n)
        return bn_fail(err, BN_ERR_IO, "rank 1 went away");
    memcpy(out, (which ? s->opt->v : s->opt->m) + first, n * sizeof(float));
    s->next = first + n;
    s->calls++;
    return BN_OK;
}

static int read_whole(const char *path, unsigned char **bytes, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    *bytes = malloc(*n ? *n : 1);
    int ok = *bytes && fread(*bytes, 1, *n, f) == *n;
    fclose(f);
    return ok ? 0 : -1;
}

static int same_file(const char *a, const char *b)
{
    unsigned char *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    int same = read_whole(a, &x, &nx) == 0 && read_whole(b, &y, &ny) == 0 && nx == ny &&
               memcmp(x, y, nx) == 0;
    free(x);
    free(y);
    return same;
}

/* The tiny model of tiny_fixture.h, at its 9th step. */
static int fixture_init(tiny_fixture *fx)
{
    if (tiny_fixture_init(fx, "zero1", 77) != 0)
        return -1;
    fx->opt.t = 9;
    fx->state.step = 9;
    fx->state.data = json_pack("{s:s}", "kind", "text");
    return fx->state.data ? 0 : -1;
}

static void check_saves(tiny_fixture *fx, const char *root)
{
    char a[512], b[512], c[512], fa[600], fb[600];
    bn_error err = {0};
    snprintf(a, sizeof a, "%s/step_a", root);
    snprintf(b, sizeof b, "%s/step_b", root);
    snprintf(c, sizeof c, "%s/step_c", root);
    CHECK(bn_checkpoint_save(a, &fx->m, &fx->opt, &fx->state, fx->ini, "zero1", &err) ==
          BN_OK, "%s", err.msg);
    /* Only t and the hyperparameters of opt are read: a slice's optimizer will do. */
    bn_adamw slice = fx->opt;
    slice.lo = 16, slice.n = 32;
    source_ctx s = {.opt = &fx->opt};
    bn_moment_source src = {read_source, &s};
    CHECK(bn_checkpoint_save_from(b, &fx->m, &slice, &src, &fx->state, fx->ini, "zero1", NULL,
                                  &err) == BN_OK, "%s", err.msg);
    CHECK(s.which == 1 && s.next == fx->opt.n && s.calls >= 2, "the source was read whole");
    snprintf(fa, sizeof fa, "%s/optimizer.safetensors", a);
    snprintf(fb, sizeof fb, "%s/optimizer.safetensors", b);
    CHECK(same_file(fa, fb), "the optimizer files differ");
    snprintf(fa, sizeof fa, "%s/model.safetensors", a);
    snprintf(fb, sizeof fb, "%s/model.safetensors", b);
    CHECK(same_file(fa, fb), "the model files differ");
    /* A source that fails (a rank lost): its error, and no checkpoint, whole or partial. */
    source_ctx bad = {.opt = &fx->opt, .fail_at = fx->opt.n / 2};
    src.ctx = &bad;
    err = (bn_error){0};
    CHECK(bn_checkpoint_save_from(c, &fx->m, &slice, &src, &fx->state, fx->ini, "zero1", NULL,
                                  &err) == BN_ERR_IO && strstr(err.msg, "rank 1 went away"),
          "a failing source: %s", err.msg);
    snprintf(fa, sizeof fa, "%s.tmp", c);
    CHECK(access(c, F_OK) != 0 && access(fa, F_OK) != 0, "a failed save left %s", c);
}

/* A slice of the moments loads (crossing tensors), and reads outside the slab fail. */
static void check_slice_load(tiny_fixture *fx, const char *root)
{
    char dir[512];
    bn_error err = {0};
    snprintf(dir, sizeof dir, "%s/step_a", root);
    bn_adamw slice;
    bn_train_state st = {0};
    size_t lo = 1000, n = fx->m.num_params - 1000 - 7;
    CHECK(bn_adamw_init(&slice, n, 0.9, 0.95, 1e-8, &err) == BN_OK, "%s", err.msg);
    slice.lo = lo;
    CHECK(bn_checkpoint_load_training(dir, &fx->m, &slice, &st, &err) == BN_OK, "%s", err.msg);
    CHECK(slice.t == 9 && memcmp(slice.m, fx->opt.m + lo, n * sizeof(float)) == 0 &&
          memcmp(slice.v, fx->opt.v + lo, n * sizeof(float)) == 0, "the slice differs");
    bn_train_state_clear(&st);
    slice.lo = 8; /* past the end */
    slice.n = fx->m.num_params;
    CHECK(bn_checkpoint_load_training(dir, &fx->m, &slice, &st, &err) == BN_ERR_INPUT,
          "a slice past the end loads");
    slice.n = n;
    bn_adamw_free(&slice);
    bn_st_file file;
    CHECK(bn_checkpoint_moments_open(dir, &fx->m, &file, &err) == BN_OK, "%s", err.msg);
    float x[4];
    CHECK(bn_checkpoint_moments_read(&file, &fx->m, 1, fx->m.num_params - 2, 4, x, &err) ==
          BN_ERR_INPUT, "a read past the end");
    CHECK(bn_checkpoint_moments_read(&file, &fx->m, 1, fx->m.num_params - 4, 4, x, &err) ==
              BN_OK && memcmp(x, fx->opt.v + fx->m.num_params - 4, sizeof x) == 0,
          "the last 4 of exp_avg_sq: %s", err.msg);
    bn_st_free(&file);
}

static void remove_tree(const char *root)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

int main(void)
{
    check_parts();
    check_slices();
    char root[] = "/tmp/bitnet-zero1.XXXXXX";
    tiny_fixture fx;
    CHECK(mkdtemp(root) != NULL, "mkdtemp");
    CHECK(fixture_init(&fx) == 0, "fixture");
    if (check_failures == 0) {
        check_saves(&fx, root);
        check_slice_load(&fx, root);
    }
    tiny_fixture_free(&fx);
    remove_tree(root);
    return check_exit("test_zero1");
}
