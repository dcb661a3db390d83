/*
 * model_harness.c — drives a generated trainer through its API for the
 * PyTorch reference tests (mlp_reference.py, cnn_bn_reference.py).
 *
 *   HARNESS INIT.safetensors DATA_DIR STEPS OUT.safetensors
 *
 * Loads the tensors in INIT (<model>_load; the file holds the model's
 * parameters and running statistics only, so the optimizer state starts at
 * zero), loads DATA_DIR/train-images-idx3-ubyte and train-labels-idx1-ubyte
 * with pixel scale 1/255 and 10 classes, runs STEPS training steps on
 * consecutive batches in file order (batch k = samples k*B .. k*B+B-1, no
 * shuffle), prints
 *
 *   model NAME batch B in_size D        (once, first)
 *   step K loss L                       (K = 1..STEPS, L = what train_step returned)
 *
 * and saves the model to OUT (<model>_save).  Exit status 0, or 1 with a
 * message on stderr.
 *
 * The model is chosen at compile time: MODEL is its name (the prefix of
 * the generated API), MODEL_UC the prefix of its macros, and its header is
 * force-included.  From the repository root, for generated/mnist_cnn_bn.c:
 *
 *   cc -std=c11 -O2 -Wall -Wextra -DNNCC_NO_MAIN -Igenerated -Iruntime \
 *      -DMODEL=mnist_cnn_bn -DMODEL_UC=MNIST_CNN_BN \
 *      -include generated/mnist_cnn_bn.h \
 *      tests/reference/model_harness.c generated/mnist_cnn_bn.c \
 *      build/libnncc_rt.a -lm -o build/harness_mnist_cnn_bn
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "nncc_rt.h"

#if !defined(MODEL) || !defined(MODEL_UC)
#error "compile with -DMODEL=<name> -DMODEL_UC=<NAME> -include generated/<name>.h"
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(a) #a
#define STR(a) STR_(a)
#define F(f) CAT(MODEL, _##f)       /* F(new) -> <model>_new */
#define M(m) CAT(MODEL_UC, _##m)    /* M(BATCH) -> <MODEL>_BATCH */

#define NAME STR(MODEL)
#define BATCH M(BATCH)
#define IN_SIZE M(IN_SIZE)

typedef MODEL Model;

static int usage(void)
{
	fprintf(stderr, "usage: %s_harness INIT.safetensors DATA_DIR STEPS "
	                "OUT.safetensors\n", NAME);
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
		fprintf(stderr, "%s_harness: STEPS must be a positive integer, "
		                "not '%s'\n", NAME, argv[3]);
		return 1;
	}

	char images[4096], labels[4096];
	if (snprintf(images, sizeof images, "%s/train-images-idx3-ubyte", dir)
	        >= (int)sizeof images ||
	    snprintf(labels, sizeof labels, "%s/train-labels-idx1-ubyte", dir)
	        >= (int)sizeof labels) {
		fprintf(stderr, "%s_harness: DATA_DIR too long\n", NAME);
		return 1;
	}

	RtData d;
	RtErr err;
	if (rt_load_idx(&d, images, labels, 1.0f / 255, 10, &err) != 0) {
		fprintf(stderr, "%s_harness: %s\n", NAME, err.msg);
		return 1;
	}
	int status = 1;
	Model *m = NULL;
	if (d.dim != IN_SIZE || !d.y) {
		fprintf(stderr, "%s_harness: %s: %d floats per sample%s, "
		                "expected %d with class labels\n", NAME,
		        images, d.dim, d.y ? "" : " (no labels)", (int)IN_SIZE);
		goto done;
	}
	if ((long long)steps * BATCH > d.n) {
		fprintf(stderr, "%s_harness: %ld steps need %lld samples, "
		                "%s has %d\n", NAME, steps,
		        (long long)steps * BATCH, images, d.n);
		goto done;
	}

	m = F(new)(1); /* the seed does not matter: load replaces all */
	if (!m) {
		fprintf(stderr, "%s_harness: %s_new failed\n", NAME, NAME);
		goto done;
	}
	if (F(load)(m, init) != 0) {
		fprintf(stderr, "%s_harness: cannot load %s\n", NAME, init);
		goto done;
	}

	printf("model %s batch %d in_size %d\n", NAME, (int)BATCH, (int)IN_SIZE);
	for (long k = 0; k < steps; k++) {
		const float *x = d.x + (size_t)k * BATCH * IN_SIZE;
		const int32_t *y = d.y + (size_t)k * BATCH;
		float loss = F(train_step)(m, x, y);
		printf("step %ld loss %.9g\n", k + 1, (double)loss);
		fflush(stdout);
	}

	if (F(save)(m, out) != 0) {
		fprintf(stderr, "%s_harness: cannot save %s\n", NAME, out);
		goto done;
	}
	status = 0;
done:
	if (m)
		F(free)(m);
	rt_data_free(&d);
	return status;
}
