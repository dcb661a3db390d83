/*
 * activation.c — pointwise activations and their gradients.  Each
 * gradient is written in terms of the forward output y, so the forward
 * input need not stay alive for the backward pass.
 */
#include "../nncc.h"

/* y[i] = expr over x0[i], x1[i]: the loop every pointwise op emits. */
static void emit_map(Emit *e, Node *n, const char *expr)
{
	emit_line(e, "for (long i = 0; i < %ld; i++)", emit_numel(e, n, -1));
	emit_line(e, "\ty[i] = %s;", expr);
}

#define POINTWISE(op, expr)                                                \
	static void op##_emit(Emit *e, Node *n) { emit_map(e, n, expr); }

POINTWISE(relu, "x0[i] > 0 ? x0[i] : 0")
POINTWISE(relu_grad, "x1[i] > 0 ? x0[i] : 0")
POINTWISE(sigmoid, "1 / (1 + expf(-x0[i]))")
POINTWISE(sigmoid_grad, "x0[i] * x1[i] * (1 - x1[i])")
POINTWISE(tanh, "tanhf(x0[i])")
POINTWISE(tanh_grad, "x0[i] * (1 - x1[i] * x1[i])")
POINTWISE(add, "x0[i] + x1[i]")
POINTWISE(copy, "x0[i]")

static void relu_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	grad_from_output(c, n, dout, din, &op_relu_grad);
}

static void sigmoid_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	grad_from_output(c, n, dout, din, &op_sigmoid_grad);
}

static void tanh_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	grad_from_output(c, n, dout, din, &op_tanh_grad);
}

static void add_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	(void)c;
	(void)n;
	din[0] = din[1] = dout;
}

static double flops1(Ctx *c, Node *n) { return flops_per_elem(c, n, 1); }
static double flops4(Ctx *c, Node *n) { return flops_per_elem(c, n, 4); }

#define ACT(op, fl, lua_name, g)                                            \
	const OpDef op_##op = {                                             \
		.name = #op, .nin = 1, .traits = OT_ELEMWISE | OT_INPLACE,  \
		.lua = lua_name, .shape = elementwise_same_shape,           \
		.grad = g, .emit = op##_emit, .flops = fl,                  \
		.print_attr = print_no_attr,                                \
	};
#define ACT_GRAD(op, fl)                                                    \
	const OpDef op_##op = {                                             \
		.name = #op, .nin = 2, .traits = OT_ELEMWISE | OT_INPLACE,  \
		.shape = elementwise_same_shape, .emit = op##_emit,         \
		.flops = fl, .print_attr = print_no_attr,                   \
	};

ACT(relu, flops1, "relu", relu_grad_rule)
ACT(sigmoid, flops4, "sigmoid", sigmoid_grad_rule)
ACT(tanh, flops4, "tanh", tanh_grad_rule)
ACT(copy, NULL, NULL, NULL)
ACT_GRAD(relu_grad, flops1)
ACT_GRAD(sigmoid_grad, flops1)
ACT_GRAD(tanh_grad, flops1)

const OpDef op_add = {
	.name = "add", .nin = 2, .traits = OT_ELEMWISE | OT_INPLACE,
	.lua = "add", .shape = elementwise_same_shape, .grad = add_grad_rule,
	.emit = add_emit, .flops = flops1, .print_attr = print_no_attr,
};
