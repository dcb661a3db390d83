/*
 * activation.c — pointwise activations and their gradients, and the
 * elementwise sums and products.  Gradients are written in terms of the
 * forward output y where the output determines the derivative, so the
 * forward input need not stay alive for the backward pass; gelu's cannot
 * be (it is not monotonic), and leaky_relu's only when its slope is ≥ 0.
 */
#include <stddef.h>

#include "../nncc.h"

/* A pointwise op's element: its template, $k standing for input k. */
#define POINTWISE(op, tmpl)                                                \
	static const char *op##_ew(Ctx *c, const Node *n,                  \
	                           const char *const *a)                   \
	{                                                                  \
		(void)n;                                                   \
		return ew_subst(c, tmpl, a);                               \
	}

POINTWISE(relu, "$0 > 0 ? $0 : 0")
POINTWISE(relu_grad, "$1 > 0 ? $0 : 0")
POINTWISE(sigmoid, "1 / (1 + expf(-$0))")
POINTWISE(sigmoid_grad, "$0 * $1 * (1 - $1)")
POINTWISE(tanh, "tanhf($0)")
POINTWISE(tanh_grad, "$0 * (1 - $1 * $1)")
POINTWISE(add, "$0 + $1")
POINTWISE(mul, "$0 * $1")
POINTWISE(copy, "$0")

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

/* d(a·b) = dout·b, dout·a: two products, one per input. */
static void mul_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	din[0] = ir_make2(c, &op_mul, PH_BWD, dout, n->in[1], NULL, n->pos);
	din[1] = ir_make2(c, &op_mul, PH_BWD, dout, n->in[0], NULL, n->pos);
}

static double flops1(Ctx *c, Node *n) { return flops_per_elem(c, n, 1); }
static double flops4(Ctx *c, Node *n) { return flops_per_elem(c, n, 4); }

#define ACT(op, fl, lua_name, g, tr)                                        \
	const OpDef op_##op = {                                             \
		.name = #op, .nin = 1,                                      \
		.traits = OT_ELEMWISE | OT_INPLACE | (tr),                  \
		.lua = lua_name, .shape = elementwise_same_shape,           \
		.grad = g, .emit = ew_emit, .flops = fl,                    \
		.print_attr = print_no_attr, .ew = op##_ew,                 \
	};
#define ACT_GRAD(op, fl)                                                    \
	const OpDef op_##op = {                                             \
		.name = #op, .nin = 2, .traits = OT_ELEMWISE | OT_INPLACE,  \
		.shape = elementwise_same_shape, .emit = ew_emit,           \
		.flops = fl, .print_attr = print_no_attr, .ew = op##_ew,    \
	};

ACT(relu, flops1, "relu", relu_grad_rule, OT_GRAD_FROM_OUT)
ACT(sigmoid, flops4, "sigmoid", sigmoid_grad_rule, OT_GRAD_FROM_OUT)
ACT(tanh, flops4, "tanh", tanh_grad_rule, OT_GRAD_FROM_OUT)
ACT(copy, NULL, NULL, NULL, OT_GRAD_FROM_IN)
ACT_GRAD(relu_grad, flops1)
ACT_GRAD(sigmoid_grad, flops1)
ACT_GRAD(tanh_grad, flops1)

const OpDef op_add = {
	.name = "add", .nin = 2,
	.traits = OT_ELEMWISE | OT_INPLACE | OT_GRAD_FROM_IN,
	.lua = "add", .shape = elementwise_same_shape, .grad = add_grad_rule,
	.emit = ew_emit, .flops = flops1, .print_attr = print_no_attr,
	.ew = add_ew,
};

const OpDef op_mul = {
	.name = "mul", .nin = 2,
	.traits = OT_ELEMWISE | OT_INPLACE | OT_GRAD_FROM_IN,
	.lua = "mul", .shape = elementwise_same_shape, .grad = mul_grad_rule,
	.emit = ew_emit, .flops = flops1, .print_attr = print_no_attr,
	.ew = mul_ew,
};

/* ---- gelu: PyTorch's exact form, y = x·Φ(x) = ½x(1 + erf(x/√2)) ------- */

/* 1/√2 and 1/√(2π) as literals: M_SQRT1_2 is not in strict C11. */
#define GELU_K "0.707106781f"
#define GELU_N "0.398942280f"

POINTWISE(gelu, "0.5f * $0 * (1 + erff($0 * " GELU_K "))")
/* dy/dx = Φ(x) + x·φ(x), from the forward input x = x1 */
POINTWISE(gelu_grad, "$0 * (0.5f * (1 + erff($1 * " GELU_K ")) + "
                     "$1 * " GELU_N " * expf(-0.5f * $1 * $1))")

static void gelu_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	din[0] = ir_make2(c, &op_gelu_grad, PH_BWD, dout, n->in[0], NULL,
	                  n->pos);
}

static double flops8(Ctx *c, Node *n) { return flops_per_elem(c, n, 8); }

ACT(gelu, flops8, "gelu", gelu_grad_rule, OT_GRAD_FROM_IN)
ACT_GRAD(gelu_grad, flops8)

/* ---- leaky_relu{slope = 0.01}: a configured op, made by its layer ----- */

typedef struct LeakyAttr {
	double slope;
} LeakyAttr;

static const char *leaky_relu_ew(Ctx *c, const Node *n, const char *const *a)
{
	const LeakyAttr *at = n->attr;
	return ew_subst(c, ctx_sprintf(c, "$0 > 0 ? $0 : %s * $0",
	                               cfloat(c, at->slope)), a);
}

/* x0 = dout, x1 = the output y when slope ≥ 0 (then y > 0 exactly when
 * x > 0), else the input x: dx = x1 > 0 ? dout : slope·dout. */
static const char *leaky_relu_grad_ew(Ctx *c, const Node *n,
                                      const char *const *a)
{
	const LeakyAttr *at = n->attr;
	return ew_subst(c, ctx_sprintf(c, "$1 > 0 ? $0 : %s * $0",
	                               cfloat(c, at->slope)), a);
}

static void leaky_relu_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	const LeakyAttr *a = n->attr;
	int sign_of_x = a->slope >= 0 ? n->id : n->in[0];
	din[0] = ir_make2(c, &op_leaky_relu_grad, PH_BWD, dout, sign_of_x,
	                  n->attr, n->pos);
}

static void leaky_print(Buf *b, const Node *n)
{
	const LeakyAttr *a = n->attr;
	buf_printf(b, "slope=%.9g", a->slope);
}

const OpDef op_leaky_relu = {
	.name = "leaky_relu", .nin = 1, .traits = OT_ELEMWISE | OT_INPLACE,
	.shape = elementwise_same_shape, .grad = leaky_relu_grad_rule,
	.emit = ew_emit, .flops = flops1, .ew = leaky_relu_ew,
	.attr_size = sizeof(LeakyAttr), .print_attr = leaky_print,
};

const OpDef op_leaky_relu_grad = {
	.name = "leaky_relu_grad", .nin = 2, .traits = OT_ELEMWISE | OT_INPLACE,
	.shape = elementwise_same_shape, .emit = ew_emit,
	.flops = flops1, .attr_size = sizeof(LeakyAttr), .ew = leaky_relu_grad_ew,
	.print_attr = leaky_print,
};

static const AttrKey leaky_keys[] = {
	{"slope", AK_NUM, 1, 0, 0.01, offsetof(LeakyAttr, slope), 1, 0},
	{0},
};

/* nn.leaky_relu{slope}(h): like PyTorch's nn.LeakyReLU module, any finite
 * slope (a negative one too); no parameters. */
static int leaky_relu_apply(Ctx *c, Layer *l, int x, Pos pos,
                            const char **err)
{
	LeakyAttr *a = ctx_alloc(c, sizeof *a);
	*a = *(const LeakyAttr *)l->attr;
	Node *n = ir_add(c, &op_leaky_relu, &x, 1, a, pos, err);
	return n ? n->id : -1;
}

const LayerDef layer_leaky_relu = {
	.name = "leaky_relu", .keys = leaky_keys, .attr_size = sizeof(LeakyAttr),
	.apply = leaky_relu_apply,
};
