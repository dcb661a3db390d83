/*
 * norm.c — batch normalization and layer normalization, as PyTorch's
 * nn.BatchNorm1d/2d and nn.LayerNorm compute them.
 *
 * batchnorm{momentum, eps} normalizes [B,F] per feature and [B,C,H,W]
 * per channel (dimension 1, as bias_add) over N = B·H·W values:
 *
 *   stats = bn_stats(x, running_mean, running_var)   [3,C]: mean, 1/√(var+eps), var
 *   y     = bn_apply(x, stats, γ, β)                  (x − mean)·istd·γ + β
 *   bn_running(stats, running_mean, running_var)      update phase
 *
 * In training bn_stats takes the batch's statistics (biased variance);
 * in evaluation (predict, evaluate) it reads the running statistics, so
 * a sample's prediction does not depend on the rest of its batch.  The
 * running statistics move in the update phase, which only train_step
 * runs: loss() and gradient() leave them alone.  They follow PyTorch:
 * running = (1 − momentum)·running + momentum·batch, with the unbiased
 * batch variance for running_var.
 *
 * Backward, with x̂ = (x − mean)·istd and sums over a channel's N values:
 *   dβ = bias_grad(dy) = Σ dy,   dγ = bn_gamma_grad(dy, x, stats) = Σ dy·x̂,
 *   dx = bn_dx(dy, x, stats, γ, dγ, dβ) = γ·istd·(dy − dβ/N − x̂·dγ/N).
 * bn_apply stays a node of its own so that a fusion pass can give it a
 * ReLU epilogue.
 *
 * layernorm{eps} normalizes the last dimension F of [B,…,F], one row at a
 * time, with an affine γ, β of [F]; training and evaluation agree:
 *   stats = ln_stats(x)                  [B,…,2]: mean, 1/√(var+eps) per row
 *   y     = ln_apply(x, stats, γ, β)
 * Backward, with g = dy·γ and means over a row's F values:
 *   dγ = ln_gamma_grad(dy, x, stats) = Σ_rows dy·x̂,  dβ = sum_rows(dy),
 *   dx = ln_dx(dy, x, stats, γ) = istd·(g − mean(g) − x̂·mean(g·x̂)).
 *
 * bn_stats of [B,C,H,W] reduces plane by plane: each plane's Σx and
 * Σ(x − its mean)², the second pass from cache (nn_plane_moments), then
 * per channel the planes combined in sample order (nn_bn_moments): one
 * pass over x from memory.
 *
 * Statistics are accumulated in double, each in one fixed order, so the
 * results do not depend on the thread count.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../nncc.h"

/* Loops over more elements than this are split between threads. */
enum { PAR_MIN = 1 << 15 };

typedef struct NormAttr {
	double momentum;     /* batchnorm only */
	double eps;
} NormAttr;

static void norm_print(Buf *b, const Node *n)
{
	const NormAttr *a = n->attr;
	buf_printf(b, "eps=%g momentum=%g", a->eps, a->momentum);
}

static const char *check_eps(Ctx *c, const NormAttr *a)
{
	if (!(a->eps > 0))
		return ctx_sprintf(c, "'eps' = %g must be positive", a->eps);
	return NULL;
}

/* A batch-resolved [B,C,…] as B × C × inner. */
typedef struct Split {
	long outer;
	int ch;
	long inner;
	long n;              /* values per channel: outer·inner */
} Split;

static Split split_of(Emit *e, const Node *x)
{
	Split s;
	s.outer = emit_dim(e, x, -1, 0);
	s.ch = emit_dim(e, x, -1, 1);
	s.inner = emit_numel(e, x, -1) / (s.outer * s.ch);
	s.n = s.outer * s.inner;
	return s;
}

/* The flat index of element (b, c, i). */
static const char *idx(Emit *e, const Split *s)
{
	if (s->inner == 1)
		return ctx_sprintf(e->c, "(long)b*%d + c", s->ch);
	return ctx_sprintf(e->c, "((long)b*%d + c)*%ld + i", s->ch, s->inner);
}

/* Opens `for b` (and `for i` when there are spatial positions) around a
 * body at the current indent + the returned depth, the innermost loop
 * with a brace when `brace`; close_bi undoes it. */
static int open_bi(Emit *e, const Split *s, int brace)
{
	const char *br = brace ? " {" : "";
	if (s->inner == 1) {
		emit_line(e, "for (int b = 0; b < %ld; b++)%s", s->outer, br);
		e->indent++;
		return 1;
	}
	emit_line(e, "for (int b = 0; b < %ld; b++)", s->outer);
	e->indent++;
	emit_line(e, "for (long i = 0; i < %ld; i++)%s", s->inner, br);
	e->indent++;
	return 2;
}

static void close_bi(Emit *e, int depth, int brace)
{
	e->indent--;
	if (brace)
		emit_line(e, "}");
	e->indent -= depth - 1;
}

static void par_for(Emit *e, long numel)
{
	if (numel >= PAR_MIN)
		emit_line(e, "NN_OMP(\"omp parallel for schedule(static)\")");
}

/* ---- batchnorm: statistics -------------------------------------------- */

static const char *bn_stats_shape(Ctx *c, Node *n)
{
	const Shape *x = &in_node(c, n, 0)->shape;
	if (x->n < 2)
		return ctx_sprintf(c, "needs a channel dimension; got %s",
		                   shape_str(c, x));
	for (int i = 1; i <= 2; i++)
		if (in_node(c, n, i)->shape.n != 1 ||
		    in_node(c, n, i)->shape.d[0] != x->d[1])
			bug("bn_stats: running statistics do not fit %s",
			    shape_str(c, x));
	n->shape = (Shape){2, {3, x->d[1]}};
	n->dtype = DT_F32;
	return NULL;
}

/* Never reached: bn_apply's dx already goes through the statistics. */
static void no_grad(Ctx *c, Node *n, int dout, int *din)
{
	(void)c;
	(void)dout;
	for (int i = 0; i < n->nin; i++)
		din[i] = -1;
}

/* x [B,C,…] (not [B,F]) is reduced plane by plane: two doubles a plane
 * of scratch, its moments (nn_plane_moments), then nn_bn_moments. */
static int by_planes(Ctx *c, const Node *n)
{
	return in_node(c, n, 0)->shape.n > 2;
}

static long bn_stats_scratch(Ctx *c, Node *n)
{
	return by_planes(c, n) ? plane_reduce_scratch(c, in_node(c, n, 0), 2) : 0;
}

static void bn_stats_emit(Emit *e, Node *n)
{
	const NormAttr *a = n->attr;
	Split s = split_of(e, in_node(e->c, n, 0));
	int C = s.ch;
	if (e->eval) {
		emit_line(e, "/* evaluation: the running statistics */");
		emit_line(e, "(void)x0;");
		emit_line(e, "(void)scratch;");
		emit_line(e, "for (int c = 0; c < %d; c++) {", C);
		emit_line(e, "\ty[c] = x1[c];");
		emit_line(e, "\ty[%d + c] = (float)(1 / sqrt((double)x2[c] + %s));",
		          C, cdouble(e->c, a->eps));
		emit_line(e, "\ty[%d + c] = x2[c];", 2 * C);
		emit_line(e, "}");
		return;
	}
	emit_line(e, "(void)x1;");
	emit_line(e, "(void)x2;");
	if (by_planes(e->c, n)) {
		emit_line(e, "/* training: the batch's statistics from the "
		             "moments of its planes */");
		par_for(e, s.n * C);
		emit_line(e, "for (long bc = 0; bc < %ld; bc++)", s.outer * C);
		emit_line(e, "\tnn_plane_moments(x0 + bc*%ld, %ld, (double *)"
		             "(void *)scratch + bc*2);", s.inner, s.inner);
		emit_line(e, "nn_bn_moments((const double *)(void *)scratch, %ld, "
		             "%d, %ld, %s, y);", s.outer, C, s.inner,
		          cdouble(e->c, a->eps));
		return;
	}
	const char *ix = idx(e, &s);
	emit_line(e, "/* training: the batch's statistics over %ld values a "
	             "feature, in double */", s.n);
	emit_line(e, "(void)scratch;");
	par_for(e, s.n * C);
	emit_line(e, "for (int c = 0; c < %d; c++) {", C);
	e->indent++;
	emit_line(e, "double sum = 0, sq = 0;");
	int d = open_bi(e, &s, 0);
	emit_line(e, "sum += x0[%s];", ix);
	close_bi(e, d, 0);
	emit_line(e, "const double mean = sum / %ld;", s.n);
	d = open_bi(e, &s, 1);
	emit_line(e, "const double dev = x0[%s] - mean;", ix);
	emit_line(e, "sq += dev * dev;");
	close_bi(e, d, 1);
	emit_line(e, "const double var = sq / %ld;  /* biased */", s.n);
	emit_line(e, "y[c] = (float)mean;");
	emit_line(e, "y[%d + c] = (float)(1 / sqrt(var + %s));", C,
	          cdouble(e->c, a->eps));
	emit_line(e, "y[%d + c] = (float)var;", 2 * C);
	e->indent--;
	emit_line(e, "}");
}

static double bn_stats_flops(Ctx *c, Node *n)
{
	return 4.0 * (double)node_numel(c, in_node(c, n, 0));
}

const OpDef op_bn_stats = {
	.name = "bn_stats", .nin = 3,
	.shape = bn_stats_shape, .grad = no_grad, .emit = bn_stats_emit,
	.scratch = bn_stats_scratch, .flops = bn_stats_flops,
	.attr_size = sizeof(NormAttr), .print_attr = norm_print,
};

/* ---- batchnorm: y = (x − mean)·istd·γ + β ------------------------------ */

/* Opens b, c loops with the channel's constants, then one prelude call
 * per plane (or per value, for [B,F]): `o` is the plane's offset. */
static void bn_planes(Emit *e, const Split *s, const char *consts)
{
	par_for(e, s->n * s->ch);
	emit_line(e, "for (int b = 0; b < %ld; b++)", s->outer);
	emit_line(e, "\tfor (int c = 0; c < %d; c++) {", s->ch);
	emit_line(e, "\t\tconst long o = ((long)b*%d + c)*%ld;", s->ch,
	          s->inner);
	emit_line(e, "\t\t%s", consts);
}

/* A channel's constants, as the prelude's batch-norm kernels take them:
 * the forward's from x1 stats, x2 γ, x3 β; the backward's (with k = istd·γ
 * for the ReLU's mask) from x2 stats, x3 γ, x4 β. */
static const char *fwd_consts(Ctx *c, int C)
{
	return ctx_sprintf(c, "const float mean = x1[c], k = x1[%d + c] * x2[c], "
	                      "beta = x3[c];", C);
}

/* A batch-norm forward kernel's call on plane o, `call` with the plane's
 * values for its %ld: every plane in threads (bn_fwd), or sample b's
 * planes (bn_sample, fusion by_sample), in the same order. */
static void bn_fwd(Emit *e, Node *n, const char *call)
{
	Split s = split_of(e, n);
	bn_planes(e, &s, fwd_consts(e->c, s.ch));
	emit_line(e, "\t\t%s", ctx_sprintf(e->c, call, s.inner));
	emit_line(e, "\t}");
}

static void bn_sample(Emit *e, Node *n, const char *call)
{
	Split s = split_of(e, n);
	emit_line(e, "for (int c = 0; c < %d; c++) {", s.ch);
	emit_line(e, "\tconst long o = ((long)b*%d + c)*%ld;", s.ch, s.inner);
	emit_line(e, "\t%s", fwd_consts(e->c, s.ch));
	emit_line(e, "\t%s", ctx_sprintf(e->c, call, s.inner));
	emit_line(e, "}");
}

static const char BN_APPLY[] = "nn_bn_fwd(x0 + o, y + o, %ld, mean, k, beta, 0);",
                  BN_RELU[] = "nn_bn_fwd(x0 + o, y + o, %ld, mean, k, beta, 1);",
                  BN_ADD_RELU[] = "nn_bn_add_relu(x0 + o, x4 + o, y + o, %ld, "
                                  "mean, k, beta);";

static const char *bwd_consts(Ctx *c, int C)
{
	return ctx_sprintf(c, "const float mean = x2[c], istd = x2[%d + c], "
	                      "k = istd * x3[c], beta = x4[c];", C);
}

static const char *same_as_x(Ctx *c, Node *n)
{
	n->shape = in_node(c, n, 0)->shape;
	n->dtype = DT_F32;
	return NULL;
}

/* dβ = Σ dy (bias_grad), dγ = Σ dy·x̂ (bn_gamma_grad), then dx; with
 * fusion bn_sums both sums come from one pass (bn_sums, rows picked by
 * bn_pick), the same bits: bn_gamma_grad's pass adds up Σ dy anyway. */
static void bn_apply_grad(Ctx *c, Node *n, int dout, int *din)
{
	int x = n->in[0], st = n->in[1], gamma = n->in[2], db, dg;
	int in[6] = {dout, x, st};
	if (c->fuse & FUSE_BN_SUMS) {
		int sums = ir_make(c, &op_bn_sums, PH_BWD, in, 3, NULL, n->pos);
		int *row = ctx_alloc(c, 2 * sizeof *row);
		row[1] = 1;
		db = ir_make1(c, &op_bn_pick, PH_BWD, sums, row, n->pos);
		dg = ir_make1(c, &op_bn_pick, PH_BWD, sums, row + 1, n->pos);
	} else {
		db = ir_make1(c, &op_bias_grad, PH_BWD, dout, NULL, n->pos);
		dg = ir_make(c, &op_bn_gamma_grad, PH_BWD, in, 3, NULL, n->pos);
	}
	in[3] = gamma;
	in[4] = dg;
	in[5] = db;
	din[0] = ir_make(c, &op_bn_dx, PH_BWD, in, 6, NULL, n->pos);
	din[1] = -1;
	din[2] = dg;
	din[3] = db;
}

static void bn_apply_emit(Emit *e, Node *n)
{
	bn_fwd(e, n, BN_APPLY);
}

static double bn_apply_flops(Ctx *c, Node *n)
{
	return flops_per_elem(c, n, 3);
}

const OpDef op_bn_apply = {
	.name = "bn_apply", .nin = 4,
	.shape = same_as_x, .grad = bn_apply_grad, .emit = bn_apply_emit,
	.flops = bn_apply_flops, .print_attr = print_no_attr,
};

/* ---- batch norm + residual add + ReLU, fused (fusion bn_add_relu) ------
 * y = max(0, bn(x) + h), one pass: batch norm's output is never stored.
 * The backward is the parts' (fuse.c's fused_grad): the ReLU's mask from
 * y, the add's dy to h and to batch norm, whose rule reads x.  x0 x, x1
 * stats, x2 γ, x3 β, x4 h. */
static void bn_add_relu_emit(Emit *e, Node *n)
{
	bn_fwd(e, n, BN_ADD_RELU);
}

static void bn_add_relu_sample(Emit *e, Node *n)
{
	bn_sample(e, n, BN_ADD_RELU);
}

const OpDef op_bn_add_relu = {
	.name = "bn_add_relu", .nin = 5, .traits = OT_FUSED,
	.shape = fused_shape, .grad = fused_grad, .emit = bn_add_relu_emit,
	.emit_sample = bn_add_relu_sample, .flops = fused_flops,
	.print_attr = fused_print,
};

/* ---- batchnorm: backward ----------------------------------------------- */

static const char *per_channel(Ctx *c, Node *n)
{
	n->shape = (Shape){1, {in_node(c, n, 0)->shape.d[1]}};
	n->dtype = DT_F32;
	return NULL;
}

/* Two doubles a plane of input 0 (emit_plane_reduce). */
static long sums_scratch(Ctx *c, Node *n)
{
	return plane_reduce_scratch(c, in_node(c, n, 0), 2);
}

/* The sums of dy over each channel's values, in double, plane by plane:
 * Σ dy and Σ dy·x̂ (nn_plane_sums with x̂), from row `skip` on. */
static void emit_dy_sums(Emit *e, Node *n, int skip)
{
	Split s = split_of(e, in_node(e->c, n, 0));
	emit_plane_reduce(e, s.outer, s.ch, s.inner, 2, skip, ctx_sprintf(e->c,
	                  "const float mean = x2[c], istd = x2[%d + c];", s.ch),
	                  ctx_sprintf(e->c, "nn_plane_sums(x0 + o, x1 + o, %ld, "
	                  "mean, istd, 0, 0, 0, 1, pp);", s.inner));
}

/* dγ[c] = Σ dy·x̂: the second of the sums, the first (Σ dy) dropped. */
static void bn_gamma_grad_emit(Emit *e, Node *n)
{
	emit_dy_sums(e, n, 1);
}

const OpDef op_bn_gamma_grad = {
	.name = "bn_gamma_grad", .nin = 3, .traits = OT_TRAIN_ONLY,
	.shape = per_channel, .emit = bn_gamma_grad_emit,
	.scratch = sums_scratch, .flops = bn_apply_flops,
	.print_attr = print_no_attr,
};

/* [2,C]: Σ dy and Σ dy·x̂ of each channel of x, input `in` */
static const char *sums_shape_of(Ctx *c, Node *n, int in)
{
	n->shape = (Shape){2, {2, in_node(c, n, in)->shape.d[1]}};
	n->dtype = DT_F32;
	return NULL;
}

static const char *bn_sums_shape(Ctx *c, Node *n)
{
	return sums_shape_of(c, n, 0);
}

/* [2,C]: both sums (fusion bn_sums), where bn_gamma_grad drops Σ dy and
 * bias_grad makes a pass of its own for it. */
static void bn_sums_emit(Emit *e, Node *n)
{
	emit_dy_sums(e, n, 0);
}

const OpDef op_bn_sums = {
	.name = "bn_sums", .nin = 3, .traits = OT_TRAIN_ONLY | OT_FUSED,
	.shape = bn_sums_shape, .emit = bn_sums_emit,
	.scratch = sums_scratch, .flops = bn_apply_flops,
	.print_attr = print_no_attr,
};

/* dx = γ·istd·(dy − dβ/N − x̂·dγ/N), the batch statistics' own gradient
 * included. */
static void bn_dx_emit(Emit *e, Node *n)
{
	Split s = split_of(e, n);
	int C = s.ch;
	bn_planes(e, &s, ctx_sprintf(e->c, "const float mean = x2[c], "
	          "istd = x2[%d + c];", C));
	emit_line(e, "\t\tnn_bn_dx(x0 + o, x1 + o, y + o, %ld, mean, istd, 0, 0, "
	             "x3[c] * istd, x5[c] / %ld.0f, x4[c] / %ld.0f, 0);", s.inner,
	          s.n, s.n);
	emit_line(e, "\t}");
}

static double bn_dx_flops(Ctx *c, Node *n)
{
	return flops_per_elem(c, n, 6);
}

const OpDef op_bn_dx = {
	.name = "bn_dx", .nin = 6, .traits = OT_TRAIN_ONLY,
	.shape = same_as_x, .emit = bn_dx_emit, .flops = bn_dx_flops,
	.print_attr = print_no_attr,
};

/* ---- batchnorm + ReLU, fused (fuse.c, fusion bn_relu) -------------------
 * Forward: y = max(0, (x − mean)·istd·γ + β) in one pass.  Backward: the
 * ReLU's mask m = [y > 0] is recomputed from x (which batch norm's
 * backward reads anyway), so neither y nor the masked dy is read or
 * written:
 *   sums = bn_relu_sums(dy, x, stats, γ, β)   [2,C]: Σ m·dy, Σ m·dy·x̂
 *   dβ, dγ = rows 0 and 1 of sums (bn_pick)
 *   dx = bn_relu_dx(dy, x, stats, γ, β, sums)
 * two passes where the unfused graph makes four (relu_grad, bias_grad,
 * bn_gamma_grad, bn_dx), nine tensor reads and writes down to five. */

static void bn_relu_emit(Emit *e, Node *n)
{
	bn_fwd(e, n, BN_RELU);
}

static void bn_relu_sample(Emit *e, Node *n)
{
	bn_sample(e, n, BN_RELU);
}

/* The backward of a fused batch norm + ReLU (+ pool) n over x, stats, γ,
 * β: sums = `sums`(dout, x, stats, γ, β), dβ and dγ its rows (bn_pick),
 * dx = `dx`(dout, x, stats, γ, β, sums). */
static void bn_fused_grad(Ctx *c, Node *n, int dout, int *din,
                          const OpDef *sums_op, const OpDef *dx_op)
{
	int in[6] = {dout, n->in[0], n->in[1], n->in[2], n->in[3]};
	int sums = ir_make(c, sums_op, PH_BWD, in, 5, NULL, n->pos);
	int *row = ctx_alloc(c, 2 * sizeof *row);
	row[1] = 1;
	din[3] = ir_make1(c, &op_bn_pick, PH_BWD, sums, row, n->pos);
	din[2] = ir_make1(c, &op_bn_pick, PH_BWD, sums, row + 1, n->pos);
	in[5] = sums;
	din[0] = ir_make(c, dx_op, PH_BWD, in, 6, NULL, n->pos);
	din[1] = -1;
}

static void bn_relu_grad(Ctx *c, Node *n, int dout, int *din)
{
	bn_fused_grad(c, n, dout, din, &op_bn_relu_sums, &op_bn_relu_dx);
}

static double bn_relu_flops(Ctx *c, Node *n)
{
	return flops_per_elem(c, n, 4);
}

const OpDef op_bn_relu = {
	.name = "bn_relu", .nin = 4, .traits = OT_FUSED,
	.shape = same_as_x, .grad = bn_relu_grad, .emit = bn_relu_emit,
	.emit_sample = bn_relu_sample, .flops = bn_relu_flops,
	.print_attr = fused_print,
};

static const char *bn_relu_sums_shape(Ctx *c, Node *n)
{
	return sums_shape_of(c, n, 0);
}

/* x0 dy, x1 x, x2 stats, x3 γ, x4 β: per channel, in double, plane by
 * plane in the prelude's lane order. */
static void bn_relu_sums_emit(Emit *e, Node *n)
{
	Split s = split_of(e, in_node(e->c, n, 0));
	emit_plane_reduce(e, s.outer, s.ch, s.inner, 2, 0, bwd_consts(e->c, s.ch),
	                  ctx_sprintf(e->c,
	                  "nn_plane_sums(x0 + o, x1 + o, %ld, mean, istd, k, beta, "
	                  "1, 1, pp);", s.inner));
}


const OpDef op_bn_relu_sums = {
	.name = "bn_relu_sums", .nin = 5, .traits = OT_TRAIN_ONLY | OT_FUSED,
	.shape = bn_relu_sums_shape, .emit = bn_relu_sums_emit,
	.scratch = sums_scratch, .flops = bn_apply_flops,
	.print_attr = print_no_attr,
};

/* Row *attr of a [2,C] tensor. */
static const char *bn_pick_shape(Ctx *c, Node *n)
{
	n->shape = (Shape){1, {in_node(c, n, 0)->shape.d[1]}};
	n->dtype = DT_F32;
	return NULL;
}

static void bn_pick_emit(Emit *e, Node *n)
{
	int C = n->shape.d[0], r = *(const int *)n->attr;
	emit_line(e, "for (int c = 0; c < %d; c++)", C);
	emit_line(e, "\ty[c] = x0[%d + c];", r * C);
}

static void bn_pick_print(Buf *b, const Node *n)
{
	buf_printf(b, "row=%d", *(const int *)n->attr);
}

const OpDef op_bn_pick = {
	.name = "bn_pick", .nin = 1, .traits = OT_TRAIN_ONLY,
	.shape = bn_pick_shape, .emit = bn_pick_emit,
	.attr_size = sizeof(int), .print_attr = bn_pick_print,
};

/* dx = γ·istd·(m·dy − Σm·dy/N − x̂·Σm·dy·x̂/N); x5 the sums. */
static void bn_relu_dx_emit(Emit *e, Node *n)
{
	Split s = split_of(e, n);
	int C = s.ch;
	bn_planes(e, &s, bwd_consts(e->c, C));
	emit_line(e, "\t\tnn_bn_dx(x0 + o, x1 + o, y + o, %ld, mean, istd, k, "
	             "beta, x3[c] * istd, x5[c] / %ld.0f, x5[%d + c] / %ld.0f, "
	             "1);", s.inner, s.n, C, s.n);
	emit_line(e, "\t}");
}

const OpDef op_bn_relu_dx = {
	.name = "bn_relu_dx", .nin = 6, .traits = OT_TRAIN_ONLY | OT_FUSED,
	.shape = same_as_x, .emit = bn_relu_dx_emit, .flops = bn_dx_flops,
	.print_attr = print_no_attr,
};

/* ---- batchnorm + ReLU + 2×2 maxpool, fused (fusion bn_relu_pool) -------
 * The full-size ReLU output is never stored: each thread rebuilds a plane
 * of it at a time, on its stack, from x (which batch norm's backward keeps
 * anyway), and runs the pool's own kernels on it:
 *   y = bn_relu_pool(x, stats, γ, β)        the pooled output only
 *   sums = bn_relu_pool_sums(dy, x, stats, γ, β), dx = bn_relu_pool_dx(…)
 * where dy is the pooled output's gradient, routed to each window's first
 * maximum (nn_maxpool2_grad) in the plane, then masked and reduced as in
 * bn_relu: the same numbers as the unfused ops', in the same order.  The
 * saving: the ReLU output's write and reads, the full-size pool gradient,
 * and their arena space at the peak, which is the forward's activations. */

enum { POOL_PLANE_MAX = 1 << 14 };  /* floats of a plane on the stack */

typedef struct PoolPlane {
	int H, W, OH, OW;
	long HW, OHW;
} PoolPlane;

static PoolPlane pool_plane(Emit *e, const Node *x)
{
	PoolPlane p;
	p.H = emit_dim(e, x, -1, 2);
	p.W = emit_dim(e, x, -1, 3);
	p.OH = p.H / 2;
	p.OW = p.W / 2;
	p.HW = (long)p.H * p.W;
	p.OHW = (long)p.OH * p.OW;
	return p;
}

int bn_relu_pool_fits(Ctx *c, const Node *x)
{
	(void)c;
	return x->shape.n == 4 &&
	       (long)x->shape.d[2] * x->shape.d[3] <= POOL_PLANE_MAX;
}

/* for each plane (b, c): r = relu(bn(x)) of it on the stack; for the
 * gradients also g = the pool gradient routed in r.  Leaves the plane's
 * loop open. */
static void pool_planes(Emit *e, const Node *x, const char *dy, int grad,
                        const char *consts)
{
	PoolPlane p = pool_plane(e, x);
	Split s = split_of(e, x);
	par_for(e, s.n * s.ch);
	emit_line(e, "for (long bc = 0; bc < %ld; bc++) {", s.outer * s.ch);
	e->indent++;
	emit_line(e, "const int c = (int)(bc %% %d);", s.ch);
	emit_line(e, "const long o = bc*%ld;", p.HW);
	emit_line(e, "%s", consts);
	emit_line(e, "float r[%ld]%s;", p.HW, grad ? ctx_sprintf(e->c,
	          ", g[%ld]", p.HW) : "");
	emit_line(e, "nn_bn_fwd(x%d + o, r, %ld, mean, k, beta, 1);",
	          grad ? 1 : 0, p.HW);
	if (grad)
		emit_line(e, "nn_maxpool2_grad(r, %s + bc*%ld, %d, %d, %d, %d, g);",
		          dy, p.OHW, p.H, p.W, p.OH, p.OW);
}

static void bn_relu_pool_emit(Emit *e, Node *n)
{
	const Node *x = in_node(e->c, n, 0);
	PoolPlane p = pool_plane(e, x);
	pool_planes(e, x, NULL, 0, fwd_consts(e->c, x->shape.d[1]));
	emit_line(e, "nn_maxpool2(r, %d, %d, %d, y + bc*%ld);", p.W, p.OH, p.OW,
	          p.OHW);
	e->indent--;
	emit_line(e, "}");
}

static void bn_relu_pool_grad(Ctx *c, Node *n, int dout, int *din)
{
	bn_fused_grad(c, n, dout, din, &op_bn_relu_pool_sums,
	              &op_bn_relu_pool_dx);
}

static const char *bn_relu_pool_shape(Ctx *c, Node *n)
{
	const Shape *x = &in_node(c, n, 0)->shape;
	n->shape = (Shape){4, {x->d[0], x->d[1], x->d[2] / 2, x->d[3] / 2}};
	n->dtype = DT_F32;
	return NULL;
}

static double bn_relu_pool_flops(Ctx *c, Node *n)
{
	return flops_per_elem(c, in_node(c, n, 0), 5);
}

const OpDef op_bn_relu_pool = {
	.name = "bn_relu_pool", .nin = 4, .traits = OT_FUSED,
	.shape = bn_relu_pool_shape, .grad = bn_relu_pool_grad,
	.emit = bn_relu_pool_emit, .flops = bn_relu_pool_flops,
	.print_attr = fused_print,
};

/* x0 the pooled gradient, x1 x, x2 stats, x3 γ, x4 β.  A channel's planes
 * add up in b order, so the channel loop is the outer (threaded) one. */
static void bn_relu_pool_sums_emit(Emit *e, Node *n)
{
	const Node *x = in_node(e->c, n, 1);
	PoolPlane p = pool_plane(e, x);
	Split s = split_of(e, x);
	emit_plane_reduce(e, s.outer, s.ch, s.inner, 2, 0, bwd_consts(e->c, s.ch),
	    ctx_sprintf(e->c, "float r[%ld], g[%ld];  "
	    "/* relu(bn(x)) of the plane, the pool's gradient in it */\n"
	    "\tnn_bn_fwd(x1 + o, r, %ld, mean, k, beta, 1);\n"
	    "\tnn_maxpool2_grad(r, x0 + bc*%ld, %d, %d, %d, %d, g);\n"
	    "\tnn_plane_sums(g, x1 + o, %ld, mean, istd, k, beta, 1, 1, pp);",
	    p.HW, p.HW, p.HW, p.OHW, p.H, p.W, p.OH, p.OW, p.HW));
}

static long pool_sums_scratch(Ctx *c, Node *n)
{
	return plane_reduce_scratch(c, in_node(c, n, 1), 2);
}

static const char *bn_relu_pool_sums_shape(Ctx *c, Node *n)
{
	return sums_shape_of(c, n, 1);
}

static double bn_relu_pool_bwd_flops(Ctx *c, Node *n)
{
	return flops_per_elem(c, in_node(c, n, 1), 8);
}

const OpDef op_bn_relu_pool_sums = {
	.name = "bn_relu_pool_sums", .nin = 5, .traits = OT_TRAIN_ONLY | OT_FUSED,
	.shape = bn_relu_pool_sums_shape, .emit = bn_relu_pool_sums_emit,
	.scratch = pool_sums_scratch,
	.flops = bn_relu_pool_bwd_flops, .print_attr = print_no_attr,
};

static void bn_relu_pool_dx_emit(Emit *e, Node *n)
{
	const Node *x = in_node(e->c, n, 1);
	Split s = split_of(e, x);
	int C = s.ch;
	pool_planes(e, x, "x0", 1, bwd_consts(e->c, C));
	emit_line(e, "nn_bn_dx(g, x1 + o, y + o, %ld, mean, istd, k, beta, "
	             "x3[c] * istd, x5[c] / %ld.0f, x5[%d + c] / %ld.0f, 1);",
	          s.inner, s.n, C, s.n);
	e->indent--;
	emit_line(e, "}");
}

static const char *bn_relu_pool_dx_shape(Ctx *c, Node *n)
{
	n->shape = in_node(c, n, 1)->shape;
	n->dtype = DT_F32;
	return NULL;
}

const OpDef op_bn_relu_pool_dx = {
	.name = "bn_relu_pool_dx", .nin = 6, .traits = OT_TRAIN_ONLY | OT_FUSED,
	.shape = bn_relu_pool_dx_shape, .emit = bn_relu_pool_dx_emit,
	.flops = bn_relu_pool_bwd_flops, .print_attr = print_no_attr,
};

/* ---- batchnorm: the running statistics, in the update phase ------------ */

static const char *bn_running_shape(Ctx *c, Node *n)
{
	(void)c;
	n->shape = (Shape){0, {0}};
	n->dtype = DT_F32;
	return NULL;
}

/* Batch statistics need two values per channel: batch·H·W ≥ 2. */
static const char *bn_running_check(Ctx *c, Node *n)
{
	const Node *x = in_node(c, in_node(c, n, 0), 0);
	if (shape_numel(&x->shape, c->recipe.batch) / x->shape.d[1] >= 2)
		return NULL;
	return ctx_sprintf(c, "batchnorm: one value per channel (batch %d of "
	                      "%s); training needs more than one",
	                   c->recipe.batch, shape_str(c, &x->shape));
}

static void bn_running_emit(Emit *e, Node *n)
{
	const NormAttr *a = n->attr;
	Ctx *c = e->c;
	const Node *st = in_node(c, n, 0);
	Split s = split_of(e, in_node(c, st, 0));
	if (s.n < 2)
		bug("%%%d: batchnorm of one value per channel got past its check",
		    n->id);
	double m = a->momentum;
	emit_line(e, "/* running = (1 - momentum)·running + momentum·batch, "
	             "momentum %g; the variance unbiased: ·%ld/%ld */", m, s.n,
	          s.n - 1);
	emit_line(e, "for (int c = 0; c < %d; c++) {", s.ch);
	emit_line(e, "\tx1[c] = %s * x1[c] + %s * x0[c];", cfloat(c, 1 - m),
	          cfloat(c, m));
	emit_line(e, "\tx2[c] = %s * x2[c] + %s * x0[%d + c];", cfloat(c, 1 - m),
	          cfloat(c, m * (double)s.n / (double)(s.n - 1)), 2 * s.ch);
	emit_line(e, "}");
}

const OpDef op_bn_running = {
	.name = "bn_running", .nin = 3, .traits = OT_UPDATE | OT_TRAIN_ONLY,
	.writes = 1 << 1 | 1 << 2,
	.shape = bn_running_shape, .check = bn_running_check,
	.emit = bn_running_emit,
	.attr_size = sizeof(NormAttr), .print_attr = norm_print,
};

/* ---- the batchnorm layer ---------------------------------------------- */

static const AttrKey batchnorm_keys[] = {
	{"momentum", AK_NUM, 0, 0, 0.1, offsetof(NormAttr, momentum), 0, 1},
	{"eps", AK_NUM, 0, 0, 1e-5, offsetof(NormAttr, eps), 1, 0},
	{0},
};

static const char *batchnorm_configure(Ctx *c, Layer *l)
{
	return check_eps(c, l->attr);
}

/* The float input x of a normalization layer, or NULL and *err. */
static const Node *norm_input(Ctx *c, const char *what, int x,
                              const char **err)
{
	const Node *xn = ir_node(c, x);
	if (xn->dtype != DT_F32) {
		*err = ctx_sprintf(c, "input is int32; %s takes float tensors",
		                   what);
		return NULL;
	}
	if (xn->shape.n < 1 || xn->shape.d[0] != BATCH) {
		*err = ctx_sprintf(c, "input %s has no batch dimension",
		                   shape_str(c, &xn->shape));
		return NULL;
	}
	if (xn->shape.n < 2) {
		*err = ctx_sprintf(c, "input %s has no features",
		                   shape_str(c, &xn->shape));
		return NULL;
	}
	return xn;
}

/* Params and state, made on the first apply: slots 0 weight, 1 bias, 2
 * running_mean, 3 running_var. */
static int batchnorm_apply(Ctx *c, Layer *l, int x, Pos pos, const char **err)
{
	const Node *xn = norm_input(c, "batchnorm", x, err);
	if (!xn)
		return -1;
	if (xn->shape.n != 2 && xn->shape.n != 4) {
		*err = ctx_sprintf(c, "input has %d dims %s; batchnorm takes "
		                      "[B,features] or [B,channels,H,W]",
		                   xn->shape.n - 1, shape_str(c, &xn->shape));
		return -1;
	}
	int C = xn->shape.d[1];
	if (l->applied && ir_node(c, l->param[0])->shape.d[0] != C) {
		*err = ctx_sprintf(c, "%s was first applied to %d channels, now to "
		                      "%d", l->name,
		                   ir_node(c, l->param[0])->shape.d[0], C);
		return -1;
	}
	Shape s = {1, {C}};
	int w = layer_param(c, l, 0, "weight", s, (ParamAttr){.init = INIT_ONES},
	                    pos);
	int b = layer_param(c, l, 1, "bias", s, (ParamAttr){.init = INIT_ZEROS},
	                    pos);
	int rm = layer_state(c, l, 2, "running_mean", s, INIT_ZEROS, pos);
	int rv = layer_state(c, l, 3, "running_var", s, INIT_ONES, pos);
	int sin[3] = {x, rm, rv};
	int st = ir_make(c, &op_bn_stats, PH_FWD, sin, 3, l->attr, pos);
	int rin[3] = {st, rm, rv};
	ir_make(c, &op_bn_running, PH_UPD, rin, 3, l->attr, pos);
	int ain[4] = {x, st, w, b};
	return ir_make(c, &op_bn_apply, PH_FWD, ain, 4, NULL, pos);
}

const LayerDef layer_batchnorm = {
	.name = "batchnorm", .keys = batchnorm_keys, .attr_size = sizeof(NormAttr),
	.configure = batchnorm_configure, .apply = batchnorm_apply,
};

/* ---- layernorm --------------------------------------------------------- */

/* A batch-resolved [B,…,F] as rows × F. */
static void rows_of(Emit *e, const Node *x, long *rows, int *f)
{
	*f = emit_dim(e, x, -1, x->shape.n - 1);
	*rows = emit_numel(e, x, -1) / *f;
}

static const char *ln_stats_shape(Ctx *c, Node *n)
{
	n->shape = in_node(c, n, 0)->shape;
	n->shape.d[n->shape.n - 1] = 2;
	n->dtype = DT_F32;
	return NULL;
}

static void ln_stats_emit(Emit *e, Node *n)
{
	const NormAttr *a = n->attr;
	long rows;
	int F;
	rows_of(e, in_node(e->c, n, 0), &rows, &F);
	emit_line(e, "/* per row of %d: mean and 1/sqrt(biased var + eps), in "
	             "double */", F);
	par_for(e, rows * F);
	emit_line(e, "for (long r = 0; r < %ld; r++) {", rows);
	emit_line(e, "\tconst float *x = x0 + r*%d;", F);
	emit_line(e, "\tdouble sum = 0, sq = 0;");
	emit_line(e, "\tfor (int f = 0; f < %d; f++)", F);
	emit_line(e, "\t\tsum += x[f];");
	emit_line(e, "\tconst double mean = sum / %d;", F);
	emit_line(e, "\tfor (int f = 0; f < %d; f++)", F);
	emit_line(e, "\t\tsq += (x[f] - mean) * (x[f] - mean);");
	emit_line(e, "\ty[2*r] = (float)mean;");
	emit_line(e, "\ty[2*r + 1] = (float)(1 / sqrt(sq / %d + %s));", F,
	          cdouble(e->c, a->eps));
	emit_line(e, "}");
}

const OpDef op_ln_stats = {
	.name = "ln_stats", .nin = 1,
	.shape = ln_stats_shape, .grad = no_grad, .emit = ln_stats_emit,
	.flops = bn_stats_flops,
	.attr_size = sizeof(NormAttr), .print_attr = norm_print,
};

static void ln_apply_grad(Ctx *c, Node *n, int dout, int *din)
{
	int in[4] = {dout, n->in[0], n->in[1], n->in[2]};
	int dg = ir_make(c, &op_ln_gamma_grad, PH_BWD, in, 3, NULL, n->pos);
	din[0] = ir_make(c, &op_ln_dx, PH_BWD, in, 4, NULL, n->pos);
	din[1] = -1;
	din[2] = dg;
	din[3] = ir_make1(c, &op_sum_rows, PH_BWD, dout, NULL, n->pos);
}

static void ln_apply_emit(Emit *e, Node *n)
{
	long rows;
	int F;
	rows_of(e, n, &rows, &F);
	par_for(e, rows * F);
	emit_line(e, "for (long r = 0; r < %ld; r++) {", rows);
	emit_line(e, "\tconst float mean = x1[2*r], istd = x1[2*r + 1];");
	emit_line(e, "\tfor (int f = 0; f < %d; f++)", F);
	emit_line(e, "\t\ty[r*%d + f] = (x0[r*%d + f] - mean) * istd * x2[f] + "
	             "x3[f];", F, F);
	emit_line(e, "}");
}

const OpDef op_ln_apply = {
	.name = "ln_apply", .nin = 4,
	.shape = same_as_x, .grad = ln_apply_grad, .emit = ln_apply_emit,
	.flops = bn_apply_flops, .print_attr = print_no_attr,
};

static const char *last_dim(Ctx *c, Node *n)
{
	const Shape *x = &in_node(c, n, 0)->shape;
	n->shape = (Shape){1, {x->d[x->n - 1]}};
	n->dtype = DT_F32;
	return NULL;
}

/* Sums over rows: acc[f] in double in the scratch, rows in order. */
static long rows_scratch(Ctx *c, Node *n)
{
	const Shape *x = &in_node(c, n, 0)->shape;
	return 2L * x->d[x->n - 1];
}

/* dγ[f] = Σ_rows dy·x̂ */
static void ln_gamma_grad_emit(Emit *e, Node *n)
{
	long rows;
	int F;
	rows_of(e, in_node(e->c, n, 0), &rows, &F);
	emit_line(e, "double *acc = (double *)(void *)scratch;");
	emit_line(e, "for (int f = 0; f < %d; f++)", F);
	emit_line(e, "\tacc[f] = 0;");
	emit_line(e, "for (long r = 0; r < %ld; r++) {", rows);
	emit_line(e, "\tconst float mean = x2[2*r], istd = x2[2*r + 1];");
	emit_line(e, "\tfor (int f = 0; f < %d; f++)", F);
	emit_line(e, "\t\tacc[f] += (double)x0[r*%d + f] * ((x1[r*%d + f] - mean)"
	             " * istd);", F, F);
	emit_line(e, "}");
	emit_line(e, "for (int f = 0; f < %d; f++)", F);
	emit_line(e, "\ty[f] = (float)acc[f];");
}

const OpDef op_ln_gamma_grad = {
	.name = "ln_gamma_grad", .nin = 3, .traits = OT_TRAIN_ONLY,
	.shape = last_dim, .emit = ln_gamma_grad_emit, .scratch = rows_scratch,
	.flops = bn_apply_flops, .print_attr = print_no_attr,
};

/* y[f] = Σ_rows x[r,f]: β's gradient */
static void sum_rows_emit(Emit *e, Node *n)
{
	long rows;
	int F;
	rows_of(e, in_node(e->c, n, 0), &rows, &F);
	emit_line(e, "double *acc = (double *)(void *)scratch;");
	emit_line(e, "for (int f = 0; f < %d; f++)", F);
	emit_line(e, "\tacc[f] = 0;");
	emit_line(e, "for (long r = 0; r < %ld; r++)", rows);
	emit_line(e, "\tfor (int f = 0; f < %d; f++)", F);
	emit_line(e, "\t\tacc[f] += x0[r*%d + f];", F);
	emit_line(e, "for (int f = 0; f < %d; f++)", F);
	emit_line(e, "\ty[f] = (float)acc[f];");
}

const OpDef op_sum_rows = {
	.name = "sum_rows", .nin = 1, .traits = OT_TRAIN_ONLY,
	.shape = last_dim, .emit = sum_rows_emit, .scratch = rows_scratch,
	.print_attr = print_no_attr,
};

/* dx = istd·(g − mean(g) − x̂·mean(g·x̂)) per row, g = dy·γ */
static void ln_dx_emit(Emit *e, Node *n)
{
	long rows;
	int F;
	rows_of(e, n, &rows, &F);
	par_for(e, rows * F);
	emit_line(e, "for (long r = 0; r < %ld; r++) {", rows);
	emit_line(e, "\tconst float *dy = x0 + r*%d, *x = x1 + r*%d;", F, F);
	emit_line(e, "\tconst float mean = x2[2*r], istd = x2[2*r + 1];");
	emit_line(e, "\tdouble sg = 0, sgx = 0;");
	emit_line(e, "\tfor (int f = 0; f < %d; f++) {", F);
	emit_line(e, "\t\tconst float g = dy[f] * x3[f];");
	emit_line(e, "\t\tsg += g;");
	emit_line(e, "\t\tsgx += (double)g * ((x[f] - mean) * istd);");
	emit_line(e, "\t}");
	emit_line(e, "\tconst float mg = (float)(sg / %d), mgx = (float)(sgx / "
	             "%d);", F, F);
	emit_line(e, "\tfor (int f = 0; f < %d; f++)", F);
	emit_line(e, "\t\ty[r*%d + f] = istd * (dy[f] * x3[f] - mg - (x[f] - mean)"
	             " * istd * mgx);", F);
	emit_line(e, "}");
}

const OpDef op_ln_dx = {
	.name = "ln_dx", .nin = 4, .traits = OT_TRAIN_ONLY,
	.shape = same_as_x, .emit = ln_dx_emit, .flops = bn_dx_flops,
	.print_attr = print_no_attr,
};

static const AttrKey layernorm_keys[] = {
	{"eps", AK_NUM, 0, 0, 1e-5, offsetof(NormAttr, eps), 1, 0},
	{0},
};

static const char *layernorm_configure(Ctx *c, Layer *l)
{
	return check_eps(c, l->attr);
}

static int layernorm_apply(Ctx *c, Layer *l, int x, Pos pos, const char **err)
{
	const Node *xn = norm_input(c, "layernorm", x, err);
	if (!xn)
		return -1;
	int F = xn->shape.d[xn->shape.n - 1];
	if (l->applied && ir_node(c, l->param[0])->shape.d[0] != F) {
		*err = ctx_sprintf(c, "%s was first applied to %d features, now to "
		                      "%d", l->name,
		                   ir_node(c, l->param[0])->shape.d[0], F);
		return -1;
	}
	Shape s = {1, {F}};
	int w = layer_param(c, l, 0, "weight", s, (ParamAttr){.init = INIT_ONES},
	                    pos);
	int b = layer_param(c, l, 1, "bias", s, (ParamAttr){.init = INIT_ZEROS},
	                    pos);
	int st = ir_make1(c, &op_ln_stats, PH_FWD, x, l->attr, pos);
	int in[4] = {x, st, w, b};
	return ir_make(c, &op_ln_apply, PH_FWD, in, 4, NULL, pos);
}

const LayerDef layer_layernorm = {
	.name = "layernorm", .keys = layernorm_keys, .attr_size = sizeof(NormAttr),
	.configure = layernorm_configure, .apply = layernorm_apply,
};
