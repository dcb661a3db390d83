/*
 * front.c — the Lua front end.  Runs the user's script in a sandboxed Lua
 * 5.4 state whose `require "nncc"` returns the module built here, and turns
 * each call into graph nodes, checking shapes as it goes.
 *
 * One rule: braces configure, parentheses apply.  nn.linear{256} makes a
 * layer (a userdata with __call); calling it on a tensor adds nodes.  Every
 * error is raised at the user's line: "model.lua:12: linear: …".
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nncc.h"

#define TENSOR "nncc.tensor"
#define LAYER "nncc.layer"
#define SEQ "nncc.sequential"
#define OPTIM "nncc.optim"
#define SCHED "nncc.schedule"
#define DATA "nncc.data"
#define RECIPE "nncc.recipe"
#define AUGMENT "nncc.augment"
#define INIT "nncc.init"

typedef struct Sched {
	int kind;
	double every, gamma, warmup, min_lr;
	double warmup_start, factor, threshold;  /* see sched_defs */
	int patience, cooldown;
} Sched;

static void check_arena(lua_State *L);

/* The context rides along as upvalue 1 of every module function. */
static Ctx *ctx_of(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* The user's position: the innermost Lua frame with a line, which is the
 * script's (nncc's own functions are all C). */
static Pos where(lua_State *L)
{
	lua_Debug ar;
	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		lua_getinfo(L, "Sl", &ar);
		if (ar.currentline > 0) {
			Ctx *c = ctx_of(L);
			return (Pos){c->script, ar.currentline};
		}
	}
	return (Pos){ctx_of(L)->script, 0};
}

static int raise_at(lua_State *L, Pos p, const char *what, const char *fmt,
                    va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (what)
		lua_pushfstring(L, "%s:%d: %s: %s", p.file, p.line, what, msg);
	else
		lua_pushfstring(L, "%s:%d: %s", p.file, p.line, msg);
	return lua_error(L);
}

/* Raises "file:line: what: message" at the user's line. */
static int fail(lua_State *L, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(lua_State *L, const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	return raise_at(L, where(L), what, fmt, ap);
}

static int fail_at(lua_State *L, Pos p, const char *what, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));
static int fail_at(lua_State *L, Pos p, const char *what, const char *fmt,
                   ...)
{
	va_list ap;
	va_start(ap, fmt);
	return raise_at(L, p, what, fmt, ap);
}

static const LayerDef *const all_layers[] = {
#define X(l) &layer_##l,
#include "layers.h"
#undef X
};

/* Position of def in layers.h: layers are numbered per kind. */
static int layer_index(const LayerDef *def)
{
	for (int i = 0; i < (int)(sizeof all_layers / sizeof *all_layers); i++)
		if (all_layers[i] == def)
			return i;
	bug("layer %s is not in layers.h", def->name);
}

/* ---- tensors ---------------------------------------------------------- */

static void push_tensor(lua_State *L, int id)
{
	int *u = lua_newuserdatauv(L, sizeof *u, 0);
	*u = id;
	luaL_setmetatable(L, TENSOR);
}

/* Node id of argument i, which must be a tensor. */
static int check_tensor(lua_State *L, int i, const char *what)
{
	int *u = luaL_testudata(L, i, TENSOR);
	if (!u) {
		const char *got = luaL_typename(L, i);
		if (luaL_testudata(L, i, LAYER) || luaL_testudata(L, i, SEQ))
			got = "a layer (apply it to a tensor first)";
		fail(L, what, "argument %d must be a tensor; got %s", i, got);
	}
	return *u;
}

static int tensor_tostring(lua_State *L)
{
	Ctx *c = ctx_of(L);
	Node *n = ir_node(c, *(int *)luaL_checkudata(L, 1, TENSOR));
	lua_pushfstring(L, "tensor%s (%s)", shape_str(c, &n->shape),
	                n->op->name);
	return 1;
}

/* t.shape: the per-sample dimensions, batch left out. */
static int tensor_index(lua_State *L)
{
	Ctx *c = ctx_of(L);
	Node *n = ir_node(c, *(int *)luaL_checkudata(L, 1, TENSOR));
	const char *k = luaL_checkstring(L, 2);
	if (strcmp(k, "shape"))
		return fail(L, "tensor", "no field '%s' (tensors have: shape)", k);
	lua_newtable(L);
	for (int i = 0, j = 1; i < n->shape.n; i++)
		if (n->shape.d[i] != BATCH) {
			lua_pushinteger(L, n->shape.d[i]);
			lua_rawseti(L, -2, j++);
		}
	return 1;
}

/* The nodes from `first` on, just made at p, must each fit one tensor
 * per sample (the batch is checked in nn.train, once it is known). */
static void check_new(lua_State *L, int first, Pos p, const char *what)
{
	Ctx *c = ctx_of(L);
	for (int i = first; i < c->nnodes; i++) {
		const char *err = ir_size_error(c, c->nodes[i], 0);
		if (err)
			fail_at(L, p, what, "%s", err);
	}
	check_arena(L);
}

/* Adds a node for op on inputs in[]; a shape error is the user's. */
static int add_node(lua_State *L, const OpDef *op, const char *what,
                    const int *in, int nin, void *attr)
{
	Ctx *c = ctx_of(L);
	const char *err;
	Pos p = where(L);
	Node *n = ir_add(c, op, in, nin, attr, p, &err);
	if (!n)
		fail_at(L, p, what, "%s", err);
	check_new(L, n->id, p, what);
	return n->id;
}

/* ---- configuration tables --------------------------------------------- */

static const char *kind_name[] = {"an integer", "a number", "a boolean",
                                  "a string", "a list of numbers",
                                  "a list of integers",
                                  "an init name or nn.init.…{…}"};

static void list_keys(Buf *b, const AttrKey *keys, const char *const *extra)
{
	for (const AttrKey *k = keys; k && k->key; k++)
		buf_printf(b, "%s%s", b->len ? ", " : "", k->key);
	for (; extra && *extra; extra++)
		buf_printf(b, "%s%s", b->len ? ", " : "", *extra);
}

static const AttrKey *find_key(const AttrKey *keys, const char *name)
{
	for (const AttrKey *k = keys; k && k->key; k++)
		if (!strcmp(k->key, name))
			return k;
	return NULL;
}

static const AttrKey *find_pos(const AttrKey *keys, lua_Integer i)
{
	for (const AttrKey *k = keys; k && k->key; k++)
		if (k->pos == i)
			return k;
	return NULL;
}

/* A value of key k for a message: integers in full (batch = 2^40 is
 * "1099511627776"), other numbers short. */
static const char *num_str(lua_State *L, double v, const AttrKey *k)
{
	int exact = k->kind == AK_INT || k->kind == AK_INTS;
	return ctx_sprintf(ctx_of(L), exact ? "%.15g" : "%g", v);
}

/* A list {…} of numbers, each checked against k's range; for AK_NUMS a
 * plain number is a list of one (pos_weight = 2 broadcasts like PyTorch's). */
static void set_list(lua_State *L, const char *what, const AttrKey *k,
                     NumList *l)
{
	int scalar = lua_type(L, -1) == LUA_TNUMBER;
	int n = scalar ? 1 : (int)luaL_len(L, -1);
	if (n < 1 || n > (1 << 20))
		fail(L, what, "'%s' must be a non-empty list", k->key);
	l->n = n;
	l->v = ctx_alloc(ctx_of(L), sizeof *l->v * (size_t)n);
	check_arena(L);
	for (int i = 1; i <= n; i++) {
		if (scalar)
			lua_pushvalue(L, -1);
		else
			lua_rawgeti(L, -1, i);
		double v = lua_tonumber(L, -1);
		if (lua_type(L, -1) != LUA_TNUMBER || !isfinite(v) ||
		    (k->kind == AK_INTS && v != floor(v)))
			fail(L, what, "'%s'[%d] must be %s", k->key, i,
			     k->kind == AK_INTS ? "an integer" : "a finite number");
		if (k->min <= k->max && (v < k->min || v > k->max))
			fail(L, what, "'%s'[%d] = %s is out of range [%s, %s]", k->key,
			     i, num_str(L, v, k), num_str(L, k->min, k),
			     num_str(L, k->max, k));
		l->v[i - 1] = v;
		lua_pop(L, 1);
	}
}

/* The init on top of the stack: a name or an nn.init.…{…} (whose memory
 * is Lua's, so it is copied into the context). */
static const InitSpec *check_init(lua_State *L, const char *what)
{
	Ctx *c = ctx_of(L);
	if (lua_type(L, -1) == LUA_TSTRING) {
		const char *err = NULL;
		const InitSpec *s = init_named(c, lua_tostring(L, -1), &err);
		if (!s)
			fail(L, what, "%s", err);
		return s;
	}
	InitSpec *s = ctx_alloc(c, sizeof *s);
	*s = *(InitSpec *)luaL_checkudata(L, -1, INIT);
	return s;
}

/* Stores the value on top of the stack into key k of attr. */
static void set_key(lua_State *L, const char *what, const AttrKey *k,
                    void *attr)
{
	char *dst = (char *)attr + k->off;
	int ok = 0;
	double v = 0;
	switch (k->kind) {
	case AK_INT:
		if (lua_isinteger(L, -1) ||
		    (lua_type(L, -1) == LUA_TNUMBER &&
		     lua_tonumber(L, -1) == floor(lua_tonumber(L, -1)))) {
			v = lua_tonumber(L, -1);
			ok = 1;
		}
		break;
	case AK_NUM:
		if (lua_type(L, -1) == LUA_TNUMBER) {
			v = lua_tonumber(L, -1);
			ok = isfinite(v);
		}
		break;
	case AK_BOOL:
		if (lua_isboolean(L, -1)) {
			*(int *)dst = lua_toboolean(L, -1);
			return;
		}
		break;
	case AK_STR:
		if (lua_type(L, -1) == LUA_TSTRING) {
			size_t n;
			const char *s = lua_tolstring(L, -1, &n);
			if (strlen(s) != n)
				fail(L, what, "'%s' holds a NUL byte", k->key);
			if (n > MAX_STR)
				fail(L, what, "'%s' is %zu bytes long; at most %d", k->key,
				     n, MAX_STR);
			*(const char **)dst = ctx_strdup(ctx_of(L), s);
			return;
		}
		break;
	case AK_INIT:
		if (lua_type(L, -1) == LUA_TSTRING || luaL_testudata(L, -1, INIT)) {
			*(const InitSpec **)(void *)dst = check_init(L, what);
			return;
		}
		break;
	case AK_NUMS:
	case AK_INTS:
		if (lua_istable(L, -1) ||
		    (k->kind == AK_NUMS && lua_type(L, -1) == LUA_TNUMBER)) {
			set_list(L, what, k, (NumList *)(void *)dst);
			return;
		}
		break;
	}
	if (!ok && lua_type(L, -1) == LUA_TNUMBER &&
	    (k->kind == AK_INT || k->kind == AK_NUM))
		fail(L, what, "'%s' must be %s; got %s", k->key,
		     k->kind == AK_INT ? "an integer" : "a finite number",
		     lua_tostring(L, -1));
	if (!ok)
		fail(L, what, "'%s' must be %s; got %s", k->key, kind_name[k->kind],
		     luaL_typename(L, -1));
	if (k->min <= k->max && (v < k->min || v > k->max))
		fail(L, what, "'%s' = %s is out of range [%s, %s]", k->key,
		     num_str(L, v, k), num_str(L, k->min, k), num_str(L, k->max, k));
	if (k->kind == AK_INT)
		*(int *)dst = (int)v;
	else
		*(double *)dst = v;
}

/* Distance of two short names, for "did you mean". */
static int edit_distance(const char *a, const char *b)
{
	int la = (int)strlen(a), lb = (int)strlen(b);
	if (la > 30 || lb > 30)
		return 99;
	int d[32][32];
	for (int i = 0; i <= la; i++)
		d[i][0] = i;
	for (int j = 0; j <= lb; j++)
		d[0][j] = j;
	for (int i = 1; i <= la; i++)
		for (int j = 1; j <= lb; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

static const char *nearest_key(const AttrKey *keys, const char *const *extra,
                               const char *name)
{
	const char *best = NULL;
	int bestd = 3;
	for (const AttrKey *k = keys; k && k->key; k++) {
		int d = edit_distance(name, k->key);
		if (d < bestd) {
			bestd = d;
			best = k->key;
		}
	}
	for (; extra && *extra; extra++) {
		int d = edit_distance(name, *extra);
		if (d < bestd) {
			bestd = d;
			best = *extra;
		}
	}
	return best;
}

static int is_extra(const char *const *extra, const char *name)
{
	for (; extra && *extra; extra++)
		if (!strcmp(*extra, name))
			return 1;
	return 0;
}

/* Reads the table at idx into attr by keys: defaults first, then every
 * entry, which must be a known key (or `extra`, left for the caller); then
 * the required ones must be there. */
static void parse_keys(lua_State *L, int idx, const char *what,
                       const AttrKey *keys, void *attr,
                       const char *const *extra)
{
	idx = lua_absindex(L, idx);
	for (const AttrKey *k = keys; k && k->key; k++) {
		char *dst = (char *)attr + k->off;
		if (k->kind == AK_INT || k->kind == AK_BOOL)
			*(int *)dst = (int)k->def;
		else if (k->kind == AK_NUM)
			*(double *)dst = k->def;
	}
	unsigned seen = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const AttrKey *k = NULL;
		if (lua_type(L, -2) == LUA_TSTRING) {
			const char *name = lua_tostring(L, -2);
			if (is_extra(extra, name)) {
				lua_pop(L, 1);
				continue;
			}
			if (!(k = find_key(keys, name))) {
				Buf b = {0};
				list_keys(&b, keys, extra);
				char msg[512];
				snprintf(msg, sizeof msg, "%s", b.s ? b.s : "none");
				buf_free(&b);
				const char *near = nearest_key(keys, extra, name);
				if (near)
					fail(L, what, "unknown key '%s'; did you mean '%s'? "
					              "(keys: %s)", name, near, msg);
				fail(L, what, "unknown key '%s' (keys: %s)", name, msg);
			}
		} else if (lua_isinteger(L, -2)) {
			lua_Integer i = lua_tointeger(L, -2);
			if (!(k = find_pos(keys, i)))
				fail(L, what, "too many values in {…}: value %d has no "
				              "meaning here", (int)i);
		} else {
			fail(L, what, "keys of {…} must be names");
		}
		if (seen & (1u << (k - keys)))
			fail(L, what, "'%s' is given twice", k->key);
		seen |= 1u << (k - keys);
		set_key(L, what, k, attr);
		lua_pop(L, 1);
	}
	for (const AttrKey *k = keys; k && k->key; k++)
		if (k->required && !(seen & (1u << (k - keys))))
			fail(L, what, "'%s' is required%s", k->key,
			     k->pos == 1 ? " (the first value in {…})" :
			     k->pos == 2 ? " (the second value in {…})" :
			     k->pos ? " (a value in {…})" : "");
}

/* Whether the value on top of the stack is a string that is an
 * identifier (and holds no NUL that would cut it short in C). */
static int ident_on_top(lua_State *L)
{
	size_t n;
	const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n)
	                                               : NULL;
	return s && strlen(s) == n && name_is_ident(s);
}

/* The optional name= of a configuration table, checked as an identifier. */
static const char *opt_name(lua_State *L, int idx, const char *what)
{
	lua_getfield(L, idx, "name");
	const char *s = NULL;
	if (!lua_isnil(L, -1)) {
		if (!ident_on_top(L))
			fail(L, what, "name must be an identifier "
			              "([A-Za-z_][A-Za-z0-9_]*) of at most %d "
			              "characters", MAX_NAME);
		s = ctx_strdup(ctx_of(L), lua_tostring(L, -1));
	}
	lua_pop(L, 1);
	return s;
}

/* ---- inputs ----------------------------------------------------------- */

/* nn.input{name, dims…, type=}, nn.target{name, dims…}: per-sample dims. */
static int make_source(lua_State *L, const OpDef *op, const char *what)
{
	Ctx *c = ctx_of(L);
	if (!lua_istable(L, 1))
		return fail(L, what, "is configured with braces: nn.%s{\"name\", "
		                     "dims…}", what);
	SourceAttr *a = ctx_alloc(c, sizeof *a);
	a->dtype = DT_F32;
	a->shape.d[a->shape.n++] = BATCH;
	lua_pushnil(L);
	int ndims = 0;
	while (lua_next(L, 1)) {
		if (lua_type(L, -2) == LUA_TSTRING) {
			const char *k = lua_tostring(L, -2);
			if (!strcmp(k, "type") && op == &op_input) {
				const char *t = lua_tostring(L, -1);
				if (t && !strcmp(t, "float32"))
					a->dtype = DT_F32;
				else if (t && !strcmp(t, "int32"))
					a->dtype = DT_I32;
				else
					fail(L, what, "type must be \"float32\" or \"int32\"");
			} else if (!strcmp(k, "classes") && op == &op_label) {
				if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 2 ||
				    lua_tointeger(L, -1) > (1 << 24))
					fail(L, what, "classes must be an integer ≥ 2");
				a->classes = (int)lua_tointeger(L, -1);
			} else {
				fail(L, what, "unknown key '%s' (keys: name%s)", k,
				     op == &op_label ? ", classes" : ", dims…, type");
			}
		}
		lua_pop(L, 1);
	}
	lua_rawgeti(L, 1, 1);
	if (!ident_on_top(L))
		fail(L, what, "the first value must be its name, an identifier: "
		              "nn.%s{\"image\", …}", what);
	a->name = ctx_strdup(c, lua_tostring(L, -1));
	lua_pop(L, 1);
	for (int i = 2;; i++) {
		if (lua_rawgeti(L, 1, i) == LUA_TNIL) {
			lua_pop(L, 1);
			break;
		}
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
		    lua_tointeger(L, -1) > (1 << 24))
			fail(L, what, "dimension %d must be a positive integer", i - 1);
		if (a->shape.n == MAXDIM)
			fail(L, what, "at most %d dimensions", MAXDIM - 1);
		a->shape.d[a->shape.n++] = (int)lua_tointeger(L, -1);
		lua_pop(L, 1);
		ndims++;
	}
	if (op == &op_label) {
		a->dtype = DT_I32;
		if (ndims)
			fail(L, what, "a label is one class index per sample; give "
			              "classes=, not dimensions");
		if (!a->classes)
			fail(L, what, "classes= is required: nn.label{\"%s\", classes "
			              "= 10}", a->name);
	} else if (!ndims) {
		fail(L, what, "give the per-sample dimensions: nn.%s{\"%s\", 784}",
		     what, a->name);
	}
	int *slot = op == &op_input ? &c->input : &c->label;
	if (*slot >= 0)
		fail(L, what, "a model has one %s for now", op == &op_input ?
		              "input" : "label or target");
	*slot = add_node(L, op, what, NULL, 0, a);
	Node *n = ir_node(c, *slot);
	n->st = op == &op_input ? ST_INPUT : ST_LABEL;
	n->name = a->name;
	push_tensor(L, *slot);
	return 1;
}

static int l_input(lua_State *L) { return make_source(L, &op_input, "input"); }
static int l_label(lua_State *L) { return make_source(L, &op_label, "label"); }
static int l_target(lua_State *L)
{
	return make_source(L, &op_target, "target");
}

/* ---- functions: ops applied to tensors -------------------------------- */

/* nn.<op.lua>(t1, …[, {options}]), upvalue 2 is the OpDef. */
static int l_op(lua_State *L)
{
	const OpDef *op = lua_touserdata(L, lua_upvalueindex(2));
	Ctx *c = ctx_of(L);
	if (lua_istable(L, 1) && op->nin >= 0)
		return fail(L, op->lua, "takes tensors in parentheses: nn.%s(h)",
		            op->lua);
	int in[MAXIN];
	int nin = op->nin;
	if (nin < 0) {
		/* variadic: f(a, b, …) or f{a, b, …} */
		if (lua_istable(L, 1)) {
			int n = (int)luaL_len(L, 1);
			if (n > MAXIN)
				return fail(L, op->lua, "takes at most %d tensors", MAXIN);
			lua_settop(L, 1);
			for (int i = 1; i <= n; i++)
				lua_rawgeti(L, 1, i);
			lua_remove(L, 1);
		}
		nin = 0;
		while (luaL_testudata(L, nin + 1, TENSOR)) {
			if (nin == MAXIN)
				return fail(L, op->lua, "takes at most %d tensors", MAXIN);
			nin++;
		}
		if (nin < 2)
			return fail(L, op->lua, "takes two or more tensors");
	}
	for (int i = 0; i < nin; i++)
		in[i] = check_tensor(L, i + 1, op->lua);
	void *attr = op->attr_size ? ctx_alloc(c, op->attr_size) : NULL;
	if (op->keys) {
		if (!lua_isnoneornil(L, nin + 1)) {
			luaL_checktype(L, nin + 1, LUA_TTABLE);
			parse_keys(L, nin + 1, op->lua, op->keys, attr, NULL);
		} else {
			lua_newtable(L);
			parse_keys(L, -1, op->lua, op->keys, attr, NULL);
			lua_pop(L, 1);
		}
	} else if (!lua_isnone(L, nin + 1)) {
		return fail(L, op->lua, "takes %d tensor%s; got %d arguments", nin,
		            nin == 1 ? "" : "s", lua_gettop(L));
	}
	push_tensor(L, add_node(L, op, op->lua, in, nin, attr));
	return 1;
}

/* nn.flatten(x): [B, d1, d2, …] -> [B, d1·d2·…], a view. */
static int l_flatten(lua_State *L)
{
	Ctx *c = ctx_of(L);
	if (lua_istable(L, 1))
		return fail(L, "flatten", "takes a tensor in parentheses: "
		                          "nn.flatten(h)");
	int x = check_tensor(L, 1, "flatten");
	Node *n = ir_node(c, x);
	if (n->shape.n < 1 || n->shape.d[0] != BATCH)
		return fail(L, "flatten", "input %s has no batch dimension",
		            shape_str(c, &n->shape));
	long k = shape_numel(&n->shape, 1);
	if (k > MAX_NUMEL)
		return fail(L, "flatten", "%s", ir_size_error(c, n, 0));
	struct { Shape to; } *a = ctx_alloc(c, sizeof *a);
	a->to = (Shape){2, {BATCH, (int)k}};
	push_tensor(L, add_node(L, &op_reshape, "flatten", &x, 1, a));
	return 1;
}

/* ---- layers ------------------------------------------------------------ */

/* nn.<layer>{config}: upvalue 2 is the LayerDef. */
static int l_layer(lua_State *L)
{
	const LayerDef *def = lua_touserdata(L, lua_upvalueindex(2));
	Ctx *c = ctx_of(L);
	if (!lua_istable(L, 1))
		return fail(L, def->name, "is configured with braces, then "
		                          "applied: nn.%s{…}(h)", def->name);
	Layer *l = lua_newuserdatauv(L, sizeof *l, 0);
	memset(l, 0, sizeof *l);
	for (int i = 0; i < 4; i++)
		l->param[i] = -1;
	luaL_setmetatable(L, LAYER);
	l->def = def;
	l->pos = where(L);
	l->attr = ctx_alloc(c, def->attr_size);
	static const char *const name_key[] = {"name", NULL};
	parse_keys(L, 1, def->name, def->keys, l->attr, name_key);
	l->name = opt_name(L, 1, def->name);
	const char *err = def->configure ? def->configure(c, l) : NULL;
	if (err)
		return fail(L, def->name, "%s", err);
	return 1;
}

static int layer_named(Ctx *c, const char *name)
{
	for (int i = 0; i < c->nnodes; i++)
		if (c->nodes[i]->layer && !strcmp(c->nodes[i]->layer, name))
			return 1;
	return 0;
}

/* layer(x): builds the layer's nodes; names it on first use. */
static int layer_call(lua_State *L)
{
	Layer *l = luaL_checkudata(L, 1, LAYER);
	Ctx *c = ctx_of(L);
	int x = check_tensor(L, 2, l->def->name);
	if (!lua_isnone(L, 3))
		return fail(L, l->def->name, "is applied to one tensor");
	if (!l->applied) {
		if (!l->name)
			do    /* skipping names the script gave other layers */
				l->name = ctx_sprintf(c, "%s%d", l->def->name,
				                      ++c->layer_count[layer_index(l->def)]);
			while (layer_named(c, l->name));
		else if (layer_named(c, l->name))
			return fail(L, l->def->name, "two layers are named '%s'",
			            l->name);
	}
	const char *err = NULL;
	Pos p = where(L);
	int first = c->nnodes;
	int y = l->def->apply(c, l, x, p, &err);
	if (y < 0)
		return fail_at(L, p, l->def->name, "%s", err);
	check_new(L, first, p, l->def->name);
	for (int i = first; i < c->nnodes; i++)
		c->nodes[i]->layer = l->name;
	l->applied = 1;
	push_tensor(L, y);
	return 1;
}

/* nn.sequential{f1, f2, …}: calls each in turn; each is a layer, a
 * sequential, or a function of one tensor. */
static int l_sequential(lua_State *L)
{
	if (!lua_istable(L, 1))
		return fail(L, "sequential", "takes a list in braces: "
		                             "nn.sequential{nn.linear{10}, nn.relu}");
	int n = (int)luaL_len(L, 1);
	lua_newtable(L);
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, 1, i);
		if (!lua_isfunction(L, -1) && !luaL_testudata(L, -1, LAYER) &&
		    !luaL_testudata(L, -1, SEQ))
			return fail(L, "sequential", "item %d is %s, not a layer or "
			                             "function", i, luaL_typename(L, -1));
		lua_rawseti(L, -2, i);
	}
	lua_pushnil(L);
	if (lua_next(L, 1)) {
		lua_pop(L, 2);
		if (luaL_len(L, 1) == 0)
			return fail(L, "sequential", "takes a list, not named keys");
	}
	lua_newuserdatauv(L, 0, 1);
	lua_insert(L, -2);
	lua_setiuservalue(L, -2, 1);
	luaL_setmetatable(L, SEQ);
	return 1;
}

static int seq_call(lua_State *L)
{
	luaL_checkudata(L, 1, SEQ);
	check_tensor(L, 2, "sequential");
	lua_getiuservalue(L, 1, 1);
	int n = (int)luaL_len(L, -1);
	lua_pushvalue(L, 2);                 /* the running tensor */
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, -2, i);
		lua_insert(L, -2);
		lua_call(L, 1, 1);
		if (!luaL_testudata(L, -1, TENSOR))
			return fail(L, "sequential", "item %d returned %s, not a "
			                             "tensor", i, luaL_typename(L, -1));
	}
	return 1;
}

/* ---- recipe pieces: optimizers, schedules, data ------------------------ */

static int l_optim(lua_State *L)
{
	const OptimDef *def = lua_touserdata(L, lua_upvalueindex(2));
	char what[32];
	snprintf(what, sizeof what, "optim.%s", def->name);
	if (!lua_istable(L, 1))
		return fail(L, what, "is configured with braces: nn.optim.%s{lr = "
		                     "0.1}", def->name);
	Optim *o = lua_newuserdatauv(L, sizeof *o, 0);
	memset(o, 0, sizeof *o);
	luaL_setmetatable(L, OPTIM);
	parse_keys(L, 1, what, def->keys, o, NULL);
	o->def = def;
	o->pos = where(L);
	const char *err = def->check ? def->check(ctx_of(L), o) : NULL;
	if (err)
		return fail(L, what, "%s", err);
	return 1;
}

/* Schedules (runtime/rt_sched.c computes them), as torch.optim.lr_scheduler
 * stepped once per epoch: constant, StepLR(every, gamma),
 * ExponentialLR(gamma), CosineAnnealingLR(T_max = epochs, eta_min =
 * min_lr), ReduceLROnPlateau(mode min, factor, patience, threshold (rel),
 * cooldown, min_lr) on the validation loss.  Any of them takes warmup (in
 * epochs): LinearLR(start_factor = warmup_start, total_iters = warmup)
 * chained with it. */
#define SK(key, req, def, lo, hi)                                           \
	{#key, AK_NUM, 0, req, def, offsetof(Sched, key), lo, hi}
#define SKI(key, def, lo, hi)                                               \
	{#key, AK_INT, 0, 0, def, offsetof(Sched, key), lo, hi}
#define WARMUP_KEYS                                                         \
	SK(warmup, 0, 0, 0, 1e9), SK(warmup_start, 0, 1e-3, 1e-9, 1)
static const AttrKey sched_const_keys[] = {WARMUP_KEYS, {0}};
static const AttrKey sched_step_keys[] = {
	SK(every, 1, 0, 1e-9, 1e9), SK(gamma, 0, 0.1, 0, 1), WARMUP_KEYS, {0}};
static const AttrKey sched_exp_keys[] = {
	SK(gamma, 1, 0, 0, 1), WARMUP_KEYS, {0}};
static const AttrKey sched_cos_keys[] = {
	SK(min_lr, 0, 0, 0, 1e9), WARMUP_KEYS, {0}};
static const AttrKey sched_plateau_keys[] = {
	SK(factor, 0, 0.1, 0, 1), SKI(patience, 10, 0, 1 << 20),
	SK(threshold, 0, 1e-4, 0, 1), SKI(cooldown, 0, 0, 1 << 20),
	SK(min_lr, 0, 0, 0, 1e9), WARMUP_KEYS, {0}};

static const struct {
	const char *name;
	const AttrKey *keys;
} sched_defs[] = {
	{"constant", sched_const_keys},   /* the RT_SCHED_* order */
	{"step", sched_step_keys},
	{"exponential", sched_exp_keys},
	{"cosine", sched_cos_keys},
	{"plateau", sched_plateau_keys},
};

static int l_sched(lua_State *L)
{
	int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
	char what[40];
	snprintf(what, sizeof what, "schedule.%s", sched_defs[kind].name);
	if (!lua_isnoneornil(L, 1) && !lua_istable(L, 1))
		return fail(L, what, "is configured with braces: nn.%s{…}", what);
	if (!lua_istable(L, 1)) {       /* nn.schedule.plateau(): the defaults */
		lua_settop(L, 0);
		lua_newtable(L);
	}
	Sched *s = lua_newuserdatauv(L, sizeof *s, 0);
	memset(s, 0, sizeof *s);
	luaL_setmetatable(L, SCHED);
	parse_keys(L, 1, what, sched_defs[kind].keys, s, NULL);
	s->kind = kind;
	if (s->factor >= 1)
		return fail(L, what, "factor must be < 1 (the lr is multiplied by "
		                     "it on a plateau); got %g", s->factor);
	return 1;
}

/* nn.init.<name>{…}: how a layer's weight is drawn, given as init = …
 * (or as the string "<name>" for the defaults).  PyTorch's definitions;
 * the fans are the layer's (compiler/ops/source.c). */
typedef struct InitKeys {
	const char *mode, *nonlinearity, *dist;
	double a, gain, std, bound;
} InitKeys;
#define IK(key, kind, pos, req, def, lo, hi)                                \
	{#key, kind, pos, req, def, offsetof(InitKeys, key), lo, hi}
static const AttrKey init_kaiming_keys[] = {
	IK(mode, AK_STR, 0, 0, 0, 1, 0), IK(nonlinearity, AK_STR, 0, 0, 0, 1, 0),
	IK(a, AK_NUM, 0, 0, 0, 1, 0), IK(dist, AK_STR, 0, 0, 0, 1, 0), {0}};
static const AttrKey init_xavier_keys[] = {
	IK(gain, AK_NUM, 0, 0, 1, 0, 1e9), IK(dist, AK_STR, 0, 0, 0, 1, 0), {0}};
static const AttrKey init_normal_keys[] = {
	IK(std, AK_NUM, 1, 1, 0, 0, 1e9), {0}};
static const AttrKey init_uniform_keys[] = {
	IK(bound, AK_NUM, 1, 1, 0, 0, 1e9), {0}};
static const AttrKey init_no_keys[] = {{0}};

static const struct {
	const char *name;
	int kind;
	const AttrKey *keys;
} init_defs[] = {
	{"torch", INIT_TORCH, init_no_keys},
	{"kaiming", INIT_KAIMING, init_kaiming_keys},
	{"xavier", INIT_XAVIER, init_xavier_keys},
	{"normal", INIT_NORMAL, init_normal_keys},
	{"uniform", INIT_UNIFORM, init_uniform_keys},
	{"zeros", INIT_ZEROS, init_no_keys},
	{"ones", INIT_ONES, init_no_keys},
};

/* One of the names, or an error naming them; returns the index. */
static int one_of(lua_State *L, const char *what, const char *key,
                  const char *v, const char *a, const char *b)
{
	if (!strcmp(v, a))
		return 0;
	if (!strcmp(v, b))
		return 1;
	return fail(L, what, "%s must be \"%s\" or \"%s\"; got \"%s\"", key, a,
	            b, v);
}

static int l_init(lua_State *L)
{
	int i = (int)lua_tointeger(L, lua_upvalueindex(2));
	char what[32];
	snprintf(what, sizeof what, "init.%s", init_defs[i].name);
	if (!lua_isnoneornil(L, 1) && !lua_istable(L, 1))
		return fail(L, what, "is configured with braces: nn.%s{…}", what);
	InitKeys k = {0};
	if (!lua_istable(L, 1)) {       /* nn.init.kaiming(): the defaults */
		lua_settop(L, 0);
		lua_newtable(L);
	}
	parse_keys(L, 1, what, init_defs[i].keys, &k, NULL);
	InitSpec *s = lua_newuserdatauv(L, sizeof *s, 0);
	memset(s, 0, sizeof *s);
	luaL_setmetatable(L, INIT);
	s->kind = init_defs[i].kind;
	s->std = k.std;
	s->bound = k.bound;
	s->gain = k.gain;
	if ((s->kind == INIT_NORMAL && !(k.std > 0)) ||
	    (s->kind == INIT_UNIFORM && !(k.bound > 0)))
		return fail(L, what, "'%s' must be > 0", s->kind == INIT_NORMAL ?
		            "std" : "bound");
	if (s->kind == INIT_XAVIER && !(k.gain > 0))
		return fail(L, what, "'gain' must be > 0");
	if (s->kind == INIT_XAVIER)
		s->uniform = !k.dist || !one_of(L, what, "dist", k.dist, "uniform",
		                                "normal");
	if (s->kind == INIT_KAIMING) {
		s->uniform = k.dist && one_of(L, what, "dist", k.dist, "normal",
		                              "uniform");
		s->fan_out = k.mode && one_of(L, what, "mode", k.mode, "fan_in",
		                              "fan_out");
		s->gain = init_gain(k.nonlinearity ? k.nonlinearity :
		                    "leaky_relu", k.a);
		if (s->gain < 0)
			return fail(L, what, "nonlinearity must be relu, leaky_relu, "
			                     "linear, sigmoid, tanh or selu; got \"%s\"",
			            k.nonlinearity);
	}
	return 1;
}

static const AttrKey idx_keys[] = {
	{"images", AK_STR, 1, 1, 0, offsetof(DataSpec, a), 1, 0},
	{"labels", AK_STR, 2, 1, 0, offsetof(DataSpec, b), 1, 0},
	{"scale", AK_NUM, 0, 0, 1, offsetof(DataSpec, scale), 1, 0},
	{0},
};

static const AttrKey csv_keys[] = {
	{"path", AK_STR, 1, 1, 0, offsetof(DataSpec, a), 1, 0},
	{"label", AK_INT, 0, 0, -1, offsetof(DataSpec, label_col), -1, 1 << 20},
	{"header", AK_BOOL, 0, 0, 0, offsetof(DataSpec, header), 1, 0},
	{"scale", AK_NUM, 0, 0, 1, offsetof(DataSpec, scale), 1, 0},
	{0},
};

typedef struct NormKeys {
	NumList mean, std;
} NormKeys;
static const AttrKey norm_keys[] = {
	{"mean", AK_NUMS, 0, 1, 0, offsetof(NormKeys, mean), 1, 0},
	{"std", AK_NUMS, 0, 1, 0, offsetof(NormKeys, std), 1, 0},
	{0},
};

/* normalize = {mean = {…}, std = {…}} of the data source at idx: one
 * pair for every value, or one per channel (checked against the input
 * in nn.train). */
static void parse_normalize(lua_State *L, int idx, const char *what,
                            DataSpec *d)
{
	lua_getfield(L, idx, "normalize");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	char w[48];
	snprintf(w, sizeof w, "%s: normalize", what);
	if (!lua_istable(L, -1))
		fail(L, w, "must be a table {mean = {…}, std = {…}}; got %s",
		     luaL_typename(L, -1));
	NormKeys nk;
	memset(&nk, 0, sizeof nk);
	parse_keys(L, -1, w, norm_keys, &nk, NULL);
	if (nk.mean.n != nk.std.n)
		fail(L, w, "mean has %d value%s but std has %d", nk.mean.n,
		     nk.mean.n == 1 ? "" : "s", nk.std.n);
	for (int i = 0; i < nk.std.n; i++)
		if (!(nk.std.v[i] > 0))
			fail(L, w, "std[%d] = %g; a standard deviation must be > 0",
			     i + 1, nk.std.v[i]);
	d->mean = nk.mean;
	d->std = nk.std;
	lua_pop(L, 1);
}

static int l_data(lua_State *L)
{
	int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
	const char *what = kind == 1 ? "data.idx" : "data.csv";
	static const char *const norm_key[] = {"normalize", NULL};
	if (!lua_istable(L, 1))
		return fail(L, what, "is configured with braces: nn.%s{…}", what);
	DataSpec *d = lua_newuserdatauv(L, sizeof *d, 0);
	memset(d, 0, sizeof *d);
	luaL_setmetatable(L, DATA);
	parse_keys(L, 1, what, kind == 1 ? idx_keys : csv_keys, d, norm_key);
	parse_normalize(L, 1, what, d);
	d->kind = kind;
	d->pos = where(L);
	return 1;
}

/* ---- nn.augment.*{…} --------------------------------------------------- */

#define AGK(key, kind, pos, req, def, field, lo, hi)                        \
	{#key, kind, pos, req, def, offsetof(AugSpec, field), lo, hi}
static const AttrKey hflip_keys[] = {AGK(p, AK_NUM, 0, 0, 0.5, p, 0, 1), {0}};
static const AttrKey crop_keys[] = {
	AGK(pad, AK_INT, 1, 1, 0, size, 1, 1024), {0}};
static const AttrKey cutout_keys[] = {
	AGK(size, AK_INT, 1, 1, 0, size, 1, 1 << 16), {0}};
static const AttrKey erase_keys[] = {
	AGK(p, AK_NUM, 0, 0, 0.5, p, 0, 1),
	AGK(scale, AK_NUMS, 0, 0, 0, scale, 0, 1),
	AGK(ratio, AK_NUMS, 0, 0, 0, ratio, 1e-3, 1e3),
	AGK(value, AK_NUM, 0, 0, 0, value, 1, 0),
	{0}};
static const AttrKey mixup_keys[] = {
	AGK(alpha, AK_NUM, 1, 1, 0, alpha, 0.01, 1000), {0}};

static const struct {
	const char *name;
	const AttrKey *keys;
} aug_defs[] = {
	{NULL, NULL},                     /* the AUG_* order, from 1 */
	{"hflip", hflip_keys},
	{"random_crop", crop_keys},
	{"cutout", cutout_keys},
	{"random_erasing", erase_keys},
	{"mixup", mixup_keys},
};

/* A {lo, hi} range of random_erasing: two values, lo <= hi; torchvision's
 * default when not given. */
static void erase_range(lua_State *L, const char *what, const char *key,
                        NumList *l, double lo, double hi)
{
	if (l->n == 0) {
		l->n = 2;
		l->v = ctx_alloc(ctx_of(L), 2 * sizeof *l->v);
		l->v[0] = lo;
		l->v[1] = hi;
	}
	if (l->n != 2)
		fail(L, what, "'%s' must be a range {min, max}; got %d value%s", key,
		     l->n, l->n == 1 ? "" : "s");
	if (l->v[0] > l->v[1])
		fail(L, what, "'%s' = {%g, %g}: the minimum is above the maximum",
		     key, l->v[0], l->v[1]);
}

static int l_augment(lua_State *L)
{
	int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
	char what[40];
	snprintf(what, sizeof what, "augment.%s", aug_defs[kind].name);
	if (!lua_isnoneornil(L, 1) && !lua_istable(L, 1))
		return fail(L, what, "is configured with braces: nn.%s{…}", what);
	AugSpec *a = lua_newuserdatauv(L, sizeof *a, 0);
	memset(a, 0, sizeof *a);
	luaL_setmetatable(L, AUGMENT);
	if (lua_istable(L, 1)) {
		parse_keys(L, 1, what, aug_defs[kind].keys, a, NULL);
	} else {
		lua_newtable(L);
		parse_keys(L, -1, what, aug_defs[kind].keys, a, NULL);
		lua_pop(L, 1);
	}
	a->kind = kind;
	a->pos = where(L);
	if (kind == AUG_ERASE) {
		erase_range(L, what, "scale", &a->scale, 0.02, 0.33);
		erase_range(L, what, "ratio", &a->ratio, 0.3, 3.3);
	}
	return 1;
}

/* augment = {nn.augment.…{…}, …} of nn.train{…}: a list, each entry an
 * augmentation, at most one mixup and that one last. */
static void parse_augment(lua_State *L, Recipe *r)
{
	lua_getfield(L, 1, "augment");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1) || luaL_testudata(L, -1, AUGMENT))
		fail(L, "train", "'augment' must be a list {nn.augment.…{…}, …}; "
		                 "got %s", luaL_testudata(L, -1, AUGMENT) ?
		     "one augmentation (put it in braces)" : luaL_typename(L, -1));
	int n = (int)luaL_len(L, -1);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1 ||
		    lua_tointeger(L, -2) > n)
			fail(L, "train", "'augment' is a list; it has a key %s",
			     lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) :
			     "that is not 1, 2, …");
		lua_pop(L, 1);
	}
	r->augment = ctx_alloc(ctx_of(L), sizeof *r->augment * (size_t)(n + 1));
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		AugSpec *a = luaL_testudata(L, -1, AUGMENT);
		if (!a)
			fail(L, "train", "augment[%d] must be an augmentation "
			                 "(nn.augment.hflip{…}, …); got %s%s", i,
			     luaL_typename(L, -1), lua_isfunction(L, -1) ?
			     " (configure it with braces: nn.augment.…{})" : "");
		if (r->mixup)
			fail_at(L, r->augment[r->naugment - 1].pos, "augment.mixup",
			        "must be the last augmentation: it mixes whole batches "
			        "after the per-sample ones");
		r->augment[r->naugment++] = *a;
		r->mixup = a->kind == AUG_MIXUP;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* The data options and augmentations against the model: which input and
 * labels they need, at the line of the option that does not fit. */
static void check_data_options(lua_State *L, Ctx *c, Recipe *r,
                               const char *balance)
{
	const Node *in = ir_node(c, c->input), *lb = ir_node(c, c->label);
	const Node *loss = ir_node(c, r->loss);
	int image = in->shape.n == 4 && in->dtype == DT_F32;
	for (int i = 0; i < r->naugment; i++) {
		const AugSpec *a = &r->augment[i];
		char what[40];
		snprintf(what, sizeof what, "augment.%s", aug_defs[a->kind].name);
		if (in->dtype != DT_F32)
			fail_at(L, a->pos, what, "the input '%s' is int32 tokens; "
			        "augmentations transform float inputs", in->name);
		if (a->kind != AUG_MIXUP && !image)
			fail_at(L, a->pos, what, "transforms images [C,H,W]; the input "
			        "'%s' is %s", in->name, shape_str(c, &in->shape));
		int h = image ? in->shape.d[2] : 0, w = image ? in->shape.d[3] : 0;
		if (a->kind == AUG_CUTOUT && a->size > (h > w ? h : w))
			fail_at(L, a->pos, what, "size %d is larger than the image "
			        "(%dx%d)", a->size, h, w);
		if (a->kind == AUG_MIXUP && !(loss->op->traits & OT_MIX))
			fail_at(L, a->pos, what, "mixes two class labels in "
			        "softmax_cross_entropy; the loss is %s, which cannot "
			        "mix", loss->op->lua ? loss->op->lua : loss->op->name);
	}
	if (balance) {
		if (!strcmp(balance, "oversample"))
			r->balance = 1;
		else if (!strcmp(balance, "undersample"))
			r->balance = 2;
		else
			fail_at(L, r->pos, "train", "balance must be \"oversample\" or "
			        "\"undersample\"; got \"%s\"", balance);
		if (lb->op != &op_label)
			fail_at(L, r->pos, "train", "balance evens out classes; the "
			        "model has a float target '%s', not class labels",
			        lb->name);
	}
	const DataSpec *ds[2] = {&r->train, &r->valid};
	for (int k = 0; k < 2; k++) {
		const DataSpec *d = ds[k];
		const char *what = d->kind == 1 ? "data.idx" : "data.csv";
		if (!d->kind || !d->mean.n)
			continue;
		if (in->dtype != DT_F32)
			fail_at(L, d->pos, what, "normalize: the input '%s' is int32 "
			        "tokens, which are not normalized", in->name);
		int ch = in->shape.d[1];
		if (d->mean.n != 1 && d->mean.n != ch)
			fail_at(L, d->pos, what, "normalize has %d mean/std pairs; the "
			        "input '%s' %s has %d channel%s (give 1 pair%s)",
			        d->mean.n, in->name, shape_str(c, &in->shape), ch,
			        ch == 1 ? "" : "s", ch == 1 ? "" :
			        ctx_sprintf(c, ", or %d", ch));
	}
	if (r->train.mean.n && r->valid.kind && !r->valid.mean.n)
		fail_at(L, r->valid.pos, r->valid.kind == 1 ? "data.idx" : "data.csv",
		        "the training data is normalized but this validation data "
		        "is not; give it the same normalize");
	if (r->split > 0 && r->valid.kind)
		fail_at(L, r->pos, "train", "split = %g takes validation data from "
		        "train, but data.valid is given too; keep one", r->split);
}

/* ---- nn.train{…} ------------------------------------------------------- */

/* Field k of the table at idx as userdata of metatable tname (required or
 * not); pops it. */
static void *get_udata(lua_State *L, int idx, const char *k, const char *tname,
                       int required, const char *hint)
{
	lua_getfield(L, idx, k);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		if (required)
			fail(L, "train", "'%s' is required: %s", k, hint);
		return NULL;
	}
	void *u = luaL_testudata(L, -1, tname);
	if (!u)
		fail(L, "train", "'%s' must be %s; got %s", k, hint,
		     luaL_typename(L, -1));
	lua_pop(L, 1);
	return u;
}

typedef struct TrainKeys {
	const char *name;
	int batch, epochs, seed, shuffle, lr_batch_ref;
	double split;
	const char *balance;         /* data options */
	int drop_last;
	int prior;                   /* init_bias_from_prior */
} TrainKeys;

static const AttrKey train_keys[] = {
	{"name", AK_STR, 0, 1, 0, offsetof(TrainKeys, name), 1, 0},
	{"batch", AK_INT, 0, 1, 0, offsetof(TrainKeys, batch), 1, 1 << 16},
	{"epochs", AK_INT, 0, 1, 0, offsetof(TrainKeys, epochs), 1, 1 << 20},
	{"seed", AK_INT, 0, 0, 1, offsetof(TrainKeys, seed), 0, 2147483647},
	{"shuffle", AK_BOOL, 0, 0, 1, offsetof(TrainKeys, shuffle), 1, 0},
	{"lr_batch_ref", AK_INT, 0, 0, 0, offsetof(TrainKeys, lr_batch_ref), 0,
	 1 << 20},
	{"split", AK_NUM, 0, 0, 0, offsetof(TrainKeys, split), 0, 0.99},
	{"balance", AK_STR, 0, 0, 0, offsetof(TrainKeys, balance), 1, 0},
	{"drop_last", AK_BOOL, 0, 0, 0, offsetof(TrainKeys, drop_last), 1, 0},
	{"init_bias_from_prior", AK_BOOL, 0, 0, 0, offsetof(TrainKeys, prior),
	 1, 0},
	{0},
};

static const char *const train_extra[] = {"loss", "predict", "optimizer",
                                    "schedule", "data", "checkpoint",
                                    "early_stopping", "augment", "ema",
                                    NULL};

typedef struct CkptKeys {
	const char *path;
	int every;
	const char *best, *monitor;
} CkptKeys;
static const AttrKey ckpt_keys[] = {
	{"path", AK_STR, 1, 1, 0, offsetof(CkptKeys, path), 1, 0},
	{"every", AK_INT, 0, 0, 1, offsetof(CkptKeys, every), 1, 1 << 20},
	{"best", AK_STR, 0, 0, 0, offsetof(CkptKeys, best), 1, 0},
	{"monitor", AK_STR, 0, 0, 0, offsetof(CkptKeys, monitor), 1, 0},
	{0},
};

typedef struct StopKeys {
	int patience;
	double min_delta;
	const char *monitor;
} StopKeys;
static const AttrKey stop_keys[] = {
	{"patience", AK_INT, 1, 1, 0, offsetof(StopKeys, patience), 1, 1 << 20},
	{"min_delta", AK_NUM, 0, 0, 0, offsetof(StopKeys, min_delta), 0, 1e9},
	{"monitor", AK_STR, 0, 0, 0, offsetof(StopKeys, monitor), 1, 0},
	{0},
};

/* A sub-table of nn.train{…} parsed by keys; returns 0 if absent. */
static int get_table(lua_State *L, int idx, const char *k, const AttrKey *keys,
                     void *attr)
{
	lua_getfield(L, idx, k);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (!lua_istable(L, -1))
		fail(L, "train", "'%s' must be a table {…}", k);
	char what[48];
	snprintf(what, sizeof what, "train: %s", k);
	parse_keys(L, -1, what, keys, attr, NULL);
	lua_pop(L, 1);
	return 1;
}

/* How the user knows the node that made n: "linear1 (a linear layer)",
 * or the op. */
static const char *what_made(Ctx *c, const Node *n)
{
	if (n->layer)
		return ctx_sprintf(c, "%s (a layer's output)", n->layer);
	if (n->op->traits & OT_SOURCE)
		return ctx_sprintf(c, "the %s '%s'", n->op->name,
		                   n->name ? n->name : "?");
	return ctx_sprintf(c, "%s's output", n->op->lua ? n->op->lua :
	                   n->op->name);
}

/* Whether any parameter feeds node id. */
static int reaches_param(Ctx *c, int id)
{
	const Node *n = ir_node(c, id);
	if (n->st == ST_PARAM)
		return 1;
	for (int i = 0; i < n->nin; i++)
		if (reaches_param(c, n->in[i]))
			return 1;
	return 0;
}

/* ---- nn.train's driver keys: monitor, ema, init_bias_from_prior ------- */

static const char *const monitor_names[] = {"valid_loss", "valid_acc"};

/* The metric early stopping and the best checkpoint follow (RT_MONITOR_*
 * order): early_stopping's monitor or checkpoint's, which must agree. */
static int monitor_of(lua_State *L, Ctx *c, const char *stop,
                      const char *ckpt)
{
	const char *name = stop ? stop : ckpt, *what = stop ?
	                   "train: early_stopping" : "train: checkpoint";
	if (!name)
		return 0;
	int kind = -1;
	for (int i = 0; i < 2; i++)
		if (!strcmp(name, monitor_names[i]))
			kind = i;
	if (kind < 0)
		fail(L, what, "monitor must be \"valid_loss\" or \"valid_acc\"; "
		              "got \"%s\"", name);
	if (stop && ckpt && strcmp(stop, ckpt))
		fail(L, "train", "checkpoint: monitor = \"%s\" disagrees with "
		                 "early_stopping's \"%s\"; give it once", ckpt, stop);
	const Node *loss = ir_node(c, c->recipe.loss);
	if (kind == 1 && !loss->op->emit_correct)
		fail(L, what, "monitor = \"valid_acc\" needs a loss that counts "
		              "correct predictions (softmax_cross_entropy, "
		              "sigmoid_bce); %s has no accuracy", loss->op->lua ?
		              loss->op->lua : loss->op->name);
	return kind;
}

typedef struct EmaKeys {
	double decay;
} EmaKeys;
static const AttrKey ema_keys[] = {
	{"decay", AK_NUM, 1, 1, 0, offsetof(EmaKeys, decay), 0, 1},
	{0},
};

/* ema = {decay = 0.999}: a moving average of the weights, which
 * evaluation uses and checkpoints keep (ops/ema.c). */
static void ema_of(lua_State *L, Recipe *r)
{
	EmaKeys ek = {0};
	if (!get_table(L, 1, "ema", ema_keys, &ek))
		return;
	if (ek.decay <= 0 || ek.decay >= 1)
		fail(L, "train: ema", "'decay' = %g must lie strictly between 0 "
		                      "and 1 (0.999 is usual)", ek.decay);
	r->ema_decay = ek.decay;
}

/* init_bias_from_prior = true: the runtime sets the bias of the layer
 * that makes the loss's logits from the training labels, so it must be
 * the bias of a layer, and the loss one whose prior we know. */
static void prior_of(lua_State *L, Ctx *c, Recipe *r)
{
	const Node *loss = ir_node(c, r->loss);
	const Node *z = ir_node(c, loss->in[0]);
	if (loss->op == &op_softmax_ce)
		r->prior = 1;
	else if (loss->op == &op_sigmoid_bce)
		r->prior = 2;
	else
		fail(L, "train", "init_bias_from_prior needs softmax_cross_entropy "
		                 "or sigmoid_bce (the prior of class labels); the "
		                 "loss is %s", loss->op->lua ? loss->op->lua :
		                 loss->op->name);
	if (z->op != &op_bias_add || z->shape.n != 2 ||
	    ir_node(c, z->in[1])->st != ST_PARAM)
		fail(L, "train", "init_bias_from_prior: the logits must come "
		                 "straight from a linear layer with a bias; they are "
		                 "%s%s", what_made(c, z), z->layer &&
		                 z->op != &op_bias_add ? ", which has no bias" : "");
	r->prior_bias = ir_node(c, z->in[1])->name;
}

/* With the batch known: every tensor fits at this batch, every op's
 * check passes, and all the parameters fit the one block the optimizer
 * reads. */
static void check_batch(lua_State *L, Ctx *c)
{
	long params = 0;
	for (int i = 0; i < c->nnodes; i++) {
		Node *n = c->nodes[i];
		const char *err = ir_size_error(c, n, c->recipe.batch);
		if (err)
			fail_at(L, n->pos, n->layer ? n->layer : n->op->name, "%s", err);
		if (n->op->check && (err = n->op->check(c, n)))
			fail_at(L, n->pos, NULL, "%s", err);
		if (n->st == ST_PARAM)
			params += (node_numel(c, n) + ALIGN_FLOATS - 1) / ALIGN_FLOATS *
			          ALIGN_FLOATS;
	}
	if (params > MAX_NUMEL)
		fail(L, "train", "the model has %ld parameters (with padding); nncc "
		                 "trains at most 2147483647 (2^31 - 1)", params);
}

static int l_train(lua_State *L)
{
	Ctx *c = ctx_of(L);
	Recipe *r = &c->recipe;
	if (!lua_istable(L, 1))
		return fail(L, "train", "is configured with braces: "
		                        "return nn.train{…}");
	if (c->have_recipe)
		return fail(L, "train", "a script describes one training recipe");
	/* plain keys; the rest are checked one by one below */
	TrainKeys tk;
	memset(&tk, 0, sizeof tk);
	parse_keys(L, 1, "train", train_keys, &tk, train_extra);
	const char *bad = name_c_prefix(c, tk.name);
	if (bad)
		return fail(L, "train", "name '%s' %s", name_shown(c, tk.name), bad);
	r->name = tk.name;
	r->batch = tk.batch;
	r->epochs = tk.epochs;
	r->seed = (uint64_t)tk.seed;
	r->shuffle = tk.shuffle;
	r->split = tk.split;
	r->pos = where(L);

	int *lu = get_udata(L, 1, "loss", TENSOR, 1, "a loss tensor, e.g. "
	                    "nn.softmax_cross_entropy(logits, y)");
	Node *loss = ir_node(c, *lu);
	if (!(loss->op->traits & OT_LOSS))
		return fail(L, "train", "'loss' must be a loss "
		                        "(softmax_cross_entropy, mse, …); got %s",
		            what_made(c, loss));
	r->loss = loss->id;
	if (!reaches_param(c, loss->id))
		return fail(L, "train", "the loss depends on no parameters; there "
		                        "is nothing to train");
	int *pu = get_udata(L, 1, "predict", TENSOR, 0, "a tensor");
	r->predict = pu ? *pu : loss->in[0];
	Node *pn = ir_node(c, r->predict);
	if ((pn->op->traits & (OT_SOURCE | OT_LOSS)) || pn->dtype != DT_F32)
		return fail(L, "train", "'predict' must be computed from the input; "
		                        "got %s", what_made(c, pn));
	if (pn->shape.d[0] != BATCH)
		return fail(L, "train", "'predict' must have the batch dimension");

	Optim *o = get_udata(L, 1, "optimizer", OPTIM, 1,
	                     "an optimizer, e.g. nn.optim.sgd{…} or "
	                     "nn.optim.adam{…}");
	r->opt = *o;
	if (tk.lr_batch_ref)
		r->opt.lr *= (double)r->batch / tk.lr_batch_ref;
	Sched *s = get_udata(L, 1, "schedule", SCHED, 0, "nn.schedule.…{…}");
	if (s) {
		r->sched = s->kind;
		r->sched_every = s->every;
		r->sched_gamma = s->gamma;
		r->warmup = s->warmup;
		r->min_lr = s->min_lr;
		r->warmup_start = s->warmup_start;
		r->plateau_factor = s->factor;
		r->plateau_patience = s->patience;
		r->plateau_threshold = s->threshold;
		r->plateau_cooldown = s->cooldown;
	} else {
		r->warmup_start = 1e-3;
	}

	lua_getfield(L, 1, "data");
	if (!lua_istable(L, -1))
		return fail(L, "train", "'data' is required: data = {train = "
		                        "nn.data.idx{…}, valid = nn.data.idx{…}}");
	int di = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, di)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2)
		                                               : "?";
		if (strcmp(k, "train") && strcmp(k, "valid"))
			return fail(L, "train", "data: unknown key '%s' (keys: train, "
			                        "valid)", k);
		lua_pop(L, 1);
	}
	DataSpec *dt = get_udata(L, di, "train", DATA, 1, "nn.data.idx{…} or "
	                         "nn.data.csv{…}");
	DataSpec *dv = get_udata(L, di, "valid", DATA, 0, "nn.data.idx{…} or "
	                         "nn.data.csv{…}");
	lua_pop(L, 1);
	r->train = *dt;
	if (dv)
		r->valid = *dv;

	CkptKeys ck = {0};
	if (get_table(L, 1, "checkpoint", ckpt_keys, &ck)) {
		r->ckpt_path = ck.path;
		r->ckpt_every = ck.every;
		r->ckpt_best = ck.best;
	}
	StopKeys sk = {0};
	if (get_table(L, 1, "early_stopping", stop_keys, &sk)) {
		r->patience = sk.patience;
		r->min_delta = sk.min_delta;
	}
	r->monitor = monitor_of(L, c, sk.monitor, ck.monitor);
	ema_of(L, r);
	if (tk.prior)
		prior_of(L, c, r);
	if (c->label < 0)
		return fail(L, "train", "the model has no nn.label{…} or "
		                        "nn.target{…}");
	parse_augment(L, r);
	r->drop_last = tk.drop_last;
	check_data_options(L, c, r, tk.balance);
	check_batch(L, c);
	c->have_recipe = 1;
	lua_newuserdatauv(L, 0, 0);
	luaL_setmetatable(L, RECIPE);
	return 1;
}

/* ---- the module --------------------------------------------------------- */

/* __index of the module tables: an unknown name is a mistake, said at the
 * user's line with the closest known name. */
static int module_index(lua_State *L)
{
	const char *k = lua_tostring(L, 2);
	const char *what = lua_tostring(L, lua_upvalueindex(2));
	const char *best = NULL;
	int bestd = 3;
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		if (lua_type(L, -2) == LUA_TSTRING) {
			int d = edit_distance(k ? k : "", lua_tostring(L, -2));
			if (d < bestd) {
				bestd = d;
				best = lua_tostring(L, -2);
			}
		}
		lua_pop(L, 1);
	}
	if (best)
		return fail(L, NULL, "%s.%s does not exist; did you mean %s.%s?", what,
		            k ? k : "?", what, best);
	return fail(L, NULL, "%s.%s does not exist", what, k ? k : "?");
}

static int module_newindex(lua_State *L)
{
	return fail(L, NULL, "%s is read-only",
	            lua_tostring(L, lua_upvalueindex(2)));
}

/* Makes the table on top a strict module named what. */
static void seal(lua_State *L, Ctx *c, const char *what)
{
	lua_newtable(L);
	lua_pushlightuserdata(L, c);
	lua_pushstring(L, what);
	lua_pushcclosure(L, module_index, 2);
	lua_setfield(L, -2, "__index");
	lua_pushlightuserdata(L, c);
	lua_pushstring(L, what);
	lua_pushcclosure(L, module_newindex, 2);
	lua_setfield(L, -2, "__newindex");
	lua_setmetatable(L, -2);
}

static void set_fn(lua_State *L, Ctx *c, const char *name, lua_CFunction f,
                   void *up)
{
	lua_pushlightuserdata(L, c);
	if (up)
		lua_pushlightuserdata(L, up);
	lua_pushcclosure(L, f, up ? 2 : 1);
	lua_setfield(L, -2, name);
}

static void set_fn_int(lua_State *L, Ctx *c, const char *name,
                       lua_CFunction f, int up)
{
	lua_pushlightuserdata(L, c);
	lua_pushinteger(L, up);
	lua_pushcclosure(L, f, 2);
	lua_setfield(L, -2, name);
}

static void new_meta(lua_State *L, Ctx *c, const char *name,
                     lua_CFunction call, lua_CFunction tostring,
                     lua_CFunction index)
{
	luaL_newmetatable(L, name);
	if (call) {
		lua_pushlightuserdata(L, c);
		lua_pushcclosure(L, call, 1);
		lua_setfield(L, -2, "__call");
	}
	if (tostring) {
		lua_pushlightuserdata(L, c);
		lua_pushcclosure(L, tostring, 1);
		lua_setfield(L, -2, "__tostring");
	}
	if (index) {
		lua_pushlightuserdata(L, c);
		lua_pushcclosure(L, index, 1);
		lua_setfield(L, -2, "__index");
	}
	lua_pushliteral(L, "nncc");
	lua_setfield(L, -2, "__metatable");     /* scripts cannot change it */
	lua_pop(L, 1);
}

static const OpDef *const all_ops[] = {
#define X(op) &op_##op,
#include "ops.h"
#undef X
};

static void push_module(lua_State *L, Ctx *c)
{
	new_meta(L, c, TENSOR, NULL, tensor_tostring, tensor_index);
	new_meta(L, c, LAYER, layer_call, NULL, NULL);
	new_meta(L, c, SEQ, seq_call, NULL, NULL);
	new_meta(L, c, OPTIM, NULL, NULL, NULL);
	new_meta(L, c, SCHED, NULL, NULL, NULL);
	new_meta(L, c, DATA, NULL, NULL, NULL);
	new_meta(L, c, RECIPE, NULL, NULL, NULL);
	new_meta(L, c, AUGMENT, NULL, NULL, NULL);
	new_meta(L, c, INIT, NULL, NULL, NULL);

	lua_newtable(L);
	set_fn(L, c, "input", l_input, NULL);
	set_fn(L, c, "label", l_label, NULL);
	set_fn(L, c, "target", l_target, NULL);
	set_fn(L, c, "flatten", l_flatten, NULL);
	set_fn(L, c, "sequential", l_sequential, NULL);
	set_fn(L, c, "train", l_train, NULL);
	for (size_t i = 0; i < sizeof all_ops / sizeof *all_ops; i++)
		if (all_ops[i]->lua)
			set_fn(L, c, all_ops[i]->lua, l_op, (void *)all_ops[i]);
	for (size_t i = 0; i < sizeof all_layers / sizeof *all_layers; i++)
		set_fn(L, c, all_layers[i]->name, l_layer, (void *)all_layers[i]);

	lua_newtable(L);
	for (const OptimDef *const *o = all_optims; *o; o++)
		set_fn(L, c, (*o)->name, l_optim, (void *)*o);
	seal(L, c, "nn.optim");
	lua_setfield(L, -2, "optim");

	lua_newtable(L);
	for (int i = 0; i < (int)(sizeof sched_defs / sizeof *sched_defs); i++)
		set_fn_int(L, c, sched_defs[i].name, l_sched, i);
	seal(L, c, "nn.schedule");
	lua_setfield(L, -2, "schedule");

	lua_newtable(L);
	set_fn_int(L, c, "idx", l_data, 1);
	set_fn_int(L, c, "csv", l_data, 2);
	seal(L, c, "nn.data");
	lua_setfield(L, -2, "data");

	lua_newtable(L);
	for (int i = 1; i < (int)(sizeof aug_defs / sizeof *aug_defs); i++)
		set_fn_int(L, c, aug_defs[i].name, l_augment, i);
	seal(L, c, "nn.augment");
	lua_setfield(L, -2, "augment");

	lua_newtable(L);
	for (int i = 0; i < (int)(sizeof init_defs / sizeof *init_defs); i++)
		set_fn_int(L, c, init_defs[i].name, l_init, i);
	seal(L, c, "nn.init");
	lua_setfield(L, -2, "init");

	seal(L, c, "nn");
}

/* ---- the sandbox -------------------------------------------------------- */

typedef struct Sandbox {
	size_t used, limit;
	long steps, limit_steps;   /* in thousands of VM instructions */
	int line;                  /* the script line running now */
	int dead;                  /* over a limit: 1 steps, 2 memory */
	void *refused;             /* the last request refused, and its size */
	size_t refused_size;
	Ctx *c;
} Sandbox;

/* For the SIGALRM handler only: the script and where it is. */
static const char *volatile alarm_script;
static volatile int *alarm_line;
static volatile int alarm_seconds;

/* Lua's allocator with a cap: past it an allocation fails and Lua raises
 * "not enough memory", which front_run turns into a clear message. */
static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	Sandbox *s = ud;
	if (!ptr)
		osize = 0;
	if (nsize == 0) {
		free(ptr);
		s->used -= osize;
		return NULL;
	}
	if (nsize > osize && s->limit && s->used + (nsize - osize) > s->limit) {
		/* Lua collects all garbage and asks once more; refused twice,
		 * the script really holds too much */
		if (!s->dead && s->refused == ptr && s->refused_size == nsize)
			s->dead = 2;
		s->refused = ptr;
		s->refused_size = nsize;
		return NULL;
	}
	s->refused = NULL;
	void *p = realloc(ptr, nsize);
	if (p)
		s->used += nsize - osize;
	return p;
}

static void sandbox_hook(lua_State *L, lua_Debug *ar);

/* Past a limit the script is finished: raise the message, and again at
 * every instruction, so no error handler it has can keep it going. */
static void sandbox_fail(lua_State *L, Sandbox *s)
{
	lua_sethook(L, sandbox_hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
	if (s->dead == 2)
		lua_pushfstring(L, "%s:%d: the script used more than %d MiB of "
		                   "memory (raise the limit with --lua-mem)",
		                s->c->script, s->line, (int)(s->limit >> 20));
	else
		lua_pushfstring(L, "%s:%d: the script ran more than %d million "
		                   "instructions; an endless loop? (raise the "
		                   "limit with --lua-steps)", s->c->script, s->line,
		                (int)(s->limit_steps / 1000));
	lua_error(L);
}

/* The line hook remembers where the script is (a memory error carries no
 * position); the count hook enforces the instruction budget, and the
 * memory cap on what nncc holds for the script: its graph. */
static void sandbox_hook(lua_State *L, lua_Debug *ar)
{
	Sandbox *s;
	lua_getallocf(L, (void **)&s);
	if (ar->event == LUA_HOOKLINE) {
		s->line = ar->currentline;
		if (!s->dead)
			return;
	}
	if (!s->dead && s->limit_steps && ++s->steps > s->limit_steps)
		s->dead = 1;
	if (!s->dead && s->limit && s->c->arena_bytes > s->limit)
		s->dead = 2;
	if (s->dead)
		sandbox_fail(L, s);
}

/* Between two hooks one call into nncc can make it hold a lot (a list of
 * a million numbers, a layer): those calls check at once. */
static void check_arena(lua_State *L)
{
	Sandbox *s;
	lua_getallocf(L, (void **)&s);
	if (!s->dead && s->limit && s->c->arena_bytes > s->limit) {
		s->dead = 2;
		sandbox_fail(L, s);
	}
}

/* A C function the hook cannot interrupt (a pathological pattern match)
 * is stopped by the clock: the message, exit 1.  Nothing has been written
 * yet while the script runs. */
static void on_alarm(int sig)
{
	(void)sig;
	char msg[600];
	int n = snprintf(msg, sizeof msg, "%s:%d: the script ran more than %d "
	                 "seconds; an endless loop? (raise the limit with "
	                 "--lua-seconds)\n", alarm_script, *alarm_line,
	                 alarm_seconds);
	if (n > 0 && write(2, msg, (size_t)n < sizeof msg ? (size_t)n :
	                   sizeof msg - 1) < 0)
		_exit(1);
	_exit(1);
}

/* setmetatable without finalizers: a __gc would run script code after
 * the script has finished, outside every limit. */
static int l_setmetatable(lua_State *L)
{
	if (lua_istable(L, 2)) {
		lua_getfield(L, 2, "__gc");
		if (!lua_isnil(L, -1))
			return fail(L, "setmetatable", "__gc metamethods are not "
			                               "allowed in model scripts");
		lua_pop(L, 1);
	}
	lua_getfield(L, LUA_REGISTRYINDEX, "nncc.setmetatable");
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

/* require "nncc" is the only module there is. */
static int l_require(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	if (strcmp(name, "nncc"))
		return fail(L, NULL, "require \"%s\": the only module is \"nncc\"",
		            name);
	lua_getfield(L, LUA_REGISTRYINDEX, "nncc.module");
	return 1;
}

static void open_sandbox(lua_State *L, Ctx *c, int unsafe)
{
	static const luaL_Reg safe[] = {
		{LUA_GNAME, luaopen_base},     {LUA_STRLIBNAME, luaopen_string},
		{LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
		{LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL},
	};
	if (unsafe) {
		luaL_openlibs(L);
	} else {
		for (const luaL_Reg *l = safe; l->name; l++) {
			luaL_requiref(L, l->name, l->func, 1);
			lua_pop(L, 1);
		}
		static const char *removed[] = {"dofile", "loadfile", "load",
		                                "collectgarbage", NULL};
		for (const char **r = removed; *r; r++) {
			lua_pushnil(L);
			lua_setglobal(L, *r);
		}
#ifdef NNCC_FUZZ
		/* Lua's pattern matching runs in C, where the instruction hook
		 * cannot stop it; on_alarm's _exit would end the fuzzer too
		 * (tests/fuzz/fuzz_front.c).  The matcher is Lua's, not nncc's. */
		static const char *matcher[] = {"find", "match", "gmatch", "gsub",
		                                NULL};
		lua_getglobal(L, "string");
		for (const char **r = matcher; *r; r++) {
			lua_pushnil(L);
			lua_setfield(L, -2, *r);
		}
		lua_pop(L, 1);
#endif
	}
	push_module(L, c);
	lua_setfield(L, LUA_REGISTRYINDEX, "nncc.module");
	if (unsafe) {      /* Lua's own require finds it in package.loaded */
		luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
		lua_getfield(L, LUA_REGISTRYINDEX, "nncc.module");
		lua_setfield(L, -2, "nncc");
		lua_pop(L, 1);
	} else {
		lua_pushlightuserdata(L, c);
		lua_pushcclosure(L, l_require, 1);
		lua_setglobal(L, "require");
		lua_getglobal(L, "setmetatable");
		lua_setfield(L, LUA_REGISTRYINDEX, "nncc.setmetatable");
		lua_pushlightuserdata(L, c);
		lua_pushcclosure(L, l_setmetatable, 1);
		lua_setglobal(L, "setmetatable");
	}
}

/* The message handler, run where the error was raised.  nncc's own
 * errors already begin with the script's path; Lua's (a runtime error, a
 * C stack overflow, error() with a table) begin with Lua's shortened
 * chunk name or nothing, so they get the full path and the line of the
 * innermost script frame. */
static int on_error(lua_State *L)
{
	Ctx *c = ctx_of(L);
	const char *msg = lua_tostring(L, 1);
	if (!msg)
		msg = "error object is not a string";
	size_t n = strlen(c->script);
	if (!strncmp(msg, c->script, n) && msg[n] == ':')
		return 1;
	lua_Debug ar;
	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		lua_getinfo(L, "Sl", &ar);
		if (ar.currentline <= 0)
			continue;
		size_t k = strlen(ar.short_src);
		if (!strncmp(msg, ar.short_src, k) && msg[k] == ':') {
			const char *p = msg + k + 1;    /* skip "chunk:line: " */
			while (*p >= '0' && *p <= '9')
				p++;
			if (p[0] == ':' && p[1] == ' ')
				msg = p + 2;
		}
		lua_pushfstring(L, "%s:%d: %s", c->script, ar.currentline, msg);
		return 1;
	}
	lua_pushfstring(L, "%s: %s", c->script, msg);
	return 1;
}

/* Lua shortens a long chunk name to "...tail"; for a message that starts
 * so, returns what follows the tail (":LINE: …"), else NULL. */
static const char *unshorten(const char *msg, const char *path)
{
	if (strncmp(msg, "...", 3))
		return NULL;
	size_t np = strlen(path);
	for (const char *colon = strchr(msg + 3, ':'); colon;
	     colon = strchr(colon + 1, ':')) {
		size_t nt = (size_t)(colon - (msg + 3));
		if (nt <= np && !strncmp(path + np - nt, msg + 3, nt) &&
		    colon[1] >= '0' && colon[1] <= '9')
			return colon;
	}
	return NULL;
}

/* The last line of the file, where a missing `return` would go. */
static int last_line(const char *path)
{
	FILE *f = fopen(path, "r");
	int lines = 1, ch, prev = '\n';
	if (!f)
		return 1;
	while ((ch = getc(f)) != EOF) {
		if (ch == '\n')
			lines++;
		prev = ch;
	}
	fclose(f);
	return prev == '\n' && lines > 1 ? lines - 1 : lines;
}

int front_run(Ctx *c, const char *path, const FrontOpts *o)
{
	Sandbox sb = {.limit = o->mem_limit, .limit_steps = o->instr_limit,
	              .c = c};
	lua_State *L = lua_newstate(sandbox_alloc, &sb);
	if (!L) {
		fprintf(stderr, "nncc: cannot create a Lua state\n");
		return 2;
	}
	c->script = ctx_strdup(c, path);
	open_sandbox(L, c, o->unsafe_lua);
	lua_sethook(L, sandbox_hook, LUA_MASKLINE | LUA_MASKCOUNT, 1000);
	if (o->seconds) {
		alarm_script = c->script;
		alarm_line = &sb.line;
		alarm_seconds = o->seconds;
		signal(SIGALRM, on_alarm);
		alarm((unsigned)o->seconds);
	}
	lua_pushlightuserdata(L, c);
	lua_pushcclosure(L, on_error, 1);
	int rc = luaL_loadfilex(L, path, "t");
	if (rc == LUA_OK)
		rc = lua_pcall(L, 0, 1, 1);
	alarm(0);
	if (rc != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		if (rc == LUA_ERRMEM || sb.dead == 2)
			fprintf(stderr, "%s:%d: the script used more than %zu MiB of "
			                "memory (raise the limit with --lua-mem)\n", path,
			        sb.line, sb.limit >> 20);
		else if (rc == LUA_ERRFILE)
			fprintf(stderr, "nncc: %s\n", msg ? msg : path);
		else if (msg && strstr(msg, "binary chunk"))
			fprintf(stderr, "%s:1: a precompiled Lua chunk; nncc takes Lua "
			                "source text\n", path);
		else if (msg && unshorten(msg, path))
			fprintf(stderr, "%s%s\n", path, unshorten(msg, path));
		else if (msg && strncmp(msg, path, strlen(path)))
			fprintf(stderr, "%s:1: %s\n", path, msg);
		else
			fprintf(stderr, "%s\n", msg ? msg : "error");
		lua_close(L);
		return 1;
	}
	int ok = luaL_testudata(L, -1, RECIPE) != NULL;
	lua_close(L);
	if (!ok) {
		fprintf(stderr, "%s:%d: the script must end with return nn.train{…}"
		                "%s\n", path, c->have_recipe ? c->recipe.pos.line :
		        last_line(path), c->have_recipe ? " (this nn.train{…} is "
		        "not returned)" : "");
		return 1;
	}
	return 0;
}
