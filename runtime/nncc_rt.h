/*
 * nncc_rt.h — libnncc_rt, the runtime every generated trainer links against.
 *
 * What lives here is what every trainer needs but no model shapes: data
 * loaders, the RNG, shuffling, timers, the progress line, safetensors
 * checkpoints and the recipe driver behind a trainer's main().  Kernels do
 * not live here: they are emitted, shape-specialized, into each trainer.
 *
 * Conventions: functions that can fail return 0 on success and -1 on
 * failure, filling an RtErr whose message starts with the file it concerns.
 * Nothing here allocates after a trainer's init except the data loaders,
 * which run once before training.
 */
#ifndef NNCC_RT_H
#define NNCC_RT_H

#include <stddef.h>
#include <stdint.h>

#define RT_VERSION "0.1"

typedef struct RtErr {
	char msg[640];
} RtErr;

/* Formats into e->msg (printf-style); always returns -1 so callers can
 * `return rt_fail(e, ...)`. */
int rt_fail(RtErr *e, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* ---- RNG --------------------------------------------------------------
 * xoshiro256** (Blackman & Vigna, 2018), its 256-bit state seeded from a
 * 64-bit seed by four rounds of SplitMix64.  Floats are built from the top
 * 24 bits of a draw, so uniform() is exact in float32 and never returns 1.
 * normal() is Box-Muller on two uniforms, with no cached second value, so
 * the state alone determines the stream (checkpoints stay exact). */
typedef struct RtRng {
	uint64_t s[4];
} RtRng;

void rt_rng_seed(RtRng *r, uint64_t seed);
uint64_t rt_rng_u64(RtRng *r);
uint32_t rt_rng_below(RtRng *r, uint32_t n); /* uniform in [0,n), unbiased; n>0 */
float rt_rng_uniform(RtRng *r);              /* [0,1) */
float rt_rng_normal(RtRng *r);               /* mean 0, std 1 */

/* Fisher-Yates shuffle of perm[0..n) in place (perm need not be 0..n-1). */
void rt_shuffle(int32_t *perm, int n, RtRng *r);

/* ---- Data ------------------------------------------------------------- */
enum { RT_DATA_NONE, RT_DATA_IDX, RT_DATA_CSV };

/* Where a split comes from, as the recipe says. */
typedef struct RtDataSpec {
	int kind;            /* RT_DATA_* */
	const char *a;       /* IDX: images file; CSV: the file */
	const char *b;       /* IDX: labels file; CSV: unused (NULL) */
	int label_col;       /* CSV: column of the label (0-based; -1 = last) */
	int header;          /* CSV: first line is a header */
	float scale;         /* every input value is multiplied by it (0: 1) */
} RtDataSpec;

/* normalize = {mean, std} of a data source: after scale, x = (x - mean[c])
 * / std[c] per channel c, the first per-sample dimension ([C,H,W]: C;
 * [D]: each of the D values). */
typedef struct RtNorm {
	int n;               /* 0: none; 1: one pair for all; else per channel */
	const float *mean, *std;
} RtNorm;

/* A loaded split.  Inputs are float32, row-major, dim floats per sample.
 * Labels are class indices (y) or float targets (t, tdim per sample). */
typedef struct RtData {
	int n;               /* samples */
	int dim;             /* floats per sample */
	int rank;            /* per-sample dims as read: 1 to 3 */
	int dims[3];
	float *x;            /* [n][dim] */
	int32_t *y;          /* [n] class index, or NULL */
	float *t;            /* [n][tdim] float targets, or NULL */
	int tdim;
} RtData;

/* IDX images of any rank ([N], [N,D], [N,H,W] ubyte = one channel,
 * [N,C,H,W]), element types ubyte, byte, short, int, float, double, and
 * labels [N] of an integer type.  classes > 0: every label must lie in
 * [0,classes).  classes == 0: the labels file holds float targets of any
 * type and rank, read into t (tdim per sample).  labels may be NULL.
 * Errors: missing file, wrong magic, unknown type, truncated data, image
 * and label counts that disagree, label out of range. */
int rt_load_idx(RtData *d, const char *images, const char *labels,
                float scale, int classes, RtErr *e);

/* CSV of numbers, one sample per line: every column but label_col is an
 * input feature.  classes > 0: the label is a class index in [0,classes);
 * classes == 0: the label column is a float target (tdim = 1).  Errors name
 * the file and line: non-numeric cell, ragged rows, NaN/Inf, label out of
 * range, empty file. */
int rt_load_csv(RtData *d, const char *path, int label_col, int header,
                float scale, int classes, RtErr *e);

/* init_bias_from_prior: the bias under which a model whose weights are
 * zero predicts the label frequencies of d.  RT_PRIOR_SOFTMAX: bias[k] =
 * log(c_k / n) for the n classes (c_k samples of class k); RT_PRIOR_SIGMOID:
 * bias[j] = log(pos_j / neg_j) for the n outputs, pos_j = Σ t_j and neg_j
 * = Σ (1 − t_j) over the samples (targets must lie in [0,1]).  A count of
 * zero counts as half a sample, so every bias is finite.  Errors: no
 * labels of the kind, n not the classes or target size, a target outside
 * [0,1]. */
int rt_prior_bias(const RtData *d, int kind, float *bias, long n, RtErr *e);

/* Load by spec; relative paths resolve against dir when dir is non-NULL. */
int rt_load(RtData *d, const RtDataSpec *s, const char *dir, int classes,
            RtErr *e);

/* Moves the last `share` (0 < share < 1) of d's samples into v. */
int rt_data_split(RtData *d, RtData *v, double share, RtErr *e);

void rt_data_free(RtData *d);

/* x = (x - mean[c]) / std[c] on every sample of d, where channel c is
 * the c-th of `channels` equal runs of each sample's values.  Errors
 * (naming file): nm->n neither 1 nor channels, channels not dividing
 * dim, a std that is not > 0. */
int rt_data_normalize(RtData *d, const RtNorm *nm, int channels,
                      const char *file, RtErr *e);

/* ---- The epoch's order: shuffling, class balance, the last batch ------
 * Each epoch visits `size` samples.  RT_BALANCE_NONE: every sample once.
 * RT_BALANCE_OVER: every class present as often as the largest one (M):
 * a class of n samples contributes all of them M/n times, then M%n more
 * chosen at random without replacement.  RT_BALANCE_UNDER: every class as
 * often as the smallest present one (m): m of its samples chosen at random
 * without replacement.  Classes with no sample are left out.
 *
 * Draws from r, in this order: for each class in class order whose share
 * is not all of its samples, a partial Fisher-Yates choice of that share
 * (rt_rng_below per pick); then, if shuffle, rt_shuffle of the whole
 * order.  Without balance that is exactly rt_shuffle of 0..n-1. */
enum { RT_BALANCE_NONE, RT_BALANCE_OVER, RT_BALANCE_UNDER };

typedef struct RtSampler {
	int n;               /* samples in the data */
	int classes;
	int balance;         /* RT_BALANCE_* */
	int size;            /* samples an epoch visits */
	int share;           /* balance: samples of each present class */
	int32_t *byclass;    /* [n] sample indices grouped by class */
	int32_t *start;      /* [classes+1] class k: byclass[start[k]..start[k+1]) */
	int32_t *order;      /* [size + n] the epoch's order (and room to choose) */
} RtSampler;

/* balance needs class labels (d->y) in [0,classes). */
int rt_sampler_init(RtSampler *s, const RtData *d, int classes, int balance,
                    RtErr *e);
/* Fills s->order[0..size) for the next epoch. */
void rt_sampler_epoch(RtSampler *s, int shuffle, RtRng *r);
void rt_sampler_free(RtSampler *s);

/* Batches of an epoch of `size` samples: with drop_last the last partial
 * batch is dropped; without it is filled up with the samples from the
 * start of the epoch's order (cycling if size < batch), so every sample
 * is seen at least once and every step has the compiled batch shape. */
int rt_epoch_batches(int size, int batch, int drop_last);
/* The sample indices of batch i: order[(i*batch + j) mod size]. */
void rt_batch_indices(const int32_t *order, int size, int batch, int i,
                      int32_t *idx);

/* ---- Augmentation -------------------------------------------------------
 * Transforms of training batches, drawn from their own RNG stream (the
 * trainer's RtState.aug_rng, saved in checkpoints).  Images are [c][h][w]
 * float32.  The per-sample transforms and their draws:
 *   HFLIP   u = uniform(); mirror left-right if u < p
 *   CROP    dy = below(2·pad+1), dx = below(2·pad+1): the image padded
 *           by pad on every side (with fill[c], NULL: 0) and cropped back
 *           to h×w at offset (dy, dx): torchvision RandomCrop(padding)
 *   CUTOUT  cy = below(h), cx = below(w): zero rows cy-size/2 …
 *           cy-size/2+size-1 and the same columns around cx, clipped at
 *           the borders, in every channel (DeVries & Taylor 2017)
 *   ERASE   u = uniform(); if u < p, up to 10 attempts of: u1 = uniform(),
 *           u2 = uniform(), area share s = scale0 + (scale1-scale0)·u1,
 *           ratio r = exp(log ratio0 + (log ratio1 - log ratio0)·u2),
 *           eh = round(sqrt(s·h·w·r)), ew = round(sqrt(s·h·w/r)) (half
 *           to even); the first with eh < h and ew < w draws
 *           i = below(h-eh+1), j = below(w-ew+1) and sets the eh×ew
 *           rectangle at (i, j) to value in every channel: torchvision
 *           RandomErasing
 * and of the whole batch, after them:
 *   MIXUP   λ = beta(alpha, alpha), then a permutation π of the batch
 *           (rt_shuffle of 0..n-1); x_i = λ·x_i + (1-λ)·x_π(i) and the
 *           second label y2_i = y_π(i); the loss is λ·L(y) + (1-λ)·L(y2)
 *           (Zhang et al. 2018) */
enum { RT_AUG_HFLIP = 1, RT_AUG_CROP, RT_AUG_CUTOUT, RT_AUG_ERASE,
       RT_AUG_MIXUP };

typedef struct RtAugment {
	int kind;            /* RT_AUG_* */
	float p;             /* HFLIP, ERASE: chance a sample is transformed */
	int size;            /* CROP: the padding; CUTOUT: the square's side */
	float scale[2];      /* ERASE: range of the erased share of the area */
	float ratio[2];      /* ERASE: range of the aspect ratio h/w */
	float value;         /* ERASE: what erased values become */
	float alpha;         /* MIXUP: λ ~ Beta(alpha, alpha) */
} RtAugment;

void rt_aug_hflip(float *x, int c, int h, int w, float p, RtRng *r);
void rt_aug_crop(float *x, int c, int h, int w, int pad, const float *fill,
                 RtRng *r);
void rt_aug_cutout(float *x, int c, int h, int w, int size, RtRng *r);
void rt_aug_erase(float *x, int c, int h, int w, const RtAugment *a,
                  RtRng *r);

/* A Beta(a, b) draw as X/(X+Y) of Gamma draws X ~ Γ(a), then Y ~ Γ(b),
 * each by Marsaglia and Tsang's method (a < 1: Γ(a+1)·U^(1/a), the U
 * drawn first), in log space so that small a and b neither underflow
 * nor divide 0 by 0. */
float rt_rng_beta(RtRng *r, float a, float b);

/* Mixup of x [n][dim] as above; fills y2 [n] from y [n] and returns λ.
 * work: n·dim floats and perm: n ints of scratch. */
float rt_aug_mixup(float *x, int n, int dim, const int32_t *y, int32_t *y2,
                   float alpha, float *work, int32_t *perm, RtRng *r);

/* The whole list on a batch x [n][c·h·w]: for each sample in batch order
 * each per-sample transform in list order, then a MIXUP (which must be
 * the last of the list) on the batch.  Returns λ, 1 without mixup.  fill,
 * work and perm as above (work and perm are used by mixup only). */
float rt_augment_batch(const RtAugment *a, int naug, float *x, int n, int c,
                       int h, int w, const float *fill, const int32_t *y,
                       int32_t *y2, float *work, int32_t *perm, RtRng *r);

/* Copies samples idx[0..count) of d into contiguous x (and y or t). */
void rt_gather(const RtData *d, const int32_t *idx, int count, float *x,
               void *y);

/* ---- Time and progress ------------------------------------------------ */
double rt_seconds(void); /* monotonic clock, seconds */

typedef struct RtProgress {
	int tty, quiet;
	int epoch, epochs, nbatch, batch;
	double t0, last;
} RtProgress;

/* On a TTY, step() redraws one line (batch i/n, loss, samples/s, ETA) at
 * most ten times a second and end() clears it; elsewhere they print
 * nothing, so logs hold only the per-epoch lines. */
void rt_progress_start(RtProgress *p, int epoch, int epochs, int nbatch,
                       int batch, int quiet);
void rt_progress_step(RtProgress *p, int i, float loss);
void rt_progress_end(RtProgress *p);

/* ---- Checkpoints: safetensors ------------------------------------------
 * 8-byte little-endian header length, a JSON header, raw little-endian
 * data.  All tensors here are F32.  __metadata__ holds string pairs. */
enum { RT_MAXRANK = 4, RT_MAXMETA = 24 };

typedef struct RtTensor {
	const char *name;
	int rank;
	int64_t shape[RT_MAXRANK];
	float *data;
	int optional;        /* load: absent in the file is not an error */
} RtTensor;

typedef struct RtMeta {
	int n;
	char key[RT_MAXMETA][32];
	char val[RT_MAXMETA][128];
} RtMeta;

const char *rt_meta_get(const RtMeta *m, const char *key); /* NULL if absent */
void rt_meta_set(RtMeta *m, const char *key, const char *val);

/* Writes path.tmp, flushes and fsyncs it, then renames it over path, so a
 * crash leaves either the old file or the new one, never a torn one. */
int rt_st_save(const char *path, const RtTensor *t, int n, const RtMeta *meta,
               RtErr *e);

/* Reads every tensor of t from path.  Checks: header length within the
 * file, well-formed JSON, dtype F32, data offsets inside the file and
 * matching the shape, every non-optional tensor present with the same
 * shape, no tensor in the file that t does not name.  meta (if non-NULL)
 * receives __metadata__.  On error nothing useful is left in t's data. */
int rt_st_load(const char *path, const RtTensor *t, int n, RtMeta *meta,
               RtErr *e);
/* The same, and found[i] = 1 if the file had t[i], 0 if not (an optional
 * tensor the file lacks keeps its data). */
int rt_st_load_found(const char *path, const RtTensor *t, int n,
                     RtMeta *meta, int *found, RtErr *e);

/* ---- The recipe driver -------------------------------------------------
 * A generated trainer's main() fills an RtModel (its API) and an RtRecipe
 * (the training recipe from the Lua script) and calls rt_train_main. */
enum { RT_LABEL_CLASS, RT_LABEL_FLOAT };
enum { RT_SCHED_CONSTANT, RT_SCHED_STEP, RT_SCHED_EXP, RT_SCHED_COSINE,
       RT_SCHED_PLATEAU };
/* The metric early stopping and the best checkpoint follow: a loss must
 * fall, an accuracy rise, by more than min_delta to count. */
enum { RT_MONITOR_VALID_LOSS, RT_MONITOR_VALID_ACC };
/* init_bias_from_prior: which loss the classifier's bias feeds. */
enum { RT_PRIOR_NONE, RT_PRIOR_SOFTMAX, RT_PRIOR_SIGMOID };
/* Exit status of --overfit-batch when the loss did not reach ~0. */
enum { RT_EXIT_NO_FIT = 4 };

/* Training progress kept inside the model so checkpoints carry it. */
typedef struct RtState {
	int32_t epoch;       /* epochs completed */
	int64_t step;        /* optimizer steps taken: train_step counts them */
	RtRng data_rng;      /* shuffling stream */
	float best;          /* best value of the monitored metric so far */
	int32_t bad_epochs;  /* epochs since best (early stopping) */
	/* augmentation: its own stream, so that augmenting does not change
	 * the data order; saved as aug_rng */
	RtRng aug_rng;
	/* The plateau schedule (ReduceLROnPlateau), kept here so checkpoints
	 * carry it and --resume continues it exactly. */
	double plateau_lr;        /* the lr it has come down to */
	double plateau_best;      /* its best valid loss (+inf at the start) */
	int32_t plateau_bad;      /* epochs without a better one */
	int32_t plateau_cooldown; /* epochs of cooldown left */
} RtState;

/* Stores/restores an RtState as __metadata__ strings (epoch, step,
 * data_rng and aug_rng as 64 hex digits, best as %a, bad_epochs, and
 * plateau as "lr best bad cooldown", the doubles as %a).  A checkpoint
 * without aug_rng (older than augmentation) keeps s's; one without
 * plateau leaves those fields alone. */
void rt_state_to_meta(const RtState *s, RtMeta *m);
int rt_state_from_meta(RtState *s, const RtMeta *m, const char *path,
                       RtErr *e);

typedef struct RtModel {
	const char *name;
	int batch;
	int in_dim;                  /* values per sample */
	int in_int32;                /* inputs are int32 token indices: the
	                                loaded values are converted */
	int in_rank, in_dims[3];     /* per-sample input dims */
	int label_kind;              /* RT_LABEL_* */
	int classes;                 /* RT_LABEL_CLASS */
	int target_dim;              /* RT_LABEL_FLOAT */
	size_t (*size)(void);
	void *(*init)(void *mem, uint64_t seed);
	float (*train_step)(void *m, const float *x, const void *y);
	float (*evaluate)(void *m, const float *x, const void *y, int n,
	                  float *accuracy);
	void (*set_lr)(void *m, float lr);
	int (*save)(const void *m, const char *path);
	int (*load)(void *m, const char *path);
	RtState *(*state)(void *m);
	/* mixup: one step on the loss λ·L(y) + (1-λ)·L(y2); NULL when the
	 * model's loss cannot mix labels */
	float (*train_step_mix)(void *m, const float *x, const void *y,
	                        const void *y2, float lambda);
	/* A tensor by its checkpoint name ("linear2.bias", "ema.…"), NULL if
	 * the model has none; NULL if the trainer does not offer it. */
	float *(*tensor)(void *m, const char *name, long *numel);
	/* --threads N; NULL when the trainer was built without OpenMP.  The
	 * kernels' parallel loops live in the trainer, so the runtime itself
	 * needs no OpenMP. */
	void (*set_threads)(int n);
} RtModel;

typedef struct RtRecipe {
	int epochs;
	uint64_t seed;
	int shuffle;
	float lr;                    /* base learning rate */
	int sched;                   /* RT_SCHED_* */
	float sched_every;           /* STEP: epochs between decays */
	double sched_gamma;          /* STEP, EXP: factor (compounds: double) */
	float warmup;                /* epochs of linear warmup (any schedule) */
	float min_lr;                /* COSINE, PLATEAU */
	RtDataSpec train, valid;     /* valid.kind == RT_DATA_NONE: use split */
	float split;                 /* share of train held out when no valid */
	const char *ckpt_path;       /* NULL: no checkpoints */
	int ckpt_every;              /* epochs */
	int patience;                /* early stopping; 0 = off */
	float min_delta;
	/* data options and augmentation */
	RtNorm train_norm, valid_norm;
	const RtAugment *augment;    /* training batches only, in this order */
	int naugment;
	int balance;                 /* RT_BALANCE_* */
	int drop_last;               /* drop the last partial batch */
	/* ---- what the driver watches and sets up besides the loop ---- */
	int monitor;                 /* RT_MONITOR_*: early stopping and the
	                                best checkpoint */
	const char *ckpt_best;       /* checkpoint of the best epoch, or NULL */
	int prior;                   /* RT_PRIOR_*: init_bias_from_prior */
	const char *prior_bias;      /* the bias it sets ("linear2.bias") */
	/* The warmup's start and the plateau schedule's settings. */
	float warmup_start;          /* share of lr at e = 0 (0: 1e-3) */
	float plateau_factor;        /* lr × factor on a plateau */
	int plateau_patience;        /* bad epochs tolerated */
	float plateau_threshold;     /* better: below best·(1 − threshold) */
	int plateau_cooldown;        /* epochs ignored after a reduction */
} RtRecipe;

/* ---- Schedules (rt_sched.c) ----------------------------------------------
 * torch.optim.lr_scheduler's schedules, stepped once per epoch, as
 * functions of the fractional epoch position e (the driver passes
 * epoch + i/nbatch for batch i).  At whole epochs they are torch's values;
 * within an epoch STEP, EXP and PLATEAU hold them, COSINE and the warmup
 * go on along their curves (torch's, stepped per batch).
 *   CONSTANT  lr
 *   STEP      StepLR: lr · gamma^⌊e/every⌋
 *   EXP       ExponentialLR: lr · gamma^⌊e⌋
 *   COSINE    CosineAnnealingLR(T_max = epochs, eta_min = min_lr):
 *             min_lr + (lr − min_lr)·(1 + cos(π·e/epochs))/2
 *   PLATEAU   ReduceLROnPlateau(mode min, threshold_mode rel): the lr in
 *             RtState, lowered by rt_plateau_step at each epoch's end
 * Warmup (any schedule) multiplies by LinearLR's factor, start_factor =
 * warmup_start, total_iters = warmup: s + (1 − s)·e/warmup for
 * e < warmup, then 1 (torch's ChainedScheduler of the two). */
float rt_schedule_lr(const RtRecipe *r, double epoch_pos);  /* PLATEAU: lr
                                                               never lowered */
/* The lr of the step at e, the plateau's state included. */
float rt_lr(const RtRecipe *r, const RtState *s, double epoch_pos);
/* The plateau's state at the start of training. */
void rt_plateau_reset(const RtRecipe *r, RtState *s);
/* ReduceLROnPlateau.step(valid_loss) at an epoch's end; returns 1 when it
 * lowered the lr.  Does nothing for other schedules. */
int rt_plateau_step(const RtRecipe *r, RtState *s, double valid_loss);

/* Parses the trainer flags (--epochs N --seed N --threads N --data-dir DIR
 * --resume CKPT --metrics FILE.jsonl --quiet --max-steps N
 * --overfit-batch N --help), loads the data, trains and validates per
 * epoch, prints one line per epoch and `final: valid_acc=...
 * valid_loss=...`.  Exit codes: 0 ok, 1 user error (bad flag, bad data
 * file), 3 training diverged (NaN/Inf or exploding loss: the message names
 * the step and the learning rate), RT_EXIT_NO_FIT when --overfit-batch did
 * not drive the loss below 0.01.  For tests, the environment variable
 * NNCC_TEST_SIGKILL_AT_STEP=N makes the trainer kill itself with SIGKILL
 * right after optimizer step N.  The last partial batch of an epoch is
 * filled up from the start of the epoch's order (rt_epoch_batches), or
 * dropped with drop_last; the recipe's augmentations run on each training
 * batch after it is gathered, its normalization on the data once loaded;
 * valid_acc is what evaluate()
 * reports (0 if it leaves it alone, e.g. for float targets); --threads
 * sets OpenMP's thread count and is accepted but ignored without OpenMP. */
int rt_train_main(const RtModel *model, const RtRecipe *recipe, int argc,
                  char **argv);

#endif
