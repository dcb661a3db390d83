/*
 * probe.c — looks inside a generated model for the recipe tests
 * (tests/trainer/driver.sh), through its public API only:
 *
 *   probe init SEED NAME               tensor NAME after _init(SEED)
 *   probe save SEED FILE               the model after _init(SEED), saved
 *   probe tensor CKPT NAME             tensor NAME of a checkpoint
 *   probe evaluate CKPT IMAGES LABELS  "loss acc" of the model in CKPT on
 *                                      IDX data (pixels scaled by 1/255)
 *   probe evaluate-raw CKPT IMAGES LABELS
 *                                      the same with every EMA shadow
 *                                      replaced by its weights, so the
 *                                      trained weights themselves are
 *                                      evaluated
 *
 * Values print one per line as "%.9g" (floats, exactly).  Exit 1 with a
 * message on stderr when something is missing.  Built per model like
 * isa_losses.c, with -DPROBE_EVALUATE for a classifier (evaluate):
 *
 *   cc -DMODEL=net -DMODEL_UC=NET -include net.h probe.c net.c (-DNNCC_NO_MAIN)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nncc_rt.h"

#if !defined(MODEL) || !defined(MODEL_UC)
#error "compile with -DMODEL=<name> -DMODEL_UC=<NAME> -include <name>.h"
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define F(f) CAT(MODEL, _##f)
#define K(k) CAT(MODEL_UC, _##k)

static int fail(const char *what, const char *name)
{
	fprintf(stderr, "probe: %s: %s\n", what, name);
	return 1;
}

static int print_tensor(MODEL *m, const char *name)
{
	long n = 0;
	const float *p = F(tensor)(m, name, &n);
	if (!p)
		return fail("no tensor", name);
	for (long i = 0; i < n; i++)
		printf("%.9g\n", p[i]);
	return 0;
}

#ifdef PROBE_EVALUATE   /* a classifier: evaluate loads class labels */
/* Every "ema.<w>" shadow the model has, overwritten by <w>: a model that
 * evaluates its weights instead of their average. */
static void shadows_to_weights(MODEL *m, const char *const *names, int n)
{
	for (int i = 0; i < n; i++) {
		char ema[256];
		long nw = 0, ne = 0;
		snprintf(ema, sizeof ema, "ema.%s", names[i]);
		const float *w = F(tensor)(m, names[i], &nw);
		float *s = F(tensor)(m, ema, &ne);
		if (w && s && nw == ne)
			memcpy(s, w, sizeof(float) * (size_t)nw);
	}
}

static int evaluate(MODEL *m, char **argv, int raw, int nparam)
{
	RtData d;
	RtErr e;
	float acc = 0;
	if (rt_load_idx(&d, argv[3], argv[4], 1.0f / 255, K(CLASSES), &e) < 0)
		return fail("data", e.msg);
	if (raw)
		shadows_to_weights(m, (const char *const *)argv + 5, nparam);
	float loss = F(evaluate)(m, d.x, d.y, d.n, &acc);
	printf("%.9g %.9g\n", loss, acc);
	rt_data_free(&d);
	return 0;
}
#else
static int evaluate(MODEL *m, char **argv, int raw, int nparam)
{
	(void)m;
	(void)raw;
	(void)nparam;
	return fail("evaluate needs a classifier", argv[2]);
}
#endif

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: probe init SEED NAME | save SEED FILE | "
		        "tensor CKPT NAME | evaluate[-raw] CKPT IMAGES LABELS "
		        "[WEIGHT…]\n");
		return 2;
	}
	const char *cmd = argv[1];
	int fresh = !strcmp(cmd, "init") || !strcmp(cmd, "save");
	MODEL *m = F(new)(fresh ? strtoull(argv[2], NULL, 10) : 1);
	if (!m)
		return fail("out of memory", cmd);
	int rc;
	if (!fresh && F(load)(m, argv[2]) != 0)
		rc = fail("cannot load", argv[2]);
	else if (!strcmp(cmd, "save"))
		rc = F(save)(m, argv[3]) ? fail("cannot save", argv[3]) : 0;
	else if (!strcmp(cmd, "init") || !strcmp(cmd, "tensor"))
		rc = print_tensor(m, argv[3]);
	else if (argc >= 5 && !strcmp(cmd, "evaluate"))
		rc = evaluate(m, argv, 0, 0);
	else if (argc >= 5 && !strcmp(cmd, "evaluate-raw"))
		rc = evaluate(m, argv, 1, argc - 5);
	else
		rc = fail("unknown command", cmd);
	F(free)(m);
	return rc;
}
