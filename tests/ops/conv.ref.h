/*
 * conv.ref.h — the reference of the convolution and pooling op tests
 * (conv*, *pool*): a naive NCHW interpreter in double of the little model
 * each tests/ops/NAME.lua builds, listed in models[] below, with an mse
 * loss against the target.  Each test's NAME.ref.c includes this file.
 */
static const char *const ref_tensors[] = {"a.weight", "a.bias", "b.weight",
                                          "b.bias", "b.running_mean",
                                          "b.running_var", "c.weight",
                                          "c.bias", NULL};

/* One layer: 'c' conv2d (named), 'n' batchnorm (named; training
 * statistics, eps 1e-5), 'm' maxpool, 'a' avgpool, 'g' global_avgpool,
 * 'r' relu, 's' keep the tensor for a residual add, 'p' add the kept
 * tensor. */
typedef struct RefLayer {
	char kind;
	const char *name;
	int out, k, stride, pad, groups, dilation;
} RefLayer;

typedef struct RefModel {
	const char *test;
	int C, H, W;             /* the input, per sample */
	RefLayer layer[6];       /* up to the first with kind 0 */
} RefModel;

static const RefModel models[] = {
	{"conv", 3, 6, 6, {{'c', "a", 4, 3, 1, 0, 1, 1},
	                   {'c', "b", 3, 3, 1, 0, 1, 1}}},
	{"conv_stride2", 3, 9, 9, {{'c', "a", 4, 3, 2, 0, 1, 1},
	                           {'c', "b", 3, 2, 2, 0, 1, 1}}},
	{"conv_dx_phases", 4, 9, 11, {{'c', "a", 6, 3, 1, 1, 1, 1},
	                              {'c', "b", 8, 3, 2, 1, 2, 1},
	                              {'c', "c", 4, 5, 3, 2, 1, 1}}},
	{"conv_pad1", 3, 5, 5, {{'c', "a", 4, 3, 1, 1, 1, 1},
	                        {'c', "b", 3, 3, 1, 1, 1, 1}}},
	{"conv_groups2", 6, 5, 5, {{'c', "a", 6, 3, 1, 0, 2, 1},
	                           {'c', "b", 6, 2, 1, 0, 2, 1}}},
	{"conv_depthwise", 3, 6, 6, {{'c', "a", 3, 3, 1, 1, 3, 1},
	                             {'c', "b", 6, 3, 2, 0, 3, 1}}},
	{"conv_depthwise_wide", 4, 9, 19, {{'c', "a", 4, 3, 1, 1, 4, 1},
	                                   {'c', "b", 4, 3, 1, 2, 4, 2},
	                                   {'c', "c", 4, 3, 2, 1, 4, 1}}},
	{"conv_depthwise_k", 3, 12, 11, {{'c', "a", 3, 5, 1, 2, 3, 1},
	                                 {'c', "b", 3, 2, 2, 0, 3, 1},
	                                 {'c', "c", 3, 7, 1, 2, 3, 1}}},
	{"conv_bn_relu_conv", 3, 6, 7, {{'c', "a", 6, 3, 1, 1, 1, 1},
	                                {'n', "b", 0, 0, 0, 0, 0, 0},
	                                {'r', NULL, 0, 0, 0, 0, 0, 0},
	                                {'c', "c", 5, 3, 1, 1, 1, 1}}},
	{"conv_residual", 4, 7, 7, {{'c', "a", 4, 3, 1, 1, 1, 1},
	                            {'s', NULL, 0, 0, 0, 0, 0, 0},
	                            {'c', "c", 4, 3, 1, 1, 4, 1},
	                            {'n', "b", 0, 0, 0, 0, 0, 0},
	                            {'p', NULL, 0, 0, 0, 0, 0, 0},
	                            {'r', NULL, 0, 0, 0, 0, 0, 0}}},
	{"conv_dilation2", 3, 8, 8, {{'c', "a", 4, 3, 1, 0, 1, 2},
	                             {'c', "b", 3, 3, 1, 2, 1, 2}}},
	{"conv_1x1", 3, 4, 4, {{'c', "a", 4, 1, 1, 0, 1, 1},
	                       {'c', "b", 2, 1, 1, 0, 2, 1}}},
	{"conv_wide_tails", 3, 9, 11, {{'c', "a", 20, 3, 1, 1, 1, 1},
	                               {'c', "b", 2, 3, 1, 0, 1, 1}}},
	{"conv_stride2_phases", 3, 9, 35, {{'c', "a", 16, 3, 2, 1, 1, 1},
	                                   {'c', "b", 16, 1, 2, 0, 1, 1},
	                                   {'c', "c", 2, 3, 1, 1, 1, 1}}},
	{"conv_large", 5, 15, 15, {{'c', "a", 16, 3, 1, 1, 1, 1},
	                           {'c', "b", 3, 3, 2, 1, 1, 1}}},
	{"conv_nobias", 3, 6, 6, {{'c', "a", 4, 3, 1, 0, 1, 1},
	                          {'c', "b", 3, 3, 1, 1, 1, 1}}},
	{"conv_planes5", 1, 11, 13, {{'c', "a", 9, 5, 1, 2, 1, 1},
	                             {'c', "b", 18, 4, 2, 1, 9, 1}}},
	{"conv_one_channel", 1, 6, 6, {{'c', "a", 9, 3, 2, 1, 1, 1},
	                               {'c', "b", 2, 3, 1, 0, 1, 1}}},
	{"conv_bn", 3, 7, 9, {{'c', "a", 6, 3, 1, 1, 1, 1},
	                      {'n', "b", 0, 0, 0, 0, 0, 0},
	                      {'c', "c", 2, 3, 1, 1, 2, 1}}},
	{"conv_bn_planes", 4, 6, 10, {{'c', "a", 4, 3, 2, 1, 4, 1},
	                              {'n', "b", 0, 0, 0, 0, 0, 0},
	                              {'c', "c", 2, 1, 1, 0, 1, 1}}},
	{"conv_direct", 2, 7, 7, {{'c', "a", 4, 3, 2, 1, 2, 2},
	                          {'c', "b", 4, 2, 1, 1, 2, 1},
	                          {'c', "c", 2, 3, 1, 1, 1, 1}}},
	{"maxpool", 2, 7, 7, {{'c', "a", 3, 2, 1, 0, 1, 1},
	                      {'m', NULL, 0, 2, 2, 0, 0, 0}}},
	{"maxpool_odd", 2, 8, 8, {{'c', "a", 3, 2, 1, 0, 1, 1},
	                          {'m', NULL, 0, 2, 2, 0, 0, 0}}},
	{"maxpool_short", 2, 11, 12, {{'c', "a", 3, 3, 1, 1, 1, 1},
	                              {'m', NULL, 0, 2, 2, 0, 0, 0}}},
	{"maxpool_wide", 2, 18, 20, {{'c', "a", 3, 3, 1, 1, 1, 1},
	                             {'m', NULL, 0, 2, 2, 0, 0, 0}}},
	{"maxpool_overlap", 2, 7, 7, {{'c', "a", 3, 2, 1, 0, 1, 1},
	                              {'m', NULL, 0, 3, 2, 1, 0, 0}}},
	{"avgpool", 2, 7, 7, {{'c', "a", 3, 2, 1, 0, 1, 1},
	                      {'a', NULL, 0, 2, 2, 0, 0, 0}}},
	{"avgpool_overlap", 2, 7, 7, {{'c', "a", 3, 2, 1, 0, 1, 1},
	                              {'a', NULL, 0, 3, 2, 1, 0, 0}}},
	{"global_avgpool", 1, 5, 5, {{'c', "a", 2, 3, 1, 0, 1, 1},
	                             {'g', NULL, 0, 0, 0, 0, 0, 0}}},
};

enum { REF_MAX = 4096 };     /* floats per sample of any tensor */

static const RefModel *ref_model(void)
{
	for (size_t i = 0; i < sizeof models / sizeof *models; i++)
		if (is(models[i].test))
			return &models[i];
	printf("FAIL %s: conv.ref.h has no model of this test\n", TEST);
	exit(1);
}

/* y[b,o,oh,ow] = bias[o] + Σ w[o,c,kh,kw]·x[b, g·Cg + c, ih, iw] over the
 * taps inside x, ih = oh·S + kh·D − P (and iw alike). */
static void ref_conv(const RefLayer *l, const double *x, int C, int H, int W,
                     double *y, int *OH, int *OW)
{
	char wn[32], bn[32];
	snprintf(wn, sizeof wn, "%s.weight", l->name);
	snprintf(bn, sizeof bn, "%s.bias", l->name);
	const double *w = P(wn), *bias = P(bn);
	int k = l->k, S = l->stride, Pd = l->pad, D = l->dilation;
	int O = l->out, Cg = C / l->groups, Og = O / l->groups;
	*OH = (H + 2 * Pd - (k - 1) * D - 1) / S + 1;
	*OW = (W + 2 * Pd - (k - 1) * D - 1) / S + 1;
	for (int b = 0; b < B; b++)
		for (int o = 0; o < O; o++)
			for (int oh = 0; oh < *OH; oh++)
				for (int ow = 0; ow < *OW; ow++) {
					double s = bias ? bias[o] : 0;
					int g = o / Og;
					for (int c = 0; c < Cg; c++)
						for (int kh = 0; kh < k; kh++)
							for (int kw = 0; kw < k; kw++) {
								int ih = oh * S + kh * D - Pd;
								int iw = ow * S + kw * D - Pd;
								if (ih < 0 || ih >= H || iw < 0 || iw >= W)
									continue;
								s += w[((o * Cg + c) * k + kh) * k + kw] *
								     x[((b * C + g * Cg + c) * H + ih) * W + iw];
							}
					y[((b * O + o) * *OH + oh) * *OW + ow] = s;
				}
}

/* y = (x − mean)/√(var + 1e-5)·γ + β per channel: in training mean and
 * the biased var over the batch and the plane, in evaluation the running
 * statistics */
static void ref_bn(const RefLayer *l, const double *x, int C, int HW,
                   int eval, double *y)
{
	char wn[32], bn[32], mn[32], vn[32];
	snprintf(wn, sizeof wn, "%s.weight", l->name);
	snprintf(bn, sizeof bn, "%s.bias", l->name);
	snprintf(mn, sizeof mn, "%s.running_mean", l->name);
	snprintf(vn, sizeof vn, "%s.running_var", l->name);
	const double *g = P(wn), *beta = P(bn), *rm = P(mn), *rv = P(vn);
	for (int c = 0; c < C; c++) {
		double s = 0, q = 0;
		for (int b = 0; b < B; b++)
			for (int i = 0; i < HW; i++)
				s += x[(b * C + c) * HW + i];
		double mean = s / (B * HW);
		for (int b = 0; b < B; b++)
			for (int i = 0; i < HW; i++) {
				double d = x[(b * C + c) * HW + i] - mean;
				q += d * d;
			}
		if (eval) {
			mean = rm[c];
			q = rv[c] * (B * HW);
		}
		double istd = 1 / sqrt(q / (B * HW) + 1e-5);
		for (int b = 0; b < B; b++)
			for (int i = 0; i < HW; i++) {
				int at = (b * C + c) * HW + i;
				y[at] = (x[at] - mean) * istd * g[c] + beta[c];
			}
	}
}

/* maxpool (padding is -inf) and avgpool (count_include_pad: always /k²) */
static void ref_pool(const RefLayer *l, const double *x, int C, int H, int W,
                     double *y, int *OH, int *OW)
{
	int k = l->k, S = l->stride, Pd = l->pad;
	*OH = (H + 2 * Pd - k) / S + 1;
	*OW = (W + 2 * Pd - k) / S + 1;
	for (int p = 0; p < B * C; p++)
		for (int oh = 0; oh < *OH; oh++)
			for (int ow = 0; ow < *OW; ow++) {
				double mx = -INFINITY, s = 0;
				for (int ih = oh * S - Pd; ih < oh * S - Pd + k; ih++)
					for (int iw = ow * S - Pd; iw < ow * S - Pd + k; iw++) {
						if (ih < 0 || ih >= H || iw < 0 || iw >= W)
							continue;
						double v = x[(p * H + ih) * W + iw];
						mx = fmax(mx, v);
						s += v;
					}
				y[(p * *OH + oh) * *OW + ow] = l->kind == 'm' ? mx
				                                              : s / (k * k);
			}
}

/* The model's output, in training mode or in evaluation (`eval`). */
static void ref_run(const in_t *xf, int eval, double *out)
{
	static double buf[2][B * REF_MAX], kept[B * REF_MAX];
	const RefModel *m = ref_model();
	int C = m->C, H = m->H, W = m->W, cur = 0, kept_n = -1;
	if (C * H * W != IN) {
		printf("FAIL %s: conv.ref.h's input is not the model's\n", TEST);
		exit(1);
	}
	for (int i = 0; i < B * IN; i++)
		buf[0][i] = xf[i];
	for (const RefLayer *l = m->layer; l < m->layer + 6 && l->kind; l++) {
		double *x = buf[cur], *h = buf[!cur];
		int OH = H, OW = W, O = C;
		switch (l->kind) {
		case 'c':
			ref_conv(l, x, C, H, W, h, &OH, &OW);
			O = l->out;
			break;
		case 'n':
			ref_bn(l, x, C, H * W, eval, h);
			break;
		case 'm':
		case 'a':
			ref_pool(l, x, C, H, W, h, &OH, &OW);
			break;
		case 'g':
			for (int p = 0; p < B * C; p++) {
				double s = 0;
				for (int i = 0; i < H * W; i++)
					s += x[p * H * W + i];
				h[p] = s / (H * W);
			}
			OH = OW = 1;
			break;
		case 'r':
			for (int i = 0; i < B * C * H * W; i++)
				h[i] = x[i] > 0 ? x[i] : 0;
			break;
		case 's':
			kept_n = C * H * W;
			memcpy(kept, x, sizeof(double) * B * kept_n);
			memcpy(h, x, sizeof(double) * B * kept_n);
			break;
		case 'p':
			if (kept_n != C * H * W) {
				printf("FAIL %s: conv.ref.h adds a kept tensor of another "
				       "shape\n", TEST);
				exit(1);
			}
			for (int i = 0; i < B * C * H * W; i++)
				h[i] = x[i] + kept[i];
			break;
		}
		C = O;
		H = OH;
		W = OW;
		cur = !cur;
	}
	if (C * H * W != OUT) {
		printf("FAIL %s: conv.ref.h's output is not the model's\n", TEST);
		exit(1);
	}
	memcpy(out, buf[cur], sizeof(double) * B * OUT);
}

/* predict(): evaluation mode, batch norm on its running statistics */
#define REF_PREDICT 1
static void ref_predict(const in_t *xf, double *out)
{
	ref_run(xf, 1, out);
}

static double ref_loss(const in_t *xf, const label_t *y, double *out)
{
	ref_run(xf, 0, out);
	double loss = 0;
	for (int i = 0; i < B * OUT; i++)
		loss += (out[i] - y[i]) * (out[i] - y[i]);
	return loss / (B * OUT);
}
