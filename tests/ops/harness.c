/*
 * harness.c — one op test.  Built against the trainer nncc emitted for
 * tests/ops/NAME.lua (model op_NAME, -DNNCC_NO_MAIN), with
 *   -DMODEL=op_NAME -DTEST=\"NAME\" [-DLABELS] -include op_NAME.h
 *
 * Checks, against a naive reference of the same little model written here
 * in double precision:
 *   forward   predict() and loss() equal the reference to 1e-5 relative;
 *   backward  gradient() equals central finite differences of the
 *             reference loss (h = 1e-6, in double) to 1e-3 relative;
 *   update    (optimizer tests) three train_step()s move the parameters
 *             as the optimizer's formula says, to 1e-5 relative.
 * Every model is x[4,6] -> linear "a" (-> op) (-> linear "b") -> loss.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define F(f) CAT(MODEL, f)

enum { B = 4, IN = 6, HID = 5, MAXP = 64 };

#ifdef LABELS
typedef int32_t label_t;
#else
typedef float label_t;
#endif

static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			printf("FAIL %s: ", TEST);                         \
			printf(__VA_ARGS__);                               \
			printf("\n");                                      \
			failures++;                                        \
		}                                                          \
	} while (0)

/* The model's parameters, copied to double. */
typedef struct Param {
	const char *name;
	long n;
	double v[MAXP];
} Param;

static Param params[4];
static int nparams;
static int nout;      /* outputs per sample */

static int is(const char *t) { return !strcmp(TEST, t); }

static void load_params(MODEL *m)
{
	static const char *names[] = {"a.weight", "a.bias", "b.weight", "b.bias"};
	nparams = 0;
	for (int i = 0; i < 4; i++) {
		long n;
		float *p = F(tensor)(m, names[i], &n);
		if (!p)
			continue;
		if (n > MAXP) {
			printf("FAIL %s: %s has %ld elements\n", TEST, names[i], n);
			exit(1);
		}
		Param *q = &params[nparams++];
		q->name = names[i];
		q->n = n;
		for (long k = 0; k < n; k++)
			q->v[k] = p[k];
	}
}

static const Param *param(const char *name)
{
	for (int i = 0; i < nparams; i++)
		if (!strcmp(params[i].name, name))
			return &params[i];
	return NULL;
}

/* y[b][o] = Σ_i w[o][i]·x[b][i] + bias[o] */
static void ref_linear(const char *layer, const double *x, int in, int out,
                       double *y)
{
	char wn[32], bn[32];
	snprintf(wn, sizeof wn, "%s.weight", layer);
	snprintf(bn, sizeof bn, "%s.bias", layer);
	const Param *w = param(wn), *bias = param(bn);
	for (int b = 0; b < B; b++)
		for (int o = 0; o < out; o++) {
			double s = bias ? bias->v[o] : 0;
			for (int i = 0; i < in; i++)
				s += w->v[o * in + i] * x[b * in + i];
			y[b * out + o] = s;
		}
}

/* The reference model: out[B][nout] and the loss. */
static double ref_forward(const float *xf, const label_t *y, double *out)
{
	double x[B * IN], h[B * HID], h2[B * HID];
	for (int i = 0; i < B * IN; i++)
		x[i] = xf[i];
	ref_linear("a", x, IN, HID, h);
	nout = HID;
	for (int i = 0; i < B * HID; i++) {
		double v = h[i];
		if (is("relu"))
			v = v > 0 ? v : 0;
		else if (is("sigmoid"))
			v = 1 / (1 + exp(-v));
		else if (is("tanh") || is("mlp"))
			v = tanh(v);
		out[i] = v;
	}
	if (is("add")) {
		ref_linear("b", x, IN, HID, h2);
		for (int i = 0; i < B * HID; i++)
			out[i] += h2[i];
	}
	if (is("mlp")) {
		memcpy(h2, out, sizeof h2);
		nout = 4;
		ref_linear("b", h2, HID, nout, out);
	}
	double loss = 0;
#ifdef LABELS
	for (int b = 0; b < B; b++) {
		double mx = out[b * nout];
		for (int k = 1; k < nout; k++)
			mx = fmax(mx, out[b * nout + k]);
		double s = 0;
		for (int k = 0; k < nout; k++)
			s += exp(out[b * nout + k] - mx);
		loss += mx + log(s) - out[b * nout + y[b]];
	}
	return loss / B;
#else
	for (int i = 0; i < B * nout; i++)
		loss += (out[i] - y[i]) * (out[i] - y[i]);
	return loss / (B * nout);
#endif
}

static int close_to(double a, double b, double rel, double abs_floor)
{
	return fabs(a - b) <= rel * fabs(b) + abs_floor;
}

static uint64_t lcg = 88172645463325252ull;
static double uniform(void)   /* [-1, 1) */
{
	lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(lcg >> 11) / (double)(1ull << 53) * 2 - 1;
}

static void check_forward(MODEL *m, const float *x, const label_t *y)
{
	double ref[B * HID], rloss = ref_forward(x, y, ref);
	float out[B * HID];
	F(predict)(m, x, out, B);
	double worst = 0;
	for (int i = 0; i < B * nout; i++) {
		CHECK(close_to(out[i], ref[i], 1e-5, 1e-6),
		      "predict[%d] = %.9g, reference %.9g", i, out[i], ref[i]);
		worst = fmax(worst, fabs(out[i] - ref[i]));
	}
	float loss = F(loss)(m, x, y);
	CHECK(close_to(loss, rloss, 1e-5, 0), "loss %.9g, reference %.9g", loss,
	      rloss);
	printf("   forward: max |out - ref| %.2e, loss %.7f vs %.7f\n", worst,
	       loss, rloss);
}

static void check_gradient(MODEL *m, const float *x, const label_t *y)
{
	F(gradient)(m, x, y);
	double out[B * HID], worst = 0;
	for (int p = 0; p < nparams; p++) {
		char gn[48];
		snprintf(gn, sizeof gn, "grad.%s", params[p].name);
		long n;
		const float *g = F(tensor)(m, gn, &n);
		CHECK(g && n == params[p].n, "no gradient %s", gn);
		if (!g)
			continue;
		for (long k = 0; k < n; k++) {
			const double h = 1e-6, v = params[p].v[k];
			params[p].v[k] = v + h;
			double up = ref_forward(x, y, out);
			params[p].v[k] = v - h;
			double down = ref_forward(x, y, out);
			params[p].v[k] = v;
			double fd = (up - down) / (2 * h);
			CHECK(close_to(g[k], fd, 1e-3, 1e-6),
			      "%s[%ld] = %.9g, finite differences %.9g", gn, k, g[k], fd);
			if (fabs(fd) > 1e-6)
				worst = fmax(worst, fabs(g[k] - fd) / fabs(fd));
		}
	}
	printf("   backward: max relative error vs finite differences %.2e\n",
	       worst);
}

/* The optimizer of tests/ops/<TEST>.lua, in double. */
static void ref_update(int t, const double *g, double *p, double *s1,
                       double *s2, long n)
{
	for (long i = 0; i < n; i++) {
		if (is("sgd_momentum") || is("sgd_nesterov")) {
			double lr = 0.1, mom = 0.9, damp = is("sgd_momentum") ? 0.1 : 0;
			double wd = is("sgd_momentum") ? 0.01 : 0;
			double gi = g[i] + wd * p[i];
			s1[i] = t == 1 ? gi : mom * s1[i] + (1 - damp) * gi;
			gi = is("sgd_nesterov") ? gi + mom * s1[i] : s1[i];
			p[i] -= lr * gi;
		} else {
			double lr = 0.01, b1 = is("adamw") ? 0.8 : 0.9, b2 = 0.999;
			double eps = 1e-8, wd = is("adamw") ? 0.1 : 0.01;
			double gi = g[i];
			if (is("adamw"))
				p[i] *= 1 - lr * wd;
			else
				gi += wd * p[i];
			s1[i] = b1 * s1[i] + (1 - b1) * gi;
			s2[i] = b2 * s2[i] + (1 - b2) * gi * gi;
			double denom = sqrt(s2[i]) / sqrt(1 - pow(b2, t)) + eps;
			p[i] -= lr / (1 - pow(b1, t)) * s1[i] / denom;
		}
	}
}

static void check_update(MODEL *m, const float *x, const label_t *y)
{
	static double s1[4][MAXP], s2[4][MAXP];
	double worst = 0;
	for (int t = 1; t <= 3; t++) {
		F(gradient)(m, x, y);
		for (int p = 0; p < nparams; p++) {
			char gn[48];
			snprintf(gn, sizeof gn, "grad.%s", params[p].name);
			const float *gf = F(tensor)(m, gn, NULL);
			double g[MAXP];
			for (long k = 0; k < params[p].n; k++)
				g[k] = gf[k];
			ref_update(t, g, params[p].v, s1[p], s2[p], params[p].n);
		}
		F(train_step)(m, x, y);
		for (int p = 0; p < nparams; p++) {
			const float *v = F(tensor)(m, params[p].name, NULL);
			for (long k = 0; k < params[p].n; k++) {
				CHECK(close_to(v[k], params[p].v[k], 1e-5, 1e-7),
				      "step %d: %s[%ld] = %.9g, reference %.9g", t,
				      params[p].name, k, v[k], params[p].v[k]);
				worst = fmax(worst, fabs(v[k] - params[p].v[k]));
			}
		}
	}
	printf("   update: 3 steps, max |param - ref| %.2e\n", worst);
}

int main(void)
{
	MODEL *m = F(new)(7);
	if (!m) {
		printf("FAIL %s: cannot allocate the model\n", TEST);
		return 1;
	}
	load_params(m);
	float x[B * IN];
	label_t y[B * HID];
	for (int i = 0; i < B * IN; i++)
		x[i] = (float)uniform();
	for (int i = 0; i < B * HID; i++)
#ifdef LABELS
		y[i] = (int32_t)((uniform() + 1) * 2.5);
#else
		y[i] = (float)uniform();
#endif
	check_forward(m, x, y);
	check_gradient(m, x, y);
	if (!strncmp(TEST, "sgd", 3) || !strncmp(TEST, "adam", 4))
		check_update(m, x, y);
	F(free)(m);
	printf("%s %s\n", failures ? "FAIL" : "ok", TEST);
	return failures != 0;
}
