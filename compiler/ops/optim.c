/*
 * optim.c — optimizers: their Lua keys, their state, and the one update
 * node autodiff appends for the whole model:
 *
 *   update(params, grads, state kind 1, …[, scale])
 *
 * Every input but the scale is a block: plan lays the parameters, their
 * gradients and each kind of state out in one order, so element i of
 * every block belongs to the same weight and the update is one loop over
 * every trained float.  The padding between members is 0 and stays 0: a
 * zero gradient on a zero weight moves nothing in any rule below (eps > 0
 * keeps 0/0 out).  The learning rate `lr` and the step count `t` (1 on
 * the first step) are runtime values, so schedules need no recompilation.
 *
 * Each rule is torch.optim's (PyTorch 1.13), named above its emitter.
 * Before it, every optimizer forms its gradient the same way:
 *
 *   g = scale · grad        clip_norm: scale = min(1, clip/(‖grad‖ + 1e-6))
 *                           over all gradients (clip_scale, below), as
 *                           torch.nn.utils.clip_grad_norm_ before step()
 *   g += l1 · sign(p)       l1: the subgradient of l1·Σ|p|, sign(0) = 0
 *   g += weight_decay · p   unless the decay is decoupled (AdamW)
 *
 * so l1, like weight_decay, is added after clipping: both belong to the
 * optimizer's step, not to the loss whose gradient is clipped.
 */
#include <stddef.h>

#include "../nncc.h"

#define K(key, kind, pos, req, def, lo, hi)                                 \
	{#key, kind, pos, req, def, offsetof(Optim, key), lo, hi}
/* The keys every optimizer takes. */
#define COMMON_KEYS                                                         \
	K(l1, AK_NUM, 0, 0, 0, 0, 1e9), K(clip_norm, AK_NUM, 0, 0, 0, 0, 1e9)

int optim_has_state(const Optim *o, int s)
{
	if (s < 0 || s >= MAXSTATE || !o->def->state_names[s])
		return 0;
	return o->def->has_state ? o->def->has_state(o, s) : 1;
}

int optim_nstate(const Optim *o)
{
	int n = 0;
	for (int s = 0; s < MAXSTATE; s++)
		n += optim_has_state(o, s);
	return n;
}

/* The update's input that holds state kind s: "x3". */
static const char *state_x(Emit *e, const Optim *o, int s)
{
	int k = 2;
	for (int j = 0; j < s; j++)
		k += optim_has_state(o, j);
	if (!optim_has_state(o, s))
		bug("%s keeps no %s", o->def->name, o->def->state_names[s]);
	return ctx_sprintf(e->c, "x%d", k);
}

/* Parameters and state are written; gradients and the scale only read. */
static unsigned update_writes(const Node *n)
{
	const Optim *o = n->attr;
	unsigned w = 1u << 0;
	for (int k = 0; k < optim_nstate(o); k++)
		w |= 1u << (2 + k);
	return w;
}

static const char *update_shape(Ctx *c, Node *n)
{
	const Optim *o = n->attr;
	int nblock = 2 + optim_nstate(o);
	if (n->nin != nblock + (o->clip_norm > 0))
		return ctx_sprintf(c, "%d inputs for %d blocks", n->nin, nblock);
	for (int i = 1; i < nblock; i++)
		if (!shape_eq(&in_node(c, n, 0)->shape, &in_node(c, n, i)->shape))
			return ctx_sprintf(c, "block %d does not match the parameters",
			                   i);
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

/* The loop head over i = from … to − 1 (C expressions) and g, the
 * gradient the rule works on (see the top); coupled: weight_decay is
 * added to it. */
static void emit_grad_range(Emit *e, const Node *n, int coupled,
                            const char *from, const char *to)
{
	const Optim *o = n->attr;
	Ctx *c = e->c;
	if (o->clip_norm > 0)
		emit_line(e, "const float scale = x%d[0];  /* clip_norm */",
		          n->nin - 1);
	emit_line(e, "NN_IVDEP for (long i = %s; i < %s; i++) {", from, to);
	emit_line(e, "\tfloat g = %sx1[i];", o->clip_norm > 0 ? "scale*" : "");
	if (o->l1 != 0)
		emit_line(e, "\tg += %s*(float)((x0[i] > 0) - (x0[i] < 0));",
		          cfloat(c, o->l1));
	if (coupled && o->weight_decay != 0)
		emit_line(e, "\tg += %s*x0[i];", cfloat(c, o->weight_decay));
}

/* The same over every element. */
static void emit_grad(Emit *e, const Node *n, int coupled)
{
	emit_grad_range(e, n, coupled, "0", ctx_sprintf(e->c, "%ld",
	                emit_numel(e, n, 0)));
}

/* From this many parameters, threads own blocks of the update (as the
 * convs' loops thread from 2^15 elements). */
enum { OPT_OMP_MIN = 1 << 15 };

/* The rules that divide by a square root run in blocks of NN_SQB
 * elements: a first loop updates the state and leaves the root's argument
 * in den (and with keep_g, g in gb), nn_sqrt_block takes the roots, and a
 * second loop takes the step.  A loop around sqrtf stays scalar under
 * gcc's default -fmath-errno (the call that may set errno is kept); the
 * vector root is exact, so the numbers are sqrtf's.  This opens the
 * blocks and the first loop, with g. */
static void open_sqrt_blocks(Emit *e, const Node *n, int coupled, int keep_g)
{
	long N = emit_numel(e, n, 0);
	if (N >= OPT_OMP_MIN)   /* blocks are independent: threads own some */
		emit_line(e, "NN_OMP(\"omp parallel for schedule(static)\")");
	emit_line(e, "for (long i0 = 0; i0 < %ld; i0 += NN_SQB) {", N);
	e->indent++;
	emit_line(e, "const long i1 = i0 + NN_SQB < %ld ? i0 + NN_SQB : %ld;", N,
	          N);
	emit_line(e, "float den[NN_SQB];  /* the roots' arguments, then the "
	             "roots */");
	if (keep_g)
		emit_line(e, "float gb[NN_SQB];  /* g */");
	emit_grad_range(e, n, coupled, "i0", "i1");
	if (keep_g)
		emit_line(e, "\tgb[i - i0] = g;");
}

/* Closes the first loop, once the rule has set den[i - i0]; takes the
 * roots; opens the second loop, with g again when keep_g. */
static void sqrt_step(Emit *e, int keep_g)
{
	emit_line(e, "}");
	emit_line(e, "nn_sqrt_block(den, i1 - i0);");
	emit_line(e, "NN_IVDEP for (long i = i0; i < i1; i++) {");
	if (keep_g)
		emit_line(e, "\tconst float g = gb[i - i0];");
}

static void close_sqrt_blocks(Emit *e)
{
	emit_line(e, "}");
	e->indent--;
	emit_line(e, "}");
}

/* ---- SGD ----------------------------------------------------------------
 * torch.optim.SGD:
 *   buf = g on the first step, else momentum·buf + (1 − dampening)·g
 *   g = nesterov ? g + momentum·buf : buf      (when momentum ≠ 0)
 *   p = p − lr·g */
static const AttrKey sgd_keys[] = {
	K(lr, AK_NUM, 0, 1, 0, 0, 1e9),
	K(momentum, AK_NUM, 0, 0, 0, 0, 1),
	K(dampening, AK_NUM, 0, 0, 0, 0, 1),
	K(weight_decay, AK_NUM, 0, 0, 0, 0, 1e9),
	K(nesterov, AK_BOOL, 0, 0, 0, 1, 0),
	COMMON_KEYS,
	{0},
};

static int sgd_has_state(const Optim *o, int s)
{
	(void)s;
	return o->momentum != 0;
}

static const char *sgd_check(Ctx *c, const Optim *o)
{
	if (o->nesterov && (o->momentum == 0 || o->dampening != 0))
		return ctx_sprintf(c, "nesterov needs momentum > 0 and dampening = "
		                      "0; got momentum = %g, dampening = %g",
		                   o->momentum, o->dampening);
	return NULL;
}

static void sgd_emit(Emit *e, Node *n)
{
	const Optim *o = n->attr;
	Ctx *c = e->c;
	emit_grad(e, n, 1);
	if (o->momentum != 0) {
		const char *buf = state_x(e, o, 0);
		emit_line(e, "\t%s[i] = t == 1 ? g : %s*%s[i] + %sg;", buf,
		          cfloat(c, o->momentum), buf, o->dampening == 0 ? "" :
		          ctx_sprintf(c, "%s*", cfloat(c, 1 - o->dampening)));
		if (o->nesterov)
			emit_line(e, "\tg += %s*%s[i];", cfloat(c, o->momentum), buf);
		else
			emit_line(e, "\tg = %s[i];", buf);
	}
	/* the step a statement of its own, so that no compiler contracts it
	 * into an FMA: matmul_sgd's epilogue (sgd_gemm) takes the same step
	 * as a multiply, then a subtraction, and the two builds agree */
	emit_line(e, "\tconst float d = lr*g;");
	emit_line(e, "\tx0[i] -= d;");
	emit_line(e, "}");
}

const OpDef op_sgd_update = {
	.name = "sgd_update", .nin = -1, .traits = OT_UPDATE | OT_TRAIN_ONLY,
	.writes_of = update_writes,
	.shape = update_shape, .emit = sgd_emit, .flops = update_flops,
	.print_attr = optim_print,
};

static const OptimDef optim_sgd = {
	.name = "sgd", .keys = sgd_keys, .state_names = {"momentum_buffer"},
	.has_state = sgd_has_state, .check = sgd_check, .update = &op_sgd_update,
};

/* ---- Adam, AdamW ----------------------------------------------------------
 * torch.optim.Adam, and torch.optim.AdamW when decoupled:
 *   AdamW: p = p·(1 − lr·weight_decay)   (Adam: weight_decay in g)
 *   m = β1·m + (1 − β1)·g;   v = β2·v + (1 − β2)·g²
 *   p = p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps) */
static const AttrKey adam_keys[] = {
	K(lr, AK_NUM, 0, 0, 1e-3, 0, 1e9),
	K(beta1, AK_NUM, 0, 0, 0.9, 0, 1),
	K(beta2, AK_NUM, 0, 0, 0.999, 0, 1),
	K(eps, AK_NUM, 0, 0, 1e-8, 0, 1),
	K(weight_decay, AK_NUM, 0, 0, 0, 0, 1e9),
	K(decoupled, AK_BOOL, 0, 0, 0, 1, 0),
	COMMON_KEYS,
	{0},
};

/* eps = 0 would divide 0 by 0 for a weight whose gradient is 0 (and in
 * the padding between the members of the blocks). */
static const char *eps_check(Ctx *c, const Optim *o)
{
	if (o->eps <= 0)
		return ctx_sprintf(c, "eps must be > 0 (a weight whose gradient is "
		                      "0 would get 0/0); got %g", o->eps);
	return NULL;
}

/* β = 1 would divide by 1 − βᵗ = 0. */
static const char *betas_check(Ctx *c, const Optim *o)
{
	if (o->beta1 >= 1 || o->beta2 >= 1)
		return ctx_sprintf(c, "%s must be < 1 (the bias correction divides "
		                      "by 1 - %s^t); got 1", o->beta1 >= 1 ? "beta1" :
		                   "beta2", o->beta1 >= 1 ? "beta1" : "beta2");
	return eps_check(c, o);
}

/* The bias corrections of step t, in double as torch computes them. */
static void emit_bias_corrections(Emit *e, const Optim *o)
{
	emit_line(e, "const double bc1 = 1 - pow(%s, (double)t);",
	          cdouble(e->c, o->beta1));
	emit_line(e, "const double bc2 = 1 - pow(%s, (double)t);",
	          cdouble(e->c, o->beta2));
}

/* m and v of the weight's g, as Adam and AdaBound keep them. */
static void emit_moments(Emit *e, const Optim *o)
{
	Ctx *c = e->c;
	const char *m = state_x(e, o, 0), *v = state_x(e, o, 1);
	emit_line(e, "\t%s[i] = %s*%s[i] + %s*g;", m, cfloat(c, o->beta1), m,
	          cfloat(c, 1 - o->beta1));
	emit_line(e, "\t%s[i] = %s*%s[i] + %s*g*g;", v, cfloat(c, o->beta2), v,
	          cfloat(c, 1 - o->beta2));
}

static void adam_emit(Emit *e, Node *n)
{
	const Optim *o = n->attr;
	emit_bias_corrections(e, o);
	emit_line(e, "const float step_size = (float)(lr / bc1);");
	emit_line(e, "const float bc2_sqrt = (float)sqrt(bc2);");
	open_sqrt_blocks(e, n, !o->decoupled, 0);
	if (o->weight_decay != 0 && o->decoupled)
		emit_line(e, "\tx0[i] *= 1 - lr*%s;", cfloat(e->c, o->weight_decay));
	emit_moments(e, o);
	emit_line(e, "\tden[i - i0] = %s[i];", state_x(e, o, 1));
	sqrt_step(e, 0);
	emit_line(e, "\tx0[i] -= step_size * %s[i] / (den[i - i0] / bc2_sqrt + "
	             "%s);", state_x(e, o, 0), cfloat(e->c, o->eps));
	close_sqrt_blocks(e);
}

const OpDef op_adam_update = {
	.name = "adam_update", .nin = -1, .traits = OT_UPDATE | OT_TRAIN_ONLY,
	.writes_of = update_writes,
	.shape = update_shape, .emit = adam_emit, .flops = update_flops,
	.print_attr = optim_print,
};

static const OptimDef optim_adam = {
	.name = "adam", .keys = adam_keys,
	.state_names = {"exp_avg", "exp_avg_sq"}, .check = betas_check,
	.update = &op_adam_update,
};

/* ---- Adagrad --------------------------------------------------------------
 * torch.optim.Adagrad:
 *   sum starts at initial_accumulator_value
 *   clr = lr / (1 + (t − 1)·lr_decay)
 *   sum = sum + g²
 *   p = p − clr · g / (√sum + eps) */
static const AttrKey adagrad_keys[] = {
	K(lr, AK_NUM, 0, 0, 1e-2, 0, 1e9),
	K(lr_decay, AK_NUM, 0, 0, 0, 0, 1e9),
	K(weight_decay, AK_NUM, 0, 0, 0, 0, 1e9),
	K(initial_accumulator_value, AK_NUM, 0, 0, 0, 0, 1e9),
	K(eps, AK_NUM, 0, 0, 1e-10, 0, 1),
	COMMON_KEYS,
	{0},
};

static double adagrad_state_init(const Optim *o, int s)
{
	(void)s;
	return o->initial_accumulator_value;
}

static void adagrad_emit(Emit *e, Node *n)
{
	const Optim *o = n->attr;
	const char *sum = state_x(e, o, 0);
	emit_line(e, "const float clr = (float)(lr / (1 + (double)(t - 1) * "
	             "%s));", cdouble(e->c, o->lr_decay));
	open_sqrt_blocks(e, n, 1, 1);
	emit_line(e, "\t%s[i] += g*g;", sum);
	emit_line(e, "\tden[i - i0] = %s[i];", sum);
	sqrt_step(e, 1);
	emit_line(e, "\tx0[i] -= clr * g / (den[i - i0] + %s);",
	          cfloat(e->c, o->eps));
	close_sqrt_blocks(e);
}

const OpDef op_adagrad_update = {
	.name = "adagrad_update", .nin = -1, .traits = OT_UPDATE | OT_TRAIN_ONLY,
	.writes_of = update_writes,
	.shape = update_shape, .emit = adagrad_emit, .flops = update_flops,
	.print_attr = optim_print,
};

static const OptimDef optim_adagrad = {
	.name = "adagrad", .keys = adagrad_keys, .state_names = {"sum"},
	.state_init = adagrad_state_init, .check = eps_check,
	.update = &op_adagrad_update,
};

/* ---- RMSprop --------------------------------------------------------------
 * torch.optim.RMSprop:
 *   v = α·v + (1 − α)·g²
 *   centered: m = α·m + (1 − α)·g;  d = √(v − m²) + eps,  else d = √v + eps
 *   momentum > 0: buf = momentum·buf + g/d;  p = p − lr·buf
 *   else:         p = p − lr·g/d
 * (v − m² ≥ 0 in exact arithmetic; it is clamped at 0 against rounding.) */
enum { RMS_SQUARE, RMS_MOMENTUM, RMS_GRAD_AVG };

static const AttrKey rmsprop_keys[] = {
	K(lr, AK_NUM, 0, 0, 1e-2, 0, 1e9),
	K(alpha, AK_NUM, 0, 0, 0.99, 0, 1),
	K(eps, AK_NUM, 0, 0, 1e-8, 0, 1),
	K(weight_decay, AK_NUM, 0, 0, 0, 0, 1e9),
	K(momentum, AK_NUM, 0, 0, 0, 0, 1),
	K(centered, AK_BOOL, 0, 0, 0, 1, 0),
	COMMON_KEYS,
	{0},
};

static int rmsprop_has_state(const Optim *o, int s)
{
	return s == RMS_SQUARE || (s == RMS_MOMENTUM && o->momentum != 0) ||
	       (s == RMS_GRAD_AVG && o->centered);
}

static void rmsprop_emit(Emit *e, Node *n)
{
	const Optim *o = n->attr;
	Ctx *c = e->c;
	const char *a = cfloat(c, o->alpha), *a1 = cfloat(c, 1 - o->alpha);
	const char *v = state_x(e, o, RMS_SQUARE);
	open_sqrt_blocks(e, n, 1, 1);
	emit_line(e, "\t%s[i] = %s*%s[i] + %s*g*g;", v, a, v, a1);
	if (o->centered) {
		const char *m = state_x(e, o, RMS_GRAD_AVG);
		emit_line(e, "\t%s[i] = %s*%s[i] + %s*g;", m, a, m, a1);
		/* max(·, 0) as a compare: fmaxf keeps gcc from vectorizing */
		emit_line(e, "\tconst float var = %s[i] - %s[i]*%s[i];", v, m, m);
		emit_line(e, "\tden[i - i0] = var > 0 ? var : 0;");
	} else {
		emit_line(e, "\tden[i - i0] = %s[i];", v);
	}
	sqrt_step(e, 1);
	emit_line(e, "\tfloat d = den[i - i0] + %s;", cfloat(c, o->eps));
	if (o->momentum != 0) {
		const char *buf = state_x(e, o, RMS_MOMENTUM);
		emit_line(e, "\t%s[i] = %s*%s[i] + g/d;", buf, cfloat(c, o->momentum),
		          buf);
		emit_line(e, "\tx0[i] -= lr*%s[i];", buf);
	} else {
		emit_line(e, "\tx0[i] -= lr*g/d;");
	}
	close_sqrt_blocks(e);
}

const OpDef op_rmsprop_update = {
	.name = "rmsprop_update", .nin = -1, .traits = OT_UPDATE | OT_TRAIN_ONLY,
	.writes_of = update_writes,
	.shape = update_shape, .emit = rmsprop_emit, .flops = update_flops,
	.print_attr = optim_print,
};

static const OptimDef optim_rmsprop = {
	.name = "rmsprop", .keys = rmsprop_keys,
	.state_names = {"square_avg", "momentum_buffer", "grad_avg"},
	.has_state = rmsprop_has_state, .check = eps_check,
	.update = &op_rmsprop_update,
};

/* ---- AdaBound -------------------------------------------------------------
 * Luo, Xiong, Liu & Sun, "Adaptive Gradient Methods with Dynamic Bound of
 * Learning Rate" (ICLR 2019), as the authors' release computes it: Adam's
 * step size per weight, clipped into bounds that close in on final_lr:
 *   m = β1·m + (1 − β1)·g;   v = β2·v + (1 − β2)·g²
 *   η = lr·√(1 − β2ᵗ)/(1 − β1ᵗ) / (√v + eps)
 *   f = final_lr · lr/lr₀     (lr₀: the recipe's lr; f follows the schedule)
 *   p = p − clamp(η, f·(1 − 1/(γt + 1)), f·(1 + 1/(γt))) · m */
static const AttrKey adabound_keys[] = {
	K(lr, AK_NUM, 0, 0, 1e-3, 0, 1e9),
	K(final_lr, AK_NUM, 0, 0, 0.1, 0, 1e9),
	K(beta1, AK_NUM, 0, 0, 0.9, 0, 1),
	K(beta2, AK_NUM, 0, 0, 0.999, 0, 1),
	K(gamma, AK_NUM, 0, 0, 1e-3, 0, 1),
	K(eps, AK_NUM, 0, 0, 1e-8, 0, 1),
	K(weight_decay, AK_NUM, 0, 0, 0, 0, 1e9),
	COMMON_KEYS,
	{0},
};

static const char *adabound_check(Ctx *c, const Optim *o)
{
	if (o->lr <= 0)
		return ctx_sprintf(c, "lr must be > 0 (final_lr follows lr as "
		                      "lr/lr0); got %g", o->lr);
	if (o->gamma <= 0)
		return ctx_sprintf(c, "gamma must be > 0 (the upper bound is "
		                      "final_lr*(1 + 1/(gamma*t))); got %g", o->gamma);
	return betas_check(c, o);
}

static void adabound_emit(Emit *e, Node *n)
{
	const Optim *o = n->attr;
	Ctx *c = e->c;
	emit_bias_corrections(e, o);
	emit_line(e, "const float step_size = (float)(lr * sqrt(bc2) / bc1);");
	emit_line(e, "const double final_lr = (double)lr * %s;  /* final_lr "
	             "follows lr: final_lr/lr0 */", cdouble(c, o->final_lr / o->lr));
	emit_line(e, "const float lower = (float)(final_lr * (1 - 1 / (%s * "
	             "(double)t + 1)));", cdouble(c, o->gamma));
	emit_line(e, "const float upper = (float)(final_lr * (1 + 1 / (%s * "
	             "(double)t)));", cdouble(c, o->gamma));
	open_sqrt_blocks(e, n, 1, 0);
	emit_moments(e, o);
	emit_line(e, "\tden[i - i0] = %s[i];", state_x(e, o, 1));
	sqrt_step(e, 0);
	emit_line(e, "\tfloat eta = step_size / (den[i - i0] + %s);",
	          cfloat(c, o->eps));
	emit_line(e, "\teta = eta > lower ? eta : lower;  /* not fmaxf, fminf: "
	             "they keep gcc from vectorizing */");
	emit_line(e, "\teta = eta < upper ? eta : upper;");
	emit_line(e, "\tx0[i] -= eta * %s[i];", state_x(e, o, 0));
	close_sqrt_blocks(e);
}

const OpDef op_adabound_update = {
	.name = "adabound_update", .nin = -1, .traits = OT_UPDATE | OT_TRAIN_ONLY,
	.writes_of = update_writes,
	.shape = update_shape, .emit = adabound_emit, .flops = update_flops,
	.print_attr = optim_print,
};

static const OptimDef optim_adabound = {
	.name = "adabound", .keys = adabound_keys,
	.state_names = {"exp_avg", "exp_avg_sq"}, .check = adabound_check,
	.update = &op_adabound_update,
};

/* ---- clip_norm ------------------------------------------------------------
 * torch.nn.utils.clip_grad_norm_(params, clip): the L2 norm of all
 * gradients together, and the factor that scales every gradient:
 *   scale = min(1, clip / (‖grad‖ + 1e-6)).
 * Its one input is the gradient block, so it runs after the whole
 * backward pass and before the update, which reads the scale.  The sum
 * of squares is a double, in one fixed order. */
static const char *clip_shape(Ctx *c, Node *n)
{
	(void)c;
	n->shape = (Shape){1, {1}};
	n->dtype = DT_F32;
	return NULL;
}

static void clip_emit(Emit *e, Node *n)
{
	const Optim *o = n->attr;
	emit_line(e, "double sq = 0;");
	emit_line(e, "for (long i = 0; i < %ld; i++)", emit_numel(e, n, 0));
	emit_line(e, "\tsq += (double)x0[i] * x0[i];");
	emit_line(e, "const double norm = sqrt(sq);");
	emit_line(e, "const double clip = %s;", cdouble(e->c, o->clip_norm));
	emit_line(e, "y[0] = norm + 1e-6 > clip ? (float)(clip / (norm + 1e-6)) : "
	             "1.0f;");
}

static double clip_flops(Ctx *c, Node *n)
{
	return 2.0 * (double)node_numel(c, in_node(c, n, 0));
}

const OpDef op_clip_scale = {
	.name = "clip_scale", .nin = 1, .traits = OT_TRAIN_ONLY,
	.shape = clip_shape, .emit = clip_emit, .flops = clip_flops,
	.print_attr = optim_print,
};

const OptimDef *const all_optims[] = {
	&optim_sgd, &optim_adam, &optim_adagrad, &optim_rmsprop, &optim_adabound,
	NULL,
};
