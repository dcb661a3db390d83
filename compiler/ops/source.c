/*
 * source.c — nodes without inputs: the caller's x and y, and parameters.
 * Their shapes come from their attributes; they emit no code.
 */
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
                                   "zeros", "ones"};

int init_kind(const char *name)
{
	for (int i = 0; i < (int)(sizeof init_names / sizeof *init_names); i++)
		if (!strcmp(name, init_names[i]))
			return i;
	return -1;
}

static void print_param(Buf *b, const Node *n)
{
	ParamAttr *a = n->attr;
	buf_printf(b, "init=%s fan_in=%d", init_names[a->init], a->fan_in);
	if (a->init == INIT_NORMAL)
		buf_printf(b, " std=%g", a->std);
}

const OpDef op_param = {
	.name = "param", .nin = 0, .traits = OT_SOURCE,
	.shape = param_shape, .attr_size = sizeof(ParamAttr),
	.print_attr = print_param,
};
