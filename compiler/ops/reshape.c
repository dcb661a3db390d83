/*
 * reshape.c — a view of in[0] with another shape: no copy, no code.
 * nn.flatten(x) is reshape to [B, everything else]; nn.reshape{dims…}(x)
 * to [B, dims…], one of which may be -1 (inferred, as in PyTorch).
 */
#include <stddef.h>

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

/* ---- nn.reshape{d1, d2, …}: per-sample dims, the batch implicit ------- */

enum { MAXRESHAPE = MAXDIM - 1, ABSENT = -2 };

typedef struct ReshapeLayer {
	int d[MAXRESHAPE];   /* ABSENT past the last one given */
} ReshapeLayer;

#define DIM_KEY(i)                                                          \
	{"dim" #i, AK_INT, i, 0, ABSENT, offsetof(ReshapeLayer, d[i - 1]), -1, \
	 1 << 24}
static const AttrKey reshape_keys[] = {
	DIM_KEY(1), DIM_KEY(2), DIM_KEY(3), DIM_KEY(4), DIM_KEY(5), {0},
};

/* The dims given, in order: none missing, none 0, at most one -1. */
static const char *reshape_configure(Ctx *c, Layer *l)
{
	const ReshapeLayer *a = l->attr;
	int n = 0, infer = 0;
	while (n < MAXRESHAPE && a->d[n] != ABSENT)
		n++;
	if (!n)
		return ctx_sprintf(c, "give the per-sample dimensions: "
		                      "nn.reshape{4, 7, 7}");
	for (int i = n; i < MAXRESHAPE; i++)
		if (a->d[i] != ABSENT)
			return ctx_sprintf(c, "dimension %d is missing", n + 1);
	for (int i = 0; i < n; i++) {
		if (a->d[i] == 0)
			return ctx_sprintf(c, "dimension %d is 0", i + 1);
		if (a->d[i] == -1 && infer++)
			return ctx_sprintf(c, "only one dimension can be -1 "
			                      "(inferred)");
	}
	return NULL;
}

static int reshape_apply(Ctx *c, Layer *l, int x, Pos pos, const char **err)
{
	const ReshapeLayer *la = l->attr;
	const Shape *xs = &ir_node(c, x)->shape;
	if (xs->n < 1 || xs->d[0] != BATCH) {
		*err = ctx_sprintf(c, "input %s has no batch dimension",
		                   shape_str(c, xs));
		return -1;
	}
	ReshapeAttr *a = ctx_alloc(c, sizeof *a);
	a->to.d[a->to.n++] = BATCH;
	long have = shape_numel(xs, 1);
	double known = 1;    /* ≤ 2^120: exact enough to compare */
	int infer = -1;
	for (int i = 0; i < MAXRESHAPE && la->d[i] != ABSENT; i++) {
		if (la->d[i] == -1)
			infer = a->to.n;
		else
			known *= la->d[i];
		a->to.d[a->to.n++] = la->d[i];
	}
	if (infer >= 0 ? known > have || have % (long)known : known != have) {
		Buf b = {0};      /* the shape asked for, -1 as given */
		buf_puts(&b, "[B");
		for (int i = 1; i < a->to.n; i++)
			buf_printf(&b, ",%d", a->to.d[i]);
		buf_puts(&b, "]");
		*err = ctx_sprintf(c, "cannot view %s as %s: %ld elements per "
		                      "sample, %s %.0f", shape_str(c, xs), b.s, have,
		                   infer >= 0 ? "not a multiple of" : "not", known);
		buf_free(&b);
		return -1;
	}
	if (infer >= 0)
		a->to.d[infer] = (int)(have / (long)known);
	Node *n = ir_add(c, &op_reshape, &x, 1, a, pos, err);
	return n ? n->id : -1;
}

const LayerDef layer_reshape = {
	.name = "reshape", .keys = reshape_keys,
	.attr_size = sizeof(ReshapeLayer),
	.configure = reshape_configure, .apply = reshape_apply,
};
