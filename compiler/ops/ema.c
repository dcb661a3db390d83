/*
 * ema.c — an exponential moving average of the weights, ema{decay} in
 * nn.train: for each trained parameter a shadow tensor "ema.<name>" and
 * an update ema_update(shadow, param) that runs after the optimizer's.
 *
 * The shadow follows PyTorch's AveragedModel with get_ema_multi_avg_fn:
 * the first step copies the weights, every later one takes
 *   ema = decay·ema + (1 − decay)·w.
 * Before any step it equals the initial weights (_init copies them).
 * Evaluation (_predict, _evaluate, the trainer's validation) reads the
 * shadows instead of the weights; batch-norm running statistics are not
 * averaged: evaluation uses the model's own, which are already a moving
 * average of batch statistics.
 */
#include <stddef.h>

#include "../nncc.h"

typedef struct EmaAttr {
	double decay;
} EmaAttr;

static const char *ema_shape(Ctx *c, Node *n)
{
	if (!shape_eq(&in_node(c, n, 0)->shape, &in_node(c, n, 1)->shape))
		return "the shadow does not match the parameter";
	n->shape = (Shape){0, {0}};
	n->dtype = DT_F32;
	return NULL;
}

/* x0 is the shadow, x1 the weights just updated. */
static void ema_emit(Emit *e, Node *n)
{
	const EmaAttr *a = n->attr;
	long N = emit_numel(e, n, 0);
	emit_line(e, "if (t == 1) {  /* the first step: a copy */");
	emit_line(e, "\tmemcpy(x0, x1, sizeof(float) * %ld);", N);
	emit_line(e, "} else {");
	emit_line(e, "\tNN_IVDEP for (long i = 0; i < %ld; i++)", N);
	emit_line(e, "\t\tx0[i] = %s*x0[i] + %s*x1[i];", cfloat(e->c, a->decay),
	          cfloat(e->c, 1 - a->decay));
	emit_line(e, "}");
}

static double ema_flops(Ctx *c, Node *n)
{
	return 3.0 * (double)node_numel(c, in_node(c, n, 0));
}

static void ema_print(Buf *b, const Node *n)
{
	const EmaAttr *a = n->attr;
	buf_printf(b, "decay=%g", a->decay);
}

const OpDef op_ema_update = {
	.name = "ema_update", .nin = 2, .traits = OT_UPDATE | OT_TRAIN_ONLY,
	.writes = 1 << 0,
	.shape = ema_shape, .emit = ema_emit, .flops = ema_flops,
	.attr_size = sizeof(EmaAttr), .print_attr = ema_print,
};

/* The shadow of trained parameter p and its update, after p's own. */
void ema_track(Ctx *c, Node *p, double decay)
{
	ParamAttr *pa = ctx_alloc(c, sizeof *pa);
	pa->init = INIT_ZEROS;       /* _init copies the weights in */
	pa->shape = p->shape;
	int s = ir_make(c, &op_param, PH_UPD, NULL, 0, pa, p->pos);
	Node *sn = ir_node(c, s);
	sn->st = ST_STATE;
	sn->name = ctx_sprintf(c, "ema.%s", p->name);
	EmaAttr *a = ctx_alloc(c, sizeof *a);
	a->decay = decay;
	ir_make2(c, &op_ema_update, PH_UPD, s, p->id, a, p->pos);
	p->ema = s;
}
