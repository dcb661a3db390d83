/*
 * layernorm.ref.c — the reference of the layernorm op tests, in double:
 *   layernorm    x[4,6] -> linear a{5} -> layernorm ln -> tanh
 *                -> linear b{3} -> mse
 *   layernorm3d  x[3,3,4] -> layernorm ln1 -> tanh -> layernorm ln2
 *                -> flatten -> linear b{3} -> mse
 * torch.nn.LayerNorm: each row of the last dimension normalized by its
 * mean and biased variance, then ·weight + bias; training and
 * evaluation agree.
 */
static const char *const ref_tensors[] = {
	"a.weight", "a.bias", "b.weight", "b.bias", "ln.weight", "ln.bias",
	"ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias", NULL};

static const double *T(const char *layer, const char *suffix)
{
	char name[48];
	snprintf(name, sizeof name, "%s.%s", layer, suffix);
	const double *p = P(name);
	if (!p) {
		printf("FAIL %s: the model has no tensor %s\n", TEST, name);
		exit(1);
	}
	return p;
}

/* x[rows][f] = layernorm(x) in place */
static void ref_ln(const char *layer, double eps, double *x, int rows, int f)
{
	const double *g = T(layer, "weight"), *beta = T(layer, "bias");
	for (int r = 0; r < rows; r++) {
		double *v = x + r * f, mean = 0, var = 0;
		for (int i = 0; i < f; i++)
			mean += v[i] / f;
		for (int i = 0; i < f; i++)
			var += (v[i] - mean) * (v[i] - mean) / f;
		for (int i = 0; i < f; i++)
			v[i] = (v[i] - mean) / sqrt(var + eps) * g[i] + beta[i];
	}
}

static void ref_linear(const char *layer, const double *x, int in, int out,
                       double *y)
{
	const double *w = T(layer, "weight"), *bias = T(layer, "bias");
	for (int b = 0; b < B; b++)
		for (int o = 0; o < out; o++) {
			double s = bias[o];
			for (int i = 0; i < in; i++)
				s += w[o * in + i] * x[b * in + i];
			y[b * out + o] = s;
		}
}

static double ref_loss(const in_t *xf, const label_t *y, double *out)
{
	double x[B * IN], h[B * IN + B * 8];
	for (int i = 0; i < B * IN; i++)
		x[i] = xf[i];
	if (is("layernorm")) {
		ref_linear("a", x, IN, 5, h);
		ref_ln("ln", 1e-3, h, B, 5);
		for (int i = 0; i < B * 5; i++)
			h[i] = tanh(h[i]);
		ref_linear("b", h, 5, OUT, out);
	} else {
		ref_ln("ln1", 1e-5, x, B * 3, 4);
		for (int i = 0; i < B * IN; i++)
			x[i] = tanh(x[i]);
		ref_ln("ln2", 1e-3, x, B * 3, 4);
		ref_linear("b", x, IN, OUT, out);
	}
	double loss = 0;
	for (int i = 0; i < B * OUT; i++)
		loss += (out[i] - y[i]) * (out[i] - y[i]);
	return loss / (B * OUT);
}
