/*
 * schedule.c — the execution order: forward, backward, update, each in
 * node order (which is topological: a node's inputs come before it).
 * Updates come last because a parameter is read by the backward pass
 * (dX = dY·W) until its end.
 */
#include "nncc.h"

void schedule(Ctx *c)
{
	c->sched = ctx_alloc(c, sizeof *c->sched * (size_t)c->nnodes);
	c->nsched = 0;
	for (Phase ph = PH_FWD; ph <= PH_UPD; ph++)
		for (int i = 0; i < c->nnodes; i++) {
			Node *n = c->nodes[i];
			if (n->phase != ph || (n->op->traits & OT_SOURCE))
				continue;
			n->order = c->nsched;
			c->sched[c->nsched++] = i;
		}
}
