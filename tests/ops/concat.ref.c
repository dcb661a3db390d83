/*
 * concat.ref.c — concat along dimension 1:
 *   concat           x[3,6] -> linear a[1], b[2], c[3], d[1], e[2]
 *                    -> concat [3,9] -> mse
 *   concat_channels  x[2,6] -> linear a[8], b[4], c[12] seen as
 *                    [2,2,2], [1,2,2], [3,2,2] -> concat [2,6,2,2] -> mse
 * Each layer's rows are its channels' blocks, one after the other.
 */
#include "pointwise.ref.h"

static const char *const ref_tensors[] = {
	"a.weight", "a.bias", "b.weight", "b.bias", "c.weight", "c.bias",
	"d.weight", "d.bias", "e.weight", "e.bias", NULL};

static double ref_loss(const in_t *xf, const label_t *y, double *out)
{
	static const char *const names[] = {"a", "b", "c", "d", "e"};
	const int feat[] = {1, 2, 3, 1, 2}, chan[] = {2, 1, 3}, inner = 4;
	const int channels = is("concat_channels");
	const int n = channels ? 3 : 5;
	double x[B * IN], h[B * OUT];
	ref_input(xf, x);
	for (int i = 0, off = 0; i < n; i++) {
		int w = channels ? chan[i] * inner : feat[i];  /* floats a sample */
		ref_linear(names[i], x, IN, w, h);
		for (int b = 0; b < B; b++)
			for (int k = 0; k < w; k++)
				out[b * OUT + off + k] = h[b * w + k];
		off += w;
	}
	return ref_mse(out, y);
}
