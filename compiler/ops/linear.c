/*
 * linear.c — the linear layer: y = x·Wᵀ + b, W [out,in] and b [out] in
 * PyTorch's layouts, built from matmul and bias_add so it gets its
 * backward from theirs.
 */
#include <stddef.h>

#include "../nncc.h"

typedef struct LinearAttr {
	int out;
	int bias;
	const InitSpec *init;        /* NULL: PyTorch's default */
} LinearAttr;

static const AttrKey linear_keys[] = {
	{"out", AK_INT, 1, 1, 0, offsetof(LinearAttr, out), 1, 1 << 24},
	{"bias", AK_BOOL, 0, 0, 1, offsetof(LinearAttr, bias), 1, 0},
	{"init", AK_INIT, 0, 0, 0, offsetof(LinearAttr, init), 1, 0},
	{0},
};

static int linear_apply(Ctx *c, Layer *l, int x, Pos pos, const char **err)
{
	const LinearAttr *a = l->attr;
	const Node *xn = ir_node(c, x);
	if (xn->dtype != DT_F32) {
		*err = ctx_sprintf(c, "input is int32 (%s); linear takes float "
		                      "tensors", xn->name ? xn->name : "indices");
		return -1;
	}
	if (xn->shape.n < 1 || xn->shape.d[0] != BATCH) {
		*err = ctx_sprintf(c, "input %s has no batch dimension",
		                   shape_str(c, &xn->shape));
		return -1;
	}
	if (xn->shape.n != 2) {
		*err = ctx_sprintf(c, "input has %d dims %s; flatten it first",
		                   xn->shape.n - 1, shape_str(c, &xn->shape));
		return -1;
	}
	int in = xn->shape.d[1];
	ParamAttr pa = param_init(a->init, in, a->out);
	if (l->applied && ir_node(c, l->param[0])->shape.d[1] != in) {
		*err = ctx_sprintf(c, "%s was first applied to %d features, now "
		                      "to %d", l->name,
		                   ir_node(c, l->param[0])->shape.d[1], in);
		return -1;
	}
	int w = layer_param(c, l, 0, "weight", (Shape){2, {a->out, in}}, pa, pos);
	int y = ir_make2(c, &op_matmul, PH_FWD, x, w, matmul_attr(c, 0, 1), pos);
	if (a->bias) {
		/* PyTorch's U(±1/√fan_in) by default; zero beside any other init */
		pa = param_init(NULL, in, a->out);
		pa.init = a->init && a->init->kind != INIT_TORCH ? INIT_ZEROS :
		          INIT_TORCH;
		int b = layer_param(c, l, 1, "bias", (Shape){1, {a->out}}, pa, pos);
		y = ir_make2(c, &op_bias_add, PH_FWD, y, b, NULL, pos);
	}
	return y;
}

const LayerDef layer_linear = {
	.name = "linear", .keys = linear_keys, .attr_size = sizeof(LinearAttr),
	.apply = linear_apply,
};
