/*
 * emit.c — writes NAME.c and NAME.h.
 *
 * The trainer reads like llm.c: the kernels first (kernels/prelude.c, the
 * same in every trainer), then the memory layout, then one block per node
 * in schedule order — forward, backward, update — each with its shapes and
 * the script line it came from, then the API of DESIGN §3 and main().
 * Only emit.c knows storage; what a node computes is its op's emitter.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "nncc.h"

static const char prelude[] =
#include "prelude.inc"
	;

void emit_line(Emit *e, const char *fmt, ...)
{
	for (int i = 0; i < e->indent; i++)
		buf_puts(e->b, "\t");
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(e->b, fmt, ap);
	va_end(ap);
	buf_puts(e->b, "\n");
}

static const Node *nth(Emit *e, const Node *n, int i)
{
	return i < 0 ? n : ir_node(e->c, n->in[i]);
}

long emit_numel(Emit *e, const Node *n, int i)
{
	return node_numel(e->c, nth(e, n, i));
}

int emit_dim(Emit *e, const Node *n, int i, int dim)
{
	const Node *t = nth(e, n, i);
	if (dim >= t->shape.n)
		bug("%s: dim %d of a rank-%d tensor", n->op->name, dim, t->shape.n);
	int d = t->shape.d[dim];
	return d == BATCH ? e->c->recipe.batch : d;
}

const char *cfloat(Ctx *c, double v)
{
	char s[64];
	snprintf(s, sizeof s, "%.9g", (double)(float)v);
	if (!strpbrk(s, ".eEn"))
		strcat(s, ".0");
	return ctx_sprintf(c, "%sf", s);
}

const char *cdouble(Ctx *c, double v)
{
	char s[64];
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(s, sizeof s, "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	if (!strpbrk(s, ".eEn"))
		strcat(s, ".0");
	return ctx_strdup(c, s);
}

/* A C string literal of s: only printable ASCII passes unescaped. */
static const char *cstr(Ctx *c, const char *s)
{
	Buf b = {0};
	buf_puts(&b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(&b, "\\%c", *p);
		else if (*p >= 32 && *p < 127 && *p != '?')
			buf_printf(&b, "%c", *p);
		else
			buf_printf(&b, "\\%03o", *p);  /* '?': no trigraphs */
	}
	buf_puts(&b, "\"");
	const char *r = ctx_strdup(c, b.s);
	buf_free(&b);
	return r;
}

/* Text safe inside a C comment: printable ASCII, no comment end or start
 * (-Wcomment), no trigraph. */
static const char *ccomment(Ctx *c, const char *s)
{
	char *r = ctx_strdup(c, s);
	for (char *p = r; *p; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p >= 127 ||
		    (*p == '/' && (p[1] == '*' || (p > r && p[-1] == '*'))) ||
		    (*p == '?' && p[1] == '?'))
			*p = '_';
	return r;
}

/* The shape with the batch resolved: "[32,256]". */
static const char *shape_c(Ctx *c, const Shape *s)
{
	Buf b = {0};
	buf_puts(&b, "[");
	for (int i = 0; i < s->n; i++)
		buf_printf(&b, "%s%d", i ? "," : "",
		           s->d[i] == BATCH ? c->recipe.batch : s->d[i]);
	buf_puts(&b, "]");
	const char *r = ctx_strdup(c, b.s);
	buf_free(&b);
	return r;
}

/* The node whose memory n is: views resolve to their base, blocks to
 * their first member. */
static const Node *home(Ctx *c, const Node *n)
{
	while (n->st == ST_VIEW || n->st == ST_BLOCK)
		n = ir_node(c, n->in[0]);
	return n;
}

/* Where a node's tensor is, as a C expression. */
static const char *ptr(Ctx *c, const Node *n)
{
	n = home(c, n);
	switch (n->st) {
	case ST_INPUT: return "xin";
	case ST_LABEL: return "yin";
	case ST_PARAM: return ctx_sprintf(c, "m->param + %ld", n->off);
	case ST_GRAD: return ctx_sprintf(c, "m->grad + %ld", n->off);
	case ST_STATE: return ctx_sprintf(c, "m->state_f + %ld", n->off);
	case ST_ARENA: return ctx_sprintf(c, "m->arena + %ld", n->off);
	default: bug("%%%d has no tensor", n->id);
	}
}

static const char *in_t(Ctx *c)
{
	return ir_node(c, c->input)->dtype == DT_I32 ? "int32_t" : "float";
}

static const char *label_t(Ctx *c)
{
	return ir_node(c, c->label)->dtype == DT_I32 ? "int32_t" : "float";
}

/* What an input of a node in this phase reads: in evaluation, a
 * parameter with an EMA shadow reads the shadow (ops/ema.c). */
static const Node *source_of(Emit *e, const Node *a)
{
	const Node *b = a;
	while (b->st == ST_VIEW)
		b = ir_node(e->c, b->in[0]);
	if (e->eval && b->st == ST_PARAM && b->ema >= 0)
		return ir_node(e->c, b->ema);
	return a;
}

/* Declarations of n's inputs x0…, its output y and its scratch. */
static void emit_decls(Emit *e, const Node *n)
{
	Ctx *c = e->c;
	unsigned writes = n->op->writes_of ? n->op->writes_of(n) : n->op->writes;
	for (int i = 0; i < n->nin; i++) {
		const Node *a = source_of(e, ir_node(c, n->in[i]));
		int mut = (writes >> i) & 1;
		Storage st = home(c, a)->st;
		if (mut && st != ST_PARAM && st != ST_STATE)
			bug("%s writes %%%d, which is not persistent", n->op->name, a->id);
		/* an update's operands are distinct persistent regions: restrict
		 * lets its loops vectorize without runtime alias checks */
		emit_line(e, "%s%s *%sx%d = %s;%*s/* %s%s */", mut ? "" : "const ",
		          a->dtype == DT_I32 ? "int32_t" : "float",
		          n->op->traits & OT_UPDATE ? "restrict " : "", i, ptr(c, a),
		          1, "", a->name ? a->name : "", shape_c(c, &a->shape));
	}
	if (n->st != ST_NONE)
		emit_line(e, "float *y = %s;", ptr(c, n));
	if (n->op->scratch)
		emit_line(e, "float *scratch = m->arena + %ld;", n->scratch_off);
}

/* One node: declarations of x0…, y and scratch, then the op's body. */
static void emit_node(Emit *e, Node *n)
{
	Ctx *c = e->c;
	Buf b = {0};
	for (int i = 0; i < n->nin; i++)
		buf_printf(&b, "%s%%%d", i ? ", " : " <- ", n->in[i]);
	emit_line(e, "/* %%%d %s%s%s%s  (%s:%d%s%s)%s */", n->id, n->op->name,
	          n->st == ST_NONE ? "" : " ", n->st == ST_NONE ? "" :
	          shape_c(c, &n->shape), b.s ? b.s : "",
	          ccomment(c, n->pos.file ? n->pos.file : "?"), n->pos.line,
	          n->name ? ", " : "", n->name ? n->name : "",
	          e->pre ? ctx_sprintf(c, ", running %%%d %s by sample",
	                               e->pre->id, e->pre->op->name) : "");
	buf_free(&b);
	emit_line(e, "{");
	e->indent++;
	if (!e->eval)
		emit_line(e, "NN_PROF_BEGIN;");
	emit_decls(e, n);
	n->op->emit(e, n);
	if (!e->eval)
		emit_line(e, "NN_PROF_END(%d);", n->id);
	e->indent--;
	emit_line(e, "}");
}

void emit_pre_sample(Emit *e)
{
	Node *n = e->pre;
	if (!n)
		return;
	emit_line(e, "{  /* %%%d %s on sample b (fusion by_sample) */", n->id,
	          n->op->name);
	e->indent++;
	emit_decls(e, n);
	n->op->emit_sample(e, n);
	e->indent--;
	emit_line(e, "}");
}

/* Whether [a, a + n) and [b, b + m) share a float. */
static int overlap(long a, long n, long b, long m)
{
	return a < b + m && b < a + n;
}

/* Fusion by_sample: the conv that runs node sched[k] sample by sample,
 * the next node in the schedule, reading its output as its input x
 * (OpDef.takes_pre); or NULL.  Only in training (the eval forward keeps
 * its own loops), and only when neither the conv's output nor its
 * scratch shares the arena with an input of the node, which the conv's
 * first samples would overwrite before the node's last ones read them. */
static Node *by_sample(Emit *e, int k)
{
	Ctx *c = e->c;
	Node *n = ir_node(c, c->sched[k]);
	if (e->eval || !(c->fuse & FUSE_BY_SAMPLE) || !n->op->emit_sample ||
	    k + 1 >= c->nsched)
		return NULL;
	Node *m = ir_node(c, c->sched[k + 1]);
	if (m->phase != n->phase || m->in[0] != n->id || !m->op->takes_pre ||
	    !m->op->takes_pre(c, m))
		return NULL;
	long sc = m->op->scratch ? m->op->scratch(c, m) : 0;
	for (int i = 0; i < n->nin; i++) {
		const Node *a = home(c, ir_node(c, n->in[i]));
		if (a->st != ST_ARENA)
			continue;
		long na = node_numel(c, a);
		if (overlap(a->off, na, m->off, node_numel(c, m)) ||
		    (sc && overlap(a->off, na, m->scratch_off, sc)))
			return NULL;
	}
	return m;
}

/* -DNNCC_PROFILE: every node of the training step adds its time to
 * nn_prof_sec[id]; NAME_profile_print shows them with each node's FLOPs
 * and bytes (its inputs and output, once), in schedule order. */
static void emit_profile(Emit *e)
{
	Ctx *c = e->c;
	Buf *b = e->b;
	buf_printf(b,
	    "/* ---- profile: with -DNNCC_PROFILE (nncc --profile) the training step\n"
	    " * times every node; %s_profile_print() prints the table ---- */\n"
	    "#ifdef NNCC_PROFILE\n"
	    "static double nn_prof_sec[%d];\n"
	    "static long nn_prof_calls[%d];\n"
	    "#define NN_PROF_BEGIN double nn_prof_t0 = rt_seconds()\n"
	    "#define NN_PROF_END(id) (nn_prof_sec[id] += rt_seconds() - nn_prof_t0, "
	    "nn_prof_calls[id]++)\n"
	    "static const struct {\n\tint id, phase, line;\n\tconst char *op;\n"
	    "\tdouble flops, bytes;\n} nn_prof_node[] = {\n",
	    c->recipe.name, c->nnodes, c->nnodes);
	for (int k = 0; k < c->nsched; k++) {
		Node *n = ir_node(c, c->sched[k]);
		if (!n->op->emit)
			continue;
		double bytes = node_bytes(c, n);
		buf_printf(b, "\t{%d, %d, %d, \"%s\", %.17g, %.17g},\n", n->id,
		           n->phase, n->pos.line, n->op->name,
		           n->op->flops ? n->op->flops(c, n) : 0, bytes);
	}
	buf_printf(b,
	    "};\n#else\n#define NN_PROF_BEGIN ((void)0)\n"
	    "#define NN_PROF_END(id) ((void)0)\n#endif\n\n");
}

/* NAME_profile_print: the table, or a word on how to get one. */
static void emit_profile_print(Emit *e)
{
	const char *n = e->c->recipe.name;
	buf_printf(e->b,
	    "void %s_profile_print(void)\n{\n"
	    "#ifdef NNCC_PROFILE\n"
	    "\tstatic const char *phase[] = {\"forward\", \"backward\", \"update\"};\n"
	    "\tint nn = (int)(sizeof nn_prof_node / sizeof *nn_prof_node);\n"
	    "\tdouble total = 0, ph[3] = {0};\n"
	    "\tlong steps = 0;\n"
	    "\tfor (int i = 0; i < nn; i++) {\n"
	    "\t\tdouble s = nn_prof_sec[nn_prof_node[i].id];\n"
	    "\t\ttotal += s;\n\t\tph[nn_prof_node[i].phase] += s;\n"
	    "\t\tif (nn_prof_calls[nn_prof_node[i].id] > steps)\n"
	    "\t\t\tsteps = nn_prof_calls[nn_prof_node[i].id];\n\t}\n"
	    "\tif (!steps || total <= 0) {\n"
	    "\t\tfprintf(stderr, \"profile: no training step ran\\n\");\n"
	    "\t\treturn;\n\t}\n"
	    "\tfprintf(stderr, \"profile: %%ld steps, %%.3f ms a step (forward %%.1f%%%%, "
	    "backward %%.1f%%%%, update %%.1f%%%%)\\n\",\n"
	    "\t        steps, 1e3 * total / steps, 100 * ph[0] / total, 100 * ph[1] / total,\n"
	    "\t        100 * ph[2] / total);\n"
	    "\tfprintf(stderr, \"%%-6s %%-18s %%-8s %%5s %%9s %%6s %%8s %%8s\\n\", \"node\", "
	    "\"op\", \"phase\",\n"
	    "\t        \"line\", \"ms/step\", \"share\", \"GFLOP/s\", \"GB/s\");\n"
	    "\tfor (int i = 0; i < nn; i++) {\n"
	    "\t\tint id = nn_prof_node[i].id;\n"
	    "\t\tdouble s = nn_prof_sec[id] / (nn_prof_calls[id] ? nn_prof_calls[id] : 1);\n"
	    "\t\tfprintf(stderr, \"%%%%%%-5d %%-18s %%-8s %%5d %%9.4f %%5.1f%%%% %%8.2f %%8.2f\\n\",\n"
	    "\t\t        id, nn_prof_node[i].op, phase[nn_prof_node[i].phase],\n"
	    "\t\t        nn_prof_node[i].line, 1e3 * s, 100 * nn_prof_sec[id] / total,\n"
	    "\t\t        s > 0 ? nn_prof_node[i].flops / s / 1e9 : 0,\n"
	    "\t\t        s > 0 ? nn_prof_node[i].bytes / s / 1e9 : 0);\n\t}\n"
	    "#else\n"
	    "\tfprintf(stderr, \"profile: build the trainer with -DNNCC_PROFILE "
	    "(or nncc --profile)\\n\");\n"
	    "#endif\n}\n\n", n);
}

/* The nodes of one phase as a static function. */
static void emit_phase(Emit *e, const char *fname, Phase ph, int eval)
{
	Ctx *c = e->c;
	const char *name = c->recipe.name;
	if (ph == PH_UPD)
		emit_line(e, "static void %s(%s *m)\n{", fname, name);
	else if (ph == PH_BWD)   /* upd: in the training step (matmul_sgd) */
		emit_line(e, "static void %s(%s *m, const nn_in_t *xin, const %s *yin,"
		             " int upd)\n{", fname, name, label_t(c));
	else
		emit_line(e, "static void %s(%s *m, const nn_in_t *xin, const %s *yin)"
		             "\n{", fname, name, label_t(c));
	e->indent = 1;
	if (ph == PH_UPD) {
		emit_line(e, "const float lr = m->lr;");
		emit_line(e, "const int64_t t = m->state.step + 1;  "
		             "/* 1 on the first step */");
		emit_line(e, "(void)lr;");
		emit_line(e, "(void)t;");
	} else {
		emit_line(e, "const int nrows = m->nrows;  /* valid rows of the "
		             "batch */");
		emit_line(e, "(void)nrows;");
		emit_line(e, "(void)xin;");
		emit_line(e, "(void)yin;");
		if (ph == PH_BWD)
			emit_line(e, "(void)upd;");
	}
	e->eval = eval;
	for (int k = 0; k < c->nsched; k++) {
		Node *n = ir_node(c, c->sched[k]);
		if (n->phase != ph || !n->op->emit)
			continue;
		if (eval && (n->op->traits & OT_TRAIN_ONLY))
			continue;
		if (eval && (n->op->traits & OT_LOSS)) {
			emit_line(e, "if (yin)  /* evaluate: the loss too */");
		}
		Node *conv = by_sample(e, k);
		if (conv) {
			e->pre = n;
			emit_node(e, conv);
			e->pre = NULL;
			k++;
			continue;
		}
		emit_node(e, n);
	}
	e->indent = 0;
	emit_line(e, "}\n");
}

static void emit_header(Ctx *c, Buf *h, const char *base)
{
	const Recipe *r = &c->recipe;
	const char *n = r->name;
	char up[256];
	snprintf(up, sizeof up, "%s", n);
	for (char *p = up; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	const Node *in = ir_node(c, c->input), *pr = ir_node(c, r->predict);
	const Node *lb = ir_node(c, c->label);
	long insz = shape_numel(&in->shape, 1), outsz = shape_numel(&pr->shape, 1);
	buf_printf(h, "/* %s.h — generated by nncc %s from %s; do not edit. */\n",
	           ccomment(c, base), NNCC_VERSION, ccomment(c, c->script));
	buf_printf(h, "#ifndef %s_H\n#define %s_H\n\n", up, up);
	buf_printf(h, "#include <stddef.h>\n#include <stdint.h>\n\n");
	buf_printf(h, "#define %s_BATCH %d\n", up, r->batch);
	buf_printf(h, "#define %s_IN_SIZE %ld   /* floats per sample: %s */\n", up,
	           insz, shape_str(c, &in->shape));
	buf_printf(h, "#define %s_IN_RANK %d\n", up, in->shape.n - 1);
	for (int i = 1; i < in->shape.n; i++)
		buf_printf(h, "#define %s_IN_DIM%d %d\n", up, i - 1, in->shape.d[i]);
	buf_printf(h, "#define %s_OUT_SIZE %ld  /* predict: floats per sample */\n",
	           up, outsz);
	if (lb->dtype == DT_I32)
		buf_printf(h, "#define %s_CLASSES %d\n",
		           up, ((SourceAttr *)lb->attr)->classes);
	else
		buf_printf(h, "#define %s_TARGET_SIZE %ld\n", up,
		           shape_numel(&lb->shape, 1));
	const char *lt = label_t(c), *it = in_t(c);
	int sgd_gemm = 0;
	for (int i = 0; i < c->nnodes; i++)
		sgd_gemm |= c->nodes[i]->op == &op_matmul_sgd;
	buf_printf(h, "\ntypedef struct %s %s;\n\n", n, n);
	if (r->ema_decay > 0)
		buf_printf(h, "/* ema = {decay = %g}: _predict and _evaluate use the "
		              "moving average of\n * the weights (the \"ema.*\" "
		              "tensors); _train_step, _gradient and _loss\n * the "
		              "weights themselves. */\n\n", r->ema_decay);
	buf_printf(h,
	    "/* One block holds everything: parameters, gradients, optimizer\n"
	    " * state and the activation arena.  _init places the model in\n"
	    " * memory the caller owns (at least _sizeof() bytes, aligned to 64);\n"
	    " * nothing is allocated after it. */\n"
	    "size_t %s_sizeof(void);\n"
	    "%s *%s_init(void *mem, uint64_t seed);\n"
	    "%s *%s_new(uint64_t seed);      /* _init on aligned_alloc memory */\n"
	    "void %s_free(%s *m);\n\n"
	    "/* One optimizer step on a batch of %s_BATCH samples: x is\n"
	    " * [BATCH][IN_SIZE], y [BATCH]%s.  Returns the batch's loss.%s */\n"
	    "float %s_train_step(%s *m, const %s *x, const %s *y);\n"
	    "/* Forward and backward without the update: the loss, and the\n"
	    " * gradients in the \"grad.*\" tensors. */\n"
	    "float %s_gradient(%s *m, const %s *x, const %s *y);\n"
	    "/* The training-mode loss of a batch, nothing else. */\n"
	    "float %s_loss(%s *m, const %s *x, const %s *y);\n"
	    "/* Eval mode, any n: out is [n][OUT_SIZE]. */\n"
	    "void %s_predict(%s *m, const %s *x, float *out, int n);\n"
	    "/* Mean loss over n samples; accuracy (class labels) if non-NULL. */\n"
	    "float %s_evaluate(%s *m, const %s *x, const %s *y, int n,\n"
	    "                  float *accuracy);\n"
	    "void %s_set_lr(%s *m, float lr);\n"
	    "float %s_get_lr(const %s *m);\n"
	    "/* safetensors checkpoints; 0 on success, else -1 and a message on\n"
	    " * stderr.  A failed load leaves the model's tensors unspecified. */\n"
	    "int %s_save(const %s *m, const char *path);\n"
	    "int %s_load(%s *m, const char *path);\n"
	    "/* A tensor by its checkpoint name (\"linear1.weight\"), or by\n"
	    " * \"grad.<name>\"; NULL if there is none. */\n"
	    "float *%s_tensor(%s *m, const char *name, long *numel);\n\n",
	    n, n, n, n, n, n, n, up, lt[0] == 'i' ? " class indices" :
	    "[TARGET_SIZE] targets", sgd_gemm ? "\n * SGD steps the "
	    "weights of linear layers as their gradients are\n * made (fusion "
	    "sgd_gemm): their grad.* tensors hold what _gradient\n * last "
	    "wrote." : "", n, n, it, lt, n, n, it, lt, n, n, it, lt, n, n,
	    it, n, n, it, lt, n, n, n, n, n, n, n, n, n, n);
	if (r->mixup)
		buf_printf(h,
		    "/* mixup (the recipe mixes): while y2 is set, the training loss of\n"
		    " * _train_step, _gradient and _loss is λ·L(y) + (1−λ)·L(y2), y2 [BATCH]\n"
		    " * class indices; _set_mix(m, NULL, 1) ends it.  _evaluate never mixes.\n"
		    " * _train_step_mix is one step with the mix set for it alone. */\n"
		    "void %s_set_mix(%s *m, const int32_t *y2, float lambda);\n"
		    "float %s_train_step_mix(%s *m, const %s *x, const int32_t *y,\n"
		    "                        const int32_t *y2, float lambda);\n\n",
		    n, n, n, n, it);
	buf_printf(h, "/* Built with -DNNCC_PROFILE (nncc --profile): the time of every op\n"
	              " * of the training steps so far, as a table on stderr. */\n"
	              "void %s_profile_print(void);\n\n#endif\n", n);
}

/* A draw of n values at dst from N(0, std²), or U(±√3·std) (the same
 * std) when uniform. */
static void emit_draw(Emit *e, const char *dst, long n, int uniform,
                      double std, const char *what)
{
	Ctx *c = e->c;
	if (uniform)
		emit_line(e, "nn_init_uniform(%s, %ld, %s, &r);  /* %s; U(±√3·std) "
		             "*/", dst, n, cfloat(c, sqrt(3.0) * std), what);
	else
		emit_line(e, "nn_init_normal(%s, %ld, %s, &r);  /* %s; N(0, std²) */",
		          dst, n, cfloat(c, std), what);
}

/* Initial values: the RNG stream is drawn in parameter order. */
static void emit_init_param(Emit *e, const Node *p)
{
	Ctx *c = e->c;
	const ParamAttr *a = p->attr;
	long n = node_numel(c, p);
	const char *dst = ptr(c, p);
	int fan = a->use_fan_out ? a->fan_out : a->fan_in;
	switch (a->init) {
	case INIT_TORCH:
		emit_line(e, "nn_init_uniform(%s, %ld, %s, &r);  /* %s: U(±1/√%d) */",
		          dst, n, cfloat(c, 1 / sqrt(a->fan_in)), p->name, a->fan_in);
		break;
	case INIT_KAIMING:
		emit_draw(e, dst, n, a->uniform, a->gain / sqrt(fan),
		          ctx_sprintf(c, "%s: kaiming, std = %.4g/√%s %d", p->name,
		                      a->gain, a->use_fan_out ? "fan_out" : "fan_in",
		                      fan));
		break;
	case INIT_XAVIER:
		emit_draw(e, dst, n, a->uniform,
		          a->gain * sqrt(2.0 / (a->fan_in + a->fan_out)),
		          ctx_sprintf(c, "%s: xavier, std = %.4g·√(2/(%d+%d))",
		                      p->name, a->gain, a->fan_in, a->fan_out));
		break;
	case INIT_NORMAL:
		emit_line(e, "nn_init_normal(%s, %ld, %s, &r);  /* %s: N(0, %g²) */",
		          dst, n, cfloat(c, a->std), p->name, a->std);
		break;
	case INIT_UNIFORM:
		emit_line(e, "nn_init_uniform(%s, %ld, %s, &r);  /* %s: U(±%g) */",
		          dst, n, cfloat(c, a->bound), p->name, a->bound);
		break;
	case INIT_ZEROS:
	case INIT_ONES:
		emit_line(e, "nn_init_const(%s, %ld, %s);  /* %s */", dst, n,
		          a->init == INIT_ONES ? "1" : "0", p->name);
		break;
	case INIT_CONST:
		emit_line(e, "nn_init_const(%s, %ld, %s);  /* %s */", dst, n,
		          cfloat(c, a->value), p->name);
		break;
	default:
		bug("init %d", a->init);
	}
}

/* Saved tensors: parameters and persistent state, in node order. */
static int saved(const Node *n)
{
	return n->st == ST_PARAM || n->st == ST_STATE;
}

/* mixup: the second labels and λ ride in the model for one step; the
 * loss and its gradient read them (Emit.mix). */
static void emit_mix_api(Emit *e)
{
	const char *n = e->c->recipe.name;
	buf_printf(e->b,
	    "void %s_set_mix(%s *m, const int32_t *y2, float lambda)\n{\n"
	    "\tm->mix_y = y2;\n"
	    "\tm->mix_lambda = lambda;\n}\n\n"
	    "float %s_train_step_mix(%s *m, const nn_in_t *x, const int32_t *y,\n"
	    "                        const int32_t *y2, float lambda)\n{\n"
	    "\t%s_set_mix(m, y2, lambda);\n"
	    "\tfloat loss = %s_train_step(m, x, y);\n"
	    "\t%s_set_mix(m, NULL, 1);\n"
	    "\treturn loss;\n}\n\n", n, n, n, n, n, n, n);
}

/* The index of saved tensor t in the checkpoint table. */
static int saved_index(Ctx *c, const Node *t)
{
	int k = 0;
	for (int j = 0; j < t->id; j++)
		k += saved(c->nodes[j]);
	return k;
}

/* ema{}: each shadow starts as a copy of its weights, at _init and when a
 * checkpoint without shadows (weights from elsewhere) is loaded; with
 * found (the checkpoint's found[], by saved index), only those it lacked. */
static void emit_ema_copies(Emit *e, const char *found)
{
	Ctx *c = e->c;
	for (int i = 0; i < c->nnodes; i++) {
		const Node *t = c->nodes[i];
		if (t->st != ST_PARAM || t->ema < 0)
			continue;
		const Node *s = ir_node(c, t->ema);
		if (found)
			emit_line(e, "if (!%s[%d])", found, saved_index(c, s));
		emit_line(e, "%smemcpy(%s, %s, sizeof(float) * %ld);  /* %s */",
		          found ? "\t" : "", ptr(c, s), ptr(c, t), node_numel(c, t),
		          s->name);
	}
}

static void emit_api(Emit *e)
{
	Ctx *c = e->c;
	const Recipe *r = &c->recipe;
	const char *n = r->name, *lt = label_t(c);
	const Node *in = ir_node(c, c->input), *pr = ir_node(c, r->predict);
	const Node *lb = ir_node(c, c->label);
	long insz = shape_numel(&in->shape, 1), outsz = shape_numel(&pr->shape, 1);
	long lbsz = shape_numel(&lb->shape, 1);
	Buf *b = e->b;

	buf_printf(b, "/* ---- the API ---- */\n\n");
	buf_printf(b,
	    "static size_t nn_round64(size_t n) { return (n + 63) & ~(size_t)63; }\n\n"
	    "size_t %s_sizeof(void)\n{\n"
	    "\treturn nn_round64(sizeof(%s)) + sizeof(float) * (size_t)(NN_PARAM +\n"
	    "\t       NN_GRAD + NN_STATE + NN_ARENA + NN_XBUF + NN_YBUF);\n}\n\n", n, n);
	buf_printf(b,
	    "%s *%s_init(void *mem, uint64_t seed)\n{\n"
	    "\t%s *m = mem;\n"
	    "\tmemset(m, 0, %s_sizeof());\n"
	    "\tm->param = (float *)((char *)mem + nn_round64(sizeof(%s)));\n"
	    "\tm->grad = m->param + NN_PARAM;\n"
	    "\tm->state_f = m->grad + NN_GRAD;\n"
	    "\tm->arena = m->state_f + NN_STATE;\n"
	    "\tm->xbuf = (nn_in_t *)(m->arena + NN_ARENA);\n"
	    "\tm->ybuf = (%s *)(m->arena + NN_ARENA + NN_XBUF);\n"
	    "#ifdef NNCC_POISON_ARENA  /* tests: a kernel that reads transient memory\n"
	    "\t                          before writing it sees NaN, not 0 */\n"
	    "\tfor (long i = 0; i < NN_ARENA; i++)\n"
	    "\t\tm->arena[i] = NAN;\n"
	    "#endif\n"
	    "\tm->lr = %s;\n"
	    "\tm->nrows = NN_BATCH;\n"
	    "\trt_rng_seed(&m->rng, seed);\n"
	    "\tRtRng r = m->rng;\n",
	    n, n, n, n, n, lt, cfloat(c, r->opt.lr));
	e->indent = 1;
	for (int i = 0; i < c->nnodes; i++) {
		const Node *p = c->nodes[i];
		if (p->st == ST_PARAM ||
		    (p->st == ST_STATE && ((ParamAttr *)p->attr)->init != INIT_ZEROS))
			emit_init_param(e, p);
	}
	emit_ema_copies(e, NULL);
	e->indent = 0;
	buf_printf(b, "\tm->rng = r;\n\treturn m;\n}\n\n");
	buf_printf(b,
	    "%s *%s_new(uint64_t seed)\n{\n"
	    "\tvoid *mem = aligned_alloc(64, nn_round64(%s_sizeof()));\n"
	    "\treturn mem ? %s_init(mem, seed) : NULL;\n}\n\n"
	    "void %s_free(%s *m)\n{\n\tfree(m);\n}\n\n", n, n, n, n, n, n);
	buf_printf(b,
	    "float %s_train_step(%s *m, const nn_in_t *x, const %s *y)\n{\n"
	    "\tm->nrows = NN_BATCH;\n"
	    "\tforward_train(m, x, y);\n"
	    "\tbackward(m, x, y, 1);\n"
	    "\tupdate(m);\n"
	    "\tm->state.step++;\n"
	    "\treturn NN_LOSS[0];\n}\n\n", n, n, lt);
	if (r->mixup)
		emit_mix_api(e);
	buf_printf(b,
	    "float %s_gradient(%s *m, const nn_in_t *x, const %s *y)\n{\n"
	    "\tm->nrows = NN_BATCH;\n"
	    "\tforward_train(m, x, y);\n"
	    "\tbackward(m, x, y, 0);\n"
	    "\treturn NN_LOSS[0];\n}\n\n", n, n, lt);
	buf_printf(b,
	    "float %s_loss(%s *m, const nn_in_t *x, const %s *y)\n{\n"
	    "\tm->nrows = NN_BATCH;\n"
	    "\tforward_train(m, x, y);\n"
	    "\treturn NN_LOSS[0];\n}\n\n", n, n, lt);
	/* chunks of a batch; the last one staged, padded with zeros */
	buf_printf(b,
	    "/* Points *xb and *yb at rows i… of x and y, staged when fewer than a batch\n"
	    " * remain; returns the number of valid rows. */\n"
	    "static int nn_chunk(%s *m, const nn_in_t *x, const %s *y, int i, int n,\n"
	    "                    const nn_in_t **xb, const %s **yb)\n{\n"
	    "\tint rows = n - i < NN_BATCH ? n - i : NN_BATCH;\n"
	    "\t*xb = x + (long)i * %ld;\n"
	    "\t*yb = y ? y + (long)i * %ld : NULL;\n"
	    "\tif (rows == NN_BATCH)\n\t\treturn rows;\n"
	    "\tmemset(m->xbuf, 0, sizeof(nn_in_t) * NN_XBUF);\n"
	    "\tmemcpy(m->xbuf, *xb, sizeof(nn_in_t) * (size_t)rows * %ld);\n"
	    "\t*xb = m->xbuf;\n"
	    "\tif (y) {\n"
	    "\t\tmemset(m->ybuf, 0, sizeof(%s) * NN_BATCH * %ld);\n"
	    "\t\tmemcpy(m->ybuf, *yb, sizeof(%s) * (size_t)rows * %ld);\n"
	    "\t\t*yb = m->ybuf;\n\t}\n"
	    "\treturn rows;\n}\n\n",
	    n, lt, lt, insz, lbsz, insz, lt, lbsz, lt, lbsz);
	buf_printf(b,
	    "void %s_predict(%s *m, const nn_in_t *x, float *out, int n)\n{\n"
	    "\tfor (int i = 0; i < n; i += NN_BATCH) {\n"
	    "\t\tconst nn_in_t *xb;\n\t\tconst %s *yb;\n"
	    "\t\tm->nrows = nn_chunk(m, x, NULL, i, n, &xb, &yb);\n"
	    "\t\tforward_eval(m, xb, NULL);\n"
	    "\t\tmemcpy(out + (long)i * %ld, NN_PREDICT, sizeof(float) * "
	    "(size_t)m->nrows * %ld);\n"
	    "\t}\n\tm->nrows = NN_BATCH;\n}\n\n", n, n, lt, outsz, outsz);
	buf_printf(b,
	    "float %s_evaluate(%s *m, const nn_in_t *x, const %s *y, int n,\n"
	    "                  float *accuracy)\n{\n"
	    "\tdouble loss = 0;\n\tlong correct = 0;\n"
	    "\tfor (int i = 0; i < n; i += NN_BATCH) {\n"
	    "\t\tconst nn_in_t *xb;\n\t\tconst %s *yb;\n"
	    "\t\tint rows = m->nrows = nn_chunk(m, x, y, i, n, &xb, &yb);\n"
	    "\t\tforward_eval(m, xb, yb);\n"
	    "\t\tloss += (double)NN_LOSS[0] * rows;\n", n, n, lt, lt);
	/* the loss knows what a correct prediction is, if anything */
	const Node *loss = ir_node(c, r->loss);
	if (loss->op->emit_correct) {
		e->indent = 2;
		loss->op->emit_correct(e, loss, pr);
		e->indent = 0;
	}
	buf_printf(b,
	    "\t}\n\tm->nrows = NN_BATCH;\n"
	    "\tif (accuracy)\n\t\t*accuracy = n ? (float)((double)correct / n) : 0;\n"
	    "\treturn n ? (float)(loss / n) : 0;\n}\n\n");
	buf_printf(b,
	    "void %s_set_lr(%s *m, float lr)\n{\n\tm->lr = lr;\n}\n\n"
	    "float %s_get_lr(const %s *m)\n{\n\treturn m->lr;\n}\n\n", n, n, n, n);

	/* checkpoint table */
	int nt = 0;
	buf_printf(b, "/* Checkpoint tensors: parameters, then state. */\n"
	              "static const struct {\n\tconst char *name;\n\tint region;"
	              "  /* 0 param, 1 state */\n\tlong off;\n\tint rank;\n"
	              "\tint64_t shape[4];\n} nn_saved[] = {\n");
	for (int i = 0; i < c->nnodes; i++) {
		const Node *t = c->nodes[i];
		if (!saved(t))
			continue;
		if (t->shape.n > 4)
			bug("%s has rank %d", t->name, t->shape.n);
		buf_printf(b, "\t{%s, %d, %ld, %d, {", cstr(c, t->name),
		           t->st == ST_STATE, t->off, t->shape.n);
		for (int k = 0; k < t->shape.n; k++)
			buf_printf(b, "%s%d", k ? ", " : "", t->shape.d[k]);
		buf_printf(b, "}},\n");
		nt++;
	}
	buf_printf(b, "};\nenum { NN_NSAVED = %d };\n\n", nt);
	buf_printf(b,
	    "static void nn_table(const %s *m, RtTensor *t)\n{\n"
	    "\tfor (int i = 0; i < NN_NSAVED; i++) {\n"
	    "\t\tt[i].name = nn_saved[i].name;\n"
	    "\t\tt[i].rank = nn_saved[i].rank;\n"
	    "\t\tmemcpy(t[i].shape, nn_saved[i].shape, sizeof t[i].shape);\n"
	    "\t\tt[i].data = (nn_saved[i].region ? m->state_f : m->param) + "
	    "nn_saved[i].off;\n"
	    "\t\tt[i].optional = nn_saved[i].region != 0;  /* weights from "
	    "elsewhere */\n"
	    "\t}\n}\n\n", n);
	buf_printf(b,
	    "int %s_save(const %s *m, const char *path)\n{\n"
	    "\tRtTensor t[NN_NSAVED];\n\tRtMeta meta = {0};\n\tRtErr err;\n"
	    "\tnn_table(m, t);\n"
	    "\trt_meta_set(&meta, \"nncc_model\", %s);\n"
	    "\trt_meta_set(&meta, \"nncc_model_hash\", NN_MODEL_HASH);\n"
	    "\trt_state_to_meta(&m->state, &meta);\n"
	    "\tif (rt_st_save(path, t, NN_NSAVED, &meta, &err) < 0) {\n"
	    "\t\tfprintf(stderr, \"%%s\\n\", err.msg);\n\t\treturn -1;\n\t}\n"
	    "\treturn 0;\n}\n\n", n, n, cstr(c, n));
	buf_printf(b,
	    "int %s_load(%s *m, const char *path)\n{\n"
	    "\tRtTensor t[NN_NSAVED];\n\tRtMeta meta = {0};\n\tRtErr err;\n"
	    "\tnn_table(m, t);\n", n, n);
	if (r->ema_decay > 0) {
		buf_printf(b,
		    "\tint found[NN_NSAVED];\n"
		    "\tif (rt_st_load_found(path, t, NN_NSAVED, &meta, found, &err) "
		    "< 0) {\n"
		    "\t\tfprintf(stderr, \"%%s\\n\", err.msg);\n\t\treturn -1;\n\t}\n"
		    "\t/* weights from elsewhere: the EMA starts at them */\n");
		e->indent = 1;
		emit_ema_copies(e, "found");
		e->indent = 0;
	} else {
		buf_printf(b,
		    "\tif (rt_st_load(path, t, NN_NSAVED, &meta, &err) < 0) {\n"
		    "\t\tfprintf(stderr, \"%%s\\n\", err.msg);\n\t\treturn -1;\n\t}\n");
	}
	buf_printf(b,
	    "\tconst char *h = rt_meta_get(&meta, \"nncc_model_hash\");\n"
	    "\tif (h && strcmp(h, NN_MODEL_HASH)) {\n"
	    "\t\tfprintf(stderr, \"%%s: checkpoint of another model (hash %%s; "
	    "this model is %%s)\\n\", path, h, NN_MODEL_HASH);\n"
	    "\t\treturn -1;\n\t}\n"
	    "\tif (rt_meta_get(&meta, \"step\") &&\n"
	    "\t    rt_state_from_meta(&m->state, &meta, path, &err) < 0) {\n"
	    "\t\tfprintf(stderr, \"%%s\\n\", err.msg);\n\t\treturn -1;\n\t}\n"
	    "\treturn 0;\n}\n\n");
	/* tensor lookup */
	buf_printf(b,
	    "float *%s_tensor(%s *m, const char *name, long *numel)\n{\n"
	    "\tstatic const struct {\n\t\tconst char *name;\n\t\tint region;\n"
	    "\t\tlong off, numel;\n\t} all[] = {\n", n, n);
	for (int i = 0; i < c->nnodes; i++) {
		const Node *t = c->nodes[i];
		if (t->st != ST_PARAM && t->st != ST_STATE && t->st != ST_GRAD)
			continue;
		buf_printf(b, "\t\t{%s, %d, %ld, %ld},\n", cstr(c, t->name),
		           t->st == ST_PARAM ? 0 : t->st == ST_STATE ? 1 : 2, t->off,
		           node_numel(c, t));
	}
	buf_printf(b,
	    "\t};\n"
	    "\tfor (size_t i = 0; i < sizeof all / sizeof *all; i++)\n"
	    "\t\tif (!strcmp(all[i].name, name)) {\n"
	    "\t\t\tif (numel)\n\t\t\t\t*numel = all[i].numel;\n"
	    "\t\t\tfloat *base = all[i].region == 0 ? m->param :\n"
	    "\t\t\t              all[i].region == 1 ? m->state_f : m->grad;\n"
	    "\t\t\treturn base + all[i].off;\n\t\t}\n"
	    "\treturn NULL;\n}\n\n");
}

/* A list of numbers as a static float array of main(). */
static void emit_floats(Emit *e, const char *name, const NumList *l)
{
	buf_printf(e->b, "\tstatic const float %s[%d] = {", name, l->n);
	for (int i = 0; i < l->n; i++)
		buf_printf(e->b, "%s%s", i ? ", " : "", cfloat(e->c, l->v[i]));
	buf_printf(e->b, "};\n");
}

/* What the recipe's data options point to: normalize's mean and std, the
 * augmentations; only what the recipe has, so a trainer without them
 * reads as before. */
static void emit_data_arrays(Emit *e)
{
	static const char *kind[] = {"", "RT_AUG_HFLIP", "RT_AUG_CROP",
	                             "RT_AUG_CUTOUT", "RT_AUG_ERASE",
	                             "RT_AUG_MIXUP"};
	Ctx *c = e->c;
	const Recipe *r = &c->recipe;
	if (r->train.mean.n) {
		emit_floats(e, "train_mean", &r->train.mean);
		emit_floats(e, "train_std", &r->train.std);
	}
	if (r->valid.kind && r->valid.mean.n) {
		emit_floats(e, "valid_mean", &r->valid.mean);
		emit_floats(e, "valid_std", &r->valid.std);
	}
	if (!r->naugment)
		return;
	buf_printf(e->b, "\tstatic const RtAugment augment[%d] = {\n",
	           r->naugment);
	for (int i = 0; i < r->naugment; i++) {
		const AugSpec *a = &r->augment[i];
		buf_printf(e->b, "\t\t{.kind = %s", kind[a->kind]);
		switch (a->kind) {
		case AUG_HFLIP:
			buf_printf(e->b, ", .p = %s", cfloat(c, a->p));
			break;
		case AUG_CROP:
		case AUG_CUTOUT:
			buf_printf(e->b, ", .size = %d", a->size);
			break;
		case AUG_ERASE:
			buf_printf(e->b, ", .p = %s, .scale = {%s, %s},\n\t\t "
			           ".ratio = {%s, %s}, .value = %s", cfloat(c, a->p),
			           cfloat(c, a->scale.v[0]), cfloat(c, a->scale.v[1]),
			           cfloat(c, a->ratio.v[0]), cfloat(c, a->ratio.v[1]),
			           cfloat(c, a->value));
			break;
		case AUG_MIXUP:
			buf_printf(e->b, ", .alpha = %s", cfloat(c, a->alpha));
			break;
		}
		buf_printf(e->b, "},  /* %s:%d */\n", ccomment(c, a->pos.file),
		           a->pos.line);
	}
	buf_printf(e->b, "\t};\n");
}

static void emit_data_options(Emit *e)
{
	static const char *balance[] = {"RT_BALANCE_NONE", "RT_BALANCE_OVER",
	                                "RT_BALANCE_UNDER"};
	const Recipe *r = &e->c->recipe;
	Buf *b = e->b;
	if (r->train.mean.n)
		buf_printf(b, "\t\t.train_norm = {%d, train_mean, train_std},\n",
		           r->train.mean.n);
	if (r->valid.kind && r->valid.mean.n)
		buf_printf(b, "\t\t.valid_norm = {%d, valid_mean, valid_std},\n",
		           r->valid.mean.n);
	if (r->naugment)
		buf_printf(b, "\t\t.augment = augment,\n\t\t.naugment = %d,\n",
		           r->naugment);
	if (r->balance)
		buf_printf(b, "\t\t.balance = %s,\n", balance[r->balance]);
	if (r->drop_last)
		buf_printf(b, "\t\t.drop_last = 1,\n");
}

/* The recipe's monitor, best checkpoint and prior, when it has them. */
static void emit_driver_keys(Ctx *c, Buf *b)
{
	const Recipe *r = &c->recipe;
	static const char *prior[] = {"RT_PRIOR_NONE", "RT_PRIOR_SOFTMAX",
	                              "RT_PRIOR_SIGMOID"};
	if (r->monitor)
		buf_printf(b, "\t\t.monitor = RT_MONITOR_VALID_ACC,\n");
	if (r->ckpt_best)
		buf_printf(b, "\t\t.ckpt_best = %s,\n", cstr(c, r->ckpt_best));
	if (r->prior)
		buf_printf(b, "\t\t.prior = %s,\n\t\t.prior_bias = %s,\n",
		           prior[r->prior], cstr(c, r->prior_bias));
}

/* The RtRecipe fields of the warmup's start and the plateau schedule. */
static void emit_recipe_sched(Emit *e)
{
	Ctx *c = e->c;
	const Recipe *r = &c->recipe;
	buf_printf(e->b, "\t\t.warmup_start = %s,\n", cfloat(c, r->warmup_start));
	if (r->sched != SCHED_PLATEAU)
		return;
	buf_printf(e->b, "\t\t.plateau_factor = %s,\n\t\t.plateau_patience = %d,\n"
	                 "\t\t.plateau_threshold = %s,\n\t\t.plateau_cooldown = "
	                 "%d,\n", cfloat(c, r->plateau_factor), r->plateau_patience,
	           cfloat(c, r->plateau_threshold), r->plateau_cooldown);
}

static void emit_main(Emit *e)
{
	Ctx *c = e->c;
	const Recipe *r = &c->recipe;
	const char *n = r->name;
	const Node *in = ir_node(c, c->input), *lb = ir_node(c, c->label);
	Buf *b = e->b;
	buf_printf(b, "/* ---- the trainer: the recipe of %s ---- */\n",
	           ccomment(c, c->script));
	buf_printf(b, "#ifndef NNCC_NO_MAIN\n\n");
	buf_printf(b,
	    "static size_t v_size(void) { return %s_sizeof(); }\n"
	    "static void *v_init(void *mem, uint64_t seed) { return %s_init(mem, "
	    "seed); }\n"
	    "static float v_train_step(void *m, const float *x, const void *y)\n"
	    "{\n\treturn %s_train_step(m, (const void *)x, y);\n}\n"
	    "static float v_evaluate(void *m, const float *x, const void *y, int n,"
	    "\n                        float *acc)\n"
	    "{\n\treturn %s_evaluate(m, (const void *)x, y, n, acc);\n}\n"
	    "static void v_set_lr(void *m, float lr) { %s_set_lr(m, lr); }\n"
	    "static int v_save(const void *m, const char *path) { return %s_save(m, "
	    "path); }\n"
	    "static int v_load(void *m, const char *path) { return %s_load(m, "
	    "path); }\n"
	    "static RtState *v_state(void *m) { return &((%s *)m)->state; }\n"
	    "static float *v_tensor(void *m, const char *name, long *numel)\n"
	    "{\n\treturn %s_tensor(m, name, numel);\n}\n"
	    "%s"
	    "#ifdef _OPENMP\n"
	    "#include <omp.h>\n"
	    "static void v_set_threads(int n) { omp_set_num_threads(n); }\n"
	    "#else\n"
	    "#define v_set_threads NULL\n"
	    "#endif\n\n",
	    n, n, n, n, n, n, n, n, n, r->mixup ? ctx_sprintf(c,
	    "static float v_train_step_mix(void *m, const float *x, const void *y,\n"
	    "                              const void *y2, float lambda)\n"
	    "{\n\treturn %s_train_step_mix(m, (const void *)x, y, y2, lambda);\n}\n",
	    n) : "");
	buf_printf(b, "int main(int argc, char **argv)\n{\n");
	buf_printf(b, "\tstatic const RtModel model = {\n");
	buf_printf(b, "\t\t.name = %s,\n", cstr(c, n));
	buf_printf(b, "\t\t.batch = NN_BATCH,\n");
	buf_printf(b, "\t\t.in_dim = %ld,\n", shape_numel(&in->shape, 1));
	if (in->dtype == DT_I32)
		buf_printf(b, "\t\t.in_int32 = 1,\n");
	buf_printf(b, "\t\t.in_rank = %d,\n", in->shape.n - 1);
	buf_printf(b, "\t\t.in_dims = {");
	for (int i = 1; i < in->shape.n && i <= 3; i++)
		buf_printf(b, "%s%d", i > 1 ? ", " : "", in->shape.d[i]);
	buf_printf(b, "},\n");
	if (lb->dtype == DT_I32)
		buf_printf(b, "\t\t.label_kind = RT_LABEL_CLASS,\n\t\t.classes = %d,\n",
		           ((SourceAttr *)lb->attr)->classes);
	else
		buf_printf(b, "\t\t.label_kind = RT_LABEL_FLOAT,\n\t\t.target_dim = "
		              "%ld,\n", shape_numel(&lb->shape, 1));
	buf_printf(b,
	    "\t\t.size = v_size,\n\t\t.init = v_init,\n"
	    "\t\t.train_step = v_train_step,\n\t\t.evaluate = v_evaluate,\n"
	    "\t\t.set_lr = v_set_lr,\n\t\t.save = v_save,\n\t\t.load = v_load,\n"
	    "\t\t.state = v_state,\n\t\t.set_threads = v_set_threads,\n"
	    "\t\t.tensor = v_tensor,\n%s\t};\n",
	    r->mixup ? "\t\t.train_step_mix = v_train_step_mix,\n" : "");
	emit_data_arrays(e);
	buf_printf(b, "\tstatic const RtRecipe recipe = {\n");
	buf_printf(b, "\t\t.epochs = %d,\n\t\t.seed = %" PRIu64 ",\n"
	              "\t\t.shuffle = %d,\n\t\t.lr = %s,\n",
	           r->epochs, r->seed, r->shuffle, cfloat(c, r->opt.lr));
	static const char *sched[] = {"RT_SCHED_CONSTANT", "RT_SCHED_STEP",
	                              "RT_SCHED_EXP", "RT_SCHED_COSINE",
	                              "RT_SCHED_PLATEAU"};
	buf_printf(b, "\t\t.sched = %s,\n\t\t.sched_every = %s,\n"
	              "\t\t.sched_gamma = %s,\n\t\t.warmup = %s,\n"
	              "\t\t.min_lr = %s,\n", sched[r->sched],
	           cfloat(c, r->sched_every), cdouble(c, r->sched_gamma),
	           cfloat(c, r->warmup), cfloat(c, r->min_lr));
	emit_recipe_sched(e);
	const DataSpec *ds[2] = {&r->train, &r->valid};
	for (int k = 0; k < 2; k++) {
		const DataSpec *d = ds[k];
		buf_printf(b, "\t\t.%s = {", k ? "valid" : "train");
		if (d->kind)
			buf_printf(b, "%s, %s, %s, %d, %d, %s",
			           d->kind == 1 ? "RT_DATA_IDX" : "RT_DATA_CSV",
			           cstr(c, d->a), d->b ? cstr(c, d->b) : "NULL",
			           d->label_col, d->header, cfloat(c, d->scale));
		else
			buf_printf(b, "RT_DATA_NONE, NULL, NULL, 0, 0, 1.0f");
		buf_printf(b, "},\n");
	}
	buf_printf(b, "\t\t.split = %s,\n", cfloat(c, r->split));
	buf_printf(b, "\t\t.ckpt_path = %s,\n\t\t.ckpt_every = %d,\n",
	           r->ckpt_path ? cstr(c, r->ckpt_path) : "NULL", r->ckpt_every);
	buf_printf(b, "\t\t.patience = %d,\n\t\t.min_delta = %s,\n",
	           r->patience, cfloat(c, r->min_delta));
	emit_data_options(e);
	emit_driver_keys(c, b);
	buf_printf(b, "\t};\n\tint rc = rt_train_main(&model, &recipe, argc, argv);\n"
	              "#ifdef NNCC_PROFILE\n\t%s_profile_print();\n#endif\n"
	              "\treturn rc;\n}\n\n#endif\n", c->recipe.name);
}

static void write_file(const char *path, const Buf *b)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		user_error("nncc", "output path too long: %s", path);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		user_error("nncc", "cannot write %s", tmp);
	int ok = fwrite(b->s, 1, b->len, f) == b->len;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path) != 0) {
		remove(tmp);
		user_error("nncc", "cannot write %s", path);
	}
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

void emit_c(Ctx *c, const char *cpath, const char *hpath, const EmitOpts *o)
{
	const Recipe *r = &c->recipe;
	const char *n = r->name;
	Buf b = {0}, h = {0};
	Emit e = {.c = c, .b = &b, .mix = r->mixup};
	const Node *lb = ir_node(c, c->label);
	long lbsz = shape_numel(&lb->shape, 1);

	emit_header(c, &h, basename_of(hpath));
	buf_printf(&b, "/*\n * %s — generated by nncc %s from %s; do not edit.\n"
	               " *\n * Model %s: batch %d, %ld parameters.\n"
	               " * Memory: parameters %ld, gradients %ld, optimizer state "
	               "%ld,\n * arena %ld floats (naive sum of transients %ld).\n"
	               " *\n * cc -O2 -march=native %s libnncc_rt.a -lm  (add "
	               "-fopenmp for threads)\n */\n",
	           ccomment(c, basename_of(cpath)), NNCC_VERSION,
	           ccomment(c, c->script), n, r->batch, c->nparam, c->nparam,
	           c->ngrad, c->nstate, c->narena, c->naive_arena,
	           ccomment(c, basename_of(cpath)));
	/* --isa narrows the choice the prelude makes from the compiler's
	 * target; the same defines can be given to cc instead. */
	if (!strcmp(o->isa, "scalar"))
		buf_puts(&b, "#define NNCC_NO_AVX512 1\n#define NNCC_NO_AVX2 1\n");
	else if (!strcmp(o->isa, "avx2"))
		buf_puts(&b, "#define NNCC_NO_AVX512 1\n");
	if (o->profile)
		buf_puts(&b, "#define NNCC_PROFILE 1\n");
	buf_printf(&b, "#include <math.h>\n#include <stdint.h>\n#include <stdio.h>\n"
	               "#include <stdlib.h>\n#include <string.h>\n\n"
	               "#include \"nncc_rt.h\"\n#include \"%s\"\n\n",
	           basename_of(hpath));
	buf_puts(&b, prelude);
	buf_printf(&b, "\ntypedef %s nn_in_t;     /* an input element */\n", in_t(c));
	buf_printf(&b, "\n/* ---- memory: sizes in floats ---- */\n");
	buf_printf(&b, "#define NN_BATCH %d\n", r->batch);
	buf_printf(&b, "#define NN_PARAM %ld\n#define NN_GRAD %ld\n"
	               "#define NN_STATE %ld\n#define NN_ARENA %ld\n",
	           c->nparam, c->ngrad, c->nstate, c->narena);
	buf_printf(&b, "#define NN_XBUF %ld   /* a staged batch of inputs */\n",
	           shape_numel(&ir_node(c, c->input)->shape, r->batch));
	buf_printf(&b, "#define NN_YBUF %ld   /* and of labels (as floats) */\n",
	           lbsz * r->batch);
	buf_printf(&b, "#define NN_MODEL_HASH \"%016" PRIx64 "\"\n", c->hash);
	buf_printf(&b, "#define NN_LOSS (%s)\n", ptr(c, ir_node(c, r->loss)));
	buf_printf(&b, "#define NN_PREDICT (%s)\n\n",
	           ptr(c, ir_node(c, r->predict)));
	buf_printf(&b,
	    "struct %s {\n"
	    "\tfloat lr;            /* learning rate of the next step */\n"
	    "\tint nrows;           /* valid rows of the current batch */\n"
	    "\tRtState state;       /* epoch, step, data order: saved */\n"
	    "\tRtRng rng;           /* the model's own randomness */\n"
	    "\tfloat *param, *grad, *state_f, *arena;\n"
	    "\tnn_in_t *xbuf;\n"
	    "\t%s *ybuf;\n"
	    "%s"
	    "};\n\n", n, label_t(c), r->mixup ?
	    "\tconst int32_t *mix_y;  /* mixup: the second labels, or NULL */\n"
	    "\tfloat mix_lambda;      /* and the first labels' share */\n" : "");
	emit_profile(&e);
	buf_printf(&b, "/* ---- forward (training mode) ---- */\n\n");
	emit_phase(&e, "forward_train", PH_FWD, 0);
	buf_printf(&b, "/* ---- forward (evaluation mode: predict, evaluate) ---- "
	               "*/\n\n");
	emit_phase(&e, "forward_eval", PH_FWD, 1);
	buf_printf(&b, "/* ---- backward ---- */\n\n");
	emit_phase(&e, "backward", PH_BWD, 0);
	buf_printf(&b, "/* ---- optimizer update: %s ---- */\n\n",
	           r->opt.def->name);
	emit_phase(&e, "update", PH_UPD, 0);
	emit_api(&e);
	emit_profile_print(&e);
	emit_main(&e);
	write_file(hpath, &h);
	write_file(cpath, &b);
	buf_free(&b);
	buf_free(&h);
}
