/*
 * main.c — the command line and the pipeline, in order:
 *
 *   front -> fuse -> autodiff -> schedule -> plan -> emit
 *
 * with the verifier after every pass and -d PASS,… dumping the IR after
 * the named ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nncc.h"

static const char usage[] =
	"usage: nncc model.lua -o train.c [options]\n"
	"       nncc run [options] model.lua [-- trainer flags]\n"
	"       nncc --version | --help\n"
	"\n"
	"Compiles a Lua model and its training recipe into one C trainer\n"
	"(train.c and train.h) that links against libnncc_rt.\n"
	"\n"
	"options:\n"
	"  -o FILE.c           write the trainer (and FILE.h beside it)\n"
	"  --report            print the graph, FLOPs and the memory plan\n"
	"  --dot FILE          write the graph for Graphviz\n"
	"  --isa=ISA           avx512, avx2, scalar or auto (default: auto, the\n"
	"                      best the C compiler's target allows)\n"
	"  --profile           the trainer times every op and prints a table at\n"
	"                      exit (the same as compiling with -DNNCC_PROFILE)\n"
	"  --no-fuse           every fusion off: each op its own loop\n"
	"  --fuse=LIST         only the named fusions (listed below), comma-\n"
	"                      separated; default: all of them\n"
	"  -d PASS,…           dump the IR to stderr after passes: front,\n"
	"                      fuse, autodiff, schedule, plan (or all)\n"
	"  --unsafe-lua        run the script with Lua's full library\n"
	"  --lua-mem MIB       memory the script may use, and the graph it\n"
	"                      builds (default 256)\n"
	"  --lua-steps M       million VM instructions it may run (default 200)\n"
	"  --lua-seconds S     seconds it may run (default 10)\n"
	"  --max-mem MIB       memory the trainer may need: parameters, gradients,\n"
	"                      optimizer state and activations (default 16384)\n"
	"\n"
	"nncc run emits into .nncc/NAME/, compiles with cc (clang when there\n"
	"is one), and runs the trainer with the flags after --.\n"
	"\n"
	"exit: 0 ok, 1 a mistake in the script or the command line, 2 a bug.\n"
	"\n"
	"fusions:\n";

static void print_usage(void)
{
	fputs(usage, stdout);
	for (int f = 0; fusions[f].name; f++)
		printf("  %-19s %s\n", fusions[f].name, fusions[f].help);
	for (int f = 0; fuse_choices[f].name; f++)
		printf("  %-19s %s\n", fuse_choices[f].name, fuse_choices[f].help);
}

enum { P_FRONT = 1, P_AUTODIFF = 2, P_SCHEDULE = 4, P_PLAN = 8,
       P_FUSE = 16 };

typedef struct Opts {
	const char *script, *out, *dot, *isa;
	int report, run, dump, profile;
	const char *fuse;            /* --fuse=LIST, "" for --no-fuse, or NULL */
	long max_mem;                /* bytes the trainer may need */
	FrontOpts front;
	char **trainer_argv;
	int trainer_argc;
} Opts;

static void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "nncc: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see nncc --help)\n");
	exit(1);
}

static long parse_count(const char *flag, const char *s, long max)
{
	char *end;
	errno = 0;
	long v = s ? strtol(s, &end, 10) : 0;
	if (!s || errno || *end || v < 1 || v > max)
		usage_error("%s takes a positive number", flag);
	return v;
}

static int parse_dump(const char *s)
{
	static const struct {
		const char *name;
		int bit;
	} passes[] = {{"front", P_FRONT}, {"autodiff", P_AUTODIFF},
	              {"schedule", P_SCHEDULE}, {"plan", P_PLAN},
	              {"fuse", P_FUSE}, {"all", 31}};
	int bits = 0;
	char buf[256];
	snprintf(buf, sizeof buf, "%s", s);
	for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
		int found = 0;
		for (size_t i = 0; i < sizeof passes / sizeof *passes; i++)
			if (!strcmp(t, passes[i].name)) {
				bits |= passes[i].bit;
				found = 1;
			}
		if (!found)
			usage_error("-d: unknown pass '%s' (front, fuse, autodiff, "
			            "schedule, plan, all)", t);
	}
	return bits;
}

static void parse_args(Opts *o, int argc, char **argv)
{
	o->isa = "auto";
	o->front.mem_limit = (size_t)256 << 20;
	o->front.instr_limit = 200000;
	o->front.seconds = 10;
	o->max_mem = 16384L << 20;
	int i = 1;
	if (argc > 1 && !strcmp(argv[1], "run")) {
		o->run = 1;
		i = 2;
	}
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			print_usage();
			exit(0);
		} else if (!strcmp(a, "--version")) {
			printf("nncc %s\n", NNCC_VERSION);
			exit(0);
		} else if (!strcmp(a, "-o")) {
			if (++i == argc)
				usage_error("%s needs a file name", a);
			o->out = argv[i];
		} else if (!strcmp(a, "--report")) {
			o->report = 1;
		} else if (!strcmp(a, "--profile")) {
			o->profile = 1;
		} else if (!strcmp(a, "--dot")) {
			if (++i == argc)
				usage_error("%s needs a file name", a);
			o->dot = argv[i];
		} else if (!strncmp(a, "--isa=", 6)) {
			o->isa = a + 6;
			if (strcmp(o->isa, "avx512") && strcmp(o->isa, "avx2") &&
			    strcmp(o->isa, "scalar") && strcmp(o->isa, "auto"))
				usage_error("--isa: '%s' is not avx512, avx2, scalar or "
				            "auto", o->isa);
		} else if (!strcmp(a, "--no-fuse")) {
			o->fuse = "";
		} else if (!strncmp(a, "--fuse=", 7)) {
			o->fuse = a + 7;
		} else if (!strcmp(a, "-d")) {
			if (++i == argc)
				usage_error("%s needs pass names", a);
			o->dump |= parse_dump(argv[i]);
		} else if (!strcmp(a, "--unsafe-lua")) {
			o->front.unsafe_lua = 1;
		} else if (!strcmp(a, "--lua-mem")) {
			o->front.mem_limit = (size_t)parse_count(a, argv[i + 1 < argc ?
			                     ++i : i], 1 << 20) << 20;
		} else if (!strcmp(a, "--lua-steps")) {
			o->front.instr_limit = 1000 * parse_count(a, argv[i + 1 < argc ?
			                       ++i : i], 1 << 20);
		} else if (!strcmp(a, "--lua-seconds")) {
			o->front.seconds = (int)parse_count(a, argv[i + 1 < argc ? ++i :
			                                    i], 1 << 20);
		} else if (!strcmp(a, "--max-mem")) {
			o->max_mem = parse_count(a, argv[i + 1 < argc ? ++i : i],
			                         1L << 30) << 20;
		} else if (!strcmp(a, "--") && o->run) {
			o->trainer_argv = argv + i + 1;
			o->trainer_argc = argc - i - 1;
			break;
		} else if (a[0] == '-') {
			usage_error("unknown option '%s'", a);
		} else if (o->script) {
			usage_error("one script at a time (also got '%s')", a);
		} else {
			o->script = a;
		}
	}
	if (!o->script)
		usage_error("%s", "no model script given");
	if (!o->run && !o->out && !o->report && !o->dot)
		usage_error("%s", "nothing to do: give -o FILE.c, --report or --dot");
	if (o->out) {
		size_t n = strlen(o->out);
		if (n < 3 || strcmp(o->out + n - 2, ".c"))
			usage_error("-o: '%s' must end in .c", o->out);
		/* the .c file #includes the .h by this name */
		const char *base = strrchr(o->out, '/');
		for (const char *p = base ? base + 1 : o->out; *p; p++)
			if (*p == '"' || *p == '\\' || *p == '\'' || *p == '?' ||
			    (unsigned char)*p < 32 || *p == 127)
				usage_error("-o: '%s': a C file cannot #include a name with "
				            "a quote, backslash, '?' or control character",
				            o->out);
	}
}

static void after(Ctx *c, const Opts *o, int pass, const char *name)
{
	ir_verify(c, name);
	if (o->dump & pass)
		ir_dump(c, stderr, name);
}

static double gib(long floats)
{
	return 4.0 * (double)floats / (1 << 30);
}

/* After plan, what the trainer will hold: each tensor and each op's
 * scratch fits the int indexing of the generated C, and the whole block
 * (_sizeof) fits under --max-mem.  A failure is the script's: a model
 * too large, said at the line that made it. */
static void check_memory(Ctx *c, const Opts *o)
{
	const Recipe *r = &c->recipe;
	for (int i = 0; i < c->nnodes; i++) {
		Node *n = c->nodes[i];
		const char *at = ctx_sprintf(c, "%s:%d", n->pos.file, n->pos.line);
		const char *what = n->layer ? n->layer : n->op->name;
		const char *err = ir_size_error(c, n, r->batch);
		if (err)
			user_error(at, "%s: %s", what, err);
		long k = n->op->scratch && n->order >= 0 ? n->op->scratch(c, n) : 0;
		if (k > MAX_NUMEL)
			user_error(at, "%s: %s needs %ld floats of scratch at batch %d; "
			           "at most 2147483647 (2^31 - 1) fit", what,
			           n->op->name, k, r->batch);
	}
	long io = shape_numel(&ir_node(c, c->input)->shape, r->batch) +
	          shape_numel(&ir_node(c, c->label)->shape, r->batch);
	long total = c->nparam + c->ngrad + c->nstate + c->narena + io;
	if (4.0 * (double)total > (double)o->max_mem)
		user_error(ctx_sprintf(c, "%s:%d", r->pos.file, r->pos.line),
		           "train: the trainer would need %.2f GiB (parameters "
		           "%.2f, gradients %.2f, optimizer state %.2f, activations "
		           "%.2f at batch %d, the batch itself %.2f); the limit is "
		           "%.2f GiB (raise it with --max-mem MIB)", gib(total),
		           gib(c->nparam), gib(c->ngrad), gib(c->nstate),
		           gib(c->narena), r->batch, gib(io),
		           (double)o->max_mem / (1 << 30));
}

/* Graphviz: forward blue, backward red, update green; persistent tensors
 * as boxes; each fused kernel in a grey box of its own, the forward ones
 * showing the two ops they replaced, joined, inside it. */
static void write_dot(Ctx *c, const char *path)
{
	static const char *color[] = {"#3465a4", "#cc0000", "#4e9a06"};
	FILE *f = fopen(path, "w");
	if (!f)
		user_error("nncc", "cannot write %s", path);
	fprintf(f, "digraph \"%s\" {\n\trankdir=TB;\n\tnode [fontname=Helvetica "
	           "fontsize=10];\n\tedge [color=\"#555555\"];\n", c->recipe.name);
	for (int i = 0; i < c->nnodes; i++) {
		Node *n = c->nodes[i];
		int box = n->st == ST_PARAM || n->st == ST_STATE || n->st == ST_GRAD ||
		          n->st == ST_BLOCK;
		const char *label = ctx_sprintf(c, "%s\\n%s%s%s", n->op->name,
		                                shape_str(c, &n->shape),
		                                n->name ? "\\n" : "",
		                                n->name ? n->name : "");
		if (!(n->op->traits & OT_FUSED)) {
			fprintf(f, "\tn%d [label=\"%s\" color=\"%s\" shape=%s];\n", i,
			        label, color[n->phase], box ? "box" : "ellipse");
		} else {
			fprintf(f, "\tsubgraph cluster_%d {\n\t\tlabel=\"fused: %s\"; "
			           "style=\"rounded,filled\"; fillcolor=\"#eeeeee\"; "
			           "color=\"#888888\"; fontsize=9;\n", i, n->op->name);
			const FuseAttr *a = n->attr;
			if (n->phase == PH_FWD && a) {  /* the two ops it replaced */
				fprintf(f, "\t\tn%d_f [label=\"%s\" color=\"%s\"];\n", i,
				        a->first->op->name, color[n->phase]);
				fprintf(f, "\t\tn%d_f -> n%d;\n", i, i);
			}
			fprintf(f, "\t\tn%d [label=\"%s\" color=\"%s\"];\n\t}\n", i,
			        n->phase == PH_FWD && a ? ctx_sprintf(c, "%s\\n%s",
			        a->then->op->name, shape_str(c, &n->shape)) : label,
			        color[n->phase]);
		}
		int fwd_fused = (n->op->traits & OT_FUSED) && n->phase == PH_FWD &&
		                n->attr;
		for (int k = 0; k < n->nin; k++)
			fprintf(f, "\tn%d -> n%d%s;\n", n->in[k], i,
			        fwd_fused ? "_f" : "");
	}
	fprintf(f, "}\n");
	if (fclose(f))
		user_error("nncc", "cannot write %s", path);
}

/* The directory of this executable, to find the runtime beside it. */
static const char *self_dir(Ctx *c)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return ".";
	buf[n] = 0;
	char *s = strrchr(buf, '/');
	if (s)
		*s = 0;
	return ctx_strdup(c, buf);
}

static int run_cmd(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "nncc: cannot run %s\n", argv[0]);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* nncc run: emit into .nncc/NAME/, compile with the runtime, train. */
static int run_trainer(Ctx *c, Opts *o)
{
	const char *name = c->recipe.name;
	mkdir(".nncc", 0777);
	char *dir = ctx_sprintf(c, ".nncc/%s", name);
	if (mkdir(dir, 0777) && errno != EEXIST)
		user_error("nncc", "cannot create %s", dir);
	char *cfile = ctx_sprintf(c, "%s/%s.c", dir, name);
	char *hfile = ctx_sprintf(c, "%s/%s.h", dir, name);
	char *exe = ctx_sprintf(c, "%s/%s", dir, name);
	emit_c(c, cfile, hfile, &(EmitOpts){o->isa, o->profile});
	const char *rt = getenv("NNCC_RUNTIME");
	if (!rt)
		rt = ctx_sprintf(c, "%s/../runtime", self_dir(c));
	const char *cc = getenv("CC");
	if (!cc)
		cc = system("command -v clang >/dev/null 2>&1") == 0 ? "clang" : "cc";
	char *rtlib = ctx_sprintf(c, "%s/../build/libnncc_rt.a", rt);
	struct stat sb;
	int havelib = stat(rtlib, &sb) == 0;
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)cc;
	argv[n++] = "-std=c11";
	argv[n++] = "-O2";
	argv[n++] = strcmp(o->isa, "scalar") ? "-march=native" : "-O2";
	argv[n++] = ctx_sprintf(c, "-I%s", rt);
	argv[n++] = "-o";
	argv[n++] = exe;
	argv[n++] = cfile;
	if (havelib) {
		argv[n++] = rtlib;
	} else {
		static const char *srcs[] = {"rt_rng.c", "rt_data.c",
		                             "rt_safetensors.c", "rt_util.c",
		                             "rt_main.c", "rt_sched.c"};
		for (size_t i = 0; i < sizeof srcs / sizeof *srcs; i++)
			argv[n++] = ctx_sprintf(c, "%s/%s", rt, srcs[i]);
	}
	argv[n++] = "-lm";
	argv[n] = NULL;
	fprintf(stderr, "nncc: compiling %s\n", exe);
	if (run_cmd(argv) != 0) {
		fprintf(stderr, "nncc: the C compiler failed on %s; this is a bug "
		                "in nncc\n", cfile);
		return 2;
	}
	char **targv = ctx_alloc(c, sizeof *targv * (size_t)(o->trainer_argc + 2));
	targv[0] = exe;
	for (int i = 0; i < o->trainer_argc; i++)
		targv[i + 1] = o->trainer_argv[i];
	fflush(stdout);
	return run_cmd(targv);
}

int nncc_main(Ctx *c, int argc, char **argv)
{
	Opts o = {0};
	parse_args(&o, argc, argv);

	int rc = front_run(c, o.script, &o.front);
	if (rc)
		return rc;
	after(c, &o, P_FRONT, "front");
	c->hash = ir_hash(c);   /* of the graph as written: fusing keeps it */
	c->fuse = ~0u;
	if (o.fuse) {
		const char *bad = NULL;
		long m = fuse_mask(c, o.fuse, &bad);
		if (m < 0) {
			fprintf(stderr, "nncc: --fuse: unknown fusion '%s' (see nncc "
			                "--help)\n", bad);
			return 1;
		}
		c->fuse = (unsigned)m;
	}
	fuse(c);
	after(c, &o, P_FUSE, "fuse");
	autodiff(c);
	after(c, &o, P_AUTODIFF, "autodiff");
	schedule(c);
	after(c, &o, P_SCHEDULE, "schedule");
	plan(c);
	after(c, &o, P_PLAN, "plan");
	check_memory(c, &o);

	if (o.report) {
		/* the same model unfused, for the comparison of the totals */
		Ctx *u = NULL;
		if (c->fuse) {
			u = ctx_new();
			u->quiet = 1;
			if (front_run(u, o.script, &o.front))
				bug("the script failed on its second run");
			fuse(u);   /* u->fuse = 0: softmax_ce split, nothing fused */
			autodiff(u);
			schedule(u);
			plan(u);
		}
		report(c, stdout, u);
		if (u)
			ctx_free(u);
	}
	if (o.dot)
		write_dot(c, o.dot);
	if (o.out) {
		size_t n = strlen(o.out);
		char *h = ctx_strdup(c, o.out);
		h[n - 1] = 'h';
		emit_c(c, o.out, h, &(EmitOpts){o.isa, o.profile});
	}
	if (o.run)
		rc = run_trainer(c, &o);
	return rc;
}

#ifndef NNCC_NO_MAIN
int main(int argc, char **argv)
{
	Ctx *c = ctx_new();
	int rc = nncc_main(c, argc, argv);
	ctx_free(c);
	return rc;
}
#endif
