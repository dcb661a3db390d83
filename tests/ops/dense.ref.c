/*
 * dense.ref.c — the reference of the dense op tests (linear, activations,
 * add, add_relu, flatten, mlp, softmax_ce, the optimizers): every model is
 * x[4,6] -> linear "a" (-> op) (-> linear "b") -> loss.  For the
 * optimizer tests it also checks three update steps against the
 * optimizer's formula.
 */
static const char *const ref_tensors[] = {"a.weight", "a.bias", "b.weight",
                                          "b.bias", NULL};

enum { HID = 5 };

/* y[b][o] = Σ_i w[o][i]·x[b][i] + bias[o] */
static void ref_linear(const char *layer, const double *x, int in, int out,
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

static double ref_loss(const in_t *xf, const label_t *y, double *out)
{
	double x[B * IN], h[B * HID], h2[B * HID];
	for (int i = 0; i < B * IN; i++)
		x[i] = xf[i];
	ref_linear("a", x, IN, HID, h);
	for (int i = 0; i < B * HID; i++) {
		if (is("relu"))
			h[i] = h[i] > 0 ? h[i] : 0;
		else if (is("sigmoid"))
			h[i] = 1 / (1 + exp(-h[i]));
		else if (is("tanh") || is("mlp"))
			h[i] = tanh(h[i]);
	}
	if (is("add") || is("add_relu")) {
		ref_linear("b", x, IN, HID, h2);
		for (int i = 0; i < B * HID; i++)
			h[i] += h2[i];
	}
	if (is("add_relu"))
		for (int i = 0; i < B * HID; i++)
			h[i] = h[i] > 0 ? h[i] : 0;
	if (is("mlp"))
		ref_linear("b", h, HID, OUT, out);
	else
		memcpy(out, h, sizeof(double) * B * OUT);
	double loss = 0;
#ifdef LABELS
	for (int b = 0; b < B; b++) {
		double mx = out[b * OUT];
		for (int k = 1; k < OUT; k++)
			mx = fmax(mx, out[b * OUT + k]);
		double s = 0;
		for (int k = 0; k < OUT; k++)
			s += exp(out[b * OUT + k] - mx);
		loss += mx + log(s) - out[b * OUT + y[b]];
	}
	return loss / B;
#else
	for (int i = 0; i < B * OUT; i++)
		loss += (out[i] - y[i]) * (out[i] - y[i]);
	return loss / (B * OUT);
#endif
}

/* The optimizer of tests/ops/<TEST>.lua, in double. */
static void ref_update(int t, const double *g, double *p, double *s1,
                       double *s2, long n)
{
	for (long i = 0; i < n; i++) {
		if (is("sgd_momentum") || is("sgd_nesterov")) {
			double lr = 0.1, mom = 0.9, damp = is("sgd_momentum") ? 0.1 : 0;
			double wd = is("sgd_momentum") ? 0.01 : 0;
			double gi = g[i] + wd * p[i];
			s1[i] = t == 1 ? gi : mom * s1[i] + (1 - damp) * gi;
			gi = is("sgd_nesterov") ? gi + mom * s1[i] : s1[i];
			p[i] -= lr * gi;
		} else {
			double lr = 0.01, b1 = is("adamw") ? 0.8 : 0.9, b2 = 0.999;
			double eps = 1e-8, wd = is("adamw") ? 0.1 : 0.01;
			double gi = g[i];
			if (is("adamw"))
				p[i] *= 1 - lr * wd;
			else
				gi += wd * p[i];
			s1[i] = b1 * s1[i] + (1 - b1) * gi;
			s2[i] = b2 * s2[i] + (1 - b2) * gi * gi;
			double denom = sqrt(s2[i]) / sqrt(1 - pow(b2, t)) + eps;
			p[i] -= lr / (1 - pow(b1, t)) * s1[i] / denom;
		}
	}
}

#define REF_EXTRA
/* Optimizer tests: three steps move the parameters by the formula. */
static void ref_extra(MODEL *m, const in_t *x, const label_t *y)
{
	if (strncmp(TEST, "sgd", 3) && strncmp(TEST, "adam", 4))
		return;
	static double s1[MAXT][64], s2[MAXT][64];
	double worst = 0;
	for (int t = 1; t <= 3; t++) {
		F(gradient)(m, x, y);
		for (int p = 0; p < ntensors; p++) {
			char gn[48];
			snprintf(gn, sizeof gn, "grad.%s", tensors[p].name);
			const float *gf = F(tensor)(m, gn, NULL);
			double g[64];
			for (long k = 0; k < tensors[p].n; k++)
				g[k] = gf[k];
			ref_update(t, g, tensors[p].v, s1[p], s2[p], tensors[p].n);
		}
		F(train_step)(m, x, y);
		for (int p = 0; p < ntensors; p++) {
			const float *v = F(tensor)(m, tensors[p].name, NULL);
			for (long k = 0; k < tensors[p].n; k++) {
				CHECK(close_to(v[k], tensors[p].v[k], 1e-5, 1e-7),
				      "step %d: %s[%ld] = %.9g, reference %.9g", t,
				      tensors[p].name, k, v[k], tensors[p].v[k]);
				worst = fmax(worst, fabs(v[k] - tensors[p].v[k]));
			}
		}
	}
	printf("   update: 3 steps, max |param - ref| %.2e\n", worst);
}
