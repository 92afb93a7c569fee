/* scale.c - ranges, ticks and labels of a plot's axes (see scale.h). */
#include "scale.h"

#include <math.h>
#include <stdio.h>

void bn_scale_begin(bn_scale *s, int log)
{
    s->lo = INFINITY;
    s->hi = -INFINITY;
    s->log = log;
}

void bn_scale_widen(bn_scale *s, const double *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i]) || (s->log && v[i] <= 0))
            continue;
        double u = s->log ? log10(v[i]) : v[i];
        s->lo = u < s->lo ? u : s->lo;
        s->hi = u > s->hi ? u : s->hi;
    }
}

int bn_scale_end(bn_scale *s, double pad)
{
    if (s->lo > s->hi) {
        s->lo = 0.0;
        s->hi = 1.0;
        return 0;
    }
    if (s->hi - s->lo < 1e-12) { /* flat: centre it */
        double w = fabs(s->lo) > 1e-12 ? fabs(s->lo) * 0.05 : 0.5;
        s->lo -= w;
        s->hi += w;
    }
    double span = s->hi - s->lo;
    s->lo -= pad * span;
    s->hi += pad * span;
    return 1;
}

double bn_scale_frac(const bn_scale *s, double v)
{
    if (!isfinite(v) || (s->log && v <= 0))
        return NAN;
    double u = s->log ? log10(v) : v;
    return (u - s->lo) / (s->hi - s->lo);
}

/* Linear ticks between lo and hi (values), at most max. */
static int linear_ticks(double lo, double hi, int max, double *out)
{
    static const double mult[] = {1, 2, 5};
    double span = hi - lo, step = 0;
    double p = pow(10.0, floor(log10(span / (max > 1 ? max : 1))));
    for (int k = 0; step == 0; k++) {
        double cand = mult[k % 3] * p * pow(10.0, k / 3);
        if (floor(hi / cand) - ceil(lo / cand) + 1 <= max)
            step = cand;
    }
    int n = 0;
    for (double t = ceil(lo / step); t * step <= hi * (1 + 1e-12) && n < max; t++) {
        double v = t * step;
        out[n++] = fabs(v) < step * 1e-9 ? 0.0 : v;
    }
    return n;
}

int bn_scale_ticks(const bn_scale *s, int max, double *out)
{
    if (max > BN_TICKS_MAX)
        max = BN_TICKS_MAX;
    if (max < 1 || !(s->hi > s->lo))
        return 0;
    if (!s->log)
        return linear_ticks(s->lo, s->hi, max, out);
    if (s->hi - s->lo < 1.0)
        return linear_ticks(pow(10.0, s->lo), pow(10.0, s->hi), max, out);
    double e[BN_TICKS_MAX];
    int n = linear_ticks(ceil(s->lo), floor(s->hi), max, e);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (e[i] == floor(e[i])) /* whole decades only */
            out[k++] = pow(10.0, e[i]);
    return k;
}

void bn_scale_label(double v, char *out, int cap)
{
    static const char *const suffix[] = {"", "k", "M", "G", "T"};
    double a = fabs(v);
    int k = 0;
    while (a >= 1e4 && k < 4) {
        a /= 1000.0;
        v /= 1000.0;
        k++;
    }
    snprintf(out, (size_t)cap, "%.4g%s", v, suffix[k]);
}
