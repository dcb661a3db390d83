/*
 * rt_main.c — the recipe driver behind every generated trainer's main().
 *
 * A trainer is the model's API (RtModel) plus a recipe (RtRecipe); this
 * file turns the two into a command-line program: flags, data, the epoch
 * loop, validation, early stopping, checkpoints and the lines a person
 * reads while it runs.  Output contract: stdout carries only the per-epoch
 * lines, hints and the final line, each flushed; stderr carries errors,
 * notes and (on a TTY) the progress line.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nncc_rt.h"

/* The shuffling stream is seeded with seed ^ DATA_RNG_SALT ("nnccdata")
 * so it never coincides with the stream a model seeds with seed itself. */
#define DATA_RNG_SALT 0x6e6e636364617461u
/* The augmentation stream: seed ^ "nnccaugm". */
#define AUG_RNG_SALT 0x6e6e636361756736u

/* A loss this many times the first one (or 1, if larger) is a blow-up. */
#define DIVERGE_FACTOR 1e4

/* --overfit-batch: the step budget unless --max-steps says otherwise, how
 * often it prints the loss, and the loss that counts as ~0. */
#define OVERFIT_STEPS 300
#define OVERFIT_EVERY 10
#define OVERFIT_LOSS 0.01

/* ---- Flags ------------------------------------------------------------- */

typedef struct Opts {
	int epochs;
	uint64_t seed;
	int threads;
	const char *data_dir, *resume, *metrics;
	int quiet;
	long long max_steps;  /* -1: no limit */
	int overfit;          /* --overfit-batch N; 0: train the recipe */
	long long kill_at;    /* test hook: SIGKILL after this step; -1 */
} Opts;

static void
usage(const char *name, const RtRecipe *r)
{
	printf("usage: %s [flags]\n"
	       "  --epochs N          epochs to train (recipe: %d)\n"
	       "  --seed N            seed for init and shuffling (recipe: %llu)\n"
	       "  --threads N         threads (default: all cores; ignored by a\n"
	       "                      trainer built without OpenMP)\n"
	       "  --data-dir DIR      resolve the recipe's relative data paths "
	       "against DIR\n"
	       "  --resume CKPT       continue from a checkpoint\n"
	       "  --metrics FILE      append one JSON line per epoch to FILE\n"
	       "  --quiet             only the final line\n"
	       "  --max-steps N       stop after N optimizer steps\n"
	       "  --overfit-batch N   debug: train on the first N batches only\n"
	       "                      (no shuffle, no augmentation, the base lr)\n"
	       "                      for up to --max-steps steps (default %d)\n"
	       "                      and say whether the loss reached ~0\n"
	       "  --help              this text\n"
	       "exit status: 0 ok; 1 a bad flag or data file; 3 training\n"
	       "diverged; %d --overfit-batch did not drive the loss below %g\n",
	       name, r->epochs, (unsigned long long)r->seed, OVERFIT_STEPS,
	       RT_EXIT_NO_FIT, OVERFIT_LOSS);
}

/* A whole decimal number in [min,max], nothing else. */
static int
number(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return *end || errno || *v > max ? -1 : 0;
}

/* 0: run; 1: bad flag (reported); 2: --help was printed. */
static int
parse_flags(Opts *o, const char *name, const RtRecipe *r, int argc,
            char **argv)
{
	unsigned long long v;
	const char *f, *a;
	int i;

	for (i = 1; i < argc; i++) {
		f = argv[i];
		if (strcmp(f, "--help") == 0) {
			usage(name, r);
			return 2;
		}
		if (strcmp(f, "--quiet") == 0) {
			o->quiet = 1;
			continue;
		}
		if (strcmp(f, "--epochs") && strcmp(f, "--seed") &&
		    strcmp(f, "--threads") && strcmp(f, "--data-dir") &&
		    strcmp(f, "--resume") && strcmp(f, "--metrics") &&
		    strcmp(f, "--max-steps") && strcmp(f, "--overfit-batch")) {
			fprintf(stderr, "%s: unknown flag '%s' (try --help)\n", name,
			        f);
			return 1;
		}
		if (i + 1 == argc) {
			fprintf(stderr, "%s: %s needs a value (try --help)\n", name,
			        f);
			return 1;
		}
		a = argv[++i];
		if (strcmp(f, "--data-dir") == 0)
			o->data_dir = a;
		else if (strcmp(f, "--resume") == 0)
			o->resume = a;
		else if (strcmp(f, "--metrics") == 0)
			o->metrics = a;
		else if (!strcmp(f, "--epochs") && !number(a, INT_MAX, &v))
			o->epochs = (int)v;
		else if (!strcmp(f, "--seed") && !number(a, UINT64_MAX, &v))
			o->seed = v;
		else if (!strcmp(f, "--threads") && !number(a, 4096, &v) && v)
			o->threads = (int)v;
		else if (!strcmp(f, "--max-steps") && !number(a, LLONG_MAX, &v))
			o->max_steps = (long long)v;
		else if (!strcmp(f, "--overfit-batch") && !number(a, INT_MAX, &v) &&
		         v)
			o->overfit = (int)v;
		else {
			fprintf(stderr, "%s: bad value '%s' for %s (try --help)\n",
			        name, a, f);
			return 1;
		}
	}
	return 0;
}

/* ---- Data -------------------------------------------------------------- */

/* The samples must fit the model's input and carry the labels it needs. */
static int
check_data(const RtModel *m, const RtData *d, const char *file)
{
	char dims[64];
	int k, i;

	if (d->dim != m->in_dim) {
		k = 0;
		for (i = 0; i < m->in_rank && i < 3; i++)
			k += snprintf(dims + k, sizeof dims - (size_t)k, "%s%d",
			              i ? "," : "", m->in_dims[i]);
		fprintf(stderr, "%s: samples have %d values, the model's input "
		        "takes %d ([%s])\n", file, d->dim, m->in_dim, dims);
		return -1;
	}
	/* as many values, in another shape: [N,2,8] images for a [1,4,4]
	 * input would train on scrambled pixels */
	if (d->rank > 1 && d->rank == m->in_rank &&
	    memcmp(d->dims, m->in_dims, (size_t)d->rank * sizeof *d->dims)) {
		fprintf(stderr, "%s: samples are [%d,%d,%d], the model's input is "
		        "[%d,%d,%d]\n", file, d->dims[0], d->dims[1], d->dims[2],
		        m->in_dims[0], m->in_dims[1], m->in_dims[2]);
		return -1;
	}
	if (m->label_kind == RT_LABEL_CLASS ? !d->y : !d->t) {
		fprintf(stderr, "%s: samples lack the %s the model needs\n", file,
		        m->label_kind == RT_LABEL_CLASS ? "class labels" :
		        "float targets");
		return -1;
	}
	if (m->label_kind == RT_LABEL_FLOAT && d->tdim != m->target_dim) {
		fprintf(stderr, "%s: samples have %d target values, the model "
		        "predicts %d\n", file, d->tdim, m->target_dim);
		return -1;
	}
	return 0;
}

/* Token models take int32 inputs: each loaded value, which must be a
 * whole number, is stored as an int32 in its own 4 bytes, in place (the
 * batches are gathered with memcpy, so the bits travel unchanged). */
static int
to_int32(RtData *d, const char *path)
{
	size_t i, n = (size_t)d->n * (size_t)d->dim;

	for (i = 0; i < n; i++) {
		float v = d->x[i];
		int32_t k;
		if (!(v == floorf(v)) || fabsf(v) > 2147483520.0f) {
			fprintf(stderr, "%s: value %g of sample %zu is not a token "
			        "index (the model's input is int32)\n", path,
			        (double)v, i / (size_t)d->dim);
			return -1;
		}
		k = (int32_t)v;
		memcpy(&d->x[i], &k, sizeof k);
	}
	return 0;
}

/* The recipe's normalize nm of the data d (from file), per channel of
 * the model's input (its first per-sample dimension). */
static int
normalize(const RtModel *m, const RtNorm *nm, const char *file, RtData *d)
{
	RtErr e;

	if (rt_data_normalize(d, nm, m->in_dims[0], file, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	return 0;
}

/* A data path as the loaders open it: against --data-dir if relative. */
static const char *
data_path(const Opts *o, const char *p, char *buf, size_t n)
{
	if (!p || !o->data_dir || !o->data_dir[0] || p[0] == '/')
		return p;
	snprintf(buf, n, "%s/%s", o->data_dir, p);
	return buf;
}

/* Loads train and valid as the recipe says.  *on_train: valid is train. */
static int
load_data(const RtModel *m, const RtRecipe *r, const Opts *o, RtData *train,
          RtData *valid, int *on_train)
{
	char tbuf[4096], vbuf[4096];
	const char *tpath, *vpath;
	RtErr e;
	int classes;

	tpath = data_path(o, r->train.a, tbuf, sizeof tbuf);
	vpath = data_path(o, r->valid.a, vbuf, sizeof vbuf);
	classes = m->label_kind == RT_LABEL_CLASS ? m->classes : 0;
	memset(valid, 0, sizeof *valid);
	*on_train = 0;
	if (rt_load(train, &r->train, o->data_dir, classes, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	if (check_data(m, train, tpath) < 0 ||
	    (m->in_int32 && to_int32(train, tpath) < 0) ||
	    normalize(m, &r->train_norm, tpath, train) < 0)
		return -1;
	if (r->valid.kind != RT_DATA_NONE) {
		if (rt_load(valid, &r->valid, o->data_dir, classes, &e) < 0) {
			fprintf(stderr, "%s\n", e.msg);
			return -1;
		}
		if (m->in_int32 && to_int32(valid, vpath) < 0)
			return -1;
		if (check_data(m, valid, vpath) < 0)
			return -1;
		return normalize(m, &r->valid_norm, vpath, valid);
	}
	if (r->split > 0) {
		if (rt_data_split(train, valid, r->split, &e) < 0) {
			fprintf(stderr, "%s: %s\n", tpath, e.msg);
			return -1;
		}
		return 0;
	}
	fprintf(stderr, "note: the recipe has no validation data; validating on "
	        "the training set\n");
	*valid = *train;
	*on_train = 1;
	return 0;
}

/* ---- Training ---------------------------------------------------------- */

/* What one epoch measured.  seconds and rate (samples/s) cover training
 * only, not validation; lr is the last one the epoch used. */
typedef struct Epoch {
	double train_loss, valid_loss, valid_acc, lr, seconds, rate;
} Epoch;

/* JSON has no NaN or Infinity: those become null. */
static const char *
jnum(char *buf, size_t cap, double v)
{
	if (!isfinite(v))
		return "null";
	snprintf(buf, cap, "%.9g", v);  /* a float, exactly */
	return buf;
}

static void
write_metrics(FILE *f, int epoch, const Epoch *m)
{
	char b[6][32];

	fprintf(f, "{\"epoch\":%d,\"train_loss\":%s,\"valid_loss\":%s,"
	        "\"valid_acc\":%s,\"lr\":%s,\"seconds\":%s,"
	        "\"samples_per_s\":%s}\n", epoch,
	        jnum(b[0], 32, m->train_loss), jnum(b[1], 32, m->valid_loss),
	        jnum(b[2], 32, m->valid_acc), jnum(b[3], 32, m->lr),
	        jnum(b[4], 32, m->seconds), jnum(b[5], 32, m->rate));
	fflush(f);
}

/* Plain-language hints from the last four epochs' losses (h[3] newest),
 * each given at most once per run:
 *   overfitting  train_loss fell and valid_loss rose, two epochs running;
 *   plateau      train_loss moved less than PLATEAU_SHARE in three epochs
 *                (unless it is already below OVERFIT_LOSS: that is a fit). */
#define PLATEAU_SHARE 0.01

typedef struct Hints {
	int n, overfit_said, plateau_said;
	double train[4], valid[4];
} Hints;

static void
hint(Hints *h, double train, double valid)
{
	double *t, *v;

	memmove(h->train, h->train + 1, 3 * sizeof(double));
	memmove(h->valid, h->valid + 1, 3 * sizeof(double));
	h->train[3] = train;
	h->valid[3] = valid;
	h->n++;
	t = h->train;
	v = h->valid;
	if (h->n >= 3 && !h->overfit_said && t[3] < t[2] && t[2] < t[1] &&
	    v[3] > v[2] && v[2] > v[1]) {
		printf("hint: valid_loss has risen for 2 epochs while train_loss "
		       "fell — the model is overfitting (memorizing the training "
		       "set); try early_stopping, dropout, weight_decay, data "
		       "augmentation or a smaller model\n");
		h->overfit_said = 1;
	}
	if (h->n >= 4 && !h->plateau_said && t[3] >= OVERFIT_LOSS &&
	    fabs(t[3] - t[0]) < PLATEAU_SHARE * fabs(t[0])) {
		printf("hint: train_loss has plateaued (it moved less than 1%% in "
		       "3 epochs) — the model has stopped learning; try a higher "
		       "learning rate, a schedule that decays it later, or a "
		       "bigger model\n");
		h->plateau_said = 1;
	}
}

/* Everything the epoch loop works with. */
typedef struct Run {
	const RtModel *model;
	RtRecipe r;               /* the recipe, with the flags applied */
	Opts o;
	const char *name;
	void *mem, *m;            /* mem as allocated, m as init returned it */
	RtState *st;
	RtData train, valid;
	float *x;
	void *y;
	/* the epoch's order, and augmentation's buffers (setup_data) */
	RtSampler sampler;
	int32_t *idx;             /* [batch] the samples of this batch */
	int32_t *y2, *mixperm;    /* [batch] mixup's second labels, pairing */
	float *work;              /* [batch][in_dim] mixup's copy of x */
	float *fill;              /* [channels] random_crop's padding */
	FILE *metrics;
	long long steps;          /* taken in this run */
	float first_loss;
} Run;

/* Batch i of the epoch: gathered, augmented, one optimizer step; returns
 * its loss. */
static float
step(Run *R, int i)
{
	const RtModel *M;
	const RtRecipe *r;
	float lam;

	M = R->model;
	r = &R->r;
	rt_batch_indices(R->sampler.order, R->sampler.size, M->batch, i, R->idx);
	rt_gather(&R->train, R->idx, M->batch, R->x, R->y);
	if (r->naugment == 0)
		return M->train_step(R->m, R->x, R->y);
	lam = rt_augment_batch(r->augment, r->naugment, R->x, M->batch,
	                       M->in_dims[0], M->in_dims[1], M->in_dims[2],
	                       R->fill, R->y, R->y2, R->work, R->mixperm,
	                       &R->st->aug_rng);
	if (r->augment[r->naugment - 1].kind == RT_AUG_MIXUP)
		return M->train_step_mix(R->m, R->x, R->y, R->y2, lam);
	return M->train_step(R->m, R->x, R->y);
}

/* The test hook NNCC_TEST_SIGKILL_AT_STEP=N (read in rt_train_main):
 * the trainer kills itself with SIGKILL right after optimizer step N, a
 * crash at a known point for the test that a resumed run ends bit for
 * bit where an uninterrupted one does. */
static void
test_kill(const Run *R)
{
#ifdef SIGKILL
	if (R->o.kill_at >= 0 && R->st->step == R->o.kill_at) {
		fflush(NULL);
		raise(SIGKILL);
	}
#else
	(void)R;
#endif
}

/* Runs one epoch of training and fills E's train_loss (the epoch's mean),
 * lr (the last one used), seconds and rate (samples/s, training only).
 * Returns 0 for a full epoch, 1 when --max-steps cut it short, 3 when
 * training diverged.  Every step sees a full batch, the shape the trainer
 * was compiled for: the last one is filled up from the start of the
 * epoch's order, or dropped with drop_last (rt_epoch_batches). */
static int
train_epoch(Run *R, int epoch, Epoch *E)
{
	const RtModel *M;
	RtProgress p;
	double sum, t0;
	float loss, lr;
	int B, nbatch, i;

	M = R->model;
	B = M->batch;
	nbatch = rt_epoch_batches(R->sampler.size, B, R->r.drop_last);
	rt_sampler_epoch(&R->sampler, R->r.shuffle, &R->st->data_rng);
	rt_progress_start(&p, epoch, R->r.epochs, nbatch, B, R->o.quiet);
	t0 = rt_seconds();
	sum = 0;
	for (i = 0; i < nbatch; i++) {
		if (R->o.max_steps >= 0 && R->steps >= R->o.max_steps)
			break;
		lr = rt_lr(&R->r, R->st, epoch + (double)i / nbatch);
		M->set_lr(R->m, lr);
		E->lr = lr;
		loss = step(R, i);  /* train_step counts st->step */
		test_kill(R);
		if (R->steps++ == 0)
			R->first_loss = loss;
		if (!isfinite(loss) ||
		    loss > DIVERGE_FACTOR * fmax(R->first_loss, 1)) {
			rt_progress_end(&p);
			fprintf(stderr, "error: training diverged at step %lld (epoch "
			        "%d): loss is %g, lr = %g — the learning rate is "
			        "likely too high; try 10x lower\n",
			        (long long)R->st->step, epoch + 1, loss, lr);
			return 3;
		}
		sum += loss;
		rt_progress_step(&p, i, loss);
	}
	rt_progress_end(&p);
	E->seconds = rt_seconds() - t0;
	E->train_loss = i ? sum / i : NAN;
	E->rate = E->seconds > 0 ? (double)i * B / E->seconds : 0;
	return i < nbatch;
}

static float
evaluate(Run *R, float *acc)
{
	*acc = 0;
	return R->model->evaluate(R->m, R->valid.x,
	                          R->valid.y ? (void *)R->valid.y :
	                          (void *)R->valid.t, R->valid.n, acc);
}

/* The plateau schedule's step on the epoch's valid loss (before the
 * checkpoint, which carries its state), said when it lowers the lr. */
static void
plateau(Run *R, double valid_loss)
{
	double old;

	old = R->st->plateau_lr;
	if (rt_plateau_step(&R->r, R->st, valid_loss) && !R->o.quiet) {
		printf("plateau: valid_loss has not improved for %d epochs; lr "
		       "%.4g -> %.4g\n", R->r.plateau_patience + 1, old,
		       R->st->plateau_lr);
		fflush(stdout);
	}
}

/* The monitored metric's name, and whether v beats the best so far by
 * more than min_delta (a loss must fall, an accuracy rise). */
static const char *
monitor_name(const RtRecipe *r)
{
	return r->monitor == RT_MONITOR_VALID_ACC ? "valid_acc" : "valid_loss";
}

static int
improved(const RtRecipe *r, double v, double best)
{
	if (r->monitor == RT_MONITOR_VALID_ACC)
		return v > best + r->min_delta;
	return v < best - r->min_delta;
}

/* After a full epoch: early-stopping bookkeeping on the monitored metric,
 * the best checkpoint when it improved, then maybe the regular one.
 * Returns 1 to stop, 0 to go on, -1 if a checkpoint failed. */
static int
end_epoch(Run *R, int epoch, const Epoch *E)
{
	RtState *st;
	double v;
	int stop, every, better;

	st = R->st;
	st->epoch = epoch + 1;
	v = R->r.monitor == RT_MONITOR_VALID_ACC ? E->valid_acc : E->valid_loss;
	better = improved(&R->r, v, st->best);
	if (better) {
		st->best = (float)v;
		st->bad_epochs = 0;
	} else {
		st->bad_epochs++;
	}
	plateau(R, E->valid_loss);
	stop = R->r.patience > 0 && st->bad_epochs >= R->r.patience;
	every = R->r.ckpt_every > 0 ? R->r.ckpt_every : 1;
	if (better && R->r.ckpt_best &&
	    R->model->save(R->m, R->r.ckpt_best) != 0)
		return -1;
	if (R->r.ckpt_path && (stop || epoch + 1 == R->r.epochs ||
	                       (epoch + 1) % every == 0))
		if (R->model->save(R->m, R->r.ckpt_path) != 0)
			return -1;
	if (stop) {
		printf("early stopping: %s has not improved for %d epochs "
		       "(best %.4f at epoch %d)\n", monitor_name(&R->r),
		       (int)st->bad_epochs, st->best,
		       (int)(st->epoch - st->bad_epochs));
		fflush(stdout);
	}
	return stop;
}

/* The epoch loop.  Returns the exit code.  An epoch cut short by
 * --max-steps is validated and reported but neither counted in st->epoch
 * nor checkpointed, so a resume never skips the batches it missed. */
static int
train(Run *R)
{
	Hints h;
	Epoch E;
	float acc;
	int epoch, rc, evaluated;

	memset(&h, 0, sizeof h);
	memset(&E, 0, sizeof E);
	evaluated = 0;
	for (epoch = R->st->epoch; epoch < R->r.epochs; epoch++) {
		if (R->o.max_steps >= 0 && R->steps >= R->o.max_steps)
			break;
		rc = train_epoch(R, epoch, &E);
		if (rc == 3)
			return 3;
		E.valid_loss = evaluate(R, &acc);
		E.valid_acc = acc;
		evaluated = 1;
		if (!R->o.quiet) {
			printf("epoch %d/%d  train_loss %.4f  valid_loss %.4f  "
			       "valid_acc %.4f  lr %.4g  %.1fs  %.0f samples/s\n",
			       epoch + 1, R->r.epochs, E.train_loss, E.valid_loss,
			       E.valid_acc, E.lr, E.seconds, E.rate);
			fflush(stdout);
		}
		if (R->metrics)
			write_metrics(R->metrics, epoch + 1, &E);
		if (rc == 1)
			break;
		if (!R->o.quiet)
			hint(&h, E.train_loss, E.valid_loss);
		rc = end_epoch(R, epoch, &E);
		if (rc < 0)
			return 1;
		if (rc == 1)
			break;
	}
	if (!evaluated) {
		E.valid_loss = evaluate(R, &acc);
		E.valid_acc = acc;
	}
	printf("final: valid_acc=%.4f valid_loss=%.4f\n", E.valid_acc,
	       E.valid_loss);
	fflush(stdout);
	return 0;
}

/* The epoch's sampler and what the recipe's augmentations need, after
 * checking that they apply to this model.  0, or 1 (reported). */
static int
setup_data(Run *R)
{
	const RtModel *M;
	const RtRecipe *r;
	const RtNorm *t;
	RtErr e;
	size_t B;
	int k, c, per_sample, mix;

	M = R->model;
	r = &R->r;
	if (rt_sampler_init(&R->sampler, &R->train,
	                    M->label_kind == RT_LABEL_CLASS ? M->classes : 0,
	                    r->balance, &e) < 0) {
		fprintf(stderr, "%s: %s\n", r->train.a, e.msg);
		return 1;
	}
	if (M->batch < 1 ||
	    rt_epoch_batches(R->sampler.size, M->batch, r->drop_last) == 0) {
		fprintf(stderr, "%s: %d training samples, fewer than one batch of "
		        "%d (drop_last)\n", r->train.a, R->sampler.size, M->batch);
		return 1;
	}
	per_sample = mix = 0;
	for (k = 0; k < r->naugment; k++) {
		if (r->augment[k].kind == RT_AUG_MIXUP && k != r->naugment - 1) {
			fprintf(stderr, "%s: mixup must be the last augmentation\n",
			        R->name);
			return 1;
		}
		mix |= r->augment[k].kind == RT_AUG_MIXUP;
		per_sample |= r->augment[k].kind != RT_AUG_MIXUP;
	}
	if ((per_sample && (M->in_rank != 3 || M->in_int32)) ||
	    (mix && (M->in_int32 || !M->train_step_mix ||
	             M->label_kind != RT_LABEL_CLASS))) {
		fprintf(stderr, "%s: the recipe's augmentation does not apply to "
		        "this model (%s)\n", R->name, per_sample && M->in_rank != 3 ?
		        "its input is not an image [C,H,W]" : "it cannot mix labels");
		return 1;
	}
	B = (size_t)M->batch;
	R->idx = malloc(B * sizeof(int32_t));
	R->y2 = malloc(B * sizeof(int32_t));
	R->mixperm = malloc(B * sizeof(int32_t));
	R->work = mix ? malloc(B * (size_t)M->in_dim * sizeof(float)) : NULL;
	R->fill = calloc((size_t)M->in_dims[0] + 1, sizeof(float));
	if (!R->idx || !R->y2 || !R->mixperm || (mix && !R->work) || !R->fill) {
		fprintf(stderr, "%s: out of memory\n", R->name);
		return 1;
	}
	/* random_crop pads with what a raw 0 becomes once normalized, as
	 * torchvision pads before it normalizes */
	t = &r->train_norm;
	for (c = 0; t->n && c < M->in_dims[0]; c++) {
		k = t->n == 1 ? 0 : c;
		R->fill[c] = (0 - t->mean[k]) / t->std[k];
	}
	return 0;
}

/* init_bias_from_prior: the classifier's bias (and its EMA twin, which
 * _init made a copy of the weights) from the training labels.  A resumed
 * run has its bias in the checkpoint already. */
static int
set_prior(Run *R)
{
	char ema[256];
	float *b, *eb;
	long n, en;
	RtErr e;

	b = R->model->tensor ? R->model->tensor(R->m, R->r.prior_bias, &n) :
	    NULL;
	if (!b) {
		fprintf(stderr, "%s: init_bias_from_prior: the model has no "
		        "tensor '%s'\n", R->name, R->r.prior_bias);
		return -1;
	}
	if (rt_prior_bias(&R->train, R->r.prior, b, n, &e) < 0) {
		fprintf(stderr, "%s: %s\n", R->r.train.a, e.msg);
		return -1;
	}
	snprintf(ema, sizeof ema, "ema.%s", R->r.prior_bias);
	eb = R->model->tensor(R->m, ema, &en);
	if (eb && en == n)
		memcpy(eb, b, (size_t)n * sizeof *b);
	return 0;
}

/* Allocates the model and the batch buffers, or restores a checkpoint. */
static int
setup(Run *R)
{
	const RtModel *M;
	size_t size, ysize;

	M = R->model;
	if (setup_data(R))
		return 1;
	size = (M->size() + 63) / 64 * 64;
	ysize = M->label_kind == RT_LABEL_CLASS ? sizeof(int32_t) :
	        (size_t)R->train.tdim * sizeof(float);
	R->mem = aligned_alloc(64, size ? size : 64);
	R->x = malloc((size_t)M->batch * (size_t)M->in_dim * sizeof(float));
	R->y = malloc((size_t)M->batch * ysize);
	if (!R->mem || !R->x || !R->y) {
		fprintf(stderr, "%s: out of memory\n", R->name);
		return 1;
	}
	R->m = M->init(R->mem, R->r.seed);
	R->st = M->state(R->m);
	R->st->epoch = 0;
	R->st->step = 0;
	rt_rng_seed(&R->st->data_rng, R->r.seed ^ DATA_RNG_SALT);
	rt_rng_seed(&R->st->aug_rng, R->r.seed ^ AUG_RNG_SALT);
	R->st->best = R->r.monitor == RT_MONITOR_VALID_ACC ? -INFINITY :
	              INFINITY;
	R->st->bad_epochs = 0;
	rt_plateau_reset(&R->r, R->st);
	if (R->r.prior != RT_PRIOR_NONE && !R->o.resume && set_prior(R) != 0)
		return 1;
	if (R->o.resume && M->load(R->m, R->o.resume) != 0)
		return 1;
	if (R->o.metrics && !(R->metrics = fopen(R->o.metrics, "a"))) {
		fprintf(stderr, "%s: cannot open: %s\n", R->o.metrics,
		        strerror(errno));
		return 1;
	}
	return 0;
}

/* ---- --overfit-batch ---------------------------------------------------- */

/* NNCC_TEST_SIGKILL_AT_STEP, if set to a whole number; else -1. */
static long long
test_kill_step(void)
{
	unsigned long long v;
	const char *s;

	s = getenv("NNCC_TEST_SIGKILL_AT_STEP");
	return s && !number(s, LLONG_MAX, &v) ? (long long)v : -1;
}

/* The first check of a new model and pipeline: can it fit a handful of
 * samples?  Trains on the first N batches of the training set in file
 * order, again and again — no shuffle, no augmentation, the recipe's base
 * learning rate without its schedule — for up to --max-steps steps
 * (OVERFIT_STEPS by default).  It succeeds as soon as the mean loss of one
 * pass over the N batches is below OVERFIT_LOSS.  A model that cannot get
 * there on so few samples has a bug (labels that do not belong to their
 * inputs, a loss on the wrong tensor, a layer cut off from the gradient)
 * or far too low a learning rate.  Returns the exit code: 0, 3 when the
 * loss blows up, RT_EXIT_NO_FIT when it never gets there. */
static int
overfit(Run *R)
{
	const RtModel *M;
	long long budget, step;
	double sum, mean, first;
	float loss;
	int B, nb, i;

	M = R->model;
	B = M->batch;
	nb = R->o.overfit;
	if ((long long)nb * B > R->train.n) {
		fprintf(stderr, "%s: --overfit-batch %d needs %lld samples; the "
		        "training set has %d (%d batches of %d)\n", R->name, nb,
		        (long long)nb * B, R->train.n, R->train.n / B, B);
		return 1;
	}
	budget = R->o.max_steps >= 0 ? R->o.max_steps : OVERFIT_STEPS;
	M->set_lr(R->m, R->r.lr);
	sum = 0;
	mean = NAN;
	first = NAN;
	for (step = 1; step <= budget; step++) {
		i = (int)((step - 1) % nb);
		for (int j = 0; j < B; j++)    /* the first nb batches, in order */
			R->idx[j] = i * B + j;
		rt_gather(&R->train, R->idx, B, R->x, R->y);
		loss = M->train_step(R->m, R->x, R->y);
		if (step == 1)
			first = loss;
		if (!isfinite(loss) || loss > DIVERGE_FACTOR * fmax(first, 1)) {
			fprintf(stderr, "error: training diverged at step %lld of "
			        "--overfit-batch: loss is %g, lr = %g — the learning "
			        "rate is likely too high; try 10x lower\n", step,
			        loss, R->r.lr);
			return 3;
		}
		sum += loss;
		if (!R->o.quiet && (step == 1 || step % OVERFIT_EVERY == 0)) {
			printf("overfit step %lld/%lld  loss %.4f\n", step, budget,
			       loss);
			fflush(stdout);
		}
		if (i == nb - 1) {
			mean = sum / nb;
			sum = 0;
			if (mean < OVERFIT_LOSS)
				break;
		}
	}
	if (mean < OVERFIT_LOSS) {
		printf("overfit: loss %.4f < %g after %lld steps — the model can "
		       "fit %d samples; the pipeline learns\n", mean, OVERFIT_LOSS,
		       step, nb * B);
		fflush(stdout);
		return 0;
	}
	printf("overfit: loss %.4f after %lld steps, not below %g — the model "
	       "cannot fit %d samples; look for labels that do not match their "
	       "inputs, a loss on the wrong tensor, a layer cut off from the "
	       "gradient, or a learning rate far too low\n", mean,
	       step - 1, OVERFIT_LOSS, nb * B);
	fflush(stdout);
	return RT_EXIT_NO_FIT;
}

int
rt_train_main(const RtModel *model, const RtRecipe *recipe, int argc,
              char **argv)
{
	Run R;
	int rc, on_train;

	memset(&R, 0, sizeof R);
	R.model = model;
	R.r = *recipe;
	R.name = model->name ? model->name : "trainer";
	R.o.epochs = recipe->epochs;
	R.o.seed = recipe->seed;
	R.o.max_steps = -1;
	R.o.kill_at = test_kill_step();
	rc = parse_flags(&R.o, R.name, recipe, argc, argv);
	if (rc)
		return rc == 2 ? 0 : 1;
	R.r.epochs = R.o.epochs;
	R.r.seed = R.o.seed;
	if (R.o.threads > 0 && model->set_threads)
		model->set_threads(R.o.threads);
	on_train = 0;
	rc = 1;
	if (load_data(model, &R.r, &R.o, &R.train, &R.valid, &on_train) == 0 &&
	    setup(&R) == 0)
		rc = R.o.overfit ? overfit(&R) : train(&R);
	free(R.mem);
	free(R.x);
	free(R.y);
	rt_sampler_free(&R.sampler);
	free(R.idx);
	free(R.y2);
	free(R.mixperm);
	free(R.work);
	free(R.fill);
	if (R.metrics)
		fclose(R.metrics);
	if (!on_train)
		rt_data_free(&R.valid);
	rt_data_free(&R.train);
	return rc;
}
