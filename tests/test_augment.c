/*
 * test_augment.c — tests of the runtime's augmentation and data options:
 * each transform on small images (1×4×5 and 3×6×6), the order of the
 * draws, mixup and its Beta, normalization, class balance and the
 * epoch's batches.
 *
 * Expected images are never taken from the implementation.  For each
 * fixed seed the test makes the random decisions itself, with the RNG
 * calls nncc_rt.h documents on a copy of the generator, and builds the
 * expected image with a naive loop written for the test (a padded image
 * really padded and cropped, a rectangle tested pixel by pixel); then the
 * output must equal it exactly, and the generator must have advanced
 * exactly as far as the copy.  The statistical checks have bounds of
 * four to five standard errors, so they fail when a transform is broken
 * and (almost) never by chance; their seeds are fixed, so they are
 * repeatable anyway.
 *
 *	cc -std=c11 -D_POSIX_C_SOURCE=200809L -o test_augment
 *	   tests/test_augment.c runtime/rt_*.c -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/nncc_rt.h"

static int passed, failed;

#define CHECK(c) check((c), __FILE__, __LINE__, #c)

static int
check(int ok, const char *file, int line, const char *what)
{
	if (ok) {
		passed++;
	} else {
		failed++;
		printf("%s:%d: check failed: %s\n", file, line, what);
		fflush(stdout);
	}
	return ok;
}

/* ---- Images -------------------------------------------------------------
 * The two test shapes and a distinct value at every position, so that
 * any misplaced pixel shows. */

enum { MAXPIX = 3 * 6 * 6 };

typedef struct Shape {
	int c, h, w;
} Shape;

static const Shape shapes[] = {{1, 4, 5}, {3, 6, 6}};

static float
pixel_value(int k, int i, int j)
{
	return 1 + 100 * k + 10 * i + j + 0.5f;
}

static void
make_image(float *x, Shape s)
{
	int k, i, j;

	for (k = 0; k < s.c; k++)
		for (i = 0; i < s.h; i++)
			for (j = 0; j < s.w; j++)
				x[(k * s.h + i) * s.w + j] = pixel_value(k, i, j);
}

static int
same(const float *a, const float *b, int n)
{
	return memcmp(a, b, (size_t)n * sizeof(float)) == 0;
}

static int
same_rng(const RtRng *a, const RtRng *b)
{
	return memcmp(a, b, sizeof *a) == 0;
}

static int
numel(Shape s)
{
	return s.c * s.h * s.w;
}

/* ---- hflip ---------------------------------------------------------------- */

static void
test_hflip(void)
{
	float x[MAXPIX], want[MAXPIX];
	RtRng r, mine;
	int t, k, i, j, flips, keeps, ok;
	Shape s;

	flips = keeps = 0;
	for (t = 0; t < 40; t++) {
		s = shapes[t % 2];
		rt_rng_seed(&r, 1000 + t);
		mine = r;
		make_image(x, s);
		int flip = rt_rng_uniform(&mine) < 0.5f;
		for (k = 0; k < s.c; k++)
			for (i = 0; i < s.h; i++)
				for (j = 0; j < s.w; j++)
					want[(k * s.h + i) * s.w + j] =
						pixel_value(k, i, flip ? s.w - 1 - j : j);
		rt_aug_hflip(x, s.c, s.h, s.w, 0.5f, &r);
		ok = CHECK(same(x, want, numel(s)));
		ok &= CHECK(same_rng(&r, &mine));
		if (!ok)
			printf("  hflip: seed %d, shape %dx%dx%d\n", 1000 + t, s.c, s.h,
			       s.w);
		flips += flip;
		keeps += !flip;
	}
	CHECK(flips > 0 && keeps > 0);   /* both outcomes were checked */

	/* p = 0 never flips, p = 1 always; each draws once */
	rt_rng_seed(&r, 5);
	mine = r;
	make_image(x, shapes[0]);
	make_image(want, shapes[0]);
	rt_aug_hflip(x, 1, 4, 5, 0, &r);
	rt_rng_uniform(&mine);
	CHECK(same(x, want, 20) && same_rng(&r, &mine));
	rt_aug_hflip(x, 1, 4, 5, 1, &r);
	CHECK(x[0] == pixel_value(0, 0, 4) && x[4] == pixel_value(0, 0, 0) &&
	      x[7] == pixel_value(0, 1, 2));
}

/* A flip is seen where pixel (0,0) holds the value of (0,w-1). */
static void
test_hflip_rate(void)
{
	static const float ps[] = {0.5f, 0.2f};
	float x[20];
	RtRng r;
	int n, t, flips;
	size_t q;
	double mean, sd;

	n = 10000;
	for (q = 0; q < sizeof ps / sizeof *ps; q++) {
		rt_rng_seed(&r, 77);
		flips = 0;
		for (t = 0; t < n; t++) {
			make_image(x, shapes[0]);
			rt_aug_hflip(x, 1, 4, 5, ps[q], &r);
			flips += x[0] == pixel_value(0, 0, 4);
		}
		mean = n * ps[q];
		sd = sqrt(n * ps[q] * (1 - ps[q]));
		if (!CHECK(fabs(flips - mean) < 5 * sd))
			printf("  hflip p=%g: %d flips of %d\n", ps[q], flips, n);
	}
}

/* ---- random_crop ------------------------------------------------------------ */

/* The reference: a (h+2p)×(w+2p) image really built, fill around the
 * input, then its h×w window at (dy, dx) copied out. */
static void
pad_and_crop(const float *in, float *out, Shape s, int pad, const float *fill,
             int dy, int dx)
{
	int ph = s.h + 2 * pad, pw = s.w + 2 * pad, k, i, j;
	float *big = malloc(sizeof(float) * (size_t)(s.c * ph * pw));

	for (k = 0; k < s.c; k++) {
		for (i = 0; i < ph * pw; i++)
			big[k * ph * pw + i] = fill ? fill[k] : 0;
		for (i = 0; i < s.h; i++)
			for (j = 0; j < s.w; j++)
				big[(k * ph + i + pad) * pw + j + pad] =
					in[(k * s.h + i) * s.w + j];
		for (i = 0; i < s.h; i++)
			for (j = 0; j < s.w; j++)
				out[(k * s.h + i) * s.w + j] =
					big[(k * ph + i + dy) * pw + j + dx];
	}
	free(big);
}

static void
test_crop(void)
{
	static const int pads[] = {1, 2, 3, 7};
	static const float fill[3] = {-1.25f, 0, 3.5f};
	float in[MAXPIX], x[MAXPIX], want[MAXPIX];
	RtRng r, mine;
	int t, dy, dx, below, above, centre, ok;
	size_t q;
	Shape s;

	below = above = centre = 0;
	for (q = 0; q < sizeof pads / sizeof *pads; q++)
		for (t = 0; t < 30; t++) {
			int pad = pads[q];
			const float *f = t % 3 ? fill : NULL;
			s = shapes[t % 2];
			rt_rng_seed(&r, 2000 + 100 * (int)q + t);
			mine = r;
			dy = (int)rt_rng_below(&mine, 2 * (uint32_t)pad + 1);
			dx = (int)rt_rng_below(&mine, 2 * (uint32_t)pad + 1);
			make_image(in, s);
			pad_and_crop(in, want, s, pad, f, dy, dx);
			memcpy(x, in, sizeof x);
			rt_aug_crop(x, s.c, s.h, s.w, pad, f, &r);
			ok = CHECK(same(x, want, numel(s)));
			ok &= CHECK(same_rng(&r, &mine));
			if (!ok)
				printf("  crop: pad %d, offset (%d,%d), shape %dx%dx%d\n",
				       pad, dy, dx, s.c, s.h, s.w);
			below += dy < pad;
			above += dy > pad;
			centre += dy == pad && dx == pad;
		}
	/* shifts both ways were checked, and the unshifted crop */
	CHECK(below > 0 && above > 0 && centre > 0);
}

/* ---- cutout ------------------------------------------------------------------ */

static void
test_cutout(void)
{
	static const int sizes[] = {1, 2, 3, 4, 8};
	float x[MAXPIX], want[MAXPIX];
	RtRng r, mine;
	int t, k, i, j, cy, cx, size, ok, clipped, inside;
	size_t q;
	Shape s;

	clipped = inside = 0;
	for (q = 0; q < sizeof sizes / sizeof *sizes; q++)
		for (t = 0; t < 30; t++) {
			size = sizes[q];
			s = shapes[t % 2];
			rt_rng_seed(&r, 3000 + 100 * (int)q + t);
			mine = r;
			cy = (int)rt_rng_below(&mine, (uint32_t)s.h);
			cx = (int)rt_rng_below(&mine, (uint32_t)s.w);
			/* the square's rows are cy - size/2 … cy - size/2 + size - 1 */
			int top = cy - size / 2, left = cx - size / 2, zeros = 0;
			for (k = 0; k < s.c; k++)
				for (i = 0; i < s.h; i++)
					for (j = 0; j < s.w; j++) {
						int in = i >= top && i < top + size &&
						         j >= left && j < left + size;
						want[(k * s.h + i) * s.w + j] =
							in ? 0 : pixel_value(k, i, j);
						zeros += in;
					}
			make_image(x, s);
			rt_aug_cutout(x, s.c, s.h, s.w, size, &r);
			ok = CHECK(same(x, want, numel(s)));
			ok &= CHECK(same_rng(&r, &mine));
			if (!ok)
				printf("  cutout: size %d, centre (%d,%d)\n", size, cy, cx);
			if (zeros == s.c * size * size)
				inside++;
			else
				clipped++;
		}
	CHECK(clipped > 0 && inside > 0);
}

/* ---- random_erasing ---------------------------------------------------------- */

/* Python's round(): to the nearest integer, ties to the even one. */
static int
round_half_even(double v)
{
	double f = floor(v), d = v - f;

	if (d > 0.5 || (d == 0.5 && fmod(f, 2) != 0))
		f += 1;
	return (int)f;
}

/* torchvision's RandomErasing.get_params, step by step: 0 and the
 * rectangle (i, j, eh, ew), or -1 when it erases nothing. */
static int
erase_params(RtRng *r, Shape s, const RtAugment *a, int *i, int *j, int *eh,
             int *ew)
{
	double area = (double)s.h * s.w;
	int t;

	if (!(rt_rng_uniform(r) < a->p))
		return -1;
	for (t = 0; t < 10; t++) {
		double u1 = rt_rng_uniform(r), u2 = rt_rng_uniform(r);
		double target = area * (a->scale[0] + u1 * (a->scale[1] - a->scale[0]));
		double logr = log(a->ratio[0]) +
		              u2 * (log(a->ratio[1]) - log(a->ratio[0]));
		*eh = round_half_even(sqrt(target * exp(logr)));
		*ew = round_half_even(sqrt(target / exp(logr)));
		if (*eh < s.h && *ew < s.w) {
			*i = (int)rt_rng_below(r, (uint32_t)(s.h - *eh + 1));
			*j = (int)rt_rng_below(r, (uint32_t)(s.w - *ew + 1));
			return 0;
		}
	}
	return -1;
}

static void
test_erase(void)
{
	RtAugment a[4];
	float x[MAXPIX], want[MAXPIX];
	RtRng r, mine;
	int t, k, i, j, erased, kept, ok;
	int ei = 0, ej = 0, eh = 0, ew = 0;
	size_t q;
	Shape s;

	memset(a, 0, sizeof a);
	/* torchvision's defaults with value 0; a large, wide one with a value;
	 * a small, tall one */
	a[0] = (RtAugment){.kind = RT_AUG_ERASE, .p = 0.5f, .scale = {0.02f, 0.33f},
	                   .ratio = {0.3f, 3.3f}};
	a[1] = (RtAugment){.kind = RT_AUG_ERASE, .p = 1, .scale = {0.3f, 0.6f},
	                   .ratio = {1.5f, 2.5f}, .value = -7.25f};
	a[2] = (RtAugment){.kind = RT_AUG_ERASE, .p = 0.9f, .scale = {0.05f, 0.1f},
	                   .ratio = {0.2f, 0.5f}, .value = 2};
	/* a tie: on 4×5, sqrt(0.3125·20) = 2.5 exactly, which rounds to 2 */
	a[3] = (RtAugment){.kind = RT_AUG_ERASE, .p = 1, .scale = {0.3125f, 0.3125f},
	                   .ratio = {1, 1}, .value = 3};
	erased = kept = 0;
	for (q = 0; q < 4; q++)
		for (t = 0; t < 40; t++) {
			s = shapes[t % 2];
			rt_rng_seed(&r, 4000 + 100 * (int)q + t);
			mine = r;
			int hit = erase_params(&mine, s, &a[q], &ei, &ej, &eh, &ew) == 0;
			for (k = 0; k < s.c; k++)
				for (i = 0; i < s.h; i++)
					for (j = 0; j < s.w; j++)
						want[(k * s.h + i) * s.w + j] =
							hit && i >= ei && i < ei + eh && j >= ej &&
							j < ej + ew ? a[q].value : pixel_value(k, i, j);
			make_image(x, s);
			rt_aug_erase(x, s.c, s.h, s.w, &a[q], &r);
			ok = CHECK(same(x, want, numel(s)));
			ok &= CHECK(same_rng(&r, &mine));
			if (!ok)
				printf("  erase %zu: seed %d\n", q, 4000 + 100 * (int)q + t);
			erased += hit && eh > 0 && ew > 0;
			kept += !hit;
		}
	CHECK(erased > 0 && kept > 0);

	/* Nothing fits (every rectangle is at least as tall as the image): the
	 * image stays, after the p draw and ten attempts of two draws each. */
	RtAugment tall = {.kind = RT_AUG_ERASE, .p = 1, .scale = {0.9f, 1},
	                  .ratio = {3, 3.3f}, .value = 9};
	rt_rng_seed(&r, 11);
	mine = r;
	make_image(x, shapes[1]);
	make_image(want, shapes[1]);
	rt_aug_erase(x, 3, 6, 6, &tall, &r);
	for (t = 0; t < 21; t++)
		rt_rng_uniform(&mine);
	CHECK(same(x, want, 3 * 6 * 6) && same_rng(&r, &mine));
}

/* ---- Beta and mixup ------------------------------------------------------------ */

static void
test_beta(void)
{
	static const float ab[][2] = {{0.2f, 0.2f}, {1, 1}, {2, 5}, {0.5f, 3},
	                              {30, 30}};
	RtRng r;
	double sum, sq, mean, var, a, b, m, v, se_mean;
	size_t q;
	int n, t;

	n = 40000;
	for (q = 0; q < sizeof ab / sizeof *ab; q++) {
		a = ab[q][0];
		b = ab[q][1];
		rt_rng_seed(&r, 123 + q);
		sum = sq = 0;
		for (t = 0; t < n; t++) {
			double x = rt_rng_beta(&r, (float)a, (float)b);
			if (!(x >= 0 && x <= 1)) {
				CHECK(x >= 0 && x <= 1);
				break;
			}
			sum += x;
			sq += x * x;
		}
		mean = sum / n;
		var = sq / n - mean * mean;
		/* the Beta's mean a/(a+b) and variance ab/((a+b)²(a+b+1)) */
		m = a / (a + b);
		v = a * b / ((a + b) * (a + b) * (a + b + 1));
		se_mean = sqrt(v / n);
		/* the sample variance of n draws in [0,1] has a standard error
		 * below sqrt(2/n)·v·(kurtosis factor); 5% is over 4 of them here */
		if (!CHECK(fabs(mean - m) < 5 * se_mean && fabs(var - v) < 0.05 * v))
			printf("  beta(%g,%g): mean %.5f (want %.5f), var %.5f (want "
			       "%.5f)\n", a, b, mean, m, var, v);
	}
	/* tiny alpha: λ piles up at 0 and 1 but is never NaN */
	rt_rng_seed(&r, 9);
	for (t = 0; t < 1000; t++) {
		float x = rt_rng_beta(&r, 0.01f, 0.01f);
		if (!(x >= 0 && x <= 1)) {
			CHECK(x >= 0 && x <= 1);
			break;
		}
	}
}

static void
test_mixup(void)
{
	enum { N = 5, DIM = 20 };
	float x[N * DIM], orig[N * DIM], want[N * DIM], work[N * DIM], lam, wl;
	int32_t y[N] = {3, 1, 4, 1, 5}, y2[N], perm[N], wperm[N];
	RtRng r, mine;
	int i, k, ok, moved;
	double sum;

	moved = 0;
	for (int t = 0; t < 10; t++) {
		for (i = 0; i < N; i++)
			make_image(orig + i * DIM, shapes[0]);
		for (i = 0; i < N * DIM; i++)
			orig[i] += (float)(i / DIM) * 1000;  /* samples differ */
		memcpy(x, orig, sizeof x);
		rt_rng_seed(&r, 500 + t);
		mine = r;
		wl = rt_rng_beta(&mine, 0.4f, 0.4f);
		for (i = 0; i < N; i++)
			wperm[i] = i;
		rt_shuffle(wperm, N, &mine);
		for (i = 0; i < N; i++)
			for (k = 0; k < DIM; k++)
				want[i * DIM + k] = wl * orig[i * DIM + k] +
				                    (1 - wl) * orig[wperm[i] * DIM + k];
		lam = rt_aug_mixup(x, N, DIM, y, y2, 0.4f, work, perm, &r);
		ok = CHECK(lam == wl);
		ok &= CHECK(same(x, want, N * DIM));
		ok &= CHECK(same_rng(&r, &mine));
		for (i = 0; i < N; i++)
			ok &= CHECK(y2[i] == y[wperm[i]]);
		if (!ok)
			printf("  mixup: seed %d\n", 500 + t);
		for (i = 0; i < N; i++)
			moved += wperm[i] != i;
	}
	CHECK(moved > 0);

	/* the λ mixup draws has the Beta(α, α) mean ½ and variance
	 * 1/(4(2α+1)), through rt_aug_mixup itself */
	rt_rng_seed(&r, 42);
	sum = 0;
	double sq = 0;
	int n = 20000;
	for (int t = 0; t < n; t++) {
		double l = rt_aug_mixup(x, N, DIM, y, y2, 0.2f, work, perm, &r);
		sum += l;
		sq += l * l;
	}
	double mean = sum / n, var = sq / n - mean * mean;
	double v = 1 / (4 * (2 * 0.2 + 1));
	if (!CHECK(fabs(mean - 0.5) < 5 * sqrt(v / n) && fabs(var - v) < 0.05 * v))
		printf("  mixup λ: mean %.5f, var %.5f (want 0.5, %.5f)\n", mean,
		       var, v);
}

/* ---- The whole list on a batch ------------------------------------------------ */

/* For each sample in batch order, each transform in list order; then
 * mixup.  The expected batch is made by calling the single transforms
 * (checked above) in that order on a copy of the generator. */
static void
test_augment_batch(void)
{
	enum { N = 4, DIM = 3 * 6 * 6 };
	static const float fill[3] = {0.5f, -0.5f, 2};
	RtAugment list[5] = {
		{.kind = RT_AUG_HFLIP, .p = 0.5f},
		{.kind = RT_AUG_CROP, .size = 2},
		{.kind = RT_AUG_CUTOUT, .size = 3},
		{.kind = RT_AUG_ERASE, .p = 0.7f, .scale = {0.02f, 0.33f},
		 .ratio = {0.3f, 3.3f}, .value = 1},
		{.kind = RT_AUG_MIXUP, .alpha = 1},
	};
	float x[N * DIM], want[N * DIM], work[N * DIM], wwork[N * DIM];
	int32_t y[N] = {0, 1, 2, 3}, y2[N], w2[N], perm[N], wperm[N];
	RtRng r, mine;
	float lam, wl;
	int i, k;

	for (int with_mix = 0; with_mix < 2; with_mix++) {
		for (i = 0; i < N; i++) {
			make_image(x + i * DIM, shapes[1]);
			x[i * DIM] = (float)i;     /* samples differ */
		}
		memcpy(want, x, sizeof x);
		rt_rng_seed(&r, 808 + with_mix);
		mine = r;
		for (i = 0; i < N; i++) {
			float *img = want + i * DIM;
			rt_aug_hflip(img, 3, 6, 6, 0.5f, &mine);
			rt_aug_crop(img, 3, 6, 6, 2, fill, &mine);
			rt_aug_cutout(img, 3, 6, 6, 3, &mine);
			rt_aug_erase(img, 3, 6, 6, &list[3], &mine);
		}
		wl = 1;
		if (with_mix)
			wl = rt_aug_mixup(want, N, DIM, y, w2, 1, wwork, wperm, &mine);
		lam = rt_augment_batch(list, 4 + with_mix, x, N, 3, 6, 6, fill, y, y2,
		                       work, perm, &r);
		CHECK(lam == wl && same(x, want, N * DIM) && same_rng(&r, &mine));
		for (k = 0; with_mix && k < N; k++)
			CHECK(y2[k] == w2[k]);
	}
}

/* ---- Normalization ----------------------------------------------------------- */

static void
test_normalize(void)
{
	static const float mean2[2] = {0.5f, -1}, std2[2] = {2, 0.25f};
	static const float mean1[1] = {3}, std1[1] = {4};
	static const float zero[1] = {0};
	RtData d;
	RtNorm nm;
	RtErr e;
	float x[2 * 6], orig[2 * 6];
	int i, c, k;

	for (i = 0; i < 12; i++)
		orig[i] = (float)i * 0.75f - 2;
	memset(&d, 0, sizeof d);
	d.n = 2;
	d.dim = 6;
	d.x = x;

	/* two channels of three values each */
	memcpy(x, orig, sizeof x);
	nm = (RtNorm){2, mean2, std2};
	CHECK(rt_data_normalize(&d, &nm, 2, "f", &e) == 0);
	int ok = 1;
	for (i = 0; i < 2; i++)
		for (c = 0; c < 2; c++)
			for (k = 0; k < 3; k++) {
				int at = i * 6 + c * 3 + k;
				ok &= x[at] == (orig[at] - mean2[c]) / std2[c];
			}
	CHECK(ok);

	/* one pair for every value */
	memcpy(x, orig, sizeof x);
	nm = (RtNorm){1, mean1, std1};
	CHECK(rt_data_normalize(&d, &nm, 2, "f", &e) == 0);
	ok = 1;
	for (i = 0; i < 12; i++)
		ok &= x[i] == (orig[i] - 3) / 4;
	CHECK(ok);

	/* none: untouched */
	memcpy(x, orig, sizeof x);
	nm = (RtNorm){0, NULL, NULL};
	CHECK(rt_data_normalize(&d, &nm, 2, "f", &e) == 0 && same(x, orig, 12));

	/* errors name the file */
	nm = (RtNorm){2, mean2, std2};
	CHECK(rt_data_normalize(&d, &nm, 3, "img.idx", &e) == -1 &&
	      strstr(e.msg, "img.idx") && strstr(e.msg, "2 mean/std pairs for 3"));
	CHECK(rt_data_normalize(&d, &nm, 4, "img.idx", &e) == -1 &&
	      strstr(e.msg, "do not split into 4 channels"));
	nm = (RtNorm){1, mean1, zero};
	CHECK(rt_data_normalize(&d, &nm, 2, "img.idx", &e) == -1 &&
	      strstr(e.msg, "std[1] = 0"));
}

/* ---- The epoch's order ---------------------------------------------------------- */

static void
test_sampler_none(void)
{
	int32_t y[10] = {0, 1, 0, 1, 2, 2, 0, 1, 1, 0}, want[10];
	RtData d;
	RtSampler s;
	RtRng r, mine;
	RtErr e;
	int i;

	memset(&d, 0, sizeof d);
	d.n = 10;
	d.y = y;
	CHECK(rt_sampler_init(&s, &d, 3, RT_BALANCE_NONE, &e) == 0);
	CHECK(s.size == 10);
	rt_rng_seed(&r, 3);
	mine = r;
	for (i = 0; i < 10; i++)
		want[i] = i;
	rt_shuffle(want, 10, &mine);
	rt_sampler_epoch(&s, 1, &r);
	/* exactly the shuffle the driver made before there was a sampler */
	CHECK(memcmp(s.order, want, sizeof want) == 0 && same_rng(&r, &mine));
	rt_sampler_epoch(&s, 0, &r);
	for (i = 0; i < 10; i++)
		CHECK(s.order[i] == i);
	CHECK(same_rng(&r, &mine));   /* no shuffle, no draws */
	rt_sampler_free(&s);
	d.y = NULL;
	CHECK(rt_sampler_init(&s, &d, 3, RT_BALANCE_OVER, &e) == -1 &&
	      strstr(e.msg, "class labels"));
	rt_sampler_free(&s);
}

/* Labels: class 0 ×5, class 1 ×2, class 2 none, class 3 ×3, interleaved. */
static const int32_t bal_y[10] = {0, 3, 1, 0, 3, 0, 1, 0, 3, 0};
static const int bal_count[4] = {5, 2, 0, 3};

/* How often each sample and each class occurs in order[0..size). */
static void
tally(const int32_t *order, int size, int *per_sample, int *per_class)
{
	int i;

	memset(per_sample, 0, 10 * sizeof(int));
	memset(per_class, 0, 4 * sizeof(int));
	for (i = 0; i < size; i++) {
		per_sample[order[i]]++;
		per_class[bal_y[order[i]]]++;
	}
}

static void
test_sampler_balance(void)
{
	RtData d;
	RtSampler s, s2;
	RtRng r, r2;
	RtErr e;
	int per_sample[10], per_class[4], i, k, ok, epoch;
	int32_t keep[64];

	memset(&d, 0, sizeof d);
	d.n = 10;
	d.y = (int32_t *)bal_y;

	/* oversample: each present class as often as the largest (5), so 15
	 * per epoch; a class of n samples gives each of them 5/n or 5/n + 1
	 * times, the +1 to exactly 5 mod n of them */
	CHECK(rt_sampler_init(&s, &d, 4, RT_BALANCE_OVER, &e) == 0);
	CHECK(s.size == 15);
	rt_rng_seed(&r, 21);
	for (epoch = 0; epoch < 20; epoch++) {
		rt_sampler_epoch(&s, epoch % 2, &r);
		tally(s.order, s.size, per_sample, per_class);
		ok = per_class[0] == 5 && per_class[1] == 5 && per_class[2] == 0 &&
		     per_class[3] == 5;
		for (k = 0; k < 4; k++) {
			int n = bal_count[k], more = 0;
			if (n == 0)
				continue;
			for (i = 0; i < 10; i++) {
				if (bal_y[i] != k)
					continue;
				ok &= per_sample[i] == 5 / n || per_sample[i] == 5 / n + 1;
				more += per_sample[i] == 5 / n + 1;
			}
			ok &= more == 5 % n;
		}
		if (!CHECK(ok))
			printf("  oversample: epoch %d\n", epoch);
	}
	rt_sampler_free(&s);

	/* undersample: each present class as often as the smallest (2): 6 per
	 * epoch, each sample at most once */
	CHECK(rt_sampler_init(&s, &d, 4, RT_BALANCE_UNDER, &e) == 0);
	CHECK(s.size == 6);
	rt_rng_seed(&r, 22);
	int seen_a_zero = 0, seen_b_zero = 0;
	for (epoch = 0; epoch < 40; epoch++) {
		rt_sampler_epoch(&s, 1, &r);
		tally(s.order, s.size, per_sample, per_class);
		ok = per_class[0] == 2 && per_class[1] == 2 && per_class[3] == 2;
		for (i = 0; i < 10; i++)
			ok &= per_sample[i] <= 1;
		CHECK(ok);
		seen_a_zero |= per_sample[0] == 1;     /* the choice varies */
		seen_b_zero |= per_sample[0] == 0;
	}
	CHECK(seen_a_zero && seen_b_zero);

	/* an epoch depends on the generator's state only: a second sampler
	 * given a copy of the state after epoch 1 repeats epoch 2 (what a
	 * resume from a checkpoint after epoch 1 does) */
	CHECK(rt_sampler_init(&s2, &d, 4, RT_BALANCE_UNDER, &e) == 0);
	rt_rng_seed(&r, 23);
	rt_sampler_epoch(&s, 1, &r);
	r2 = r;
	rt_sampler_epoch(&s, 1, &r);
	memcpy(keep, s.order, (size_t)s.size * sizeof(int32_t));
	rt_sampler_epoch(&s2, 1, &r2);
	CHECK(memcmp(keep, s2.order, (size_t)s.size * sizeof(int32_t)) == 0 &&
	      same_rng(&r, &r2));
	rt_sampler_free(&s);
	rt_sampler_free(&s2);
}

static void
test_batches(void)
{
	int32_t order[7] = {6, 5, 4, 3, 2, 1, 0}, idx[8];
	int i;

	CHECK(rt_epoch_batches(20 * 8 + 5, 8, 0) == 21);
	CHECK(rt_epoch_batches(20 * 8 + 5, 8, 1) == 20);
	CHECK(rt_epoch_batches(160, 8, 0) == 20 && rt_epoch_batches(160, 8, 1) == 20);
	CHECK(rt_epoch_batches(5, 8, 0) == 1 && rt_epoch_batches(5, 8, 1) == 0);
	CHECK(rt_epoch_batches(0, 8, 0) == 0);

	/* batch 1 of 3 of size 3 over 7 samples: positions 3,4,5 */
	rt_batch_indices(order, 7, 3, 1, idx);
	CHECK(idx[0] == 3 && idx[1] == 2 && idx[2] == 1);
	/* the last, partial one: position 6, then 0 and 1 again */
	rt_batch_indices(order, 7, 3, 2, idx);
	CHECK(idx[0] == 0 && idx[1] == 6 && idx[2] == 5);
	/* fewer samples than a batch: they cycle */
	rt_batch_indices(order, 3, 8, 0, idx);
	for (i = 0; i < 8; i++)
		CHECK(idx[i] == order[i % 3]);
}

/* ---- The stream in checkpoints ----------------------------------------------- */

static void
test_state(void)
{
	RtState s, s2;
	RtMeta m;
	RtErr e;

	memset(&s, 0, sizeof s);
	rt_rng_seed(&s.data_rng, 1);
	rt_rng_seed(&s.aug_rng, 2);
	memset(&m, 0, sizeof m);
	rt_state_to_meta(&s, &m);
	CHECK(rt_meta_get(&m, "aug_rng") && strlen(rt_meta_get(&m, "aug_rng")) == 64);
	memset(&s2, 0, sizeof s2);
	CHECK(rt_state_from_meta(&s2, &m, "p", &e) == 0);
	CHECK(same_rng(&s.aug_rng, &s2.aug_rng));
	rt_meta_set(&m, "aug_rng", "12g4");
	CHECK(rt_state_from_meta(&s2, &m, "ck", &e) == -1 &&
	      strstr(e.msg, "ck: __metadata__ has no valid 'aug_rng'"));

	/* a checkpoint from before augmentation: s2's stream stays */
	RtMeta old;
	memset(&old, 0, sizeof old);
	for (int i = 0; i < m.n; i++)
		if (strcmp(m.key[i], "aug_rng"))
			rt_meta_set(&old, m.key[i], m.val[i]);
	rt_rng_seed(&s2.aug_rng, 77);
	RtRng keep = s2.aug_rng;
	CHECK(rt_state_from_meta(&s2, &old, "p", &e) == 0 &&
	      same_rng(&s2.aug_rng, &keep));
}

int
main(void)
{
	test_hflip();
	test_hflip_rate();
	test_crop();
	test_cutout();
	test_erase();
	test_beta();
	test_mixup();
	test_augment_batch();
	test_normalize();
	test_sampler_none();
	test_sampler_balance();
	test_batches();
	test_state();
	printf("augment: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
