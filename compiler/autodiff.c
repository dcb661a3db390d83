/*
 * autodiff.c — reverse-mode differentiation as graph construction.
 *
 * Walks the forward graph from the loss back to the parameters, asking each
 * op's grad rule for the nodes that compute its inputs' gradients (built
 * from other ops), summing gradients where a tensor feeds several nodes.
 * Then drops backward nodes nothing needs (rules build every input's
 * gradient; nobody needs the gradient of the data), gives each parameter's
 * gradient a home in the gradient region, and appends one optimizer update
 * node per parameter with its state (and, with ema{}, the shadow's update
 * after it).
 */
#include <stdlib.h>
#include <string.h>

#include "nncc.h"

/* Keeps the nodes marked in keep[], renumbering ids and inputs. */
static void compact(Ctx *c, const char *keep)
{
	int *map = malloc(sizeof *map * (size_t)c->nnodes);
	if (!map)
		bug("out of memory");
	int n = 0;
	for (int i = 0; i < c->nnodes; i++)
		map[i] = keep[i] ? n++ : -1;
	for (int i = 0, j = 0; i < c->nnodes; i++) {
		Node *nd = c->nodes[i];
		if (!keep[i])
			continue;
		for (int k = 0; k < nd->nin; k++) {
			if (map[nd->in[k]] < 0)
				bug("%%%d keeps input %%%d, which was dropped", i, nd->in[k]);
			nd->in[k] = map[nd->in[k]];
		}
		if (nd->grad >= 0)
			nd->grad = map[nd->grad];
		nd->id = j;
		c->nodes[j++] = nd;
	}
	c->recipe.loss = map[c->recipe.loss];
	c->recipe.predict = map[c->recipe.predict];
	if (c->input >= 0)
		c->input = map[c->input];
	if (c->label >= 0)
		c->label = map[c->label];
	c->nnodes = n;
	free(map);
}

static void mark_live(Ctx *c, char *keep, int id)
{
	if (keep[id])
		return;
	keep[id] = 1;
	Node *n = c->nodes[id];
	for (int k = 0; k < n->nin; k++)
		mark_live(c, keep, n->in[k]);
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
			g[a] = g[a] < 0 ? din[k]
			                : ir_make2(c, &op_add, PH_BWD, g[a], din[k],
			                           NULL, n->pos);
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
	compact(c, keep);
	free(keep);

	/* optimizer state and updates */
	const Optim *o = &c->recipe.opt;
	int nparam = c->nnodes;
	for (int i = 0; i < nparam; i++) {
		Node *p = c->nodes[i];
		if (p->st != ST_PARAM)
			continue;
		if (p->grad < 0) {
			fprintf(stderr, "%s:%d: warning: %s does not affect the loss; "
			                "it is not trained\n", p->pos.file, p->pos.line,
			        p->name);
			continue;
		}
		int in[MAXIN] = {p->id, p->grad};
		int ns = o->def->nstate(o);
		for (int s = 0; s < ns; s++) {
			ParamAttr *pa = ctx_alloc(c, sizeof *pa);
			pa->init = INIT_ZEROS;
			pa->shape = p->shape;
			int st = ir_make(c, &op_param, PH_UPD, NULL, 0, pa, p->pos);
			Node *sn = c->nodes[st];
			sn->st = ST_STATE;
			sn->name = ctx_sprintf(c, "optim.%s.%s", p->name,
			                       o->def->state_names[s]);
			in[2 + s] = st;
		}
		ir_make(c, o->def->update, PH_UPD, in, 2 + ns, (void *)o, p->pos);
		if (c->recipe.ema_decay > 0)
			ema_track(c, p, c->recipe.ema_decay);
	}
}
