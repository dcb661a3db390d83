/*
 * gelu.ref.c — x[4,6] -> linear "a" [5] -> gelu -> mse, with PyTorch's
 * exact gelu: ½x(1 + erf(x/√2)).
 */
#include "pointwise.ref.h"

static const char *const ref_tensors[] = {"a.weight", "a.bias", NULL};

static double ref_loss(const in_t *xf, const label_t *y, double *out)
{
	double x[B * IN];
	(void)is;              /* one test, no variants */
	ref_input(xf, x);
	ref_linear("a", x, IN, OUT, out);
	for (int i = 0; i < B * OUT; i++)
		out[i] = 0.5 * out[i] * (1 + erf(out[i] / sqrt(2.0)));
	return ref_mse(out, y);
}
