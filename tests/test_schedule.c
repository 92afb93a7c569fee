/* test_schedule.c - the two-stage learning-rate / weight-decay schedule (README, "The model"). */
#include <math.h>

#include "check.h"
#include "model/schedule.h"

#define PEAK 1.5e-3

/* |a - b| <= rel * |b| (b == 0 demands a == 0). */
static int close_rel(double a, double b, double rel) { return fabs(a - b) <= rel * fabs(b); }

/* The piecewise-linear formula from schedule.h, written out independently (no lerp helper:
 * each stage as start + slope * distance). */
static double want_lr(long total, long warmup, double peak, long s)
{
    long half = total / 2, last = total - 1;
    if (s < warmup)
        return peak * (double)(s + 1) / (double)warmup;
    if (s < half) {
        double slope = (peak * 2.0 / 3.0 - peak) / (double)(half - warmup);
        return peak + slope * (double)(s - warmup);
    }
    if (last <= half)
        return peak * 2.0 / 3.0;
    double slope = (peak / 1000.0 - peak * 2.0 / 3.0) / (double)(last - half);
    return peak * 2.0 / 3.0 + slope * (double)(s - half);
}

static void test_main_schedule(void)
{
    bn_schedule s = {.total_steps = 1000, .warmup_steps = 100, .peak_lr = PEAK,
                     .weight_decay = 0.1};

    /* Hand-written anchor values. */
    CHECK(close_rel(bn_schedule_lr(&s, 0), 1.5e-5, 1e-12), "lr(0) = %.17g, want 1.5e-5",
          bn_schedule_lr(&s, 0));
    CHECK(close_rel(bn_schedule_lr(&s, 49), 7.5e-4, 1e-12), "lr(49) = %.17g, want 7.5e-4",
          bn_schedule_lr(&s, 49));
    CHECK(close_rel(bn_schedule_lr(&s, 99), 1.5e-3, 1e-12), "lr(99) = %.17g, want peak",
          bn_schedule_lr(&s, 99));
    CHECK(close_rel(bn_schedule_lr(&s, 100), 1.5e-3, 1e-12), "lr(100) = %.17g, want peak",
          bn_schedule_lr(&s, 100));
    /* step 300: halfway through stage 1 -> (1 + 2/3)/2 peak = 1.25e-3 */
    CHECK(close_rel(bn_schedule_lr(&s, 300), 1.25e-3, 1e-12), "lr(300) = %.17g, want 1.25e-3",
          bn_schedule_lr(&s, 300));
    /* step 499: peak - (peak/3) * 399/400 = 1.5e-3 - 0.4987500e-3 = 1.00125e-3 */
    double lr499 = bn_schedule_lr(&s, 499);
    CHECK(close_rel(lr499, 1.00125e-3, 1e-12), "lr(499) = %.17g, want 1.00125e-3", lr499);
    CHECK(lr499 > 1e-3, "lr(499) = %.17g should be just above 2/3 peak", lr499);
    CHECK(close_rel(bn_schedule_lr(&s, 500), 1e-3, 1e-12), "lr(500) = %.17g, want 2/3 peak",
          bn_schedule_lr(&s, 500));
    CHECK(close_rel(bn_schedule_lr(&s, 999), 1.5e-6, 1e-12), "lr(999) = %.17g, want peak/1000",
          bn_schedule_lr(&s, 999));

    /* Every step against the independent formula, monotone after warmup, increasing in it. */
    int bad = 0, nonmono = 0, warm_nonincr = 0;
    for (long t = 0; t < 1000; t++) {
        double lr = bn_schedule_lr(&s, t);
        if (!close_rel(lr, want_lr(1000, 100, PEAK, t), 1e-12))
            bad++;
        if (t > 100 && lr > bn_schedule_lr(&s, t - 1))
            nonmono++;
        if (t > 0 && t < 100 && !(lr > bn_schedule_lr(&s, t - 1)))
            warm_nonincr++;
    }
    CHECK(bad == 0, "%d steps differ from the formula", bad);
    CHECK(nonmono == 0, "%d increases after warmup", nonmono);
    CHECK(warm_nonincr == 0, "%d non-increases during warmup", warm_nonincr);

    /* Weight decay and stage: 0.1 / stage 1 before 500, 0 / stage 2 from 500 on. */
    int bad_wd = 0, bad_stage = 0;
    for (long t = 0; t < 1000; t++) {
        double wd = bn_schedule_wd(&s, t);
        int st = bn_schedule_stage(&s, t);
        bad_wd += t < 500 ? wd != 0.1 : wd != 0.0;
        bad_stage += st != (t < 500 ? 1 : 2);
    }
    CHECK(bad_wd == 0, "%d steps with the wrong weight decay", bad_wd);
    CHECK(bad_stage == 0, "%d steps with the wrong stage", bad_stage);
    CHECK(bn_schedule_wd(&s, 499) == 0.1 && bn_schedule_wd(&s, 500) == 0.0, "wd at 499/500: %g %g",
          bn_schedule_wd(&s, 499), bn_schedule_wd(&s, 500));
    CHECK(bn_schedule_stage(&s, 499) == 1 && bn_schedule_stage(&s, 500) == 2,
          "stage at 499/500: %d %d", bn_schedule_stage(&s, 499), bn_schedule_stage(&s, 500));
}

static void test_no_warmup(void)
{
    bn_schedule s = {.total_steps = 1000, .warmup_steps = 0, .peak_lr = PEAK,
                     .weight_decay = 0.1};
    CHECK(close_rel(bn_schedule_lr(&s, 0), PEAK, 1e-12), "warmup 0: lr(0) = %.17g, want peak",
          bn_schedule_lr(&s, 0));
    /* stage 1 spans 500 steps: lr(250) = peak - peak/6 = 1.25e-3 */
    CHECK(close_rel(bn_schedule_lr(&s, 250), 1.25e-3, 1e-12), "warmup 0: lr(250) = %.17g",
          bn_schedule_lr(&s, 250));
    CHECK(close_rel(bn_schedule_lr(&s, 500), 1e-3, 1e-12), "warmup 0: lr(500) = %.17g",
          bn_schedule_lr(&s, 500));
    CHECK(close_rel(bn_schedule_lr(&s, 999), 1.5e-6, 1e-12), "warmup 0: lr(999) = %.17g",
          bn_schedule_lr(&s, 999));
}

/* Small and odd totals, warmups up to and past the stage boundary: every step finite and in
 * (0, peak], and equal to the formula. */
static void test_odd_totals(void)
{
    static const long cases[][2] = {{7, 2}, {7, 0}, {1, 0}, {2, 0}, {2, 1}, {3, 1},
                                    {5, 3}, {5, 5}, {4, 3}, {9, 4}, {1001, 10}, {3, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long total = cases[i][0], warmup = cases[i][1];
        bn_schedule s = {.total_steps = total, .warmup_steps = warmup, .peak_lr = PEAK,
                         .weight_decay = 0.1};
        int bad_range = 0, bad_formula = 0;
        for (long t = 0; t < total; t++) {
            double lr = bn_schedule_lr(&s, t);
            if (!isfinite(lr) || !(lr > 0.0) || lr > PEAK * (1.0 + 1e-12))
                bad_range++;
            if (!close_rel(lr, want_lr(total, warmup, PEAK, t), 1e-12))
                bad_formula++;
        }
        CHECK(bad_range == 0, "total %ld warmup %ld: %d steps outside (0, peak]", total, warmup,
              bad_range);
        CHECK(bad_formula == 0, "total %ld warmup %ld: %d steps differ from the formula", total,
              warmup, bad_formula);
    }

    /* 7 steps, warmup 2, by hand: half = 3, last = 6. */
    bn_schedule s = {.total_steps = 7, .warmup_steps = 2, .peak_lr = PEAK, .weight_decay = 0.1};
    static const double want[7] = {7.5e-4, 1.5e-3, 1.5e-3, 1e-3,
                                   1e-3 - (1e-3 - 1.5e-6) / 3.0, 1e-3 - 2.0 * (1e-3 - 1.5e-6) / 3.0,
                                   1.5e-6};
    for (long t = 0; t < 7; t++)
        CHECK(close_rel(bn_schedule_lr(&s, t), want[t], 1e-12), "7/2: lr(%ld) = %.17g, want %.17g",
              t, bn_schedule_lr(&s, t), want[t]);
    CHECK(bn_schedule_wd(&s, 2) == 0.1 && bn_schedule_wd(&s, 3) == 0.0, "7/2: wd boundary at 3");
}

int main(void)
{
    test_main_schedule();
    test_no_warmup();
    test_odd_totals();
    return check_exit("test_schedule");
}
