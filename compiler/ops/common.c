/*
 * common.c — small helpers the op definitions share.
 */
#include "../nncc.h"

Node *in_node(Ctx *c, const Node *n, int i)
{
	return ir_node(c, n->in[i]);
}

/* Shape rule of ops whose inputs all have one shape, which is the output's. */
const char *elementwise_same_shape(Ctx *c, Node *n)
{
	Node *a = in_node(c, n, 0);
	for (int i = 1; i < n->nin; i++) {
		Node *b = in_node(c, n, i);
		if (!shape_eq(&a->shape, &b->shape))
			return ctx_sprintf(c, "inputs must have one shape; got %s and %s",
			                   shape_str(c, &a->shape), shape_str(c, &b->shape));
	}
	for (int i = 0; i < n->nin; i++)
		if (in_node(c, n, i)->dtype != DT_F32)
			return ctx_sprintf(c, "input %d is int32; this op takes float "
			                      "tensors", i + 1);
	n->shape = a->shape;
	n->dtype = DT_F32;
	return NULL;
}

void print_no_attr(Buf *b, const Node *n)
{
	(void)b;
	(void)n;
}

double flops_per_elem(Ctx *c, Node *n, double k)
{
	return k * (double)node_numel(c, n);
}

void grad_from_output(Ctx *c, Node *n, int dout, int *din, const OpDef *g)
{
	din[0] = ir_make2(c, g, PH_BWD, dout, n->id, NULL, n->pos);
}

/* A persistent tensor of layer l in slot: "<l->name>.<suffix>", made on
 * the first apply, the same node on every later one. */
static int layer_tensor(Ctx *c, Layer *l, int slot, const char *suffix,
                        const ParamAttr *a, Storage st, Pos pos)
{
	if (l->param[slot] >= 0)
		return l->param[slot];
	ParamAttr *pa = ctx_alloc(c, sizeof *pa);
	*pa = *a;
	int id = ir_make(c, &op_param, PH_FWD, NULL, 0, pa, pos);
	Node *n = ir_node(c, id);
	n->st = st;
	n->name = ctx_sprintf(c, "%s.%s", l->name, suffix);
	n->layer = l->name;
	l->param[slot] = id;
	return id;
}

int layer_param(Ctx *c, Layer *l, int slot, const char *suffix, Shape s,
                ParamAttr a, Pos pos)
{
	a.shape = s;
	return layer_tensor(c, l, slot, suffix, &a, ST_PARAM, pos);
}

int layer_state(Ctx *c, Layer *l, int slot, const char *suffix, Shape s,
                int init, Pos pos)
{
	ParamAttr a = {.shape = s, .init = init};
	return layer_tensor(c, l, slot, suffix, &a, ST_STATE, pos);
}
