/*
 * rt_prior.c — init_bias_from_prior: start a classifier at the label
 * frequencies of its training set.
 *
 * A classifier whose last layer starts at small random weights and zero
 * bias predicts every class about equally, so its first steps are spent
 * learning how common each class is.  With the bias set to the log of the
 * prior instead, the first loss is already the entropy of the labels and
 * the early gradients go to the features.  On imbalanced data (a rare
 * positive class) it also keeps the first steps from blowing up.
 */
#include <math.h>
#include <stdlib.h>

#include "nncc_rt.h"

/* A count of zero would give log(0): it counts as half a sample. */
#define EMPTY_COUNT 0.5

/* Labels were checked against the class count when they were loaded. */
static int
softmax_prior(const RtData *d, float *bias, long n, RtErr *e)
{
	double *count;
	long k;
	int i;

	if (!d->y)
		return rt_fail(e, "init_bias_from_prior: the training set has no "
		               "class labels");
	count = calloc((size_t)n, sizeof *count);
	if (!count)
		return rt_fail(e, "init_bias_from_prior: out of memory");
	for (i = 0; i < d->n; i++)
		if (d->y[i] >= 0 && d->y[i] < n)
			count[d->y[i]]++;
	for (k = 0; k < n; k++)
		bias[k] = (float)log(fmax(count[k], EMPTY_COUNT) / d->n);
	free(count);
	return 0;
}

static int
sigmoid_prior(const RtData *d, float *bias, long n, RtErr *e)
{
	double pos, neg, t;
	long j;
	int i;

	if (!d->t || d->tdim != n)
		return rt_fail(e, "init_bias_from_prior: the training set has %d "
		               "float targets per sample, the bias %ld values",
		               d->t ? d->tdim : 0, n);
	for (j = 0; j < n; j++) {
		pos = neg = 0;
		for (i = 0; i < d->n; i++) {
			t = d->t[(long)i * n + j];
			if (!(t >= 0 && t <= 1))
				return rt_fail(e, "init_bias_from_prior: target %d of "
				               "sample %d is %g; a sigmoid's targets lie "
				               "in [0,1]", (int)j, i, t);
			pos += t;
			neg += 1 - t;
		}
		bias[j] = (float)log(fmax(pos, EMPTY_COUNT) /
		                     fmax(neg, EMPTY_COUNT));
	}
	return 0;
}

int
rt_prior_bias(const RtData *d, int kind, float *bias, long n, RtErr *e)
{
	if (d->n < 1 || n < 1)
		return rt_fail(e, "init_bias_from_prior: no samples or no bias");
	if (kind == RT_PRIOR_SOFTMAX)
		return softmax_prior(d, bias, n, e);
	if (kind == RT_PRIOR_SIGMOID)
		return sigmoid_prior(d, bias, n, e);
	return rt_fail(e, "init_bias_from_prior: unknown kind %d", kind);
}
