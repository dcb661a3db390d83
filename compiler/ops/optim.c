/*
 * optim.c — optimizers: their Lua keys, their state, and the update op
 * that autodiff appends for each parameter: update(param, grad, state…).
 * The learning rate `lr` and the step count `t` (1 on the first step) are
 * runtime values, so schedules need no recompilation.
 */
#include <stddef.h>

#include "../nncc.h"

#define K(key, kind, pos, req, def, lo, hi)                                 \
	{#key, kind, pos, req, def, offsetof(Optim, key), lo, hi}

/* torch.optim.SGD:
 *   g = grad + weight_decay·p
 *   buf = g on the first step, else momentum·buf + (1 − dampening)·g
 *   g = nesterov ? g + momentum·buf : buf      (when momentum ≠ 0)
 *   p = p − lr·g */
static const AttrKey sgd_keys[] = {
	K(lr, AK_NUM, 0, 1, 0, 0, 1e9),
	K(momentum, AK_NUM, 0, 0, 0, 0, 1),
	K(dampening, AK_NUM, 0, 0, 0, 0, 1),
	K(weight_decay, AK_NUM, 0, 0, 0, 0, 1e9),
	K(nesterov, AK_BOOL, 0, 0, 0, 1, 0),
	{0},
};

static int sgd_nstate(const Optim *o)
{
	return o->momentum != 0;
}

static void sgd_emit(Emit *e, Node *n)
{
	const Optim *o = n->attr;
	long N = emit_numel(e, n, 0);
	emit_line(e, "for (long i = 0; i < %ld; i++) {", N);
	if (o->weight_decay != 0)
		emit_line(e, "\tfloat g = x1[i] + %s*x0[i];",
		          cfloat(e->c, o->weight_decay));
	else
		emit_line(e, "\tfloat g = x1[i];");
	if (o->momentum != 0) {
		emit_line(e, "\tx2[i] = t == 1 ? g : %s*x2[i] + %s*g;",
		          cfloat(e->c, o->momentum), cfloat(e->c, 1 - o->dampening));
		if (o->nesterov)
			emit_line(e, "\tg += %s*x2[i];", cfloat(e->c, o->momentum));
		else
			emit_line(e, "\tg = x2[i];");
	}
	emit_line(e, "\tx0[i] -= lr*g;");
	emit_line(e, "}");
}

static const char *update_shape(Ctx *c, Node *n)
{
	for (int i = 1; i < n->nin; i++)
		if (!shape_eq(&in_node(c, n, 0)->shape, &in_node(c, n, i)->shape))
			return ctx_sprintf(c, "state %d does not match the parameter", i);
	n->shape = (Shape){0, {0}};
	n->dtype = DT_F32;
	return NULL;
}

static double update_flops(Ctx *c, Node *n)
{
	return 4.0 * (double)node_numel(c, in_node(c, n, 0));
}

static void optim_print(Buf *b, const Node *n)
{
	const Optim *o = n->attr;
	buf_printf(b, "%s", o->def->name);
}

const OpDef op_sgd_update = {
	.name = "sgd_update", .nin = -1, .traits = OT_UPDATE | OT_TRAIN_ONLY,
	.writes = 1 << 0 | 1 << 2,
	.shape = update_shape, .emit = sgd_emit, .flops = update_flops,
	.print_attr = optim_print,
};

const OptimDef optim_sgd = {
	.name = "sgd", .keys = sgd_keys, .nstate = sgd_nstate,
	.state_names = {"momentum_buffer"}, .update = &op_sgd_update,
};

/* torch.optim.Adam / AdamW (decoupled):
 *   Adam:  g = grad + weight_decay·p;   AdamW: p = p·(1 − lr·weight_decay)
 *   m = β1·m + (1 − β1)·g;   v = β2·v + (1 − β2)·g²
 *   p = p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps) */
static const AttrKey adam_keys[] = {
	K(lr, AK_NUM, 0, 0, 1e-3, 0, 1e9),
	K(beta1, AK_NUM, 0, 0, 0.9, 0, 1),
	K(beta2, AK_NUM, 0, 0, 0.999, 0, 1),
	K(eps, AK_NUM, 0, 0, 1e-8, 0, 1),
	K(weight_decay, AK_NUM, 0, 0, 0, 0, 1e9),
	K(decoupled, AK_BOOL, 0, 0, 0, 1, 0),
	{0},
};

static int adam_nstate(const Optim *o)
{
	(void)o;
	return 2;
}

static void adam_emit(Emit *e, Node *n)
{
	const Optim *o = n->attr;
	long N = emit_numel(e, n, 0);
	emit_line(e, "const float step_size = lr / (float)(1 - pow(%.17g, "
	             "(double)t));", o->beta1);
	emit_line(e, "const float bc2 = (float)sqrt(1 - pow(%.17g, (double)t));",
	          o->beta2);
	emit_line(e, "for (long i = 0; i < %ld; i++) {", N);
	emit_line(e, "\tfloat g = x1[i];");
	if (o->weight_decay != 0 && o->decoupled)
		emit_line(e, "\tx0[i] *= 1 - lr*%s;", cfloat(e->c, o->weight_decay));
	else if (o->weight_decay != 0)
		emit_line(e, "\tg += %s*x0[i];", cfloat(e->c, o->weight_decay));
	emit_line(e, "\tx2[i] = %s*x2[i] + %s*g;",
	          cfloat(e->c, o->beta1), cfloat(e->c, 1 - o->beta1));
	emit_line(e, "\tx3[i] = %s*x3[i] + %s*g*g;",
	          cfloat(e->c, o->beta2), cfloat(e->c, 1 - o->beta2));
	emit_line(e, "\tx0[i] -= step_size * x2[i] / (sqrtf(x3[i]) / bc2 + %s);",
	          cfloat(e->c, o->eps));
	emit_line(e, "}");
}

const OpDef op_adam_update = {
	.name = "adam_update", .nin = 4, .traits = OT_UPDATE | OT_TRAIN_ONLY,
	.writes = 1 << 0 | 1 << 2 | 1 << 3,
	.shape = update_shape, .emit = adam_emit, .flops = update_flops,
	.print_attr = optim_print,
};

const OptimDef optim_adam = {
	.name = "adam", .keys = adam_keys, .nstate = adam_nstate,
	.state_names = {"exp_avg", "exp_avg_sq"}, .update = &op_adam_update,
};
