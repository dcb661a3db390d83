/*
 * step.c — times full training steps (forward, backward, update) of one
 * nncc trainer.  Compiled once per model, against the model's header:
 *
 *   cc ... -DMODEL=bench_mlp -DMODEL_UC=BENCH_MLP -include bench_mlp.h \
 *          bench/step.c bench_mlp.c libnncc_rt.a        (trainer: -DNNCC_NO_MAIN)
 *
 *   step THREADS [BUDGET_S [MIN_STEPS [MAX_STEPS [WARMUP]]]]
 *
 * Inputs are uniform [0,1) floats and uniform labels, drawn once: four
 * batches, cycled, so the step sees changing data but no time goes to
 * making it.  After WARMUP steps (default 5), steps are timed one by one
 * (CLOCK_MONOTONIC) until BUDGET_S seconds (default 10) are spent, at
 * least MIN_STEPS (default 50) and at most MAX_STEPS (default 2000) of
 * them; a stalled machine ends the run at five times the budget even
 * below MIN_STEPS (steps= then shows it).  Output, one line:
 *
 *   step model=bench_mlp threads=1 batch=128 steps=… median_ms=… samples_per_s=… min_ms=… p90_ms=… loss=… maxrss_kb=…
 *
 * maxrss_kb is the process's peak resident memory (getrusage), the
 * model's tensors and the arena included.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "nncc_rt.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(a) #a
#define STR(a) STR_(a)
#define FN(s) CAT(MODEL, s)
#define MAC(s) CAT(MODEL_UC, s)

#define BATCH MAC(_BATCH)
#define IN_SIZE MAC(_IN_SIZE)
#define CLASSES MAC(_CLASSES)
#define NBATCH 4
#define MAX_TIMED 100000

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *t, int n)
{
	qsort(t, n, sizeof *t, cmp_double);
	return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s THREADS [BUDGET_S [MIN_STEPS "
		                "[MAX_STEPS [WARMUP]]]]\n", argv[0]);
		return 1;
	}
	int threads = atoi(argv[1]);
	double budget = argc > 2 ? atof(argv[2]) : 10;
	int min_steps = argc > 3 ? atoi(argv[3]) : 50;
	int max_steps = argc > 4 ? atoi(argv[4]) : 2000;
	int warmup = argc > 5 ? atoi(argv[5]) : 5;
	if (threads < 1 || min_steps < 1 || max_steps < min_steps ||
	    max_steps > MAX_TIMED || warmup < 1) {
		fprintf(stderr, "%s: bad arguments\n", argv[0]);
		return 1;
	}
#ifdef _OPENMP
	omp_set_num_threads(threads);
#else
	if (threads != 1)
		fprintf(stderr, "%s: built without OpenMP; running 1 thread\n",
		        argv[0]);
#endif

	float *x = malloc(sizeof(float) * (size_t)NBATCH * BATCH * IN_SIZE);
	int32_t *y = malloc(sizeof(int32_t) * (size_t)NBATCH * BATCH);
	double *t = malloc(sizeof(double) * (size_t)max_steps);
	MODEL *m = FN(_new)(1);
	if (!x || !y || !t || !m) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return 2;
	}
	RtRng r;
	rt_rng_seed(&r, 42);
	for (long i = 0; i < (long)NBATCH * BATCH * IN_SIZE; i++)
		x[i] = rt_rng_uniform(&r);
	for (long i = 0; i < (long)NBATCH * BATCH; i++)
		y[i] = (int32_t)rt_rng_below(&r, CLASSES);

	float loss = 0;
	long step = 0;
#define STEP()                                                               \
	(loss = FN(_train_step)(m, x + (step % NBATCH) * BATCH * IN_SIZE,        \
	                        y + (step % NBATCH) * BATCH),                     \
	 step++)
	for (int i = 0; i < warmup; i++)
		STEP();
	/* Timed steps until the budget is spent, at least min_steps of them
	 * and at most max_steps; on a stalled machine (another job on the
	 * cores) the minimum gives way at five times the budget, and steps=
	 * says so. */
	long n = 0;
	double start = now(), el = 0;
	while (n < max_steps && (n < min_steps || el < budget) &&
	       !(n >= 3 && el > 5 * budget)) {
		double t0 = now();
		STEP();
		double t1 = now();
		t[n++] = t1 - t0;
		el = t1 - start;
	}
	double med = median(t, (int)n); /* sorts t */
	struct rusage ru;
	long rss = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
	printf("step model=%s threads=%d batch=%d steps=%ld warmup=%d median_ms=%.4f "
	       "samples_per_s=%.1f min_ms=%.4f p90_ms=%.4f loss=%.4f maxrss_kb=%ld\n",
	       STR(MODEL), threads, BATCH, n, warmup, med * 1e3, BATCH / med,
	       t[0] * 1e3, t[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1] * 1e3,
	       (double)loss, rss);
	if (!isfinite(loss))
		fprintf(stderr, "%s: warning: loss is %f\n", argv[0], (double)loss);
	if (getenv("NNCC_STEP_PROFILE"))   /* a trainer built with -DNNCC_PROFILE */
		FN(_profile_print)();
	FN(_free)(m);
	free(x);
	free(y);
	free(t);
	return 0;
}
