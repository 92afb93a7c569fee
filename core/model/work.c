/* work.c - the products of a training step by unit (see work.h). */
#include "model/work.h"

#include <string.h>

#include "nn/attention.h"

/* The unit the BitLinear forward's integer products run on with these kernels. */
static bn_unit forward_unit(const bn_exec *ex)
{
    if (ex->kernels && ex->kernels->amx)
        return BN_UNIT_AMX_INT8;
    if (ex->kernels && strcmp(ex->kernels->name, "avx512") == 0)
        return BN_UNIT_INT8_DOT;
    return BN_UNIT_FP32_FMA; /* sgemm, or integer paths without a dot-product unit */
}

/* The unit a bf16 product runs on for this path (fp32 FMA for none). */
static bn_unit bf16_unit(bn_bf16_path path)
{
    switch (path) {
    case BN_BF16_AMX:
        return BN_UNIT_AMX_BF16;
    case BN_BF16_AVX512:
        return BN_UNIT_BF16_DOT;
    default:
        return BN_UNIT_FP32_FMA;
    }
}

/* The unit attention's backward products run on: AVX512_BF16 with the bf16 backward where
 * the tiles take them in bf16 (on AMX CPUs too), else fp32. */
static bn_unit attention_backward_unit(const bn_model *m, int B, int T)
{
    bn_attn_shape s = {B, T, m->cfg.num_heads, m->cfg.num_kv_heads, m->head_dim};
    return m->ex.bf16_backward != BN_BF16_NONE && bn_attention_bf16_usable(s)
               ? BN_UNIT_BF16_DOT
               : BN_UNIT_FP32_FMA;
}

void bn_model_step_work(const bn_model *m, int B, int T, bn_unit_work *forward,
                        bn_unit_work *backward)
{
    const bn_model_config *c = &m->cfg;
    double N = (double)B * T, d = c->hidden_size, F = c->ffn_size, V = c->vocab_size;
    double L = c->num_layers, q = m->qkv_dim;
    double linear = 2.0 * N * L * (q * d + d * d + 2.0 * F * d + d * F);
    /* causal: the query at position t meets t + 1 keys, in q.k^T and in att.v */
    double attention = 2.0 * 2.0 * B * L * c->num_heads * m->head_dim * (T * (T + 1.0) / 2.0);
    double head = 2.0 * N * V * d;
    bn_unit bw = bf16_unit(m->ex.bf16_backward);
    memset(forward, 0, sizeof *forward);
    memset(backward, 0, sizeof *backward);
    forward->ops[forward_unit(&m->ex)] += linear;
    forward->ops[BN_UNIT_FP32_FMA] += attention;
    forward->ops[bf16_unit(m->head_bf16)] += 2.0 * head; /* logits and d(final_n) */
    forward->ops[bw] += head;                           /* the head's weight gradient */
    backward->ops[bw] += 2.0 * linear;
    backward->ops[attention_backward_unit(m, B, T)] += 2.0 * attention;
}

double bn_unit_work_seconds(const bn_unit_work *w, const double peak_g[BN_UNIT_COUNT])
{
    double seconds = 0.0;
    for (int u = 0; u < BN_UNIT_COUNT; u++) {
        if (w->ops[u] == 0.0)
            continue;
        double peak = peak_g[u] > 0.0 ? peak_g[u] : peak_g[BN_UNIT_FP32_FMA];
        seconds += peak > 0.0 ? w->ops[u] / (peak * 1e9) : 0.0;
    }
    return seconds;
}
