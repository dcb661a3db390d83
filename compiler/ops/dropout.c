/*
 * dropout.c — inverted dropout: in training each element is zeroed with
 * probability p and the rest scaled by 1/(1 − p); in evaluation it is the
 * identity.
 *
 * The mask is counter-based, never stored: element i of a dropout node
 * at optimizer step t is dropped when a hash of (the model's RNG word,
 * t, the node's salt, i) falls below p (nn_dropout_keep in the prelude).
 * So the backward pass recomputes the forward's mask — the gradient of
 * dropout is the same op applied to dy — loss() at a step repeats
 * train_step's mask at that step, masks change from step to step and
 * with the model's seed, and no thread count changes them.
 *
 * The salt is a hash of the layer's name (and of how many times the layer
 * was applied before), so a mask stays put when other layers come or go.
 */
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "../nncc.h"

typedef struct DropoutCfg {
	double p;
} DropoutCfg;

typedef struct DropoutAttr {
	double p;
	uint64_t salt;
} DropoutAttr;

/* FNV-1a: the salt of a layer's name. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The gradient: the same mask on dy. */
static void dropout_grad(Ctx *c, Node *n, int dout, int *din)
{
	din[0] = ir_make1(c, &op_dropout, PH_BWD, dout, n->attr, n->pos);
}

static void dropout_emit(Emit *e, Node *n)
{
	const DropoutAttr *a = n->attr;
	long N = emit_numel(e, n, -1);
	if (e->eval || a->p == 0) {
		emit_line(e, "/* %s: the identity */", a->p == 0 ? "p = 0" :
		          "evaluation");
		emit_line(e, "for (long i = 0; i < %ld; i++)", N);
		emit_line(e, "\ty[i] = x0[i];");
		return;
	}
	uint64_t thr = (uint64_t)floor(a->p * 4294967296.0 + 0.5);
	if (n->phase == PH_BWD)
		emit_line(e, "/* the forward's mask (p = %g), recomputed, on dy */",
		          a->p);
	else
		emit_line(e, "/* p = %g: keep with probability 1 - p, scaled by "
		             "1/(1 - p) */", a->p);
	emit_line(e, "const uint64_t key = nn_dropout_key(m->rng.s[0], "
	             "m->state.step, UINT64_C(0x%016" PRIx64 "));", a->salt);
	emit_line(e, "const uint64_t thr = UINT64_C(%" PRIu64 ");  /* p·2^32 */",
	          thr);
	if (N >= 1 << 15)
		emit_line(e, "NN_OMP(\"omp parallel for schedule(static)\")");
	emit_line(e, "for (long i = 0; i < %ld; i++)", N);
	emit_line(e, "\ty[i] = nn_dropout_keep(key, (uint64_t)i, thr) ? x0[i] * %s "
	             ": 0;", cfloat(e->c, 1 / (1 - a->p)));
}

static double dropout_flops(Ctx *c, Node *n)
{
	return flops_per_elem(c, n, 1);
}

static void dropout_print(Buf *b, const Node *n)
{
	const DropoutAttr *a = n->attr;
	buf_printf(b, "p=%g salt=%016" PRIx64, a->p, a->salt);
}

const OpDef op_dropout = {
	.name = "dropout", .nin = 1, .traits = OT_ELEMWISE | OT_INPLACE,
	.shape = elementwise_same_shape, .grad = dropout_grad,
	.emit = dropout_emit, .flops = dropout_flops,
	.attr_size = sizeof(DropoutAttr), .print_attr = dropout_print,
};

/* ---- the layer: nn.dropout{p}(x) --------------------------------------- */

static const AttrKey dropout_keys[] = {
	{"p", AK_NUM, 1, 0, 0.5, offsetof(DropoutCfg, p), 1, 0},
	{0},
};

static const char *dropout_configure(Ctx *c, Layer *l)
{
	const DropoutCfg *a = l->attr;
	if (!(a->p >= 0 && a->p < 1))
		return ctx_sprintf(c, "'p' = %g is the probability of dropping an "
		                      "element; it must be in [0, 1)", a->p);
	return NULL;
}

static int dropout_apply(Ctx *c, Layer *l, int x, Pos pos, const char **err)
{
	const DropoutCfg *cfg = l->attr;
	const Node *xn = ir_node(c, x);
	if (xn->shape.n < 1 || xn->shape.d[0] != BATCH) {
		*err = ctx_sprintf(c, "input %s has no batch dimension",
		                   shape_str(c, &xn->shape));
		return -1;
	}
	/* earlier applications of this layer: each gets its own mask */
	uint64_t uses = 0;
	for (int i = 0; i < c->nnodes; i++)
		uses += c->nodes[i]->op == &op_dropout && c->nodes[i]->layer &&
		        !strcmp(c->nodes[i]->layer, l->name);
	DropoutAttr *a = ctx_alloc(c, sizeof *a);
	a->p = cfg->p;
	a->salt = fnv1a(l->name) + uses * 0x9e3779b97f4a7c15ull;
	Node *n = ir_add(c, &op_dropout, &x, 1, a, pos, err);
	return n ? n->id : -1;
}

const LayerDef layer_dropout = {
	.name = "dropout", .keys = dropout_keys, .attr_size = sizeof(DropoutCfg),
	.configure = dropout_configure, .apply = dropout_apply,
};
