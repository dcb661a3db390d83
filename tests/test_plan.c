/*
 * test_plan.c — the memory planner on a few cases worked by hand, then on
 * thousands of random graphs.
 *
 * A graph is built through ir_add from real ops (pointwise unary and
 * binary ops, matmul with its scratch, reshape views, concat, slice,
 * softmax, bias_add), with a random subset of tensors made persistent, the
 * loss and the prediction (which live to the end) anywhere, and phases
 * mixed so the schedule is not the node order.  After schedule() and
 * plan() it is checked here, on live ranges computed afresh from the
 * schedule, apart from plan's own plan_check:
 *   (a) no two arena tensors or scratches live at one step share a float,
 *       but for (b);
 *   (b) a pair that does is an OT_ELEMWISE | OT_INPLACE node over the base
 *       of its own input 0, the very same floats, that base read for the
 *       last time at the node's step, and every input of the node on that
 *       base read at the node's element count;
 *   (c) every tensor and scratch lies in [0, narena), aligned;
 *   (d) narena ≤ naive_arena, and naive_arena is the sum of all transients.
 * It prints how many graphs, tensors, scratches and in-place pairs it
 * checked, and "plan: N passed, M failed".  A bug plan_check catches
 * itself ends the run with exit 2 (nncc's bug()), which fails it too.
 *
 * Usage: test_plan [graphs [seed]]
 */
#include <stdio.h>
#include <stdlib.h>

#include "nncc.h"

/* Attribute structs of ops that keep theirs private (ops/reshape.c,
 * ops/concat.c): the same layout. */
typedef struct { Shape to; } ReshapeAttr;
typedef struct { int off, len; } SliceAttr;

static int pass, fail;
static long ngraph, ntensor, nscratch, ninplace, nshared;

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n)   /* 0 … n−1, splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return (uint32_t)((z ^ (z >> 31)) % n);
}

static long round16(long n)
{
	return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

static Node *base(Ctx *c, Node *n)
{
	while (n->st == ST_VIEW)
		n = c->nodes[n->in[0]];
	return n;
}

/* ---- building graphs --------------------------------------------------- */

static Node *add(Ctx *c, const OpDef *op, const int *in, int nin, void *attr,
                 Phase ph)
{
	const char *err;
	Node *n = ir_add(c, op, in, nin, attr, (Pos){"test_plan", 0}, &err);
	if (!n) {
		fprintf(stderr, "test_plan: %s: %s\n", op->name, err);
		exit(3);
	}
	n->phase = ph;
	return n;
}

static int add1(Ctx *c, const OpDef *op, int a, void *attr)
{
	return add(c, op, &a, 1, attr, PH_FWD)->id;
}

static int add2(Ctx *c, const OpDef *op, int a, int b, void *attr)
{
	int in[2] = {a, b};
	return add(c, op, in, 2, attr, PH_FWD)->id;
}

static int source(Ctx *c, const OpDef *op, Storage st, Shape s)
{
	if (op == &op_param) {
		ParamAttr *a = ctx_alloc(c, sizeof *a);
		a->shape = s;
		Node *n = add(c, op, NULL, 0, a, PH_FWD);
		n->st = st;
		return n->id;
	}
	SourceAttr *a = ctx_alloc(c, sizeof *a);
	a->shape = s;
	a->dtype = DT_F32;
	a->name = "x";
	Node *n = add(c, op, NULL, 0, a, PH_FWD);
	n->st = st;
	return n->id;
}

static Shape shape2(int a, int b) { return (Shape){2, {a, b}}; }

static void *reshape_to(Ctx *c, Shape s)
{
	ReshapeAttr *a = ctx_alloc(c, sizeof *a);
	a->to = s;
	return a;
}

static const OpDef *const unary[] = {
	&op_relu, &op_sigmoid, &op_tanh, &op_gelu, &op_copy, &op_leaky_relu,
	&op_dropout,
};
static const OpDef *const binary[] = {
	&op_add, &op_mul, &op_relu_grad, &op_sigmoid_grad, &op_tanh_grad,
	&op_gelu_grad, &op_leaky_relu_grad,
};
enum { NUNARY = sizeof unary / sizeof *unary,
       NBINARY = sizeof binary / sizeof *binary };
static const int widths[] = {1, 3, 4, 8, 12, 16, 20, 32};

/* A node of the graph so far that computes a float tensor (not a
 * source); -1 if none. */
static int pick(Ctx *c, int first)
{
	if (c->nnodes <= first)
		return -1;
	return first + (int)rnd((uint32_t)(c->nnodes - first));
}

/* Another node of n's shape, often on n's own base (n, or a view of it). */
static int same_shape(Ctx *c, int first, int n)
{
	if (rnd(3) == 0)
		return n;
	for (int tries = 0; tries < 8; tries++) {
		int m = pick(c, first);
		if (shape_eq(&c->nodes[m]->shape, &c->nodes[n]->shape) &&
		    (rnd(2) || base(c, c->nodes[m]) == base(c, c->nodes[n])))
			return m;
	}
	return add1(c, &op_reshape, n, reshape_to(c, c->nodes[n]->shape));
}

/* One random node over the graph so far (nodes first… are computed). */
static void grow(Ctx *c, int first)
{
	int x = pick(c, first);
	Node *xn = c->nodes[x];
	const Shape *s = &xn->shape;
	int batched = s->n >= 2 && s->d[0] == BATCH;
	switch (rnd(10)) {
	case 0: case 1: case 2:
		add1(c, unary[rnd(NUNARY)], x, NULL);
		break;
	case 3: case 4: case 5:
		add2(c, binary[rnd(NBINARY)], x, same_shape(c, first, x), NULL);
		break;
	case 6:            /* matmul: [M,K]·[K,N], or [B,K]ᵀ·[B,N] (a dW) */
		if (s->n != 2)
			break;
		if (batched && rnd(3) == 0) {
			int y = same_shape(c, first, x);
			add2(c, &op_matmul, x, y, matmul_attr(c, 1, 0));
		} else {
			int w = source(c, &op_param, ST_PARAM,
			               shape2(s->d[1], widths[rnd(8)]));
			add2(c, &op_matmul, x, w, matmul_attr(c, 0, 0));
		}
		break;
	case 7: {          /* reshape: [B,F] <-> [B,F/4,2,2], [M,N] -> [N,M] */
		Shape to = *s;
		long per = shape_numel(s, 1);
		if (batched && s->n == 2 && per % 4 == 0)
			to = (Shape){4, {BATCH, (int)(per / 4), 2, 2}};
		else if (batched)
			to = shape2(BATCH, (int)per);
		else if (s->n == 2)
			to = shape2(s->d[1], s->d[0]);
		add1(c, &op_reshape, x, reshape_to(c, to));
		break;
	}
	case 8:            /* concat with itself or another of its shape */
		if (!batched || shape_numel(s, 1) > 256)
			break;
		add2(c, &op_concat, x, same_shape(c, first, x), NULL);
		break;
	default:           /* slice, softmax, bias_add: not pointwise */
		if (!batched)
			break;
		if (rnd(3) == 0) {
			SliceAttr *a = ctx_alloc(c, sizeof *a);
			a->len = 1 + (int)rnd((uint32_t)s->d[1]);
			a->off = (int)rnd((uint32_t)(s->d[1] - a->len + 1));
			add1(c, &op_slice, x, a);
		} else if (rnd(2)) {
			add1(c, &op_softmax, x, NULL);
		} else {
			int b = source(c, &op_param, ST_PARAM,
			               (Shape){1, {s->d[1]}});
			add2(c, &op_bias_add, x, b, NULL);
		}
	}
}

/* A random graph of about n computed nodes, not yet scheduled. */
static Ctx *random_graph(int n)
{
	static const int batches[] = {1, 2, 3, 4, 8, 32};
	Ctx *c = ctx_new();
	c->recipe.batch = batches[rnd(6)];
	c->input = source(c, &op_input, ST_INPUT,
	                  shape2(BATCH, widths[rnd(8)]));
	int first = c->nnodes;
	add1(c, unary[rnd(NUNARY)], c->input, NULL);
	while (c->nnodes - first < n)
		grow(c, first);
	/* phases: a node's is at least its inputs', so the schedule (by phase,
	 * then id) runs inputs first; views keep their input's, as autodiff's */
	for (int i = first; i < c->nnodes; i++) {
		Node *m = c->nodes[i];
		Phase ph = m->st == ST_VIEW ? PH_FWD : (Phase)rnd(3);
		for (int j = 0; j < m->nin; j++)
			if (c->nodes[m->in[j]]->phase > ph)
				ph = c->nodes[m->in[j]]->phase;
		m->phase = ph;
	}
	/* a few tensors persistent (homed gradients), the loss and the
	 * prediction anywhere: they live to the end */
	for (int i = first; i < c->nnodes; i++)
		if (c->nodes[i]->st == ST_ARENA && rnd(10) == 0)
			c->nodes[i]->st = ST_GRAD;
	c->recipe.loss = pick(c, first);
	c->recipe.predict = rnd(4) ? pick(c, first) : c->recipe.loss;
	return c;
}

/* ---- the checks -------------------------------------------------------- */

typedef struct Span {
	long off, size;
	int from, to;
	Node *n;
	int tensor;        /* 0: n's scratch */
} Span;

static int expect(int ok, const char *what, Ctx *c, const char *fmt, int a,
                  int b)
{
	if (!ok) {
		printf("FAIL %s: ", what);
		printf(fmt, a, b);
		printf(" (graph of %d nodes, batch %d)\n", c->nnodes,
		       c->recipe.batch);
	}
	return ok;
}

/* Whether q, at step kq, may lie over p: (b).  last[] from the schedule. */
static int inplace_pair(Ctx *c, const Span *p, const Span *q, const int *last)
{
	Node *pn = p->n, *qn = q->n;
	unsigned want = OT_ELEMWISE | OT_INPLACE;
	if (!p->tensor || !q->tensor || (qn->op->traits & want) != want ||
	    qn->nin < 1 || base(c, c->nodes[qn->in[0]]) != pn ||
	    p->off != q->off || p->size != q->size || last[pn->id] != q->from)
		return 0;
	for (int j = 0; j < qn->nin; j++) {
		Node *x = c->nodes[qn->in[j]];
		if (base(c, x) == pn &&
		    shape_numel(&x->shape, c->recipe.batch) !=
		    shape_numel(&qn->shape, c->recipe.batch))
			return 0;
	}
	return 1;
}

/* Checks (a)–(d) on a planned graph; returns the number of failures. */
static int check(Ctx *c)
{
	int nn = c->nnodes, ns = c->nsched, bad = 0, B = c->recipe.batch;
	int *step = malloc(sizeof *step * (size_t)nn);
	int *last = malloc(sizeof *last * (size_t)nn);
	char *over = calloc((size_t)nn, 1);
	Span *sp = malloc(sizeof *sp * (size_t)(2 * ns + 1));
	if (!step || !last || !over || !sp)
		exit(3);
	for (int i = 0; i < nn; i++)
		step[i] = last[i] = -1;
	for (int k = 0; k < ns; k++)
		step[c->sched[k]] = last[c->sched[k]] = k;
	/* live ranges: to the last step reading the tensor or a view of it */
	for (int k = 0; k < ns; k++) {
		Node *n = c->nodes[c->sched[k]];
		for (int j = 0; j < n->nin; j++) {
			Node *a = base(c, c->nodes[n->in[j]]);
			bad += !expect(a->op->traits & OT_SOURCE || a->st != ST_ARENA ||
			               (step[a->id] >= 0 && step[a->id] < k),
			               "schedule", c, "%%%d reads %%%d before it runs",
			               n->id, a->id);
			if (last[a->id] < k)
				last[a->id] = k;
		}
	}
	last[base(c, c->nodes[c->recipe.loss])->id] = ns;
	last[base(c, c->nodes[c->recipe.predict])->id] = ns;

	int nsp = 0;
	long naive = 0;
	for (int k = 0; k < ns; k++) {
		Node *n = c->nodes[c->sched[k]];
		if (n->st == ST_ARENA) {
			sp[nsp++] = (Span){n->off, round16(shape_numel(&n->shape, B)),
			                   k, last[n->id], n, 1};
			naive += sp[nsp - 1].size;
			ntensor++;
		}
		if (n->op->scratch) {
			sp[nsp++] = (Span){n->scratch_off, round16(n->op->scratch(c, n)),
			                   k, k, n, 0};
			naive += sp[nsp - 1].size;
			nscratch++;
		}
	}
	for (int i = 0; i < nsp; i++) {
		const Span *p = &sp[i];
		bad += !expect(p->off >= 0 && p->off % ALIGN_FLOATS == 0 &&
		               p->off + p->size <= c->narena, "(c) in the arena", c,
		               "%%%d (scratch: %d) lies outside it or unaligned",
		               p->n->id, !p->tensor);
		for (int j = i + 1; j < nsp; j++) {
			const Span *q = &sp[j];    /* q starts no earlier than p */
			if (p->to < q->from || q->to < p->from ||
			    p->off + p->size <= q->off || q->off + q->size <= p->off)
				continue;
			nshared++;
			if (expect(inplace_pair(c, p, q, last), "(a)/(b) overlap", c,
			           "%%%d and %%%d live together share floats",
			           p->n->id, q->n->id)) {
				over[q->n->id] = 1;
				ninplace++;
			} else {
				bad++;
			}
		}
	}
	bad += !expect(c->narena <= c->naive_arena, "(d) arena", c,
	               "%d floats above the naive sum (%d)",
	               (int)(c->narena - c->naive_arena), (int)c->naive_arena);
	bad += !expect(c->naive_arena == naive, "(d) naive sum", c,
	               "is %d, the transients add up to %d", (int)c->naive_arena,
	               (int)naive);
	/* what --report counts as in place is what was found here */
	for (int i = 0; i < nn; i++)
		bad += !expect(plan_inplace(c, c->nodes[i]) == over[i],
		               "plan_inplace", c, "%%%d: says %d", i,
		               plan_inplace(c, c->nodes[i]));
	free(step);
	free(last);
	free(over);
	free(sp);
	return bad;
}

static void plan_and_check(Ctx *c)
{
	ir_verify(c, "test_plan");
	schedule(c);
	ir_verify(c, "schedule");
	plan(c);
	ngraph++;
	if (check(c) == 0)
		pass++;
	else
		fail++;
}

/* ---- cases worked by hand ---------------------------------------------- */

static void ok(int cond, const char *what)
{
	printf("%s %s\n", cond ? "ok" : "FAIL", what);
	if (cond)
		pass++;
	else
		fail++;
}

/* x:[B,8] -> m = x·W:[B,16]; the case adds the rest. */
static Ctx *start(int *m)
{
	Ctx *c = ctx_new();
	c->recipe.batch = 4;
	c->input = source(c, &op_input, ST_INPUT, shape2(BATCH, 8));
	int w = source(c, &op_param, ST_PARAM, shape2(8, 16));
	*m = add2(c, &op_matmul, c->input, w, matmul_attr(c, 0, 0));
	return c;
}

static void finish(Ctx *c, int loss, int predict)
{
	c->recipe.loss = loss;
	c->recipe.predict = predict;
	plan_and_check(c);
}

static void by_hand(void)
{
	int m;
	Ctx *c = start(&m);
	int r = add1(c, &op_relu, m, NULL);
	int s = add1(c, &op_sigmoid, r, NULL);
	finish(c, s, s);
	ok(plan_inplace(c, c->nodes[r]) && plan_inplace(c, c->nodes[s]),
	   "relu over matmul, sigmoid over relu: a chain in one buffer");
	ctx_free(c);

	c = start(&m);
	r = add1(c, &op_relu, m, NULL);
	int a = add2(c, &op_add, r, m, NULL);
	finish(c, a, a);
	ok(!plan_inplace(c, c->nodes[r]) && plan_inplace(c, c->nodes[a]),
	   "relu not over matmul read later; add(relu, matmul) over relu");
	ctx_free(c);

	c = start(&m);
	a = add2(c, &op_mul, m, m, NULL);
	finish(c, a, a);
	ok(plan_inplace(c, c->nodes[a]), "mul(m, m) over m: one index");
	ctx_free(c);

	c = start(&m);
	int v = add1(c, &op_reshape, m, reshape_to(c, (Shape){4, {BATCH, 4, 2,
	                                                        2}}));
	r = add1(c, &op_tanh, v, NULL);
	int v2 = add1(c, &op_reshape, m, reshape_to(c, (Shape){4, {BATCH, 4, 2,
	                                                         2}}));
	a = add2(c, &op_mul, v, v2, NULL);
	finish(c, a, a);
	ok(!plan_inplace(c, c->nodes[r]) && plan_inplace(c, c->nodes[a]),
	   "tanh(view) not over m read later; mul(view, view) over m");
	ctx_free(c);

	c = start(&m);
	r = add1(c, &op_softmax, m, NULL);
	finish(c, r, r);
	ok(!plan_inplace(c, c->nodes[r]), "softmax (not pointwise) not in place");
	ctx_free(c);

	c = start(&m);
	r = add1(c, &op_relu, m, NULL);
	finish(c, m, r);
	ok(!plan_inplace(c, c->nodes[r]), "relu not over the loss");
	ctx_free(c);

	c = start(&m);
	r = add1(c, &op_relu, m, NULL);
	c->nodes[r]->st = ST_GRAD;
	finish(c, r, r);
	ok(!plan_inplace(c, c->nodes[r]), "a persistent relu not in place");
	ctx_free(c);
}

int main(int argc, char **argv)
{
	long graphs = argc > 1 ? atol(argv[1]) : 20000;
	if (argc > 2)
		rng = strtoull(argv[2], NULL, 0);
	by_hand();
	for (long g = 0; g < graphs; g++) {
		Ctx *c = random_graph(2 + (int)rnd(g % 10 == 0 ? 300 : 40));
		plan_and_check(c);
		ctx_free(c);
	}
	printf("checked %ld graphs: %ld tensors, %ld scratches, %ld pairs live "
	       "together sharing floats, %ld of them in place as allowed\n",
	       ngraph, ntensor, nscratch, nshared, ninplace);
	ok(ninplace > 0, "the random graphs wrote some tensors in place");
	printf("plan: %d passed, %d failed\n", pass, fail);
	return fail != 0;
}
