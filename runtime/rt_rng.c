/*
 * rt_rng.c — the random number generator and shuffling.
 *
 * xoshiro256** is small, fast and has no bad seeds once its state is
 * filled by SplitMix64.  Everything a trainer draws comes from an RtRng
 * whose whole state is four words, so a checkpoint that stores them
 * resumes the exact stream.
 */
#include <math.h>

#include "nncc_rt.h"

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* SplitMix64 (Vigna): one step of a Weyl sequence through a mixer.  Used
 * only to spread a 64-bit seed over xoshiro's 256 bits of state. */
static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z;

	z = (*x += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void
rt_rng_seed(RtRng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t
rt_rng_u64(RtRng *r)
{
	uint64_t *s, result, t;

	s = r->s;
	result = rotl(s[1] * 5, 7) * 9;
	t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Lemire's multiply-and-reject: the high half of x*n is uniform in [0,n)
 * once the few low halves that would bias it are redrawn. */
uint32_t
rt_rng_below(RtRng *r, uint32_t n)
{
	uint64_t m;
	uint32_t x, low, threshold;

	x = (uint32_t)(rt_rng_u64(r) >> 32);
	m = (uint64_t)x * n;
	low = (uint32_t)m;
	if (low < n) {
		threshold = (uint32_t)(-n) % n;
		while (low < threshold) {
			x = (uint32_t)(rt_rng_u64(r) >> 32);
			m = (uint64_t)x * n;
			low = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

/* The top 24 bits fill a float mantissa exactly: k * 2^-24, k < 2^24. */
float
rt_rng_uniform(RtRng *r)
{
	return (float)(rt_rng_u64(r) >> 40) * (1.0f / 16777216.0f);
}

/* Box-Muller.  1 - u lies in (0,1], so the log is finite; the second
 * value of the pair is thrown away so the state alone is the stream. */
float
rt_rng_normal(RtRng *r)
{
	double u1, u2;

	u1 = 1.0 - rt_rng_uniform(r);
	u2 = rt_rng_uniform(r);
	return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void
rt_shuffle(int32_t *perm, int n, RtRng *r)
{
	int i, j;
	int32_t t;

	for (i = n - 1; i > 0; i--) {
		j = (int)rt_rng_below(r, (uint32_t)i + 1);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
}
