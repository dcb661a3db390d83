/*
 * fuzz_data.c — libFuzzer harness for the runtime's data loaders
 * (runtime/rt_data.c): IDX and CSV files as a trainer reads them.
 *
 * An input is a 4-byte prefix and the file(s):
 *   byte 0   what to load: 0 IDX images, 1 IDX images + labels,
 *            2 CSV with a header line, 3 CSV without
 *   byte 1   classes (0: float targets)
 *   byte 2   CSV: the label column + 1 (0: the last); IDX: where the
 *            images end and the labels begin, in 1/256 of the rest
 *   byte 3   the scale: 0 = none, else 1/byte
 * Then what the loader is given; after a load, the same steps a trainer
 * takes: normalize, hold out a validation share, a balanced sampler.
 *
 * Every load must succeed or fail with a message naming the file; a
 * success must hold what it claims (counts, labels in [0, classes),
 * finite values).  Anything else traps: a finding, as are crashes,
 * sanitizer reports and leaks.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nncc_rt.h"

static char dir[] = "/tmp/nncc-fuzz-data-XXXXXX";
static char images[96], labels[96];

static void cleanup(void)
{
	unlink(images);
	unlink(labels);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	snprintf(images, sizeof images, "%s/images", dir);
	snprintf(labels, sizeof labels, "%s/labels", dir);
	atexit(cleanup);
	return 0;
}

static void put(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f))
		abort();
}

/* What a successful load promises. */
static void check(const RtData *d, int classes)
{
	if (d->n < 0 || d->dim < 0 || (d->n > 0 && d->dim > 0 && !d->x))
		__builtin_trap();
	for (long i = 0; i < (long)d->n * d->dim; i++)
		if (!isfinite(d->x[i]))
			__builtin_trap();
	if (classes > 0 && d->y)
		for (int i = 0; i < d->n; i++)
			if (d->y[i] < 0 || d->y[i] >= classes)
				__builtin_trap();
}

/* What a trainer does next with the data. */
static void use(RtData *d, int classes)
{
	static const float mean[1] = {0.5f}, std[1] = {0.25f};
	RtNorm nm = {1, mean, std};
	RtData v;
	RtSampler s;
	RtRng r;
	RtErr e;

	rt_data_normalize(d, &nm, 1, images, &e);
	if (rt_data_split(d, &v, 0.25, &e) == 0)
		rt_data_free(&v);
	rt_rng_seed(&r, 1);
	if (rt_sampler_init(&s, d, classes, d->y && classes > 0 ?
	                    RT_BALANCE_OVER : RT_BALANCE_NONE, &e) == 0) {
		rt_sampler_epoch(&s, 1, &r);
		rt_sampler_free(&s);
	} else {
		rt_sampler_free(&s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	int mode = data[0] & 3, classes = data[1];
	float scale = data[3] ? 1.0f / data[3] : 0;
	const uint8_t *p = data + 4;
	size_t n = size - 4, cut = n * data[2] / 256;
	const char *named;
	RtData d;
	RtErr e;
	int rc;

	memset(&e, 0, sizeof e);
	if (mode <= 1) {
		put(images, p, mode ? cut : n);
		if (mode)
			put(labels, p + cut, n - cut);
		rc = rt_load_idx(&d, images, mode ? labels : NULL, scale, classes,
		                 &e);
		named = strstr(e.msg, images) ? images : labels;
	} else {
		put(images, p, n);
		rc = rt_load_csv(&d, images, (int)data[2] - 1, mode == 2, scale,
		                 classes, &e);
		named = images;
	}
	if (rc < 0) {
		if (rc != -1 || !strstr(e.msg, named) || d.x || d.y || d.t)
			__builtin_trap();
		return 0;
	}
	check(&d, classes);
	use(&d, classes);
	rt_data_free(&d);
	return 0;
}
