/*
 * source.c — nodes without inputs: the caller's x and y, and parameters.
 * Their shapes come from their attributes; they emit no code.
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
