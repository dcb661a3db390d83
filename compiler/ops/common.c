/*
 * common.c — small helpers the op definitions share.
 */
#include "../nncc.h"

Node *in_node(Ctx *c, const Node *n, int i)
{
	return ir_node(c, n->in[i]);
}

/* Shape rule of ops whose inputs all have one shape, which is the output's. */
const char *elementwise_same_shape(Ctx *c, Node *n)
{
	Node *a = in_node(c, n, 0);
	for (int i = 1; i < n->nin; i++) {
		Node *b = in_node(c, n, i);
		if (!shape_eq(&a->shape, &b->shape))
			return ctx_sprintf(c, "inputs must have one shape; got %s and %s",
			                   shape_str(c, &a->shape), shape_str(c, &b->shape));
	}
	for (int i = 0; i < n->nin; i++)
		if (in_node(c, n, i)->dtype != DT_F32)
			return ctx_sprintf(c, "input %d is int32; this op takes float "
			                      "tensors", i + 1);
	n->shape = a->shape;
	n->dtype = DT_F32;
	return NULL;
}

void print_no_attr(Buf *b, const Node *n)
{
	(void)b;
	(void)n;
}

double flops_per_elem(Ctx *c, Node *n, double k)
{
	return k * (double)node_numel(c, n);
}

void grad_from_output(Ctx *c, Node *n, int dout, int *din, const OpDef *g)
{
	din[0] = ir_make2(c, g, PH_BWD, dout, n->id, NULL, n->pos);
}

/* A persistent tensor of layer l in slot: "<l->name>.<suffix>", made on
 * the first apply, the same node on every later one. */
static int layer_tensor(Ctx *c, Layer *l, int slot, const char *suffix,
                        const ParamAttr *a, Storage st, Pos pos)
{
	if (l->param[slot] >= 0)
		return l->param[slot];
	ParamAttr *pa = ctx_alloc(c, sizeof *pa);
	*pa = *a;
	int id = ir_make(c, &op_param, PH_FWD, NULL, 0, pa, pos);
	Node *n = ir_node(c, id);
	n->st = st;
	n->name = ctx_sprintf(c, "%s.%s", l->name, suffix);
	n->layer = l->name;
	l->param[slot] = id;
	return id;
}

int layer_param(Ctx *c, Layer *l, int slot, const char *suffix, Shape s,
                ParamAttr a, Pos pos)
{
	a.shape = s;
	return layer_tensor(c, l, slot, suffix, &a, ST_PARAM, pos);
}

int layer_state(Ctx *c, Layer *l, int slot, const char *suffix, Shape s,
                int init, Pos pos)
{
	ParamAttr a = {.shape = s, .init = init};
	return layer_tensor(c, l, slot, suffix, &a, ST_STATE, pos);
}

/* tmpl with $0…$9 replaced by the parenthesized arg[0…9]. */
const char *ew_subst(Ctx *c, const char *tmpl, const char *const *arg)
{
	Buf b = {0};
	for (const char *p = tmpl; *p; p++)
		if (p[0] == '$' && p[1] >= '0' && p[1] <= '9')
			buf_printf(&b, "(%s)", arg[*++p - '0']);
		else
			buf_printf(&b, "%c", *p);
	const char *s = ctx_strdup(c, b.s ? b.s : "");
	buf_free(&b);
	return s;
}

/* y = f(x0, x1, …) element by element: one flat loop, or b, c, i loops
 * when some inputs (bits of chan) are read per channel of dimension 1.
 * Loops over PAR_MIN elements or more are split between threads; each
 * element is computed alone, so the result does not depend on how. */
enum { PAR_MIN = 1 << 15 };

void emit_pointwise(Emit *e, const Node *n, unsigned chan, EwFn f)
{
	const char *arg[MAXIN];
	long numel = emit_numel(e, n, -1);
	int par = numel >= PAR_MIN;
	if (!chan) {
		for (int k = 0; k < n->nin; k++)
			arg[k] = ctx_sprintf(e->c, "x%d[i]", k);
		emit_line(e, "%s for (long i = 0; i < %ld; i++)",
		          par ? "NN_PAR_SIMD" : "NN_IVDEP", numel);
		emit_line(e, "\ty[i] = %s;", f(e->c, n, arg));
		return;
	}
	long outer = emit_dim(e, n, -1, 0);
	int ch = emit_dim(e, n, -1, 1);
	long inner = numel / (outer * ch);
	if (par)
		emit_line(e, "NN_OMP(\"omp parallel for schedule(static)\")");
	for (int k = 0; k < n->nin; k++)
		arg[k] = (chan >> k & 1) ? ctx_sprintf(e->c, "x%d[c]", k)
		                        : ctx_sprintf(e->c, "x%d[o + i]", k);
	emit_line(e, "for (long b = 0; b < %ld; b++)", outer);
	emit_line(e, "\tfor (int c = 0; c < %d; c++) {", ch);
	emit_line(e, "\t\tconst long o = (b*%d + c)*%ld;", ch, inner);
	emit_line(e, "\t\tNN_IVDEP for (long i = 0; i < %ld; i++)", inner);
	emit_line(e, "\t\t\ty[o + i] = %s;", f(e->c, n, arg));
	emit_line(e, "\t}");
}

/* The emit of an op with an ew: its own loop. */
void ew_emit(Emit *e, Node *n)
{
	emit_pointwise(e, n, n->op->ew_chan, n->op->ew);
}

/* Per-channel sums over the planes of [outer, ch, inner]: the planes in
 * memory order (threads own planes; `call` adds plane bc's nsum sums at
 * offset o of channel c into the doubles pp[0…nsum), zeroed), each into
 * its own doubles of the scratch; then each channel's planes add up in
 * order into y[(k − skip)·ch + c] for the sums k ≥ skip.  The same bits
 * for any thread count, and the same as a channel-by-channel walk that
 * adds plane after plane. */
void emit_plane_reduce(Emit *e, long outer, int ch, long inner, int nsum,
                       int skip, const char *consts, const char *call)
{
	if (outer * ch * inner >= PAR_MIN)
		emit_line(e, "NN_OMP(\"omp parallel for schedule(static)\")");
	emit_line(e, "for (long bc = 0; bc < %ld; bc++) {", outer * ch);
	emit_line(e, "\tconst int c = (int)(bc %% %d);", ch);
	emit_line(e, "\tconst long o = bc*%ld;", inner);
	emit_line(e, "\tdouble *pp = (double *)(void *)scratch + bc*%d;", nsum);
	emit_line(e, "\t(void)c;");
	if (consts)
		emit_line(e, "\t%s", consts);
	for (int k = 0; k < nsum; k++)
		emit_line(e, "\tpp[%d] = 0;", k);
	emit_line(e, "\t%s", call);
	emit_line(e, "}");
	emit_line(e, "for (int c = 0; c < %d; c++)", ch);
	emit_line(e, "\tfor (int k = %d; k < %d; k++) {", skip, nsum);
	emit_line(e, "\t\tdouble s = 0;");
	emit_line(e, "\t\tfor (long b = 0; b < %ld; b++)", outer);
	emit_line(e, "\t\t\ts += ((const double *)(void *)scratch)[(b*%d + c)*%d "
	             "+ k];", ch, nsum);
	emit_line(e, "\t\ty[(k - %d)*%d + c] = (float)s;", skip, ch);
	emit_line(e, "\t}");
}

/* emit_plane_reduce's scratch over x [B,C,…]: nsum doubles a plane. */
long plane_reduce_scratch(Ctx *c, const Node *x, int nsum)
{
	long outer = x->shape.d[0] == BATCH ? c->recipe.batch : x->shape.d[0];
	return 2 * outer * x->shape.d[1] * nsum;   /* doubles, as floats */
}
