/*
 * pointwise.ref.h — what the references of the pointwise, softmax, mul,
 * concat, reshape and embedding tests share: their models are
 * x -> linear layers -> the op(s) under test -> mse against a target, in
 * double precision.  Helpers are inline: a test need not use them all.
 */

/* y[b][o] = Σ_i w[o][i]·x[b][i] + bias[o], with layer's tensors. */
static inline void ref_linear(const char *layer, const double *x, int in, int out,
                       double *y)
{
	char wn[32], bn[32];
	snprintf(wn, sizeof wn, "%s.weight", layer);
	snprintf(bn, sizeof bn, "%s.bias", layer);
	const double *w = P(wn), *bias = P(bn);
	for (int b = 0; b < B; b++)
		for (int o = 0; o < out; o++) {
			double s = bias ? bias[o] : 0;
			for (int i = 0; i < in; i++)
				s += w[o * in + i] * x[b * in + i];
			y[b * out + o] = s;
		}
}

/* The model's float input as doubles. */
static inline void ref_input(const in_t *xf, double *x)
{
	for (int i = 0; i < B * IN; i++)
		x[i] = xf[i];
}

/* PyTorch's mse, 'mean' over every element of out [B,OUT]. */
static inline double ref_mse(const double *out, const label_t *y)
{
	double loss = 0;
	for (int i = 0; i < B * OUT; i++)
		loss += (out[i] - y[i]) * (out[i] - y[i]);
	return loss / (B * OUT);
}

/* softmax (or log_softmax) over each row of len values, in place; shifted
 * by the row's max, so that large logits stay finite here too. */
static inline void ref_softmax_rows(double *v, long rows, int len,
                                    int log_form)
{
	for (long r = 0; r < rows; r++) {
		double *x = v + r * len, mx = x[0], s = 0;
		for (int c = 1; c < len; c++)
			mx = fmax(mx, x[c]);
		for (int c = 0; c < len; c++)
			s += exp(x[c] - mx);
		for (int c = 0; c < len; c++)
			x[c] = log_form ? x[c] - mx - log(s) : exp(x[c] - mx) / s;
	}
}
