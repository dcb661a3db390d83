/*
 * plan.c — memory: persistent tensors packed into their regions
 * (parameters, gradients, state), transient ones given offsets in one arena
 * from their live ranges over the schedule.
 *
 * Persistent tensors that belong to a block (the optimizer's view of all
 * parameters, all gradients, each kind of state) come first, one after
 * another in the block's order, so one loop walks them all; the others
 * follow in node order.  Every persistent tensor is rounded up to
 * ALIGN_FLOATS, and the padding stays 0.
 *
 * A transient tensor lives from the step that writes it to the last step
 * that reads it (reads through a view count as reads of its base).  Steps
 * are taken in order; before each, tensors whose last read has passed free
 * their space, and the new tensor takes the smallest free gap that holds
 * it (best fit), else the end of the arena grows.  An op's scratch lives for
 * its own step only.  The loss and the prediction live to the end: the API
 * reads them after the step.
 */
#include <stdlib.h>

#include "nncc.h"

static long round_up(long n)
{
	return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

static Node *base_of(Ctx *c, Node *n)
{
	while (n->st == ST_VIEW)
		n = ir_node(c, n->in[0]);
	return n;
}

typedef struct Block {
	long off, size;
	int last;       /* last step that reads it */
} Block;

typedef struct Live {
	Block *b;
	int n;
} Live;

/* Best fit among the gaps between live blocks (kept sorted by offset). */
static long place(Live *lv, long size, int last, long *top)
{
	long best = -1, bestgap = 0, prev = 0;
	int at = lv->n;
	for (int i = 0; i <= lv->n; i++) {
		long end = i < lv->n ? lv->b[i].off : -1;
		long gap = i < lv->n ? end - prev : -1;
		if (i < lv->n && gap >= size && (best < 0 || gap < bestgap)) {
			best = prev;
			bestgap = gap;
			at = i;
		}
		if (i < lv->n)
			prev = lv->b[i].off + lv->b[i].size;
	}
	if (best < 0) {
		best = prev;
		at = lv->n;
	}
	for (int i = lv->n; i > at; i--)
		lv->b[i] = lv->b[i - 1];
	lv->b[at] = (Block){best, size, last};
	lv->n++;
	if (best + size > *top)
		*top = best + size;
	return best;
}

static void release(Live *lv, int step)
{
	int j = 0;
	for (int i = 0; i < lv->n; i++)
		if (lv->b[i].last >= step)
			lv->b[j++] = lv->b[i];
	lv->n = j;
}

/* The planner's promise, checked on every compile: two arena tensors (or
 * scratches) whose live ranges meet never share a byte.  A failure is a bug
 * in plan. */
static void plan_check(Ctx *c, const int *last)
{
	typedef struct { long off, size; int from, to, id; } Span;
	Span *sp = malloc(sizeof *sp * (size_t)(2 * c->nsched + 1));
	int n = 0;
	if (!sp)
		bug("out of memory");
	for (int k = 0; k < c->nsched; k++) {
		Node *nd = ir_node(c, c->sched[k]);
		if (nd->st == ST_ARENA)
			sp[n++] = (Span){nd->off, round_up(node_numel(c, nd)), k,
			                 last[nd->id], nd->id};
		if (nd->op->scratch)
			sp[n++] = (Span){nd->scratch_off, round_up(nd->op->scratch(c,
			                 nd)), k, k, nd->id};
	}
	for (int i = 0; i < n; i++) {
		if (sp[i].off < 0 || sp[i].off + sp[i].size > c->narena)
			bug("%%%d lies outside the arena", sp[i].id);
		for (int j = i + 1; j < n; j++)
			if (sp[i].from <= sp[j].to && sp[j].from <= sp[i].to &&
			    sp[i].off < sp[j].off + sp[j].size &&
			    sp[j].off < sp[i].off + sp[i].size)
				bug("%%%d and %%%d are live together and overlap in the "
				    "arena", sp[i].id, sp[j].id);
	}
	free(sp);
}

static long *region_of(Ctx *c, const Node *n)
{
	return n->st == ST_PARAM ? &c->nparam
	     : n->st == ST_GRAD ? &c->ngrad
	     : n->st == ST_STATE ? &c->nstate : NULL;
}

/* Packs the persistent tensors: blocks' members first, then the rest. */
static void plan_persistent(Ctx *c)
{
	int nn = c->nnodes;
	c->nparam = c->ngrad = c->nstate = 0;
	for (int i = 0; i < nn; i++)
		if (region_of(c, c->nodes[i]))
			c->nodes[i]->off = -1;
	for (int i = 0; i < nn; i++) {
		Node *b = c->nodes[i];
		if (b->st != ST_BLOCK)
			continue;
		const BlockAttr *a = b->attr;
		for (int k = 0; k < a->n; k++) {
			Node *m = ir_node(c, a->ids[k]);
			long *region = region_of(c, m);
			if (!region || m->off >= 0)
				bug("%%%d is in block %%%d and elsewhere, or not "
				    "persistent", m->id, b->id);
			m->off = *region;
			*region += round_up(node_numel(c, m));
		}
		b->off = ir_node(c, a->ids[0])->off;
		if (b->off + node_numel(c, b) != *region_of(c, ir_node(c,
		                                            a->ids[0])))
			bug("block %%%d is not contiguous", b->id);
	}
	for (int i = 0; i < nn; i++) {
		Node *n = c->nodes[i];
		long *region = region_of(c, n);
		if (region && n->off < 0) {
			n->off = *region;
			*region += round_up(node_numel(c, n));
		}
	}
}

void plan(Ctx *c)
{
	int nn = c->nnodes;
	plan_persistent(c);
	c->narena = c->naive_arena = 0;

	/* last reads */
	int *last = malloc(sizeof *last * (size_t)nn);
	Block *blocks = malloc(sizeof *blocks * (size_t)(2 * nn + 1));
	if (!last || !blocks)
		bug("out of memory");
	for (int i = 0; i < nn; i++)
		last[i] = c->nodes[i]->order;
	for (int k = 0; k < c->nsched; k++) {
		Node *n = ir_node(c, c->sched[k]);
		for (int j = 0; j < n->nin; j++) {
			Node *a = base_of(c, ir_node(c, n->in[j]));
			if (last[a->id] < k)
				last[a->id] = k;
		}
	}
	last[base_of(c, ir_node(c, c->recipe.loss))->id] = c->nsched;
	last[base_of(c, ir_node(c, c->recipe.predict))->id] = c->nsched;

	Live lv = {blocks, 0};
	for (int k = 0; k < c->nsched; k++) {
		Node *n = ir_node(c, c->sched[k]);
		release(&lv, k);
		if (n->st == ST_ARENA) {
			long size = round_up(node_numel(c, n));
			n->off = place(&lv, size, last[n->id], &c->narena);
			c->naive_arena += size;
		}
		if (n->op->scratch) {
			long size = round_up(n->op->scratch(c, n));
			n->scratch_off = place(&lv, size, k, &c->narena);
			c->naive_arena += size;
		}
	}
	plan_check(c, last);
	free(last);
	free(blocks);
}
