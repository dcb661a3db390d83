/*
 * fuzz_ckpt.c — libFuzzer harness for the checkpoint reader
 * (runtime/rt_safetensors.c): the input is a safetensors file, loaded as
 * a generated trainer's _load does for a model of three tensors,
 *
 *   w [2,3], b [3], and ema.w [2,3], optional (weights from elsewhere),
 *
 * then its __metadata__ checked: the model hash, and the training state
 * that --resume restores.  A load must succeed or fail with a message
 * that begins with the file's name; anything else traps.
 *
 * NNCC_FUZZ_SEED=FILE fuzz_ckpt writes a valid checkpoint of this model
 * to FILE and exits (the seed tests/fuzz/ckpt/good.safetensors).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nncc_rt.h"

#define HASH "00112233445566aa"

static char dir[] = "/tmp/nncc-fuzz-ckpt-XXXXXX";
static char path[96];
static float w[6], b[3], ew[6];
static const RtTensor model[3] = {
	{"w", 2, {2, 3}, w, 0},
	{"b", 1, {3}, b, 0},
	{"ema.w", 2, {2, 3}, ew, 1},
};

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

/* The seed: every tensor, the hash and a state as a trainer saves them. */
static void write_seed(const char *file)
{
	RtState s;
	RtMeta m;
	RtErr e;

	for (int i = 0; i < 6; i++)
		w[i] = ew[i] = (float)i / 7;
	for (int i = 0; i < 3; i++)
		b[i] = -(float)i;
	memset(&s, 0, sizeof s);
	memset(&m, 0, sizeof m);
	s.epoch = 2;
	s.step = 250;
	rt_rng_seed(&s.data_rng, 1);
	rt_rng_seed(&s.aug_rng, 2);
	s.best = 0.25f;
	s.plateau_lr = 0.1;
	s.plateau_best = 0.5;
	rt_meta_set(&m, "nncc_model", "fuzz");
	rt_meta_set(&m, "nncc_model_hash", HASH);
	rt_state_to_meta(&s, &m);
	if (rt_st_save(file, model, 3, &m, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		exit(1);
	}
	exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (getenv("NNCC_FUZZ_SEED"))
		write_seed(getenv("NNCC_FUZZ_SEED"));
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/f.safetensors", dir);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	RtState s;
	RtMeta m;
	RtErr e;
	int found[3];
	const char *h;

	FILE *f = fopen(path, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
		abort();
	memset(&e, 0, sizeof e);
	memset(&s, 0, sizeof s);
	if (rt_st_load_found(path, model, 3, &m, found, &e) < 0) {
		if (strncmp(e.msg, path, strlen(path)))
			__builtin_trap();
		return 0;
	}
	if (!found[0] || !found[1] || m.n < 0 || m.n > RT_MAXMETA)
		__builtin_trap();
	h = rt_meta_get(&m, "nncc_model_hash");
	if (h && strcmp(h, HASH))
		return 0;            /* another model's: the trainer says so */
	if (rt_meta_get(&m, "step") && rt_state_from_meta(&s, &m, path, &e) < 0 &&
	    strncmp(e.msg, path, strlen(path)))
		__builtin_trap();
	return 0;
}
