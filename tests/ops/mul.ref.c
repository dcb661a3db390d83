/*
 * mul.ref.c — x[4,6] -> linear "a" [5] ⊙ linear "b" [5] -> mse; for
 * mul_self, a ⊙ a (the gradient reaches a twice).
 */
#include "pointwise.ref.h"

static const char *const ref_tensors[] = {"a.weight", "a.bias", "b.weight",
                                          "b.bias", NULL};

static double ref_loss(const in_t *xf, const label_t *y, double *out)
{
	double x[B * IN], h[B * OUT];
	ref_input(xf, x);
	ref_linear("a", x, IN, OUT, out);
	ref_linear(is("mul_self") ? "a" : "b", x, IN, OUT, h);
	for (int i = 0; i < B * OUT; i++)
		out[i] *= h[i];
	return ref_mse(out, y);
}
