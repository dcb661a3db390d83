/*
 * loss.ref.h — the reference of the loss tests (ce_*, bce*, l1): every
 * model is x[4,6] -> linear "a" -> the loss, in double precision, each
 * loss written as PyTorch 1.13 defines it (reduction='mean') rather than
 * in the form nncc emits:
 *   cross_entropy   [(1−ε)·Σ_b w[y_b]·(−log p[b,y_b])
 *                    + ε/C·Σ_b Σ_c w_c·(−log p[b,c])] / Σ_b w[y_b]
 *   bce_with_logits −[pw·t·log σ(z) + (1−t)·log(1−σ(z))], mean over all
 *   l1_loss         |p − t|, mean over all
 * Beyond the harness's checks, evaluate() on a partial chunk (B−1 rows,
 * padded) must give the loss of those rows, and the accuracy of a binary
 * classifier (bce_binary: one output, class 1 when its logit is > 0).
 * The nll tests are softmax_cross_entropy built unfused (--no-fuse:
 * log_softmax, then nll).
 * The mixup tests (ce_mix*, built with -DMIX) train on
 *   λ·cross_entropy(z, y) + (1−λ)·cross_entropy(z, y2)
 * (two whole losses, each with its own normalizer), with y2 and λ set by
 * ref_setup; evaluate() must not mix.
 */
static const char *const ref_tensors[] = {"a.weight", "a.bias", NULL};

/* The options of tests/ops/<TEST>.lua. */
#ifdef LABELS
static double ref_smoothing(void)
{
	return is("ce_smoothing") ? 0.1 : is("ce_smoothing_weights") ||
	       is("ce_mix_smoothing_weights") || is("nll_smoothing_weights")
	       ? 0.2 : 0;
}

static double ref_class_weight(int c)
{
	static const double w[] = {1, 2, 0.5, 0, 3};
	return is("ce_weights") || is("ce_smoothing_weights") ||
	       is("ce_mix_smoothing_weights") || is("nll_smoothing_weights")
	       ? w[c] : 1;
}

/* cross_entropy(z, y) of the first `rows` rows of the logits p. */
static double ref_ce(const double *p, const label_t *y, int rows)
{
	double nll = 0, smooth = 0, wsum = 0, eps = ref_smoothing();
	for (int b = 0; b < rows; b++) {
		const double *z = p + b * OUT;
		double mx = z[0], s = 0;
		for (int c = 1; c < OUT; c++)
			mx = fmax(mx, z[c]);
		for (int c = 0; c < OUT; c++)
			s += exp(z[c] - mx);
		double lse = mx + log(s);
		nll += ref_class_weight(y[b]) * (lse - z[y[b]]);
		for (int c = 0; c < OUT; c++)
			smooth += ref_class_weight(c) * (lse - z[c]);
		wsum += ref_class_weight(y[b]);
	}
	return (1 - eps) * nll / wsum + eps / OUT * smooth / wsum;
}
#endif

#ifdef MIX
/* The second labels (one of them the zero-weight class 3) and λ. */
static int32_t ref_y2[B];
static const float ref_lambda = 0.3f;

#define REF_SETUP
static void ref_setup(MODEL *m, const in_t *x, const label_t *y)
{
	static const int32_t second[] = {2, 3, 4, 1};
	(void)x;
	for (int b = 0; b < B; b++)
		ref_y2[b] = second[b % 4];
	CHECK(memcmp(ref_y2, y, sizeof ref_y2) != 0, "y2 equals y");
	F(set_mix)(m, ref_y2, ref_lambda);
}
#endif

#ifndef LABELS
static int is_bce(void) { return !strncmp(TEST, "bce", 3); }

static double ref_pos_weight(int j)
{
	static const double w[] = {0.5, 2, 4};
	return is("bce_pos_weights") ? w[j] : is("bce_pos_weight") ? 2.5 : 1;
}

/* log σ(z), without overflow either way. */
static double log_sigmoid(double z)
{
	return z < 0 ? z - log1p(exp(z)) : -log1p(exp(-z));
}
#endif

/* The loss of the first `rows` rows of the prediction p; the mixup
 * tests' training loss when mix. */
static double ref_loss_rows(const double *p, const label_t *y, int rows,
                            int mix)
{
	double loss = 0;
	(void)mix;
#ifdef LABELS
	loss = ref_ce(p, y, rows);
#ifdef MIX
	if (mix)
		loss = ref_lambda * loss + (1 - (double)ref_lambda) *
		       ref_ce(p, ref_y2, rows);
#endif
#else
	for (int b = 0; b < rows; b++)
		for (int j = 0; j < OUT; j++) {
			double z = p[b * OUT + j], t = y[b * OUT + j];
			if (is_bce())
				loss -= ref_pos_weight(j) * t * log_sigmoid(z) +
				        (1 - t) * log_sigmoid(-z);
			else
				loss += fabs(z - t);
		}
	loss /= (double)rows * OUT;
#endif
	return loss;
}

static void ref_forward(const in_t *xf, double *out)
{
	const double *w = P("a.weight"), *bias = P("a.bias");
	for (int b = 0; b < B; b++)
		for (int o = 0; o < OUT; o++) {
			double s = bias[o];
			for (int i = 0; i < IN; i++)
				s += w[o * IN + i] * xf[b * IN + i];
			out[b * OUT + o] = s;
		}
}

static double ref_loss(const in_t *xf, const label_t *y, double *out)
{
	ref_forward(xf, out);
	return ref_loss_rows(out, y, B, 1);
}

#define REF_INPUTS
/* Labels that repeat a class and hit the zero-weight class 3; targets
 * 0, 1 and in between; for bce one sample scaled so its logits are large. */
static void ref_inputs(in_t *x, label_t *y)
{
	for (int i = 0; i < B * IN; i++)
		x[i] = (in_t)(uniform() * (is("bce") && i < IN ? 60 : 1));
#ifdef LABELS
	static const int32_t labels[] = {3, 1, 3, 0};
	for (int b = 0; b < B; b++)
		y[b] = labels[b % 4];
#else
	for (int i = 0; i < B * LB; i++)
		y[i] = is("l1") ? (float)uniform() :
		       i % 4 == 0 ? 0 : i % 4 == 1 ? 1 : (float)(uniform() + 1) / 2;
#endif
}

#define REF_EXTRA
static void ref_extra(MODEL *m, const in_t *x, const label_t *y)
{
	static double out[B * OUT];
	ref_forward(x, out);
	double want = ref_loss_rows(out, y, B - 1, 0);
	float got = F(evaluate)(m, x, y, B - 1, NULL);
	CHECK(close_to(got, want, 1e-5, 1e-7), "evaluate(%d rows) = %.9g, "
	      "reference %.9g", B - 1, got, want);
	printf("   evaluate: %d of %d rows, loss %.7f vs %.7f\n", B - 1, B, got,
	       want);
#ifndef LABELS
	if (OUT == 1) {
		/* a binary classifier: class 1 when the logit is > 0 */
		int correct = 0;
		for (int b = 0; b < B - 1; b++)
			correct += (out[b] > 0) == (y[b] > 0.5);
		float acc = -1;
		F(evaluate)(m, x, y, B - 1, &acc);
		CHECK(acc == (float)correct / (B - 1), "accuracy %.9g, reference "
		      "%d/%d", acc, correct, B - 1);
		printf("   accuracy: %.4f\n", acc);
	}
#else
	if (ref_class_weight(y[0]) == 0) {
		/* Only zero-weight labels: 0 (PyTorch: 0/0 = nan). */
		got = F(evaluate)(m, x, y, 1, NULL);
		CHECK(got == 0, "evaluate(1 row of weight 0) = %.9g, not 0", got);
	}
#endif
#ifdef MIX
	/* The mix ends with set_mix(NULL, 1): the plain loss again. */
	double mixed = ref_loss_rows(out, y, B, 1), plain = ref_loss_rows(out, y, B, 0);
	F(set_mix)(m, NULL, 1);
	float l = F(loss)(m, x, y);
	CHECK(close_to(l, plain, 1e-5, 1e-7) && !close_to(plain, mixed, 1e-3, 0),
	      "after set_mix(NULL, 1): loss %.9g, plain %.9g, mixed %.9g", l,
	      plain, mixed);
	/* train_step_mix returns the mixed loss of the step and leaves the
	 * model unmixed */
	float step = F(train_step_mix)(m, x, y, ref_y2, ref_lambda);
	CHECK(close_to(step, mixed, 1e-5, 1e-7), "train_step_mix = %.9g, "
	      "reference %.9g", step, mixed);
	float after = F(loss)(m, x, y);
	F(set_mix)(m, NULL, 1);
	CHECK(F(loss)(m, x, y) == after, "train_step_mix left the mix set");
	printf("   mixup: λ = %g, mixed loss %.7f, plain %.7f\n",
	       (double)ref_lambda, mixed, plain);
#endif
}
