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

/* Load by spec; relative paths resolve against dir when dir is non-NULL. */
int rt_load(RtData *d, const RtDataSpec *s, const char *dir, int classes,
            RtErr *e);

/* Moves the last `share` (0 < share < 1) of d's samples into v. */
int rt_data_split(RtData *d, RtData *v, double share, RtErr *e);

void rt_data_free(RtData *d);

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

/* ---- The recipe driver -------------------------------------------------
 * A generated trainer's main() fills an RtModel (its API) and an RtRecipe
 * (the training recipe from the Lua script) and calls rt_train_main. */
enum { RT_LABEL_CLASS, RT_LABEL_FLOAT };
enum { RT_SCHED_CONSTANT, RT_SCHED_STEP, RT_SCHED_EXP, RT_SCHED_COSINE,
       RT_SCHED_PLATEAU };

/* Training progress kept inside the model so checkpoints carry it. */
typedef struct RtState {
	int32_t epoch;       /* epochs completed */
	int64_t step;        /* optimizer steps taken: train_step counts them */
	RtRng data_rng;      /* shuffling stream */
	float best;          /* best monitored valid loss so far */
	int32_t bad_epochs;  /* epochs since best (early stopping) */
	/* The plateau schedule (ReduceLROnPlateau), kept here so checkpoints
	 * carry it and --resume continues it exactly. */
	double plateau_lr;        /* the lr it has come down to */
	double plateau_best;      /* its best valid loss (+inf at the start) */
	int32_t plateau_bad;      /* epochs without a better one */
	int32_t plateau_cooldown; /* epochs of cooldown left */
} RtState;

/* Stores/restores an RtState as __metadata__ strings (epoch, step,
 * data_rng as 64 hex digits, best as %a, bad_epochs, and plateau as
 * "lr best bad cooldown", the doubles as %a; a checkpoint without plateau
 * leaves those fields alone). */
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
 * --resume CKPT --metrics FILE.jsonl --quiet --max-steps N --help), loads
 * the data, trains and validates per epoch, prints one line per epoch and
 * `final: valid_acc=... valid_loss=...`.  Exit codes: 0 ok, 1 user error
 * (bad flag, bad data file), 3 training diverged (NaN/Inf or exploding
 * loss: the message names the step and the learning rate).  The last
 * partial batch of an epoch is dropped; valid_acc is what evaluate()
 * reports (0 if it leaves it alone, e.g. for float targets); --threads
 * sets OpenMP's thread count and is accepted but ignored without OpenMP. */
int rt_train_main(const RtModel *model, const RtRecipe *recipe, int argc,
                  char **argv);

#endif
