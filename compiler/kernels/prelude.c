/* ---- kernels: the same in every trainer; the calls below carry the shapes.
 * The ISA is chosen when this file is compiled: AVX-512, AVX2+FMA, or
 * plain C, which always works; -DNNCC_NO_AVX512 / -DNNCC_NO_AVX2 narrow
 * the choice (nncc --isa writes them into the file).  Every output element is computed by one
 * thread in a fixed order, so results do not depend on the thread count. */
#if defined(__AVX512F__) && !defined(NNCC_NO_AVX512)
#define NN_AVX512 1
#include <immintrin.h>
#define NN_ISA "avx512"
#define NN_MR 6                 /* rows of C per microkernel tile */
#define NN_VW 16                /* floats per vector */
typedef __m512 nn_vec;
#define nn_vload(p) _mm512_loadu_ps(p)
#define nn_vstore(p, v) _mm512_storeu_ps(p, v)
#define nn_vset1(x) _mm512_set1_ps(x)
#define nn_vzero() _mm512_setzero_ps()
#define nn_vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define _nn_vadd(a, b) _mm512_add_ps(a, b)
#elif defined(__AVX2__) && defined(__FMA__) && !defined(NNCC_NO_AVX2)
#define NN_AVX2 1
#include <immintrin.h>
#define NN_ISA "avx2"
#define NN_MR 6
#define NN_VW 8
typedef __m256 nn_vec;
#define nn_vload(p) _mm256_loadu_ps(p)
#define nn_vstore(p, v) _mm256_storeu_ps(p, v)
#define nn_vset1(x) _mm256_set1_ps(x)
#define nn_vzero() _mm256_setzero_ps()
#define nn_vfma(a, b, c) _mm256_fmadd_ps(a, b, c)
#define _nn_vadd(a, b) _mm256_add_ps(a, b)
#else
#define NN_ISA "scalar"
#define NN_MR 4
#define NN_VW 4
#endif
#define NN_NR (2 * NN_VW)       /* columns of C per tile: two vectors */
#define NN_NR_MAX 32            /* scratch is sized for the widest ISA */

#ifdef _OPENMP
#define NN_OMP(x) _Pragma(x)
#else
#define NN_OMP(x)
#endif
#if defined(__GNUC__)
#define NN_KERNEL static inline __attribute__((unused))
#else
#define NN_KERNEL static inline
#endif

/* Packs panel j0 of op(B), K×N, at dst: columns j0 … j0+NR−1 as K rows of
 * NR floats, zero beyond N, so the microkernel reads B with unit stride
 * whatever its layout.  The loops have no branches inside: they vectorize. */
NN_KERNEL void nn_pack_panel(int N, int K, const float *B, int ldb, int tb,
                             int j0, float *dst)
{
	int nr = N - j0 < NN_NR ? N - j0 : NN_NR;
	if (tb) {
		for (int j = 0; j < nr; j++) {
			const float *src = B + (long)(j0 + j) * ldb;
			for (int k = 0; k < K; k++)
				dst[(long)k * NN_NR + j] = src[k];
		}
		for (int j = nr; j < NN_NR; j++)
			for (int k = 0; k < K; k++)
				dst[(long)k * NN_NR + j] = 0;
	} else {
		for (int k = 0; k < K; k++) {
			const float *src = B + (long)k * ldb + j0;
			float *d = dst + (long)k * NN_NR;
			for (int j = 0; j < nr; j++)
				d[j] = src[j];
			for (int j = nr; j < NN_NR; j++)
				d[j] = 0;
		}
	}
}

/* One MR×NR tile: C[r][j] (+)= Σ_k a(r,k)·bp[k][j] with a(r,k) =
 * a[r·rs+k·ks], added to C when acc.  Rows past mr re-read row mr−1
 * (valid memory) and are not stored. */
NN_KERNEL void nn_tile(int K, const float *a, long rs, long ks,
                       const float *bp, float *c, long ldc, int mr, int nr,
                       int acc)
{
	const float *ar[NN_MR];
	for (int r = 0; r < NN_MR; r++)
		ar[r] = a + (r < mr ? r : mr - 1) * rs;
#if defined(NN_AVX512) || defined(NN_AVX2)
	/* six rows by two vectors, spelled out: compilers at -O2 keep
	 * accumulators of an unrolled loop in memory, not in registers */
	const float *a0 = ar[0], *a1 = ar[1], *a2 = ar[2], *a3 = ar[3],
	            *a4 = ar[4], *a5 = ar[5];
	nn_vec c00 = nn_vzero(), c01 = nn_vzero(), c10 = nn_vzero(),
	       c11 = nn_vzero(), c20 = nn_vzero(), c21 = nn_vzero(),
	       c30 = nn_vzero(), c31 = nn_vzero(), c40 = nn_vzero(),
	       c41 = nn_vzero(), c50 = nn_vzero(), c51 = nn_vzero();
	for (int k = 0; k < K; k++) {
		nn_vec b0 = nn_vload(bp + (long)k * NN_NR);
		nn_vec b1 = nn_vload(bp + (long)k * NN_NR + NN_VW);
		long o = k * ks;
		nn_vec x;
#define NN_ROW(r)                                                          \
		x = nn_vset1(a##r[o]);                                     \
		c##r##0 = nn_vfma(x, b0, c##r##0);                         \
		c##r##1 = nn_vfma(x, b1, c##r##1);
		NN_ROW(0) NN_ROW(1) NN_ROW(2) NN_ROW(3) NN_ROW(4) NN_ROW(5)
#undef NN_ROW
	}
	nn_vec sum[NN_MR][2] = {{c00, c01}, {c10, c11}, {c20, c21},
	                        {c30, c31}, {c40, c41}, {c50, c51}};
	if (mr == NN_MR && nr == NN_NR) {
		for (int r = 0; r < NN_MR; r++) {
			float *cr = c + r * ldc;
			if (acc) {
				sum[r][0] = _nn_vadd(sum[r][0], nn_vload(cr));
				sum[r][1] = _nn_vadd(sum[r][1], nn_vload(cr + NN_VW));
			}
			nn_vstore(cr, sum[r][0]);
			nn_vstore(cr + NN_VW, sum[r][1]);
		}
		return;
	}
	float t[NN_MR][NN_NR];
	for (int r = 0; r < NN_MR; r++) {
		nn_vstore(t[r], sum[r][0]);
		nn_vstore(t[r] + NN_VW, sum[r][1]);
	}
#else
	float t[NN_MR][NN_NR] = {{0}};
	for (int k = 0; k < K; k++)
		for (int r = 0; r < NN_MR; r++) {
			float x = ar[r][k * ks];
			for (int j = 0; j < NN_NR; j++)
				t[r][j] += x * bp[(long)k * NN_NR + j];
		}
#endif
	for (int r = 0; r < mr; r++)
		for (int j = 0; j < nr; j++)
			c[r * ldc + j] = acc ? c[r * ldc + j] + t[r][j] : t[r][j];
}

/* K is walked in blocks of at most NN_KC, as equal as they come (144 is
 * 72 + 72, not 128 + 16), so the block of a panel being multiplied stays
 * in L1 and a short last block does not pay a tile's loads and stores for
 * little work.  The blocks depend on K alone: every path sums an element
 * of C in the same order. */
#define NN_KC 128               /* panel block: 16 KB at NR = 32 */
#define NN_IG 16                /* row tiles per work item */
NN_KERNEL int nn_kblock(int K)
{
	int n = (K + NN_KC - 1) / NN_KC;
	return n ? (K + n - 1) / n : 1;
}

/* Row tiles ib0 … ib1−1 of C's columns j … j+nr−1, C = op(A)·panel (+ C
 * with acc): a(r,k) = A[r·rs + k·ks], panel as nn_pack_panel lays it out. */
NN_KERNEL void nn_panel_rows(int M, int K, const float *A, long rs, long ks,
                             const float *panel, float *C, long ldc, int nr,
                             int ib0, int ib1, int acc)
{
	int kb = nn_kblock(K);
	for (int k0 = 0; k0 < K; k0 += kb) {
		int kc = K - k0 < kb ? K - k0 : kb;
		for (int ib = ib0; ib < ib1; ib++) {
			int i = ib * NN_MR, mr = M - i < NN_MR ? M - i : NN_MR;
			nn_tile(kc, A + i * rs + k0 * ks, rs, ks,
			        panel + (long)k0 * NN_NR, C + (long)i * ldc, ldc,
			        mr, nr, acc || k0 > 0);
		}
	}
}

/* C[M,N] = op(A)·op(B): op(A) is M×K, stored [M,lda] or, with ta, [K,lda];
 * op(B) is K×N, stored [K,ldb] or, with tb, [N,ldb].  scratch holds
 * K·⌈N/32⌉·32 floats for the packed B.
 *
 * op(B) is packed into column panels (in parallel); then each work item —
 * one panel and a group of NN_IG row tiles — walks K in blocks, so the
 * block of the panel it multiplies stays in L1 across the group.  Each
 * element of C is summed by one thread, in k order. */
NN_KERNEL void nn_gemm(int M, int N, int K, const float *A, int lda,
                       int ta, const float *B, int ldb, int tb, float *C,
                       int ldc, float *scratch)
{
	long rs = ta ? 1 : lda, ks = ta ? lda : 1;
	int npanel = (N + NN_NR - 1) / NN_NR, nrow = (M + NN_MR - 1) / NN_MR;
	int ngroup = (nrow + NN_IG - 1) / NN_IG;
	int par = (long)M * N * K > (1L << 22);
	(void)par;              /* used only with OpenMP */
	NN_OMP("omp parallel for schedule(static) if(par)")
	for (int jb = 0; jb < npanel; jb++)
		nn_pack_panel(N, K, B, ldb, tb, jb * NN_NR, scratch + (long)jb * NN_NR * K);
	NN_OMP("omp parallel for collapse(2) schedule(static) if(par)")
	for (int jb = 0; jb < npanel; jb++)
		for (int g = 0; g < ngroup; g++) {
			int j = jb * NN_NR, nr = N - j < NN_NR ? N - j : NN_NR;
			int ib1 = (g + 1) * NN_IG < nrow ? (g + 1) * NN_IG : nrow;
			nn_panel_rows(M, K, A, rs, ks, scratch + (long)j * K, C + j, ldc,
			              nr, g * NN_IG, ib1, 0);
		}
}

/* ---- convolution as implicit GEMM (ops/conv.c) ----
 * The GEMM conv kernels never build a whole im2col matrix: for one
 * sample's group they build one panel of it at a time, in the layout
 * nn_panel_rows reads, multiply it while it is in L1, and move on. */

/* One group of one sample: C input channels of H×W, a k×k kernel with
 * stride S, padding P and dilation D, OH×OW outputs. */
typedef struct NnConv {
	int C, H, W, k, S, P, D, OH, OW;
} NnConv;

/* Output positions o ∈ [lo, hi) of a row or column of `out` whose tap t
 * reads inside the input's n: 0 ≤ o·S + t·D − P < n. */
NN_KERNEL void nn_tap_range(const NnConv *g, int t, int n, int out, int *lo,
                            int *hi)
{
	int off = t * g->D - g->P;
	int l = off < 0 ? (-off + g->S - 1) / g->S : 0;
	int h = n - 1 - off < 0 ? 0 : (n - 1 - off) / g->S + 1;
	if (h > out)
		h = out;
	*lo = l < h ? l : h;
	*hi = h;
}

/* The windows of output pixels p0 … p0+nr−1 of x [C,H,W] as a panel:
 * dst[kk·NN_NR + j] = x[c, oh·S + kh·D − P, ow·S + kw·D − P] for row
 * kk = (c,kh,kw) and pixel p0 + j = (oh,ow); 0 in the padding and for
 * j ≥ nr. */
NN_KERNEL void nn_im2col_panel(const float *x, const NnConv *g, int p0,
                               int nr, float *dst)
{
	for (int c = 0; c < g->C; c++)
		for (int kh = 0; kh < g->k; kh++)
			for (int kw = 0; kw < g->k; kw++, dst += NN_NR) {
				int lo, hi, off = kw * g->D - g->P;
				nn_tap_range(g, kw, g->W, g->OW, &lo, &hi);
				int j = 0, oh = p0 / g->OW, ow = p0 % g->OW;
				while (j < nr) {
					int end = ow + (g->OW - ow < nr - j ? g->OW - ow : nr - j);
					int ih = oh * g->S + kh * g->D - g->P;
					float *d = dst + j;  /* d[o − ow] is column o's */
					if (ih < 0 || ih >= g->H) {
						for (int o = ow; o < end; o++)
							d[o - ow] = 0;
					} else {
						const float *xr = x + ((long)c * g->H + ih) * g->W;
						int a = lo > ow ? (lo < end ? lo : end) : ow;
						int b = hi < end ? (hi > a ? hi : a) : end;
						for (int o = ow; o < a; o++)
							d[o - ow] = 0;
						for (int o = a; o < b; o++)
							d[o - ow] = xr[o * g->S + off];
						for (int o = b; o < end; o++)
							d[o - ow] = 0;
					}
					j += end - ow;
					oh++;
					ow = 0;
				}
				for (; j < NN_NR; j++)
					dst[j] = 0;
			}
}

/* The transposed windows of output pixels p0 … p0+kc−1, for the weight
 * gradient: op(B) = colᵀ [kc, KK] packed as nn_pack_panel would, panel q
 * holding rows kk = q·NN_NR … at dst + q·kc·NN_NR, pixel j's row at
 * j·NN_NR; lanes past KK are 0. */
NN_KERNEL void nn_im2colT_panels(const float *x, const NnConv *g, int p0,
                                 int kc, float *dst)
{
	int KK = g->C * g->k * g->k, npanel = (KK + NN_NR - 1) / NN_NR;
	if (KK % NN_NR) {
		float *last = dst + (long)(npanel - 1) * kc * NN_NR;
		for (int j = 0; j < kc; j++)
			for (int l = KK % NN_NR; l < NN_NR; l++)
				last[(long)j * NN_NR + l] = 0;
	}
	int kk = 0;
	for (int c = 0; c < g->C; c++)
		for (int kh = 0; kh < g->k; kh++)
			for (int kw = 0; kw < g->k; kw++, kk++) {
				float *d0 = dst + (long)(kk / NN_NR) * kc * NN_NR + kk % NN_NR;
				int lo, hi, off = kw * g->D - g->P;
				nn_tap_range(g, kw, g->W, g->OW, &lo, &hi);
				int j = 0, oh = p0 / g->OW, ow = p0 % g->OW;
				while (j < kc) {
					int end = ow + (g->OW - ow < kc - j ? g->OW - ow : kc - j);
					int ih = oh * g->S + kh * g->D - g->P;
					float *d = d0 + (long)j * NN_NR;  /* column o at (o − ow)·NR */
					if (ih < 0 || ih >= g->H) {
						for (int o = ow; o < end; o++)
							d[(long)(o - ow) * NN_NR] = 0;
					} else {
						const float *xr = x + ((long)c * g->H + ih) * g->W;
						for (int o = ow; o < end; o++)
							d[(long)(o - ow) * NN_NR] = o >= lo && o < hi ?
							                            xr[o * g->S + off] : 0;
					}
					j += end - ow;
					oh++;
					ow = 0;
				}
			}
}

/* dx [C,H,W] += the windows' gradients colp [KK, ldp] of output pixels
 * p0 … p0+nr−1: each entry adds back into the input pixel im2col took it
 * from, tap by tap in kk order. */
NN_KERNEL void nn_col2im_panel(const float *colp, int ldp, const NnConv *g,
                               int p0, int nr, float *dx)
{
	for (int c = 0; c < g->C; c++)
		for (int kh = 0; kh < g->k; kh++)
			for (int kw = 0; kw < g->k; kw++, colp += ldp) {
				int lo, hi, off = kw * g->D - g->P;
				nn_tap_range(g, kw, g->W, g->OW, &lo, &hi);
				int j = 0, oh = p0 / g->OW, ow = p0 % g->OW;
				while (j < nr) {
					int end = ow + (g->OW - ow < nr - j ? g->OW - ow : nr - j);
					int ih = oh * g->S + kh * g->D - g->P;
					if (ih >= 0 && ih < g->H) {
						float *dr = dx + ((long)c * g->H + ih) * g->W;
						int a = lo > ow ? lo : ow, b = hi < end ? hi : end;
						for (int o = a; o < b; o++)
							dr[o * g->S + off] += colp[j + o - ow];
					}
					j += end - ow;
					oh++;
					ow = 0;
				}
			}
}

/* Parameter initialisation, drawn in a fixed order from the model's RNG. */
NN_KERNEL void nn_init_uniform(float *p, long n, float bound, RtRng *r)
{
	for (long i = 0; i < n; i++)
		p[i] = (2 * rt_rng_uniform(r) - 1) * bound;
}

NN_KERNEL void nn_init_normal(float *p, long n, float std, RtRng *r)
{
	for (long i = 0; i < n; i++)
		p[i] = rt_rng_normal(r) * std;
}

NN_KERNEL void nn_init_const(float *p, long n, float v)
{
	for (long i = 0; i < n; i++)
		p[i] = v;
}

/* ---- normalization and dropout (ops/norm.c, ops/dropout.c) ---- */

/* SplitMix64's finalizer: a bijection of 64-bit words in which every
 * input bit reaches every output bit. */
NN_KERNEL uint64_t nn_dropout_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Dropout masks are counter-based: the key of one dropout node at one
 * optimizer step mixes the model's RNG word, the step and the node's
 * salt; element i's decision hashes the key with i.  The backward pass
 * recomputes the forward's mask, and no thread count changes it. */
NN_KERNEL uint64_t nn_dropout_key(uint64_t seed, int64_t step, uint64_t salt)
{
	return nn_dropout_mix(seed ^ nn_dropout_mix((uint64_t)step ^
	                                            nn_dropout_mix(salt)));
}

/* Keeps element i unless the top 32 bits of its hash are below
 * thr = p·2^32. */
NN_KERNEL int nn_dropout_keep(uint64_t key, uint64_t i, uint64_t thr)
{
	return nn_dropout_mix(key + (i + 1) * UINT64_C(0x9e3779b97f4a7c15)) >>
	       32 >= thr;
}
