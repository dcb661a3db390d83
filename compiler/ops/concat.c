/*
 * concat.c — concat(a, b, …) joins float tensors along dimension 1: the
 * channels of [B,C,H,W], the features of [B,F]; every other dimension
 * must agree.  Its gradient is one slice of dy per input, the rows of
 * dimension 1 that input filled: slice{off, len} is the inverse copy.
 *
 * With outer = the batch and inner = the product of the dimensions after
 * dimension 1, input i is outer blocks of C_i·inner contiguous floats,
 * and the output is outer blocks of ΣC_i·inner, input i's block at offset
 * (C_0 + … + C_{i-1})·inner inside each.
 */
#include "../nncc.h"

/* "channel" for images, "feature" for [B,F]. */
static const char *dim1_name(const Shape *s)
{
	return s->n == 2 ? "feature" : "channel";
}

static const char *concat_shape(Ctx *c, Node *n)
{
	const Shape *a = &in_node(c, n, 0)->shape;
	for (int i = 0; i < n->nin; i++) {
		const Node *x = in_node(c, n, i);
		if (x->dtype != DT_F32)
			return ctx_sprintf(c, "input %d is int32; concat joins float "
			                      "tensors", i + 1);
		if (x->shape.n < 2 || x->shape.d[0] != BATCH)
			return ctx_sprintf(c, "input %d is %s; concat joins [B,C,…] "
			                      "tensors along dimension 1", i + 1,
			                   shape_str(c, &x->shape));
	}
	n->shape = *a;
	for (int i = 1; i < n->nin; i++) {
		const Shape *s = &in_node(c, n, i)->shape;
		int agree = s->n == a->n;
		for (int k = 0; agree && k < a->n; k++)
			agree = k == 1 || s->d[k] == a->d[k];
		if (!agree)
			return ctx_sprintf(c, "input %d is %s, the first is %s; all "
			                      "but the %s dimension must agree", i + 1,
			                   shape_str(c, s), shape_str(c, a),
			                   dim1_name(a));
		if ((long)n->shape.d[1] + s->d[1] > 1 << 24)
			return ctx_sprintf(c, "more than %d %ss", 1 << 24, dim1_name(a));
		n->shape.d[1] += s->d[1];
	}
	n->dtype = DT_F32;
	return NULL;
}

/* Batch-resolved outer (dimension 0) and inner (after dimension 1). */
static void outer_inner(Emit *e, const Node *n, long *outer, long *inner)
{
	*outer = emit_dim(e, n, -1, 0);
	*inner = emit_numel(e, n, -1) / (*outer * emit_dim(e, n, -1, 1));
}

typedef struct SliceAttr {
	int off, len;        /* rows off … off+len−1 of dimension 1 */
} SliceAttr;

static void *slice_attr(Ctx *c, int off, int len)
{
	SliceAttr *a = ctx_alloc(c, sizeof *a);
	a->off = off;
	a->len = len;
	return a;
}

static void concat_grad(Ctx *c, Node *n, int dout, int *din)
{
	int off = 0;
	for (int i = 0; i < n->nin; i++) {
		int len = in_node(c, n, i)->shape.d[1];
		din[i] = ir_make1(c, &op_slice, PH_BWD, dout, slice_attr(c, off, len),
		                  n->pos);
		off += len;
	}
}

static void concat_emit(Emit *e, Node *n)
{
	long outer, inner;
	outer_inner(e, n, &outer, &inner);
	long row = emit_dim(e, n, -1, 1) * inner, off = 0;
	emit_line(e, "for (int b = 0; b < %ld; b++) {", outer);
	for (int i = 0; i < n->nin; i++) {
		long len = emit_dim(e, n, i, 1) * inner;
		emit_line(e, "\tmemcpy(y + b*%ldL%s, x%d + b*%ldL, sizeof(float) * "
		             "%ld);", row, off ? ctx_sprintf(e->c, " + %ld", off) : "",
		          i, len, len);
		off += len;
	}
	emit_line(e, "}");
}

const OpDef op_concat = {
	.name = "concat", .nin = -1, .lua = "concat",
	.shape = concat_shape, .grad = concat_grad, .emit = concat_emit,
	.print_attr = print_no_attr,
};

static const char *slice_shape(Ctx *c, Node *n)
{
	const SliceAttr *a = n->attr;
	const Node *x = in_node(c, n, 0);
	if (x->shape.n < 2 || a->off < 0 || a->len < 1 ||
	    a->off + a->len > x->shape.d[1])
		return ctx_sprintf(c, "rows %d…%d of dimension 1 of %s", a->off,
		                   a->off + a->len - 1, shape_str(c, &x->shape));
	n->shape = x->shape;
	n->shape.d[1] = a->len;
	n->dtype = x->dtype;
	return NULL;
}

/* y[b, 0…len−1, …] = x0[b, off…off+len−1, …] */
static void slice_emit(Emit *e, Node *n)
{
	const SliceAttr *a = n->attr;
	long outer, inner;
	outer_inner(e, in_node(e->c, n, 0), &outer, &inner);
	long row = emit_dim(e, n, 0, 1) * inner, len = (long)a->len * inner;
	emit_line(e, "for (int b = 0; b < %ld; b++)", outer);
	long off = (long)a->off * inner;
	emit_line(e, "\tmemcpy(y + b*%ldL, x0 + b*%ldL%s, sizeof(float) * %ld);",
	          len, row, off ? ctx_sprintf(e->c, " + %ld", off) : "", len);
}

static void slice_print(Buf *b, const Node *n)
{
	const SliceAttr *a = n->attr;
	buf_printf(b, "off=%d len=%d", a->off, a->len);
}

/* Made by concat's gradient only, so it has no gradient of its own. */
const OpDef op_slice = {
	.name = "slice", .nin = 1,
	.shape = slice_shape, .emit = slice_emit,
	.attr_size = sizeof(SliceAttr), .print_attr = slice_print,
};
