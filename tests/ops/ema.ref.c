/*
 * ema.ref.c — the reference of the ema test: x[4,6] -> linear "a" -> mse,
 * trained with ema = {decay = 0.75}.  Besides the harness's forward and
 * gradient checks (at init the shadows equal the weights), four steps:
 * after each, every shadow must follow AveragedModel's EMA of the
 * weights the step left (a copy on the first step), computed here in
 * double from the weights themselves; then _predict and _evaluate must be
 * the model evaluated with the shadows, _loss with the weights.
 */
static const char *const ref_tensors[] = {"a.weight", "a.bias", NULL};

enum { DECAY_NUM = 3, DECAY_DEN = 4 };   /* 0.75, as the script says */

/* out = x·wᵀ + b for the weights w, b (double). */
static void ref_forward(const in_t *x, const double *w, const double *b,
                        double *out)
{
	for (int r = 0; r < B; r++)
		for (int o = 0; o < OUT; o++) {
			double s = b[o];
			for (int i = 0; i < IN; i++)
				s += w[o * IN + i] * x[r * IN + i];
			out[r * OUT + o] = s;
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
	ref_forward(x, P("a.weight"), P("a.bias"), out);
	return ref_mse(out, y);
}

/* The model's tensor name as doubles. */
static void get(MODEL *m, const char *name, double *v, long n)
{
	long k = -1;
	const float *p = F(tensor)(m, name, &k);
	CHECK(p && k == n, "no tensor %s of %ld values", name, n);
	for (long i = 0; p && i < n; i++)
		v[i] = p[i];
}

#define REF_EXTRA
static void ref_extra(MODEL *m, const in_t *x, const label_t *y)
{
	const double d = (double)DECAY_NUM / DECAY_DEN;
	static double w[OUT * IN], b[OUT], ew[OUT * IN], eb[OUT];
	static double sw[OUT * IN], sb[OUT], out[B * OUT], raw[B * OUT];
	static float pred[B * OUT];
	double worst = 0;
	if (!is("ema"))
		return;
	for (int t = 1; t <= 4; t++) {
		F(train_step)(m, x, y);
		get(m, "a.weight", w, OUT * IN);
		get(m, "a.bias", b, OUT);
		get(m, "ema.a.weight", sw, OUT * IN);
		get(m, "ema.a.bias", sb, OUT);
		for (int i = 0; i < OUT * IN; i++) {
			ew[i] = t == 1 ? w[i] : d * ew[i] + (1 - d) * w[i];
			CHECK(close_to(sw[i], ew[i], 1e-6, 1e-7), "step %d: "
			      "ema.a.weight[%d] = %.9g, expected %.9g", t, i, sw[i],
			      ew[i]);
			worst = fmax(worst, fabs(sw[i] - ew[i]));
		}
		for (int o = 0; o < OUT; o++) {
			eb[o] = t == 1 ? b[o] : d * eb[o] + (1 - d) * b[o];
			CHECK(close_to(sb[o], eb[o], 1e-6, 1e-7), "step %d: "
			      "ema.a.bias[%d] = %.9g, expected %.9g", t, o, sb[o],
			      eb[o]);
		}
	}
	/* evaluation reads the shadows; training-mode loss the weights */
	ref_forward(x, sw, sb, out);
	ref_forward(x, w, b, raw);
	F(predict)(m, x, pred, B);
	double apart = 0;
	for (int i = 0; i < B * OUT; i++) {
		CHECK(close_to(pred[i], out[i], 1e-5, 1e-6), "predict[%d] = %.9g, "
		      "with the EMA weights %.9g", i, pred[i], out[i]);
		apart = fmax(apart, fabs(out[i] - raw[i]));
	}
	CHECK(apart > 1e-3, "the EMA and the weights predict alike (%.2g): "
	      "the test tells nothing", apart);
	float ev = F(evaluate)(m, x, y, B, NULL);
	CHECK(close_to(ev, ref_mse(out, y), 1e-5, 1e-7), "evaluate %.9g, "
	      "with the EMA weights %.9g", ev, ref_mse(out, y));
	float tl = F(loss)(m, x, y);
	CHECK(close_to(tl, ref_mse(raw, y), 1e-5, 1e-7), "loss %.9g, with the "
	      "weights %.9g", tl, ref_mse(raw, y));
	printf("   ema: 4 steps, max |shadow - formula| %.2e; predict and "
	       "evaluate read the shadows\n", worst);
}
