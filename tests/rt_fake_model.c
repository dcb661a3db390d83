/*
 * rt_fake_model.c — a hand-written model behind the RtModel API, so the
 * recipe driver can be tested without the compiler: softmax regression
 * on [1,2,2] inputs into 3 classes, trained by plain SGD.  Its checkpoint
 * is what a generated one looks like: fc.weight [3,4], fc.bias [3], the
 * RtState in __metadata__.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../runtime/nncc_rt.h"

enum { D = 4, K = 3, BATCH = 8 };

typedef struct Fake {
	RtState st;
	float lr;
	float w[K * D];    /* [K][D], PyTorch's linear layout */
	float b[K];
} Fake;

static size_t
fake_size(void)
{
	return sizeof(Fake);
}

static void *
fake_init(void *mem, uint64_t seed)
{
	Fake *f;
	RtRng r;
	int i;

	f = mem;
	memset(f, 0, sizeof *f);
	rt_rng_seed(&r, seed);
	for (i = 0; i < K * D; i++)
		f->w[i] = 0.1f * rt_rng_normal(&r);
	return f;
}

/* Logits of one sample, then its loss; p gets the softmax. */
static float
forward(const Fake *f, const float *x, int y, float *p)
{
	float z[K], max, sum;
	int k, d;

	max = -INFINITY;
	for (k = 0; k < K; k++) {
		z[k] = f->b[k];
		for (d = 0; d < D; d++)
			z[k] += f->w[k * D + d] * x[d];
		if (z[k] > max)
			max = z[k];
	}
	sum = 0;
	for (k = 0; k < K; k++)
		sum += p[k] = expf(z[k] - max);
	for (k = 0; k < K; k++)
		p[k] /= sum;
	return logf(sum) + max - z[y];
}

static float
fake_train_step(void *m, const float *x, const void *yv)
{
	const int32_t *y = yv;
	float gw[K * D], gb[K], p[K], loss, g;
	Fake *f;
	int i, k, d;

	f = m;
	memset(gw, 0, sizeof gw);
	memset(gb, 0, sizeof gb);
	loss = 0;
	for (i = 0; i < BATCH; i++) {
		loss += forward(f, x + i * D, y[i], p);
		for (k = 0; k < K; k++) {
			g = p[k] - (k == y[i]);
			gb[k] += g;
			for (d = 0; d < D; d++)
				gw[k * D + d] += g * x[i * D + d];
		}
	}
	for (k = 0; k < K * D; k++)
		f->w[k] -= f->lr * gw[k] / BATCH;
	for (k = 0; k < K; k++)
		f->b[k] -= f->lr * gb[k] / BATCH;
	f->st.step++;  /* as generated trainers do */
	return loss / BATCH;
}

static float
fake_evaluate(void *m, const float *x, const void *yv, int n, float *acc)
{
	const int32_t *y = yv;
	float p[K];
	double loss;
	int i, k, best, right;

	loss = 0;
	right = 0;
	for (i = 0; i < n; i++) {
		loss += forward(m, x + i * D, y[i], p);
		best = 0;
		for (k = 1; k < K; k++)
			if (p[k] > p[best])
				best = k;
		right += best == y[i];
	}
	*acc = n ? (float)right / n : 0;
	return n ? (float)(loss / n) : 0;
}

static void
fake_set_lr(void *m, float lr)
{
	((Fake *)m)->lr = lr;
}

static int
fake_save(const void *m, const char *path)
{
	const Fake *f = m;
	RtTensor t[2] = {
		{"fc.weight", 2, {K, D}, (float *)f->w, 0},
		{"fc.bias", 1, {K}, (float *)f->b, 0},
	};
	RtMeta meta;
	RtErr e;

	meta.n = 0;
	rt_meta_set(&meta, "model", "fake");
	rt_state_to_meta(&f->st, &meta);
	if (rt_st_save(path, t, 2, &meta, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	return 0;
}

static int
fake_load(void *m, const char *path)
{
	Fake *f = m;
	RtTensor t[2] = {
		{"fc.weight", 2, {K, D}, f->w, 0},
		{"fc.bias", 1, {K}, f->b, 0},
	};
	RtMeta meta;
	RtErr e;

	if (rt_st_load(path, t, 2, &meta, &e) < 0 ||
	    rt_state_from_meta(&f->st, &meta, path, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	return 0;
}

static RtState *
fake_state(void *m)
{
	return &((Fake *)m)->st;
}

const RtModel rt_fake_model = {
	.name = "fake",
	.batch = BATCH,
	.in_dim = D,
	.in_rank = 3,
	.in_dims = {1, 2, 2},
	.label_kind = RT_LABEL_CLASS,
	.classes = K,
	.size = fake_size,
	.init = fake_init,
	.train_step = fake_train_step,
	.evaluate = fake_evaluate,
	.set_lr = fake_set_lr,
	.save = fake_save,
	.load = fake_load,
	.state = fake_state,
};
