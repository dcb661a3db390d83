/*
 * harness.c — one op test.  Built against the trainer nncc emitted for
 * tests/ops/NAME.lua (model op_NAME, -DNNCC_NO_MAIN), with
 *   -DMODEL=op_NAME -DMODEL_UC=OP_NAME -DTEST=\"NAME\" -DREF=\"file\"
 *   [-DLABELS] [-DINPUT_I32] -include op_NAME.h
 * REF is tests/ops/NAME.ref.c when there is one, else dense.ref.c.  It is
 * a naive reference of the same little model in double precision and
 * defines
 *   ref_tensors[]   the model's tensors it reads (NULL-terminated);
 *                   those with a gradient are checked by differences
 *   ref_loss()      the training-mode loss; fills out[] with the
 *                   prediction in training mode
 * and optionally REF_PREDICT + ref_predict() (evaluation mode, when it
 * differs), REF_INPUTS + ref_inputs() (its own x and y), REF_SETUP +
 * ref_setup() (sets the model up once the inputs are made: a mixup
 * model's second labels), REF_EXTRA + ref_extra() (more checks).  The
 * harness checks:
 *   forward   predict() and loss() equal the reference to 1e-5 relative;
 *   backward  gradient() equals central finite differences of the
 *             reference loss (h = 1e-6, in double) to 1e-3 relative.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define F(f) CAT(MODEL, f)

enum {
	B = CAT(MODEL_UC, BATCH),
	IN = CAT(MODEL_UC, IN_SIZE),
	OUT = CAT(MODEL_UC, OUT_SIZE),
#ifdef LABELS
	LB = 1,
#else
	LB = CAT(MODEL_UC, TARGET_SIZE),
#endif
	MAXT = 16,
};

#ifdef LABELS
typedef int32_t label_t;
#else
typedef float label_t;
#endif
#ifdef INPUT_I32
typedef int32_t in_t;
#else
typedef float in_t;
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

/* The model's tensors, copied to double. */
typedef struct Tensor {
	const char *name;
	long n;
	double *v;
} Tensor;

static Tensor tensors[MAXT];
static int ntensors;

/* A tensor the reference reads; NULL when the model has none so named. */
static double *P(const char *name)
{
	for (int i = 0; i < ntensors; i++)
		if (!strcmp(tensors[i].name, name))
			return tensors[i].v;
	return NULL;
}

static int is(const char *t) { return !strcmp(TEST, t); }

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

#include REF

static void load_tensors(MODEL *m)
{
	ntensors = 0;
	for (int i = 0; ref_tensors[i]; i++) {
		long n;
		float *p = F(tensor)(m, ref_tensors[i], &n);
		if (!p)
			continue;
		Tensor *t = &tensors[ntensors++];
		t->name = ref_tensors[i];
		t->n = n;
		t->v = realloc(t->v, sizeof *t->v * (size_t)n);
		for (long k = 0; k < n; k++)
			t->v[k] = p[k];
	}
}

static void check_forward(MODEL *m, const in_t *x, const label_t *y)
{
	static double ref[B * OUT], rp[B * OUT];
	static float out[B * OUT];
	double rloss = ref_loss(x, y, ref);
#ifdef REF_PREDICT
	ref_predict(x, rp);
#else
	memcpy(rp, ref, sizeof rp);
#endif
	F(predict)(m, x, out, B);
	double worst = 0;
	for (int i = 0; i < B * OUT; i++) {
		CHECK(close_to(out[i], rp[i], 1e-5, 1e-6),
		      "predict[%d] = %.9g, reference %.9g", i, out[i], rp[i]);
		worst = fmax(worst, fabs(out[i] - rp[i]));
	}
	float loss = F(loss)(m, x, y);
	CHECK(close_to(loss, rloss, 1e-5, 1e-7), "loss %.9g, reference %.9g",
	      loss, rloss);
	printf("   forward: max |out - ref| %.2e, loss %.7f vs %.7f\n", worst,
	       loss, rloss);
}

static void check_gradient(MODEL *m, const in_t *x, const label_t *y)
{
	static double out[B * OUT];
	double worst = 0;
	int checked = 0;
	F(gradient)(m, x, y);
	for (int p = 0; p < ntensors; p++) {
		char gn[96];
		snprintf(gn, sizeof gn, "grad.%s", tensors[p].name);
		long n;
		const float *g = F(tensor)(m, gn, &n);
		if (!g)
			continue;           /* state, not a parameter */
		checked++;
		CHECK(n == tensors[p].n, "%s has %ld elements, %s %ld", gn, n,
		      tensors[p].name, tensors[p].n);
		for (long k = 0; k < n; k++) {
			const double h = 1e-6, v = tensors[p].v[k];
			tensors[p].v[k] = v + h;
			double up = ref_loss(x, y, out);
			tensors[p].v[k] = v - h;
			double down = ref_loss(x, y, out);
			tensors[p].v[k] = v;
			double fd = (up - down) / (2 * h);
			CHECK(close_to(g[k], fd, 1e-3, 1e-6),
			      "%s[%ld] = %.9g, finite differences %.9g", gn, k, g[k], fd);
			if (fabs(fd) > 1e-6)
				worst = fmax(worst, fabs(g[k] - fd) / fabs(fd));
		}
	}
	CHECK(checked > 0, "no parameter has a gradient");
	printf("   backward: %d tensors, max relative error vs finite "
	       "differences %.2e\n", checked, worst);
}

int main(void)
{
	MODEL *m = F(new)(7);
	if (!m) {
		printf("FAIL %s: cannot allocate the model\n", TEST);
		return 1;
	}
	load_tensors(m);
	static in_t x[B * IN];
	static label_t y[B * LB];
#ifdef REF_INPUTS
	ref_inputs(x, y);
#else
	for (int i = 0; i < B * IN; i++)
		x[i] = (in_t)uniform();
	for (int i = 0; i < B * LB; i++)
#ifdef LABELS
		y[i] = (int32_t)((uniform() + 1) / 2 * CAT(MODEL_UC, CLASSES));
#else
		y[i] = (float)uniform();
#endif
#endif
#ifdef REF_SETUP
	ref_setup(m, x, y);
#endif
	check_forward(m, x, y);
	check_gradient(m, x, y);
#ifdef REF_EXTRA
	ref_extra(m, x, y);
#endif
	F(free)(m);
	for (int i = 0; i < ntensors; i++)
		free(tensors[i].v);
	printf("%s %s\n", failures ? "FAIL" : "ok", TEST);
	return failures != 0;
}
