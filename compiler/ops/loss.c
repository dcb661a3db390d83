/*
 * loss.c — losses: scalar means over the batch's valid rows (`nrows`, the
 * batch size in training, fewer for the last chunk of an evaluation), and
 * their gradients, which are zero on the rows past nrows.
 *
 * Each loss means what the PyTorch 1.13 function of the same purpose means
 * with reduction='mean', options included:
 *   softmax_cross_entropy  F.cross_entropy(z, y, weight=, label_smoothing=)
 *   sigmoid_bce            F.binary_cross_entropy_with_logits(z, t, pos_weight=)
 *   mse, l1                F.mse_loss, F.l1_loss
 * tests/reference/losses.sh checks values and gradients against PyTorch.
 * One deliberate difference: a weighted cross-entropy whose batch has only
 * zero-weight labels is 0 here (PyTorch: 0/0 = nan), with a zero gradient.
 * A loss is the root of the graph: its grad rule gets dout = -1 and emits
 * the whole gradient, divided by the normalizer, in one pass.
 */
#include <math.h>

#include "../nncc.h"

enum { MAX_WEIGHT = 1000000 };  /* class and positive weights: at most 1e6 */

static const char *logits_shape(Ctx *c, Node *n)
{
	n->shape = in_node(c, n, 0)->shape;
	n->dtype = DT_F32;
	return NULL;
}

/* A weight list w[0..n) as a block-scope constant array of the body. */
static void emit_weights(Emit *e, const char *name, const NumList *w)
{
	emit_line(e, "static const float %s[%d] = {", name, w->n);
	for (int i = 0; i < w->n; i += 6) {
		Buf b = {0};
		for (int j = i; j < w->n && j < i + 6; j++)
			buf_printf(&b, "%s%s,", j > i ? " " : "", cfloat(e->c, w->v[j]));
		emit_line(e, "\t%s", b.s);
		buf_free(&b);
	}
	emit_line(e, "};");
}

static void print_list(Buf *b, const char *key, const NumList *l)
{
	buf_printf(b, "%s=[", key);
	for (int i = 0; i < l->n; i++)
		buf_printf(b, "%s%.9g", i ? "," : "", l->v[i]);
	buf_puts(b, "]");
}

/* Every weight finite (the front end checked that), in [0, MAX_WEIGHT],
 * and not all zero; NULL or the message. */
static const char *check_weights(Ctx *c, const char *key, const NumList *w)
{
	double sum = 0;
	for (int i = 0; i < w->n; i++) {
		if (w->v[i] < 0 || w->v[i] > MAX_WEIGHT)
			return ctx_sprintf(c, "%s[%d] = %g; a weight must be in "
			                      "[0, %d]", key, i + 1, w->v[i], MAX_WEIGHT);
		sum += w->v[i];
	}
	if (sum <= 0)
		return ctx_sprintf(c, "%s are all zero: nothing would be learned",
		                   key);
	return NULL;
}

/* ---- softmax cross-entropy ------------------------------------------ */

/* With ε = label_smoothing, w = class_weights (all 1 if not given), C
 * classes and p = softmax(z), the loss is PyTorch's
 *   L = Σ_b Σ_c t[b,c]·(−log p[b,c]) / Σ_b w[y_b],
 *   t[b,c] = (1−ε)·w[y_b]·[c = y_b] + ε/C·w[c]
 * (the smoothing term is weighted by w[c] and normalized by Σ_b w[y_b] too),
 * so with a[b] = Σ_c t[b,c] the gradient is
 *   dL/dz[b,c] = (a[b]·p[b,c] − t[b,c]) / Σ_b w[y_b]. */
typedef struct CeAttr {
	double smoothing;            /* ε in [0, 1] */
	NumList weights;             /* n = 0: unweighted */
} CeAttr;

static const AttrKey ce_keys[] = {
	{"label_smoothing", AK_NUM, 0, 0, 0, offsetof(CeAttr, smoothing), 0, 1},
	{"class_weights", AK_NUMS, 0, 0, 0, offsetof(CeAttr, weights), 1, 0},
	{0},
};

static const CeAttr *ce_attr(const Node *n)
{
	static const CeAttr none;    /* nodes made without options */
	return n->attr ? n->attr : &none;
}

static const char *softmax_ce_shape(Ctx *c, Node *n)
{
	Node *z = in_node(c, n, 0), *y = in_node(c, n, 1);
	if (z->shape.n != 2 || z->shape.d[0] != BATCH)
		return ctx_sprintf(c, "logits must be [B,classes]; got %s",
		                   shape_str(c, &z->shape));
	if (y->op != &op_label)
		return ctx_sprintf(c, "the second argument must be a class label "
		                      "(nn.label{…}); got a %s tensor", y->op->name);
	const SourceAttr *la = y->attr;
	if (la->classes != z->shape.d[1])
		return ctx_sprintf(c, "label '%s' has %d classes but the logits "
		                      "have %d", la->name, la->classes,
		                   z->shape.d[1]);
	const CeAttr *a = ce_attr(n);
	if (a->weights.n) {
		if (a->weights.n != z->shape.d[1])
			return ctx_sprintf(c, "class_weights has %d value%s but there "
			                      "are %d classes", a->weights.n,
			                   a->weights.n == 1 ? "" : "s", z->shape.d[1]);
		const char *err = check_weights(c, "class_weights", &a->weights);
		if (err)
			return err;
	}
	if (a->smoothing == 0 && !a->weights.n)
		n->attr = NULL;   /* the defaults: the node (dumps, model hash)
		                     reads as it did before there were options */
	n->shape = (Shape){1, {1}};
	n->dtype = DT_F32;
	return NULL;
}

/* A loss is the root of the graph (dout is -1): the gradient of its
 * prediction is the op g on (prediction, label) with the loss's options;
 * the label has none. */
static void loss_grad(Ctx *c, Node *n, int dout, int *din, const OpDef *g)
{
	if (dout >= 0)
		bug("%s is used only as the training loss", n->op->name);
	din[0] = ir_make2(c, g, PH_BWD, n->in[0], n->in[1], n->attr, n->pos);
	din[1] = -1;
}

static void softmax_ce_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	loss_grad(c, n, dout, din, &op_softmax_ce_grad);
}

/* The loop head the emitters share: z is row b of x0, mx its maximum, s =
 * Σ_c exp(z[c] − mx), the exponentials also stored at dst (dz, or NULL). */
static void emit_row_head(Emit *e, int C, const char *dst)
{
	emit_line(e, "\tconst float *z = x0 + (long)b*%d;", C);
	emit_line(e, "\tconst int k = x1[b];");
	emit_line(e, "\tfloat mx = z[0];");
	emit_line(e, "\tfor (int c = 1; c < %d; c++) mx = z[c] > mx ? z[c] : mx;",
	          C);
	emit_line(e, "\tconst float s = nn_exp_sum(z, mx, %s, %d);", dst, C);
}

/* ---- mixup: λ·L(y) + (1−λ)·L(y2) ------------------------------------
 * The mix of two whole losses, each with its own normalizer W = Σ_b w[y_b]
 * and W2 = Σ_b w[y2_b] (the batch size when unweighted), so options mean
 * what they mean without mixing.  With i1 = λ/W, i2 = (1−λ)/W2 and the
 * notation above, a[b] = (1−ε)·w[y_b] + ε/C·Σ_c w[c], the gradient is
 *   dz[b,c] = (i1·a + i2·a2)·p[b,c] − ε/C·w[c]·(i1 + i2)
 *             − (1−ε)·(i1·w[y_b]·[c = y_b] + i2·w[y2_b]·[c = y2_b]).
 * The emitted code reads λ and y2 from the model (Emit.mix); without a
 * y2 it is λ = 1 and the loss is the plain one. */

/* w[k] as C: the class weight, or 1. */
static const char *ce_w(Emit *e, const CeAttr *a, const char *k)
{
	return a->weights.n ? ctx_sprintf(e->c, "cw[%s]", k) : "1";
}

/* The factors (1−ε)·w[k]· as C, each left out when it is 1. */
static const char *ce_factor(Emit *e, const CeAttr *a, const char *k)
{
	const char *eps = a->smoothing > 0 ?
	                  ctx_sprintf(e->c, "%s*", cfloat(e->c, 1 - a->smoothing))
	                  : "";
	return a->weights.n ? ctx_sprintf(e->c, "%scw[%s]*", eps, k) : eps;
}

/* The head both mixing emitters share: cw, y2 and λ. */
static void emit_mix_head(Emit *e, const CeAttr *a, const char *lam_t)
{
	emit_line(e, "/* mixup: %s·L(y) + (1−%s)·L(y2), each over its own "
	             "normalizer */", "λ", "λ");
	if (a->weights.n)
		emit_weights(e, "cw", &a->weights);
	emit_line(e, "const int32_t *y2 = m->mix_y ? m->mix_y : x1;");
	emit_line(e, "const %s lam = m->mix_y ? m->mix_lambda : 1;", lam_t);
}

static void softmax_ce_mix_emit(Emit *e, Node *n)
{
	Ctx *c = e->c;
	const CeAttr *a = ce_attr(n);
	int C = emit_dim(e, n, 0, 1);
	double eps = a->smoothing;
	emit_mix_head(e, a, "double");
	emit_line(e, "double total = 0, total2 = 0, wsum = 0, wsum2 = 0;");
	emit_line(e, "for (int b = 0; b < nrows; b++) {");
	emit_row_head(e, C, "NULL");
	emit_line(e, "\tconst int k2 = y2[b];");
	emit_line(e, "\tconst float lse = mx + logf(s);");
	if (eps > 0) {
		emit_line(e, "\tfloat smooth = 0;  /* Σ_c w[c]·(lse - z[c]) */");
		emit_line(e, "\tfor (int c = 0; c < %d; c++) smooth += %s*(lse - z[c]);",
		          C, ce_w(e, a, "c"));
	}
	const char *sm = eps > 0 ? ctx_sprintf(c, " + %s*smooth",
	                                       cfloat(c, eps / C)) : "";
	emit_line(e, "\ttotal += %s(lse - z[k])%s;", ce_factor(e, a, "k"), sm);
	emit_line(e, "\ttotal2 += %s(lse - z[k2])%s;", ce_factor(e, a, "k2"), sm);
	emit_line(e, "\twsum += %s;", ce_w(e, a, "k"));
	emit_line(e, "\twsum2 += %s;", ce_w(e, a, "k2"));
	emit_line(e, "}");
	emit_line(e, "y[0] = (float)(lam*(wsum > 0 ? total/wsum : 0) + "
	             "(1 - lam)*(wsum2 > 0 ? total2/wsum2 : 0));");
}

static void softmax_ce_mix_grad_emit(Emit *e, Node *n)
{
	Ctx *c = e->c;
	const CeAttr *a = ce_attr(n);
	int C = emit_dim(e, n, -1, 1), B = emit_dim(e, n, -1, 0);
	double eps = a->smoothing, wtotal = C;
	if (a->weights.n) {
		wtotal = 0;
		for (int i = 0; i < a->weights.n; i++)
			wtotal += a->weights.v[i];
	}
	emit_mix_head(e, a, "float");
	emit_line(e, "double wsum = 0, wsum2 = 0;  /* the normalizers */");
	emit_line(e, "for (int b = 0; b < nrows; b++) {");
	emit_line(e, "\twsum += %s;", ce_w(e, a, "x1[b]"));
	emit_line(e, "\twsum2 += %s;", ce_w(e, a, "y2[b]"));
	emit_line(e, "}");
	emit_line(e, "const float i1 = wsum > 0 ? (float)(lam / wsum) : 0;");
	emit_line(e, "const float i2 = wsum2 > 0 ? (float)((1 - lam) / wsum2) : 0;");
	emit_line(e, "for (int b = 0; b < %d; b++) {", B);
	emit_line(e, "\tfloat *dz = y + (long)b*%d;", C);
	emit_line(e, "\tif (b >= nrows) {");
	emit_line(e, "\t\tfor (int c = 0; c < %d; c++) dz[c] = 0;", C);
	emit_line(e, "\t\tcontinue;");
	emit_line(e, "\t}");
	emit_row_head(e, C, "dz");
	emit_line(e, "\tconst int k2 = y2[b];");
	emit_line(e, "\tconst float w1 = %si1, w2 = %si2;  /* (1−ε)·w[y]·i */",
	          ce_factor(e, a, "k"), ce_factor(e, a, "k2"));
	if (eps > 0) {
		emit_line(e, "\tconst float q = %s*(i1 + i2);", cfloat(c, eps / C));
		emit_line(e, "\tconst float p = (w1 + w2 + %s*q) / s;",
		          cfloat(c, wtotal));
		emit_line(e, "\tfor (int c = 0; c < %d; c++) dz[c] = dz[c]*p - "
		             "%sq;", C, a->weights.n ? "cw[c]*" : "");
	} else {
		emit_line(e, "\tconst float p = (w1 + w2) / s;");
		emit_line(e, "\tfor (int c = 0; c < %d; c++) dz[c] *= p;", C);
	}
	emit_line(e, "\tdz[k] -= w1;");
	emit_line(e, "\tdz[k2] -= w2;");
	emit_line(e, "}");
}

/* Per row in float: lse = logsumexp(z), the row's Σ_c t[c]·(lse − z[c]);
 * across rows in double. */
static void softmax_ce_emit(Emit *e, Node *n)
{
	Ctx *c = e->c;
	const CeAttr *a = ce_attr(n);
	int C = emit_dim(e, n, 0, 1), w = a->weights.n > 0;
	double eps = a->smoothing;
	if (e->mix && !e->eval) {
		softmax_ce_mix_emit(e, n);
		return;
	}
	if (w || eps > 0)
		emit_line(e, "/* cross_entropy(z, y%s%s%s), mean over Σ_b %s */",
		          w ? ", weight=cw" : "", eps > 0 ? ", label_smoothing=" : "",
		          eps > 0 ? ctx_sprintf(c, "%g", eps) : "",
		          w ? "cw[y_b]" : "1");
	if (w)
		emit_weights(e, "cw", &a->weights);
	emit_line(e, "double total = 0%s;", w ? ", wsum = 0" : "");
	emit_line(e, "for (int b = 0; b < nrows; b++) {");
	emit_row_head(e, C, "NULL");
	emit_line(e, "\tconst float lse = mx + logf(s);");
	if (eps > 0) {
		emit_line(e, "\tfloat smooth = 0;  /* Σ_c %s(lse - z[c]) */",
		          w ? "cw[c]·" : "");
		emit_line(e, "\tfor (int c = 0; c < %d; c++) smooth += %s(lse - z[c]);",
		          C, w ? "cw[c]*" : "");
		emit_line(e, "\ttotal += %s*%s(lse - z[k]) + %s*smooth;",
		          cfloat(c, 1 - eps), w ? "cw[k]*" : "",
		          cfloat(c, eps / C));
	} else {
		emit_line(e, "\ttotal += %s;", w ? "cw[k]*(lse - z[k])" : "lse - z[k]");
	}
	if (w)
		emit_line(e, "\twsum += cw[k];");
	emit_line(e, "}");
	if (w)
		emit_line(e, "y[0] = wsum > 0 ? (float)(total / wsum) : 0;");
	else
		emit_line(e, "y[0] = (float)(total / nrows);");
}

static double softmax_ce_flops(Ctx *c, Node *n)
{
	return 4.0 * (double)node_numel(c, in_node(c, n, 0));
}

static void softmax_ce_print(Buf *b, const Node *n)
{
	const CeAttr *a = ce_attr(n);   /* nothing for the defaults */
	if (a->smoothing > 0)
		buf_printf(b, "label_smoothing=%.9g", a->smoothing);
	if (a->weights.n) {
		buf_puts(b, a->smoothing > 0 ? " " : "");
		print_list(b, "class_weights", &a->weights);
	}
}

/* Correct: the largest logit is the label's. */
static void softmax_ce_correct(Emit *e, const Node *loss, const Node *pred)
{
	int C = emit_dim(e, loss, 0, 1);
	if (pred->shape.n != 2 || emit_dim(e, pred, -1, 1) != C)
		return;             /* the prediction is not the logits' shape */
	emit_line(e, "const float *p = NN_PREDICT;");
	emit_line(e, "for (int r = 0; r < rows; r++) {");
	emit_line(e, "\tint best = 0;");
	emit_line(e, "\tfor (int k = 1; k < %d; k++)", C);
	emit_line(e, "\t\tif (p[r * %d + k] > p[r * %d + best])", C, C);
	emit_line(e, "\t\t\tbest = k;");
	emit_line(e, "\tcorrect += best == yb[r];");
	emit_line(e, "}");
}

const OpDef op_softmax_ce = {
	.name = "softmax_ce", .nin = 2, .traits = OT_LOSS | OT_MIX,
	.emit_correct = softmax_ce_correct,
	.lua = "softmax_cross_entropy", .keys = ce_keys,
	.shape = softmax_ce_shape, .grad = softmax_ce_grad_rule,
	.emit = softmax_ce_emit, .flops = softmax_ce_flops,
	.attr_size = sizeof(CeAttr), .print_attr = softmax_ce_print,
};

/* dz = (a·softmax(z) − t) / Σ_b w[y_b], in one pass over each row. */
static void softmax_ce_grad_emit(Emit *e, Node *n)
{
	Ctx *c = e->c;
	const CeAttr *a = ce_attr(n);
	int C = emit_dim(e, n, -1, 1), B = emit_dim(e, n, -1, 0);
	int w = a->weights.n > 0;
	double eps = a->smoothing, wtotal = 0;
	if (e->mix) {
		softmax_ce_mix_grad_emit(e, n);
		return;
	}
	for (int i = 0; i < a->weights.n; i++)
		wtotal += a->weights.v[i];
	if (w) {
		emit_weights(e, "cw", &a->weights);
		emit_line(e, "double wsum = 0;  /* the normalizer Σ_b cw[y_b] */");
		emit_line(e, "for (int b = 0; b < nrows; b++) wsum += cw[x1[b]];");
		emit_line(e, "const float inv = wsum > 0 ? (float)(1 / wsum) : 0;");
	} else {
		emit_line(e, "const float inv = 1.0f / nrows;");
	}
	emit_line(e, "for (int b = 0; b < %d; b++) {", B);
	emit_line(e, "\tfloat *dz = y + (long)b*%d;", C);
	emit_line(e, "\tif (b >= nrows) {");
	emit_line(e, "\t\tfor (int c = 0; c < %d; c++) dz[c] = 0;", C);
	emit_line(e, "\t\tcontinue;");
	emit_line(e, "\t}");
	emit_row_head(e, C, "dz");
	if (eps > 0 && w) {
		/* t[c] = wy·[c = k] + ε/C·cw[c],  a = wy + ε/C·Σ_c cw[c] */
		emit_line(e, "\tconst float wy = %s*cw[k];", cfloat(c, 1 - eps));
		emit_line(e, "\tconst float p = (wy + %s) * inv / s;",
		          cfloat(c, eps / C * wtotal));
		emit_line(e, "\tfor (int c = 0; c < %d; c++) dz[c] = dz[c]*p - "
		             "%s*cw[c]*inv;", C, cfloat(c, eps / C));
		emit_line(e, "\tdz[k] -= wy*inv;");
	} else if (eps > 0) {
		/* t[c] = (1−ε)·[c = k] + ε/C,  a = 1 */
		emit_line(e, "\tconst float p = inv / s, q = %s*inv;",
		          cfloat(c, eps / C));
		emit_line(e, "\tfor (int c = 0; c < %d; c++) dz[c] = dz[c]*p - q;", C);
		emit_line(e, "\tdz[k] -= %s*inv;", cfloat(c, 1 - eps));
	} else {
		/* t[c] = w·[c = k],  a = w */
		emit_line(e, "\tconst float p = %sinv;", w ? "cw[k]*" : "");
		emit_line(e, "\tfor (int c = 0; c < %d; c++) dz[c] *= p / s;", C);
		emit_line(e, "\tdz[k] -= p;");
	}
	emit_line(e, "}");
}

const OpDef op_softmax_ce_grad = {
	.name = "softmax_ce_grad", .nin = 2, .traits = OT_TRAIN_ONLY,
	.shape = logits_shape, .emit = softmax_ce_grad_emit,
	.flops = softmax_ce_flops, .print_attr = softmax_ce_print,
};

/* ---- nll: softmax_ce unfused (--no-fuse, or --fuse without softmax_ce) --
 * The fusion pass splits softmax_ce(z, y) into lp = log_softmax(z) and
 * nll(lp, y), the mean of −Σ_c t[c]·lp[c] with softmax_ce's options (t:
 * the label's one-hot, smoothed, weighted): the loss, and its gradient
 *   dlp[b,c] = −t[b,c] / Σ_b w[y_b],
 * which log_softmax_grad turns into dz.  (Mixup keeps softmax_ce whole.) */
static void nll_emit(Emit *e, Node *n)
{
	Ctx *c = e->c;
	const CeAttr *a = ce_attr(n);
	int C = emit_dim(e, n, 0, 1), w = a->weights.n > 0;
	double eps = a->smoothing;
	if (w)
		emit_weights(e, "cw", &a->weights);
	emit_line(e, "double total = 0%s;", w ? ", wsum = 0" : "");
	emit_line(e, "for (int b = 0; b < nrows; b++) {");
	emit_line(e, "	const float *lp = x0 + (long)b*%d;", C);
	emit_line(e, "	const int k = x1[b];");
	if (eps > 0) {
		emit_line(e, "	float smooth = 0;");
		emit_line(e, "	for (int c = 0; c < %d; c++) smooth -= %slp[c];", C,
		          w ? "cw[c]*" : "");
		emit_line(e, "	total += %s*%s(-lp[k]) + %s*smooth;",
		          cfloat(c, 1 - eps), w ? "cw[k]*" : "", cfloat(c, eps / C));
	} else {
		emit_line(e, "	total -= %slp[k];", w ? "cw[k]*" : "");
	}
	if (w)
		emit_line(e, "	wsum += cw[k];");
	emit_line(e, "}");
	if (w)
		emit_line(e, "y[0] = wsum > 0 ? (float)(total / wsum) : 0;");
	else
		emit_line(e, "y[0] = (float)(total / nrows);");
}

static void nll_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	loss_grad(c, n, dout, din, &op_nll_grad);
}

const OpDef op_nll = {
	.name = "nll", .nin = 2, .traits = OT_LOSS,
	.emit_correct = softmax_ce_correct,
	.shape = softmax_ce_shape, .grad = nll_grad_rule, .emit = nll_emit,
	.flops = softmax_ce_flops, .attr_size = sizeof(CeAttr),
	.print_attr = softmax_ce_print,
};

static void nll_grad_emit(Emit *e, Node *n)
{
	Ctx *c = e->c;
	const CeAttr *a = ce_attr(n);
	int C = emit_dim(e, n, -1, 1), B = emit_dim(e, n, -1, 0);
	int w = a->weights.n > 0;
	double eps = a->smoothing;
	if (w) {
		emit_weights(e, "cw", &a->weights);
		emit_line(e, "double wsum = 0;");
		emit_line(e, "for (int b = 0; b < nrows; b++) wsum += cw[x1[b]];");
		emit_line(e, "const float inv = wsum > 0 ? (float)(1 / wsum) : 0;");
	} else {
		emit_line(e, "const float inv = 1.0f / nrows;");
	}
	emit_line(e, "(void)x0;");
	emit_line(e, "for (int b = 0; b < %d; b++) {", B);
	emit_line(e, "	float *d = y + (long)b*%d;", C);
	emit_line(e, "	for (int c = 0; c < %d; c++)", C);
	emit_line(e, "		d[c] = b < nrows ? %s : 0;", eps > 0 ?
	          ctx_sprintf(c, "-%s*%sinv", cfloat(c, eps / C), w ? "cw[c]*" : "")
	          : "0");
	emit_line(e, "	if (b < nrows)");
	emit_line(e, "		d[x1[b]] -= %s%sinv;", eps > 0 ?
	          ctx_sprintf(c, "%s*", cfloat(c, 1 - eps)) : "",
	          w ? "cw[x1[b]]*" : "");
	emit_line(e, "}");
}

const OpDef op_nll_grad = {
	.name = "nll_grad", .nin = 2, .traits = OT_TRAIN_ONLY,
	.shape = logits_shape, .emit = nll_grad_emit,
	.flops = softmax_ce_flops, .print_attr = softmax_ce_print,
};

/* softmax_ce(z, y) as log_softmax(z) then nll(lp, y): n becomes the
 * log_softmax, and the new nll node the loss. */
int softmax_ce_split(Ctx *c, Node *n)
{
	int in[2] = {n->id, n->in[1]};
	void *attr = n->attr;
	n->op = &op_log_softmax;
	n->nin = 1;
	n->attr = NULL;
	n->shape = in_node(c, n, 0)->shape;
	return ir_make(c, &op_nll, PH_FWD, in, 2, attr, n->pos);
}

/* ---- losses against a float target, mean over every element --------- */

static const char *target_loss_shape(Ctx *c, Node *n)
{
	Node *p = in_node(c, n, 0), *t = in_node(c, n, 1);
	if (t->op != &op_target)
		return ctx_sprintf(c, "the second argument must be a float target "
		                      "(nn.target{…}); got a %s tensor", t->op->name);
	if (!shape_eq(&p->shape, &t->shape))
		return ctx_sprintf(c, "prediction %s and target %s differ in shape",
		                   shape_str(c, &p->shape), shape_str(c, &t->shape));
	if (p->shape.d[0] != BATCH)
		return ctx_sprintf(c, "prediction must have the batch dimension; "
		                      "got %s", shape_str(c, &p->shape));
	if (p->dtype != DT_F32)
		return ctx_sprintf(c, "the prediction must be float; got an int32 "
		                      "tensor");
	n->shape = (Shape){1, {1}};
	n->dtype = DT_F32;
	return NULL;
}

/* Floats per sample of input i (i < 0: the output). */
static long per_row(Emit *e, const Node *n, int i)
{
	return emit_numel(e, n, i) / emit_dim(e, n, i, 0);
}

/* A target loss's gradient: y[i] = expr (in d = x0[i] − x1[i], k = the
 * factor of the mean) on the valid rows, 0 past them. */
static void emit_target_grad(Emit *e, Node *n, const char *k,
                             const char *expr)
{
	long row = per_row(e, n, -1);
	emit_line(e, "const float k = %s / ((float)nrows*%ld);", k, row);
	emit_line(e, "for (long i = 0; i < %ld; i++) {", emit_numel(e, n, -1));
	emit_line(e, "\tconst float d = x0[i] - x1[i];");
	emit_line(e, "\ty[i] = i < (long)nrows*%ld ? %s : 0;", row, expr);
	emit_line(e, "}");
}

/* A target loss: y = mean of term(d = x0[i] − x1[i]) over the valid rows,
 * summed in double. */
static void emit_target_loss(Emit *e, Node *n, const char *term)
{
	long row = per_row(e, n, 0);
	emit_line(e, "double total = 0;");
	emit_line(e, "for (long i = 0; i < (long)nrows*%ld; i++) {", row);
	emit_line(e, "\tconst float d = x0[i] - x1[i];");
	emit_line(e, "\ttotal += %s;", term);
	emit_line(e, "}");
	emit_line(e, "y[0] = (float)(total / ((double)nrows*%ld));", row);
}

static double target_loss_flops(Ctx *c, Node *n)
{
	return 3.0 * (double)node_numel(c, in_node(c, n, 0));
}

/* ---- mean squared error ---------------------------------------------- */

static void mse_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	loss_grad(c, n, dout, din, &op_mse_grad);
}

static void mse_emit(Emit *e, Node *n)
{
	emit_target_loss(e, n, "d*d");
}

static void mse_grad_emit(Emit *e, Node *n)
{
	emit_target_grad(e, n, "2.0f", "k*d");
}

const OpDef op_mse = {
	.name = "mse", .nin = 2, .traits = OT_LOSS, .lua = "mse",
	.shape = target_loss_shape, .grad = mse_grad_rule, .emit = mse_emit,
	.flops = target_loss_flops, .print_attr = print_no_attr,
};

const OpDef op_mse_grad = {
	.name = "mse_grad", .nin = 2, .traits = OT_TRAIN_ONLY,
	.shape = logits_shape, .emit = mse_grad_emit,
	.flops = target_loss_flops, .print_attr = print_no_attr,
};

/* ---- mean absolute error: PyTorch's l1_loss, gradient sign(p − t)/N,
 * 0 where p = t ------------------------------------------------------- */

static void l1_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	loss_grad(c, n, dout, din, &op_l1_grad);
}

static void l1_emit(Emit *e, Node *n)
{
	emit_target_loss(e, n, "fabsf(d)");
}

static void l1_grad_emit(Emit *e, Node *n)
{
	emit_target_grad(e, n, "1.0f", "d > 0 ? k : d < 0 ? -k : 0");
}

const OpDef op_l1 = {
	.name = "l1", .nin = 2, .traits = OT_LOSS, .lua = "l1",
	.shape = target_loss_shape, .grad = l1_grad_rule, .emit = l1_emit,
	.flops = target_loss_flops, .print_attr = print_no_attr,
};

const OpDef op_l1_grad = {
	.name = "l1_grad", .nin = 2, .traits = OT_TRAIN_ONLY,
	.shape = logits_shape, .emit = l1_grad_emit,
	.flops = target_loss_flops, .print_attr = print_no_attr,
};

/* ---- binary cross-entropy on logits ---------------------------------- */

/* PyTorch's binary_cross_entropy_with_logits, mean over every element:
 *   ℓ = (1 − t)·z + (1 + (pw − 1)·t)·softplus(−z)
 * with softplus(−z) = log(1 + e^−z) = max(−z, 0) + log1p(e^−|z|), which
 * neither overflows nor loses the small values; its gradient
 *   dℓ/dz = (1 + (pw − 1)·t)·σ(z) − pw·t.
 * pos_weight pw broadcasts like PyTorch's: one number, or one per entry of
 * the last dimension (per output of a [B,outputs] prediction). */
typedef struct BceAttr {
	NumList pos_weight;          /* n = 0: 1 */
} BceAttr;

static const AttrKey bce_keys[] = {
	{"pos_weight", AK_NUMS, 0, 0, 0, offsetof(BceAttr, pos_weight), 1, 0},
	{0},
};

static const BceAttr *bce_attr(const Node *n)
{
	static const BceAttr none;
	return n->attr ? n->attr : &none;
}

static const char *bce_shape(Ctx *c, Node *n)
{
	const char *err = target_loss_shape(c, n);
	if (err)
		return err;
	const NumList *pw = &bce_attr(n)->pos_weight;
	const Shape *s = &in_node(c, n, 0)->shape;
	if (pw->n > 1 && (s->n < 2 || pw->n != s->d[s->n - 1]))
		return ctx_sprintf(c, "pos_weight has %d values but the logits %s "
		                      "have %d in their last dimension (give one "
		                      "number, or one per output)", pw->n,
		                   shape_str(c, s), s->n < 2 ? 1 : s->d[s->n - 1]);
	if (pw->n) {
		err = check_weights(c, "pos_weight", pw);
		if (err)
			return err;
	} else {
		n->attr = NULL;   /* the default: no attributes in dumps or hash */
	}
	return NULL;
}

static void bce_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	loss_grad(c, n, dout, din, &op_sigmoid_bce_grad);
}

/* Opens the loop over the valid elements (over all of them with `all`):
 * z, t and, with a pos_weight list, j (the last dimension's index) of
 * element i.  Returns the braces to close. */
static int emit_bce_loop(Emit *e, Node *n, int all)
{
	const NumList *pw = &bce_attr(n)->pos_weight;
	long row = per_row(e, n, 0);
	int K = pw->n > 1 ? pw->n : 1;
	const char *count =
		all ? ctx_sprintf(e->c, "%ld", emit_numel(e, n, 0) / K)
		: row == K ? "nrows" : ctx_sprintf(e->c, "(long)nrows*%ld", row / K);
	if (K > 1) {
		emit_line(e, "for (long r = 0; r < %s; r++) {", count);
		emit_line(e, "	for (int j = 0; j < %d; j++) {", K);
		e->indent++;
		emit_line(e, "	const long i = r*%d + j;", K);
	} else {
		emit_line(e, "for (long i = 0; i < %s; i++) {", count);
	}
	emit_line(e, "	const float z = x0[i], t = x1[i];");
	return K > 1 ? 2 : 1;
}

static void emit_bce_close(Emit *e, int braces)
{
	if (braces == 2) {
		emit_line(e, "}");
		e->indent--;
	}
	emit_line(e, "}");
}

/* The pos_weight comment and array both emitters start with. */
static void emit_bce_head(Emit *e, Node *n)
{
	const NumList *pw = &bce_attr(n)->pos_weight;
	if (pw->n > 1) {
		emit_line(e, "/* pos_weight per entry j of the last dimension */");
		emit_weights(e, "pw", pw);
	} else if (pw->n == 1) {
		emit_line(e, "/* pos_weight = %g */", pw->v[0]);
	}
}

/* The expression of 1 + (pw − 1)·t, the weight of softplus(−z). */
static const char *bce_log_weight(Emit *e, Node *n)
{
	const NumList *pw = &bce_attr(n)->pos_weight;
	if (pw->n > 1)
		return "(1 + (pw[j] - 1)*t)";
	if (pw->n == 1)
		return ctx_sprintf(e->c, "(1 + %s*t)", cfloat(e->c, pw->v[0] - 1));
	return NULL;
}

static void bce_emit(Emit *e, Node *n)
{
	const char *lw = bce_log_weight(e, n);
	long row = per_row(e, n, 0);
	emit_bce_head(e, n);
	emit_line(e, "double total = 0;");
	int braces = emit_bce_loop(e, n, 0);
	emit_line(e, "\tconst float sp = (z < 0 ? -z : 0) + log1pf(expf(-fabsf(z)));"
	             "  /* softplus(-z) */");
	emit_line(e, "\ttotal += (1 - t)*z + %s%ssp;", lw ? lw : "",
	          lw ? "*" : "");
	emit_bce_close(e, braces);
	emit_line(e, "y[0] = (float)(total / ((double)nrows*%ld));", row);
}

static void bce_grad_emit(Emit *e, Node *n)
{
	Ctx *c = e->c;
	const NumList *pw = &bce_attr(n)->pos_weight;
	const char *lw = bce_log_weight(e, n);
	long row = per_row(e, n, -1);
	emit_bce_head(e, n);
	emit_line(e, "const float k = 1.0f / ((float)nrows*%ld);", row);
	int braces = emit_bce_loop(e, n, 1);
	emit_line(e, "\tif (i >= (long)nrows*%ld) {", row);
	emit_line(e, "\t\ty[i] = 0;");
	emit_line(e, "\t\tcontinue;");
	emit_line(e, "\t}");
	emit_line(e, "\tconst float sig = 1 / (1 + expf(-z));");
	if (!lw)
		emit_line(e, "\ty[i] = (sig - t)*k;");
	else
		emit_line(e, "\ty[i] = (%s*sig - %s*t)*k;", lw,
		          pw->n > 1 ? "pw[j]" : cfloat(c, pw->v[0]));
	emit_bce_close(e, braces);
}

static double bce_flops(Ctx *c, Node *n)
{
	return 8.0 * (double)node_numel(c, in_node(c, n, 0));
}

static void bce_print(Buf *b, const Node *n)
{
	const BceAttr *a = bce_attr(n);
	if (a->pos_weight.n)
		print_list(b, "pos_weight", &a->pos_weight);
}

/* A binary classifier (one output): class 1 when the logit is above 0,
 * or its sigmoid above 0.5 when that is the prediction. */
static void bce_correct(Emit *e, const Node *loss, const Node *pred)
{
	const Node *z = ir_node(e->c, loss->in[0]);
	if (emit_numel(e, pred, -1) != emit_dim(e, pred, -1, 0))
		return;             /* more than one output per sample */
	const char *cut = pred == z ? "0" :
	                  pred->op == &op_sigmoid && pred->in[0] == z->id ? "0.5f"
	                                                                   : NULL;
	if (!cut)
		return;
	emit_line(e, "const float *p = NN_PREDICT;");
	emit_line(e, "for (int r = 0; r < rows; r++)  /* class 1 above %s */",
	          cut);
	emit_line(e, "\tcorrect += (p[r] > %s) == (yb[r] > 0.5f);", cut);
}

const OpDef op_sigmoid_bce = {
	.name = "sigmoid_bce", .nin = 2, .traits = OT_LOSS,
	.lua = "sigmoid_bce", .keys = bce_keys, .emit_correct = bce_correct,
	.shape = bce_shape, .grad = bce_grad_rule, .emit = bce_emit,
	.flops = bce_flops, .attr_size = sizeof(BceAttr),
	.print_attr = bce_print,
};

const OpDef op_sigmoid_bce_grad = {
	.name = "sigmoid_bce_grad", .nin = 2, .traits = OT_TRAIN_ONLY,
	.shape = logits_shape, .emit = bce_grad_emit, .flops = bce_flops,
	.print_attr = bce_print,
};
