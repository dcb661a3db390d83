/*
 * test_trainer.c — tests of the generated mnist_mlp trainer through its C
 * API (generated/mnist_mlp.h), on the real MNIST files in DATA_DIR.
 *
 *   test_trainer DATA_DIR determinism       same seed → same losses, bitwise
 *   test_trainer DATA_DIR checkpoint TMPDIR save / load / continue, bitwise
 *   test_trainer DATA_DIR predict           predict in chunks == in a batch
 *   test_trainer DATA_DIR driver TMPDIR     rt_train_main: step count, resume
 *   test_trainer DATA_DIR data TMPDIR       rt_train_main: the samples each
 *                                           epoch sees (last batch, balance)
 *   test_trainer DATA_DIR losses            prints 30 losses (%a), nothing else
 *
 * Each test prints one line per check, "ok <check>" or "FAIL <check>: why",
 * and exits 1 if any check failed (2 on a setup error).  Nothing here knows
 * an expected loss or weight: every check compares two runs of the trainer
 * with each other, or against a threshold.
 *
 * Built and run by tests/trainer/run.sh, with model_glue.c (the generated
 * file, compiled with -DNNCC_NO_MAIN) and the runtime library.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nncc_rt.h"
#include "mnist_mlp.h"

#define B MNIST_MLP_BATCH
#define IN MNIST_MLP_IN_SIZE
#define OUT MNIST_MLP_OUT_SIZE
#define NBATCH 30 /* batches the tests train on */

RtState *test_model_state(void *m); /* model_glue.c */

static int failures;

/* One result line.  cond true: "ok name"; false: "FAIL name: why". */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void check(int cond, const char *name, const char *why, ...)
{
	if (cond) {
		printf("ok   %s\n", name);
	} else {
		va_list ap;
		printf("FAIL %s: ", name);
		va_start(ap, why);
		vprintf(why, ap);
		va_end(ap);
		printf("\n");
		failures++;
	}
	fflush(stdout);
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static void die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "test_trainer: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static mnist_mlp *new_model(uint64_t seed)
{
	mnist_mlp *m = mnist_mlp_new(seed);
	if (!m)
		die("mnist_mlp_new(%llu) failed", (unsigned long long)seed);
	return m;
}

/* ---- data: the training set in file order; batch k = rows kB … kB+B-1 */

static RtData data;

static const float *bx(int k) { return data.x + (size_t)k * B * IN; }
static const int32_t *by(int k) { return data.y + (size_t)k * B; }

static void load_data(const char *dir)
{
	char img[4096], lab[4096];
	RtErr e;
	snprintf(img, sizeof img, "%s/train-images-idx3-ubyte", dir);
	snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte", dir);
	if (rt_load_idx(&data, img, lab, 1.0f / 255, MNIST_MLP_CLASSES, &e) < 0)
		die("%s", e.msg);
	if (data.dim != IN || data.n < (NBATCH + 1) * B)
		die("%s: %d samples of %d floats; need %d of %d", img, data.n,
		    data.dim, (NBATCH + 1) * B, IN);
}

/* steps training steps on batches first … first+steps-1 */
static void train(mnist_mlp *m, int first, int steps, float *loss)
{
	for (int k = 0; k < steps; k++)
		loss[k] = mnist_mlp_train_step(m, bx(first + k), by(first + k));
}

/* Every tensor a checkpoint holds (and so every one that must survive a
 * save and load), by the names mnist_mlp_tensor knows. */
static const char *const tensors[] = {
	"linear1.weight",
	"linear1.bias",
	"linear2.weight",
	"linear2.bias",
	"optim.linear1.weight.momentum_buffer",
	"optim.linear1.bias.momentum_buffer",
	"optim.linear2.weight.momentum_buffer",
	"optim.linear2.bias.momentum_buffer",
};
enum { NTENSORS = sizeof tensors / sizeof *tensors };

/* NULL if every tensor of a and b is bitwise equal, else the first name
 * that differs (or is missing). */
static const char *tensors_differ(mnist_mlp *a, mnist_mlp *b)
{
	for (int i = 0; i < NTENSORS; i++) {
		long na = -1, nb = -1;
		const float *pa = mnist_mlp_tensor(a, tensors[i], &na);
		const float *pb = mnist_mlp_tensor(b, tensors[i], &nb);
		if (!pa || !pb || na != nb || na <= 0 ||
		    memcmp(pa, pb, sizeof(float) * (size_t)na))
			return tensors[i];
	}
	return NULL;
}

/* Index of the first element where two float arrays differ bitwise, or -1. */
static int first_diff(const float *a, const float *b, int n)
{
	for (int i = 0; i < n; i++)
		if (memcmp(a + i, b + i, sizeof(float)))
			return i;
	return -1;
}

static int all_finite(const float *a, int n)
{
	for (int i = 0; i < n; i++)
		if (!isfinite(a[i]))
			return 0;
	return 1;
}

/* ---- a. determinism ---------------------------------------------------- */

static void test_determinism(void)
{
	float l1[NBATCH], l2[NBATCH], l3[NBATCH];
	mnist_mlp *m;

	m = new_model(1);
	train(m, 0, NBATCH, l1);
	mnist_mlp_free(m);
	m = new_model(1);
	train(m, 0, NBATCH, l2);
	mnist_mlp_free(m);
	m = new_model(2);
	train(m, 0, NBATCH, l3);
	mnist_mlp_free(m);

	int d = first_diff(l1, l2, NBATCH);
	check(memcmp(l1, l2, sizeof l1) == 0,
	      "a. determinism: same seed, 30 steps, bitwise-identical losses",
	      "step %d: %.9g vs %.9g", d + 1, d < 0 ? 0 : l1[d],
	      d < 0 ? 0 : l2[d]);
	check(memcmp(l1, l3, sizeof l1) != 0,
	      "a. determinism: seed 2 gives other losses than seed 1",
	      "all 30 losses equal: the seed is ignored");
	/* A sanity threshold: 30 steps of SGD on MNIST lower the loss. */
	double head = 0, tail = 0;
	for (int k = 0; k < 5; k++) {
		head += l1[k];
		tail += l1[NBATCH - 5 + k];
	}
	check(all_finite(l1, NBATCH) && tail < 0.8 * head,
	      "a. determinism: the loss falls (last 5 steps < 0.8 x first 5)",
	      "first 5 steps mean %.4g, last 5 mean %.4g", head / 5, tail / 5);
}

/* Prints the 30 losses exactly, for run.sh to compare across thread counts. */
static void print_losses(void)
{
	float l[NBATCH];
	mnist_mlp *m = new_model(1);
	train(m, 0, NBATCH, l);
	mnist_mlp_free(m);
	for (int k = 0; k < NBATCH; k++)
		printf("%a\n", (double)l[k]);
}

/* ---- b. checkpoint continuation ----------------------------------------- */

static void test_checkpoint(const char *tmp)
{
	enum { K = 10, N = 2 * K };
	char path[4096];
	float la[N], lb[N], lc[N], joined[N];
	const char *t;
	int d;

	snprintf(path, sizeof path, "%s/ckpt.safetensors", tmp);
	mnist_mlp *a = new_model(1), *b = new_model(2), *c = new_model(1);

	train(a, 0, K, la);
	check(mnist_mlp_save(a, path) == 0, "b. checkpoint: save succeeds",
	      "mnist_mlp_save(%s) failed", path);
	/* b starts from another seed, so only a working load makes it equal. */
	t = tensors_differ(a, b);
	check(t != NULL, "b. checkpoint: a fresh seed-2 model differs before load",
	      "seed 1 after %d steps and seed 2 untouched are equal", K);
	check(mnist_mlp_load(b, path) == 0, "b. checkpoint: load succeeds",
	      "mnist_mlp_load(%s) failed", path);
	t = tensors_differ(a, b);
	check(t == NULL, "b. checkpoint: load restores every tensor bitwise",
	      "%s differs", t);

	/* Both continue on the same batches. */
	train(a, K, K, la + K);
	train(b, K, K, lb + K);
	d = first_diff(la + K, lb + K, K);
	check(d < 0, "b. checkpoint: original and loaded continue with "
	      "bitwise-identical losses", "step %d: %.9g vs %.9g", K + d + 1,
	      d < 0 ? 0 : la[K + d], d < 0 ? 0 : lb[K + d]);
	t = tensors_differ(a, b);
	check(t == NULL, "b. checkpoint: original and loaded end with "
	      "bitwise-identical tensors", "%s differs", t);

	/* An uninterrupted run equals the save / load / continue one. */
	train(c, 0, N, lc);
	memcpy(joined, la, sizeof(float) * K);
	memcpy(joined + K, lb + K, sizeof(float) * K);
	d = first_diff(lc, joined, N);
	check(d < 0, "b. checkpoint: uninterrupted 20 steps == 10 + save/load + 10 "
	      "(losses)", "step %d: %.9g vs %.9g", d + 1, d < 0 ? 0 : lc[d],
	      d < 0 ? 0 : joined[d]);
	t = tensors_differ(c, b);
	check(t == NULL, "b. checkpoint: uninterrupted 20 steps == 10 + save/load "
	      "+ 10 (tensors)", "%s differs", t);

	/* A failed load must say so.  An empty file is no checkpoint. */
	char bad[4096];
	snprintf(bad, sizeof bad, "%s/empty.safetensors", tmp);
	FILE *f = fopen(bad, "w");
	if (f)
		fclose(f);
	fprintf(stderr, "(a load error is expected next)\n");
	check(f && mnist_mlp_load(c, bad) != 0,
	      "b. checkpoint: loading an empty file fails", "load returned 0");
	remove(bad);
	remove(path);
	mnist_mlp_free(a);
	mnist_mlp_free(b);
	mnist_mlp_free(c);
}

/* ---- f. predict in chunks ----------------------------------------------- */

static void test_predict(void)
{
	enum { N = B + 3, CAP = B + 8 };
	static float full0[B * OUT], full1[B * OUT], out[CAP * OUT];
	static const int ns[] = {1, B - 1, B + 3};
	const float sentinel = -12345.0f;
	float junk[5];
	mnist_mlp *m = new_model(1);

	train(m, 0, 5, junk); /* predict with trained, not initial, weights */
	const float *x = bx(0);   /* rows 0 … N-1 of the training set */
	const int32_t *y = by(0);
	/* References: rows 0…B-1 inside one full batch; rows B…B+2 as the last
	 * three rows of the full batch that starts at row 3. */
	mnist_mlp_predict(m, x, full0, B);
	mnist_mlp_predict(m, x + 3 * IN, full1, B);

	for (size_t t = 0; t < sizeof ns / sizeof *ns; t++) {
		int n = ns[t], bad_row = -1, overrun = 0;
		char name[128];
		for (int i = 0; i < CAP * OUT; i++)
			out[i] = sentinel;
		mnist_mlp_predict(m, x, out, n);
		for (int r = 0; r < n && bad_row < 0; r++) {
			const float *ref = r < B ? full0 + r * OUT :
			                            full1 + (r - 3) * OUT;
			if (memcmp(out + r * OUT, ref, sizeof(float) * OUT))
				bad_row = r;
		}
		for (int i = n * OUT; i < CAP * OUT; i++)
			overrun |= out[i] != sentinel;
		snprintf(name, sizeof name, "f. predict: n=%d rows bitwise equal "
		         "to the rows of full batches, nothing written past n", n);
		check(bad_row < 0 && !overrun, name, bad_row >= 0 ?
		      "row %d differs" : "wrote past row %d", bad_row >= 0 ?
		      bad_row : n);
	}

	/* evaluate over a partial last batch agrees with predict: accuracy
	 * exactly, mean softmax cross-entropy (predict gives the logits) to
	 * 1e-5 relative. */
	float acc = -1;
	float loss = mnist_mlp_evaluate(m, x, y, N, &acc);
	mnist_mlp_predict(m, x, out, N);
	double sum = 0;
	int correct = 0;
	for (int r = 0; r < N; r++) {
		const float *z = out + r * OUT;
		int best = 0;
		double mx = z[0], s = 0;
		for (int c = 1; c < OUT; c++) {
			if (z[c] > z[best])
				best = c;
			mx = z[c] > mx ? z[c] : mx;
		}
		for (int c = 0; c < OUT; c++)
			s += exp(z[c] - mx);
		sum += mx + log(s) - z[y[r]];
		correct += best == y[r];
	}
	double ref = sum / N;
	float ref_acc = (float)((double)correct / N);
	check(acc == ref_acc && fabs(loss - ref) <= 1e-5 * fabs(ref),
	      "f. predict: evaluate on n=B+3 agrees with predict (accuracy, loss)",
	      "evaluate: loss %.9g acc %.9g; from predict: loss %.9g acc %.9g",
	      loss, acc, ref, ref_acc);
	mnist_mlp_free(m);
}

/* ---- g. the recipe driver (rt_train_main) on the generated model --------- */

static size_t v_size(void) { return mnist_mlp_sizeof(); }
static void *v_init(void *mem, uint64_t s) { return mnist_mlp_init(mem, s); }
static float v_step(void *m, const float *x, const void *y)
{
	return mnist_mlp_train_step(m, x, y);
}
static float v_eval(void *m, const float *x, const void *y, int n, float *a)
{
	return mnist_mlp_evaluate(m, x, y, n, a);
}
static void v_lr(void *m, float lr) { mnist_mlp_set_lr(m, lr); }
static int v_save(const void *m, const char *p) { return mnist_mlp_save(m, p); }
static int v_load(void *m, const char *p) { return mnist_mlp_load(m, p); }

/* Copies every stride-th record of an IDX file (header: magic, dims; the
 * first dim is the count) into dst, count of them. */
static void idx_subset(const char *src, const char *dst, int count, int stride)
{
	unsigned char h[16];
	FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
	if (!in || !out || fread(h, 1, 4, in) != 4)
		die("%s or %s: cannot open", src, dst);
	int nd = h[3];
	if (nd < 1 || nd > 3 || h[2] != 0x08 ||
	    fread(h + 4, 4, (size_t)nd, in) != (size_t)nd)
		die("%s: not a ubyte IDX file", src);
	long rec = 1;
	for (int i = 1; i < nd; i++)
		rec *= (long)h[4 + 4 * i] << 24 | (long)h[5 + 4 * i] << 16 |
		       (long)h[6 + 4 * i] << 8 | h[7 + 4 * i];
	h[4] = (unsigned char)(count >> 24);
	h[5] = (unsigned char)(count >> 16);
	h[6] = (unsigned char)(count >> 8);
	h[7] = (unsigned char)count;
	fwrite(h, 4, (size_t)nd + 1, out);
	unsigned char *buf = malloc((size_t)rec);
	long base = 4 + 4L * nd;
	for (int i = 0; i < count; i++)
		if (!buf || fseek(in, base + (long)i * stride * rec, SEEK_SET) ||
		    fread(buf, 1, (size_t)rec, in) != (size_t)rec ||
		    fwrite(buf, 1, (size_t)rec, out) != (size_t)rec)
			die("%s: short read", src);
	free(buf);
	fclose(in);
	if (fclose(out))
		die("%s: write error", dst);
}

/* The value of an integer __metadata__ key of a safetensors file, or -1. */
static long long st_meta_int(const char *path, const char *key)
{
	unsigned char len8[8];
	long long v = -1;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	if (fread(len8, 1, 8, f) == 8) {
		uint64_t n = 0;
		for (int i = 7; i >= 0; i--)
			n = n << 8 | len8[i];
		char *h = n < (1u << 24) ? malloc(n + 1) : NULL;
		if (h && fread(h, 1, n, f) == n) {
			char pat[64];
			h[n] = 0;
			snprintf(pat, sizeof pat, "\"%s\"", key);
			const char *md = strstr(h, "\"__metadata__\"");
			const char *p = md ? strstr(md, pat) : NULL;
			if (p && (p = strchr(p + strlen(pat), '"')))
				v = strtoll(p + 1, NULL, 10);
		}
		free(h);
	}
	fclose(f);
	return v;
}

static int same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int same = fa && fb;
	while (same) {
		int ca = getc(fa), cb = getc(fb);
		same = ca == cb;
		if (ca == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/* One rt_train_main call; its stdout (epoch and final lines) goes to
 * stderr so that stdout holds only this program's result lines. */
static int drive(const RtModel *mdl, const RtRecipe *r, const char *tmp,
                 const char *extra1, const char *extra2)
{
	char *argv[8] = {"test_trainer", "--data-dir", (char *)tmp, "--quiet",
	                 (char *)extra1, (char *)extra2, NULL};
	int argc = extra1 ? (extra2 ? 6 : 5) : 4;
	fflush(stdout);
	int saved = dup(1);
	dup2(2, 1);
	int rc = rt_train_main(mdl, r, argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return rc;
}

static void test_driver(const char *dir, const char *tmp)
{
	enum { NTRAIN = 20 * B + 5, NVALID = 200 };
	char src[4096], dst[4096], full[4096], part[4096], steps[32];
	static const char *const files[4] = {
		"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
		"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

	/* A small data set (a few hundred samples spread over the files) so
	 * that whole epochs take milliseconds. */
	for (int i = 0; i < 4; i++) {
		snprintf(src, sizeof src, "%s/%s", dir, files[i]);
		snprintf(dst, sizeof dst, "%s/%s", tmp, files[i]);
		idx_subset(src, dst, i < 2 ? NTRAIN : NVALID, i < 2 ? 7 : 9);
	}
	const RtModel mdl = {
		.name = "mnist_mlp",
		.batch = B,
		.in_dim = IN,
		.in_rank = MNIST_MLP_IN_RANK,
		.in_dims = {MNIST_MLP_IN_DIM0, MNIST_MLP_IN_DIM1,
		            MNIST_MLP_IN_DIM2},
		.label_kind = RT_LABEL_CLASS,
		.classes = MNIST_MLP_CLASSES,
		.size = v_size,
		.init = v_init,
		.train_step = v_step,
		.evaluate = v_eval,
		.set_lr = v_lr,
		.save = v_save,
		.load = v_load,
		.state = test_model_state,
	};
	RtRecipe r = {
		.epochs = 2,
		.seed = 1,
		.shuffle = 1,
		.lr = 0.05f,
		.sched = RT_SCHED_COSINE,
		.train = {RT_DATA_IDX, files[0], files[1], 0, 0, 1.0f / 255},
		.valid = {RT_DATA_IDX, files[2], files[3], 0, 0, 1.0f / 255},
		.ckpt_every = 1,
	};
	/* the last partial batch is filled up, not dropped */
	const long long nbatch = (NTRAIN + B - 1) / B;
	snprintf(full, sizeof full, "%s/full.safetensors", tmp);
	snprintf(part, sizeof part, "%s/part.safetensors", tmp);
	snprintf(steps, sizeof steps, "%lld", nbatch);

	/* Two epochs in one go. */
	r.ckpt_path = full;
	int rc1 = drive(&mdl, &r, tmp, NULL, NULL);
	/* The same, stopped after the first epoch … */
	r.ckpt_path = part;
	int rc2 = drive(&mdl, &r, tmp, "--max-steps", steps);
	long long step1 = st_meta_int(part, "step");
	long long epoch1 = st_meta_int(part, "epoch");
	/* … and resumed from its checkpoint (which it then overwrites). */
	int rc3 = drive(&mdl, &r, tmp, "--resume", part);

	check(rc1 == 0 && rc2 == 0 && rc3 == 0,
	      "g. driver: full, stopped and resumed runs exit 0",
	      "exit codes %d, %d, %d", rc1, rc2, rc3);
	check(step1 == nbatch && epoch1 == 1,
	      "g. driver: checkpoint after epoch 1 has step = batches per epoch",
	      "step=%lld epoch=%lld, expected step=%lld epoch=1 (a step "
	      "counted twice?)", step1, epoch1, nbatch);
	long long step2 = st_meta_int(full, "step");
	check(step2 == 2 * nbatch,
	      "g. driver: checkpoint after 2 epochs has step = 2 x batches",
	      "step=%lld, expected %lld", step2, 2 * nbatch);
	check(rc1 == 0 && rc3 == 0 && same_file(full, part),
	      "g. driver: 2 epochs == 1 epoch + resume + 1 epoch (checkpoint "
	      "files byte-identical)", "%s and %s differ", full, part);
	remove(full);
	remove(part);
	for (int i = 0; i < 4; i++) {
		snprintf(dst, sizeof dst, "%s/%s", tmp, files[i]);
		remove(dst);
	}
}

/* ---- h. the samples an epoch sees: the last batch, class balance ------- */

/* A data set whose samples say who they are: pixel 0 and 1 of sample i
 * hold i mod 256 and i / 256, and its label is label[i].  Class k has
 * count[k] samples, interleaved (not sorted by class). */
enum { DCLASSES = 10, DMAX = 400 };
static int dcount[DCLASSES], dn;
static int32_t dlabel[DMAX];

static void write_be32(FILE *f, uint32_t v)
{
	unsigned char b[4] = {v >> 24, v >> 16, v >> 8, v};
	fwrite(b, 1, 4, f);
}

static void make_counted_data(const char *tmp, const int *count)
{
	char img[4096], lab[4096];
	int left[DCLASSES], k, i;
	snprintf(img, sizeof img, "%s/h-images", tmp);
	snprintf(lab, sizeof lab, "%s/h-labels", tmp);
	memcpy(dcount, count, sizeof dcount);
	memcpy(left, count, sizeof left);
	/* deal the classes round-robin until each has its count */
	for (dn = 0;;) {
		int dealt = 0;
		for (k = 0; k < DCLASSES; k++)
			if (left[k] > 0) {
				left[k]--;
				dlabel[dn++] = k;
				dealt = 1;
			}
		if (!dealt)
			break;
	}
	FILE *fi = fopen(img, "wb"), *fl = fopen(lab, "wb");
	if (!fi || !fl)
		die("%s: cannot write", tmp);
	write_be32(fi, 0x00000803);
	write_be32(fi, (uint32_t)dn);
	write_be32(fi, 28);
	write_be32(fi, 28);
	write_be32(fl, 0x00000801);
	write_be32(fl, (uint32_t)dn);
	for (i = 0; i < dn; i++) {
		unsigned char px[28 * 28] = {0};
		px[0] = (unsigned char)(i & 255);
		px[1] = (unsigned char)(i >> 8);
		px[2] = 255;                      /* something to learn from */
		fwrite(px, 1, sizeof px, fi);
		unsigned char l = (unsigned char)dlabel[i];
		fwrite(&l, 1, 1, fl);
	}
	if (fclose(fi) || fclose(fl))
		die("%s: write error", tmp);
}

/* What the trainer fed to train_step: every row of every step, as the
 * sample it came from. */
enum { MAXSTEPS = 64 };
static int seen[MAXSTEPS][B], nsteps, bad_rows;

static float v_count_step(void *m, const float *x, const void *y)
{
	const int32_t *lab = y;
	for (int r = 0; r < B && nsteps < MAXSTEPS; r++) {
		const float *px = x + (size_t)r * IN;
		int i = (int)lrintf(px[0] * 255) + 256 * (int)lrintf(px[1] * 255);
		if (i < 0 || i >= dn || lab[r] != dlabel[i])
			bad_rows++;
		seen[nsteps][r] = i;
	}
	nsteps++;
	return mnist_mlp_train_step(m, x, y);
}

/* One run of `epochs` epochs on the counted data set. */
static int drive_counted(const char *tmp, int balance, int drop_last,
                         int epochs)
{
	const RtModel mdl = {
		.name = "mnist_mlp", .batch = B, .in_dim = IN,
		.in_rank = MNIST_MLP_IN_RANK,
		.in_dims = {MNIST_MLP_IN_DIM0, MNIST_MLP_IN_DIM1,
		            MNIST_MLP_IN_DIM2},
		.label_kind = RT_LABEL_CLASS, .classes = MNIST_MLP_CLASSES,
		.size = v_size, .init = v_init, .train_step = v_count_step,
		.evaluate = v_eval, .set_lr = v_lr, .save = v_save,
		.load = v_load, .state = test_model_state,
	};
	RtRecipe r = {
		.epochs = epochs, .seed = 3, .shuffle = 1, .lr = 0.01f,
		.train = {RT_DATA_IDX, "h-images", "h-labels", 0, 0, 1.0f / 255},
		.valid = {RT_DATA_IDX, "h-images", "h-labels", 0, 0, 1.0f / 255},
		.balance = balance, .drop_last = drop_last,
	};
	nsteps = bad_rows = 0;
	return drive(&mdl, &r, tmp, NULL, NULL);
}

/* Per sample and per class, how often steps [first, first+n) saw it. */
static void count_seen(int first, int n, int *per_sample, int *per_class)
{
	memset(per_sample, 0, sizeof(int) * DMAX);
	memset(per_class, 0, sizeof(int) * DCLASSES);
	for (int s = first; s < first + n; s++)
		for (int r = 0; r < B; r++) {
			per_sample[seen[s][r]]++;
			per_class[dlabel[seen[s][r]]]++;
		}
}

static void test_data(const char *tmp)
{
	/* 10 classes of 16 … 34 samples, 250 in all: 250 = 7·32 + 26 */
	static const int count[DCLASSES] = {16, 18, 20, 22, 24, 25, 27, 29, 30, 34};
	static int per_sample[DMAX], per_class[DCLASSES];
	int rc, e, i, k, ok, twice, once, never;

	make_counted_data(tmp, count);
	const int n = dn, full = n / B, filled = (n + B - 1) / B;

	/* The last batch filled up: ceil(250/32) = 8 steps an epoch, every
	 * sample seen, 8·32 - 250 = 6 of them twice: the first 6 of the
	 * epoch's order, which batch 0 shows. */
	rc = drive_counted(tmp, RT_BALANCE_NONE, 0, 2);
	ok = rc == 0 && bad_rows == 0 && nsteps == 2 * filled;
	for (e = 0; ok && e < 2; e++) {
		count_seen(e * filled, filled, per_sample, per_class);
		twice = once = never = 0;
		for (i = 0; i < n; i++) {
			twice += per_sample[i] == 2;
			once += per_sample[i] == 1;
			never += per_sample[i] == 0;
		}
		ok &= never == 0 && twice == filled * B - n &&
		      once == n - twice;
		for (k = 0; k < filled * B - n; k++)
			ok &= per_sample[seen[e * filled][k]] == 2;
	}
	check(ok, "h. data: the last partial batch is filled up from the start "
	      "of the epoch's order: every sample seen each epoch",
	      "exit %d, %d bad rows, %d steps (expected %d)", rc, bad_rows,
	      nsteps, 2 * filled);

	/* drop_last: 7 steps, 224 samples once, 26 never. */
	rc = drive_counted(tmp, RT_BALANCE_NONE, 1, 1);
	count_seen(0, full, per_sample, per_class);
	never = once = 0;
	for (i = 0; i < n; i++) {
		never += per_sample[i] == 0;
		once += per_sample[i] == 1;
	}
	check(rc == 0 && bad_rows == 0 && nsteps == full && once == full * B &&
	      never == n - full * B,
	      "h. data: drop_last drops the last partial batch",
	      "exit %d, %d steps, %d samples once, %d never", rc, nsteps, once,
	      never);

	/* oversample: each class as often as the largest (34), 340 an epoch
	 * in 11 steps; the 12 rows past 340 repeat the epoch's first 12. */
	rc = drive_counted(tmp, RT_BALANCE_OVER, 0, 2);
	int size = DCLASSES * 34, steps = (size + B - 1) / B;
	ok = rc == 0 && bad_rows == 0 && nsteps == 2 * steps;
	for (e = 0; ok && e < 2; e++) {
		int want[DCLASSES];
		for (k = 0; k < DCLASSES; k++)
			want[k] = 34;
		for (k = 0; k < steps * B - size; k++)
			want[dlabel[seen[e * steps][k]]]++;
		count_seen(e * steps, steps, per_sample, per_class);
		for (k = 0; k < DCLASSES; k++)
			ok &= per_class[k] == want[k];
		for (i = 0; i < n; i++)      /* a class of c samples: 34/c each, +1 */
			ok &= per_sample[i] >= 34 / dcount[dlabel[i]];
	}
	check(ok, "h. data: balance = oversample gives every class the largest "
	      "class's count each epoch", "exit %d, %d bad rows, %d steps "
	      "(expected %d)", rc, bad_rows, nsteps, 2 * steps);

	/* undersample: each class as often as the smallest (16), 160 an epoch
	 * in exactly 5 steps, no sample twice. */
	rc = drive_counted(tmp, RT_BALANCE_UNDER, 0, 2);
	size = DCLASSES * 16;
	steps = size / B;
	ok = rc == 0 && bad_rows == 0 && nsteps == 2 * steps;
	static int first_epoch[DMAX];
	int both = 0;
	for (e = 0; ok && e < 2; e++) {
		count_seen(e * steps, steps, per_sample, per_class);
		for (k = 0; k < DCLASSES; k++)
			ok &= per_class[k] == 16;
		for (i = 0; i < n; i++) {
			ok &= per_sample[i] <= 1;
			if (e == 0)
				first_epoch[i] = per_sample[i];
			else
				both += first_epoch[i] && per_sample[i];
		}
	}
	check(ok && both < size, "h. data: balance = undersample gives every "
	      "class the smallest class's count each epoch, no sample twice, "
	      "another choice each epoch", "exit %d, %d bad rows, %d steps "
	      "(expected %d), %d of %d samples in both epochs", rc, bad_rows,
	      nsteps, 2 * steps, both, size);
	char f[4096];
	snprintf(f, sizeof f, "%s/h-images", tmp);
	remove(f);
	snprintf(f, sizeof f, "%s/h-labels", tmp);
	remove(f);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_trainer DATA_DIR "
		        "determinism|checkpoint TMP|predict|driver TMP|losses\n");
		return 2;
	}
	const char *test = argv[2];
	int need_tmp = !strcmp(test, "checkpoint") || !strcmp(test, "driver") ||
	               !strcmp(test, "data");
	if (need_tmp && argc < 4)
		die("%s needs a temporary directory", test);
	load_data(argv[1]);
	if (!strcmp(test, "determinism"))
		test_determinism();
	else if (!strcmp(test, "checkpoint"))
		test_checkpoint(argv[3]);
	else if (!strcmp(test, "predict"))
		test_predict();
	else if (!strcmp(test, "driver"))
		test_driver(argv[1], argv[3]);
	else if (!strcmp(test, "data"))
		test_data(argv[3]);
	else if (!strcmp(test, "losses"))
		print_losses();
	else
		die("unknown test '%s'", test);
	rt_data_free(&data);
	return failures ? 1 : 0;
}
