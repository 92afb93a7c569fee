/* schedule.h - the two-stage learning-rate and weight-decay schedule (README, "The model").
 *
 * For step s in [0, total):
 *   warmup   s < W:           lr = peak * (s + 1) / W         (reaches peak at s = W-1)
 *   stage 1  W <= s < total/2: linear from peak (s = W) to 2/3 peak (s = total/2)
 *   stage 2  s >= total/2:     linear from 2/3 peak (s = total/2) to peak/1000 (s = total-1)
 *   weight decay: `wd` in stage 1 (and warmup), 0 in stage 2. */
#ifndef BN_SCHEDULE_H
#define BN_SCHEDULE_H

typedef struct {
    long total_steps;
    long warmup_steps;
    double peak_lr;
    double weight_decay;
} bn_schedule;

double bn_schedule_lr(const bn_schedule *s, long step);
double bn_schedule_wd(const bn_schedule *s, long step);
/* 1 before total/2, 2 from there on. */
int bn_schedule_stage(const bn_schedule *s, long step);

#endif
