/*
 * rt_sched.c — learning-rate schedules: torch.optim.lr_scheduler's, as
 * functions of the fractional epoch position (nncc_rt.h says which).
 *
 * The unit is the epoch, as when torch's scheduler.step() runs once per
 * epoch, and at every whole epoch e the lr is the one torch's scheduler
 * gives after e steps.  The driver asks for the lr of every batch, at
 * e = epoch + i/nbatch: the stepwise schedules (step, exponential, plateau)
 * hold their value through the epoch, as torch's per-epoch step() does;
 * the cosine and the warmup ramp go on along their curves between whole
 * epochs, which is what torch gives when stepped per batch with T_max and
 * total_iters counted in batches.
 */
#include <math.h>

#include "nncc_rt.h"

/* The warmup's start when the recipe leaves it 0: the first step gets a
 * thousandth of the lr, never exactly 0. */
#define WARMUP_START 1e-3

#define PI 3.14159265358979323846

/* LinearLR(start_factor = s, end_factor = 1, total_iters = warmup): the
 * factor at e, s + (1 − s)·e/warmup up to warmup, then 1. */
static double
warmup_factor(const RtRecipe *r, double e)
{
	double s;

	if (!(r->warmup > 0) || e >= r->warmup)
		return 1;
	s = r->warmup_start > 0 ? r->warmup_start : WARMUP_START;
	return s + (1 - s) * (e < 0 ? 0 : e) / r->warmup;
}

/* The schedule's own lr at e, warmup left out. */
static double
schedule(const RtRecipe *r, double e)
{
	double t;

	switch (r->sched) {
	case RT_SCHED_STEP:
		if (r->sched_every > 0)
			return r->lr * pow(r->sched_gamma, floor(e / r->sched_every));
		return r->lr;
	case RT_SCHED_EXP:
		return r->lr * pow(r->sched_gamma, floor(e));
	case RT_SCHED_COSINE:
		t = r->epochs > 0 ? e / r->epochs : 1;
		t = t < 0 ? 0 : t > 1 ? 1 : t;
		return r->min_lr + ((double)r->lr - r->min_lr) * (1 + cos(PI * t)) / 2;
	default:
		return r->lr;
	}
}

float
rt_schedule_lr(const RtRecipe *r, double e)
{
	return (float)(schedule(r, e) * warmup_factor(r, e));
}

float
rt_lr(const RtRecipe *r, const RtState *s, double e)
{
	if (r->sched == RT_SCHED_PLATEAU)
		return (float)(s->plateau_lr * warmup_factor(r, e));
	return rt_schedule_lr(r, e);
}

void
rt_plateau_reset(const RtRecipe *r, RtState *s)
{
	s->plateau_lr = r->lr;
	s->plateau_best = INFINITY;
	s->plateau_bad = 0;
	s->plateau_cooldown = 0;
}

/* ReduceLROnPlateau.step, mode 'min', threshold_mode 'rel': a loss is
 * better below best·(1 − threshold); epochs in cooldown count as good;
 * more than `patience` bad epochs lower the lr to max(lr·factor, min_lr),
 * unless that changes it by no more than torch's eps of 1e-8, and start a
 * cooldown.  A NaN loss is never better. */
int
rt_plateau_step(const RtRecipe *r, RtState *s, double loss)
{
	double lr;
	int lowered;

	if (r->sched != RT_SCHED_PLATEAU)
		return 0;
	if (loss < s->plateau_best * (1 - (double)r->plateau_threshold)) {
		s->plateau_best = loss;
		s->plateau_bad = 0;
	} else {
		s->plateau_bad++;
	}
	if (s->plateau_cooldown > 0) {
		s->plateau_cooldown--;
		s->plateau_bad = 0;
	}
	lowered = 0;
	if (s->plateau_bad > r->plateau_patience) {
		lr = fmax(s->plateau_lr * r->plateau_factor, r->min_lr);
		if (s->plateau_lr - lr > 1e-8) {
			s->plateau_lr = lr;
			lowered = 1;
		}
		s->plateau_cooldown = r->plateau_cooldown;
		s->plateau_bad = 0;
	}
	return lowered;
}
