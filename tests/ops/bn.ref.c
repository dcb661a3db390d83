/*
 * bn.ref.c — the reference of the batchnorm op tests, in double:
 *   bn    x[4,6] -> linear a{5} -> batchnorm bn -> tanh -> linear b{3} -> mse
 *   bn4d  x[2,2,3,3] -> batchnorm bn1 -> tanh -> batchnorm bn2 -> flatten
 *         -> linear b{3} -> mse
 *   bn_relu, bn_relu4d  the same with ReLU for tanh (the fused bn_relu),
 *         and bn_relu4d with ReLU after bn2 too
 *   bn_relu_pool  x[2,2,4,18] -> bn1 -> relu -> bn2 -> relu -> maxpool{2}
 *         -> flatten -> linear b{3} -> mse (the fused bn_relu_pool)
 * ref_loss is training mode (the batch's statistics, biased variance);
 * ref_predict evaluation mode (the running statistics).  ref_extra checks
 * what the forward and gradient checks cannot see:
 *   - loss() and gradient() leave the running statistics alone;
 *   - after each of 3 train_steps (a new batch each) running_mean and
 *     running_var equal PyTorch's update (momentum, unbiased variance);
 *   - then, with running statistics that are not trivial: predict equals
 *     the eval-mode reference, a sample predicted alone equals its row
 *     predicted in a full batch, and the training-mode loss differs from
 *     evaluate()'s, each equal to its reference.
 */
static const char *const ref_tensors[] = {
	"a.weight", "a.bias", "b.weight", "b.bias",
	"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
	"bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
	"bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var",
	NULL};

enum { MAXC = 8, MAXH = 160 };

/* The batchnorm layers of the test: name, momentum, eps, channels, and
 * values per channel and sample. */
typedef struct RefBn {
	const char *name;
	double momentum, eps;
	int ch, inner;
} RefBn;

/* The [B,F] model (else the [B,C,H,W] one), and its activation. */
static int flat(void)
{
	return is("bn") || is("bn_relu");
}

static double act(double v)
{
	return is("bn_relu") || is("bn_relu4d") || is("bn_relu_pool")
	       ? (v > 0 ? v : 0) : tanh(v);
}

static int ref_bns(const RefBn **l)
{
	static const RefBn bn[] = {{"bn", 0.2, 1e-3, 5, 1}};
	static const RefBn bn4d[] = {{"bn1", 0.1, 1e-5, 2, 9},
	                             {"bn2", 0.3, 1e-4, 2, 9}};
	static const RefBn pool[] = {{"bn1", 0.1, 1e-5, 2, 72},
	                             {"bn2", 0.3, 1e-4, 2, 72}};
	if (flat()) {
		*l = bn;
		return 1;
	}
	if (is("bn_relu_pool")) {
		*l = pool;
		return 2;
	}
	*l = bn4d;
	return 2;
}

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

/* y = batchnorm(x) in place; the statistics it used in mean[], var[]
 * (biased). */
static void ref_bn(const RefBn *l, double *x, int train, double *mean,
                   double *var)
{
	const double *g = T(l->name, "weight"), *beta = T(l->name, "bias");
	const double *rm = T(l->name, "running_mean");
	const double *rv = T(l->name, "running_var");
	int C = l->ch, I = l->inner, N = B * I;
	for (int c = 0; c < C; c++) {
		double s = 0, q = 0;
		for (int b = 0; b < B; b++)
			for (int i = 0; i < I; i++)
				s += x[(b * C + c) * I + i];
		mean[c] = train ? s / N : rm[c];
		for (int b = 0; b < B; b++)
			for (int i = 0; i < I; i++) {
				double d = x[(b * C + c) * I + i] - s / N;
				q += d * d;
			}
		var[c] = train ? q / N : rv[c];
		for (int b = 0; b < B; b++)
			for (int i = 0; i < I; i++) {
				double *v = &x[(b * C + c) * I + i];
				*v = (*v - mean[c]) / sqrt(var[c] + l->eps) * g[c] + beta[c];
			}
	}
}

/* y[b][o] = Σ_i w[o][i]·x[b][i] + bias[o] */
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

/* The model's output; the batch statistics of each layer in
 * mean[l][], var[l][]. */
static void ref_forward(const in_t *xf, int train, double *out,
                        double mean[][MAXC], double var[][MAXC])
{
	const RefBn *l;
	ref_bns(&l);
	double h[B * MAXH];
	if (flat()) {
		double x[B * IN];
		for (int i = 0; i < B * IN; i++)
			x[i] = xf[i];
		ref_linear("a", x, IN, 5, h);
		ref_bn(&l[0], h, train, mean[0], var[0]);
		for (int i = 0; i < B * 5; i++)
			h[i] = act(h[i]);
		ref_linear("b", h, 5, OUT, out);
	} else {
		for (int i = 0; i < B * IN; i++)
			h[i] = xf[i];
		ref_bn(&l[0], h, train, mean[0], var[0]);
		for (int i = 0; i < B * IN; i++)
			h[i] = act(h[i]);
		ref_bn(&l[1], h, train, mean[1], var[1]);
		if (is("bn_relu4d") || is("bn_relu_pool"))
			for (int i = 0; i < B * IN; i++)
				h[i] = act(h[i]);
		if (!is("bn_relu_pool")) {
			ref_linear("b", h, IN, OUT, out);
			return;
		}
		/* 2×2 max pooling of each [4,18] plane (B·2 of them) */
		double p[B * 36];
		for (int pl = 0; pl < B * 2; pl++)
			for (int oh = 0; oh < 2; oh++)
				for (int ow = 0; ow < 9; ow++) {
					const double *w = h + pl * 72 + 2 * oh * 18 + 2 * ow;
					p[pl * 18 + oh * 9 + ow] = fmax(fmax(w[0], w[1]),
					                                fmax(w[18], w[19]));
				}
		ref_linear("b", p, 36, OUT, out);
	}
}

static double ref_mse(const double *out, const label_t *y)
{
	double loss = 0;
	for (int i = 0; i < B * OUT; i++)
		loss += (out[i] - y[i]) * (out[i] - y[i]);
	return loss / (B * OUT);
}

static double ref_loss(const in_t *x, const label_t *y, double *out)
{
	double mean[2][MAXC], var[2][MAXC];
	ref_forward(x, 1, out, mean, var);
	return ref_mse(out, y);
}

#define REF_PREDICT
static void ref_predict(const in_t *x, double *out)
{
	double mean[2][MAXC], var[2][MAXC];
	ref_forward(x, 0, out, mean, var);
}

static void load_tensors(MODEL *m);

/* Compares a model tensor with ref[]; returns the largest difference. */
static double check_tensor(MODEL *m, const char *layer, const char *suffix,
                           const double *ref, int n, const char *when)
{
	char name[48];
	snprintf(name, sizeof name, "%s.%s", layer, suffix);
	const float *v = F(tensor)(m, name, NULL);
	double worst = 0;
	for (int c = 0; c < n; c++) {
		CHECK(close_to(v[c], ref[c], 1e-5, 1e-6), "%s: %s[%d] = %.9g, "
		      "reference %.9g", when, name, c, v[c], ref[c]);
		worst = fmax(worst, fabs(v[c] - ref[c]));
	}
	return worst;
}

#define REF_EXTRA
static void ref_extra(MODEL *m, const in_t *x_unused, const label_t *y)
{
	(void)x_unused;     /* each step takes a batch of its own */
	const RefBn *l;
	int nl = ref_bns(&l);
	static double rm[2][MAXC], rv[2][MAXC], ones[MAXC], zeros[MAXC];
	for (int c = 0; c < MAXC; c++)
		ones[c] = 1;
	/* the harness ran loss() and gradient(): nothing moved */
	for (int k = 0; k < nl; k++) {
		check_tensor(m, l[k].name, "running_mean", zeros, l[k].ch,
		             "after loss() and gradient()");
		check_tensor(m, l[k].name, "running_var", ones, l[k].ch,
		             "after loss() and gradient()");
	}

	static in_t x[B * IN];
	double worst = 0;
	for (int t = 1; t <= 3; t++) {
		for (int i = 0; i < B * IN; i++)
			x[i] = (in_t)(uniform() * t + 0.5 * t);  /* shifted, scaled */
		load_tensors(m);
		double out[B * OUT], mean[2][MAXC], var[2][MAXC];
		ref_forward(x, 1, out, mean, var);
		for (int k = 0; k < nl; k++) {
			int N = B * l[k].inner;
			double mo = l[k].momentum;
			const double *crm = T(l[k].name, "running_mean");
			const double *crv = T(l[k].name, "running_var");
			for (int c = 0; c < l[k].ch; c++) {
				rm[k][c] = (1 - mo) * crm[c] + mo * mean[k][c];
				rv[k][c] = (1 - mo) * crv[c] + mo * var[k][c] * N / (N - 1);
			}
		}
		F(train_step)(m, x, y);
		char when[32];
		snprintf(when, sizeof when, "train_step %d", t);
		for (int k = 0; k < nl; k++) {
			worst = fmax(worst, check_tensor(m, l[k].name, "running_mean",
			                                 rm[k], l[k].ch, when));
			worst = fmax(worst, check_tensor(m, l[k].name, "running_var",
			                                 rv[k], l[k].ch, when));
		}
	}
	printf("   running statistics: 3 steps, max |model - ref| %.2e\n", worst);

	/* evaluation mode with these running statistics */
	load_tensors(m);
	static float out[B * OUT], one[OUT];
	double rp[B * OUT], rt[B * OUT];
	F(predict)(m, x, out, B);
	ref_predict(x, rp);
	worst = 0;
	for (int i = 0; i < B * OUT; i++) {
		CHECK(close_to(out[i], rp[i], 1e-5, 1e-6), "after 3 steps: "
		      "predict[%d] = %.9g, reference %.9g", i, out[i], rp[i]);
		worst = fmax(worst, fabs(out[i] - rp[i]));
	}
	for (int b = 0; b < B; b++) {
		F(predict)(m, x + b * IN, one, 1);
		for (int o = 0; o < OUT; o++)
			CHECK(close_to(one[o], out[b * OUT + o], 1e-6, 1e-7),
			      "sample %d alone predicts %.9g, in its batch %.9g", b,
			      one[o], out[b * OUT + o]);
	}
	double train_loss = ref_loss(x, y, rt), eval_loss = ref_mse(rp, y);
	float loss = F(loss)(m, x, y), eval = F(evaluate)(m, x, y, B, NULL);
	CHECK(close_to(loss, train_loss, 1e-5, 1e-7), "after 3 steps: loss %.9g, "
	      "reference %.9g", loss, train_loss);
	CHECK(close_to(eval, eval_loss, 1e-5, 1e-7), "after 3 steps: evaluate "
	      "%.9g, reference %.9g", eval, eval_loss);
	CHECK(fabs(loss - eval) > 1e-3 * fabs(eval), "training-mode loss %.9g "
	      "equals the eval-mode loss %.9g", loss, eval);
	printf("   eval mode: max |predict - ref| %.2e; loss %.6f (train) vs "
	       "%.6f (eval)\n", worst, loss, eval);
}
