/*
 * gemm.c — GFLOP/s of nn_gemm, the GEMM every trainer carries, on the
 * shapes the reference models train with and on 512/1024/2048 squares.
 *
 * The kernel is compiled here exactly as in a trainer: this file includes
 * compiler/kernels/prelude.c (which nncc emits verbatim into every
 * trainer), with the same flags.  For a linear layer y = x·Wᵀ with x
 * [B,in] and W [out,in] a training step makes three products (see
 * compiler/ops/matmul.c):
 *   fwd  Y  = X·Wᵀ     M=B   N=out K=in   ta=0 tb=1
 *   dX   dX = dY·W     M=B   N=in  K=out  ta=0 tb=0  (not for the first layer)
 *   dW   dW = dYᵀ·X    M=out N=in  K=B    ta=1 tb=0
 * A convolution (compiler/ops/conv.c) runs im2col and then, per sample,
 *   fwd  y  = w·col    M=O   N=OH·OW K=C·k·k ta=0 tb=0
 *   dx   col = wᵀ·dy   M=C·k·k N=OH·OW K=O   ta=1 tb=0  (then col2im)
 *   dw   dw += dy·colᵀ M=O   N=C·k·k K=OH·OW ta=0 tb=1
 * Each is timed as the trainer runs it: packing op(B) into the scratch is
 * part of every call (im2col and col2im are not).
 *
 * Each figure is the median of repeated samples (each sample loops the
 * call enough times to last a few ms; best_gflops is the fastest sample,
 * the steadier figure on a busy machine), at 1 and 2 threads
 * (omp_set_num_threads).  When OpenBLAS can be dlopen'ed (libopenblas.so.0;
 * bench/run.sh points LD_LIBRARY_PATH at Debian's OpenMP build) the same
 * product through cblas_sgemm is timed beside it, as a yardstick.
 *
 *   gemm [--no-blas] [--quick] [--only PREFIX] [threads...]   (default threads: 1 2)
 * --quick: shorter timing, no 2048 square; --only: the shapes whose name
 * starts with PREFIX.
 * Output, one line per shape and thread count:
 *   gemm name=mlp.fc2.fwd M=128 N=1024 K=1024 ta=0 tb=1 threads=1 ms=… gflops=… best_gflops=… blas_gflops=…
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "nncc_rt.h"
#include "../compiler/kernels/prelude.c"

typedef struct Shape {
	const char *name;
	int m, n, k, ta, tb;
} Shape;

static const Shape shapes[] = {
	/* mlp_small, batch 32: 784→128 (the first layer: no dX) */
	{"mlp_small.fc1.fwd", 32, 128, 784, 0, 1},
	{"mlp_small.fc1.dW", 128, 784, 32, 1, 0},
	/* mlp, batch 128: 784→1024→1024→10 */
	{"mlp.fc1.fwd", 128, 1024, 784, 0, 1},
	{"mlp.fc1.dW", 1024, 784, 128, 1, 0},
	{"mlp.fc2.fwd", 128, 1024, 1024, 0, 1},
	{"mlp.fc2.dX", 128, 1024, 1024, 0, 0},
	{"mlp.fc2.dW", 1024, 1024, 128, 1, 0},
	{"mlp.fc3.fwd", 128, 10, 1024, 0, 1},
	{"mlp.fc3.dX", 128, 1024, 10, 0, 0},
	{"mlp.fc3.dW", 10, 1024, 128, 1, 0},
	/* conv layers (compiler/ops/conv.c, im2col + GEMM), one call per
	 * sample, so 64 of each per step: fwd y=w·col, dx col=wᵀ·dy,
	 * dw += dy·colᵀ; M/N/K from out channels O, pixels OH·OW, C·k·k */
	{"cnn_bn.conv2.fwd", 32, 784, 288, 0, 0},      /* 32→32, 28×28 */
	{"cnn_bn.conv2.dx", 288, 784, 32, 1, 0},
	{"cnn_bn.conv2.dw", 32, 288, 784, 0, 1},
	{"cnn_bn.conv4.fwd", 64, 196, 576, 0, 0},      /* 64→64, 14×14 */
	{"cnn_bn.conv4.dx", 576, 196, 64, 1, 0},
	{"cnn_bn.conv4.dw", 64, 576, 196, 0, 1},
	{"resnet8.s1.fwd", 16, 1024, 144, 0, 0},       /* 16→16, 32×32 */
	{"resnet8.s1.dx", 144, 1024, 16, 1, 0},
	{"resnet8.s1.dw", 16, 144, 1024, 0, 1},
	{"resnet8.s3.fwd", 64, 64, 576, 0, 0},         /* 64→64, 8×8 */
	{"resnet8.s3.dx", 576, 64, 64, 1, 0},
	{"resnet8.s3.dw", 64, 576, 64, 0, 1},
	/* squares, plain row-major A·B */
	{"square512", 512, 512, 512, 0, 0},
	{"square1024", 1024, 1024, 1024, 0, 0},
	{"square2048", 2048, 2048, 2048, 0, 0},
};

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *,
                         int, const float *, int, float, float *, int);
static sgemm_fn cblas_sgemm_p;
static void (*blas_set_threads)(int);

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

typedef struct Args {
	const Shape *s;
	const float *a, *b;
	float *c, *scratch;
	int lda, ldb, blas;
} Args;

static void call(const Args *g)
{
	const Shape *s = g->s;
	if (g->blas)
		cblas_sgemm_p(101 /* row major */, s->ta ? 112 : 111,
		              s->tb ? 112 : 111, s->m, s->n, s->k, 1.0f, g->a,
		              g->lda, g->b, g->ldb, 0.0f, g->c, s->n);
	else
		nn_gemm(s->m, s->n, s->k, g->a, g->lda, s->ta, g->b, g->ldb,
		        s->tb, g->c, s->n, g->scratch);
}

/* Median seconds per call; the fastest sample's in *best. */
static double time_call(const Args *g, double budget, double *best)
{
	call(g); /* warm caches, thread pool */
	int inner = 1;
	double dt;
	for (;;) {
		double t0 = now();
		for (int i = 0; i < inner; i++)
			call(g);
		dt = now() - t0;
		if (dt > 3e-3 || inner > (1 << 20))
			break;
		inner *= 2;
	}
	int samples = (int)(budget / dt);
	samples = samples < 5 ? 5 : samples > 31 ? 31 : samples;
	double t[31];
	for (int r = 0; r < samples; r++) {
		double t0 = now();
		for (int i = 0; i < inner; i++)
			call(g);
		t[r] = (now() - t0) / inner;
	}
	qsort(t, samples, sizeof *t, cmp_double);
	*best = t[0];
	return t[samples / 2];
}

static float *rand_buf(long n, RtRng *r)
{
	float *p = aligned_alloc(64, ((size_t)n * sizeof(float) + 63) / 64 * 64);
	if (!p) {
		fprintf(stderr, "gemm: out of memory\n");
		exit(2);
	}
	for (long i = 0; i < n; i++)
		p[i] = 2 * rt_rng_uniform(r) - 1;
	return p;
}

int main(int argc, char **argv)
{
	int counts[8], nc = 0, use_blas = 1, quick = 0;
	double budget = 0.4;
	const char *only = "";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-blas"))
			use_blas = 0;
		else if (!strcmp(argv[i], "--quick"))
			budget = 0.1, quick = 1;
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (nc < 8)
			counts[nc++] = atoi(argv[i]);
	}
	if (!nc) {
		counts[0] = 1;
		counts[1] = 2;
		nc = 2;
	}
	if (use_blas) {
		void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
		if (h) {
			*(void **)&cblas_sgemm_p = dlsym(h, "cblas_sgemm");
			*(void **)&blas_set_threads = dlsym(h, "openblas_set_num_threads");
		}
		if (!cblas_sgemm_p)
			fprintf(stderr, "gemm: no OpenBLAS (libopenblas.so.0 with "
			                "cblas_sgemm): blas_gflops left out\n");
	}
#ifndef _OPENMP
	fprintf(stderr, "gemm: built without OpenMP; every count runs one thread\n");
#endif
	RtRng rng;
	rt_rng_seed(&rng, 1);
	for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
		const Shape *s = &shapes[si];
		if (strncmp(s->name, only, strlen(only)) ||
		    (quick && s->m * (long)s->n * s->k > (1L << 31)))
			continue;
		Args g = {s, NULL, NULL, NULL, NULL, 0, 0, 0};
		/* op(A) is M×K: stored [M,K] or, transposed, [K,M]. */
		g.lda = s->ta ? s->m : s->k;
		g.ldb = s->tb ? s->k : s->n;
		g.a = rand_buf((long)s->m * s->k, &rng);
		g.b = rand_buf((long)s->k * s->n, &rng);
		g.c = rand_buf((long)s->m * s->n, &rng);
		g.scratch = rand_buf((long)s->k * ((s->n + 31) / 32 * 32), &rng);
		double flops = 2.0 * s->m * s->n * s->k;
		for (int ci = 0; ci < nc; ci++) {
#ifdef _OPENMP
			omp_set_num_threads(counts[ci]);
#endif
			g.blas = 0;
			double best, t = time_call(&g, budget, &best);
			printf("gemm name=%s M=%d N=%d K=%d ta=%d tb=%d threads=%d "
			       "ms=%.4f gflops=%.2f best_gflops=%.2f", s->name, s->m,
			       s->n, s->k, s->ta, s->tb, counts[ci], t * 1e3,
			       flops / t * 1e-9, flops / best * 1e-9);
			if (cblas_sgemm_p) {
				if (blas_set_threads)
					blas_set_threads(counts[ci]);
				g.blas = 1;
				double bb, tb = time_call(&g, budget, &bb);
				printf(" blas_gflops=%.2f", flops / tb * 1e-9);
			}
			printf("\n");
			fflush(stdout);
		}
		free((void *)g.a);
		free((void *)g.b);
		free(g.c);
		free(g.scratch);
	}
	return 0;
}
