/*
 * mlp_harness.c — drives the generated mnist_mlp trainer for the PyTorch
 * reference test (tests/reference/mlp_reference.py).
 *
 *   mlp_harness INIT.safetensors DATA_DIR STEPS OUT.safetensors
 *
 * Loads the weights in INIT (mnist_mlp_load; the file holds the four
 * parameters only, so the momentum buffers start at zero), loads
 * DATA_DIR/train-images-idx3-ubyte and train-labels-idx1-ubyte with pixel
 * scale 1/255, runs STEPS training steps on consecutive batches in file
 * order (batch k = samples k*B .. k*B+B-1, no shuffle), prints
 *
 *   step K loss L          (K = 1..STEPS, L = what train_step returned)
 *
 * and saves the model to OUT (mnist_mlp_save).  Exit status 0, or 1 with a
 * message on stderr.
 *
 * Build (from the repository root; the runtime sources or libnncc_rt.a as
 * the Makefile provides them):
 *
 *   cc -std=c11 -O2 -Wall -Wextra -DNNCC_NO_MAIN -Igenerated -Iruntime \
 *      tests/reference/mlp_harness.c generated/mnist_mlp.c <runtime> -lm \
 *      -o build/mlp_harness
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "nncc_rt.h"
#include "mnist_mlp.h"

/* The reference test's batches are 32 samples of 1*28*28 floats. */
_Static_assert(MNIST_MLP_BATCH == 32,
               "models/mnist_mlp.lua must use batch = 32, as the test does");
enum { IN_DIM = 1 * 28 * 28 };

static int usage(void)
{
	fprintf(stderr, "usage: mlp_harness INIT.safetensors DATA_DIR STEPS "
	                "OUT.safetensors\n");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 5)
		return usage();
	const char *init = argv[1], *dir = argv[2], *out = argv[4];

	char *end;
	errno = 0;
	long steps = strtol(argv[3], &end, 10);
	if (errno || end == argv[3] || *end || steps < 1 || steps > INT_MAX) {
		fprintf(stderr, "mlp_harness: STEPS must be a positive integer, "
		                "not '%s'\n", argv[3]);
		return 1;
	}

	char images[4096], labels[4096];
	if (snprintf(images, sizeof images, "%s/train-images-idx3-ubyte", dir)
	        >= (int)sizeof images ||
	    snprintf(labels, sizeof labels, "%s/train-labels-idx1-ubyte", dir)
	        >= (int)sizeof labels) {
		fprintf(stderr, "mlp_harness: DATA_DIR too long\n");
		return 1;
	}

	RtData d;
	RtErr err;
	if (rt_load_idx(&d, images, labels, 1.0f / 255, 10, &err) != 0) {
		fprintf(stderr, "mlp_harness: %s\n", err.msg);
		return 1;
	}
	int status = 1;
	mnist_mlp *m = NULL;
	if (d.dim != IN_DIM || !d.y) {
		fprintf(stderr, "mlp_harness: %s: %d floats per sample%s, "
		                "expected %d with class labels\n",
		        images, d.dim, d.y ? "" : " (no labels)", IN_DIM);
		goto done;
	}
	if ((long long)steps * MNIST_MLP_BATCH > d.n) {
		fprintf(stderr, "mlp_harness: %ld steps need %lld samples, "
		                "%s has %d\n", steps,
		        (long long)steps * MNIST_MLP_BATCH, images, d.n);
		goto done;
	}

	m = mnist_mlp_new(1); /* the seed does not matter: load replaces all */
	if (!m) {
		fprintf(stderr, "mlp_harness: mnist_mlp_new failed\n");
		goto done;
	}
	if (mnist_mlp_load(m, init) != 0) {
		fprintf(stderr, "mlp_harness: cannot load %s\n", init);
		goto done;
	}

	for (long k = 0; k < steps; k++) {
		const float *x = d.x + (size_t)k * MNIST_MLP_BATCH * IN_DIM;
		const int32_t *y = d.y + (size_t)k * MNIST_MLP_BATCH;
		float loss = mnist_mlp_train_step(m, x, y);
		printf("step %ld loss %.9g\n", k + 1, (double)loss);
		fflush(stdout);
	}

	if (mnist_mlp_save(m, out) != 0) {
		fprintf(stderr, "mlp_harness: cannot save %s\n", out);
		goto done;
	}
	status = 0;
done:
	if (m)
		mnist_mlp_free(m);
	rt_data_free(&d);
	return status;
}
