/*
 * harness.c — trains one generated model for a number of steps on fixed
 * data, then either saves its checkpoint or compares itself with one.
 * tests/fusion/run.sh builds it twice per model, against the fused and
 * the unfused trainer (the model's .c is included: -DMODEL_C, -DMODEL,
 * -DMODEL_UC its name in capitals):
 *
 *   harness save FILE STEPS      train, save the checkpoint
 *   harness check FILE STEPS     train, load FILE into a second instance
 *                                and compare every parameter and every
 *                                float of optimizer state and running
 *                                statistics (what a checkpoint holds):
 *                                exit 1 if one differs by more than 1e-5
 *                                relative
 *
 * The data: uniform [0,1) inputs and labels drawn from a fixed seed, eight
 * batches, cycled.  Loading by name makes the comparison independent of
 * how either build laid its tensors out.
 */
#define NNCC_NO_MAIN 1
#include MODEL_C

#include <math.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define FN(s) CAT(MODEL, s)
#define NN_IN CAT(MODEL_UC, _IN_SIZE)
#define NN_CLASSES CAT(MODEL_UC, _CLASSES)

enum { NB = 8 };

static double worst;

/* |a − b| against 1e-5 of the larger magnitude (and an absolute floor
 * for values that are zero in exact arithmetic). */
static int close(float a, float b)
{
	double d = fabs((double)a - b), s = fmax(fabs(a), fabs(b));
	double r = d / fmax(s, 1e-3);
	if (r > worst)
		worst = r;
	return r <= 1e-5;
}

static int compare(const char *what, const float *a, const float *b, long n)
{
	long bad = 0;
	for (long i = 0; i < n; i++)
		if (!close(a[i], b[i]) && bad++ < 3)
			fprintf(stderr, "%s[%ld]: %.9g here, %.9g in the other build\n",
			        what, i, a[i], b[i]);
	return bad != 0;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return fprintf(stderr, "usage: harness save|check FILE STEPS\n"), 2;
	int steps = atoi(argv[3]);
	static float x[NB][NN_BATCH * NN_IN];
	static int32_t y[NB][NN_BATCH];
	uint64_t s = 12345;
	for (int b = 0; b < NB; b++) {
		for (long i = 0; i < NN_BATCH * NN_IN; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			x[b][i] = (float)((s >> 40) / 16777216.0);
		}
		for (int i = 0; i < NN_BATCH; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			y[b][i] = (int32_t)((s >> 33) % NN_CLASSES);
		}
	}
	MODEL *m = FN(_new)(1);
	float loss = 0;
	for (int t = 0; t < steps; t++) {
		loss = FN(_train_step)(m, x[t % NB], y[t % NB]);
		if (!isfinite(loss))
			return fprintf(stderr, "step %d: loss %g\n", t, loss), 1;
	}
	printf("loss after %d steps: %.9g\n", steps, loss);
	fflush(stdout);
	if (!strcmp(argv[1], "save"))
		return FN(_save)(m, argv[2]) != 0;
	MODEL *o = FN(_new)(2);
	if (FN(_load)(o, argv[2]) != 0)
		return fprintf(stderr, "cannot load %s\n", argv[2]), 1;
	int bad = compare("param", m->param, o->param, NN_PARAM) +
	          compare("state", m->state_f, o->state_f, NN_STATE);
	printf("worst relative difference %.3g over %ld floats\n", worst,
	       (long)(NN_PARAM + NN_STATE));
	FN(_free)(m);
	FN(_free)(o);
	return bad != 0;
}
