/*
 * test_gemm.c — the prelude's nn_gemm against a naive product in double,
 * on shapes that leave every edge partial: M, N, K around the tile (8, 6
 * or 4 rows, 2 vectors of columns), the narrow tiles (8×16, and 4×5 for
 * few columns along k), the 8×8 transpose blocks, the 256-k packing
 * blocks and the 1024-k panel blocks, the swapped operands of x·Wᵀ (M a
 * multiple of 32, N larger: C's tiles stored transposed), with all four
 * transpose combinations; and each epilogue of nn_gemm_epi (bias, ReLU,
 * both, SGD's step) against the plain product followed by the op's own
 * arithmetic, bit for bit; and nn_exp_sum, the softmax rows' exp, against
 * expf (within 2 ulp, 0 below −87.34, NaN kept) and its own sum; and
 * the plane sums of batch norm and the bias gradient against their
 * documented order, bit for bit.  Built once per
 * kernel path (tests/run.sh: -march=native, -DNNCC_NO_AVX512, scalar).
 * Prints "gemm: N passed, M failed".
 */
#include <math.h>
#include <string.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "nncc_rt.h"
#include "../compiler/kernels/prelude.c"

static uint64_t lcg = 12345;

static float rnd(void)
{
	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	return (float)((lcg >> 40) / (double)(1 << 24)) * 2 - 1;
}

/* One product; 1 if every element is within 1e-5 of the naive sum
 * (relative to the sum of |terms|, the scale of rounding). */
static int check(int M, int N, int K, int ta, int tb)
{
	int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 2;
	float *A = malloc(sizeof(float) * (size_t)(ta ? K : M) * lda);
	float *B = malloc(sizeof(float) * (size_t)(tb ? N : K) * ldb);
	float *C = malloc(sizeof(float) * (size_t)M * ldc);
	float *S = malloc(sizeof(float) * (size_t)(K * ((N + 31) / 32 * 32) + 64));
	int ok = 1;
	for (long i = 0; i < (long)(ta ? K : M) * lda; i++)
		A[i] = rnd();
	for (long i = 0; i < (long)(tb ? N : K) * ldb; i++)
		B[i] = rnd();
	for (long i = 0; i < (long)M * ldc; i++)
		C[i] = 1e30f;   /* must all be overwritten (or, past N, kept) */
	nn_gemm(M, N, K, A, lda, ta, B, ldb, tb, C, ldc, S);
	for (int i = 0; i < M && ok; i++) {
		for (int j = 0; j < N; j++) {
			double sum = 0, mag = 0;
			for (int k = 0; k < K; k++) {
				double a = ta ? A[(long)k * lda + i] : A[(long)i * lda + k];
				double b = tb ? B[(long)j * ldb + k] : B[(long)k * ldb + j];
				sum += a * b;
				mag += fabs(a * b);
			}
			if (!(fabs(C[(long)i * ldc + j] - sum) <= 1e-5 * mag + 1e-30)) {
				printf("FAIL gemm %dx%dx%d ta=%d tb=%d: C[%d][%d] = %g, "
				       "want %g\n", M, N, K, ta, tb, i, j,
				       (double)C[(long)i * ldc + j], sum);
				ok = 0;
				break;
			}
		}
		for (int j = N; j < ldc && ok; j++)
			if (C[(long)i * ldc + j] != 1e30f) {
				printf("FAIL gemm %dx%dx%d ta=%d tb=%d: wrote C[%d][%d] "
				       "past N\n", M, N, K, ta, tb, i, j);
				ok = 0;
			}
	}
	/* the epilogues: the same bits as the plain product, then the op */
	static const int epis[] = {NN_BIAS, NN_RELU, NN_BIAS | NN_RELU, NN_UPD};
	float *C2 = malloc(sizeof(float) * (size_t)M * ldc);
	float *bias = malloc(sizeof(float) * (size_t)N);
	const float lr = 0.37f;
	for (int j = 0; j < N; j++)
		bias[j] = rnd();
	for (int e = 0; e < 4 && ok; e++) {
		int f = epis[e];
		if ((f & NN_UPD) && K > NN_KC)   /* one block of K: see nn_gemm_epi */
			continue;
		for (long i = 0; i < (long)M * ldc; i++)
			C2[i] = (f & NN_UPD) ? rnd() : 1e30f;
		float *W = malloc(sizeof(float) * (size_t)M * ldc);
		memcpy(W, C2, sizeof(float) * (size_t)M * ldc);
		nn_gemm_epi(M, N, K, A, lda, ta, B, ldb, tb, C2, ldc, S, f, bias, lr);
		for (int i = 0; i < M && ok; i++)
			for (int j = 0; j < ldc && ok; j++) {
				long o = (long)i * ldc + j;
				float want = W[o];
				if (j < N) {
					float s = C[o];
					if (f & NN_BIAS)
						s = s + bias[j];
					if (f & NN_RELU)
						s = s > 0 ? s : 0;
					want = f & NN_UPD ? W[o] - lr * s : s;
				}
				if (memcmp(&C2[o], &want, sizeof want)) {
					printf("FAIL gemm %dx%dx%d ta=%d tb=%d epilogue %d: "
					       "C[%d][%d] = %g, want %g\n", M, N, K, ta, tb, f,
					       i, j, (double)C2[o], (double)want);
					ok = 0;
				}
			}
		free(W);
	}
	free(C2);
	free(bias);
	free(A);
	free(B);
	free(C);
	free(S);
	return ok;
}

/* Distance in ulps of two positive finite floats. */
static long ulps(float a, float b)
{
	int32_t x, y;
	memcpy(&x, &a, 4);
	memcpy(&y, &b, 4);
	return x > y ? (long)x - y : (long)y - x;
}

/* The same bits (NaN too). */
static int same(float a, float b)
{
	return !memcmp(&a, &b, sizeof a);
}

/* nn_exp_sum on a row of n logits: each e[c] within 2 ulp of expf(z − mx)
 * (0 where that is below −87.34), the sum in c order, in place the same. */
static int check_exp_row(const float *z, int n, float mx)
{
	float *e = malloc(sizeof(float) * n), *w = malloc(sizeof(float) * n);
	float s = nn_exp_sum(z, mx, e, n), t = 0;
	int ok = same(s, nn_exp_sum(z, mx, NULL, n));
	memcpy(w, z, sizeof(float) * n);
	ok &= same(nn_exp_sum(w, mx, w, n), s) && !memcmp(w, e, sizeof(float) * n);
	for (int c = 0; c < n; c++) {
		float x = z[c] - mx, ref = expf(x);
		t += e[c];
		if (x != x)
			ok &= e[c] != e[c];
		else if (x < -87.33654f)
			ok &= e[c] == 0;
		else if (!(e[c] > 0 && ulps(e[c], ref) <= 2)) {
			if (ok)
				fprintf(stderr, "exp(%.9g): %.9g, expf %.9g\n", x, e[c], ref);
			ok = 0;
		}
	}
	ok &= same(t, s);
	if (!ok)
		fprintf(stderr, "nn_exp_sum: row of %d (mx %g) wrong\n", n, mx);
	free(e);
	free(w);
	return ok;
}

static void check_exp(int *pass, int *fail)
{
	enum { G = 1 << 18 };
	float *z = malloc(sizeof(float) * G);
	for (int i = 0; i < G; i++)      /* −90 … 0, every ~3e-4 */
		z[i] = -90.0f * i / (G - 1);
	int ok = check_exp_row(z, G, 0);
	for (int i = 0; i < G; i++)      /* the same after max subtraction */
		z[i] = 30.0f - 87.0f * i / (G - 1);
	ok &= check_exp_row(z, G, 30.0f);
	*pass += ok, *fail += !ok;
	for (int n = 1; n <= 140; n++) { /* tails and 64-wide chunks */
		for (int c = 0; c < n; c++)
			z[c] = 8 * rnd();
		float mx = z[0];
		for (int c = 1; c < n; c++)
			mx = z[c] > mx ? z[c] : mx;
		ok = check_exp_row(z, n, mx);
		*pass += ok, *fail += !ok;
	}
	z[0] = 0, z[1] = -INFINITY, z[2] = NAN, z[3] = -1e30f, z[4] = -87.3f;
	ok = check_exp_row(z, 5, 0);
	float e[5];
	nn_exp_sum(z, 0, e, 5);
	ok &= e[0] == 1 && e[1] == 0 && e[2] != e[2] && e[3] == 0;
	*pass += ok, *fail += !ok;
	free(z);
}

/* The plane sums' documented order (prelude: nn_plane_sums), written out
 * plainly: a[i] is what value i adds in float within a block, r[i] what
 * it adds to its lane's double past the last whole step. */
static double ref_order(const float *a, const double *r, long n)
{
	const int nc = n >= NN_CHAINS_FROM ? NN_CHAINS : 1;
	const long step = 8 * nc;
	double s[8] = {0}, tot = 0;
	long i = 0;
	while (i + step <= n) {
		float f[8 * NN_CHAINS] = {0};
		for (int j = 0; j < NN_SUM_BLOCK && i + step <= n; j++, i += step)
			for (long l = 0; l < step; l++)
				f[l] += a[i + l];
		for (int q = 0; q < nc; q++)
			for (int l = 0; l < 8; l++)
				s[l] += f[8 * q + l];
	}
	for (; i < n; i++)
		s[i % 8] += r[i];
	for (int l = 0; l < 8; l++)
		tot += s[l];
	return tot;
}

static int same_d(double a, double b)
{
	return !memcmp(&a, &b, sizeof a);
}

/* nn_plane_sums (each of relu, xhat) and nn_sum_sqdev on a plane of n
 * against ref_order, bit for bit: one chain under NN_CHAINS_FROM, four
 * from there, partial blocks, and every tail of eights and ones. */
static int check_sums_n(long n)
{
	float *dy = malloc(sizeof(float) * n), *x = malloc(sizeof(float) * n);
	float *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
	double *r = malloc(sizeof(double) * n), *rb = malloc(sizeof(double) * n);
	const float mean = 0.1f, istd = 1.7f, k = 0.9f, beta = -0.05f;
	int ok = 1;
	for (long i = 0; i < n; i++)
		dy[i] = rnd(), x[i] = 3 * rnd();
	for (int relu = 0; relu < 2; relu++)
		for (int xhat = 0; xhat < 2; xhat++) {
			for (long i = 0; i < n; i++) {
				float g = nn_bn_masked(dy[i], x[i], mean, k, beta, relu);
				a[i] = g, r[i] = g;
				b[i] = nn_g_xhat(g, x[i], mean, istd), rb[i] = b[i];
			}
			double out[2] = {1, 2};
			nn_plane_sums(dy, x, n, mean, istd, k, beta, relu, xhat, out);
			int good = same_d(out[0], 1 + ref_order(a, r, n)) &&
			           same_d(out[1], xhat ? 2 + ref_order(b, rb, n) : 2);
			if (!good)
				fprintf(stderr, "nn_plane_sums n=%ld relu=%d xhat=%d: %.17g "
				        "%.17g\n", n, relu, xhat, out[0], out[1]);
			ok &= good;
		}
	for (long i = 0; i < n; i++)
		r[i] = dy[i];
	ok &= same_d(nn_sum(dy, n), ref_order(dy, r, n));
	for (long i = 0; i < n; i++) {
		float d = x[i] - mean;
		a[i] = d * d, r[i] = (double)d * d;
	}
	if (!same_d(nn_sum_sqdev(x, n, mean), ref_order(a, r, n))) {
		fprintf(stderr, "nn_sum_sqdev n=%ld\n", n);
		ok = 0;
	}
	free(dy), free(x), free(a), free(b), free(r), free(rb);
	return ok;
}

static void check_sums(int *pass, int *fail)
{
	static const long big[] = {NN_CHAINS_FROM - 1, NN_CHAINS_FROM,
	                           NN_CHAINS_FROM + 7, NN_CHAINS_FROM + 39, 784,
	                           1024, 16 * 32 * 3 + 25, 20000};
	for (long n = 1; n <= 300; n++) {
		int ok = check_sums_n(n);
		*pass += ok, *fail += !ok;
	}
	for (int i = 0; i < (int)(sizeof big / sizeof *big); i++) {
		int ok = check_sums_n(big[i]);
		*pass += ok, *fail += !ok;
	}
}

int main(void)
{
	static const int sizes[] = {1, 5, 8, 10, 13, 17, 33, 64, 70};
	static const int ks[] = {1, 7, 16, 64, 129, 300, 1100};
	int pass = 0, fail = 0;
	for (int a = 0; a < 9; a++)
		for (int b = 0; b < 9; b++)
			for (int c = 0; c < 7; c++)
				for (int t = 0; t < 4; t++) {
					if (check(sizes[a], sizes[b], ks[c], t & 1, t >> 1))
						pass++;
					else
						fail++;
				}
	check_exp(&pass, &fail);
	check_sums(&pass, &fail);
	printf("gemm (%s): %d passed, %d failed\n", NN_ISA, pass, fail);
	return fail != 0;
}
