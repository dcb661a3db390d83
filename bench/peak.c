/*
 * peak.c — the machine's peak fp32 FMA rate, the ceiling that bench/'s
 * GFLOP/s figures are measured against.
 *
 * Each thread runs NACC independent chains of vector FMAs (acc = acc·m + a)
 * on registers only: no loads, no stores, so the only limits are the FMA
 * units' throughput and latency.  NACC chains cover latency × pipes (Zen 4:
 * latency 4, two 256-bit pipes, so 8 chains of 256-bit vectors, or 4 of
 * 512-bit ones, which Zen 4 splits over both pipes; Intel parts with two
 * 512-bit pipes want 8 — 12 covers them all).  The ISA is chosen when this
 * file is compiled, as in the trainers: AVX-512, else AVX2+FMA, else scalar
 * (which gives a number, but not a peak anyone should quote).
 *
* Run with 1 and 2 threads (or the list given as arguments); each figure is
 * the best of REPS runs of about 0.1 s — a peak is a ceiling, so the best
 * run, not the median, is the honest one.  Output, one line per count:
 *   peak isa=avx512 threads=1 gflops=83.2
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__AVX512F__) && !defined(NNCC_NO_AVX512)
#include <immintrin.h>
#define ISA "avx512"
#define VW 16
typedef __m512 vec;
#define vset1(x) _mm512_set1_ps(x)
#define vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vadd(a, b) _mm512_add_ps(a, b)
#define vsum(v) _mm512_reduce_add_ps(v)
#elif defined(__AVX2__) && defined(__FMA__) && !defined(NNCC_NO_AVX2)
#include <immintrin.h>
#define ISA "avx2"
#define VW 8
typedef __m256 vec;
#define vset1(x) _mm256_set1_ps(x)
#define vfma(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vadd(a, b) _mm256_add_ps(a, b)
static float vsum(__m256 v)
{
	float t[8];
	_mm256_storeu_ps(t, v);
	return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#else
#define ISA "scalar"
#define VW 1
typedef float vec;
#define vset1(x) (x)
#define vfma(a, b, c) ((a) * (b) + (c))
#define vadd(a, b) ((a) + (b))
#define vsum(v) (v)
#endif

#define NACC 12
#define REPS 15

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* iters × NACC FMAs of VW lanes, 2 flops each.  The twelve accumulators
 * are separate variables so the compiler keeps each in a register. */
static float chains(long iters, float seed)
{
	vec m = vset1(0.999999f), a = vset1(1e-7f);
	vec c0 = vset1(seed), c1 = vset1(seed + 1), c2 = vset1(seed + 2),
	    c3 = vset1(seed + 3), c4 = vset1(seed + 4), c5 = vset1(seed + 5),
	    c6 = vset1(seed + 6), c7 = vset1(seed + 7), c8 = vset1(seed + 8),
	    c9 = vset1(seed + 9), c10 = vset1(seed + 10), c11 = vset1(seed + 11);
	for (long i = 0; i < iters; i++) {
		c0 = vfma(c0, m, a); c1 = vfma(c1, m, a); c2 = vfma(c2, m, a);
		c3 = vfma(c3, m, a); c4 = vfma(c4, m, a); c5 = vfma(c5, m, a);
		c6 = vfma(c6, m, a); c7 = vfma(c7, m, a); c8 = vfma(c8, m, a);
		c9 = vfma(c9, m, a); c10 = vfma(c10, m, a); c11 = vfma(c11, m, a);
	}
	vec s = vadd(vadd(vadd(c0, c1), vadd(c2, c3)),
	             vadd(vadd(c4, c5), vadd(c6, c7)));
	s = vadd(s, vadd(vadd(c8, c9), vadd(c10, c11)));
	return vsum(s);
}

static volatile float sink;

/* GFLOP/s with t threads, best of REPS. */
static double peak(int t, long iters)
{
	double best = 0;
	for (int r = 0; r < REPS; r++) {
		double t0 = now();
		float acc = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(t) reduction(+ : acc)
		acc += chains(iters, (float)omp_get_thread_num());
#else
		(void)t;
		acc = chains(iters, 0);
		t = 1;
#endif
		double dt = now() - t0;
		sink = acc;
		double gf = 2.0 * VW * NACC * (double)iters * t / dt * 1e-9;
		if (gf > best)
			best = gf;
	}
	return best;
}

int main(int argc, char **argv)
{
	int counts[8] = {1, 2}, nc = 2;
	if (argc > 1) {
		nc = 0;
		for (int i = 1; i < argc && nc < 8; i++)
			counts[nc++] = atoi(argv[i]);
	}
	/* Calibrate: about 0.1 s per run on one thread. */
	long iters = 1 << 16;
	for (;;) {
		double t0 = now();
		sink = chains(iters, 0);
		double dt = now() - t0;
		if (dt > 0.05 || iters > (1L << 40)) {
			iters = (long)(iters * 0.1 / (dt > 1e-9 ? dt : 1e-9));
			break;
		}
		iters *= 4;
	}
	for (int i = 0; i < nc; i++)
		printf("peak isa=%s threads=%d gflops=%.1f\n", ISA, counts[i],
		       peak(counts[i], iters));
	return 0;
}
