/*
 * loss.c — losses: scalar means over the batch's valid rows (`nrows`, the
 * batch size in training, fewer for the last chunk of an evaluation), and
 * their gradients, which are zero on the rows past nrows.
 */
#include "../nncc.h"

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
	n->shape = (Shape){1, {1}};
	n->dtype = DT_F32;
	return NULL;
}

static void softmax_ce_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	if (dout >= 0)
		bug("softmax_ce is used only as the training loss");
	din[0] = ir_make2(c, &op_softmax_ce_grad, PH_BWD, n->in[0], n->in[1],
	                  NULL, n->pos);
	din[1] = -1;
}

/* loss = mean over rows of logsumexp(z) - z[label], in float per row and
 * double across rows. */
static void softmax_ce_emit(Emit *e, Node *n)
{
	int C = emit_dim(e, n, 0, 1);
	emit_line(e, "double total = 0;");
	emit_line(e, "for (int b = 0; b < nrows; b++) {");
	emit_line(e, "\tconst float *z = x0 + (long)b*%d;", C);
	emit_line(e, "\tfloat mx = z[0], s = 0;");
	emit_line(e, "\tfor (int c = 1; c < %d; c++) mx = z[c] > mx ? z[c] : mx;",
	          C);
	emit_line(e, "\tfor (int c = 0; c < %d; c++) s += expf(z[c] - mx);", C);
	emit_line(e, "\ttotal += mx + logf(s) - z[x1[b]];");
	emit_line(e, "}");
	emit_line(e, "y[0] = (float)(total / nrows);");
}

static double softmax_ce_flops(Ctx *c, Node *n)
{
	return 4.0 * (double)node_numel(c, in_node(c, n, 0));
}

const OpDef op_softmax_ce = {
	.name = "softmax_ce", .nin = 2, .traits = OT_LOSS,
	.lua = "softmax_cross_entropy",
	.shape = softmax_ce_shape, .grad = softmax_ce_grad_rule,
	.emit = softmax_ce_emit, .flops = softmax_ce_flops,
	.print_attr = print_no_attr,
};

static const char *logits_shape(Ctx *c, Node *n)
{
	n->shape = in_node(c, n, 0)->shape;
	n->dtype = DT_F32;
	return NULL;
}

/* dz = (softmax(z) - onehot(label)) / nrows */
static void softmax_ce_grad_emit(Emit *e, Node *n)
{
	int C = emit_dim(e, n, -1, 1), B = emit_dim(e, n, -1, 0);
	emit_line(e, "const float inv = 1.0f / nrows;");
	emit_line(e, "for (int b = 0; b < %d; b++) {", B);
	emit_line(e, "\tconst float *z = x0 + (long)b*%d;", C);
	emit_line(e, "\tfloat *dz = y + (long)b*%d;", C);
	emit_line(e, "\tif (b >= nrows) {");
	emit_line(e, "\t\tfor (int c = 0; c < %d; c++) dz[c] = 0;", C);
	emit_line(e, "\t\tcontinue;");
	emit_line(e, "\t}");
	emit_line(e, "\tfloat mx = z[0], s = 0;");
	emit_line(e, "\tfor (int c = 1; c < %d; c++) mx = z[c] > mx ? z[c] : mx;",
	          C);
	emit_line(e, "\tfor (int c = 0; c < %d; c++) s += dz[c] = expf(z[c] - mx);",
	          C);
	emit_line(e, "\tfor (int c = 0; c < %d; c++) dz[c] *= inv / s;", C);
	emit_line(e, "\tdz[x1[b]] -= inv;");
	emit_line(e, "}");
}

const OpDef op_softmax_ce_grad = {
	.name = "softmax_ce_grad", .nin = 2, .traits = OT_TRAIN_ONLY,
	.shape = logits_shape, .emit = softmax_ce_grad_emit,
	.flops = softmax_ce_flops, .print_attr = print_no_attr,
};

/* ---- mean squared error, PyTorch's 'mean': over every element --------- */

static const char *mse_shape(Ctx *c, Node *n)
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
	n->shape = (Shape){1, {1}};
	n->dtype = DT_F32;
	return NULL;
}

static void mse_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	if (dout >= 0)
		bug("mse is used only as the training loss");
	din[0] = ir_make2(c, &op_mse_grad, PH_BWD, n->in[0], n->in[1], NULL,
	                  n->pos);
	din[1] = -1;
}

static void mse_emit(Emit *e, Node *n)
{
	long row = emit_numel(e, n, 0) / emit_dim(e, n, 0, 0);
	emit_line(e, "double total = 0;");
	emit_line(e, "for (long i = 0; i < (long)nrows*%ld; i++) {", row);
	emit_line(e, "\tfloat d = x0[i] - x1[i];");
	emit_line(e, "\ttotal += d*d;");
	emit_line(e, "}");
	emit_line(e, "y[0] = (float)(total / ((double)nrows*%ld));", row);
}

static void mse_grad_emit(Emit *e, Node *n)
{
	long row = emit_numel(e, n, -1) / emit_dim(e, n, -1, 0);
	emit_line(e, "const float k = 2.0f / ((float)nrows*%ld);", row);
	emit_line(e, "for (long i = 0; i < %ld; i++)", emit_numel(e, n, -1));
	emit_line(e, "\ty[i] = i < (long)nrows*%ld ? k*(x0[i] - x1[i]) : 0;", row);
}

static double mse_flops(Ctx *c, Node *n)
{
	return 3.0 * (double)node_numel(c, in_node(c, n, 0));
}

const OpDef op_mse = {
	.name = "mse", .nin = 2, .traits = OT_LOSS, .lua = "mse",
	.shape = mse_shape, .grad = mse_grad_rule, .emit = mse_emit,
	.flops = mse_flops, .print_attr = print_no_attr,
};

const OpDef op_mse_grad = {
	.name = "mse_grad", .nin = 2, .traits = OT_TRAIN_ONLY,
	.shape = logits_shape, .emit = mse_grad_emit, .flops = mse_flops,
	.print_attr = print_no_attr,
};
