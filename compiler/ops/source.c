/*
 * source.c — nodes that compute nothing: the caller's x and y,
 * parameters, and blocks of persistent tensors.  Their shapes come from
 * their attributes; they emit no code.
 */
#include <math.h>
#include <string.h>

#include "../nncc.h"

static const char *source_shape(Ctx *c, Node *n)
{
	(void)c;
	SourceAttr *a = n->attr;
	n->shape = a->shape;
	n->dtype = a->dtype;
	return NULL;
}

static void print_source(Buf *b, const Node *n)
{
	SourceAttr *a = n->attr;
	buf_printf(b, "name=%s", a->name);
	if (a->classes)
		buf_printf(b, " classes=%d", a->classes);
}

const OpDef op_input = {
	.name = "input", .nin = 0, .traits = OT_SOURCE,
	.shape = source_shape, .attr_size = sizeof(SourceAttr),
	.print_attr = print_source,
};

const OpDef op_label = {
	.name = "label", .nin = 0, .traits = OT_SOURCE,
	.shape = source_shape, .attr_size = sizeof(SourceAttr),
	.print_attr = print_source,
};

const OpDef op_target = {
	.name = "target", .nin = 0, .traits = OT_SOURCE,
	.shape = source_shape, .attr_size = sizeof(SourceAttr),
	.print_attr = print_source,
};

static const char *param_shape(Ctx *c, Node *n)
{
	(void)c;
	ParamAttr *a = n->attr;
	n->shape = a->shape;
	n->dtype = DT_F32;
	return NULL;
}

static const char *init_names[] = {"torch", "kaiming", "xavier", "normal",
                                   "zeros", "ones", "uniform"};

/* init = "name": the defaults of nn.init.<name>{}, plus PyTorch's
 * spelled-out variants of kaiming and xavier. */
static const struct {
	const char *name;
	InitSpec spec;
} named[] = {
	{"torch", {INIT_TORCH, 0, 0, 0, 0, 0}},
	{"kaiming", {INIT_KAIMING, 0, 0, 1.4142135623730951, 0, 0}},
	{"kaiming_normal", {INIT_KAIMING, 0, 0, 1.4142135623730951, 0, 0}},
	{"kaiming_uniform", {INIT_KAIMING, 1, 0, 1.4142135623730951, 0, 0}},
	{"xavier", {INIT_XAVIER, 1, 0, 1, 0, 0}},
	{"xavier_uniform", {INIT_XAVIER, 1, 0, 1, 0, 0}},
	{"xavier_normal", {INIT_XAVIER, 0, 0, 1, 0, 0}},
	{"zeros", {INIT_ZEROS, 0, 0, 0, 0, 0}},
	{"ones", {INIT_ONES, 0, 0, 0, 0, 0}},
};

const InitSpec *init_named(Ctx *c, const char *name, const char **err)
{
	for (size_t i = 0; i < sizeof named / sizeof *named; i++)
		if (!strcmp(name, named[i].name))
			return &named[i].spec;
	if (!strcmp(name, "normal"))
		*err = "init = \"normal\" needs a std: init = nn.init.normal{std "
		       "= 0.01}";
	else if (!strcmp(name, "uniform"))
		*err = "init = \"uniform\" needs a bound: init = "
		       "nn.init.uniform{bound = 0.05}";
	else
		*err = ctx_sprintf(c, "unknown init '%s' (torch, kaiming, "
		                      "kaiming_uniform, xavier, xavier_normal, zeros, "
		                      "ones, or nn.init.normal{std}, "
		                      "nn.init.uniform{bound})", name);
	return NULL;
}

/* torch.nn.init.calculate_gain. */
double init_gain(const char *nonlinearity, double a)
{
	if (!strcmp(nonlinearity, "linear") || !strcmp(nonlinearity, "sigmoid"))
		return 1;
	if (!strcmp(nonlinearity, "tanh"))
		return 5.0 / 3;
	if (!strcmp(nonlinearity, "relu"))
		return sqrt(2.0);
	if (!strcmp(nonlinearity, "leaky_relu"))
		return sqrt(2.0 / (1 + a * a));
	if (!strcmp(nonlinearity, "selu"))
		return 3.0 / 4;
	return -1;
}

ParamAttr param_init(const InitSpec *s, int fan_in, int fan_out)
{
	ParamAttr a = {.init = s ? s->kind : INIT_TORCH, .fan_in = fan_in,
	               .fan_out = fan_out};
	if (s) {
		a.std = s->std;
		a.uniform = s->uniform;
		a.use_fan_out = s->fan_out;
		a.gain = s->gain;
		a.bound = s->bound;
	}
	return a;
}

static void print_param(Buf *b, const Node *n)
{
	ParamAttr *a = n->attr;
	if (a->init == INIT_CONST) {
		buf_printf(b, "init=const value=%g", a->value);
		return;
	}
	buf_printf(b, "init=%s fan_in=%d", init_names[a->init], a->fan_in);
	if (a->init == INIT_NORMAL)
		buf_printf(b, " std=%g", a->std);
	if (a->init == INIT_KAIMING || a->init == INIT_XAVIER)
		buf_printf(b, " fan_out=%d gain=%.9g%s%s", a->fan_out, a->gain,
		           a->uniform ? " uniform" : "",
		           a->use_fan_out ? " mode=fan_out" : "");
	if (a->init == INIT_UNIFORM)
		buf_printf(b, " bound=%g", a->bound);
}

const OpDef op_param = {
	.name = "param", .nin = 0, .traits = OT_SOURCE,
	.shape = param_shape, .attr_size = sizeof(ParamAttr),
	.print_attr = print_param,
};

/* A block is a run of persistent tensors read as one: the fused optimizer
 * update walks every parameter, its gradient and its state in one loop.
 * Its length counts each member's padding (plan rounds every persistent
 * tensor up to ALIGN_FLOATS and lays a block's members out one after
 * another), so element i of two blocks of members of the same shapes
 * belongs to the same weight. */
static const char *block_shape(Ctx *c, Node *n)
{
	const BlockAttr *a = n->attr;
	long total = 0;
	for (int i = 0; i < a->n; i++) {
		long k = node_numel(c, ir_node(c, a->ids[i]));
		total += (k + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
	}
	if (total > 0x7fffffff)
		return ctx_sprintf(c, "%ld floats do not fit one block", total);
	n->shape = (Shape){1, {(int)total}};
	n->dtype = DT_F32;
	return NULL;
}

static void print_block(Buf *b, const Node *n)
{
	const BlockAttr *a = n->attr;
	buf_printf(b, "members=%d", a->n);
}

const OpDef op_block = {
	.name = "block", .nin = 1, .traits = OT_SOURCE,
	.shape = block_shape, .attr_size = sizeof(BlockAttr),
	.print_attr = print_block,
};

int ir_block(Ctx *c, const int *ids, int n, Storage st, const char *name,
             Pos pos)
{
	if (n < 1)
		bug("an empty block");
	for (int i = 0; i < n; i++)
		if (ir_node(c, ids[i])->st != st)
			bug("block %s: %%%d is not of its storage", name, ids[i]);
	BlockAttr *a = ctx_alloc(c, sizeof *a);
	int *copy = ctx_alloc(c, sizeof *copy * (size_t)n);
	for (int i = 0; i < n; i++)
		copy[i] = ids[i];
	a->n = n;
	a->ids = copy;
	int id = ir_make1(c, &op_block, PH_UPD, ids[0], a, pos);
	Node *b = ir_node(c, id);
	b->st = ST_BLOCK;
	b->name = name;
	return id;
}
