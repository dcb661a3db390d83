/*
 * fuse.c — the fusion pass: a producer and its only consumer become one
 * node of a fused op, so the tensor between them is never written and
 * read back.
 *
 * It runs on the forward graph, before autodiff.  A fused op has its own
 * gradient rule, so the backward pass comes out fused too: bn_relu's
 * rule builds a two-pass batch-norm backward with the ReLU's mask folded
 * in, where the unfused graph makes four passes.
 *
 * The pass knows no op by name.  It walks the nodes and offers every
 * (producer, consumer) pair to the fusions of the table below; a fusion
 * decides from the registry (an op's traits, its pointwise expression
 * OpDef.ew) or names the ops it has a kernel for.  A producer fuses only
 * when the consumer is its one reader: a tensor someone else reads, or
 * the API reads (the loss, the prediction), stays.
 *
 * The fused node keeps the consumer's id, name and position, takes the
 * producer's inputs followed by the consumer's other ones, and keeps a
 * copy of both nodes as they were (FuseAttr) for its emitter, its
 * gradient rule and the IR dump.  The producer is then dropped, and the
 * fused node's new inputs are offered in turn, so a fused node can fuse
 * again (bn_add_relu takes batch norm into the ew_act of add and ReLU).
 *
 * softmax_ce is built fused by the front end; with its fusion off, the
 * pass splits it into log_softmax and nll.  The optimizer's fusion (one
 * update loop over every parameter) is not a rewrite but a choice
 * autodiff makes (FUSE_OPTIM); so are sgd_gemm and bn_sums, which
 * gradient rules choose (FUSE_SGD_GEMM, FUSE_BN_SUMS), and dx_add, the
 * sum of a tensor's gradients in the conv input gradient making one
 * (FUSE_DX_ADD).  by_sample is the emitter's (emit.c, FUSE_BY_SAMPLE):
 * a batch norm + ReLU and the conv after it keep both their tensors and
 * share one loop over the samples.
 */
#include <stdlib.h>
#include <string.h>

#include "nncc.h"

/* ---- ew_act: a pointwise op, then an activation, in one loop ---------- */

/* The copies of first and then with the fused node's inputs: first reads
 * inputs 0…first->nin−1, then the rest, its slot being first's value. */
static void members(const Node *n, Node *f, Node *t)
{
	const FuseAttr *a = n->attr;
	*f = *a->first;
	*t = *a->then;
	for (int k = 0; k < f->nin; k++)
		f->in[k] = n->in[k];
	for (int k = 0, j = f->nin; k < t->nin; k++)
		t->in[k] = k == a->slot ? -1 : n->in[j++];
	t->id = n->id;      /* then's output is the fused node's */
}

static const char *ew_act_ew(Ctx *c, const Node *n, const char *const *arg)
{
	Node f, t;
	members(n, &f, &t);
	const char *targ[MAXIN];
	targ[0] = f.op->ew(c, &f, arg);
	return t.op->ew(c, &t, targ);
}

static void ew_act_emit(Emit *e, Node *n)
{
	const FuseAttr *a = n->attr;
	emit_pointwise(e, n, a->first->op->ew_chan, ew_act_ew);
}

/* then's rule from its output (the fused node's), then first's from
 * the gradient of its slot: no rule reads the value between them.  The
 * fused node's inputs get first's gradients, then then's others. */
void fused_grad(Ctx *c, Node *n, int dout, int *din)
{
	const FuseAttr *a = n->attr;
	Node f, t;
	members(n, &f, &t);
	int dt[MAXIN], df[MAXIN];
	for (int k = 0; k < MAXIN; k++)
		dt[k] = df[k] = -1;
	t.op->grad(c, &t, dout, dt);
	f.op->grad(c, &f, dt[a->slot], df);
	int k = 0;
	for (; k < f.nin; k++)
		din[k] = df[k];
	for (int j = 0; j < t.nin; j++)
		if (j != a->slot)
			din[k++] = dt[j];
}

const char *fused_shape(Ctx *c, Node *n)
{
	(void)c;
	const FuseAttr *a = n->attr;
	n->shape = a->then->shape;
	n->dtype = a->then->dtype;
	return NULL;
}

double fused_flops(Ctx *c, Node *n)
{
	Node f, t;
	members(n, &f, &t);
	return (f.op->flops ? f.op->flops(c, &f) : 0) +
	       (t.op->flops ? t.op->flops(c, &t) : 0);
}

/* "first+then" and their attributes; a fused pair in a pair (gemm_epi)
 * spells out its members: "matmul+bias_add+relu ta=0 tb=1". */
static void fused_part(Buf *b, const Node *m, int attrs)
{
	const FuseAttr *a = m->attr;
	if (m->op->traits & OT_FUSED && a) {
		fused_part(b, a->first, attrs);
		if (!attrs)
			buf_puts(b, "+");
		fused_part(b, a->then, attrs);
	} else if (!attrs)
		buf_puts(b, m->op->name);
	else if (m->op->print_attr && m->attr) {
		buf_puts(b, " ");
		m->op->print_attr(b, m);
	}
}

void fused_print(Buf *b, const Node *n)
{
	fused_part(b, n, 0);
	fused_part(b, n, 1);
}

const OpDef op_ew_act = {
	.name = "ew_act", .nin = -1, .traits = OT_FUSED,
	.shape = fused_shape, .grad = fused_grad, .emit = ew_act_emit,
	.flops = fused_flops, .print_attr = fused_print,
};

/* ---- gemm_epi: a matmul, then its bias and ReLU, in its epilogue ------- */

/* The matmul at the bottom of n (a gemm_epi, perhaps of a gemm_epi) with
 * its inputs, and the epilogue's bits: 1 a bias (input 2), 2 a ReLU. */
static int gemm_epi_parts(const Node *n, Node *mm)
{
	int epi = 0;
	Node f, t;
	*mm = *n;
	while (mm->op == &op_gemm_epi) {
		members(mm, &f, &t);
		epi |= t.op == &op_relu ? 2 : 1;
		*mm = f;
	}
	return epi;
}

static long gemm_epi_scratch(Ctx *c, Node *n)
{
	Node mm;
	gemm_epi_parts(n, &mm);
	return mm.op->scratch(c, &mm);
}

static void gemm_epi_emit(Emit *e, Node *n)
{
	Node mm;
	int epi = gemm_epi_parts(n, &mm);
	emit_gemm(e, &mm, "y", epi == 3 ? "NN_BIAS | NN_RELU" : epi == 1 ? "NN_BIAS"
	          : "NN_RELU", epi & 1 ? "x2" : "NULL", "0");
}

const OpDef op_gemm_epi = {
	.name = "gemm_epi", .nin = -1, .traits = OT_FUSED,
	.shape = fused_shape, .grad = fused_grad, .emit = gemm_epi_emit,
	.scratch = gemm_epi_scratch, .flops = fused_flops,
	.print_attr = fused_print,
};

/* ---- the table ---------------------------------------------------------- */

/* Batch norm's affine step, then ReLU: ops/norm.c's bn_relu. */
static int match_bn_relu(Ctx *c, const Node *p, const Node *n)
{
	(void)c;
	return p->op == &op_bn_apply && n->op == &op_relu;
}

/* The fused bn_relu, then a 2×2 maxpool: ops/norm.c's bn_relu_pool. */
static int match_bn_relu_pool(Ctx *c, const Node *p, const Node *n)
{
	return p->op == &op_bn_relu && maxpool_2x2(n) &&
	       bn_relu_pool_fits(c, ir_node(c, p->in[0]));
}

/* Batch norm's affine step, then a residual add + ReLU (an ew_act of add
 * and relu, which the pass has just built): ops/norm.c's bn_add_relu. */
static int match_bn_add_relu(Ctx *c, const Node *p, const Node *n)
{
	(void)c;
	if (p->op != &op_bn_apply || n->op != &op_ew_act)
		return 0;
	const FuseAttr *a = n->attr;
	return a->first->op == &op_add && a->then->op == &op_relu;
}

/* A pointwise op whose gradient never reads its output (bias_add, add,
 * mul), then a one-input pointwise op whose gradient reads only its
 * output (relu, sigmoid, tanh): bias + activation, residual add + ReLU. */
static int match_ew_act(Ctx *c, const Node *p, const Node *n)
{
	(void)c;
	return p->op->ew && p->op->grad && (p->op->traits & OT_GRAD_FROM_IN) &&
	       n->op->ew && n->nin == 1 && (n->op->traits & OT_GRAD_FROM_OUT);
}

/* A matmul, or a gemm_epi without a ReLU yet, then a bias on its
 * columns (a 2-D bias_add reading it as x; none there yet) or a ReLU. */
static int match_gemm_epi(Ctx *c, const Node *p, const Node *n)
{
	(void)c;
	Node mm;
	int epi = p->op == &op_gemm_epi ? gemm_epi_parts(p, &mm) : 0;
	if (p->op != &op_matmul && !(p->op == &op_gemm_epi && !(epi & 2)))
		return 0;
	if (n->op == &op_relu)
		return 1;
	return n->op == &op_bias_add && !(epi & 1) && n->in[0] == p->id &&
	       n->shape.n == 2;
}

const Fusion fusions[] = {
	{"bn_relu", "batch norm + ReLU: one forward pass, two backward passes "
	            "with the mask folded in", match_bn_relu, &op_bn_relu, NULL},
	{"bn_relu_pool", "bn_relu + 2x2 max pooling: the full-size ReLU output "
	                 "is never stored", match_bn_relu_pool, &op_bn_relu_pool, NULL},
	{"ew_act", "pointwise op + activation (bias + ReLU, residual add + "
	           "ReLU) in one loop", match_ew_act, &op_ew_act, NULL},
	{"bn_add_relu", "batch norm + residual add + ReLU (ew_act): batch norm's "
	                "output is never stored", match_bn_add_relu,
	 &op_bn_add_relu, NULL},
	{"gemm_epi", "matmul + bias + ReLU: the bias and the ReLU applied as "
	             "the product's tiles are stored", match_gemm_epi,
	 &op_gemm_epi, NULL},
	{"softmax_ce", "softmax + cross-entropy: log-sum-exp, the gradient "
	               "(softmax - target)/B in one pass", NULL, &op_softmax_ce,
	 softmax_ce_split},
	{0},
};

const FuseChoice fuse_choices[] = {
	{"optim", "the optimizer updates every parameter and its state in one "
	          "loop", FUSE_OPTIM},
	{"sgd_gemm", "plain SGD steps a weight as the product making its "
	             "gradient stores its tiles", FUSE_SGD_GEMM},
	{"bn_sums", "batch norm's dβ and dγ from one pass over dy and x",
	 FUSE_BN_SUMS},
	{"dx_add", "a conv's input gradient adds the tensor's other gradient (a "
	           "residual block's skip) as it stores", FUSE_DX_ADD},
	{"by_sample", "batch norm + ReLU runs sample by sample in the conv "
	              "reading its output, which finds it in cache",
	 FUSE_BY_SAMPLE},
	{0},
};

/* The c->fuse bit of fusion `name`, or 0 if there is none. */
static long fuse_bit(const char *name)
{
	for (int f = 0; fusions[f].name; f++)
		if (!strcmp(fusions[f].name, name))
			return 1L << f;
	for (int f = 0; fuse_choices[f].name; f++)
		if (!strcmp(fuse_choices[f].name, name))
			return fuse_choices[f].bit;
	return 0;
}

long fuse_mask(Ctx *c, const char *list, const char **bad)
{
	long mask = 0;
	char *s = ctx_strdup(c, list);
	for (char *t = strtok(s, ","); t; t = strtok(NULL, ",")) {
		long bit = fuse_bit(t);
		if (!bit) {
			*bad = t;
			return -1;
		}
		mask |= bit;
	}
	return mask;
}

/* ---- the pass ------------------------------------------------------------ */

/* n reads p in slot s: n becomes op `into` over p's inputs and its own. */
static int rewrite(Ctx *c, Node *n, const Node *p, int s, const OpDef *into)
{
	if (p->nin + n->nin - 1 > MAXIN)
		return 0;
	FuseAttr *a = ctx_alloc(c, sizeof *a);
	Node *f = ctx_alloc(c, sizeof *f), *t = ctx_alloc(c, sizeof *t);
	*f = *p;
	*t = *n;
	a->first = f;
	a->then = t;
	a->slot = s;
	int in[MAXIN], k = 0;
	for (int j = 0; j < p->nin; j++)
		in[k++] = p->in[j];
	for (int j = 0; j < n->nin; j++)
		if (j != s)
			in[k++] = n->in[j];
	n->op = into;
	n->attr = a;
	n->nin = k;
	memcpy(n->in, in, sizeof in);
	return 1;
}

/* The ops the front end builds fused, split where their fusion is off.
 * A loss mixed for mixup stays whole: its parts have no mixed form. */
static void split_off(Ctx *c)
{
	for (int f = 0; fusions[f].name; f++) {
		if (!fusions[f].split || (c->fuse >> f & 1))
			continue;
		for (int i = 0, n = c->nnodes; i < n; i++) {
			Node *nd = c->nodes[i];
			if (nd->op != fusions[f].into ||
			    (c->recipe.mixup && (nd->op->traits & OT_MIX)))
				continue;
			int id = fusions[f].split(c, nd);
			if (c->recipe.loss == i)
				c->recipe.loss = id;
			if (c->recipe.predict == i)
				c->recipe.predict = id;
		}
	}
}

void fuse(Ctx *c)
{
	split_off(c);
	int nn = c->nnodes;
	int *uses = calloc((size_t)nn, sizeof *uses);
	char *keep = malloc((size_t)nn);
	if (!uses || !keep)
		bug("out of memory");
	memset(keep, 1, (size_t)nn);
	for (int i = 0; i < nn; i++)
		for (int k = 0; k < c->nodes[i]->nin; k++)
			uses[c->nodes[i]->in[k]]++;
	uses[c->recipe.loss]++;        /* the API reads these two */
	uses[c->recipe.predict]++;
	for (int i = 0; i < nn; i++) {
		Node *n = c->nodes[i];
		if (n->phase != PH_FWD || (n->op->traits & OT_SOURCE))
			continue;
		for (int s = 0; s < n->nin; s++) {
			const Node *p = ir_node(c, n->in[s]);
			if (uses[p->id] != 1 || p->phase != PH_FWD ||
			    p->st != ST_ARENA || (p->op->traits & OT_SOURCE))
				continue;
			int f = 0;
			while (fusions[f].name && !((c->fuse >> f & 1) &&
			                            fusions[f].match &&
			                            fusions[f].match(c, p, n)))
				f++;
			if (fusions[f].name && rewrite(c, n, p, s, fusions[f].into)) {
				keep[p->id] = 0;
				s = -1;   /* the fused node's inputs may fuse on (bn_add_relu) */
			}
		}
	}
	ir_compact(c, keep);
	free(uses);
	free(keep);
}
