/*
 * autodiff.c — reverse-mode differentiation as graph construction.
 *
 * Walks the forward graph from the loss back to the parameters, asking each
 * op's grad rule for the nodes that compute its inputs' gradients (built
 * from other ops), summing gradients where a tensor feeds several nodes.
 * Then drops backward nodes nothing needs (rules build every input's
 * gradient; nobody needs the gradient of the data), gives each parameter's
 * gradient a home in the gradient region, and appends the optimizer: its
 * state per parameter and one update node over all of them (and, with
 * ema{}, each shadow's update after it).
 */
#include <stdlib.h>
#include <string.h>

#include "nncc.h"

static void mark_live(Ctx *c, char *keep, int id)
{
	if (keep[id])
		return;
	keep[id] = 1;
	Node *n = c->nodes[id];
	for (int k = 0; k < n->nin; k++)
		mark_live(c, keep, n->in[k]);
}

/* A state tensor of kind s for parameter p: "optim.<p>.<state>", the name
 * checkpoints know it by. */
static int state_of(Ctx *c, const Node *p, const Optim *o, int s)
{
	ParamAttr *pa = ctx_alloc(c, sizeof *pa);
	pa->shape = p->shape;
	pa->init = INIT_ZEROS;
	if (o->def->state_init && o->def->state_init(o, s) != 0) {
		pa->init = INIT_CONST;
		pa->value = o->def->state_init(o, s);
	}
	int id = ir_make(c, &op_param, PH_UPD, NULL, 0, pa, p->pos);
	Node *n = ir_node(c, id);
	n->st = ST_STATE;
	n->name = ctx_sprintf(c, "optim.%s.%s", p->name, o->def->state_names[s]);
	return id;
}

/* a + b, the gradient a tensor had and one more: an add, or with fusion
 * dx_add, b itself when its op can add a as it stores (OpDef.adds_grad:
 * a conv's input gradient, just made, read by nothing yet). */
static int grad_sum(Ctx *c, int a, int b, Pos pos)
{
	Node *n = ir_node(c, b);
	if ((c->fuse & FUSE_DX_ADD) && n->op->adds_grad &&
	    n->op->adds_grad(c, n, a))
		return b;
	return ir_make2(c, &op_add, PH_BWD, a, b, NULL, pos);
}

/* Node id, through views, to the tensor it reads. */
static int base_of(Ctx *c, int id)
{
	while (ir_node(c, id)->st == ST_VIEW)
		id = ir_node(c, id)->in[0];
	return id;
}

/* Whether plain SGD's step on p runs in the product g that makes its
 * gradient (fusion sgd_gemm, op matmul_sgd): g is a matmul of one block
 * of K (its epilogue cannot take partial sums), nothing but the update
 * reads the gradient, and no backward node after g (the schedule's order)
 * reads p, which g changes. */
static int sgd_in_gemm(Ctx *c, const Node *p, const Node *g)
{
	const Optim *o = &c->recipe.opt;
	if (!(c->fuse & FUSE_SGD_GEMM) || o->def->update != &op_sgd_update ||
	    o->momentum != 0 || o->weight_decay != 0 || o->l1 != 0 ||
	    o->clip_norm > 0 || g->op != &op_matmul ||
	    matmul_depth(c, g) > GEMM_KC)
		return 0;
	for (int i = 0; i < c->nnodes; i++) {
		const Node *n = c->nodes[i];
		for (int k = 0; k < n->nin; k++) {
			int b = base_of(c, n->in[k]);
			if (b == g->id || (b == p->id && n->phase != PH_FWD && i > g->id))
				return 0;
		}
	}
	return 1;
}

/* The optimizer: each trained parameter's state, then one block of the
 * parameters, one of their gradients and one per state kind, all in
 * parameter order, and one update node over the blocks, so the whole
 * model updates in one loop.  With clip_norm, a clip_scale node reads the
 * gradient block first and the update reads its scale. */
static void add_update(Ctx *c)
{
	const Optim *o = &c->recipe.opt;
	int nparam = c->nnodes, np = 0;
	int *ids = malloc(sizeof *ids * (size_t)(2 + MAXSTATE) *
	                  (size_t)(nparam + 1));
	if (!ids)
		bug("out of memory");
	int *params = ids, *grads = ids + nparam, nfused = 0;
	for (int i = 0; i < nparam; i++) {
		Node *p = c->nodes[i];
		if (p->st != ST_PARAM)
			continue;
		if (p->grad < 0) {
			if (!c->quiet)
				fprintf(stderr, "%s:%d: warning: %s does not affect the "
				        "loss; it is not trained\n", p->pos.file,
				        p->pos.line, p->name);
			continue;
		}
		Node *g = ir_node(c, p->grad);
		if (sgd_in_gemm(c, p, g)) {
			g->op = &op_matmul_sgd;
			g->in[g->nin++] = p->id;
			nfused++;
			continue;
		}
		params[np] = p->id;
		grads[np] = p->grad;
		for (int s = 0; s < MAXSTATE; s++)
			if (optim_has_state(o, s))
				ids[(2 + s) * nparam + np] = state_of(c, p, o, s);
		np++;
	}
	if (np + nfused == 0)
		bug("the loss reaches a parameter but no parameter has a gradient");
	/* Unfused (no FUSE_OPTIM): one update node per parameter, over
	 * blocks of one.  clip_norm needs every gradient's norm before the
	 * first update, so it keeps the one loop. */
	int each = !(c->fuse & FUSE_OPTIM) && !(o->clip_norm > 0);
	for (int j = 0; j < (each || !np ? np : 1); j++) {
		int at = each ? j : 0, len = each ? 1 : np;
		const char *sfx = each ? ctx_sprintf(c, ".%s",
		                  ir_node(c, params[j])->name) : "";
		int in[MAXIN], nin = 0;
		in[nin++] = ir_block(c, params + at, len, ST_PARAM,
		                     ctx_sprintf(c, "params%s", sfx), o->pos);
		in[nin++] = ir_block(c, grads + at, len, ST_GRAD,
		                     ctx_sprintf(c, "grads%s", sfx), o->pos);
		for (int s = 0; s < MAXSTATE; s++)
			if (optim_has_state(o, s))
				in[nin++] = ir_block(c, ids + (2 + s) * nparam + at, len,
				                     ST_STATE, ctx_sprintf(c, "optim.%s%s",
				                     o->def->state_names[s], sfx), o->pos);
		if (o->clip_norm > 0) {
			in[nin] = ir_make1(c, &op_clip_scale, PH_UPD, in[1], (void *)o,
			                   o->pos);
			ir_node(c, in[nin++])->name = "clip_scale";
		}
		ir_make(c, o->def->update, PH_UPD, in, nin, (void *)o, o->pos);
	}
	free(ids);
}

void autodiff(Ctx *c)
{
	int nfwd = c->nnodes;
	int *g = malloc(sizeof *g * (size_t)nfwd);
	if (!g)
		bug("out of memory");
	for (int i = 0; i < nfwd; i++)
		g[i] = -1;

	/* reverse topological order is reverse id order */
	int loss = c->recipe.loss;
	for (int i = loss; i >= 0; i--) {
		Node *n = c->nodes[i];
		if (i != loss && g[i] < 0)
			continue;
		if (n->op->traits & OT_SOURCE)
			continue;
		if (!n->op->grad)
			bug("%s has no gradient rule", n->op->name);
		int din[MAXIN];
		for (int k = 0; k < MAXIN; k++)
			din[k] = -1;
		n->op->grad(c, n, i == loss ? -1 : g[i], din);
		for (int k = 0; k < n->nin; k++) {
			int a = n->in[k];
			if (din[k] < 0)
				continue;
			g[a] = g[a] < 0 ? din[k] : grad_sum(c, g[a], din[k], n->pos);
		}
	}

	/* each parameter's gradient, homed in the gradient region */
	for (int i = 0; i < nfwd; i++) {
		Node *p = c->nodes[i];
		if (p->st != ST_PARAM || g[i] < 0)
			continue;
		int gi = g[i];
		Node *gn = c->nodes[gi];
		if (gn->st != ST_ARENA || gn->phase != PH_BWD)
			gi = ir_make1(c, &op_copy, PH_BWD, gi, NULL, p->pos);
		gn = c->nodes[gi];
		gn->st = ST_GRAD;
		gn->name = ctx_sprintf(c, "grad.%s", p->name);
		p->grad = gi;
	}
	free(g);

	char *keep = calloc((size_t)c->nnodes, 1);
	if (!keep)
		bug("out of memory");
	for (int i = 0; i < nfwd; i++)
		keep[i] = 1;
	for (int i = 0; i < nfwd; i++)
		if (c->nodes[i]->grad >= 0)
			mark_live(c, keep, c->nodes[i]->grad);
	ir_compact(c, keep);
	free(keep);

	int nparam = c->nnodes;
	add_update(c);
	if (c->recipe.ema_decay > 0)   /* the shadows follow the updated weights */
		for (int i = 0; i < nparam; i++) {
			Node *p = c->nodes[i];
			if (p->st == ST_PARAM && p->grad >= 0)
				ema_track(c, p, c->recipe.ema_decay);
		}
}
