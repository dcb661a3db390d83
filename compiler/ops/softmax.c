/*
 * softmax.c — softmax and log_softmax over the last dimension, as
 * PyTorch's dim = -1: each row of C values (every dimension before the
 * last, the batch included, counts rows) is shifted by its maximum before
 * exp, so no exp overflows.  Both gradients are written in terms of the
 * output y, as the pointwise activations' are:
 *   softmax      dx = y·(dy − Σ_c dy·y)
 *   log_softmax  dx = dy − exp(y)·Σ_c dy
 */
#include "../nncc.h"

static const char *softmax_shape(Ctx *c, Node *n)
{
	const Node *x = in_node(c, n, 0);
	if (x->dtype != DT_F32)
		return ctx_sprintf(c, "input is int32; this op takes float tensors");
	if (x->shape.n < 2 || x->shape.d[0] != BATCH)
		return ctx_sprintf(c, "input is %s%s; it runs over the last "
		                      "dimension of a [B,…,C] tensor",
		                   x->shape.n < 2 ? "the scalar " : "",
		                   shape_str(c, &x->shape));
	n->shape = x->shape;
	n->dtype = DT_F32;
	return NULL;
}

/* The grads' inputs are dy and y, one shape. */
static const char *softmax_grad_shape(Ctx *c, Node *n)
{
	return elementwise_same_shape(c, n);
}

/* Rows of C: every dimension but the last, batch resolved. */
static void rows_of(Emit *e, const Node *n, long *rows, int *cols)
{
	*cols = emit_dim(e, n, -1, n->shape.n - 1);
	*rows = emit_numel(e, n, -1) / *cols;
}

/* Opens the loop over rows with the row's max in `mx` and s = Σ_c
 * exp(x[c] − mx), the exponentials also stored at dst (yr, or NULL); x0 is
 * the input.  Each element of x is read before yr's at the same index is
 * written, so y may lie over x (in place). */
static void open_rows(Emit *e, long rows, int C, const char *dst)
{
	emit_line(e, "for (long r = 0; r < %ld; r++) {", rows);
	emit_line(e, "\tconst float *x = x0 + r*%d;", C);
	emit_line(e, "\tfloat *yr = y + r*%d;", C);
	emit_line(e, "\tfloat mx = x[0];");
	emit_line(e, "\tfor (int c = 1; c < %d; c++) mx = x[c] > mx ? x[c] : mx;",
	          C);
	emit_line(e, "\tconst float s = nn_exp_sum(x, mx, %s, %d);", dst, C);
}

static void softmax_emit(Emit *e, Node *n)
{
	long rows;
	int C;
	rows_of(e, n, &rows, &C);
	open_rows(e, rows, C, "yr");
	emit_line(e, "\tconst float inv = 1 / s;");
	emit_line(e, "\tfor (int c = 0; c < %d; c++) yr[c] *= inv;", C);
	emit_line(e, "}");
}

static void log_softmax_emit(Emit *e, Node *n)
{
	long rows;
	int C;
	rows_of(e, n, &rows, &C);
	open_rows(e, rows, C, "NULL");
	emit_line(e, "\tconst float lse = mx + logf(s);");
	emit_line(e, "\tfor (int c = 0; c < %d; c++) yr[c] = x[c] - lse;", C);
	emit_line(e, "}");
}

/* x0 = dy, x1 = y (the forward output); both loops read x1 and x0 before
 * writing yr[c], so the gradient may overwrite dy. */
static void softmax_grad_emit(Emit *e, Node *n)
{
	long rows;
	int C;
	rows_of(e, n, &rows, &C);
	emit_line(e, "for (long r = 0; r < %ld; r++) {", rows);
	emit_line(e, "\tconst float *dy = x0 + r*%d, *p = x1 + r*%d;", C, C);
	emit_line(e, "\tfloat *dx = y + r*%d, dot = 0;", C);
	emit_line(e, "\tfor (int c = 0; c < %d; c++) dot += dy[c] * p[c];", C);
	emit_line(e, "\tfor (int c = 0; c < %d; c++) dx[c] = p[c] * (dy[c] - dot);",
	          C);
	emit_line(e, "}");
}

static void log_softmax_grad_emit(Emit *e, Node *n)
{
	long rows;
	int C;
	rows_of(e, n, &rows, &C);
	emit_line(e, "for (long r = 0; r < %ld; r++) {", rows);
	emit_line(e, "\tconst float *dy = x0 + r*%d, *ly = x1 + r*%d;", C, C);
	emit_line(e, "\tfloat *dx = y + r*%d, sum = 0;", C);
	emit_line(e, "\tfor (int c = 0; c < %d; c++) sum += dy[c];", C);
	emit_line(e, "\tfor (int c = 0; c < %d; c++) dx[c] = dy[c] - expf(ly[c]) "
	             "* sum;", C);
	emit_line(e, "}");
}

static void softmax_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	grad_from_output(c, n, dout, din, &op_softmax_grad);
}

static void log_softmax_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	grad_from_output(c, n, dout, din, &op_log_softmax_grad);
}

static double flops5(Ctx *c, Node *n) { return flops_per_elem(c, n, 5); }

const OpDef op_softmax = {
	.name = "softmax", .nin = 1, .traits = OT_INPLACE, .lua = "softmax",
	.shape = softmax_shape, .grad = softmax_grad_rule,
	.emit = softmax_emit, .flops = flops5, .print_attr = print_no_attr,
};

const OpDef op_softmax_grad = {
	.name = "softmax_grad", .nin = 2, .traits = OT_INPLACE,
	.shape = softmax_grad_shape, .emit = softmax_grad_emit,
	.flops = flops5, .print_attr = print_no_attr,
};

const OpDef op_log_softmax = {
	.name = "log_softmax", .nin = 1, .traits = OT_INPLACE,
	.lua = "log_softmax",
	.shape = softmax_shape, .grad = log_softmax_grad_rule,
	.emit = log_softmax_emit, .flops = flops5, .print_attr = print_no_attr,
};

const OpDef op_log_softmax_grad = {
	.name = "log_softmax_grad", .nin = 2, .traits = OT_INPLACE,
	.shape = softmax_grad_shape, .emit = log_softmax_grad_emit,
	.flops = flops5, .print_attr = print_no_attr,
};
