/*
 * nncc.h — the compiler's one header: context, IR, op registry, passes.
 *
 * The pipeline (main.c spells it out):
 *   front (Lua script -> forward graph) -> autodiff (backward + update
 *   nodes) -> verify -> schedule -> plan (arena offsets) -> emit (C).
 * Every op is one OpDef in compiler/ops/<op>.c, listed once in ops.h; no
 * pass switches on the op kind, they all read the registry.
 */
#ifndef NNCC_H
#define NNCC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NNCC_VERSION "0.1"

enum {
	MAXDIM = 6,     /* tensor rank, batch dimension included */
	MAXIN = 8,      /* inputs of one node */
	BATCH = -1,     /* the symbolic batch dimension in a Shape */
	ALIGN_FLOATS = 16, /* arena offsets are multiples of 64 bytes */
	/* Elements of one tensor, batch included, and of all parameters
	 * together (the optimizer reads them as one block): the generated C
	 * indexes tensors with int. */
	MAX_NUMEL = 2147483647,
	MAX_NAME = 64,  /* characters of a name from the script */
	MAX_STR = 4095, /* bytes of a string from the script (a path) */
};
/* Element counts saturate here (shape_numel), far above MAX_NUMEL, so the
 * size of a shape too large to accept never overflows while it is
 * checked. */
#define NUMEL_SAT (1L << 60)

typedef struct Ctx Ctx;
typedef struct Node Node;
typedef struct OpDef OpDef;
typedef struct Emit Emit;
typedef struct Buf Buf;

/* ---- util.c ---------------------------------------------------------- */

/* A growable string, allocated with malloc; the one place nncc uses it
 * besides the arena, freed by buf_free. */
struct Buf {
	char *s;
	size_t len, cap;
};
void buf_printf(Buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(Buf *b, const char *fmt, va_list ap);
void buf_puts(Buf *b, const char *s);
void buf_free(Buf *b);

/* The compiler's memory: one arena per Ctx, freed once at exit. */
void *ctx_alloc(Ctx *c, size_t n);          /* zeroed */
char *ctx_strdup(Ctx *c, const char *s);
char *ctx_sprintf(Ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Internal errors: a bug in nncc, exit 2 with the C position. */
#define bug(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void bug_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* User errors outside the Lua run (exit 1): "file:line: message". */
_Noreturn void user_error(const char *where, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- names.c: what the script may call things ------------------------ */

/* An identifier of at most MAX_NAME characters: safe as it is in C text,
 * comments and strings. */
int name_is_ident(const char *s);
/* NULL, or why s cannot be the C type and API prefix of a trainer. */
const char *name_c_prefix(Ctx *c, const char *s);
/* s for a message: non-printable bytes as \xNN, cut after 60. */
const char *name_shown(Ctx *c, const char *s);

/* ---- IR -------------------------------------------------------------- */

typedef enum { DT_F32, DT_I32 } DType;

/* Which part of the training step a node belongs to. */
typedef enum {
	PH_FWD,   /* forward: runs in train_step and in predict/evaluate */
	PH_BWD,   /* backward: gradients */
	PH_UPD,   /* optimizer update of parameters and their state */
} Phase;

/* Where a node's tensor lives. */
typedef enum {
	ST_ARENA,  /* transient, planned into the arena */
	ST_INPUT,  /* the caller's x */
	ST_LABEL,  /* the caller's y */
	ST_PARAM,  /* persistent: parameters */
	ST_GRAD,   /* persistent: gradients */
	ST_STATE,  /* persistent: optimizer state, running statistics */
	ST_VIEW,   /* same memory as in[0], another shape */
	ST_NONE,   /* no tensor: an update node writes its inputs */
	ST_BLOCK,  /* a run of persistent tensors read as one (BlockAttr):
	              plan lays its members out one after another */
} Storage;

typedef struct Shape {
	int n;              /* rank */
	int d[MAXDIM];      /* BATCH for the batch dimension */
} Shape;

typedef struct Pos {
	const char *file;   /* the user's script */
	int line;           /* 0: no position */
} Pos;

struct Node {
	int id;
	const OpDef *op;
	int nin;
	int in[MAXIN];
	Shape shape;
	DType dtype;
	Phase phase;
	Storage st;
	void *attr;         /* the op's typed attribute struct, or NULL */
	Pos pos;            /* the user's line that made it */
	const char *name;   /* persistent tensors: "linear1.weight" */
	const char *layer;  /* the layer instance it belongs to, or NULL */
	int grad;           /* params: node of its gradient, else -1 */
	int ema;            /* params: node of its EMA shadow, else -1 */
	long off;           /* offset in floats within its region */
	long scratch_off;   /* arena offset of its scratch, if any */
	int order;          /* position in the schedule, -1 if not scheduled */
};

/* Attribute schema for the Lua side: a key of a configuration table. */
typedef enum { AK_INT, AK_NUM, AK_BOOL, AK_STR, AK_NUMS, AK_INTS,
               AK_INIT } AttrKind;
/* AK_NUMS and AK_INTS: a Lua list of numbers, stored as a NumList.
 * AK_INIT: "kaiming" or nn.init.kaiming{…}, stored as a const InitSpec *. */
typedef struct NumList {
	int n;
	double *v;
} NumList;
typedef struct AttrKey {
	const char *key;
	AttrKind kind;
	int pos;            /* positional index in {…} (1-based), 0: named only */
	int required;
	double def;         /* default for numbers/bools */
	size_t off;         /* offsetof in the attribute struct */
	double min, max;    /* valid range for numbers (min > max: any) */
} AttrKey;

/* Op traits read by passes. */
enum {
	OT_ELEMWISE = 1 << 0,  /* out[i] depends on in[*][i] only */
	OT_INPLACE = 1 << 1,   /* may write its output over in[0] */
	OT_LOSS = 1 << 2,      /* a scalar loss: mean over the batch */
	OT_SOURCE = 1 << 3,    /* computes nothing: input, label, param, block */
	OT_TRAIN_ONLY = 1 << 4,/* not run by predict/evaluate */
	OT_UPDATE = 1 << 5,    /* an optimizer update: no output tensor */
	OT_MIX = 1 << 6,       /* a loss that mixes two labels for mixup:
	                          λ·L(y) + (1−λ)·L(y2) (see Emit.mix) */
	OT_GRAD_FROM_OUT = 1 << 7, /* its gradient rule reads its output and
	                          dout only, never its inputs (relu, sigmoid) */
	OT_GRAD_FROM_IN = 1 << 8,  /* its gradient rule never reads its output
	                          (add, bias_add, mul) */
	OT_FUSED = 1 << 9,     /* a fused kernel (fuse.c, or a fused op's
	                          gradient): --dot boxes it; with a FuseAttr
	                          the box shows the two ops it replaced */
};

/* A pointwise op's value at one element as a C expression (see OpDef.ew):
 * arg[k] is input k's value there, as a C expression. */
typedef const char *(*EwFn)(Ctx *, const Node *, const char *const *arg);

struct OpDef {
	const char *name;
	int nin;                     /* inputs; -1: any */
	unsigned traits;
	const char *lua;             /* exposed as nn.<lua>(tensors…[, {opts}]) */
	const AttrKey *keys;         /* options of the trailing {…}, or NULL */
	unsigned writes;             /* bit i: writes input i in place (a
	                                persistent tensor: parameters, state) */
	/* The same when it depends on the node's attributes, or NULL. */
	unsigned (*writes_of)(const Node *);
	/* Sets n->shape and n->dtype from its inputs; returns NULL or an error
	 * message (allocated in the ctx) that the front end prefixes with the
	 * user's file:line and the op's name. */
	const char *(*shape)(Ctx *, Node *);
	/* A check that needs the batch, run when nn.train gives it: NULL, or
	 * the whole message, which the front end prefixes with file:line. */
	const char *(*check)(Ctx *, Node *);
	/* Appends the nodes computing the gradient of each input into din[i]
	 * (-1: no gradient) from dout, the gradient of n (-1 for a loss: 1). */
	void (*grad)(Ctx *, Node *, int dout, int *din);
	/* Writes the body of n's block: inputs are x0..x3, output y. */
	void (*emit)(Emit *, Node *);
	/* The same work on sample b alone (b in scope, no threads), for ops
	 * a conv may run sample by sample as it reads their output (fusion
	 * by_sample, emit.c); NULL: not such an op. */
	void (*emit_sample)(Emit *, Node *);
	/* Whether n's kernel runs the node making its input 0 sample by
	 * sample, calling emit_pre_sample in its loop over samples (fusion
	 * by_sample); NULL: never. */
	int (*takes_pre)(Ctx *, const Node *);
	/* Fusion dx_add: n, a gradient nothing reads yet, becomes a node that
	 * adds acc, another gradient of the same tensor, as it stores its
	 * own; 0 if it cannot.  NULL: never. */
	int (*adds_grad)(Ctx *, Node *n, int acc);
	/* Losses: the evaluate() lines that add to `correct` the rows
	 * 0 … rows−1 whose prediction (rows of NN_PREDICT) matches the label
	 * yb[r]; NULL, or no lines: no accuracy. */
	void (*emit_correct)(Emit *, const Node *loss, const Node *predict);
	/* Floats of scratch the emitted code needs while n runs. */
	long (*scratch)(Ctx *, Node *);
	double (*flops)(Ctx *, Node *);
	/* Attribute struct size and a printer for dumps and the model hash. */
	size_t attr_size;
	void (*print_attr)(Buf *, const Node *);
	/* Pointwise ops: the output element as an expression of the inputs'
	 * elements at the same index, or, for inputs whose bit is set in
	 * ew_chan, at the same channel (dimension 1: a bias).  The fusion
	 * pass composes these into one loop (fuse.c). */
	EwFn ew;
	unsigned ew_chan;
};

#define X(op) extern const OpDef op_##op;
#include "ops.h"
#undef X

/* A layer: configured with braces, applied with parentheses.  Layers own
 * parameters and build their nodes from primitive ops on each apply. */
typedef struct LayerDef LayerDef;
typedef struct Layer {
	const LayerDef *def;
	void *attr;
	const char *name;            /* "linear1", or name= from the script */
	int param[4];                /* node ids once applied, else -1 */
	int applied;
	Pos pos;                     /* where it was configured */
} Layer;

struct LayerDef {
	const char *name;
	const AttrKey *keys;
	size_t attr_size;
	/* Checks the configuration (NULL: fine, else the message). */
	const char *(*configure)(Ctx *, Layer *);
	/* Builds the layer on x; returns the output node id, or -1 with *err. */
	int (*apply)(Ctx *, Layer *, int x, Pos, const char **err);
};

#define X(l) extern const LayerDef layer_##l;
#include "layers.h"
#undef X

/* Parameter initialisations (the runtime draws them in _init), with
 * PyTorch's definitions (torch.nn.init):
 *   TORCH    a layer's default: U(±1/√fan_in) (kaiming_uniform_ with
 *            a = √5, what nn.Linear and nn.Conv2d do)
 *   KAIMING  std = gain/√fan, fan = fan_in (or fan_out), gain √2 for ReLU;
 *            N(0, std²), or U(±√3·std)
 *   XAVIER   std = gain·√(2/(fan_in + fan_out)), gain 1; U(±√3·std), or
 *            N(0, std²)
 *   NORMAL   N(0, std²);  UNIFORM  U(±bound);  ZEROS, ONES  constants */
enum { INIT_TORCH, INIT_KAIMING, INIT_XAVIER, INIT_NORMAL, INIT_ZEROS,
       INIT_ONES, INIT_UNIFORM,
       INIT_CONST };             /* optimizer state only: every entry `value` */
/* How a layer's weight is drawn: init = "name" or nn.init.<name>{…}. */
typedef struct InitSpec {
	int kind;                    /* INIT_* */
	int uniform;                 /* KAIMING, XAVIER: U(±√3·std) */
	int fan_out;                 /* KAIMING: mode = "fan_out" */
	double gain;                 /* KAIMING, XAVIER */
	double std;                  /* NORMAL */
	double bound;                /* UNIFORM */
} InitSpec;
typedef struct ParamAttr {
	Shape shape;
	int init;
	int fan_in, fan_out;
	double std;                  /* INIT_NORMAL */
	/* KAIMING, XAVIER, UNIFORM: the rest of an InitSpec */
	int uniform, use_fan_out;
	double gain, bound;
	double value;                /* INIT_CONST */
} ParamAttr;
/* Attributes of a block: its members, persistent tensors of one storage,
 * in the order plan lays them out (the block's in[0] is the first). */
typedef struct BlockAttr {
	int n;
	const int *ids;
} BlockAttr;
/* A block of the persistent tensors ids[0..n) (all of storage st), read as
 * one tensor of their padded total length. */
int ir_block(Ctx *c, const int *ids, int n, Storage st, const char *name,
             Pos pos);
/* Attributes of input, label and target. */
typedef struct SourceAttr {
	Shape shape;
	DType dtype;
	int classes;                 /* label */
	const char *name;            /* the script's name for it */
} SourceAttr;

/* A parameter of layer l: "<l->name>.<suffix>", made on the first apply. */
int layer_param(Ctx *c, Layer *l, int slot, const char *suffix, Shape s,
                ParamAttr a, Pos pos);
/* The spec of init = "name" (the defaults of nn.init.<name>{}), or NULL
 * with *err for a name that is not one or needs a value. */
const InitSpec *init_named(Ctx *c, const char *name, const char **err);
/* PyTorch's calculate_gain(nonlinearity, a); -1 for an unknown name. */
double init_gain(const char *nonlinearity, double a);
/* A weight's ParamAttr from its layer's init (NULL: TORCH) and fans. */
ParamAttr param_init(const InitSpec *s, int fan_in, int fan_out);
/* Persistent state of layer l that is not trained (running statistics):
 * "<l->name>.<suffix>", saved in checkpoints, set to init at _init. */
int layer_state(Ctx *c, Layer *l, int slot, const char *suffix, Shape s,
                int init, Pos pos);

/* ---- the recipe: what nn.train{…} said, beside the graph ------------- */

typedef struct OptimDef OptimDef;
typedef struct Optim {
	const OptimDef *def;
	double lr, momentum, dampening, weight_decay;
	int nesterov;
	double beta1, beta2, eps;
	int decoupled;
	double lr_decay, initial_accumulator_value;    /* adagrad */
	double alpha;                                  /* rmsprop */
	int centered;
	double final_lr, gamma;                        /* adabound */
	double l1, clip_norm;                          /* any optimizer; 0: off */
	Pos pos;                                       /* the nn.optim.… call */
} Optim;

enum { MAXSTATE = 4 };

/* An optimizer: its keys, its kinds of state (one tensor of each per
 * trained parameter, "optim.<param>.<state>"), and the op that updates
 * all parameters at once from the blocks of parameters, gradients and
 * each state kind. */
struct OptimDef {
	const char *name;
	const AttrKey *keys;
	const char *state_names[MAXSTATE];
	/* Whether the configuration keeps state kind s (NULL: every kind). */
	int (*has_state)(const Optim *, int s);
	/* What state kind s starts from (NULL: 0). */
	double (*state_init)(const Optim *, int s);
	/* Checks across keys: NULL, or the message. */
	const char *(*check)(Ctx *, const Optim *);
	const OpDef *update;
};
/* The state kinds the configuration keeps. */
int optim_nstate(const Optim *o);
int optim_has_state(const Optim *o, int s);

typedef struct DataSpec {
	int kind;                    /* 0 none, 1 idx, 2 csv */
	const char *a, *b;
	int label_col, header;
	double scale;
	Pos pos;
	NumList mean, std;           /* normalize = {mean, std}; n = 0: none */
} DataSpec;

/* nn.augment.*{…}, kinds numbered as the runtime's RT_AUG_*. */
enum { AUG_HFLIP = 1, AUG_CROP, AUG_CUTOUT, AUG_ERASE, AUG_MIXUP };
typedef struct AugSpec {
	int kind;
	double p;                    /* hflip, random_erasing */
	int size;                    /* random_crop: pad; cutout: the side */
	NumList scale, ratio;        /* random_erasing */
	double value;                /* random_erasing */
	double alpha;                /* mixup */
	Pos pos;                     /* the nn.augment.… call */
} AugSpec;
/* Schedules: the values of the runtime's RT_SCHED_*. */
enum { SCHED_CONSTANT, SCHED_STEP, SCHED_EXP, SCHED_COSINE, SCHED_PLATEAU };

typedef struct Recipe {
	const char *name;            /* C prefix, a checked identifier */
	int loss, predict;           /* node ids */
	int batch, epochs;
	uint64_t seed;
	int shuffle;
	Optim opt;
	int sched;                   /* RT_SCHED_* values */
	double sched_every, sched_gamma, warmup, min_lr;
	/* the warmup's start (LinearLR's start_factor) and plateau's keys
	 * (ReduceLROnPlateau's factor, patience, threshold, cooldown) */
	double warmup_start, plateau_factor, plateau_threshold;
	int plateau_patience, plateau_cooldown;
	DataSpec train, valid;
	double split;
	const char *ckpt_path;
	int ckpt_every;
	int patience;
	double min_delta;
	/* what the driver watches and sets up besides the loop */
	int monitor;                 /* RT_MONITOR_* values */
	const char *ckpt_best;       /* checkpoint{best = path}, or NULL */
	double ema_decay;            /* ema{decay}; 0: no EMA of the weights */
	int prior;                   /* RT_PRIOR_* values */
	const char *prior_bias;      /* the bias init_bias_from_prior sets */
	Pos pos;                     /* the nn.train call */
	/* data options and augmentation */
	AugSpec *augment;            /* in the order given */
	int naugment;
	int mixup;                   /* the last augmentation is mixup */
	int balance;                 /* RT_BALANCE_* values */
	int drop_last;
} Recipe;

/* ---- the context ----------------------------------------------------- */

typedef struct Arena Arena;

struct Ctx {
	Arena *arena;
	size_t arena_bytes;          /* all its blocks: what a script makes
	                                nncc hold counts against --lua-mem */
	Node **nodes;
	int nnodes, capnodes;
	const char *script;          /* path of the user's script */
	Recipe recipe;
	int have_recipe;
	int input, label;            /* node ids of the single input/label */
	/* the schedule: node ids in execution order */
	int *sched;
	int nsched;
	/* region sizes in floats, filled by plan */
	long nparam, ngrad, nstate, narena, naive_arena;
	/* options */
	unsigned fuse;               /* fusions on: bit i = fusions[i], FUSE_OPTIM */
	int quiet;                   /* no warnings: a second compile (report) */
	uint64_t hash;               /* the model's hash, of the unfused graph */
	int dump_after;              /* bitmask of passes to dump after */
	FILE *dump;
	int layer_count[32];         /* per layer kind, for naming */
};

Ctx *ctx_new(void);
void ctx_free(Ctx *c);

/* main.c: the whole command on argv, compiling into c; the exit status.
 * main() is this around a fresh Ctx (left out with -DNNCC_NO_MAIN, as
 * the fuzz harness tests/fuzz/fuzz_front.c does). */
int nncc_main(Ctx *c, int argc, char **argv);

#ifdef NNCC_FUZZ
/* The fuzz harness runs many scripts in one process: while this is set,
 * a user error jumps to it instead of exiting.  A bug still exits (2),
 * which the fuzzer reports. */
#include <setjmp.h>
extern jmp_buf *nncc_fuzz_jump;
#endif

/* ---- ir.c ------------------------------------------------------------ */
Node *ir_node(Ctx *c, int id);
/* Creates a node, runs the op's shape rule; returns the node, or NULL and
 * *err = the message when the shape rule rejects the inputs. */
Node *ir_add(Ctx *c, const OpDef *op, const int *in, int nin, void *attr,
             Pos pos, const char **err);
/* The same for nodes the compiler makes itself (autodiff): a shape error
 * there is a bug. */
int ir_make(Ctx *c, const OpDef *op, Phase ph, const int *in, int nin,
            void *attr, Pos pos);
int ir_make1(Ctx *c, const OpDef *op, Phase ph, int a, void *attr, Pos pos);
int ir_make2(Ctx *c, const OpDef *op, Phase ph, int a, int b, void *attr,
             Pos pos);
/* Elements of s with the batch as `batch`, at most NUMEL_SAT. */
long shape_numel(const Shape *s, int batch);
int shape_eq(const Shape *a, const Shape *b);
const char *shape_str(Ctx *c, const Shape *s);  /* "[B,256]" */
long node_numel(Ctx *c, const Node *n);          /* batch resolved */
/* Bytes a node moves: its inputs read once and its output written. */
double node_bytes(Ctx *c, const Node *n);
/* NULL, or why n's tensor cannot be: an empty dimension, or more than
 * MAX_NUMEL elements at this batch (0: per sample). */
const char *ir_size_error(Ctx *c, const Node *n, int batch);
void ir_dump(Ctx *c, FILE *f, const char *title);
/* Keeps the nodes marked in keep[], renumbering ids and inputs. */
void ir_compact(Ctx *c, const char *keep);
void ir_verify(Ctx *c, const char *after);
uint64_t ir_hash(Ctx *c);

/* ---- front.c: the Lua front end -------------------------------------- */
typedef struct FrontOpts {
	int unsafe_lua;
	size_t mem_limit;            /* bytes the script may allocate */
	long instr_limit;            /* VM instructions, in thousands */
	int seconds;                 /* wall clock; 0: no limit */
} FrontOpts;
/* Runs the script; on a user error prints it and returns 1. */
int front_run(Ctx *c, const char *path, const FrontOpts *o);

/* ---- fuse.c: the fusion pass ------------------------------------------ */

/* The fusions, by name for --fuse=LIST.  Each rewrites a producer and its
 * only consumer into one node of a fused op, on the forward graph before
 * autodiff, so the fused op's gradient rule builds the fused backward. */
typedef struct Fusion {
	const char *name;
	const char *help;            /* one line for --help */
	/* Whether producer p feeding consumer n (as its input slot) fuses. */
	int (*match)(Ctx *, const Node *p, const Node *n);
	const OpDef *into;
	/* An op the front end builds fused: when the fusion is off, split
	 * rewrites each node of op `into` into its parts, returning the id of
	 * the node that now stands for it (NULL: none). */
	int (*split)(Ctx *, Node *);
} Fusion;
extern const Fusion fusions[];  /* ends with {0} */
/* c->fuse bit of "optim": one update loop over every parameter (autodiff) */
enum { FUSE_OPTIM = 1u << 30 };
/* c->fuse bit of "sgd_gemm": plain SGD's step in a weight gradient's
 * product (autodiff, ops/matmul.c's matmul_sgd) */
enum { FUSE_SGD_GEMM = 1u << 29 };
/* c->fuse bit of "bn_sums": batch norm's dβ and dγ from one pass over dy
 * and x (ops/norm.c's bn_apply gradient rule) */
enum { FUSE_BN_SUMS = 1u << 28 };
/* c->fuse bit of "dx_add": a tensor's two gradients summed by the conv
 * input gradient making the second, as it stores it (autodiff,
 * OpDef.adds_grad) */
enum { FUSE_DX_ADD = 1u << 27 };
/* c->fuse bit of "by_sample": a batch norm + ReLU runs sample by sample
 * inside the conv reading its output, each sample's output read while it
 * is in cache (emit.c, OpDef.emit_sample and takes_pre) */
enum { FUSE_BY_SAMPLE = 1u << 26 };
/* The fusions that are not rewrites of a node pair (fusions[]) but
 * choices other passes make, each its bit of c->fuse; --fuse and --help
 * read them here. */
typedef struct FuseChoice {
	const char *name;
	const char *help;            /* one line for --help */
	unsigned bit;
} FuseChoice;
extern const FuseChoice fuse_choices[];  /* ends with {0} */
/* A fused node's attribute: the two nodes it replaced, as they were. */
typedef struct FuseAttr {
	const Node *first, *then;
	int slot;                    /* the input of `then` first fed */
} FuseAttr;
/* The mask of the fusions named in a comma-separated list, or -1 and
 * *bad = the first unknown name. */
long fuse_mask(Ctx *c, const char *list, const char **bad);
void fuse(Ctx *c);          /* the fusions in c->fuse */
/* print_attr of fused ops: "first+then" and their attributes */
void fused_print(Buf *b, const Node *n);
/* A fused pair's shape (then's), gradient (then's rule, then first's from
 * the gradient of its slot) and FLOPs (both), for fused ops whose
 * backward is their parts' (fuse.c) */
const char *fused_shape(Ctx *c, Node *n);
void fused_grad(Ctx *c, Node *n, int dout, int *din);
double fused_flops(Ctx *c, Node *n);

/* ---- passes ---------------------------------------------------------- */
void autodiff(Ctx *c);      /* autodiff.c */
void schedule(Ctx *c);      /* schedule.c */
void plan(Ctx *c);          /* plan.c */
int plan_inplace(Ctx *c, const Node *n);  /* plan wrote n over its in[0] */
/* Floats of scratch the prelude's nn_gemm needs for C = op(A)·op(B) with
 * op(B) K×N (ops/matmul.c). */
long gemm_scratch(long N, long K);

/* What the command line asks of the emitted file. */
typedef struct EmitOpts {
	const char *isa;             /* avx512, avx2, scalar or auto */
	int profile;                 /* time every node: #define NNCC_PROFILE */
} EmitOpts;
void emit_c(Ctx *c, const char *cpath, const char *hpath, const EmitOpts *o);
/* u: the same model compiled unfused, for the comparison, or NULL. */
void report(Ctx *c, FILE *f, const Ctx *u);

/* ---- emit.c: what op emitters call ----------------------------------- */
struct Emit {
	Ctx *c;
	Buf *b;
	int eval;                    /* emitting the eval-mode forward */
	int indent;
	/* mixup: training losses (not eval) are λ·L(y) + (1−λ)·L(y2) with
	 * λ = m->mix_lambda and y2 = m->mix_y when m->mix_y is set */
	int mix;
	/* fusion by_sample: the node whose output the conv being emitted
	 * reads, run on each sample at the top of the conv's sample loop
	 * (emit_pre_sample); NULL: none */
	Node *pre;
};
/* Appends one line of C at the current indent. */
void emit_line(Emit *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The batch-resolved number of elements of input i (or of the output if
 * i < 0), and a dimension of it. */
long emit_numel(Emit *e, const Node *n, int i);
int emit_dim(Emit *e, const Node *n, int i, int dim);
/* fusion by_sample, in a conv's sample loop (b in scope): e->pre's work
 * on sample b, in a block of its own inputs and output. */
void emit_pre_sample(Emit *e);

/* ---- ops/common.c: helpers shared by op definitions ------------------ */
Node *in_node(Ctx *c, const Node *n, int i);
const char *elementwise_same_shape(Ctx *c, Node *n);
void print_no_attr(Buf *b, const Node *n);
double flops_per_elem(Ctx *c, Node *n, double k);
/* Pointwise gradient: din[0] = op(dout, n) for unary activations whose
 * derivative is written in terms of their output. */
void grad_from_output(Ctx *c, Node *n, int dout, int *din, const OpDef *g);

/* Pointwise ops (OpDef.ew): tmpl with $0…$9 replaced by arg[0…9]; the
 * loop y = f(x0, …) over n's elements, inputs in chan per channel; the
 * emit of an op that is that loop of its own ew. */
const char *ew_subst(Ctx *c, const char *tmpl, const char *const *arg);
void emit_pointwise(Emit *e, const Node *n, unsigned chan, EwFn f);
void ew_emit(Emit *e, Node *n);

/* Whether n is a 2×2 maxpool of stride 2 without padding (ops/pool.c);
 * whether bn_relu_pool takes x's planes (ops/norm.c). */
int maxpool_2x2(const Node *n);
/* softmax_ce(z, y) as nll(log_softmax(z), y) (ops/loss.c, Fusion.split) */
int softmax_ce_split(Ctx *c, Node *n);
int bn_relu_pool_fits(Ctx *c, const Node *x);

/* Per-channel sums of [outer, ch, inner] planes through the scratch
 * (ops/common.c), and the scratch it takes. */
void emit_plane_reduce(Emit *e, long outer, int ch, long inner, int nsum,
                       int skip, const char *consts, const char *call);
long plane_reduce_scratch(Ctx *c, const Node *x, int nsum);

/* Attributes of nodes one op makes of another's kind. */
void *matmul_attr(Ctx *c, int ta, int tb);
/* The product of matmul node mm through the prelude's nn_gemm_epi
 * epilogue epi ("NN_BIAS | NN_RELU"; NULL: plain nn_gemm), its bias and
 * lr C expressions (ops/matmul.c). */
void emit_gemm(Emit *e, const Node *mm, const char *out, const char *epi,
               const char *bias, const char *lr);
long matmul_depth(Ctx *c, const Node *n);   /* K, the batch resolved */
enum { GEMM_KC = 1024 };   /* the prelude's NN_KC: K's block in nn_gemm */

/* A C float literal that reads back as v ("0.899999976f", "1.0f"). */
const char *cfloat(Ctx *c, double v);
/* A C double literal that reads back as v, as short as that allows
 * ("0.9", not "0.90000000000000002"). */
const char *cdouble(Ctx *c, double v);

/* ema{decay}: the shadow "ema.<name>" of trained parameter p and its
 * update after the optimizer's (ops/ema.c). */
void ema_track(Ctx *c, Node *p, double decay);

/* The optimizers (ops/optim.c), NULL-terminated, in nn.optim order. */
extern const OptimDef *const all_optims[];

#endif
