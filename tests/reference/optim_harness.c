/*
 * optim_harness.c — the C side of tests/reference/optim_ref.py: STEPS
 * optimizer steps of an optimizer test model, its parameters printed for
 * PyTorch to check.
 *
 *   optim_harness INIT.safetensors X.f32 Y.f32 LR.f32 STEPS CKPT NAME…
 *
 * Loads the weights in INIT (MODEL_load; no optimizer state: it starts as
 * the optimizer starts it), reads STEPS batches, X.f32 [STEPS][BATCH]
 * [IN_SIZE] and Y.f32 [STEPS][BATCH][TARGET_SIZE] little-endian float32,
 * and LR.f32, one learning rate per step.  Step k sets lr[k]
 * (MODEL_set_lr) and trains on batch k (MODEL_train_step).  Halfway, after
 * step STEPS/2, the model is saved to CKPT, freed, and a new one loaded
 * from it: the rest of the run proves the optimizer state and the step
 * count survive a checkpoint.  Prints
 *
 *   step K loss L                (K = 1..STEPS)
 *   NAME N v0 v1 …               (each tensor NAME… after the last step)
 *
 * every number as %.9g (float32 round-trips).  Exit 0, or 1 with a
 * message on stderr.
 *
 * Built against the trainer nncc emitted for the case (see optim.sh):
 *   cc -std=c11 -DNNCC_NO_MAIN -Iruntime -DMODEL=NAME -DMODEL_UC=UPPER \
 *      -include NAME.h optim_harness.c NAME.c libnncc_rt.a -lm
 */
#include <stdio.h>
#include <stdlib.h>

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define F(f) CAT(MODEL, f)

enum {
	B = CAT(MODEL_UC, BATCH),
	IN = CAT(MODEL_UC, IN_SIZE),
	OUT = CAT(MODEL_UC, TARGET_SIZE),
	MAXSTEPS = 64,
};

/* Reads exactly n floats from path into dst; 0 or -1. */
static int read_exact(const char *path, float *dst, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t got = fread(dst, sizeof *dst, n, f);
	int extra = fgetc(f) != EOF;
	fclose(f);
	if (got != n || extra) {
		fprintf(stderr, "optim_harness: %s: expected exactly %zu bytes\n",
		        path, sizeof *dst * n);
		return -1;
	}
	return 0;
}

static int print_tensor(MODEL *m, const char *name)
{
	long n;
	const float *v = F(tensor)(m, name, &n);
	if (!v) {
		fprintf(stderr, "optim_harness: the model has no tensor %s\n", name);
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
	static float x[MAXSTEPS * B * IN], y[MAXSTEPS * B * OUT], lr[MAXSTEPS];
	if (argc < 8) {
		fprintf(stderr, "usage: optim_harness INIT.safetensors X.f32 Y.f32 "
		                "LR.f32 STEPS CKPT NAME...\n");
		return 1;
	}
	int steps = atoi(argv[5]);
	if (steps < 2 || steps > MAXSTEPS) {
		fprintf(stderr, "optim_harness: STEPS must be 2..%d\n", MAXSTEPS);
		return 1;
	}
	if (read_exact(argv[2], x, (size_t)steps * B * IN) ||
	    read_exact(argv[3], y, (size_t)steps * B * OUT) ||
	    read_exact(argv[4], lr, (size_t)steps))
		return 1;
	MODEL *m = F(new)(1);
	if (!m || F(load)(m, argv[1]) != 0) {
		fprintf(stderr, "optim_harness: cannot load %s\n", argv[1]);
		return 1;
	}
	int status = 1;
	for (int k = 0; k < steps; k++) {
		F(set_lr)(m, lr[k]);
		float loss = F(train_step)(m, x + (size_t)k * B * IN,
		                           y + (size_t)k * B * OUT);
		printf("step %d loss %.9g\n", k + 1, (double)loss);
		if (k + 1 == steps / 2) {
			if (F(save)(m, argv[6]) != 0)
				goto done;
			F(free)(m);
			m = F(new)(2);
			if (!m || F(load)(m, argv[6]) != 0) {
				fprintf(stderr, "optim_harness: cannot reload %s\n", argv[6]);
				goto done;
			}
		}
	}
	status = 0;
	for (int i = 7; i < argc; i++)
		if (print_tensor(m, argv[i]) != 0)
			status = 1;
done:
	if (m)
		F(free)(m);
	return status;
}
