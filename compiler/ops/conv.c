/*
 * conv.c — 2-D convolution on NCHW tensors: the conv2d layer and its three
 * ops, each its own node (PyTorch's semantics and weight layout):
 *
 *   conv2d     y [B,O,OH,OW] = x [B,C,H,W] ⋆ w [O,C/G,k,k]
 *   conv2d_dx  dx [B,C,H,W]  from dy [B,O,OH,OW] and w   (input gradient)
 *   conv2d_dw  dw [O,C/G,k,k] from x and dy               (weight gradient)
 *
 * and conv2d_dx_add, conv2d_dx adding another gradient of x as it stores
 * dx (fusion dx_add: a residual block's input gradient, the sum of the
 * skip path's and the branch's, in the branch's first conv).
 *
 * with G groups: input channels g·C/G … and output channels g·O/G … of
 * group g see only each other.  The bias is the bias_add op on channel 1.
 *
 * Each op has three kernels, chosen from the shapes (conv_kernel):
 *   GEMM    implicit: per sample and group, y_g = w_g·col, dcol = w_gᵀ·dy_g
 *           scattered back (col2im) and dw_g = Σ_b dy_g·colᵀ, where col
 *           [C/G·k·k, OH·OW] is the input under every output pixel, never
 *           built whole: at stride 1 its rows are the padded input read in
 *           place (the dx of a stride-1 conv is one on dy), otherwise one
 *           panel at a time is gathered into L1 (the prelude's kernels);
 *   1×1     a 1×1, stride-1, unpadded conv: x already is col;
 *   direct  loops over the kernel taps, when a group has few channels in
 *           and out (depthwise convs, small channel multipliers) and a
 *           GEMM's register tiles would be mostly empty.
 * Every output element is written by one thread, summing in a fixed order,
 * so results do not depend on the thread count.
 */
#include <stddef.h>

#include "../nncc.h"

/* Attributes of the three ops. */
typedef struct ConvAttr {
	int k, stride, pad, dilation, groups;
	int h, w;          /* the input's height and width (conv2d_dx's output) */
} ConvAttr;

/* ---- geometry ---------------------------------------------------------- */

/* A conv's sizes with the batch resolved. */
typedef struct Geo {
	int B, C, H, W;    /* input */
	int O, OH, OW;     /* output */
	int k, S, P, D, G; /* kernel, stride, pad, dilation, groups */
	int Cg, Og;        /* input and output channels per group */
	int KK;            /* Cg·k·k: the length of a weight row and of a column */
	long HW, OHW;
	int acc;           /* conv2d_dx_add: dx += x2 as it is stored */
} Geo;

enum {
	DIRECT_MAX_OUT = 2,  /* direct kernels for groups of at most 2 outputs, */
	DIRECT_MAX_IN = 4,   /* at most 4 inputs, */
	DIRECT_MAX_ACC = 1 << 14, /* and Cg·k·k·OW partial sums that fit a stack */
	OMP_MIN_WORK = 1 << 15, /* fewer elements than this: no threads */
};

typedef enum { CK_GEMM, CK_1X1, CK_DIRECT } ConvKernel;

/* The kernel's extent along one axis once dilated. */
static int extent(int k, int d) { return (k - 1) * d + 1; }

static int out_size(int n, int k, int s, int p, int d)
{
	return (n + 2 * p - extent(k, d)) / s + 1;
}

/* x: the input's shape (its batch dimension symbolic), O: output channels. */
static Geo geo(Ctx *c, const ConvAttr *a, const Shape *x, int O)
{
	Geo g;
	g.B = x->d[0] == BATCH ? c->recipe.batch : x->d[0];
	g.C = x->d[1];
	g.H = x->d[2];
	g.W = x->d[3];
	g.O = O;
	g.k = a->k;
	g.S = a->stride;
	g.P = a->pad;
	g.D = a->dilation;
	g.G = a->groups;
	g.OH = out_size(g.H, g.k, g.S, g.P, g.D);
	g.OW = out_size(g.W, g.k, g.S, g.P, g.D);
	g.Cg = g.C / g.G;
	g.Og = g.O / g.G;
	g.KK = g.Cg * g.k * g.k;
	g.HW = (long)g.H * g.W;
	g.OHW = (long)g.OH * g.OW;
	g.acc = 0;
	return g;
}

/* The geometry of any of the three ops from its node. */
static Geo node_geo(Ctx *c, const Node *n)
{
	const Node *a = in_node(c, n, 0), *b = in_node(c, n, 1);
	if (n->op == &op_conv2d)
		return geo(c, n->attr, &a->shape, b->shape.d[0]);
	if (n->op == &op_conv2d_dx || n->op == &op_conv2d_dx_add) {
		Geo g = geo(c, n->attr, &n->shape, b->shape.d[0]);
		g.acc = n->op == &op_conv2d_dx_add;
		return g;
	}
	return geo(c, n->attr, &a->shape, n->shape.d[0]);
}

/* The GEMMs have Og rows (forward, weight gradient): with one or two output
 * channels per group most of a 6-row register tile is wasted, and the loops
 * win.  Measured on one core, batch 64: a depthwise 3x3 conv on 14x14,
 * direct 2-3x faster; groups of 1 -> 2 channels, 5x5 on 28x28, 1.4x; of
 * 1 -> 4, the GEMM is 1.5x faster, of 1 -> 6 2.4x, and 1 -> 32 channels
 * (MNIST's first layer) 3x, even with k·k = 9 as the inner dimension. */
static ConvKernel conv_kernel(const Geo *g)
{
	if (g->k == 1 && g->S == 1 && g->P == 0)
		return CK_1X1;
	if (g->Og <= DIRECT_MAX_OUT && g->Cg <= DIRECT_MAX_IN &&
	    (long)g->KK * g->OW <= DIRECT_MAX_ACC)
		return CK_DIRECT;
	return CK_GEMM;
}

static const char *kernel_name[] = {"implicit GEMM", "1x1: GEMM on x",
                                    "direct"};

/* The checks every conv input must pass; NULL or the message. */
static const char *conv_check(Ctx *c, const ConvAttr *a, const Shape *x)
{
	if (x->n != 4 || x->d[0] != BATCH)
		return ctx_sprintf(c, "input must be [B,C,H,W]; got %s",
		                   shape_str(c, x));
	if (x->d[1] % a->groups)
		return ctx_sprintf(c, "groups = %d does not divide the input's %d "
		                      "channels", a->groups, x->d[1]);
	int ext = extent(a->k, a->dilation);
	if (x->d[2] + 2 * a->pad < ext || x->d[3] + 2 * a->pad < ext) {
		const char *kern = a->dilation > 1
			? ctx_sprintf(c, "kernel %dx%d with dilation %d spans %dx%d",
			              a->k, a->k, a->dilation, ext, ext)
			: ctx_sprintf(c, "kernel %dx%d", a->k, a->k);
		return ctx_sprintf(c, "%s, more than the padded input %dx%d "
		                      "(%dx%d, pad %d): the output would be empty",
		                   kern, x->d[2] + 2 * a->pad, x->d[3] + 2 * a->pad,
		                   x->d[2], x->d[3], a->pad);
	}
	return NULL;
}

/* ---- shape rules --------------------------------------------------------- */

static const char *conv2d_shape(Ctx *c, Node *n)
{
	const ConvAttr *a = n->attr;
	const Shape *x = &in_node(c, n, 0)->shape, *w = &in_node(c, n, 1)->shape;
	const char *err = conv_check(c, a, x);
	if (err)
		return err;
	if (w->n != 4 || w->d[1] * a->groups != x->d[1] || w->d[2] != a->k ||
	    w->d[3] != a->k || w->d[0] % a->groups)
		return ctx_sprintf(c, "weight %s does not fit input %s",
		                   shape_str(c, w), shape_str(c, x));
	n->shape = (Shape){4, {BATCH, w->d[0],
	                       out_size(x->d[2], a->k, a->stride, a->pad,
	                                a->dilation),
	                       out_size(x->d[3], a->k, a->stride, a->pad,
	                                a->dilation)}};
	n->dtype = DT_F32;
	return NULL;
}

static const char *conv2d_dx_shape(Ctx *c, Node *n)
{
	const ConvAttr *a = n->attr;
	const Shape *w = &in_node(c, n, 1)->shape;
	n->shape = (Shape){4, {BATCH, w->d[1] * a->groups, a->h, a->w}};
	n->dtype = DT_F32;
	return NULL;
}

static const char *conv2d_dw_shape(Ctx *c, Node *n)
{
	const ConvAttr *a = n->attr;
	const Shape *x = &in_node(c, n, 0)->shape, *dy = &in_node(c, n, 1)->shape;
	n->shape = (Shape){4, {dy->d[1], x->d[1] / a->groups, a->k, a->k}};
	n->dtype = DT_F32;
	return NULL;
}

static void conv2d_grad(Ctx *c, Node *n, int dout, int *din)
{
	const Shape *x = &in_node(c, n, 0)->shape;
	ConvAttr *a = ctx_alloc(c, sizeof *a);
	*a = *(const ConvAttr *)n->attr;
	a->h = x->d[2];
	a->w = x->d[3];
	din[0] = ir_make2(c, &op_conv2d_dx, PH_BWD, dout, n->in[1], a, n->pos);
	din[1] = ir_make2(c, &op_conv2d_dw, PH_BWD, n->in[0], dout, a, n->pos);
}

/* ---- emitting: small pieces of C text ------------------------------------ */

/* "v*m", or "v" when m is 1. */
static const char *times(Ctx *c, const char *v, int m)
{
	return m == 1 ? v : ctx_sprintf(c, "%s*%d", v, m);
}

/* The input coordinate read by output coordinate o at kernel tap t:
 * "oh*2 + kh*2 - 1" for stride 2, dilation 2, pad 1. */
static const char *in_coord(Ctx *c, const Geo *g, const char *o,
                            const char *t)
{
	const char *s = ctx_sprintf(c, "%s + %s", times(c, o, g->S),
	                            times(c, t, g->D));
	return g->P ? ctx_sprintf(c, "%s - %d", s, g->P) : s;
}

/* Output positions o whose input position o·S + t·D − P lies in [0, n):
 * the interval [lo, hi) (empty when lo == hi). */
static void tap_range(const Geo *g, int t, int n, int out, int *lo, int *hi)
{
	int off = t * g->D - g->P;
	*lo = 0;
	while (*lo < out && *lo * g->S + off < 0)
		(*lo)++;
	*hi = *lo;
	while (*hi < out && *hi * g->S + off < n)
		(*hi)++;
}

/* With padding, some taps of some outputs read outside the input: tables
 * of the outputs that read inside, per tap (oh_lo[kh] ≤ oh < oh_hi[kh]). */
static void emit_tap_tables(Emit *e, const Geo *g)
{
	if (!g->P)
		return;
	const char *axis[2] = {"oh", "ow"};
	for (int ax = 0; ax < 2; ax++) {
		Buf lo = {0}, hi = {0};
		for (int t = 0; t < g->k; t++) {
			int l, h;
			tap_range(g, t, ax ? g->W : g->H, ax ? g->OW : g->OH, &l, &h);
			buf_printf(&lo, "%s%d", t ? ", " : "", l);
			buf_printf(&hi, "%s%d", t ? ", " : "", h);
		}
		emit_line(e, "static const int %s_lo[%d] = {%s}, %s_hi[%d] = {%s};",
		          axis[ax], g->k, lo.s, axis[ax], g->k, hi.s);
		buf_free(&lo);
		buf_free(&hi);
	}
}

/* The loop over output rows (ax 0) or columns (ax 1) whose tap reads
 * inside the input: all of them without padding.  tail: " {" or "". */
static void emit_tap_loop(Emit *e, const Geo *g, int ax, const char *tail)
{
	const char *o = ax ? "ow" : "oh", *t = ax ? "kw" : "kh";
	if (g->P)
		emit_line(e, "for (int %s = %s_lo[%s]; %s < %s_hi[%s]; %s++)%s", o,
		          o, t, o, o, t, o, tail);
	else
		emit_line(e, "for (int %s = 0; %s < %d; %s++)%s", o, o,
		          ax ? g->OW : g->OH, o, tail);
}

/* A pragma that threads the next loop when it does enough work. */
static void emit_omp(Emit *e, long work, const char *clauses)
{
	if (work >= OMP_MIN_WORK)
		emit_line(e, "NN_OMP(\"omp parallel for %sschedule(static)\")",
		          clauses);
}

static void open_block(Emit *e, const char *fmt, int v)
{
	emit_line(e, fmt, v);
	e->indent++;
}

static void close_block(Emit *e)
{
	e->indent--;
	emit_line(e, "}");
}

/* Where sample b's group g starts in the input (t: its C name), the
 * output and the weights; the loops over b and g are open. */
static const char *x_at(Ctx *c, const Geo *g, const char *t)
{
	return g->G > 1 ? ctx_sprintf(c, "%s + ((long)b*%d + g*%d)*%ld", t, g->C,
	                              g->Cg, g->HW)
	                : ctx_sprintf(c, "%s + (long)b*%ld", t, g->C * g->HW);
}

static const char *y_at(Ctx *c, const Geo *g, const char *t)
{
	return g->G > 1 ? ctx_sprintf(c, "%s + ((long)b*%d + g*%d)*%ld", t, g->O,
	                              g->Og, g->OHW)
	                : ctx_sprintf(c, "%s + (long)b*%ld", t, g->O * g->OHW);
}

static const char *w_at(Ctx *c, const Geo *g, const char *t)
{
	return g->G > 1 ? ctx_sprintf(c, "%s + (long)g*%ld", t,
	                              (long)g->Og * g->KK) : t;
}

/* conv2d_dx_add: sample b's group of dx, just stored, plus x2's, while
 * it is in cache; the sum's bits are the unfused add's. */
static void emit_dx_acc(Emit *e, const Geo *g)
{
	if (g->acc)
		emit_line(e, "nn_add_to(%s, %s, %ld);", x_at(e->c, g, "y"),
		          x_at(e->c, g, "x2"), g->Cg * g->HW);
}

/* The first input channel of output channel o's group, or NULL with one
 * group. */
static const char *group_channel(Ctx *c, const Geo *g)
{
	if (g->G == 1)
		return NULL;
	if (g->Og == 1)
		return times(c, "o", g->Cg);
	return ctx_sprintf(c, "(o/%d)*%d", g->Og, g->Cg);
}

/* n tabs, for lines that open nested loops at once */
static const char *tabs(int n)
{
	static const char t[] = "\t\t\t\t\t\t\t\t";
	return t + sizeof t - 1 - n;
}

/* Opens the loops over the kernel taps, (c,) kh, kw — c only when with_c
 * and a group has several input channels; returns the levels opened. */
static int open_taps(Emit *e, const Geo *g, int with_c)
{
	int lv = 0;
	if (with_c && g->Cg > 1)
		emit_line(e, "for (int c = 0; c < %d; c++)", g->Cg), lv++;
	emit_line(e, "%sfor (int kh = 0; kh < %d; kh++)", tabs(lv++), g->k);
	emit_line(e, "%sfor (int kw = 0; kw < %d; kw++) {", tabs(lv++), g->k);
	e->indent += lv;
	return lv;
}

static void close_taps(Emit *e, int lv)
{
	e->indent -= lv;
	emit_line(e, "%s}", tabs(lv - 1));
}

/* The index of tap (c,kh,kw) in a weight row [Cg,k,k]. */
static const char *tap_index(Ctx *c, const Geo *g, int with_c)
{
	const char *khw = ctx_sprintf(c, "%s + kw", times(c, "kh", g->k));
	return with_c && g->Cg > 1
		? ctx_sprintf(c, "(c*%d + kh)*%d + kw", g->k, g->k) : khw;
}

/* Input plane c of xg (a [Cg,H,W] group): "xg + (long)c*36" or "xg". */
static const char *plane(Ctx *c, const Geo *g, const char *t)
{
	return g->Cg > 1 ? ctx_sprintf(c, "%s + (long)c*%ld", t, g->HW) : t;
}

static long round16(long n) { return (n + 15) / 16 * 16; }

/* The widest panel of any ISA (NN_NR_MAX): scratch fits every path. */
enum { PANEL = 32 };

/* The weight gradient's pixel block: the K of one panel product, at most
 * the prelude's NN_KC and as equal as they come, so it is one K block. */
static int dw_block(const Geo *g)
{
	long n = (g->OHW + 127) / 128;
	return (int)((g->OHW + n - 1) / n);
}

/* ---- the GEMM kernels' batch chunks ---------------------------------------
 * A per-sample GEMM of a small image is too small to share among threads,
 * so the GEMM kernels split the batch into chunks of samples that run in
 * parallel, each with a slot of scratch of its own: col (im2col), dwb (one
 * sample's weight gradient), pack (nn_gemm's panels), part (the chunk's
 * weight gradient).  The number of chunks is fixed here, not by the thread
 * count, and the weight gradient adds the chunks' sums in chunk order: the
 * results do not depend on the thread count. */

enum {
	MAX_CHUNKS = 8,
	MAX_CHUNK_SCRATCH = 1 << 22, /* floats of all slots, unless one is more */
};

typedef enum { ROLE_FWD, ROLE_DX, ROLE_DW } Role;

/* ---- depthwise: one input and one output channel a group ---------------
 * A plane at a time on the thread's stack, as a stride-1 conv over a wide
 * grid (see the prelude's nn_dw_wide): the forward on x in a zero frame,
 * its outputs picked from the grid at the stride; the input gradient on
 * dy spread out by the stride in a frame of k−1−P (wider at the bottom
 * and right by the rows and columns no window reaches), the weights
 * flipped; the weight gradient on x framed and dy spread on the grid.
 * Measured on mnist_resnet (batch 64, one core, depthwise 3x3 convs in
 * every block): 110 ms a step with the general direct kernel, 63 ms with
 * these. */
enum { DW_PLANE_MAX = 1 << 14, DW_K_MAX = 7 };

/* The wide grid of a depthwise conv: the framed input's rows and width,
 * and the grid rows the stride-1 conv covers. */
typedef struct DwGrid {
	int Hp, Wp, rows;
	long tail;           /* zeros past the frame: the taps' reach, a vector */
} DwGrid;

static DwGrid dw_grid(const Geo *g, Role role)
{
	DwGrid d;
	int ext = extent(g->k, g->D);
	if (role == ROLE_DX) {   /* dx [H,W] from dy spread and framed */
		d.Hp = g->H + ext - 1;
		d.Wp = g->W + ext - 1;
		d.rows = g->H;
	} else {
		d.Hp = g->H + 2 * g->P;
		d.Wp = g->W + 2 * g->P;
		d.rows = (g->OH - 1) * g->S + 1;
	}
	d.tail = (long)(ext - 1) * d.Wp + ext + 32;
	return d;
}

/* The floats of a grid: its rows, and a vector's worth of zeros. */
static long dw_grid_floats(const DwGrid *d)
{
	return (long)d->rows * d->Wp + 32;
}

/* With Og > 1 outputs a plane and a kernel of at least 4x4, the forward
 * and the weight gradient share each load of the input plane between
 * outputs: the forward as GEMM tiles (conv2d_emit_dw), the weight
 * gradient NN_DW_ROWS dy planes at a time (nn_dw_wide_grad_rows), the
 * planes on the stack while they fit in a plane's bound.  Measured on one
 * core, batch 64, ms a step, a plane at a time against shared: LeNet's
 * first conv (1 -> 6 channels, 5x5 on 28x28), forward 0.30 -> 0.27,
 * weight gradient 0.57 -> 0.46; mnist_cnn_bn's (1 -> 32, 3x3), where 9
 * taps are too few for a tile's stores and fill 3 of nn_dot_tile's 5
 * columns, 0.80 -> 1.13 and 1.43 -> 1.60, so 3x3 keeps a plane at a
 * time. */
enum { DW_ROWS = 4, DW_TILE = 8 };   /* ≤ NN_DW_ROWS; the forward's rows */
static int dw_shared(const Geo *g, const DwGrid *d, int planes)
{
	return g->Og > 1 && g->k >= 4 &&
	       planes * dw_grid_floats(d) <= DW_PLANE_MAX;
}

/* Each output channel reads one input plane (Cg = 1): depthwise, or a
 * first layer on one channel.  The forward and the weight gradient run a
 * plane at a time for any Og, the input plane framed once for the group's
 * Og outputs; the input gradient only for Og = 1 (with more it would sum
 * Og planes).  Measured on one core, batch 64, MNIST's first layers
 * (forward + weight gradient, ms a step), the implicit GEMMs against
 * these: 1 -> 6 channels 5x5 (LeNet) 0.95 + 1.70 against 0.43 + 0.81;
 * 1 -> 32 channels 3x3 (mnist_cnn_bn) 2.13 + 2.47 against 1.13 + 2.17. */
static int depthwise(const Geo *g, Role role)
{
	if (g->Cg != 1 || g->k > DW_K_MAX ||
	    (role == ROLE_DX && (g->Og != 1 || conv_kernel(g) != CK_DIRECT ||
	                         (g->k - 1) * g->D < g->P)))
		return 0;
	DwGrid d = dw_grid(g, role);
	return (long)d.Hp * d.Wp + d.tail <= DW_PLANE_MAX;
}

/* Opens the threaded loop over (sample, channel) planes with the framed
 * plane on the stack as xp. */
static void dw_open(Emit *e, const Geo *g, const DwGrid *d, long work,
                    int scratch, int grids)
{
	if (!scratch)
		emit_line(e, "(void)scratch;");
	emit_omp(e, work, "collapse(2) ");
	emit_line(e, "for (int b = 0; b < %d; b++)", g->B);
	emit_line(e, "\tfor (int c = 0; c < %d; c++) {", g->C);
	e->indent += 2;
	emit_line(e, "float xp[%ld], yw[%ld];  /* the framed plane, the grid%s */",
	          (long)d->Hp * d->Wp + d->tail,
	          grids * (long)dw_grid_floats(d), grids > 1 ? "s" : "");
}

static void dw_close(Emit *e)
{
	e->indent -= 2;
	emit_line(e, "\t}");
}

/* Opens the loop over plane c's Og output channels, oc (just c for one). */
static void dw_open_outputs(Emit *e, const Geo *g)
{
	if (g->Og == 1) {
		emit_line(e, "const int oc = c;");
		return;
	}
	open_block(e, "for (int o = 0; o < %d; o++) {", g->Og);
	emit_line(e, "const int oc = c*%d + o;", g->Og);
}

static void dw_close_outputs(Emit *e, const Geo *g)
{
	if (g->Og > 1)
		close_block(e);
}

/* y's plane oc = the grid at `from`, its outputs picked at the stride */
static void emit_dw_pick(Emit *e, const Geo *g, const DwGrid *d,
                         const char *from)
{
	emit_line(e, "float *yc = y + ((long)b*%d + oc)*%ld;", g->O, g->OHW);
	emit_line(e, "for (int oh = 0; oh < %d; oh++)", g->OH);
	emit_line(e, "\tfor (int ow = 0; ow < %d; ow++)", g->OW);
	emit_line(e, "\t\tyc[oh*%d + ow] = %s[%s*%d + %s];", g->OW, from,
	          times(e->c, "oh", g->S), d->Wp, times(e->c, "ow", g->S));
}

/* Shared (dw_shared), DW_TILE outputs at a time are one GEMM tile, w
 * [og,k·k] times the plane's k·k shifted views (B's rows read in place, as
 * the implicit GEMMs do); the taps sum in nn_dw_wide's order. */
static void conv2d_emit_dw(Emit *e, const Geo *g)
{
	DwGrid d = dw_grid(g, ROLE_FWD);
	long gf = dw_grid_floats(&d), n = (long)d.rows * d.Wp;
	int tile = dw_shared(g, &d, DW_TILE);
	if (tile) {
		emit_line(e, "int off[%d];  /* tap (kh,kw) in the framed plane */",
		          g->KK);
		emit_line(e, "for (int t = 0; t < %d; t++)", g->KK);
		emit_line(e, "\toff[t] = t/%d*%d + %s;", g->k, g->D * d.Wp,
		          times(e->c, ctx_sprintf(e->c, "t%%%d", g->k), g->D));
	}
	dw_open(e, g, &d, (long)g->B * g->O * g->OHW * g->KK, 0,
	        tile ? (g->Og < DW_TILE ? g->Og : DW_TILE) : 1);
	emit_line(e, "nn_spread_plane(x0 + ((long)b*%d + c)*%ld, %d, %d, 1, %d, "
	             "%d, %d, %d, %ld, xp);", g->C, g->HW, g->H, g->W, g->P, g->P,
	          d.Hp, d.Wp, d.tail);
	if (tile) {
		emit_line(e, "for (int o0 = 0; o0 < %d; o0 += %d) {", g->Og, DW_TILE);
		e->indent++;
		emit_line(e, "const int og = %d - o0 < %d ? %d - o0 : %d;", g->Og,
		          DW_TILE, g->Og, DW_TILE);
		emit_line(e, "for (int p0 = 0; p0 < %ld; p0 += NN_NR)", n);
		emit_line(e, "\tnn_panel_rows(og, %d, x1 + (long)(c*%d + o0)*%d, %d, "
		             "NULL, 1, xp + p0, off, yw + p0, %ld,", g->KK, g->Og,
		          g->KK, g->KK, gf);
		emit_line(e, "\t              %ld - p0 < NN_NR ? %ld - p0 : NN_NR, 0, "
		             "(og + NN_MR - 1)/NN_MR, 0);", n, n);
		open_block(e, "for (int j = 0; j < og; j++) {", 0);
		emit_line(e, "const int oc = c*%d + o0 + j;", g->Og);
		emit_dw_pick(e, g, &d, ctx_sprintf(e->c, "(yw + j*%ld)", gf));
		close_block(e);
		close_block(e);
	} else {
		dw_open_outputs(e, g);
		emit_line(e, "nn_dw_wide(xp, %ld, %d, x1 + (long)oc*%d, %d, %d, 0, "
		             "yw);", n, d.Wp, g->KK, g->k, g->D);
		emit_dw_pick(e, g, &d, "yw");
		dw_close_outputs(e, g);
	}
	dw_close(e);
}

static void conv2d_dx_emit_dw(Emit *e, const Geo *g)
{
	DwGrid d = dw_grid(g, ROLE_DX);
	int p = (g->k - 1) * g->D - g->P;
	dw_open(e, g, &d, (long)g->B * g->C * g->HW * g->KK, 0, 1);
	emit_line(e, "nn_spread_plane(x0 + ((long)b*%d + c)*%ld, %d, %d, %d, %d, "
	             "%d, %d, %d, %ld, xp);", g->C, g->OHW, g->OH, g->OW, g->S, p,
	          p, d.Hp, d.Wp, d.tail);
	emit_line(e, "nn_dw_wide(xp, %ld, %d, x1 + (long)c*%d, %d, %d, 1, yw);",
	          (long)d.rows * d.Wp, d.Wp, g->KK, g->k, g->D);
	emit_line(e, "float *dxc = y + ((long)b*%d + c)*%ld;", g->C, g->HW);
	if (g->acc)
		emit_line(e, "const float *ac = x2 + ((long)b*%d + c)*%ld;", g->C,
		          g->HW);
	emit_line(e, "for (int h = 0; h < %d; h++)", g->H);
	emit_line(e, "\tfor (int w = 0; w < %d; w++)", g->W);
	emit_line(e, "\t\tdxc[h*%d + w] = yw[h*%d + w]%s;", g->W, d.Wp,
	          g->acc ? ctx_sprintf(e->c, " + ac[h*%d + w]", g->W) : "");
	dw_close(e);
}

/* dw = each channel's samples' tap sums, added in sample order */
static void emit_dw_sum(Emit *e, const Geo *g)
{
	emit_line(e, "for (int oc = 0; oc < %d; oc++)", g->O);
	emit_line(e, "\tfor (int t = 0; t < %d; t++) {", g->KK);
	emit_line(e, "\t\tdouble s = 0;");
	emit_line(e, "\t\tfor (int b = 0; b < %d; b++)", g->B);
	emit_line(e, "\t\t\ts += ((const double *)scratch)[((long)b*%d + oc)*%d + "
	             "t];", g->O, g->KK);
	emit_line(e, "\t\ty[(long)oc*%d + t] = (float)s;", g->KK);
	emit_line(e, "\t}");
}

/* Planes in memory order (threads own samples), each plane's tap sums
 * into its own doubles of the scratch, [B,C,k·k]; then each channel's
 * samples add up in order. */
static void conv2d_dw_emit_dw(Emit *e, const Geo *g)
{
	DwGrid d = dw_grid(g, ROLE_DW);
	int rows = dw_shared(g, &d, DW_ROWS);
	dw_open(e, g, &d, (long)g->B * g->O * g->OHW * g->KK, 1,
	        rows ? (g->Og < DW_ROWS ? g->Og : DW_ROWS) : 1);
	emit_line(e, "float *dyw = yw;  /* dy on the grid%s */", rows ? "s" : "");
	emit_line(e, "nn_spread_plane(x0 + ((long)b*%d + c)*%ld, %d, %d, 1, %d, "
	             "%d, %d, %d, %ld, xp);", g->C, g->HW, g->H, g->W, g->P, g->P,
	          d.Hp, d.Wp, d.tail);
	if (rows) {
		long gf = dw_grid_floats(&d);
		emit_line(e, "for (int o0 = 0; o0 < %d; o0 += %d) {", g->Og, DW_ROWS);
		e->indent++;
		emit_line(e, "const int og = %d - o0 < %d ? %d - o0 : %d;", g->Og,
		          DW_ROWS, g->Og, DW_ROWS);
		emit_line(e, "const int oc = c*%d + o0;", g->Og);
		emit_line(e, "double *acc = (double *)scratch + ((long)b*%d + oc)*%d;",
		          g->O, g->KK);
		emit_line(e, "for (int t = 0; t < og*%d; t++)", g->KK);
		emit_line(e, "\tacc[t] = 0;");
		emit_line(e, "for (int j = 0; j < og; j++)");
		emit_line(e, "\tnn_spread_plane(x1 + ((long)b*%d + oc + j)*%ld, %d, %d, "
		             "%d, 0, 0, %d, %d, 32, dyw + j*%ld);", g->O, g->OHW, g->OH,
		          g->OW, g->S, d.rows, d.Wp, gf);
		emit_line(e, "nn_dw_wide_grad_rows(xp, dyw, %ld, og, %ld, %d, %d, %d, "
		             "acc);", gf, (long)d.rows * d.Wp, d.Wp, g->k, g->D);
		close_block(e);
		dw_close(e);
		emit_dw_sum(e, g);
		return;
	}
	dw_open_outputs(e, g);
	emit_line(e, "double *acc = (double *)scratch + ((long)b*%d + oc)*%d;",
	          g->O, g->KK);
	emit_line(e, "for (int t = 0; t < %d; t++)", g->KK);
	emit_line(e, "\tacc[t] = 0;");
	emit_line(e, "nn_spread_plane(x1 + ((long)b*%d + oc)*%ld, %d, %d, %d, 0, "
	             "0, %d, %d, 32, dyw);", g->O, g->OHW, g->OH, g->OW, g->S,
	          d.rows, d.Wp);
	emit_line(e, "nn_dw_wide_grad(xp, dyw, %ld, %d, %d, %d, acc);",
	          (long)d.rows * d.Wp, d.Wp, g->k, g->D);
	dw_close_outputs(e, g);
	dw_close(e);
	emit_dw_sum(e, g);
}


typedef struct Slots {
	int chunks;
	long col, dwb, pack, part; /* offsets in a slot; col, dwb, part: -1 if none */
	long size;                 /* of a slot */
} Slots;

static Slots gemm_slots(const Geo *g, Role role)
{
	int im2col = conv_kernel(g) == CK_GEMM;
	Slots s = {.col = -1, .dwb = -1, .part = -1};
	long at = 0;
	if (im2col && role == ROLE_DX) {
		s.col = at;
		at += round16((long)g->KK * PANEL);
	}
	if (!im2col && role == ROLE_DW) {
		s.dwb = at;
		at += round16((long)g->Og * g->KK);
	}
	s.pack = at;
	if (im2col)
		at += round16(role == ROLE_FWD ? (long)g->KK * PANEL
		              : role == ROLE_DX ? (long)g->Og * PANEL
		              : gemm_scratch(g->KK, dw_block(g)));
	else
		at += round16(role == ROLE_FWD ? gemm_scratch(g->OHW, g->Cg)
		              : role == ROLE_DX ? gemm_scratch(g->OHW, g->Og)
		              : gemm_scratch(g->Cg, g->OHW));
	s.chunks = g->B < MAX_CHUNKS ? g->B : MAX_CHUNKS;
	if (role == ROLE_DW && s.chunks > 1) {
		s.part = at;
		at += round16((long)g->O * g->KK);
	}
	while (s.chunks > 1 && s.chunks * at > MAX_CHUNK_SCRATCH)
		s.chunks--;
	if (s.chunks == 1 && s.part >= 0) {     /* one chunk sums into y */
		at = s.part;
		s.part = -1;
	}
	s.size = at;
	return s;
}

/* The NnConv of one group, for the prelude's implicit-GEMM kernels. */
static void emit_nnconv(Emit *e, const Geo *g)
{
	emit_line(e, "static const NnConv cv = {%d, %d, %d, %d, %d, %d, %d, %d, "
	             "%d};  /* C,H,W, k,S,P,D, OH,OW */", g->Cg, g->H, g->W, g->k,
	          g->S, g->P, g->D, g->OH, g->OW);
}

/* Declares a scratch buffer of the current chunk's slot. */
static void emit_slot(Emit *e, const Slots *s, const char *decl, long off,
                      const char *comment)
{
	Ctx *c = e->c;
	const char *at = s->chunks > 1 ? ctx_sprintf(c, "scratch + (long)t*%ld",
	                                             s->size) : "scratch";
	emit_line(e, "%s = %s%s;  /* %s */", decl, at,
	          off ? ctx_sprintf(c, " + %ld", off) : "", comment);
}

/* Opens the loop over the chunks (none with one chunk); the caller
 * declares the slot's buffers, then opens the samples with open_samples. */
static void open_chunks(Emit *e, const Slots *s)
{
	if (s->chunks == 1)
		return;
	emit_line(e, "/* the batch in %d chunks of samples, in parallel, each "
	             "with its own scratch */", s->chunks);
	emit_line(e, "NN_OMP(\"omp parallel for schedule(static)\")");
	open_block(e, "for (int t = 0; t < %d; t++) {", s->chunks);
}

/* Opens the loops over the chunk's samples and the groups. */
static void open_samples(Emit *e, const Geo *g, const Slots *s)
{
	int n = s->chunks;
	if (n == 1)
		open_block(e, "for (int b = 0; b < %d; b++) {", g->B);
	else if (g->B % n == 0)
		emit_line(e, "for (int b = %s; b < %s + %d; b++) {",
		          times(e->c, "t", g->B / n), times(e->c, "t", g->B / n),
		          g->B / n), e->indent++;
	else
		emit_line(e, "for (int b = t*%d/%d; b < (t + 1)*%d/%d; b++) {", g->B,
		          n, g->B, n), e->indent++;
	emit_pre_sample(e);
	if (g->G > 1)
		open_block(e, "for (int g = 0; g < %d; g++) {", g->G);
}

static void close_samples(Emit *e, const Geo *g)
{
	if (g->G > 1)
		close_block(e);
	close_block(e);
}

static void close_chunks(Emit *e, const Slots *s)
{
	if (s->chunks > 1)
		close_block(e);
}

static void emit_header(Emit *e, const Geo *g, Role role, const char *what)
{
	Buf b = {0};
	if (g->S > 1)
		buf_printf(&b, ", stride %d", g->S);
	if (g->P)
		buf_printf(&b, ", pad %d", g->P);
	if (g->D > 1)
		buf_printf(&b, ", dilation %d", g->D);
	if (g->G > 1)
		buf_printf(&b, ", %d groups", g->G);
	emit_line(e, "/* %s: a %dx%d conv%s, %d -> %d channels, %dx%d -> %dx%d; "
	             "%s */", what, g->k, g->k, b.s ? b.s : "", g->C, g->O, g->H,
	          g->W, g->OH, g->OW, depthwise(g, role) ? "planes"
	          : kernel_name[conv_kernel(g)]);
	buf_free(&b);
}

/* ---- conv2d: the forward convolution ---------------------------------- */

/* direct: each output plane is a sum of Cg·k·k shifted, scaled copies of
 * its group's input planes; each thread owns output planes. */
static void conv2d_emit_direct(Emit *e, const Geo *g)
{
	Ctx *c = e->c;
	const char *gc = group_channel(c, g);
	emit_line(e, "(void)scratch;");
	emit_tap_tables(e, g);
	emit_omp(e, (long)g->B * g->O * g->OHW, "collapse(2) ");
	emit_line(e, "for (int b = 0; b < %d; b++)", g->B);
	emit_line(e, "\tfor (int o = 0; o < %d; o++) {", g->O);
	e->indent += 2;
	if (gc)
		emit_line(e, "const float *xg = x0 + ((long)b*%d + %s)*%ld;  "
		             "/* [%d,%d,%d]: o's group */", g->C, gc, g->HW, g->Cg,
		          g->H, g->W);
	else
		emit_line(e, "const float *xg = x0 + (long)b*%ld;  /* [%d,%d,%d] */",
		          g->C * g->HW, g->C, g->H, g->W);
	emit_line(e, "const float *wo = x1 + (long)o*%d;  /* [%d,%d,%d] */", g->KK,
	          g->Cg, g->k, g->k);
	emit_line(e, "float *yo = y + ((long)b*%d + o)*%ld;  /* [%d,%d] */", g->O,
	          g->OHW, g->OH, g->OW);
	emit_line(e, "for (long i = 0; i < %ld; i++)", g->OHW);
	emit_line(e, "\tyo[i] = 0;");
	int lv = open_taps(e, g, 1);
	emit_line(e, "const float wk = wo[%s];", tap_index(c, g, 1));
	emit_tap_loop(e, g, 0, " {");
	e->indent++;
	emit_line(e, "const float *xr = %s + (long)(%s)*%d;", plane(c, g, "xg"),
	          in_coord(c, g, "oh", "kh"), g->W);
	emit_line(e, "float *yr = yo + oh*%d;", g->OW);
	emit_tap_loop(e, g, 1, "");
	emit_line(e, "\tyr[ow] += wk * xr[%s];", in_coord(c, g, "ow", "kw"));
	close_block(e);
	close_taps(e, lv);
	e->indent -= 2;
	emit_line(e, "\t}");
}

/* The row tiles of an M-row product: "(M + NN_MR - 1)/NN_MR". */
static const char *row_tiles(Ctx *c, int M)
{
	return ctx_sprintf(c, "(%d + NN_MR - 1)/NN_MR", M);
}

/* ---- implicit GEMM on the padded input (in phases with a stride) --------
 * y_g = w_g·B where row (c,kh,kw) of B is the padded input shifted (see
 * nn_shift_offsets in the prelude): no im2col.  The input gradient of a
 * stride-1 conv is the same kernel on dy, with the weights flipped and
 * transposed.  Per chunk: xpad (the padded input of one sample's group)
 * and yw (its wide output); the flipped weights are shared, after the
 * chunks' slots. */

/* With a stride, the forward and the weight gradient read the input's
 * phases (see NN_QH in the prelude); the input gradient of a strided conv
 * is S·S stride-1 products, one per phase of dx (nn_phase_weights), on dy
 * padded by ⌈k/S⌉ − 1, when the phases' wide grids fit in it (phase_rows).
 * Measured on cifar_resnet8
 * (one core, batch 64), forward + weight gradient, ms a step, im2col
 * against phases: 16 -> 32 channels 3x3 stride 2 on 32x32, 5.07 + 5.88
 * against 2.70 + 2.79; 32 -> 64 on 16x16, 3.36 + 3.52 against 2.60 +
 * 2.67; the 1x1 stride-2 shortcut 16 -> 32, 2.38 + 1.98 against 0.96 +
 * 0.74.  The step: 97.7 to 84 ms. */
static int phase_rows(const Geo *g);

static int shifted(const Geo *g, Role role)
{
	return conv_kernel(g) == CK_GEMM &&
	       (g->S == 1 || (g->D == 1 && g->S <= 4 &&
	                      (role != ROLE_DX || phase_rows(g) > 0)));
}

/* The grid indices lo … hi of phase a of n pixels (nn_phase_range). */
static void phase_range(int n, int S, int a, int P, int *lo, int *hi)
{
	int d = P - a;
	*lo = d > 0 ? (d + S - 1) / S : 0;
	*hi = n - 1 + d >= 0 ? (n - 1 + d) / S : -1;
}

/* The strided input gradient's phases: the rows of their wide grid, the
 * most any phase has (the prelude's nn_phase_range), or 0 when that grid
 * would read past dy's padding of p0 = (k − 1)/S: the rows i − u and
 * columns j − v must stay under OH + p0 and OW + p0. */
static int phase_rows(const Geo *g)
{
	int p0 = (g->k - 1) / g->S, rows = 0, cols = 0;
	if (g->k < g->S)   /* phases no tap reaches: im2col measured faster */
		return 0;
	for (int a = 0; a < g->S; a++) {
		int lo, r, q;
		phase_range(g->H, g->S, a, g->P, &lo, &r);
		phase_range(g->W, g->S, a, g->P, &lo, &q);
		rows = r + 1 > rows ? r + 1 : rows;
		cols = q + 1 > cols ? q + 1 : cols;
	}
	return rows <= g->OH + p0 && cols <= g->OW + p0 ? rows : 0;
}

/* The weight gradient's product has Og columns: with fewer than 16 most
 * of a panel is empty, and packing the transposed windows (N = KK) wins.
 * Measured on LeNet's first conv (1 -> 6 channels, 5x5 on 28x28): 5.7
 * GFLOP/s shifted. */
static int shifted_dw(const Geo *g)
{
	return shifted(g, ROLE_DW) && g->Og >= 16;
}

/* The convolution that runs: for the forward, the conv itself; for the
 * input gradient, the one that maps dy to dx. */
typedef struct Shift {
	int Cin, H, W, P, M, OH, OW; /* input channels and size, pad; output */
	int S, Hq, Wq;                /* stride; a phase's rows, the wide
	                                 grid's width (with S = 1 the padded
	                                 input's) */
	long K, xpad, yw;             /* M×K weights; the slots' floats */
} Shift;

static Shift shift_geo(const Geo *g, Role role)
{
	Shift t;
	if (role == ROLE_DX && g->S > 1)   /* the phases: dy padded by p0 */
		t = (Shift){g->Og, g->OH, g->OW, (g->k - 1) / g->S, g->Cg,
		            phase_rows(g), 0, 1, 0, 0, 0, 0, 0};
	else if (role == ROLE_DX)
		t = (Shift){g->Og, g->OH, g->OW, (g->k - 1) * g->D - g->P, g->Cg,
		            g->H, g->W, 1, 0, 0, 0, 0, 0};
	else
		t = (Shift){g->Cg, g->H, g->W, g->P, g->Og, g->OH, g->OW, g->S, 0,
		            0, 0, 0, 0};
	/* as NN_QH, NN_QW and NN_PADDED in the prelude */
	t.Hq = (t.H + 2 * t.P + t.S - 1) / t.S;
	t.Wq = (t.W + 2 * t.P + t.S - 1) / t.S;
	t.K = (long)t.Cin * g->k * g->k;
	t.xpad = round16((long)t.Cin * t.S * t.S * t.Hq * t.Wq +
	                 (g->k - 1) * g->D / t.S + PANEL);
	t.yw = round16((long)t.M * t.OH * t.Wq);
	return t;
}

/* Chunks of the batch for slots of `size` floats: as many as MAX_CHUNKS
 * allows within MAX_CHUNK_SCRATCH. */
static int chunks_of(const Geo *g, long size)
{
	int n = g->B < MAX_CHUNKS ? g->B : MAX_CHUNKS;
	while (n > 1 && n * size > MAX_CHUNK_SCRATCH)
		n--;
	return n;
}

static Slots shift_slots(const Geo *g, Role role)
{
	Shift t = shift_geo(g, role);
	Slots s = {.col = -1, .dwb = -1, .part = -1, .pack = 0};
	s.size = t.xpad + t.yw;
	s.chunks = chunks_of(g, s.size);
	return s;
}

/* Scratch of the shifted kernels: the chunks' slots, then, for the input
 * gradient, the flipped weights of all groups. */
static long shift_scratch(const Geo *g, Role role)
{
	Slots s = shift_slots(g, role);
	return s.chunks * s.size +
	       (role == ROLE_DX ? round16((long)g->O * g->KK) : 0);
}

/* The weight gradient, stride 1: per chunk, the padded input, dy of one
 * sample on the wide grid packed transposed, and the chunk's dwᵀ [G][KK,Og]
 * that both accumulate into; dw is the chunks' sums, transposed. */
typedef struct ShiftDw {
	long xpad, dyt, part, size;  /* offsets in a chunk's slot; its floats */
	long wide;                   /* pixels of the wide grid */
	int chunks;
} ShiftDw;

static ShiftDw shift_dw_slots(const Geo *g)
{
	Shift t = shift_geo(g, ROLE_FWD);
	ShiftDw d;
	d.wide = (long)g->OH * t.Wq;
	d.xpad = 0;
	d.dyt = t.xpad;
	d.part = d.dyt + round16(d.wide * ((g->Og + PANEL - 1) / PANEL * PANEL));
	d.size = d.part + round16((long)g->O * g->KK);
	d.chunks = chunks_of(g, d.size);
	return d;
}

static void emit_shift_dw(Emit *e, const Geo *g)
{
	Ctx *c = e->c;
	ShiftDw d = shift_dw_slots(g);
	Slots s = {.chunks = d.chunks, .size = d.size};
	long wide = d.wide, wsize = (long)g->O * g->KK;
	emit_line(e, "/* stride %d: dwᵀ [%d,%d] = the padded input's shifted rows "
	             "%s· dyᵀ on the wide grid */", g->S, g->KK, g->Og,
	          g->S > 1 ? "(in its phases) " : "");
	emit_nnconv(e, g);
	emit_line(e, "int off[%d];  /* row (c,kh,kw) of A in the padded input */",
	          g->KK);
	emit_line(e, "nn_shift_offsets(&cv, off);");
	open_chunks(e, &s);
	emit_slot(e, &s, "float *xpad", d.xpad, "the padded input, then zeros");
	emit_slot(e, &s, "float *dyt", d.dyt, ctx_sprintf(c, "dy[b] on the wide "
	          "grid, transposed: [%ld][NN_NR] per panel of channels", wide));
	emit_slot(e, &s, "float *part", d.part, ctx_sprintf(c, "[%d][%d,%d]: "
	          "this chunk's dwᵀ", g->G, g->KK, g->Og));
	emit_line(e, "for (long i = 0; i < %ld; i++)", wsize);
	emit_line(e, "\tpart[i] = 0;");
	open_samples(e, g, &s);
	emit_line(e, "nn_pad_input(%s, &cv, xpad);", x_at(c, g, "x0"));
	emit_line(e, "nn_pack_wide_dyT(%s, &cv, %d, dyt);", y_at(c, g, "x1"),
	          g->Og);
	emit_line(e, "float *pt = %s;", g->G > 1 ? ctx_sprintf(c, "part + "
	          "(long)g*%ld", (long)g->KK * g->Og) : "part");
	emit_line(e, "for (int q = 0; q < %d; q += NN_NR)", g->Og);
	emit_line(e, "\tnn_panel_rows(%d, %ld, xpad, 0, off, 1, dyt + (long)q*%ld, "
	             "NULL, pt + q, %d,", g->KK, wide, wide, g->Og);
	emit_line(e, "\t              %d - q < NN_NR ? %d - q : NN_NR, 0, %s, 1);",
	          g->Og, g->Og, row_tiles(c, g->KK));
	close_samples(e, g);
	close_chunks(e, &s);
	emit_line(e, "/* dw = the chunks' sums, added in chunk order, transposed */");
	emit_omp(e, wsize * s.chunks, "");
	emit_line(e, "for (long i = 0; i < %ld; i++) {  /* i = (g·Og + o)·KK + kk "
	             "*/", wsize);
	emit_line(e, "\tlong gr = i / %ld, o = i / %d %% %d, kk = i %% %d;",
	          (long)g->Og * g->KK, g->KK, g->Og, g->KK);
	emit_line(e, "\tfloat sum = 0;");
	emit_line(e, "\tfor (int t = 0; t < %d; t++)", s.chunks);
	emit_line(e, "\t\tsum += scratch[(long)t*%ld + %ld + gr*%ld + kk*%d + o];",
	          d.size, d.part, (long)g->Og * g->KK, g->Og);
	emit_line(e, "\ty[i] = sum;");
	emit_line(e, "}");
}

static void emit_shift(Emit *e, const Geo *g, Role role)
{
	Ctx *c = e->c;
	Shift t = shift_geo(g, role);
	Slots s = shift_slots(g, role);
	long wide = (long)t.OH * t.Wq;
	if (t.S == 1)
		emit_line(e, "/* stride 1: implicit GEMM on the padded %s, its rows "
		             "read in place */", role == ROLE_FWD ? "input" : "dy");
	else
		emit_line(e, "/* stride %d: implicit GEMM on the padded input's %d "
		             "phases, their rows read in place */", t.S, t.S * t.S);
	emit_line(e, "static const NnConv cv = {%d, %d, %d, %d, %d, %d, %d, %d, "
	             "%d};  /* C,H,W, k,S,P,D, OH,OW */", t.Cin, t.H, t.W, g->k,
	          t.S, t.P, g->D, t.OH, t.OW);
	int taps = role == ROLE_DX && t.S == 1;   /* B's rows tap-major */
	emit_line(e, "int off[%ld];  /* row %s of B in the padded %s */", t.K,
	          taps ? "(kh,kw,c)" : "(c,kh,kw)",
	          role == ROLE_FWD ? "input" : "dy");
	emit_line(e, "nn_shift_offsets%s(&cv, off);", taps ? "_taps" : "");
	const char *w;
	if (role == ROLE_DX) {
		emit_line(e, "float *wt = scratch + %ld;  /* [%d][%d,%d,%d,%d]: w "
		             "flipped, in and out swapped, taps before channels */",
		          s.chunks * s.size, g->G, g->Cg, g->k, g->k, g->Og);
		if (g->G > 1) {
			emit_line(e, "for (int g = 0; g < %d; g++)", g->G);
			emit_line(e, "\tnn_flip_weights(x1 + (long)g*%ld, %d, %d, %d, "
			             "wt + (long)g*%ld);", (long)g->Og * g->KK, g->Og,
			          g->Cg, g->k, (long)g->Og * g->KK);
			w = ctx_sprintf(c, "wt + (long)g*%ld", (long)g->Og * g->KK);
		} else {
			emit_line(e, "nn_flip_weights(x1, %d, %d, %d, wt);", g->Og, g->Cg,
			          g->k);
			w = "wt";
		}
	} else {
		w = w_at(c, g, "x1");
	}
	open_chunks(e, &s);
	if (t.S == 1)
		emit_slot(e, &s, "float *xpad", 0, ctx_sprintf(c, "[%d,%d,%d]: the "
		          "padded %s, then zeros", t.Cin, t.H + 2 * t.P, t.Wq,
		          role == ROLE_FWD ? "input" : "dy"));
	else
		emit_slot(e, &s, "float *xpad", 0, ctx_sprintf(c, "[%d,%d,%d,%d]: "
		          "the padded input's phases, then zeros", t.Cin, t.S * t.S,
		          t.Hq, t.Wq));
	emit_slot(e, &s, "float *yw", t.xpad, ctx_sprintf(c, "[%d,%d,%d]: the "
	          "wide output", t.M, t.OH, t.Wq));
	open_samples(e, g, &s);
	emit_line(e, "nn_pad_input(%s, &cv, xpad);", role == ROLE_FWD ?
	          x_at(c, g, "x0") : y_at(c, g, "x0"));
	/* with taps, each panel's product runs over the kernel rows that
	 * reach dy: LeNet's second conv (dy 10x10 padded by 4) skips 2 in 7 */
	long kr = (long)g->k * t.Cin;   /* B's rows per kernel row */
	open_block(e, "for (int p0 = 0; p0 < %d; p0 += NN_NR) {", (int)wide);
	emit_line(e, "int nr = %ld - p0 < NN_NR ? %ld - p0 : NN_NR%s;", wide, wide,
	          taps ? ", lo, hi" : "");
	if (taps)
		emit_line(e, "nn_dx_taps(&cv, p0/%d, (p0 + nr - 1)/%d, &lo, &hi);",
		          t.Wq, t.Wq);
	emit_line(e, "nn_panel_rows(%d, %s, %s%s, %ld, NULL, 1, xpad + p0, off%s, "
	             "yw + p0, %ld, nr, 0, %s, 0);", t.M, taps ? ctx_sprintf(c,
	          "(hi - lo + 1)*%ld", kr) : ctx_sprintf(c, "%ld", t.K), w,
	          taps ? ctx_sprintf(c, " + lo*%ld", kr) : "", t.K,
	          taps ? ctx_sprintf(c, " + lo*%ld", kr) : "", wide,
	          row_tiles(c, t.M));
	close_block(e);
	emit_line(e, "nn_unpad_output(yw, &cv, %d, %s);", t.M, role == ROLE_FWD ?
	          y_at(c, g, "y") : x_at(c, g, "y"));
	emit_dx_acc(e, g);
	close_samples(e, g);
	close_chunks(e, &s);
}

/* The input gradient of a strided conv by phases: per sample, dy
 * padded once, then for each phase (a,b) of dx its product on the wide
 * grid (the taps kh ≡ a, kw ≡ b mod S), scattered into dx. */
static void emit_shift_phases(Emit *e, const Geo *g)
{
	Ctx *c = e->c;
	Shift t = shift_geo(g, ROLE_DX);
	Slots s = shift_slots(g, ROLE_DX);
	int S = g->S, k = g->k;
	long wide = (long)t.OH * t.Wq, wg = (long)g->Og * g->KK;
	emit_line(e, "/* stride %d: dx in %d phases, each a product on dy padded "
	             "by %d, its rows read in place */", S, S * S, t.P);
	emit_line(e, "static const NnConv cv = {%d, %d, %d, %d, 1, %d, 1, %d, "
	             "0};  /* dy: C,H,W, k,S,P,D, the grid's rows */", t.Cin,
	          t.H, t.W, t.P + 1, t.P, t.OH);
	emit_line(e, "int off[%ld];  /* each phase's rows (o,u,v) of B in the "
	             "padded dy */", (long)g->Og * k * k);
	emit_line(e, "float *wt = scratch + %ld;  /* each phase's [%d][%d,%d,ka,"
	          "kb]: w at taps (a + %d·u, b + %d·v) */", s.chunks * s.size,
	          g->G, g->Cg, g->Og, S, S);
	long at[16], w0[16];   /* each phase's offsets and weights */
	int ka[16], kb[16];
	long na = 0, nw = 0;
	for (int a = 0; a < S; a++)
		for (int b = 0; b < S; b++) {
			int f = a * S + b;
			ka[f] = (k - a + S - 1) / S;   /* ≥ 1: phase_rows wants k ≥ S */
			kb[f] = (k - b + S - 1) / S;
			at[f] = na;
			w0[f] = nw;
			emit_line(e, "nn_phase_offsets(%d, %d, %d, %d, %d, %d, off + %ld);",
			          g->Og, t.Hq, t.Wq, t.P, ka[f], kb[f], na);
			if (g->G > 1)
				emit_line(e, "for (int g = 0; g < %d; g++)\n\t\tnn_phase_"
				             "weights(x1 + (long)g*%ld, %d, %d, %d, %d, %d, %d, "
				             "wt + %ld + (long)g*%ld);", g->G, wg, g->Og,
				          g->Cg, k, S, a, b, nw,
				          (long)g->Cg * g->Og * ka[f] * kb[f]);
			else
				emit_line(e, "nn_phase_weights(x1, %d, %d, %d, %d, %d, %d, wt "
				             "+ %ld);", g->Og, g->Cg, k, S, a, b, nw);
			na += (long)g->Og * ka[f] * kb[f];
			nw += (long)g->G * g->Cg * g->Og * ka[f] * kb[f];
		}
	open_chunks(e, &s);
	emit_slot(e, &s, "float *xpad", 0, ctx_sprintf(c, "[%d,%d,%d]: the "
	          "padded dy, then zeros", t.Cin, t.Hq, t.Wq));
	emit_slot(e, &s, "float *yw", t.xpad, ctx_sprintf(c, "[%d,%d,%d]: a "
	          "phase's wide output", t.M, t.OH, t.Wq));
	open_samples(e, g, &s);
	emit_line(e, "nn_pad_input(%s, &cv, xpad);", y_at(c, g, "x0"));
	emit_line(e, "float *dx = %s;", x_at(c, g, "y"));
	for (int a = 0; a < S; a++)
		for (int b = 0; b < S; b++) {
			int f = a * S + b;
			long K = (long)g->Og * ka[f] * kb[f];
			/* the grid from the phase's first pixel of dx to its last */
			int i0, i1, j0, j1;
			phase_range(g->H, S, a, g->P, &i0, &i1);
			phase_range(g->W, S, b, g->P, &j0, &j1);
			long q0 = (long)i0 * t.Wq + j0, q1 = (long)i1 * t.Wq + j1 + 1;
			emit_line(e, "for (int p0 = %ld; p0 < %ld; p0 += NN_NR) {  "
			             "/* phase (a,b) = (%d,%d) */", q0, q1, a, b);
			e->indent++;
			emit_line(e, "int nr = %ld - p0 < NN_NR ? %ld - p0 : NN_NR;",
			          q1, q1);
			emit_line(e, "nn_panel_rows(%d, %ld, wt + %ld%s, %ld, NULL, 1, "
			             "xpad + p0, off + %ld, yw + p0, %ld, nr, 0, %s, 0);",
			          g->Cg, K, w0[f], g->G > 1 ? ctx_sprintf(c, " + "
			          "(long)g*%ld", (long)g->Cg * K) : "", K, at[f], wide,
			          row_tiles(c, g->Cg));
			close_block(e);
			emit_line(e, "nn_phase_scatter(yw, %d, %d, %d, %d, %d, %d, %d, %d, "
			             "%d, dx);", g->Cg, t.OH, t.Wq, S, a, b, g->P, g->H,
			          g->W);
		}
	emit_dx_acc(e, g);
	close_samples(e, g);
	close_chunks(e, &s);
}

/* GEMM: per sample and group, y_g = w_g·col one panel of im2col at a
 * time; 1×1: y_g = w_g·x_g through nn_gemm. */
static void conv2d_emit_gemm(Emit *e, const Geo *g)
{
	Ctx *c = e->c;
	Slots s = gemm_slots(g, ROLE_FWD);
	int im2col = conv_kernel(g) == CK_GEMM;
	if (im2col)
		emit_nnconv(e, g);
	open_chunks(e, &s);
	emit_slot(e, &s, "float *pack", s.pack, im2col ? ctx_sprintf(c,
	          "[%d][NN_NR]: a panel of im2col", g->KK) :
	          "nn_gemm's panels of x[b]");
	open_samples(e, g, &s);
	if (!im2col) {
		emit_line(e, "/* y[b] [%d,%ld] = w [%d,%d] · x[b] [%d,%ld] */", g->Og,
		          g->OHW, g->Og, g->Cg, g->Cg, g->HW);
		emit_line(e, "nn_gemm(%d, %ld, %d, %s, %d, 0, %s, %ld, 0, %s, %ld, "
		             "pack);", g->Og, g->OHW, g->Cg, w_at(c, g, "x1"), g->Cg,
		          x_at(c, g, "x0"), g->HW, y_at(c, g, "y"), g->OHW);
	} else {
		emit_line(e, "const float *xg = %s;  /* [%d,%d,%d] */",
		          x_at(c, g, "x0"), g->Cg, g->H, g->W);
		emit_line(e, "float *yg = %s;  /* [%d,%ld] */", y_at(c, g, "y"),
		          g->Og, g->OHW);
		emit_line(e, "/* yg[:, p0…] = w [%d,%d] · the windows of pixels "
		             "p0… [%d,NN_NR] */", g->Og, g->KK, g->KK);
		open_block(e, "for (int p0 = 0; p0 < %d; p0 += NN_NR) {",
		           (int)g->OHW);
		emit_line(e, "int nr = %ld - p0 < NN_NR ? %ld - p0 : NN_NR;", g->OHW,
		          g->OHW);
		emit_line(e, "nn_im2col_panel(xg, &cv, p0, nr, pack);");
		emit_line(e, "nn_panel_rows(%d, %d, %s, %d, NULL, 1, pack, NULL, yg + p0, %ld, nr, "
		             "0, %s, 0);", g->Og, g->KK, w_at(c, g, "x1"), g->KK,
		          g->OHW, row_tiles(c, g->Og));
		close_block(e);
	}
	close_samples(e, g);
	close_chunks(e, &s);
}

static void conv2d_emit(Emit *e, Node *n)
{
	Geo g = node_geo(e->c, n);
	emit_header(e, &g, ROLE_FWD, "y = x * w");
	if (depthwise(&g, ROLE_FWD))
		conv2d_emit_dw(e, &g);
	else if (conv_kernel(&g) == CK_DIRECT)
		conv2d_emit_direct(e, &g);
	else if (shifted(&g, ROLE_FWD))
		emit_shift(e, &g, ROLE_FWD);
	else
		conv2d_emit_gemm(e, &g);
}

/* Fusion by_sample: the forward kernels that open_samples' loop runs,
 * the GEMMs and the implicit GEMMs, not the plane kernels or the direct
 * loops. */
static int conv2d_takes_pre(Ctx *c, const Node *n)
{
	Geo g = node_geo(c, n);
	return !depthwise(&g, ROLE_FWD) && conv_kernel(&g) != CK_DIRECT;
}

static long conv2d_scratch(Ctx *c, Node *n)
{
	Geo g = node_geo(c, n);
	if (depthwise(&g, ROLE_FWD) || conv_kernel(&g) == CK_DIRECT)
		return 0;
	if (shifted(&g, ROLE_FWD))
		return shift_scratch(&g, ROLE_FWD);
	Slots s = gemm_slots(&g, ROLE_FWD);
	return s.chunks * s.size;
}

/* Each of the three ops does B·O·OH·OW·Cg·k·k multiply-adds. */
static double conv_flops(Ctx *c, Node *n)
{
	Geo g = node_geo(c, n);
	return 2.0 * g.B * g.O * (double)g.OHW * g.KK;
}

static void conv_print(Buf *b, const Node *n)
{
	const ConvAttr *a = n->attr;
	buf_printf(b, "k=%d stride=%d pad=%d dilation=%d groups=%d", a->k,
	           a->stride, a->pad, a->dilation, a->groups);
}

static void conv_dx_print(Buf *b, const Node *n)
{
	const ConvAttr *a = n->attr;
	conv_print(b, n);
	buf_printf(b, " in=%dx%d", a->h, a->w);
}

const OpDef op_conv2d = {
	.name = "conv2d", .nin = 2,
	.shape = conv2d_shape, .grad = conv2d_grad, .emit = conv2d_emit,
	.takes_pre = conv2d_takes_pre,
	.scratch = conv2d_scratch, .flops = conv_flops,
	.attr_size = sizeof(ConvAttr), .print_attr = conv_print,
};

/* ---- conv2d_dx: the input gradient ------------------------------------- */

/* direct: each thread owns input planes and gathers into one from every
 * output plane of its group, tap by tap. */
static void conv2d_dx_emit_direct(Emit *e, const Geo *g)
{
	Ctx *c = e->c;
	emit_line(e, "(void)scratch;");
	emit_tap_tables(e, g);
	emit_omp(e, (long)g->B * g->C * g->HW, "collapse(2) ");
	emit_line(e, "for (int b = 0; b < %d; b++)", g->B);
	emit_line(e, "\tfor (int ci = 0; ci < %d; ci++) {", g->C);
	e->indent += 2;
	emit_line(e, "float *dxc = y + ((long)b*%d + ci)*%ld;  /* [%d,%d] */",
	          g->C, g->HW, g->H, g->W);
	emit_line(e, "for (long i = 0; i < %ld; i++)", g->HW);
	emit_line(e, "\tdxc[i] = 0;");
	/* the output channels of ci's group: o0 … o0 + Og − 1 */
	const char *o0 = g->G == 1 ? "0" : g->Cg == 1 ? times(c, "ci", g->Og)
	               : g->Og == 1 ? ctx_sprintf(c, "ci/%d", g->Cg)
	               : ctx_sprintf(c, "(ci/%d)*%d", g->Cg, g->Og);
	if (g->Og == 1) {
		emit_line(e, "const int o = %s;  /* the output channel of ci's "
		             "group */", o0);
	} else if (g->G == 1) {
		open_block(e, "for (int o = 0; o < %d; o++) {", g->O);
	} else {
		emit_line(e, "const int o0 = %s;  /* the first output channel of "
		             "ci's group */", o0);
		emit_line(e, "for (int o = o0; o < o0 + %d; o++) {", g->Og);
		e->indent++;
	}
	emit_line(e, "const float *dyo = x0 + ((long)b*%d + o)*%ld;  "
	             "/* [%d,%d] */", g->O, g->OHW, g->OH, g->OW);
	if (g->Cg == 1)
		emit_line(e, "const float *wc = x1 + (long)o*%d;  /* [%d,%d] */",
		          g->KK, g->k, g->k);
	else
		emit_line(e, "const float *wc = x1 + ((long)o*%d + %s)*%d;  "
		             "/* [%d,%d] */", g->Cg, g->G == 1 ? "ci" :
		          ctx_sprintf(c, "ci %% %d", g->Cg), g->k * g->k, g->k, g->k);
	int lv = open_taps(e, g, 0);
	emit_line(e, "const float wk = wc[%s];", tap_index(c, g, 0));
	emit_tap_loop(e, g, 0, " {");
	e->indent++;
	emit_line(e, "float *dxr = dxc + (long)(%s)*%d;",
	          in_coord(c, g, "oh", "kh"), g->W);
	emit_line(e, "const float *dyr = dyo + oh*%d;", g->OW);
	emit_tap_loop(e, g, 1, "");
	emit_line(e, "\tdxr[%s] += wk * dyr[ow];", in_coord(c, g, "ow", "kw"));
	close_block(e);
	close_taps(e, lv);
	if (g->Og > 1)
		close_block(e);
	if (g->acc)
		emit_line(e, "nn_add_to(dxc, x2 + ((long)b*%d + ci)*%ld, %ld);",
		          g->C, g->HW, g->HW);
	e->indent -= 2;
	emit_line(e, "\t}");
}

/* GEMM: per sample and group, 32 output pixels at a time, the windows'
 * gradients colp = w_gᵀ·dy_g[:, p0…] (in panels of NN_NR), scattered back
 * by col2im; 1×1: dx_g = w_gᵀ·dy_g through nn_gemm. */
static void conv2d_dx_emit_gemm(Emit *e, const Geo *g)
{
	Ctx *c = e->c;
	Slots s = gemm_slots(g, ROLE_DX);
	int im2col = conv_kernel(g) == CK_GEMM;
	if (im2col)
		emit_nnconv(e, g);
	open_chunks(e, &s);
	if (im2col)
		emit_slot(e, &s, "float *colp", s.col, ctx_sprintf(c, "[%d,%d]: the "
		          "gradients of %d pixels' windows", g->KK, PANEL, PANEL));
	emit_slot(e, &s, "float *pack", s.pack, im2col ? "a panel of dy[b]" :
	          "nn_gemm's panels of dy[b]");
	open_samples(e, g, &s);
	if (!im2col) {
		emit_line(e, "/* dx[b] [%d,%ld] = wᵀ [%d,%d] · dy[b] [%d,%ld] */",
		          g->Cg, g->HW, g->Cg, g->Og, g->Og, g->OHW);
		emit_line(e, "nn_gemm(%d, %ld, %d, %s, %d, 1, %s, %ld, 0, %s, %ld, "
		             "pack);", g->Cg, g->OHW, g->Og, w_at(c, g, "x1"), g->Cg,
		          y_at(c, g, "x0"), g->OHW, x_at(c, g, "y"), g->HW);
	} else {
		emit_line(e, "const float *dyg = %s;  /* [%d,%ld] */",
		          y_at(c, g, "x0"), g->Og, g->OHW);
		emit_line(e, "float *dxg = %s;  /* [%d,%d,%d] */", x_at(c, g, "y"),
		          g->Cg, g->H, g->W);
		emit_line(e, "for (long i = 0; i < %ld; i++)", g->Cg * g->HW);
		emit_line(e, "\tdxg[i] = 0;");
		emit_line(e, "for (int p0 = 0; p0 < %ld; p0 += %d) {", g->OHW, PANEL);
		e->indent++;
		emit_line(e, "int n = %ld - p0 < %d ? %ld - p0 : %d;", g->OHW, PANEL,
		          g->OHW, PANEL);
		emit_line(e, "/* colp [%d,n] = wᵀ [%d,%d] · dy[b][:, p0…p0+n) */",
		          g->KK, g->KK, g->Og);
		open_block(e, "for (int j = 0; j < n; j += NN_NR) {", 0);
		emit_line(e, "int nr = n - j < NN_NR ? n - j : NN_NR;");
		emit_line(e, "nn_pack_panel(%ld, %d, dyg, %ld, 0, p0 + j, pack);",
		          g->OHW, g->Og, g->OHW);
		emit_line(e, "nn_panel_rows(%d, %d, %s, 1, NULL, %d, pack, NULL, colp + j, %d, "
		             "nr, 0, %s, 0);", g->KK, g->Og, w_at(c, g, "x1"), g->KK,
		          PANEL, row_tiles(c, g->KK));
		close_block(e);
		emit_line(e, "nn_col2im_panel(colp, %d, &cv, p0, n, dxg);", PANEL);
		close_block(e);
	}
	emit_dx_acc(e, g);
	close_samples(e, g);
	close_chunks(e, &s);
}

static void conv2d_dx_emit(Emit *e, Node *n)
{
	Geo g = node_geo(e->c, n);
	emit_header(e, &g, ROLE_DX, "dx from dy and w");
	if (depthwise(&g, ROLE_DX))
		conv2d_dx_emit_dw(e, &g);
	else if (conv_kernel(&g) == CK_DIRECT)
		conv2d_dx_emit_direct(e, &g);
	else if (shifted(&g, ROLE_DX) && g.S > 1)
		emit_shift_phases(e, &g);
	else if (shifted(&g, ROLE_DX))
		emit_shift(e, &g, ROLE_DX);
	else
		conv2d_dx_emit_gemm(e, &g);
}

static long conv2d_dx_scratch(Ctx *c, Node *n)
{
	Geo g = node_geo(c, n);
	if (conv_kernel(&g) == CK_DIRECT)
		return 0;
	if (shifted(&g, ROLE_DX))
		return shift_scratch(&g, ROLE_DX);
	Slots s = gemm_slots(&g, ROLE_DX);
	return s.chunks * s.size;
}

/* Fusion dx_add (autodiff's choice): n, a conv2d_dx that nothing reads
 * yet, takes acc, the other gradient of the same tensor, as its third
 * input and becomes conv2d_dx_add. */
static int conv2d_dx_adds_grad(Ctx *c, Node *n, int acc)
{
	if (acc >= n->id || !shape_eq(&n->shape, &c->nodes[acc]->shape))
		return 0;
	for (int i = n->id + 1; i < c->nnodes; i++)
		for (int k = 0; k < c->nodes[i]->nin; k++)
			if (c->nodes[i]->in[k] == n->id)
				return 0;
	n->op = &op_conv2d_dx_add;
	n->in[2] = acc;
	n->nin = 3;
	return 1;
}

const OpDef op_conv2d_dx = {
	.name = "conv2d_dx", .nin = 2,
	.shape = conv2d_dx_shape, .emit = conv2d_dx_emit,
	.adds_grad = conv2d_dx_adds_grad,
	.scratch = conv2d_dx_scratch, .flops = conv_flops,
	.attr_size = sizeof(ConvAttr), .print_attr = conv_dx_print,
};

const OpDef op_conv2d_dx_add = {
	.name = "conv2d_dx_add", .nin = 3,
	.shape = conv2d_dx_shape, .emit = conv2d_dx_emit,
	.scratch = conv2d_dx_scratch, .flops = conv_flops,
	.attr_size = sizeof(ConvAttr), .print_attr = conv_dx_print,
};

/* ---- conv2d_dw: the weight gradient ------------------------------------- */

/* direct: each thread owns output channels.  Per sample it reads the
 * output plane and its group's input planes once for all taps, adding into
 * partial sums per tap and output column (independent lanes: the inner loop
 * vectorizes), which are reduced in a fixed order at the end. */
static void conv2d_dw_emit_direct(Emit *e, const Geo *g)
{
	Ctx *c = e->c;
	const char *gc = group_channel(c, g);
	emit_line(e, "(void)scratch;");
	emit_tap_tables(e, g);
	emit_omp(e, (long)g->B * g->O * g->OHW * g->KK, "");
	open_block(e, "for (int o = 0; o < %d; o++) {", g->O);
	emit_line(e, "float acc[%d][%d] = {{0}};  /* [Cg·k·k taps, OW]: partial "
	             "sums */", g->KK, g->OW);
	open_block(e, "for (int b = 0; b < %d; b++) {", g->B);
	if (gc)
		emit_line(e, "const float *xg = x0 + ((long)b*%d + %s)*%ld;  "
		             "/* [%d,%d,%d]: o's group */", g->C, gc, g->HW, g->Cg,
		          g->H, g->W);
	else
		emit_line(e, "const float *xg = x0 + (long)b*%ld;  /* [%d,%d,%d] */",
		          g->C * g->HW, g->C, g->H, g->W);
	emit_line(e, "const float *dyo = x1 + ((long)b*%d + o)*%ld;  "
	             "/* [%d,%d] */", g->O, g->OHW, g->OH, g->OW);
	int lv = open_taps(e, g, 1);
	emit_line(e, "float *at = acc[%s];", tap_index(c, g, 1));
	emit_tap_loop(e, g, 0, " {");
	e->indent++;
	emit_line(e, "const float *xr = %s + (long)(%s)*%d;", plane(c, g, "xg"),
	          in_coord(c, g, "oh", "kh"), g->W);
	emit_line(e, "const float *dyr = dyo + oh*%d;", g->OW);
	emit_tap_loop(e, g, 1, "");
	emit_line(e, "\tat[ow] += dyr[ow] * xr[%s];", in_coord(c, g, "ow", "kw"));
	close_block(e);
	close_taps(e, lv);
	close_block(e);
	emit_line(e, "for (int t = 0; t < %d; t++) {", g->KK);
	emit_line(e, "\tfloat s = 0;");
	emit_line(e, "\tfor (int ow = 0; ow < %d; ow++)", g->OW);
	emit_line(e, "\t\ts += acc[t][ow];");
	emit_line(e, "\ty[(long)o*%d + t] = s;", g->KK);
	emit_line(e, "}");
	close_block(e);
}

/* GEMM: dw_g = Σ_b dy_g(b)·col(b)ᵀ, a block of pixels at a time: the
 * block's transposed windows packed straight from x, multiplied into the
 * chunk's part.  1×1: col = x_g, one nn_gemm per sample into dwb, added
 * to the part.  Samples are summed in order into the chunk's part; the
 * parts in chunk order. */
static void conv2d_dw_emit_gemm(Emit *e, const Geo *g)
{
	Ctx *c = e->c;
	Slots s = gemm_slots(g, ROLE_DW);
	int im2col = conv_kernel(g) == CK_GEMM;
	long wsize = (long)g->O * g->KK, share = (long)g->Og * g->KK;
	if (im2col)
		emit_nnconv(e, g);
	open_chunks(e, &s);
	if (!im2col)
		emit_slot(e, &s, "float *dwb", s.dwb, ctx_sprintf(c, "[%d,%d]: one "
		          "sample's share", g->Og, g->KK));
	emit_slot(e, &s, "float *pack", s.pack, im2col ? ctx_sprintf(c, "colᵀ "
	          "of %d pixels, in panels of NN_NR windows", dw_block(g)) :
	          "nn_gemm's panels of x[b]ᵀ");
	if (s.part >= 0)
		emit_slot(e, &s, "float *part", s.part, ctx_sprintf(c, "[%d,%d]: "
		          "this chunk's sum", g->O, g->KK));
	else
		emit_line(e, "float *part = y;  /* one chunk: its sum is dw */");
	emit_line(e, "for (long i = 0; i < %ld; i++)", wsize);
	emit_line(e, "\tpart[i] = 0;");
	open_samples(e, g, &s);
	emit_line(e, "const float *xg = %s;  /* [%d,%d,%d] */", x_at(c, g, "x0"),
	          g->Cg, g->H, g->W);
	if (im2col) {
		int kb = dw_block(g);
		emit_line(e, "const float *dyg = %s;  /* [%d,%ld] */",
		          y_at(c, g, "x1"), g->Og, g->OHW);
		emit_line(e, "float *partg = %s;", w_at(c, g, "part"));
		emit_line(e, "/* partg [%d,%d] += dy[b][:, p0…] · colᵀ [kc,%d] */",
		          g->Og, g->KK, g->KK);
		emit_line(e, "for (int p0 = 0; p0 < %ld; p0 += %d) {", g->OHW, kb);
		e->indent++;
		emit_line(e, "int kc = %ld - p0 < %d ? %ld - p0 : %d;", g->OHW, kb,
		          g->OHW, kb);
		emit_line(e, "nn_im2colT_panels(xg, &cv, p0, kc, pack);");
		emit_line(e, "for (int q = 0; q < %d; q += NN_NR)", g->KK);
		emit_line(e, "\tnn_panel_rows(%d, kc, dyg + p0, %ld, NULL, 1, pack + "
		             "(long)q*kc, NULL, partg + q, %d,", g->Og, g->OHW, g->KK);
		emit_line(e, "\t              %d - q < NN_NR ? %d - q : NN_NR, 0, "
		             "%s, 1);", g->KK, g->KK, row_tiles(c, g->Og));
		close_block(e);
	} else {
		emit_line(e, "/* dwb [%d,%d] = dy[b] [%d,%ld] · xgᵀ [%ld,%d] */",
		          g->Og, g->KK, g->Og, g->OHW, g->OHW, g->KK);
		emit_line(e, "nn_gemm(%d, %d, %ld, %s, %ld, 0, xg, %ld, 1, dwb, %d, "
		             "pack);", g->Og, g->KK, g->OHW, y_at(c, g, "x1"), g->OHW,
		          g->OHW, g->KK);
		emit_line(e, "float *partg = %s;", w_at(c, g, "part"));
		emit_line(e, "for (long i = 0; i < %ld; i++)", share);
		emit_line(e, "\tpartg[i] += dwb[i];");
	}
	close_samples(e, g);
	close_chunks(e, &s);
	if (s.chunks == 1)
		return;
	emit_line(e, "/* dw = the chunks' sums, added in chunk order */");
	emit_omp(e, wsize * s.chunks, "");
	emit_line(e, "for (long i = 0; i < %ld; i++) {", wsize);
	emit_line(e, "\tfloat sum = 0;");
	emit_line(e, "\tfor (int t = 0; t < %d; t++)", s.chunks);
	emit_line(e, "\t\tsum += scratch[(long)t*%ld + %ld + i];", s.size, s.part);
	emit_line(e, "\ty[i] = sum;");
	emit_line(e, "}");
}

static void conv2d_dw_emit(Emit *e, Node *n)
{
	Geo g = node_geo(e->c, n);
	emit_header(e, &g, ROLE_DW, "dw from x and dy");
	if (depthwise(&g, ROLE_DW))
		conv2d_dw_emit_dw(e, &g);
	else if (conv_kernel(&g) == CK_DIRECT)
		conv2d_dw_emit_direct(e, &g);
	else if (shifted_dw(&g))
		emit_shift_dw(e, &g);
	else
		conv2d_dw_emit_gemm(e, &g);
}

static long conv2d_dw_scratch(Ctx *c, Node *n)
{
	Geo g = node_geo(c, n);
	if (depthwise(&g, ROLE_DW))
		return 2L * g.B * g.O * g.KK;    /* a double a plane and tap */
	if (conv_kernel(&g) == CK_DIRECT)
		return 0;
	if (shifted_dw(&g)) {
		ShiftDw d = shift_dw_slots(&g);
		return d.chunks * d.size;
	}
	Slots s = gemm_slots(&g, ROLE_DW);
	return s.chunks * s.size;
}

const OpDef op_conv2d_dw = {
	.name = "conv2d_dw", .nin = 2,
	.shape = conv2d_dw_shape, .emit = conv2d_dw_emit,
	.scratch = conv2d_dw_scratch, .flops = conv_flops,
	.attr_size = sizeof(ConvAttr), .print_attr = conv_print,
};

/* ---- the conv2d layer ---------------------------------------------------- */

typedef struct Conv2dLayer {
	int out, k, stride, pad, groups, bias, dilation;
	const InitSpec *init;        /* NULL: PyTorch's default */
} Conv2dLayer;

static const AttrKey conv2d_keys[] = {
	{"out", AK_INT, 1, 1, 0, offsetof(Conv2dLayer, out), 1, 1 << 20},
	{"k", AK_INT, 2, 1, 0, offsetof(Conv2dLayer, k), 1, 1024},
	{"stride", AK_INT, 0, 0, 1, offsetof(Conv2dLayer, stride), 1, 1024},
	{"pad", AK_INT, 0, 0, 0, offsetof(Conv2dLayer, pad), 0, 1024},
	{"groups", AK_INT, 0, 0, 1, offsetof(Conv2dLayer, groups), 1, 1 << 20},
	{"bias", AK_BOOL, 0, 0, 1, offsetof(Conv2dLayer, bias), 1, 0},
	{"dilation", AK_INT, 0, 0, 1, offsetof(Conv2dLayer, dilation), 1, 1024},
	{"init", AK_INIT, 0, 0, 0, offsetof(Conv2dLayer, init), 1, 0},
	{0},
};

static const char *conv2d_configure(Ctx *c, Layer *l)
{
	const Conv2dLayer *a = l->attr;
	if (a->out % a->groups)
		return ctx_sprintf(c, "groups = %d does not divide out = %d",
		                   a->groups, a->out);
	int ext = extent(a->k, a->dilation);
	if (a->pad >= ext)
		return a->dilation > 1
			? ctx_sprintf(c, "pad = %d must be smaller than the dilated "
			                 "kernel's extent %d (k = %d, dilation %d)",
			              a->pad, ext, a->k, a->dilation)
			: ctx_sprintf(c, "pad = %d must be smaller than k = %d", a->pad,
			              a->k);
	return NULL;
}

static int conv2d_apply(Ctx *c, Layer *l, int x, Pos pos, const char **err)
{
	const Conv2dLayer *a = l->attr;
	const Node *xn = ir_node(c, x);
	if (xn->dtype != DT_F32) {
		*err = ctx_sprintf(c, "input is int32 (%s); conv2d takes float "
		                      "tensors", xn->name ? xn->name : "indices");
		return -1;
	}
	ConvAttr *ca = ctx_alloc(c, sizeof *ca);
	*ca = (ConvAttr){.k = a->k, .stride = a->stride, .pad = a->pad,
	                 .dilation = a->dilation, .groups = a->groups};
	if ((*err = conv_check(c, ca, &xn->shape)))
		return -1;
	int C = xn->shape.d[1], Cg = C / a->groups;
	if (l->applied && ir_node(c, l->param[0])->shape.d[1] != Cg) {
		int first = ir_node(c, l->param[0])->shape.d[1] * a->groups;
		*err = ctx_sprintf(c, "%s was first applied to %d input channel%s, "
		                      "now to %d", l->name, first,
		                   first == 1 ? "" : "s", C);
		return -1;
	}
	ca->h = xn->shape.d[2];
	ca->w = xn->shape.d[3];
	/* PyTorch's fans: fan_in = C/G·k·k, fan_out = O·k·k */
	ParamAttr pa = param_init(a->init, Cg * a->k * a->k,
	                          a->out * a->k * a->k);
	int w = layer_param(c, l, 0, "weight",
	                    (Shape){4, {a->out, Cg, a->k, a->k}}, pa, pos);
	int y = ir_make2(c, &op_conv2d, PH_FWD, x, w, ca, pos);
	if (a->bias) {
		/* PyTorch's U(±1/√fan_in) by default; zero beside any other init */
		pa = param_init(NULL, Cg * a->k * a->k, a->out * a->k * a->k);
		pa.init = a->init && a->init->kind != INIT_TORCH ? INIT_ZEROS :
		          INIT_TORCH;
		int b = layer_param(c, l, 1, "bias", (Shape){1, {a->out}}, pa, pos);
		y = ir_make2(c, &op_bias_add, PH_FWD, y, b, NULL, pos);
	}
	return y;
}

const LayerDef layer_conv2d = {
	.name = "conv2d", .keys = conv2d_keys, .attr_size = sizeof(Conv2dLayer),
	.configure = conv2d_configure, .apply = conv2d_apply,
};
