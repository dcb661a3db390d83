/*
 * matmul.c — C = op(A)·op(B), op = transpose when ta/tb; and the bias ops
 * that make a linear layer with it.
 *
 * Shapes: op(A) is [M,K], op(B) is [K,N], C is [M,N].  Transposes are
 * never materialized: the GEMM kernel reads A and B through strides and
 * packs op(B) into panels in the node's scratch.
 */
#include "../nncc.h"

typedef struct MatmulAttr {
	int ta, tb;
} MatmulAttr;

void *matmul_attr(Ctx *c, int ta, int tb)
{
	MatmulAttr *a = ctx_alloc(c, sizeof *a);
	a->ta = ta;
	a->tb = tb;
	return a;
}

/* The GEMM dimensions of n, symbolic batch left as BATCH. */
static void mm_dims(Ctx *c, const Node *n, int *m, int *k, int *k2, int *nn)
{
	const MatmulAttr *a = n->attr;
	const Shape *sa = &in_node(c, n, 0)->shape, *sb = &in_node(c, n, 1)->shape;
	*m = sa->d[a->ta ? 1 : 0];
	*k = sa->d[a->ta ? 0 : 1];
	*k2 = sb->d[a->tb ? 1 : 0];
	*nn = sb->d[a->tb ? 0 : 1];
}

static const char *matmul_shape(Ctx *c, Node *n)
{
	const Shape *sa = &in_node(c, n, 0)->shape, *sb = &in_node(c, n, 1)->shape;
	if (sa->n != 2 || sb->n != 2)
		return ctx_sprintf(c, "takes 2-D tensors; got %s and %s",
		                   shape_str(c, sa), shape_str(c, sb));
	int m, k, k2, nn;
	mm_dims(c, n, &m, &k, &k2, &nn);
	if (k != k2)
		return ctx_sprintf(c, "inner dimensions differ: %s and %s",
		                   shape_str(c, sa), shape_str(c, sb));
	n->shape = (Shape){2, {m, nn}};
	n->dtype = DT_F32;
	return NULL;
}

/* With C = op(A)·op(B):  d op(A) = dC·op(B)ᵀ and d op(B) = op(A)ᵀ·dC,
 * each transposed back when A or B was read transposed. */
static void matmul_grad(Ctx *c, Node *n, int dout, int *din)
{
	const MatmulAttr *a = n->attr;
	int A = n->in[0], B = n->in[1];
	din[0] = a->ta ? ir_make2(c, &op_matmul, PH_BWD, B, dout,
	                          matmul_attr(c, a->tb, 1), n->pos)
	               : ir_make2(c, &op_matmul, PH_BWD, dout, B,
	                          matmul_attr(c, 0, !a->tb), n->pos);
	din[1] = a->tb ? ir_make2(c, &op_matmul, PH_BWD, dout, A,
	                          matmul_attr(c, 1, a->ta), n->pos)
	               : ir_make2(c, &op_matmul, PH_BWD, A, dout,
	                          matmul_attr(c, !a->ta, 0), n->pos);
}

void emit_gemm(Emit *e, const Node *mm, const char *out, const char *epi,
               const char *bias, const char *lr)
{
	const MatmulAttr *a = mm->attr;
	Ctx *c = e->c;
	int m, k, k2, nn;
	mm_dims(c, mm, &m, &k, &k2, &nn);
	int B = c->recipe.batch;
	m = m == BATCH ? B : m;
	k = k == BATCH ? B : k;
	nn = nn == BATCH ? B : nn;
	int lda = a->ta ? m : k, ldb = a->tb ? k : nn;
	if (!epi)
		emit_line(e, "nn_gemm(%d, %d, %d, x0, %d, %d, x1, %d, %d, %s, %d, "
		             "scratch);", m, nn, k, lda, a->ta, ldb, a->tb, out, nn);
	else
		emit_line(e, "nn_gemm_epi(%d, %d, %d, x0, %d, %d, x1, %d, %d, %s, %d, "
		             "scratch, %s, %s, %s);", m, nn, k, lda, a->ta, ldb,
		          a->tb, out, nn, epi, bias, lr);
}

static void matmul_emit(Emit *e, Node *n)
{
	emit_gemm(e, n, "y", NULL, NULL, NULL);
}

/* The depth K of n's product, the batch resolved. */
long matmul_depth(Ctx *c, const Node *n)
{
	int m, k, k2, nn;
	mm_dims(c, n, &m, &k, &k2, &nn);
	return k == BATCH ? c->recipe.batch : k;
}

/* op(B), K×N, packed in panels of NN_NR_MAX columns. */
long gemm_scratch(long N, long K)
{
	return K * ((N + 31) / 32 * 32);
}

static long matmul_scratch(Ctx *c, Node *n)
{
	int m, k, k2, nn;
	mm_dims(c, n, &m, &k, &k2, &nn);
	int B = c->recipe.batch;
	k = k == BATCH ? B : k;
	nn = nn == BATCH ? B : nn;
	return gemm_scratch(nn, k);
}

static double matmul_flops(Ctx *c, Node *n)
{
	int m, k, k2, nn;
	mm_dims(c, n, &m, &k, &k2, &nn);
	int B = c->recipe.batch;
	return 2.0 * (m == BATCH ? B : m) * (k == BATCH ? B : k) *
	       (nn == BATCH ? B : nn);
}

static void matmul_print(Buf *b, const Node *n)
{
	const MatmulAttr *a = n->attr;
	buf_printf(b, "ta=%d tb=%d", a->ta, a->tb);
}

const OpDef op_matmul = {
	.name = "matmul", .nin = 2,
	.shape = matmul_shape, .grad = matmul_grad, .emit = matmul_emit,
	.scratch = matmul_scratch, .flops = matmul_flops,
	.attr_size = sizeof(MatmulAttr), .print_attr = matmul_print,
};

/* ---- matmul_sgd: a weight's gradient, and plain SGD's step on it -------
 * matmul_sgd(A, B, W) is matmul(A, B), W's gradient, where the optimizer
 * is plain SGD (autodiff's add_update chooses it: fusion sgd_gemm).  In
 * the training step (backward's upd) each tile of the product leaves the
 * registers as W −= lr·tile, so the gradient is never stored and the
 * update makes no pass of its own; in _gradient it is the plain product.
 * The arithmetic is sgd_update's, element for element. */
static void matmul_sgd_emit(Emit *e, Node *n)
{
	emit_line(e, "if (upd)  /* the step: %s is not written */", n->name);
	e->indent++;
	emit_gemm(e, n, "x2", "NN_UPD", "NULL", "m->lr");
	e->indent--;
	emit_line(e, "else");
	e->indent++;
	emit_gemm(e, n, "y", NULL, NULL, NULL);
	e->indent--;
}

const OpDef op_matmul_sgd = {
	.name = "matmul_sgd", .nin = 3, .writes = 1 << 2,
	.shape = matmul_shape, .emit = matmul_sgd_emit,
	.scratch = matmul_scratch, .flops = matmul_flops,
	.attr_size = sizeof(MatmulAttr), .print_attr = matmul_print,
};

/* ---- bias: y[b,c,…] = x[b,c,…] + bias[c] (dimension 1 is the channel) -- */

static const char *bias_add_shape(Ctx *c, Node *n)
{
	const Shape *x = &in_node(c, n, 0)->shape, *b = &in_node(c, n, 1)->shape;
	if (x->n < 2 || b->n != 1 || b->d[0] != x->d[1])
		return ctx_sprintf(c, "bias %s does not fit input %s",
		                   shape_str(c, b), shape_str(c, x));
	n->shape = *x;
	n->dtype = DT_F32;
	return NULL;
}

static void bias_add_grad(Ctx *c, Node *n, int dout, int *din)
{
	din[0] = dout;
	din[1] = ir_make1(c, &op_bias_grad, PH_BWD, dout, NULL, n->pos);
}

/* Splits a batch-resolved shape into outer (batch) × channels × inner. */
static void bias_split(Emit *e, const Node *x, long *outer, int *ch,
                       long *inner)
{
	*outer = emit_dim(e, x, -1, 0);
	*ch = emit_dim(e, x, -1, 1);
	*inner = emit_numel(e, x, -1) / (*outer * *ch);
}

static const char *bias_add_ew(Ctx *c, const Node *n, const char *const *a)
{
	(void)n;
	return ew_subst(c, "$0 + $1", a);
}

const OpDef op_bias_add = {
	.name = "bias_add", .nin = 2, .traits = OT_INPLACE | OT_GRAD_FROM_IN,
	.shape = bias_add_shape, .grad = bias_add_grad, .emit = ew_emit,
	.flops = NULL, .print_attr = print_no_attr,
	.ew = bias_add_ew, .ew_chan = 1 << 1,
};

static const char *bias_grad_shape(Ctx *c, Node *n)
{
	const Shape *x = &in_node(c, n, 0)->shape;
	if (x->n < 2)
		return ctx_sprintf(c, "needs a channel dimension; got %s",
		                   shape_str(c, x));
	n->shape = (Shape){1, {x->d[1]}};
	n->dtype = DT_F32;
	return NULL;
}

/* db[c] = Σ_b Σ_i dy[b,c,i], summed in a fixed order (reproducible). */
static void bias_grad_emit(Emit *e, Node *n)
{
	long outer, inner;
	int ch;
	bias_split(e, in_node(e->c, n, 0), &outer, &ch, &inner);
	if (inner == 1) {
		/* in double, in b order, as nn_sum adds planes; a row of dy at a
		 * time: by column, each b was a stride of a row (measured on
		 * [128,1024]: 0.43 ms a column at a time, 0.017 a row) */
		emit_line(e, "double *sum = (double *)scratch;  /* [%d] */", ch);
		emit_line(e, "for (int c = 0; c < %d; c++)", ch);
		emit_line(e, "\tsum[c] = 0;");
		emit_line(e, "for (int b = 0; b < %ld; b++)", outer);
		emit_line(e, "\tfor (int c = 0; c < %d; c++)", ch);
		emit_line(e, "\t\tsum[c] += x0[b*%d + c];", ch);
		emit_line(e, "for (int c = 0; c < %d; c++)", ch);
		emit_line(e, "\ty[c] = (float)sum[c];");
		return;
	}
	/* per channel, plane by plane in double (the prelude's nn_sum) */
	emit_plane_reduce(e, outer, ch, inner, 1, 0, NULL, ctx_sprintf(e->c,
	                  "pp[0] = nn_sum(x0 + o, %ld);", inner));
}

/* The planes' sums (emit_plane_reduce); for [B,F], the channels' sums. */
static long bias_grad_scratch(Ctx *c, Node *n)
{
	const Node *x = in_node(c, n, 0);
	long outer = x->shape.d[0] == BATCH ? c->recipe.batch : x->shape.d[0];
	long inner = shape_numel(&x->shape, c->recipe.batch) / (outer *
	             x->shape.d[1]);
	return inner == 1 ? 2L * x->shape.d[1]   /* a double a channel */
	                  : plane_reduce_scratch(c, x, 1);
}

const OpDef op_bias_grad = {
	.name = "bias_grad", .nin = 1,
	.shape = bias_grad_shape, .emit = bias_grad_emit,
	.scratch = bias_grad_scratch, .print_attr = print_no_attr,
};
