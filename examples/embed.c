/*
 * embed.c — a generated trainer used as a library: your program owns the
 * memory and the data; the model trains, predicts, evaluates and saves
 * checkpoints through the API in its header.
 *
 * The model is models/mnist_logreg.lua (one linear layer, 784 inputs,
 * 10 classes, batch 64, Adam).  Its data here is synthetic, made below,
 * so no files are needed.  Build and run from the repository root:
 *
 *   make build/nncc build/libnncc_rt.a
 *   build/nncc models/mnist_logreg.lua -o generated/mnist_logreg.c
 *   cc -std=c11 -O2 -march=native -fopenmp -D_POSIX_C_SOURCE=200809L \
 *      -DNNCC_NO_MAIN -Iruntime -Igenerated \
 *      examples/embed.c generated/mnist_logreg.c build/libnncc_rt.a -lm \
 *      -o build/embed
 *   build/embed
 *
 * -DNNCC_NO_MAIN leaves the trainer's own main() out.  The program exits 0
 * only if the model learned the task (held-out accuracy above 0.9) and a
 * checkpoint round trip reproduces its predictions exactly, so it doubles
 * as a test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h> /* mkstemp, close */

#include "mnist_logreg.h" /* the generated API: mnist_logreg_* */

#define BATCH MNIST_LOGREG_BATCH  /* 64: train_step takes exactly this many */
#define IN MNIST_LOGREG_IN_SIZE   /* 784 floats per sample (1x28x28) */
#define CLASSES MNIST_LOGREG_CLASSES
#define NTRAIN (64 * BATCH)       /* 4096 training samples */
#define NTEST 1000                /* held out: never trained on */
#define STEPS 300

/* ---- a synthetic task --------------------------------------------------
 * Each class is a random 28x28 black-and-white "glyph".  A sample is its
 * class's glyph with every pixel flipped with probability 0.35, plus a
 * little noise: too noisy to recognise at a glance, but learnable by a
 * linear model. */
static uint64_t rng = 12345;
static uint32_t rnd(void) /* xorshift64*, top 32 bits */
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}
static float uniform(void) { return (float)(rnd() >> 8) / (1 << 24); }

static float glyph[CLASSES][IN];

static void make_samples(float *x, int32_t *y, int n)
{
	for (int i = 0; i < n; i++) {
		int c = (int)(rnd() % CLASSES);
		y[i] = c;
		for (int p = 0; p < IN; p++) {
			float v = uniform() < 0.35f ? 1 - glyph[c][p] : glyph[c][p];
			x[(long)i * IN + p] = 0.8f * v + 0.2f * uniform();
		}
	}
}

static float train_x[NTRAIN * IN], test_x[NTEST * IN];
static int32_t train_y[NTRAIN], test_y[NTEST];
static float out1[NTEST * CLASSES], out2[NTEST * CLASSES];

static int argmax(const float *v)
{
	int best = 0;
	for (int k = 1; k < CLASSES; k++)
		if (v[k] > v[best])
			best = k;
	return best;
}

int main(void)
{
	for (int c = 0; c < CLASSES; c++)
		for (int p = 0; p < IN; p++)
			glyph[c][p] = (float)(rnd() & 1);
	make_samples(train_x, train_y, NTRAIN);
	make_samples(test_x, test_y, NTEST);

	/* 1. Place the model in memory we own: one block of _sizeof() bytes,
	 * 64-byte aligned (aligned_alloc wants the size rounded up to a
	 * multiple of the alignment).  _init does no allocation of its own;
	 * it lays out parameters, gradients, optimizer state and scratch
	 * inside the block and draws the initial weights from the seed. */
	size_t size = (mnist_logreg_sizeof() + 63) / 64 * 64;
	void *mem = aligned_alloc(64, size);
	if (!mem)
		return 1;
	mnist_logreg *m = mnist_logreg_init(mem, 1);
	printf("model: %zu bytes in one block, lr %g\n", size,
	       (double)mnist_logreg_get_lr(m));

	float acc;
	mnist_logreg_evaluate(m, test_x, test_y, NTEST, &acc);
	printf("before training: held-out accuracy %.3f\n", (double)acc);

	/* 2. Train: one optimizer step per call, on BATCH samples of our own
	 * arrays; the return value is the batch's loss. */
	for (int step = 0; step < STEPS; step++) {
		int b = step % (NTRAIN / BATCH);
		float loss = mnist_logreg_train_step(m, train_x + (long)b * BATCH * IN,
		                                     train_y + b * BATCH);
		if (step % 100 == 0 || step == STEPS - 1)
			printf("step %3d  loss %.4f\n", step + 1, (double)loss);
	}

	/* 3. Predict any number of samples (out: CLASSES logits each) and
	 * evaluate: mean loss, and the accuracy of the largest logit. */
	mnist_logreg_predict(m, test_x, out1, NTEST);
	for (int i = 0; i < 5; i++)
		printf("sample %d: predicted %d, true %d\n", i,
		       argmax(out1 + i * CLASSES), (int)test_y[i]);
	float loss = mnist_logreg_evaluate(m, test_x, test_y, NTEST, &acc);
	printf("after %d steps: held-out loss %.4f, accuracy %.3f\n", STEPS,
	       (double)loss, (double)acc);

	/* 4. Checkpoint: save to a (safetensors) file, load it into a second
	 * instance that started from another seed; it must now predict
	 * exactly what the first one does. */
	const char *tmpdir = getenv("TMPDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/nncc-embed-XXXXXX",
	         tmpdir && *tmpdir ? tmpdir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0 || close(fd) != 0) {
		perror(path);
		return 1;
	}
	mnist_logreg *copy = mnist_logreg_new(2); /* _init on its own block */
	int same = copy && mnist_logreg_save(m, path) == 0 &&
	           mnist_logreg_load(copy, path) == 0;
	remove(path);
	if (same) {
		mnist_logreg_predict(copy, test_x, out2, NTEST);
		same = memcmp(out1, out2, sizeof out1) == 0;
	}
	printf("checkpoint round trip: predictions %s\n",
	       same ? "identical" : "DIFFER");

	mnist_logreg_free(copy); /* _new'd memory: _free it */
	free(mem);               /* ours: we free it ourselves */
	int pass = acc > 0.9f && same;
	printf("%s\n", pass ? "PASS" : "FAIL: accuracy <= 0.9 or checkpoint mismatch");
	return pass ? 0 : 1;
}
