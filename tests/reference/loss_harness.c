/*
 * loss_harness.c — the C side of tests/reference/losses.py: one gradient
 * of a loss test model (x -> linear "a" -> loss), printed for PyTorch to
 * check.
 *
 *   loss_harness INIT.safetensors X.f32 Y.bin
 *
 * Loads the weights in INIT (NAME_load: "a.weight" [out,in], "a.bias"),
 * reads one batch: X.f32 is [BATCH][IN_SIZE] little-endian float32, Y.bin
 * [BATCH] int32 class labels (built with -DLABELS) or [BATCH][TARGET_SIZE]
 * float32 targets; runs NAME_gradient on it and prints
 *
 *   loss L
 *   grad.a.weight N g0 g1 …
 *   grad.a.bias N g0 g1 …
 *
 * every number as %.9g (float32 round-trips).  Exit 0, or 1 with a
 * message on stderr.
 *
 * Built against the trainer nncc emitted for the test's model (see
 * losses.sh):
 *   cc -std=c11 -DNNCC_NO_MAIN -Iruntime -DMODEL=NAME -DMODEL_UC=UPPER \
 *      [-DLABELS] -include NAME.h loss_harness.c NAME.c libnncc_rt.a -lm
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define F(f) CAT(MODEL, f)

enum {
	B = CAT(MODEL_UC, BATCH),
	IN = CAT(MODEL_UC, IN_SIZE),
#ifdef LABELS
	LB = 1,
#else
	LB = CAT(MODEL_UC, TARGET_SIZE),
#endif
};

#ifdef LABELS
typedef int32_t label_t;
#else
typedef float label_t;
#endif

/* Reads exactly n items of size sz from path into dst; 0 or -1. */
static int read_exact(const char *path, void *dst, size_t sz, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t got = fread(dst, sz, n, f);
	int extra = fgetc(f) != EOF;
	fclose(f);
	if (got != n || extra) {
		fprintf(stderr, "loss_harness: %s: expected exactly %zu bytes\n",
		        path, sz * n);
		return -1;
	}
	return 0;
}

static int print_tensor(MODEL *m, const char *name)
{
	long n;
	const float *v = F(tensor)(m, name, &n);
	if (!v) {
		fprintf(stderr, "loss_harness: the model has no tensor %s\n", name);
		return -1;
	}
	printf("%s %ld", name, n);
	for (long i = 0; i < n; i++)
		printf(" %.9g", v[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	static float x[B * IN];
	static label_t y[B * LB];
	if (argc != 4) {
		fprintf(stderr, "usage: loss_harness INIT.safetensors X.f32 Y.bin\n");
		return 1;
	}
	if (read_exact(argv[2], x, sizeof *x, B * IN) ||
	    read_exact(argv[3], y, sizeof *y, B * LB))
		return 1;
	MODEL *m = F(new)(1);
	if (!m) {
		fprintf(stderr, "loss_harness: out of memory\n");
		return 1;
	}
	int status = 1;
	if (F(load)(m, argv[1]) == 0) {
		printf("loss %.9g\n", F(gradient)(m, x, y));
		if (print_tensor(m, "grad.a.weight") == 0 &&
		    print_tensor(m, "grad.a.bias") == 0)
			status = 0;
	}
	F(free)(m);
	return status;
}
