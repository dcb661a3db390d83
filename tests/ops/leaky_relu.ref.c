/*
 * leaky_relu.ref.c — x[4,6] -> linear "a" [5] -> leaky_relu{slope} -> mse;
 * leaky_relu (slope 0.01, the default: the gradient from the output) and
 * leaky_relu_neg (slope -0.5: the gradient from the input).
 */
#include "pointwise.ref.h"

static const char *const ref_tensors[] = {"a.weight", "a.bias", NULL};

static double ref_loss(const in_t *xf, const label_t *y, double *out)
{
	double x[B * IN];
	const double slope = is("leaky_relu_neg") ? -0.5 : 0.01;
	ref_input(xf, x);
	ref_linear("a", x, IN, OUT, out);
	for (int i = 0; i < B * OUT; i++)
		out[i] = out[i] > 0 ? out[i] : slope * out[i];
	return ref_mse(out, y);
}
