/*
 * embedding.ref.c — tokens[3,5] -> embedding{7, 3} "emb" -> mse against
 * t[3,5,3].  The tokens repeat (the gradient must add up per row), use
 * both ends of the vocabulary and leave row 4 unused (its gradient is 0).
 * REF_EXTRA: out-of-range tokens give NaN rows in their samples only and
 * no gradient, and nothing outside the weight is read (run the test with
 * TEST_CFLAGS=-fsanitize=address to see that).
 */
#include "pointwise.ref.h"

enum { VOCAB = 7, DIM = 3, T = IN };

static const char *const ref_tensors[] = {"emb.weight", NULL};

#define REF_INPUTS
static void ref_inputs(in_t *x, label_t *y)
{
	static const int32_t tok[B * T] = {0, 6, 2, 2, 0,
	                                   3, 5, 1, 6, 3,
	                                   2, 2, 2, 0, 5};
	memcpy(x, tok, sizeof tok);
	for (int i = 0; i < B * OUT; i++)
		y[i] = (float)uniform();
}

static double ref_loss(const in_t *x, const label_t *y, double *out)
{
	const double *w = P("emb.weight");
	(void)is;              /* one test, no variants */
	for (int i = 0; i < B * T; i++)
		for (int j = 0; j < DIM; j++)
			out[i * DIM + j] = w[x[i] * DIM + j];
	return ref_mse(out, y);
}

#define REF_EXTRA
static void ref_extra(MODEL *m, const in_t *x, const label_t *y)
{
	static in_t bad[B * T];
	static float out[B * OUT];
	memcpy(bad, x, sizeof bad);
	bad[1 * T + 2] = VOCAB;          /* sample 1: one past the end */
	bad[2 * T + 4] = -1000000;       /* sample 2: far below */
	printf("   (stderr: two calls, each with 2 tokens outside [0, 7))\n");
	fflush(stdout);
	F(predict)(m, bad, out, B);
	const float *w = F(tensor)(m, "emb.weight", NULL);
	for (int i = 0; i < B * T; i++)
		for (int j = 0; j < DIM; j++) {
			float v = out[i * DIM + j];
			if (bad[i] < 0 || bad[i] >= VOCAB)
				CHECK(isnan(v), "token %d (%d): out %g, not NaN", i,
				      bad[i], v);
			else
				CHECK(v == w[bad[i] * DIM + j], "token %d: out %g, weight "
				      "row %d has %g", i, v, bad[i], w[bad[i] * DIM + j]);
		}
	/* the gradient of the valid tokens' rows alone, the second time
	 * gradient() runs: zeroed before the scatter-add */
	float loss = F(gradient)(m, bad, y);
	CHECK(isnan(loss), "loss %g with bad tokens, not NaN", loss);
	double want[VOCAB * DIM] = {0};
	for (int i = 0; i < B * T; i++)
		for (int j = 0; bad[i] >= 0 && bad[i] < VOCAB && j < DIM; j++)
			want[bad[i] * DIM + j] += 2.0 * (w[bad[i] * DIM + j] -
			                                 y[i * DIM + j]) / (B * OUT);
	const float *g = F(tensor)(m, "grad.emb.weight", NULL);
	for (int k = 0; k < VOCAB * DIM; k++)
		CHECK(close_to(g[k], want[k], 1e-5, 1e-7), "grad.emb.weight[%d] = "
		      "%g, want %g", k, g[k], want[k]);
	printf("   out of range: NaN rows, the others' gradient\n");
}
