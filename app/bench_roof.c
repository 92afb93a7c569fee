/* bench_roof.c - the peaks and phase shares `bench` prints (see bench_roof.h). */
#include "bench_roof.h"

#include <math.h>
#include <stdio.h>

#include "io/jsonio.h"
#include "model/work.h"

void bench_roofs_measure(const bn_model *m, int B, int T, bench_roofs *out)
{
    bn_unit_work fw, bw;
    for (int u = 0; u < BN_UNIT_COUNT; u++)
        out->peak[u] = bn_unit_peak(m->pool, (bn_unit)u);
    bn_model_step_work(m, B, T, &fw, &bw);
    out->ideal_forward_ms = bn_unit_work_seconds(&fw, out->peak) * 1e3;
    out->ideal_backward_ms = bn_unit_work_seconds(&bw, out->peak) * 1e3;
    out->tokens = (double)B * T;
    for (int u = 0; u < BN_UNIT_COUNT; u++) {
        out->forward_ops[u] = fw.ops[u];
        out->backward_ops[u] = bw.ops[u];
    }
}

/* "int8 dot 1.16 + fp32 FMA 0.98 TOP" for the units a phase uses. */
static void print_ops(const double ops[BN_UNIT_COUNT])
{
    int first = 1;
    for (int u = 0; u < BN_UNIT_COUNT; u++)
        if (ops[u] > 0.0) {
            printf("%s%s %.2f", first ? "" : " + ", bn_unit_name((bn_unit)u), ops[u] / 1e12);
            first = 0;
        }
    printf(" T(FL)OP");
}

static double ceiling_tok_s(const bench_roofs *r)
{
    double ms = r->ideal_forward_ms + r->ideal_backward_ms;
    return ms > 0.0 ? r->tokens / (ms / 1e3) : 0.0;
}

void bench_roofs_print(const bench_roofs *r, double forward_ms, double backward_ms)
{
    printf("  peaks     ");
    for (int u = 0; u < BN_UNIT_COUNT; u++) {
        if (r->peak[u] > 0.0)
            printf(" %s %.0f", bn_unit_name((bn_unit)u), r->peak[u]);
        else
            printf(" %s -", bn_unit_name((bn_unit)u));
        printf("%s", u + 1 < BN_UNIT_COUNT ? "," : " G(FL)OP/s\n");
    }
    printf("  share      forward %.0f%% of its peaks (%.0f ms ideal: ",
           100.0 * r->ideal_forward_ms / forward_ms, r->ideal_forward_ms);
    print_ops(r->forward_ops);
    printf(")\n             backward %.0f%% (%.0f ms ideal: ", 100.0 * r->ideal_backward_ms / backward_ms,
           r->ideal_backward_ms);
    print_ops(r->backward_ops);
    printf(")\n  ceiling    %.0f tok/s with every product at its unit's peak and nothing else\n",
           ceiling_tok_s(r));
}

static double rounded(double v, int decimals)
{
    double scale = pow(10.0, decimals);
    return round(v * scale) / scale;
}

json_t *bench_roofs_json(const bench_roofs *r, double forward_ms, double backward_ms)
{
    json_t *peaks = json_object();
    for (int u = 0; peaks && u < BN_UNIT_COUNT; u++)
        json_object_set_new(peaks, bn_unit_name((bn_unit)u),
                            r->peak[u] > 0.0 ? bn_json_number(rounded(r->peak[u], 1))
                                             : json_null());
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "peaks_g", peaks, "forward_ideal_ms",
                     bn_json_number(rounded(r->ideal_forward_ms, 1)), "backward_ideal_ms",
                     bn_json_number(rounded(r->ideal_backward_ms, 1)), "forward_share",
                     bn_json_number(rounded(r->ideal_forward_ms / forward_ms, 4)),
                     "backward_share",
                     bn_json_number(rounded(r->ideal_backward_ms / backward_ms, 4)),
                     "ceiling_tok_s", bn_json_number(rounded(ceiling_tok_s(r), 0)));
}
