/*
 * softmax.ref.c — softmax and log_softmax over the last dimension:
 *   softmax, log_softmax   x[4,6] -> linear "a" [5] -> op -> mse
 *   softmax_rows           x[4,6] -> linear "a" [12] -> reshape{3,-1}
 *                          -> softmax + log_softmax (rows of 4) -> mse
 * REF_EXTRA: with the input ×1000 the logits reach the hundreds, where
 * exp overflows a float unless the row's max is subtracted first.
 */
#include "pointwise.ref.h"

static const char *const ref_tensors[] = {"a.weight", "a.bias", NULL};

static double ref_loss(const in_t *xf, const label_t *y, double *out)
{
	double x[B * IN], h[B * OUT];
	ref_input(xf, x);
	ref_linear("a", x, IN, OUT, out);
	if (is("softmax_rows")) {
		memcpy(h, out, sizeof h);
		ref_softmax_rows(out, B * 3, OUT / 3, 0);
		ref_softmax_rows(h, B * 3, OUT / 3, 1);
		for (int i = 0; i < B * OUT; i++)
			out[i] += h[i];
	} else {
		ref_softmax_rows(out, B, OUT, is("log_softmax"));
	}
	return ref_mse(out, y);
}

#define REF_EXTRA
static void ref_extra(MODEL *m, const in_t *x, const label_t *y)
{
	static in_t big[B * IN];
	static double ref[B * OUT];
	static float out[B * OUT];
	double top = 0;
	for (int i = 0; i < B * IN; i++)
		big[i] = 1000 * x[i];
	ref_loss(big, y, ref);
	F(predict)(m, big, out, B);
	for (int i = 0; i < B * OUT; i++) {
		CHECK(close_to(out[i], ref[i], 1e-5, 1e-6), "large logits: "
		      "predict[%d] = %.9g, reference %.9g", i, out[i], ref[i]);
		top = fmax(top, fabs(ref[i]));
	}
	printf("   large logits (input x1000): outputs up to %.0f, finite\n",
	       top);
}
