/*
 * dropout.ref.c — the reference of the dropout op tests, in double:
 *   dropout       x[4,6] -> dropout d1 (p .5) -> linear a{5} -> tanh
 *                 -> dropout d2 (p .25) -> linear b{3} -> mse
 *   dropout_rate  x[2,2] one-hot rows -> linear a{1024} -> dropout drop
 *                 (p .3) -> mse
 * Training-mode masks come from a reimplementation of the trainer's
 * counter-based hash (nn_dropout_key/nn_dropout_keep in the prelude): the
 * model's RNG word (its state after _init drew the parameters), the
 * optimizer step, the salt (FNV-1a of the layer's name) and the element
 * index.  Evaluation is the identity.
 *
 * dropout_rate's ref_extra reads the masks the trainer used off
 * grad.a.weight, whose [f][b] entry is row b's gradient at feature f
 * (the inputs are one-hot), exactly 0 where it was dropped, and checks:
 * they equal the reference masks; the dropped share is p; kept gradients
 * carry the 1/(1-p) scale; masks change from step to step and with the
 * seed, and repeat with the same seed.
 */
#include "nncc_rt.h"

static const char *const ref_tensors[] = {"a.weight", "a.bias", "b.weight",
                                          "b.bias", NULL};

static uint64_t ref_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int64_t ref_step;        /* the optimizer step of the masks */

/* The model's RNG word: its stream after _init drew one uniform per
 * element of each (torch-initialized) parameter. */
static uint64_t ref_word(void)
{
	static uint64_t word;
	static int known;
	if (!known) {
		RtRng r;
		rt_rng_seed(&r, 7);  /* the harness's model seed */
		for (int t = 0; t < ntensors; t++)
			for (long k = 0; k < tensors[t].n; k++)
				rt_rng_uniform(&r);
		word = r.s[0];
		known = 1;
	}
	return word;
}

/* Whether element i of the dropout layer named `layer` is kept. */
static int ref_keep(const char *layer, long i, double p)
{
	uint64_t salt = 1469598103934665603ull;
	for (const char *s = layer; *s; s++)
		salt = (salt ^ (unsigned char)*s) * 1099511628211ull;
	uint64_t key = ref_mix(ref_word() ^ ref_mix((uint64_t)ref_step ^
	                                            ref_mix(salt)));
	uint64_t thr = (uint64_t)floor(p * 4294967296.0 + 0.5);
	uint64_t h = ref_mix(key + ((uint64_t)i + 1) * 0x9e3779b97f4a7c15ull);
	return (h >> 32) >= thr;
}

/* x = dropout(x) in place, training mode */
static void ref_dropout(const char *layer, double p, double *x, long n)
{
	for (long i = 0; i < n; i++)
		x[i] = ref_keep(layer, i, p) ? x[i] / (1 - p) : 0;
}

static void ref_linear(const char *layer, const double *x, int in, int out,
                       double *y)
{
	char wn[32], bn[32];
	snprintf(wn, sizeof wn, "%s.weight", layer);
	snprintf(bn, sizeof bn, "%s.bias", layer);
	const double *w = P(wn), *bias = P(bn);
	for (int b = 0; b < B; b++)
		for (int o = 0; o < out; o++) {
			double s = bias[o];
			for (int i = 0; i < in; i++)
				s += w[o * in + i] * x[b * in + i];
			y[b * out + o] = s;
		}
}

static void ref_forward(const in_t *xf, int train, double *out)
{
	static double x[B * IN], h[B * (OUT + 5)];
	for (int i = 0; i < B * IN; i++)
		x[i] = xf[i];
	if (is("dropout")) {
		if (train)
			ref_dropout("d1", 0.5, x, B * IN);
		ref_linear("a", x, IN, 5, h);
		for (int i = 0; i < B * 5; i++)
			h[i] = tanh(h[i]);
		if (train)
			ref_dropout("d2", 0.25, h, B * 5);
		ref_linear("b", h, 5, OUT, out);
	} else {
		ref_linear("a", x, IN, OUT, out);
		if (train)
			ref_dropout("drop", 0.3, out, B * OUT);
	}
}

static double ref_loss(const in_t *x, const label_t *y, double *out)
{
	ref_forward(x, 1, out);
	double loss = 0;
	for (int i = 0; i < B * OUT; i++)
		loss += (out[i] - y[i]) * (out[i] - y[i]);
	return loss / (B * OUT);
}

#define REF_PREDICT
static void ref_predict(const in_t *x, double *out)
{
	ref_forward(x, 0, out);
}

#define REF_INPUTS
static void ref_inputs(in_t *x, label_t *y)
{
	for (int i = 0; i < B * IN; i++)
		x[i] = is("dropout_rate") ? (i / IN == i % IN) : (in_t)uniform();
	for (int i = 0; i < B * OUT; i++)
		y[i] = (label_t)uniform();
}

/* dropout_rate: the trainer's mask at its current step, from
 * gradient(): kept[b·OUT + f]. */
static void model_mask(MODEL *m, const in_t *x, const label_t *y, char *kept)
{
	F(gradient)(m, x, y);
	const float *g = F(tensor)(m, "grad.a.weight", NULL);
	for (int b = 0; b < B; b++)
		for (int f = 0; f < OUT; f++)
			kept[b * OUT + f] = g[f * IN + b] != 0;
}

static int differences(const char *a, const char *b)
{
	int n = 0;
	for (int i = 0; i < B * OUT; i++)
		n += a[i] != b[i];
	return n;
}

#define REF_EXTRA
static void ref_extra(MODEL *m, const in_t *x, const label_t *y)
{
	if (!is("dropout_rate"))
		return;
	enum { N = B * OUT };
	const double p = 0.3, scale = 1 / (1 - p);
	static char k0[N], k1[N], ks[N], k7[N];

	/* the mask at step 0 is the reference's; its statistics */
	model_mask(m, x, y, k0);
	const float *g = F(tensor)(m, "grad.a.weight", NULL);
	const double *w = P("a.weight"), *bias = P("a.bias");
	int dropped = 0, wrong = 0;
	double worst = 0;
	for (int b = 0; b < B; b++)
		for (int f = 0; f < OUT; f++) {
			int i = b * OUT + f;
			dropped += !k0[i];
			wrong += k0[i] != ref_keep("drop", i, p);
			if (!k0[i])
				continue;
			/* d loss/d h = scale · 2(scale·h - t)/N where kept */
			double h = w[f * IN + b] + bias[f];
			double want = scale * 2 * (scale * h - y[i]) / N;
			CHECK(close_to(g[f * IN + b], want, 1e-4, 1e-8), "kept "
			      "element %d: gradient %.9g, want %.9g (scale 1/(1-p))", i,
			      g[f * IN + b], want);
			worst = fmax(worst, fabs(g[f * IN + b] - want) / fabs(want));
		}
	CHECK(wrong == 0, "%d of %d mask elements differ from the reference",
	      wrong, N);
	double share = (double)dropped / N;
	CHECK(fabs(share - p) < 0.04, "dropped %.4f of %d elements; p = %g",
	      share, N, p);
	printf("   mask: dropped %.4f (p = %g), kept scaled within %.1e\n",
	       share, p, worst);

	/* the next step draws another mask, the reference's at step 1 */
	F(train_step)(m, x, y);
	model_mask(m, x, y, k1);
	ref_step = 1;
	wrong = 0;
	for (int i = 0; i < N; i++)
		wrong += k1[i] != ref_keep("drop", i, p);
	ref_step = 0;
	CHECK(wrong == 0, "step 1: %d of %d mask elements differ from the "
	      "reference", wrong, N);
	int d01 = differences(k0, k1);
	CHECK(d01 > N / 4, "steps 0 and 1: masks differ in %d of %d elements",
	      d01, N);

	/* another seed, another mask; the same seed, the same mask */
	MODEL *m8 = F(new)(8), *m7 = F(new)(7);
	model_mask(m8, x, y, ks);
	model_mask(m7, x, y, k7);
	int d8 = differences(k0, ks), d7 = differences(k0, k7);
	CHECK(d8 > N / 4, "seeds 7 and 8: masks differ in %d of %d elements",
	      d8, N);
	CHECK(d7 == 0, "seed 7 twice: masks differ in %d of %d elements", d7, N);
	F(free)(m8);
	F(free)(m7);
	printf("   masks differ: step 0/1 %d, seed 7/8 %d, seed 7/7 %d of %d\n",
	       d01, d8, d7, N);
}
