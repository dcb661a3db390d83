/*
 * reshape.c — a view of in[0] with another shape: no copy, no code.
 * nn.flatten(x) is reshape to [B, everything else].
 */
#include "../nncc.h"

typedef struct ReshapeAttr {
	Shape to;
} ReshapeAttr;

static const char *reshape_shape(Ctx *c, Node *n)
{
	const ReshapeAttr *a = n->attr;
	const Shape *x = &in_node(c, n, 0)->shape;
	/* both counted with the batch as 1: B stays B */
	if (shape_numel(x, 1) != shape_numel(&a->to, 1))
		return ctx_sprintf(c, "cannot view %s as %s: element counts differ",
		                   shape_str(c, x), shape_str(c, &a->to));
	n->shape = a->to;
	n->dtype = in_node(c, n, 0)->dtype;
	n->st = ST_VIEW;
	return NULL;
}

static void reshape_grad(Ctx *c, Node *n, int dout, int *din)
{
	ReshapeAttr *a = ctx_alloc(c, sizeof *a);
	a->to = in_node(c, n, 0)->shape;
	din[0] = ir_make1(c, &op_reshape, PH_BWD, dout, a, n->pos);
}

static void reshape_print(Buf *b, const Node *n)
{
	const ReshapeAttr *a = n->attr;
	buf_puts(b, "to=");
	for (int i = 0; i < a->to.n; i++)
		if (a->to.d[i] == BATCH)
			buf_printf(b, "%sB", i ? "," : "");
		else
			buf_printf(b, "%s%d", i ? "," : "", a->to.d[i]);
}

const OpDef op_reshape = {
	.name = "reshape", .nin = 1,
	.shape = reshape_shape, .grad = reshape_grad,
	.attr_size = sizeof(ReshapeAttr), .print_attr = reshape_print,
};
