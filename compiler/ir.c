/*
 * ir.c — the graph: node creation, shapes, the dump, the verifier and the
 * model hash.
 */
#include <stdlib.h>
#include <string.h>

#include "nncc.h"

Node *ir_node(Ctx *c, int id)
{
	if (id < 0 || id >= c->nnodes)
		bug("node %d out of range (have %d)", id, c->nnodes);
	return c->nodes[id];
}

long shape_numel(const Shape *s, int batch)
{
	long n = 1;
	for (int i = 0; i < s->n; i++) {
		long d = s->d[i] == BATCH ? batch : s->d[i];
		if (d > 0 && n > NUMEL_SAT / d)
			return NUMEL_SAT;
		n *= d;
	}
	return n;
}

int shape_eq(const Shape *a, const Shape *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (a->d[i] != b->d[i])
			return 0;
	return 1;
}

const char *shape_str(Ctx *c, const Shape *s)
{
	Buf b = {0};
	buf_puts(&b, "[");
	for (int i = 0; i < s->n; i++) {
		if (s->d[i] == BATCH)
			buf_printf(&b, "%sB", i ? "," : "");
		else
			buf_printf(&b, "%s%d", i ? "," : "", s->d[i]);
	}
	buf_puts(&b, "]");
	char *r = ctx_strdup(c, b.s);
	buf_free(&b);
	return r;
}

long node_numel(Ctx *c, const Node *n)
{
	return shape_numel(&n->shape, c->recipe.batch);
}

double node_bytes(Ctx *c, const Node *n)
{
	double b = n->st == ST_NONE ? 0 : 4.0 * node_numel(c, n);
	for (int i = 0; i < n->nin; i++)
		b += 4.0 * node_numel(c, ir_node(c, n->in[i]));
	return b;
}

const char *ir_size_error(Ctx *c, const Node *n, int batch)
{
	const char *what = n->name ? n->name : n->op->traits & OT_SOURCE ?
	                   "the tensor" : "the output";
	for (int i = 0; i < n->shape.n; i++)
		if (n->shape.d[i] != BATCH && n->shape.d[i] < 1)
			return ctx_sprintf(c, "%s %s has an empty dimension", what,
			                   shape_str(c, &n->shape));
	long k = shape_numel(&n->shape, batch > 0 ? batch : 1);
	if (k <= MAX_NUMEL)
		return NULL;
	double v = 1;       /* the true count, for the message */
	int batched = 0;
	for (int i = 0; i < n->shape.n; i++) {
		batched |= n->shape.d[i] == BATCH;
		v *= n->shape.d[i] == BATCH ? (batch > 0 ? batch : 1)
		                            : n->shape.d[i];
	}
	return ctx_sprintf(c, "%s %s would hold %.*g values%s%s; a tensor holds "
	                      "at most 2147483647 (2^31 - 1)", what,
	                   shape_str(c, &n->shape), v < 1e15 ? 15 : 3, v,
	                   batched ? (batch > 0 ? " at batch " : " per sample")
	                           : "",
	                   batched && batch > 0 ? ctx_sprintf(c, "%d", batch)
	                                        : "");
}

static Node *new_node(Ctx *c, const OpDef *op, const int *in, int nin,
                      void *attr, Pos pos)
{
	if (nin > MAXIN)
		bug("%s: %d inputs", op->name, nin);
	if (c->nnodes == c->capnodes) {
		int cap = c->capnodes ? 2 * c->capnodes : 256;
		Node **nodes = ctx_alloc(c, sizeof *nodes * (size_t)cap);
		if (c->nnodes)
			memcpy(nodes, c->nodes, sizeof *nodes * (size_t)c->nnodes);
		c->nodes = nodes;
		c->capnodes = cap;
	}
	Node *n = ctx_alloc(c, sizeof *n);
	n->id = c->nnodes;
	n->op = op;
	n->nin = nin;
	for (int i = 0; i < nin; i++)
		n->in[i] = in[i];
	n->attr = attr;
	n->pos = pos;
	n->grad = -1;
	n->ema = -1;
	n->order = -1;
	n->st = ST_ARENA;
	n->phase = PH_FWD;
	if (op->traits & OT_UPDATE)
		n->st = ST_NONE;
	c->nodes[c->nnodes] = n;
	return n;
}

Node *ir_add(Ctx *c, const OpDef *op, const int *in, int nin, void *attr,
             Pos pos, const char **err)
{
	Node *n = new_node(c, op, in, nin, attr, pos);
	*err = op->shape ? op->shape(c, n) : NULL;
	if (*err)
		return NULL;     /* not committed: the slot is reused */
	c->nnodes++;
	return n;
}

int ir_make(Ctx *c, const OpDef *op, Phase ph, const int *in, int nin,
            void *attr, Pos pos)
{
	const char *err;
	Node *n = ir_add(c, op, in, nin, attr, pos, &err);
	if (!n)
		bug("%s: %s", op->name, err);
	n->phase = ph;
	return n->id;
}

int ir_make1(Ctx *c, const OpDef *op, Phase ph, int a, void *attr, Pos pos)
{
	return ir_make(c, op, ph, &a, 1, attr, pos);
}

int ir_make2(Ctx *c, const OpDef *op, Phase ph, int a, int b, void *attr,
             Pos pos)
{
	int in[2] = {a, b};
	return ir_make(c, op, ph, in, 2, attr, pos);
}

static const char *phase_name[] = {"fwd", "bwd", "upd"};
static const char *storage_name[] = {"arena", "input", "label", "param",
                                     "grad", "state", "view", "none",
                                     "block"};

static void node_text(Ctx *c, Buf *b, const Node *n)
{
	buf_printf(b, "%%%d = %s", n->id, n->op->name);
	for (int i = 0; i < n->nin; i++)
		buf_printf(b, "%s%%%d", i ? ", " : " ", n->in[i]);
	if (n->op->print_attr && n->attr) {
		buf_puts(b, " {");
		n->op->print_attr(b, n);
		buf_puts(b, "}");
	}
	buf_printf(b, " : %s%s %s %s", n->dtype == DT_I32 ? "i32" : "f32",
	           shape_str(c, &n->shape), phase_name[n->phase],
	           storage_name[n->st]);
	if (n->name)
		buf_printf(b, " \"%s\"", n->name);
}

/* The IR as text, one node a line, in schedule order once there is one. */
void ir_dump(Ctx *c, FILE *f, const char *title)
{
	fprintf(f, "# after %s: %d nodes\n", title, c->nnodes);
	for (int k = 0; k < (c->nsched ? c->nsched : c->nnodes); k++) {
		Node *n = c->nodes[c->nsched ? c->sched[k] : k];
		Buf b = {0};
		node_text(c, &b, n);
		fprintf(f, "%s", b.s);
		if (n->st == ST_ARENA && c->narena)
			fprintf(f, " @%ld", n->off);
		if (n->pos.line)
			fprintf(f, "  ; line %d", n->pos.line);
		fputc('\n', f);
		buf_free(&b);
	}
}

/* Checks the invariants every pass relies on; a failure is a bug in the
 * pass named by `after`. */
void ir_verify(Ctx *c, const char *after)
{
	for (int i = 0; i < c->nnodes; i++) {
		Node *n = c->nodes[i];
		if (n->id != i)
			bug("after %s: node %d has id %d", after, i, n->id);
		if (n->op->nin >= 0 && n->nin != n->op->nin)
			bug("after %s: %%%d %s has %d inputs, wants %d", after, i,
			    n->op->name, n->nin, n->op->nin);
		for (int k = 0; k < n->nin; k++) {
			if (n->in[k] < 0 || n->in[k] >= i)
				bug("after %s: %%%d %s input %d is %%%d (not before it)",
				    after, i, n->op->name, k, n->in[k]);
			if (c->nodes[n->in[k]]->st == ST_NONE)
				bug("after %s: %%%d reads %%%d, which has no tensor",
				    after, i, n->in[k]);
		}
		if (n->shape.n < 0 || n->shape.n > MAXDIM)
			bug("after %s: %%%d rank %d", after, i, n->shape.n);
		if (n->st == ST_VIEW && node_numel(c, n) !=
		                        node_numel(c, c->nodes[n->in[0]]))
			bug("after %s: view %%%d changes the element count", after, i);
		if (n->st == ST_BLOCK &&
		    ((BlockAttr *)n->attr)->ids[0] != n->in[0])
			bug("after %s: block %%%d does not start at its in[0]", after,
			    i);
		if (n->st == ST_PARAM && n->grad >= 0 &&
		    !shape_eq(&n->shape, &c->nodes[n->grad]->shape))
			bug("after %s: %%%d's gradient %%%d has another shape", after,
			    i, n->grad);
	}
	if (c->nsched) {
		for (int k = 0; k < c->nsched; k++) {
			Node *n = c->nodes[c->sched[k]];
			for (int j = 0; j < n->nin; j++) {
				Node *a = c->nodes[n->in[j]];
				if (a->order < 0 || a->order >= n->order)
					if (!(a->op->traits & OT_SOURCE) && a->st != ST_PARAM &&
					    a->st != ST_STATE)
						bug("after %s: %%%d runs before its input %%%d",
						    after, n->id, a->id);
			}
		}
	}
}

/* FNV-1a over the text of every node: ops, attributes, shapes, names.  Two
 * scripts that build the same graph get the same hash, so a checkpoint
 * loads into any build of the same model (fused or not, any batch size:
 * shapes carry the batch symbolically). */
uint64_t ir_hash(Ctx *c)
{
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < c->nnodes; i++) {
		Node *n = c->nodes[i];
		if (n->phase != PH_FWD)
			continue;
		Buf b = {0};
		node_text(c, &b, n);
		for (const char *p = b.s; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		buf_free(&b);
	}
	return h;
}

/* Keeps the nodes marked in keep[], renumbering ids and inputs. */
void ir_compact(Ctx *c, const char *keep)
{
	int *map = malloc(sizeof *map * (size_t)c->nnodes);
	if (!map)
		bug("out of memory");
	int n = 0;
	for (int i = 0; i < c->nnodes; i++)
		map[i] = keep[i] ? n++ : -1;
	for (int i = 0, j = 0; i < c->nnodes; i++) {
		Node *nd = c->nodes[i];
		if (!keep[i])
			continue;
		for (int k = 0; k < nd->nin; k++) {
			if (map[nd->in[k]] < 0)
				bug("%%%d keeps input %%%d, which was dropped", i, nd->in[k]);
			nd->in[k] = map[nd->in[k]];
		}
		if (nd->grad >= 0)
			nd->grad = map[nd->grad];
		nd->id = j;
		c->nodes[j++] = nd;
	}
	c->recipe.loss = map[c->recipe.loss];
	c->recipe.predict = map[c->recipe.predict];
	if (c->input >= 0)
		c->input = map[c->input];
	if (c->label >= 0)
		c->label = map[c->label];
	c->nnodes = n;
	free(map);
}
