/* schedule.c - piecewise-linear two-stage schedule. */
#include "model/schedule.h"

static long stage_boundary(const bn_schedule *s) { return s->total_steps / 2; }

static double lerp(double a, double b, double t) { return a + (b - a) * t; }

double bn_schedule_lr(const bn_schedule *s, long step)
{
    long half = stage_boundary(s), last = s->total_steps - 1;
    double peak = s->peak_lr;
    if (step < s->warmup_steps)
        return peak * (double)(step + 1) / (double)s->warmup_steps;
    if (step < half) {
        long span = half - s->warmup_steps; /* > 0 here */
        return lerp(peak, peak * 2.0 / 3.0, (double)(step - s->warmup_steps) / (double)span);
    }
    if (last <= half)
        return peak * 2.0 / 3.0;
    double t = (double)(step - half) / (double)(last - half);
    if (t > 1.0)
        t = 1.0;
    return lerp(peak * 2.0 / 3.0, peak / 1000.0, t);
}

double bn_schedule_wd(const bn_schedule *s, long step)
{
    return step < stage_boundary(s) ? s->weight_decay : 0.0;
}

int bn_schedule_stage(const bn_schedule *s, long step) { return step < stage_boundary(s) ? 1 : 2; }
