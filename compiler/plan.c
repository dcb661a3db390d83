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
 *
 * A pointwise op whose input 0 dies at its own step may write its output
 * over that input (inplace_ok says when): the output joins the input's
 * buffer, which then lives on to the output's last read.
 */
#include <stdlib.h>

#include "nncc.h"

static long round_up(long n)
{
	return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

static const Node *base_of(Ctx *c, const Node *n)
{
	while (n->st == ST_VIEW)
		n = ir_node(c, n->in[0]);
	return n;
}

/* Whether node n, at step `step`, may write its output over its input 0,
 * where last[] holds each tensor's last read:
 *  - n's op is OT_ELEMWISE | OT_INPLACE.  Such an op emits
 *    `for i: y[i] = f(x0[i], x1[i], …)`: iteration i reads every input at
 *    index i and then writes y[i]; no iteration reads an index another one
 *    writes.  An op that is OT_INPLACE alone (softmax over rows, bias_add)
 *    is not taken: what keeps it safe is in its emitter, not in a trait
 *    this planner can check;
 *  - n and the base of its input 0 (views resolve to their base) are both
 *    arena tensors, of one dtype and the same rounded size;
 *  - that base's last read is this very step: no later reader, and it is
 *    not the loss or the prediction, which live to the end;
 *  - every input of n with that base (in[0] itself, add(a, a),
 *    mul(a, reshape(a))) reads it at the output's index, that is, has the
 *    output's element count: a view is its base's memory from the first
 *    float on, so element i of the view is element i of the base, read in
 *    iteration i before y[i] is written.  An input that read the base
 *    through another mapping would see other iterations' writes.
 * Then every read of the base is n's, at the index n is about to write,
 * and the base is dead once y[i] is written. */
static int inplace_ok(Ctx *c, const Node *n, const int *last, int step)
{
	unsigned want = OT_ELEMWISE | OT_INPLACE;
	if ((n->op->traits & want) != want || n->nin < 1 || n->st != ST_ARENA)
		return 0;
	const Node *a = base_of(c, ir_node(c, n->in[0]));
	if (a->st != ST_ARENA || a->order < 0 || a->dtype != n->dtype ||
	    last[a->id] != step ||
	    round_up(node_numel(c, a)) != round_up(node_numel(c, n)))
		return 0;
	for (int j = 0; j < n->nin; j++) {
		const Node *x = ir_node(c, n->in[j]);
		if (base_of(c, x) == a && node_numel(c, x) != node_numel(c, n))
			return 0;
	}
	return 1;
}

/* A buffer: one tensor's floats (and those written over it in place), or
 * a scratch's. */
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
 * scratches) whose live ranges meet never share a byte, except a tensor
 * written in place over the input it consumes at its own step: then both
 * are the same floats, the output's op is OT_ELEMWISE | OT_INPLACE, the
 * input is the base of its in[0], and inplace_ok held at that step.  A
 * failure is a bug in plan. */
static void plan_check(Ctx *c, const int *last)
{
	typedef struct { long off, size; int from, to, id, tensor; } Span;
	Span *sp = malloc(sizeof *sp * (size_t)(2 * c->nsched + 1));
	int n = 0;
	if (!sp)
		bug("out of memory");
	for (int k = 0; k < c->nsched; k++) {
		Node *nd = ir_node(c, c->sched[k]);
		if (nd->st == ST_ARENA)
			sp[n++] = (Span){nd->off, round_up(node_numel(c, nd)), k,
			                 last[nd->id], nd->id, 1};
		if (nd->op->scratch)
			sp[n++] = (Span){nd->scratch_off, round_up(nd->op->scratch(c,
			                 nd)), k, k, nd->id, 0};
	}
	for (int i = 0; i < n; i++) {
		if (sp[i].off < 0 || sp[i].off + sp[i].size > c->narena)
			bug("%%%d lies outside the arena", sp[i].id);
		for (int j = i + 1; j < n; j++) {
			const Span *p = &sp[i], *q = &sp[j];   /* p runs first */
			if (p->to < q->from || q->to < p->from ||
			    p->off + p->size <= q->off || q->off + q->size <= p->off)
				continue;
			Node *pn = ir_node(c, p->id), *qn = ir_node(c, q->id);
			if (p->tensor && q->tensor && p->off == q->off &&
			    p->size == q->size && p->to == q->from &&
			    base_of(c, ir_node(c, qn->in[0])) == pn &&
			    inplace_ok(c, qn, last, q->from))
				continue;      /* q written in place over p */
			bug("%%%d and %%%d are live together and overlap in the "
			    "arena", pn->id, qn->id);
		}
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

	/* last reads; each node's buffer and its scratch's, by index */
	int *last = malloc(sizeof *last * (size_t)nn);
	int *bufof = malloc(sizeof *bufof * (size_t)nn);
	int *scratchof = malloc(sizeof *scratchof * (size_t)nn);
	Buffer *buf = malloc(sizeof *buf * (size_t)(2 * c->nsched + 1));
	long *off = malloc(sizeof *off * (size_t)(2 * c->nsched + 1));
	if (!last || !bufof || !scratchof || !buf || !off)
		bug("out of memory");
	for (int i = 0; i < nn; i++)
		last[i] = c->nodes[i]->order;
	for (int k = 0; k < c->nsched; k++) {
		Node *n = ir_node(c, c->sched[k]);
		for (int j = 0; j < n->nin; j++) {
			const Node *a = base_of(c, ir_node(c, n->in[j]));
			if (last[a->id] < k)
				last[a->id] = k;
		}
	}
	last[base_of(c, ir_node(c, c->recipe.loss))->id] = c->nsched;
	last[base_of(c, ir_node(c, c->recipe.predict))->id] = c->nsched;

	/* the buffers in schedule order: a step's tensor, then its scratch;
	 * a tensor written in place joins its input's buffer (bufof) */
	int nbuf = 0;
	for (int k = 0; k < c->nsched; k++) {
		Node *n = ir_node(c, c->sched[k]);
		if (n->st == ST_ARENA && inplace_ok(c, n, last, k)) {
			int b = bufof[base_of(c, ir_node(c, n->in[0]))->id];
			bufof[n->id] = b;
			buf[b].to = last[n->id];
			c->naive_arena += buf[b].size;
		} else if (n->st == ST_ARENA) {
			bufof[n->id] = nbuf;
			buf[nbuf] = (Buffer){0, round_up(node_numel(c, n)), k,
			                     last[n->id], nbuf};
			c->naive_arena += buf[nbuf++].size;
		}
		if (n->op->scratch) {
			scratchof[n->id] = nbuf;
			buf[nbuf] = (Buffer){0, round_up(n->op->scratch(c, n)), k, k,
			                     nbuf};
			c->naive_arena += buf[nbuf++].size;
		}
	}
	c->narena = place_all(buf, nbuf);
	for (int i = 0; i < nbuf; i++)
		off[buf[i].id] = buf[i].off;
	for (int k = 0; k < c->nsched; k++) {
		Node *n = ir_node(c, c->sched[k]);
		if (n->st == ST_ARENA)
			n->off = off[bufof[n->id]];
		if (n->op->scratch)
			n->scratch_off = off[scratchof[n->id]];
	}
	plan_check(c, last);
	free(last);
	free(bufof);
	free(scratchof);
	free(buf);
	free(off);
}

/* Whether plan wrote n over its input 0.  That input's base is read at
 * n's step, so it is live there, and plan_check lets it share floats with
 * n only in place: the same offset says so. */
int plan_inplace(Ctx *c, const Node *n)
{
	if (n->st != ST_ARENA || n->order < 0 || n->nin < 1 ||
	    !(n->op->traits & OT_INPLACE) || node_numel(c, n) == 0)
		return 0;
	const Node *a = base_of(c, ir_node(c, n->in[0]));
	return a != n && a->st == ST_ARENA && a->off == n->off;
}
