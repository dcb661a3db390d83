/*
 * embedding.c — nn.embedding{vocab, dim}: int32 token indices [B,…] look
 * up rows of a weight [vocab, dim] (PyTorch's nn.Embedding layout, drawn
 * from N(0,1) as PyTorch does), giving [B,…,dim].
 *
 * Out-of-range tokens.  PyTorch raises an error; a training step in C has
 * no way to raise, so the generated code never reads outside the weight
 * and makes the mistake loud instead of silent: the row of an index
 * outside [0, vocab) is NaN (so the loss is NaN and the trainer stops at
 * that step; predict() shows NaN in that sample only), one line on stderr
 * names the layer, the token and where it was, and the backward pass
 * skips it.  Clamping (or a zero row) would train on wrong data without a
 * word.
 *
 * The gradient is a scatter-add into [vocab, dim]: zeroed, then each
 * token's row of dy added in token order, one thread, so the sums are
 * the same on every run.  It is "sparse-friendly": after the zeroing only
 * rows of tokens that occur are touched.  A truly sparse update would
 * need the gradient as (row index, row) pairs — at most B·T of them —
 * instead of a dense [vocab, dim] tensor, and optimizers that update only
 * those rows (with lazy momentum and weight decay for the rows skipped,
 * which changes the result: PyTorch's SparseAdam does that).  The dense
 * zeroing costs vocab·dim writes per step, as the optimizer's update does.
 */
#include <stddef.h>

#include "../nncc.h"

typedef struct EmbeddingAttr {
	int vocab, dim;
	const InitSpec *init;        /* NULL: PyTorch's default, N(0, 1) */
} EmbeddingAttr;

/* What is wrong with t as the tokens, or NULL. */
static const char *tokens_error(Ctx *c, const Node *t)
{
	if (t->dtype != DT_I32)
		return ctx_sprintf(c, "input must be int32 token indices "
		                      "(nn.input{…, type = \"int32\"}); got float");
	if (t->shape.n < 1 || t->shape.d[0] != BATCH)
		return ctx_sprintf(c, "input %s has no batch dimension",
		                   shape_str(c, &t->shape));
	if (t->shape.n >= MAXDIM)
		return ctx_sprintf(c, "input %s has too many dimensions for one "
		                      "more", shape_str(c, &t->shape));
	return NULL;
}

/* Inputs: tokens (int32 [B,…]) and the weight [vocab, dim]. */
static const char *embedding_shape(Ctx *c, Node *n)
{
	const Node *t = in_node(c, n, 0), *w = in_node(c, n, 1);
	const char *err = tokens_error(c, t);
	if (err)
		return err;
	if (w->dtype != DT_F32 || w->shape.n != 2)
		return ctx_sprintf(c, "weight %s must be [vocab, dim]",
		                   shape_str(c, &w->shape));
	n->shape = t->shape;
	n->shape.d[n->shape.n++] = w->shape.d[1];
	n->dtype = DT_F32;
	return NULL;
}

static void embedding_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	din[0] = -1;                        /* indices have no gradient */
	din[1] = ir_make2(c, &op_embedding_grad, PH_BWD, dout, n->in[0],
	                  n->attr, n->pos);
}

/* A C string literal of an identifier-like name: anything else is '_'. */
static const char *safe_name(Ctx *c, const char *s)
{
	char *r = ctx_strdup(c, s ? s : "embedding");
	for (char *p = r; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			*p = '_';
	return r;
}

static void embedding_emit(Emit *e, Node *n)
{
	const EmbeddingAttr *a = n->attr;
	long ntok = emit_numel(e, n, 0);
	int per = (int)(ntok / emit_dim(e, n, 0, 0));   /* tokens per sample */
	emit_line(e, "long bad = 0, first = 0;   /* tokens outside [0, %d) */",
	          a->vocab);
	emit_line(e, "for (long i = 0; i < %ld; i++) {", ntok);
	emit_line(e, "\tconst int32_t t = x0[i];");
	emit_line(e, "\tfloat *row = y + i*%d;", a->dim);
	emit_line(e, "\tif (t < 0 || t >= %d) {", a->vocab);
	emit_line(e, "\t\tfirst = bad++ ? first : i;");
	emit_line(e, "\t\tfor (int j = 0; j < %d; j++) row[j] = NAN;", a->dim);
	emit_line(e, "\t\tcontinue;");
	emit_line(e, "\t}");
	emit_line(e, "\tmemcpy(row, x1 + (long)t*%d, sizeof(float) * %d);",
	          a->dim, a->dim);
	emit_line(e, "}");
	emit_line(e, "if (bad)");
	emit_line(e, "\tfprintf(stderr, \"%s (model line %d): %%ld token%%s outside "
	             "the vocabulary [0, %d), the first is %%ld (batch row %%ld, "
	             "position %%ld); %%s NaN\\n\", bad, bad > 1 ? \"s\" : \"\", "
	             "(long)x0[first], first / %d, first %% %d, bad > 1 ? "
	             "\"their embeddings are\" : \"its embedding is\");",
	          safe_name(e->c, n->layer), n->pos.line, a->vocab, per, per);
}

static const char *embedding_grad_shape(Ctx *c, Node *n)
{
	const EmbeddingAttr *a = n->attr;
	(void)c;
	n->shape = (Shape){2, {a->vocab, a->dim}};
	n->dtype = DT_F32;
	return NULL;
}

/* x0 = dy [B,…,dim], x1 = tokens [B,…]; y = dW [vocab, dim]. */
static void embedding_grad_emit(Emit *e, Node *n)
{
	const EmbeddingAttr *a = n->attr;
	emit_line(e, "memset(y, 0, sizeof(float) * %ldL);",
	          (long)a->vocab * a->dim);
	emit_line(e, "for (long i = 0; i < %ld; i++) {  /* in token order */",
	          emit_numel(e, n, 1));
	emit_line(e, "\tconst int32_t t = x1[i];");
	emit_line(e, "\tif (t < 0 || t >= %d)", a->vocab);
	emit_line(e, "\t\tcontinue;   /* NaN forward, said on stderr */");
	emit_line(e, "\tfloat *dw = y + (long)t*%d;", a->dim);
	emit_line(e, "\tconst float *dy = x0 + i*%d;", a->dim);
	emit_line(e, "\tfor (int j = 0; j < %d; j++) dw[j] += dy[j];", a->dim);
	emit_line(e, "}");
}

static double embedding_flops(Ctx *c, Node *n)
{
	return (double)node_numel(c, in_node(c, n, 0));
}

static void embedding_print(Buf *b, const Node *n)
{
	const EmbeddingAttr *a = n->attr;
	buf_printf(b, "vocab=%d dim=%d", a->vocab, a->dim);
}

const OpDef op_embedding = {
	.name = "embedding", .nin = 2,
	.shape = embedding_shape, .grad = embedding_grad_rule,
	.emit = embedding_emit, .attr_size = sizeof(EmbeddingAttr),
	.print_attr = embedding_print,
};

const OpDef op_embedding_grad = {
	.name = "embedding_grad", .nin = 2,
	.shape = embedding_grad_shape, .emit = embedding_grad_emit,
	.flops = embedding_flops, .attr_size = sizeof(EmbeddingAttr),
	.print_attr = embedding_print,
};

/* ---- the layer ---------------------------------------------------------- */

static const AttrKey embedding_keys[] = {
	{"vocab", AK_INT, 1, 1, 0, offsetof(EmbeddingAttr, vocab), 1, 1 << 24},
	{"dim", AK_INT, 2, 1, 0, offsetof(EmbeddingAttr, dim), 1, 1 << 16},
	{"init", AK_INIT, 0, 0, 0, offsetof(EmbeddingAttr, init), 1, 0},
	{0},
};

static const char *embedding_configure(Ctx *c, Layer *l)
{
	const EmbeddingAttr *a = l->attr;
	if ((long)a->vocab * a->dim > 1L << 28)
		return ctx_sprintf(c, "a weight of %d×%d is over %ld floats",
		                   a->vocab, a->dim, 1L << 28);
	return NULL;
}

static int embedding_apply(Ctx *c, Layer *l, int x, Pos pos,
                           const char **err)
{
	const EmbeddingAttr *la = l->attr;
	if ((*err = tokens_error(c, ir_node(c, x))))
		return -1;      /* before the weight is made */
	/* PyTorch's fans of a [vocab, dim] weight: fan_in = dim, fan_out =
	 * vocab; its default (and "torch") is N(0, 1) */
	ParamAttr pa = param_init(la->init, la->dim, la->vocab);
	if (pa.init == INIT_TORCH) {
		pa.init = INIT_NORMAL;
		pa.std = 1;
	}
	int w = layer_param(c, l, 0, "weight", (Shape){2, {la->vocab, la->dim}},
	                    pa, pos);
	EmbeddingAttr *a = ctx_alloc(c, sizeof *a);
	*a = *la;
	int in[2] = {x, w};
	Node *n = ir_add(c, &op_embedding, in, 2, a, pos, err);
	return n ? n->id : -1;
}

const LayerDef layer_embedding = {
	.name = "embedding", .keys = embedding_keys,
	.attr_size = sizeof(EmbeddingAttr),
	.configure = embedding_configure, .apply = embedding_apply,
};
