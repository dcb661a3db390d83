/*
 * reshape.ref.c — x[4,6] -> linear "a" [12] -> reshape{2, -1, 3} -> mse:
 * a view, so the same numbers as the linear layer's.
 */
#include "pointwise.ref.h"

static const char *const ref_tensors[] = {"a.weight", "a.bias", NULL};

static double ref_loss(const in_t *xf, const label_t *y, double *out)
{
	double x[B * IN];
	(void)is;              /* one test, no variants */
	ref_input(xf, x);
	ref_linear("a", x, IN, OUT, out);
	return ref_mse(out, y);
}
