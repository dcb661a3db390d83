/*
 * pool.c — pooling over the planes of NCHW tensors, with PyTorch's
 * semantics (floor mode):
 *
 *   maxpool{k, stride=k, pad=0}  each output is the largest input of its
 *                                k×k window; the padding is −inf, so it
 *                                never wins
 *   avgpool{k, stride=k, pad=0}  the window's mean with the padding counted
 *                                as zeros (count_include_pad): a sum / k²
 *   global_avgpool(x)            [B,C,H,W] -> [B,C], each plane's mean
 *
 * and their gradients.  maxpool_grad routes each output's gradient to the
 * first maximal input of its window in row-major window order, as PyTorch's
 * CPU kernel does (it replaces the running maximum only by a greater value
 * or a NaN): ties go to the top-left one.  It finds that input again in x
 * instead of keeping indices: x is usually alive anyway (a relu's output,
 * which relu_grad reads).  Each thread owns whole planes, so results do not
 * depend on the thread count.
 */
#include <stddef.h>

#include "../nncc.h"

typedef struct PoolAttr {
	int k, stride, pad;
	int h, w;            /* the input's height and width (for gradients) */
} PoolAttr;

enum { OMP_MIN_WORK = 1 << 15 };  /* fewer elements than this: no threads */

/* A pool's sizes with the batch resolved. */
typedef struct PoolGeo {
	long planes;         /* B·C */
	int H, W, OH, OW;
	int k, S, P;
} PoolGeo;

static int pool_out(int n, const PoolAttr *a)
{
	return (n + 2 * a->pad - a->k) / a->stride + 1;
}

/* x: the input's shape. */
static PoolGeo pool_geo(Ctx *c, const PoolAttr *a, const Shape *x)
{
	PoolGeo g;
	g.planes = (long)(x->d[0] == BATCH ? c->recipe.batch : x->d[0]) * x->d[1];
	g.H = x->d[2];
	g.W = x->d[3];
	g.k = a->k;
	g.S = a->stride;
	g.P = a->pad;
	g.OH = pool_out(g.H, a);
	g.OW = pool_out(g.W, a);
	return g;
}

static const char *check_4d(Ctx *c, const Node *x)
{
	if (x->shape.n != 4 || x->shape.d[0] != BATCH)
		return ctx_sprintf(c, "input must be [B,C,H,W]; got %s",
		                   shape_str(c, &x->shape));
	if (x->dtype != DT_F32)
		return ctx_sprintf(c, "input is int32; pooling takes float tensors");
	return NULL;
}

static const char *pool_shape(Ctx *c, Node *n)
{
	PoolAttr *a = n->attr;
	const Node *x = in_node(c, n, 0);
	const char *err = check_4d(c, x);
	if (err)
		return err;
	const Shape *s = &x->shape;
	if (s->d[2] + 2 * a->pad < a->k || s->d[3] + 2 * a->pad < a->k)
		return ctx_sprintf(c, "window %dx%d is larger than the padded input "
		                      "%dx%d (%dx%d, pad %d): the output would be "
		                      "empty", a->k, a->k, s->d[2] + 2 * a->pad,
		                   s->d[3] + 2 * a->pad, s->d[2], s->d[3], a->pad);
	a->h = s->d[2];
	a->w = s->d[3];
	n->shape = (Shape){4, {BATCH, s->d[1], pool_out(s->d[2], a),
	                       pool_out(s->d[3], a)}};
	n->dtype = DT_F32;
	return NULL;
}

/* The gradient has the input's shape: dy's [B,C] and the attribute's H,W. */
static const char *pool_grad_shape(Ctx *c, Node *n)
{
	const PoolAttr *a = n->attr;
	const Shape *dy = &in_node(c, n, 0)->shape;
	n->shape = (Shape){4, {dy->d[0], dy->d[1], a->h, a->w}};
	n->dtype = DT_F32;
	return NULL;
}

static void maxpool_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	din[0] = ir_make2(c, &op_maxpool_grad, PH_BWD, dout, n->in[0], n->attr,
	                  n->pos);
}

static void avgpool_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	din[0] = ir_make1(c, &op_avgpool_grad, PH_BWD, dout, n->attr, n->pos);
}

/* ---- emitting ---------------------------------------------------------- */

/* A pragma that threads the next loop when it does enough work. */
static void emit_omp(Emit *e, long work)
{
	if (work >= OMP_MIN_WORK)
		emit_line(e, "NN_OMP(\"omp parallel for schedule(static)\")");
}

static void emit_what(Emit *e, const PoolGeo *g, const char *what)
{
	Buf b = {0};
	if (g->S != g->k)
		buf_printf(&b, ", stride %d", g->S);
	if (g->P)
		buf_printf(&b, ", pad %d", g->P);
	emit_line(e, "/* %s %dx%d%s: %dx%d -> %dx%d per plane */", what, g->k,
	          g->k, b.s ? b.s : "", g->H, g->W, g->OH, g->OW);
	buf_free(&b);
}

/* Opens the loops over planes p and outputs (oh,ow), with xp, the plane of
 * the input named x ("x0" or "x1"). */
static void open_planes(Emit *e, const PoolGeo *g, const char *x)
{
	emit_omp(e, g->planes * g->H * g->W);
	emit_line(e, "for (long p = 0; p < %ld; p++) {  /* one (sample, "
	             "channel) plane */", g->planes);
	e->indent++;
	emit_line(e, "const float *xp = %s + p*%ld;  /* [%d,%d] */", x,
	          (long)g->H * g->W, g->H, g->W);
}

/* Opens the loops over the outputs and over the part of each one's window
 * that lies inside x: rows [hs, he), columns [ws, we). */
static void open_window(Emit *e, const PoolGeo *g)
{
	Ctx *c = e->c;
	emit_line(e, "for (int oh = 0; oh < %d; oh++)", g->OH);
	emit_line(e, "\tfor (int ow = 0; ow < %d; ow++) {", g->OW);
	e->indent += 2;
	const char *sh = g->S == 1 ? "oh" : ctx_sprintf(c, "oh*%d", g->S);
	const char *sw = g->S == 1 ? "ow" : ctx_sprintf(c, "ow*%d", g->S);
	if (!g->P) {
		emit_line(e, "const int hs = %s, he = hs + %d;  /* the window's "
		             "rows */", sh, g->k);
		emit_line(e, "const int ws = %s, we = ws + %d;  /* and columns */", sw,
		          g->k);
		return;
	}
	emit_line(e, "const int h0 = %s - %d, w0 = %s - %d;  /* the window's "
	             "corner, in the padding when < 0 */", sh, g->P, sw, g->P);
	emit_line(e, "const int hs = h0 > 0 ? h0 : 0, he = h0 + %d < %d ? h0 + %d "
	             ": %d;  /* clipped to x */", g->k, g->H, g->k, g->H);
	emit_line(e, "const int ws = w0 > 0 ? w0 : 0, we = w0 + %d < %d ? w0 + %d "
	             ": %d;", g->k, g->W, g->k, g->W);
}

static void close_window(Emit *e)
{
	e->indent -= 2;
	emit_line(e, "\t}");
}

static void emit_zero_plane(Emit *e, const PoolGeo *g)
{
	emit_line(e, "float *dxp = y + p*%ld;  /* [%d,%d] */", (long)g->H * g->W,
	          g->H, g->W);
	emit_line(e, "for (long i = 0; i < %ld; i++)", (long)g->H * g->W);
	emit_line(e, "\tdxp[i] = 0;");
}

/* 2×2 windows of stride 2, unpadded: the prelude's branch-free kernels. */
static int pool2(const PoolGeo *g)
{
	return g->k == 2 && g->S == 2 && g->P == 0;
}

static void maxpool_emit(Emit *e, Node *n)
{
	PoolGeo g = pool_geo(e->c, n->attr, &in_node(e->c, n, 0)->shape);
	emit_what(e, &g, "maxpool");
	open_planes(e, &g, "x0");
	if (pool2(&g)) {
		emit_line(e, "nn_maxpool2(xp, %d, %d, %d, y + p*%ld);", g.W, g.OH,
		          g.OW, (long)g.OH * g.OW);
		e->indent--;
		emit_line(e, "}");
		return;
	}
	emit_line(e, "float *yp = y + p*%ld;", (long)g.OH * g.OW);
	open_window(e, &g);
	emit_line(e, "float mx = -INFINITY;");
	emit_line(e, "for (int ih = hs; ih < he; ih++)");
	emit_line(e, "\tfor (int iw = ws; iw < we; iw++) {");
	emit_line(e, "\t\tconst float v = xp[ih*%d + iw];", g.W);
	emit_line(e, "\t\tif (v > mx || isnan(v))  /* NaN propagates */");
	emit_line(e, "\t\t\tmx = v;");
	emit_line(e, "\t}");
	emit_line(e, "yp[oh*%d + ow] = mx;", g.OW);
	close_window(e);
	e->indent--;
	emit_line(e, "}");
}

/* dy (x0) goes to the first maximum of each window of x (x1). */
static void maxpool_grad_emit(Emit *e, Node *n)
{
	PoolGeo g = pool_geo(e->c, n->attr, &in_node(e->c, n, 1)->shape);
	emit_what(e, &g, "the gradient of maxpool");
	open_planes(e, &g, "x1");
	if (pool2(&g)) {
		emit_line(e, "nn_maxpool2_grad(xp, x0 + p*%ld, %d, %d, %d, %d, y + "
		             "p*%ld);", (long)g.OH * g.OW, g.H, g.W, g.OH, g.OW,
		          (long)g.H * g.W);
		e->indent--;
		emit_line(e, "}");
		return;
	}
	emit_line(e, "const float *dyp = x0 + p*%ld;", (long)g.OH * g.OW);
	emit_zero_plane(e, &g);
	open_window(e, &g);
	emit_line(e, "/* the first maximum in window order, as in PyTorch */");
	emit_line(e, "float mx = -INFINITY;");
	emit_line(e, "int at = hs*%d + ws;", g.W);
	emit_line(e, "for (int ih = hs; ih < he; ih++)");
	emit_line(e, "\tfor (int iw = ws; iw < we; iw++) {");
	emit_line(e, "\t\tconst float v = xp[ih*%d + iw];", g.W);
	emit_line(e, "\t\tif (v > mx || isnan(v)) {");
	emit_line(e, "\t\t\tmx = v;");
	emit_line(e, "\t\t\tat = ih*%d + iw;", g.W);
	emit_line(e, "\t\t}");
	emit_line(e, "\t}");
	emit_line(e, "dxp[at] += dyp[oh*%d + ow];", g.OW);
	close_window(e);
	e->indent--;
	emit_line(e, "}");
}

static void avgpool_emit(Emit *e, Node *n)
{
	PoolGeo g = pool_geo(e->c, n->attr, &in_node(e->c, n, 0)->shape);
	emit_what(e, &g, "avgpool");
	open_planes(e, &g, "x0");
	emit_line(e, "float *yp = y + p*%ld;", (long)g.OH * g.OW);
	open_window(e, &g);
	emit_line(e, "float s = 0;");
	emit_line(e, "for (int ih = hs; ih < he; ih++)");
	emit_line(e, "\tfor (int iw = ws; iw < we; iw++)");
	emit_line(e, "\t\ts += xp[ih*%d + iw];", g.W);
	emit_line(e, "yp[oh*%d + ow] = s / %s;  /* padding counts: always k*k */",
	          g.OW, cfloat(e->c, g.k * g.k));
	close_window(e);
	e->indent--;
	emit_line(e, "}");
}

/* dy spreads evenly over each window's inputs. */
static void avgpool_grad_emit(Emit *e, Node *n)
{
	const PoolAttr *a = n->attr;
	const Shape *dy = &in_node(e->c, n, 0)->shape;
	Shape x = {4, {dy->d[0], dy->d[1], a->h, a->w}};
	PoolGeo g = pool_geo(e->c, a, &x);
	emit_what(e, &g, "the gradient of avgpool");
	emit_omp(e, g.planes * g.H * g.W);
	emit_line(e, "for (long p = 0; p < %ld; p++) {  /* one (sample, "
	             "channel) plane */", g.planes);
	e->indent++;
	emit_line(e, "const float *dyp = x0 + p*%ld;", (long)g.OH * g.OW);
	emit_zero_plane(e, &g);
	open_window(e, &g);
	emit_line(e, "const float d = dyp[oh*%d + ow] / %s;", g.OW,
	          cfloat(e->c, g.k * g.k));
	emit_line(e, "for (int ih = hs; ih < he; ih++)");
	emit_line(e, "\tfor (int iw = ws; iw < we; iw++)");
	emit_line(e, "\t\tdxp[ih*%d + iw] += d;", g.W);
	close_window(e);
	e->indent--;
	emit_line(e, "}");
}

/* Window compares or adds per output. */
static double pool_flops(Ctx *c, Node *n)
{
	const PoolAttr *a = n->attr;
	return (double)node_numel(c, n) * a->k * a->k;
}

static double pool_grad_flops(Ctx *c, Node *n)
{
	const PoolAttr *a = n->attr;
	return (double)node_numel(c, in_node(c, n, 0)) * a->k * a->k;
}

static void pool_print(Buf *b, const Node *n)
{
	const PoolAttr *a = n->attr;
	buf_printf(b, "k=%d stride=%d pad=%d", a->k, a->stride, a->pad);
}

int maxpool_2x2(const Node *n)
{
	const PoolAttr *a = n->attr;
	return n->op == &op_maxpool && a->k == 2 && a->stride == 2 && a->pad == 0;
}

const OpDef op_maxpool = {
	.name = "maxpool", .nin = 1,
	.shape = pool_shape, .grad = maxpool_grad_rule, .emit = maxpool_emit,
	.flops = pool_flops,
	.attr_size = sizeof(PoolAttr), .print_attr = pool_print,
};

const OpDef op_maxpool_grad = {
	.name = "maxpool_grad", .nin = 2,
	.shape = pool_grad_shape, .emit = maxpool_grad_emit,
	.flops = pool_grad_flops,
	.attr_size = sizeof(PoolAttr), .print_attr = pool_print,
};

const OpDef op_avgpool = {
	.name = "avgpool", .nin = 1,
	.shape = pool_shape, .grad = avgpool_grad_rule, .emit = avgpool_emit,
	.flops = pool_flops,
	.attr_size = sizeof(PoolAttr), .print_attr = pool_print,
};

const OpDef op_avgpool_grad = {
	.name = "avgpool_grad", .nin = 1,
	.shape = pool_grad_shape, .emit = avgpool_grad_emit,
	.flops = pool_grad_flops,
	.attr_size = sizeof(PoolAttr), .print_attr = pool_print,
};

/* ---- global_avgpool: [B,C,H,W] -> [B,C] ---------------------------------- */

static const char *global_avgpool_shape(Ctx *c, Node *n)
{
	const Node *x = in_node(c, n, 0);
	const char *err = check_4d(c, x);
	if (err)
		return err;
	n->shape = (Shape){2, {BATCH, x->shape.d[1]}};
	n->dtype = DT_F32;
	return NULL;
}

static void global_avgpool_grad_rule(Ctx *c, Node *n, int dout, int *din)
{
	const Shape *x = &in_node(c, n, 0)->shape;
	PoolAttr *a = ctx_alloc(c, sizeof *a);
	*a = (PoolAttr){.k = 1, .stride = 1, .h = x->d[2], .w = x->d[3]};
	din[0] = ir_make1(c, &op_global_avgpool_grad, PH_BWD, dout, a, n->pos);
}

static void global_avgpool_emit(Emit *e, Node *n)
{
	long planes = emit_numel(e, n, -1), hw = emit_numel(e, n, 0) / planes;
	emit_line(e, "/* each plane's mean: [%ld] planes of %ld */", planes, hw);
	emit_omp(e, planes * hw);
	emit_line(e, "for (long p = 0; p < %ld; p++) {", planes);
	emit_line(e, "\tfloat s = 0;");
	emit_line(e, "\tfor (long i = 0; i < %ld; i++)", hw);
	emit_line(e, "\t\ts += x0[p*%ld + i];", hw);
	emit_line(e, "\ty[p] = s / %s;", cfloat(e->c, (double)hw));
	emit_line(e, "}");
}

static void global_avgpool_grad_emit(Emit *e, Node *n)
{
	long planes = emit_numel(e, n, 0), hw = emit_numel(e, n, -1) / planes;
	emit_line(e, "/* dy spreads evenly over its plane: [%ld] planes of %ld */",
	          planes, hw);
	emit_omp(e, planes * hw);
	emit_line(e, "for (long p = 0; p < %ld; p++) {", planes);
	emit_line(e, "\tconst float d = x0[p] / %s;", cfloat(e->c, (double)hw));
	emit_line(e, "\tfor (long i = 0; i < %ld; i++)", hw);
	emit_line(e, "\t\ty[p*%ld + i] = d;", hw);
	emit_line(e, "}");
}

static double global_avgpool_flops(Ctx *c, Node *n)
{
	return (double)node_numel(c, in_node(c, n, 0));
}

static double global_avgpool_grad_flops(Ctx *c, Node *n)
{
	return (double)node_numel(c, n);
}

const OpDef op_global_avgpool = {
	.name = "global_avgpool", .nin = 1, .lua = "global_avgpool",
	.shape = global_avgpool_shape, .grad = global_avgpool_grad_rule,
	.emit = global_avgpool_emit, .flops = global_avgpool_flops,
	.print_attr = print_no_attr,
};

const OpDef op_global_avgpool_grad = {
	.name = "global_avgpool_grad", .nin = 1,
	.shape = pool_grad_shape, .emit = global_avgpool_grad_emit,
	.flops = global_avgpool_grad_flops,
	.attr_size = sizeof(PoolAttr), .print_attr = pool_print,
};

/* ---- the maxpool and avgpool layers: configured, without parameters ---- */

typedef struct PoolLayer {
	int k, stride, pad;
} PoolLayer;

/* stride 0 (not given) means k */
static const AttrKey pool_keys[] = {
	{"k", AK_INT, 1, 1, 0, offsetof(PoolLayer, k), 1, 1024},
	{"stride", AK_INT, 0, 0, 0, offsetof(PoolLayer, stride), 1, 1024},
	{"pad", AK_INT, 0, 0, 0, offsetof(PoolLayer, pad), 0, 1024},
	{0},
};

static const char *pool_configure(Ctx *c, Layer *l)
{
	PoolLayer *a = l->attr;
	if (!a->stride)
		a->stride = a->k;
	if (a->pad > a->k / 2)
		return ctx_sprintf(c, "pad = %d must be at most half the window, "
		                      "k/2 = %d", a->pad, a->k / 2);
	return NULL;
}

static int pool_apply(const OpDef *op, Ctx *c, Layer *l, int x, Pos pos,
                      const char **err)
{
	const PoolLayer *a = l->attr;
	PoolAttr *pa = ctx_alloc(c, sizeof *pa);
	*pa = (PoolAttr){.k = a->k, .stride = a->stride, .pad = a->pad};
	Node *n = ir_add(c, op, &x, 1, pa, pos, err);
	return n ? n->id : -1;
}

static int maxpool_apply(Ctx *c, Layer *l, int x, Pos pos, const char **err)
{
	return pool_apply(&op_maxpool, c, l, x, pos, err);
}

static int avgpool_apply(Ctx *c, Layer *l, int x, Pos pos, const char **err)
{
	return pool_apply(&op_avgpool, c, l, x, pos, err);
}

const LayerDef layer_maxpool = {
	.name = "maxpool", .keys = pool_keys, .attr_size = sizeof(PoolLayer),
	.configure = pool_configure, .apply = maxpool_apply,
};

const LayerDef layer_avgpool = {
	.name = "avgpool", .keys = pool_keys, .attr_size = sizeof(PoolLayer),
	.configure = pool_configure, .apply = avgpool_apply,
};
