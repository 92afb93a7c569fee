/* test_peak.c - the unit peaks and the step's work by unit (README, "Performance"): every unit
 * this CPU offers measures a positive, finite peak and the absent ones 0; a tiny model's
 * products, counted by hand, land on the units its kernel, backward and head precisions
 * use; the ideal time is the work over the peaks. No timing is judged: the peaks' sizes
 * are not checked, only their presence. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "kernels/kernels.h"
#include "kernels/peak.h"
#include "model/work.h"
#include "nn/attention.h"

static void check_peaks(void)
{
    bn_error err = {0};
    bn_threadpool *pool = NULL;
    if (bn_threadpool_create(&pool, 2, &err) != BN_OK) {
        CHECK(0, "pool: %s", err.msg);
        return;
    }
    for (int u = 0; u < BN_UNIT_COUNT; u++) {
        double g = bn_unit_peak(pool, (bn_unit)u);
        if (bn_unit_available((bn_unit)u))
            CHECK(isfinite(g) && g > 0.0, "%s: peak %g", bn_unit_name((bn_unit)u), g);
        else
            CHECK(g == 0.0, "%s absent: peak %g", bn_unit_name((bn_unit)u), g);
        printf("  %s: %.1f G/s\n", bn_unit_name((bn_unit)u), g);
    }
    CHECK(strcmp(bn_unit_name(BN_UNIT_COUNT), "?") == 0, "name of no unit");
    bn_threadpool_destroy(pool);
}

/* d 16, F 32, V 50, 2 layers, 4 heads of 4, 2 kv heads; B 2 x T 5. */
static int tiny(bn_model *m, const char *kernel)
{
    bn_model_config c;
    bn_error err = {0};
    memset(&c, 0, sizeof c);
    c.vocab_size = 50, c.hidden_size = 16, c.num_layers = 2, c.num_heads = 4;
    c.num_kv_heads = 2, c.ffn_size = 32, c.max_seq_len = 5, c.rope_theta = 10000.0;
    c.norm_eps = 1e-5, c.embedding_init_std = 1.0;
    const bn_kernels *k = bn_kernels_find(kernel, NULL);
    if (!k || bn_model_init(m, &c, 2, 5, k, 1, &err) != BN_OK)
        return -1;
    return 0;
}

static void check_work(const char *kernel, bn_unit forward_unit)
{
    bn_model m;
    memset(&m, 0, sizeof m);
    if (tiny(&m, kernel) != 0) {
        printf("  kernel %s not on this CPU: skipped\n", kernel);
        return;
    }
    m.ex.bf16_backward = BN_BF16_NONE;
    bn_unit_work fw, bw;
    bn_model_step_work(&m, 2, 5, &fw, &bw);
    /* per token per layer: q|k|v 16 x (16 + 2 x 8), o 16 x 16, gate|up 16 x 64, down 32 x 16
     * = 512 + 256 + 1024 + 512 = 2304 multiply-adds; 10 tokens, 2 layers: 2 x 46080 ops */
    double linear = 2.0 * 10 * 2 * 2304;
    /* causal q.k^T and att.v: 2 products x heads 4 x hd 4 x (1+2+3+4+5) per sequence, 2
     * sequences, 2 layers */
    double attention = 2.0 * 2 * 4 * 4 * 15 * 2 * 2;
    double head = 2.0 * 10 * 50 * 16;
    CHECK(fw.ops[forward_unit] >= linear, "%s: forward linear on %s", kernel,
          bn_unit_name(forward_unit));
    double fw_total = 0.0, bw_total = 0.0;
    for (int u = 0; u < BN_UNIT_COUNT; u++)
        fw_total += fw.ops[u], bw_total += bw.ops[u];
    CHECK(fabs(fw_total - (linear + attention + 3 * head)) < 1e-6, "%s: forward %g", kernel,
          fw_total);
    CHECK(bw.ops[BN_UNIT_FP32_FMA] == bw_total && fabs(bw_total - 2 * (linear + attention)) <
                                                       1e-6,
          "%s: fp32 backward %g", kernel, bw_total);
    m.ex.bf16_backward = BN_BF16_AVX512; /* the products' unit follows the path */
    bn_unit_work fw2, bw2;
    bn_model_step_work(&m, 2, 5, &fw2, &bw2);
    /* attention's backward products follow it where the tiles take them in bf16 */
    bn_attn_shape shape = {2, 5, m.cfg.num_heads, m.cfg.num_kv_heads, m.head_dim};
    double attention_bf16 = bn_attention_bf16_usable(shape) ? 2 * attention : 0.0;
    CHECK(bw2.ops[BN_UNIT_BF16_DOT] == 2 * linear + attention_bf16 &&
              bw2.ops[BN_UNIT_FP32_FMA] == 2 * attention - attention_bf16 &&
              fw2.ops[BN_UNIT_BF16_DOT] == head,
          "%s: the bf16 backward's products on the bf16 dot unit", kernel);
    m.head_bf16 = BN_BF16_AVX512; /* the head's logits and d(final_n) follow head_bf16 */
    bn_model_step_work(&m, 2, 5, &fw2, &bw2);
    CHECK(fw2.ops[BN_UNIT_BF16_DOT] == 3 * head &&
              fw2.ops[BN_UNIT_FP32_FMA] == fw.ops[BN_UNIT_FP32_FMA] - 3 * head,
          "%s: the bf16 head's products on the bf16 dot unit", kernel);
    m.ex.bf16_backward = BN_BF16_NONE;
    bn_model_step_work(&m, 2, 5, &fw2, &bw2);
    CHECK(fw2.ops[BN_UNIT_BF16_DOT] == 2 * head &&
              fw2.ops[BN_UNIT_FP32_FMA] == fw.ops[BN_UNIT_FP32_FMA] - 2 * head,
          "%s: the bf16 head with the fp32 backward: its weight gradient in fp32", kernel);
    m.head_bf16 = BN_BF16_NONE;
    m.ex.bf16_backward = BN_BF16_AMX;
    bn_model_step_work(&m, 2, 5, &fw2, &bw2);
    CHECK(bw2.ops[BN_UNIT_AMX_BF16] == 2 * linear, "%s: on AMX bf16", kernel);
    double peaks[BN_UNIT_COUNT] = {100.0, 200.0, 400.0, 0.0, 0.0};
    double want = (fw_total - fw.ops[BN_UNIT_INT8_DOT]) / 100e9 + fw.ops[BN_UNIT_INT8_DOT] / 400e9;
    CHECK(fabs(bn_unit_work_seconds(&fw, peaks) - want) < 1e-15, "%s: ideal seconds", kernel);
    bn_model_free(&m);
}

int main(void)
{
    check_peaks();
    check_work("blas", BN_UNIT_FP32_FMA);
    check_work("avx512", BN_UNIT_INT8_DOT);
    return check_exit("test_peak");
}
