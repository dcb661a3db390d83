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
 * that reads it (reads through a view count as reads of its base).  An
 * op's scratch lives for its own step only.  The loss and the prediction
 * live to the end: the API reads them after the step.
 *
 * Each one is a buffer of the arena.  Buffers are placed largest first,
 * each in the smallest gap left by the buffers already placed whose live
 * ranges meet its own (best fit), else above them all: "greedy by size",
 * as TensorFlow Lite's arena planner does.  Taking steps in order instead
 * and packing each new tensor among the live ones left long-lived small
 * tensors (batch norm's statistics, kept for the update) in the middle of
 * gaps the big activations of the backward pass then no longer fit.
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

/* A buffer: one tensor's floats, or a scratch's. */
typedef struct Buffer {
	long off, size;
	int from, to;   /* the steps it lives over */
	int id;         /* its index, a tie-break that keeps the order total */
} Buffer;

/* Largest first; among equals, the earlier first. */
static int by_size(const void *pa, const void *pb)
{
	const Buffer *a = pa, *b = pb;
	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

/* Gives every buffer an offset; returns the arena's size.  placed[] holds
 * the buffers placed so far, sorted by offset, so one walk finds the gaps
 * between those live at the same time as the new one. */
static long place_all(Buffer *buf, int nbuf)
{
	Buffer **placed = malloc(sizeof *placed * (size_t)(nbuf + 1));
	if (!placed)
		bug("out of memory");
	qsort(buf, (size_t)nbuf, sizeof *buf, by_size);
	long top = 0;
	for (int i = 0; i < nbuf; i++) {
		Buffer *b = &buf[i];
		long best = -1, bestgap = 0, prev = 0;
		for (int j = 0; j < i; j++) {
			const Buffer *p = placed[j];
			if (p->to < b->from || b->to < p->from)
				continue;      /* never live together: may overlap */
			long gap = p->off - prev;
			if (gap >= b->size && (best < 0 || gap < bestgap)) {
				best = prev;
				bestgap = gap;
			}
			if (p->off + p->size > prev)
				prev = p->off + p->size;
		}
		b->off = best >= 0 ? best : prev;
		if (b->off + b->size > top)
			top = b->off + b->size;
		int at = i;
		while (at > 0 && placed[at - 1]->off > b->off) {
			placed[at] = placed[at - 1];
			at--;
		}
		placed[at] = b;
	}
	free(placed);
	return top;
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
	Buffer *buf = malloc(sizeof *buf * (size_t)(2 * c->nsched + 1));
	long *off = malloc(sizeof *off * (size_t)(2 * c->nsched + 1));
	if (!last || !buf || !off)
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

	/* the buffers in schedule order: a step's tensor, then its scratch */
	int nbuf = 0;
	for (int k = 0; k < c->nsched; k++) {
		Node *n = ir_node(c, c->sched[k]);
		if (n->st == ST_ARENA) {
			buf[nbuf] = (Buffer){0, round_up(node_numel(c, n)), k,
			                     last[n->id], nbuf};
			c->naive_arena += buf[nbuf++].size;
		}
		if (n->op->scratch) {
			buf[nbuf] = (Buffer){0, round_up(n->op->scratch(c, n)), k, k,
			                     nbuf};
			c->naive_arena += buf[nbuf++].size;
		}
	}
	c->narena = place_all(buf, nbuf);
	for (int i = 0; i < nbuf; i++)
		off[buf[i].id] = buf[i].off;
	nbuf = 0;
	for (int k = 0; k < c->nsched; k++) {
		Node *n = ir_node(c, c->sched[k]);
		if (n->st == ST_ARENA)
			n->off = off[nbuf++];
		if (n->op->scratch)
			n->scratch_off = off[nbuf++];
	}
	plan_check(c, last);
	free(last);
	free(buf);
	free(off);
}
