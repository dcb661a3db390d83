/* ---- kernels: the same in every trainer; the calls below carry the shapes.
 * The ISA is chosen when this file is compiled: AVX-512, AVX2+FMA, or
 * plain C, which always works; -DNNCC_NO_AVX512 / -DNNCC_NO_AVX2 narrow
 * the choice (nncc --isa writes them into the file).  Every output element is computed by one
 * thread in a fixed order, so results do not depend on the thread count. */
#if defined(__AVX512F__) && !defined(NNCC_NO_AVX512)
#define NN_AVX512 1
#include <immintrin.h>
#define NN_ISA "avx512"
#define NN_MR 8                 /* rows of C per microkernel tile */
#define NN_VW 16                /* floats per vector */
typedef __m512 nn_vec;
#define nn_vload(p) _mm512_loadu_ps(p)
#define nn_vstore(p, v) _mm512_storeu_ps(p, v)
#define nn_vset1(x) _mm512_set1_ps(x)
#define nn_vzero() _mm512_setzero_ps()
#define nn_vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define _nn_vadd(a, b) _mm512_add_ps(a, b)
#define _nn_vsub(a, b) _mm512_sub_ps(a, b)
#define _nn_vmul(a, b) _mm512_mul_ps(a, b)
#define _nn_vmax(a, b) _mm512_max_ps(a, b)
#define _nn_vmin(a, b) _mm512_min_ps(a, b)
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
#define _nn_vsub(a, b) _mm256_sub_ps(a, b)
#define _nn_vmul(a, b) _mm256_mul_ps(a, b)
#define _nn_vmax(a, b) _mm256_max_ps(a, b)
#define _nn_vmin(a, b) _mm256_min_ps(a, b)
#else
#define NN_ISA "scalar"
#define NN_MR 4
#define NN_VW 4
#endif
#define NN_NR (2 * NN_VW)       /* columns of C per tile: two vectors */
#define NN_NR_MAX 32            /* scratch is sized for the widest ISA */

#ifdef _OPENMP
#include <omp.h>
#define NN_OMP(x) _Pragma(x)
#else
#define NN_OMP(x)
#endif
/* Before a loop whose iterations are independent (y[i] from x[i], an
 * optimizer's update): gcc at -O2 vectorizes only what needs no runtime
 * alias check, and the operands of these loops may be the same array
 * (in place) or are distinct ones it cannot prove so. */
#if defined(__GNUC__) && !defined(__clang__)
#define NN_IVDEP _Pragma("GCC ivdep")
#else
#define NN_IVDEP
#endif
/* The same for a loop split between threads: OpenMP's simd says it. */
#ifdef _OPENMP
#define NN_PAR_SIMD _Pragma("omp parallel for simd schedule(static)")
#else
#define NN_PAR_SIMD NN_IVDEP
#endif
#if defined(__GNUC__)
#define NN_KERNEL static inline __attribute__((unused))
#else
#define NN_KERNEL static inline
#endif

#ifdef NN_AVX512
/* The first r lanes of sixteen (none for r ≤ 0, all for r ≥ 16): the mask
 * of a vector's worth of a row's last r floats. */
NN_KERNEL __mmask16 nn_mask16(long r)
{
	return r >= 16 ? (__mmask16)0xffff : r <= 0 ? (__mmask16)0
	                                   : (__mmask16)((1u << r) - 1);
}
#endif

#if defined(NN_AVX512) || defined(NN_AVX2)
/* The first n of eight floats at p (none for n ≤ 0, all for n ≥ 8),
 * read or written without touching a byte past them: a row's tail.  With
 * AVX-512 a mask register does it; AVX2's vmaskmovps store is slow on
 * AMD's cores. */
#if defined(__AVX512VL__) && defined(NN_AVX512)
NN_KERNEL __m256 nn_mload8(const float *p, long n)
{
	return _mm256_maskz_loadu_ps((__mmask8)nn_mask16(n), p);
}
NN_KERNEL void nn_mstore8(float *p, long n, __m256 v)
{
	_mm256_mask_storeu_ps(p, (__mmask8)nn_mask16(n), v);
}
#else
NN_KERNEL __m256i nn_lanes8(long n)
{
	int m = n > 8 ? 8 : (int)n;
	return _mm256_cmpgt_epi32(_mm256_set1_epi32(m),
	                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
NN_KERNEL __m256 nn_mload8(const float *p, long n)
{
	return _mm256_maskload_ps(p, nn_lanes8(n));
}
NN_KERNEL void nn_mstore8(float *p, long n, __m256 v)
{
	_mm256_maskstore_ps(p, nn_lanes8(n), v);
}
#endif
#endif

#if defined(NN_AVX512) || defined(NN_AVX2)
/* d[k·ldd + r] = s[r·lds + k] for an 8×8 block: rows of s become columns
 * of d, in registers (unpack pairs, then quads, then 128-bit halves). */
NN_KERNEL void nn_transpose8(const float *s, long lds, float *d, long ldd)
{
	__m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + lds),
	       r2 = _mm256_loadu_ps(s + 2 * lds), r3 = _mm256_loadu_ps(s + 3 * lds),
	       r4 = _mm256_loadu_ps(s + 4 * lds), r5 = _mm256_loadu_ps(s + 5 * lds),
	       r6 = _mm256_loadu_ps(s + 6 * lds), r7 = _mm256_loadu_ps(s + 7 * lds);
	__m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1),
	       t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3),
	       t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
	       t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
	__m256 q0 = _mm256_shuffle_ps(t0, t2, 0x44), q1 = _mm256_shuffle_ps(t0, t2, 0xee),
	       q2 = _mm256_shuffle_ps(t1, t3, 0x44), q3 = _mm256_shuffle_ps(t1, t3, 0xee),
	       q4 = _mm256_shuffle_ps(t4, t6, 0x44), q5 = _mm256_shuffle_ps(t4, t6, 0xee),
	       q6 = _mm256_shuffle_ps(t5, t7, 0x44), q7 = _mm256_shuffle_ps(t5, t7, 0xee);
	_mm256_storeu_ps(d, _mm256_permute2f128_ps(q0, q4, 0x20));
	_mm256_storeu_ps(d + ldd, _mm256_permute2f128_ps(q1, q5, 0x20));
	_mm256_storeu_ps(d + 2 * ldd, _mm256_permute2f128_ps(q2, q6, 0x20));
	_mm256_storeu_ps(d + 3 * ldd, _mm256_permute2f128_ps(q3, q7, 0x20));
	_mm256_storeu_ps(d + 4 * ldd, _mm256_permute2f128_ps(q0, q4, 0x31));
	_mm256_storeu_ps(d + 5 * ldd, _mm256_permute2f128_ps(q1, q5, 0x31));
	_mm256_storeu_ps(d + 6 * ldd, _mm256_permute2f128_ps(q2, q6, 0x31));
	_mm256_storeu_ps(d + 7 * ldd, _mm256_permute2f128_ps(q3, q7, 0x31));
}
#endif

/* Packs panel j0 of op(B), K×N, at dst: columns j0 … j0+NR−1 as K rows of
 * NR floats, zero beyond N, so the microkernel reads B with unit stride
 * whatever its layout.  The loops have no branches inside: they vectorize. */
NN_KERNEL void nn_pack_panel(int N, int K, const float *B, int ldb, int tb,
                             int j0, float *dst)
{
	int nr = N - j0 < NN_NR ? N - j0 : NN_NR;
	if (tb) {
		/* a transpose; past 256 k, in blocks of 256 whose rows of dst
		 * stay in L1 while the NR rows of B fill them */
		for (int k0 = 0; k0 < K; k0 += 256) {
			int kc = K - k0 < 256 ? K - k0 : 256;
			float *d = dst + (long)k0 * NN_NR;
			const float *b0 = B + (long)j0 * ldb + k0;  /* B's row j0 */
			int j = 0;
#if defined(NN_AVX512) || defined(NN_AVX2)
			int kv = kc & ~7;
			for (; j < (nr & ~7); j += 8)     /* 8×8 blocks in registers */
				for (int k = 0; k < kv; k += 8)
					nn_transpose8(b0 + (long)j * ldb + k, ldb,
					              d + (long)k * NN_NR + j, NN_NR);
			for (int jj = 0; jj < j; jj++) {  /* and their last k */
				const float *src = b0 + (long)jj * ldb;
				for (int k = kv; k < kc; k++)
					d[(long)k * NN_NR + jj] = src[k];
			}
#endif
			for (; j < nr; j++) {
				const float *src = b0 + (long)j * ldb;
				for (int k = 0; k < kc; k++)
					d[(long)k * NN_NR + j] = src[k];
			}
			for (int j = nr; j < NN_NR; j++)
				for (int k = 0; k < kc; k++)
					d[(long)k * NN_NR + j] = 0;
		}
	} else {
#if defined(NN_AVX512) || defined(NN_AVX2)
		if (nr == NN_NR) {   /* whole rows of the panel: two vectors each */
			for (int k = 0; k < K; k++) {
				const float *src = B + (long)k * ldb + j0;
				float *d = dst + (long)k * NN_NR;
				nn_vstore(d, nn_vload(src));
				nn_vstore(d + NN_VW, nn_vload(src + NN_VW));
			}
			return;
		}
#endif
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

/* One MR×NR tile: C[r][j] (+)= Σ_k a(r,k)·b(k,j) with a(r,k) =
 * a[r·rs+k·ks] (or, with aoff, a[aoff[r]+k·ks]) and b(k,j) = bp[k·NN_NR + j] (a packed panel) or, with
 * boff, bp[boff[k] + j] (rows read in place: a convolution's shifted
 * views of its input); added to C with NN_ACC in flags; with NN_TC,
 * stored transposed, C[j][r] (the caller swapped the operands).  Rows past
 * mr re-read row mr−1 (valid memory) and are not stored; so are columns
 * past nr.
 *
 * The epilogue flags act on each sum s (with NN_ACC, s + C) on its way
 * out, in this order: NN_BIAS adds bias[j] (bias[r] with NN_TC: bias is
 * indexed by C's column, and the caller points it at the tile's first),
 * NN_RELU stores max(s, 0) (0 for NaN, as relu's s > 0 ? s : 0); NN_UPD
 * stores C − lr·s instead of s: plain SGD's step, C being the weights
 * and s their gradient.  Each is the separate op's arithmetic, so a
 * fused product stores the bits the ops one by one would. */
#define NN_ACC 1
#define NN_TC 2
#define NN_BIAS 4
#define NN_RELU 8
#define NN_UPD 16
#define NN_EPI (NN_BIAS | NN_RELU | NN_UPD)
/* The epilogue of one element: s, the sum, out of C's old value cc. */
NN_KERNEL float nn_epi1(float s, float cc, int flags, float bias, float lr)
{
	if (flags & NN_ACC)
		s = cc + s;
	if (flags & NN_BIAS)
		s = s + bias;
	if (flags & NN_RELU)
		s = s > 0 ? s : 0;
	if (flags & NN_UPD) {
		float d = lr * s;   /* its own statement, as in sgd_update: */
		s = cc - d;         /* no compiler makes the two one FMA */
	}
	return s;
}
#if defined(NN_AVX512) || defined(NN_AVX2)
/* nn_epi1 on a vector: v the sums, old C's values (read by the caller
 * with NN_ACC or NN_UPD), b the bias, l the learning rate. */
NN_KERNEL nn_vec nn_epiv(nn_vec v, nn_vec old, int flags, nn_vec b, nn_vec l)
{
	if (flags & NN_ACC)
		v = _nn_vadd(old, v);
	if (flags & NN_BIAS)
		v = _nn_vadd(v, b);
	if (flags & NN_RELU)
		v = _nn_vmax(v, nn_vzero());
	if (flags & NN_UPD)
		v = _nn_vsub(old, _nn_vmul(l, v));
	return v;
}
#endif
/* R, the tile's rows, is NN_MR or (AVX-512) 6, a constant once inlined:
 * the rows past R fold away, so a product with 6 rows (LeNet's convs)
 * does not pay for 8.  E, also a constant, marks the one instance that
 * applies epilogues (its flags tested at runtime); the plain instances
 * carry no epilogue code. */
/* A sanitizer build (the tests') leaves inlining to the compiler: each
 * forced copy of the tile costs it seconds of instrumentation. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NN_SANITIZE 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define NN_SANITIZE 1
#endif
#if defined(__GNUC__) && !defined(NN_SANITIZE)
#define NN_INLINE static inline __attribute__((always_inline, unused))
#else
#define NN_INLINE static inline __attribute__((unused))
#endif
NN_INLINE void nn_tile(int K, const float *a, long rs, const int *aoff,
                       long ks, const float *bp, const int *boff, float *c,
                       long ldc, int mr, int nr, int flags, const int R,
                       const int E, const float *bias, float lr)
{
	int acc = flags & NN_ACC;
	(void)R;
	(void)E;
	(void)acc;
	const float *ar[NN_MR];
	for (int r = 0; r < NN_MR; r++) {
		int rr = r < mr ? r : mr - 1;
		ar[r] = a + (aoff ? aoff[rr] : rr * rs);
	}
#if defined(NN_AVX512) || defined(NN_AVX2)
	/* NN_MR rows by two vectors, spelled out: compilers at -O2 keep
	 * accumulators of an unrolled loop in memory, not in registers */
#if NN_MR == 8
#define NN_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#else
#define NN_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#endif
#define NN_DECL(r)                                                         \
	const float *a##r = ar[r];                                         \
	nn_vec c##r##0 = nn_vzero(), c##r##1 = nn_vzero();
	NN_ROWS(NN_DECL)
#undef NN_DECL
	/* NN_UPD's C is the weights, not in cache (mlp's 1024x1024 step took
	 * 3.65 ms for 2.96 waiting on them at the tile's end): ask for its
	 * rows now, the k loop's time ahead */
#define NN_PREFETCH(r)                                                     \
	if (r < R && r < mr && (flags & NN_UPD)) {                         \
		_mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);    \
		_mm_prefetch((const char *)(c + r * ldc + NN_NR - 1), _MM_HINT_T0); \
	}
	NN_ROWS(NN_PREFETCH)
#undef NN_PREFETCH
#define NN_ROW(r)                                                          \
		if (r < R) {                                               \
			x = nn_vset1(a##r[o]);                             \
			c##r##0 = nn_vfma(x, b0, c##r##0);                 \
			c##r##1 = nn_vfma(x, b1, c##r##1);                 \
		}
#define NN_STEP(brow)                                                      \
		const float *b_ = (brow);                                  \
		nn_vec b0 = nn_vload(b_), b1 = nn_vload(b_ + NN_VW), x;    \
		long o = k * ks;                                           \
		NN_ROWS(NN_ROW)
	if (boff)
		for (int k = 0; k < K; k++) {
			NN_STEP(bp + boff[k])
		}
	else
		for (int k = 0; k < K; k++) {
			NN_STEP(bp + (long)k * NN_NR)
		}
#undef NN_STEP
#undef NN_ROW
	if (E && mr == R && nr == NN_NR && !(flags & NN_TC)) {
		/* the epilogue instance's whole tiles: each sum through the
		 * epilogue straight from its register */
		nn_vec l = nn_vset1(lr), z = nn_vzero();
		nn_vec b0 = flags & NN_BIAS ? nn_vload(bias) : z;
		nn_vec b1 = flags & NN_BIAS ? nn_vload(bias + NN_VW) : z;
		int old = flags & (NN_ACC | NN_UPD);
#define NN_OUT(r)                                                          \
		if (r < R) {                                               \
			float *cr = c + r * ldc;                           \
			nn_vstore(cr, nn_epiv(c##r##0, old ? nn_vload(cr) : z, \
			                      flags, b0, l));              \
			nn_vstore(cr + NN_VW, nn_epiv(c##r##1, old ?       \
			          nn_vload(cr + NN_VW) : z, flags, b1, l)); \
		}
		NN_ROWS(NN_OUT)
#undef NN_OUT
		return;
	}
	if (!E && mr == R && nr == NN_NR && !(flags & (NN_TC | NN_EPI))) {
#define NN_OUT(r)                                                          \
		if (r < R && acc) {                                        \
			c##r##0 = _nn_vadd(c##r##0, nn_vload(c + r * ldc));        \
			c##r##1 = _nn_vadd(c##r##1, nn_vload(c + r * ldc + NN_VW)); \
		}                                                          \
		if (r < R) {                                               \
			nn_vstore(c + r * ldc, c##r##0);                   \
			nn_vstore(c + r * ldc + NN_VW, c##r##1);           \
		}
		NN_ROWS(NN_OUT)
#undef NN_OUT
		return;
	}
	float t[NN_MR][NN_NR];
#define NN_SPILL(r)                                                        \
	if (r < R) {                                                       \
		nn_vstore(t[r], c##r##0);                                  \
		nn_vstore(t[r] + NN_VW, c##r##1);                          \
	}
	NN_ROWS(NN_SPILL)
#undef NN_SPILL
#undef NN_ROWS
#if NN_MR == 8
	if ((flags & NN_TC) && !acc && !(flags & NN_UPD) && mr == NN_MR &&
	    nr % 8 == 0) {
		for (int r = 0; r < NN_MR && (flags & NN_EPI); r++)
			for (int h = 0; h < NN_NR; h += NN_VW)   /* a row's bias: bias[r] */
				nn_vstore(t[r] + h, nn_epiv(nn_vload(t[r] + h), nn_vzero(),
				                            flags, nn_vset1(flags & NN_BIAS ?
				                            bias[r] : 0), nn_vzero()));
		for (int j = 0; j < nr; j += 8)   /* 8×8 blocks, in registers */
			nn_transpose8(t[0] + j, NN_NR, c + (long)j * ldc, ldc);
		return;
	}
#endif
#else
	float t[NN_MR][NN_NR] = {{0}};
	for (int k = 0; k < K; k++) {
		const float *b = bp + (boff ? boff[k] : (long)k * NN_NR);
		for (int r = 0; r < NN_MR; r++) {
			float x = ar[r][k * ks];
			for (int j = 0; j < NN_NR; j++)
				t[r][j] += x * b[j];
		}
	}
#endif
	long sr = flags & NN_TC ? 1 : ldc, sj = flags & NN_TC ? ldc : 1;
	for (int r = 0; r < mr; r++)
		for (int j = 0; j < nr; j++) {
			float *cc = c + r * sr + j * sj;
			float b = flags & NN_BIAS ? bias[flags & NN_TC ? r : j] : 0;
			*cc = nn_epi1(t[r][j], flags & (NN_ACC | NN_UPD) ? *cc : 0,
			              flags, b, lr);
		}
}

#ifdef NN_AVX512
/* A tile one vector wide, for C with at most 16 columns (a classifier's
 * logits, a 16-channel conv's weight gradient), where the two-vector tile
 * would leave half or more of its lanes empty: NN_HR rows × 16 columns
 * from the first half of each panel row; same operands as nn_tile, and
 * each element summed in the same k order. */
#define NN_HR 8
NN_KERNEL void nn_tile_half(int K, const float *a, long rs, const int *aoff,
                            long ks, const float *bp, const int *boff,
                            float *c, long ldc, int mr, int nr, int flags,
                            const float *bias, float lr)
{
	/* flags never hold NN_TC: see nn_gemm */
	const float *ar[NN_HR];
	for (int r = 0; r < NN_HR; r++) {
		int rr = r < mr ? r : mr - 1;
		ar[r] = a + (aoff ? aoff[rr] : rr * rs);
	}
	const float *a0 = ar[0], *a1 = ar[1], *a2 = ar[2], *a3 = ar[3],
	            *a4 = ar[4], *a5 = ar[5], *a6 = ar[6], *a7 = ar[7];
	__m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0,
	       c5 = c0, c6 = c0, c7 = c0;
#define NN_ROW1(r) c##r = _mm512_fmadd_ps(_mm512_set1_ps(a##r[o]), b, c##r);
#define NN_STEP1(brow)                                                     \
		__m512 b = _mm512_loadu_ps(brow);                          \
		long o = k * ks;                                           \
		NN_ROW1(0) NN_ROW1(1) NN_ROW1(2) NN_ROW1(3)                \
		NN_ROW1(4) NN_ROW1(5) NN_ROW1(6) NN_ROW1(7)
	if (boff)
		for (int k = 0; k < K; k++) {
			NN_STEP1(bp + boff[k])
		}
	else
		for (int k = 0; k < K; k++) {
			NN_STEP1(bp + (long)k * NN_NR)
		}
#undef NN_STEP1
#undef NN_ROW1
	__m512 sum[NN_HR] = {c0, c1, c2, c3, c4, c5, c6, c7};
	__mmask16 lanes = nn_mask16(nr);
	__m512 bb = flags & NN_BIAS ? _mm512_maskz_loadu_ps(lanes, bias)
	                            : _mm512_setzero_ps();
	for (int r = 0; r < mr; r++) {
		float *cr = c + r * ldc;
		__m512 old = flags & (NN_ACC | NN_UPD) ?
		             _mm512_maskz_loadu_ps(lanes, cr) : _mm512_setzero_ps();
		_mm512_mask_storeu_ps(cr, lanes, nn_epiv(sum[r], old, flags, bb,
		                                         _mm512_set1_ps(lr)));
	}
}
#endif

/* K is walked in blocks of at most NN_KC, as equal as they come (1152 is
 * 576 + 576, not 1024 + 128), so the block of a panel being multiplied
 * stays in L2 and a short last block does not pay a tile's loads and
 * stores for little work.  Blocks sized for L1 (128) measured 5-20%
 * slower on Zen 4 than streaming the panel from L2 with the hardware
 * prefetcher, and they reload C's tile once per block.  The blocks depend
 * on K alone: every path sums an element of C in the same order. */
#define NN_KC 1024              /* panel block: 128 KB at NR = 32 */
#define NN_IG 16                /* row tiles per work item */
NN_KERNEL int nn_kblock(int K)
{
	int n = (K + NN_KC - 1) / NN_KC;
	return n ? (K + n - 1) / n : 1;
}

/* Row tiles ib0 … ib1−1 of C's columns j … j+nr−1, C = op(A)·panel (+ C
 * with NN_ACC in flags; transposed with NN_TC, as nn_tile): a(r,k) =
 * A[r·rs + k·ks] or, with aoff, A[aoff[r] + k·ks]; panel as nn_pack_panel
 * lays it out or, with boff, row k of op(B) at panel + boff[k]. */
NN_KERNEL void nn_panel_rows_epi(int M, int K, const float *A, long rs,
                                 const int *aoff, long ks, const float *panel,
                                 const int *boff, float *C, long ldc, int nr,
                                 int ib0, int ib1, int flags,
                                 const float *bias, float lr)
{
	int kb = nn_kblock(K);
	long ci = flags & NN_TC ? 1 : ldc;   /* C's stride from row to row */
	/* the epilogue on the last block of K: the blocks before it store
	 * partial sums (NN_UPD's C is the weights: one block, K ≤ NN_KC) */
	int epi = flags & NN_EPI;
	flags &= ~NN_EPI;
#ifdef NN_AVX512
	if (nr <= NN_VW) {   /* one vector of columns: the narrow tile */
		int i1 = ib1 * NN_MR < M ? ib1 * NN_MR : M;
		for (int k0 = 0; k0 < K; k0 += kb) {
			int kc = K - k0 < kb ? K - k0 : kb;
			for (int i = ib0 * NN_MR; i < i1; i += NN_HR) {
				int mr = i1 - i < NN_HR ? i1 - i : NN_HR;
				nn_tile_half(kc, aoff ? A + k0 * ks : A + i * rs + k0 * ks,
				             rs, aoff ? aoff + i : NULL, ks,
				             boff ? panel : panel + (long)k0 * NN_NR,
				             boff ? boff + k0 : NULL, C + i * ci, ldc,
				             mr, nr, flags | (k0 > 0 ? NN_ACC : 0) |
				             (k0 + kc == K ? epi : 0), bias, lr);
			}
		}
		return;
	}
#endif
	for (int k0 = 0; k0 < K; k0 += kb) {
		int kc = K - k0 < kb ? K - k0 : kb;
		for (int ib = ib0; ib < ib1; ib++) {
			int i = ib * NN_MR, mr = M - i < NN_MR ? M - i : NN_MR;
			const float *a = aoff ? A + k0 * ks : A + i * rs + k0 * ks;
			const int *ao = aoff ? aoff + i : NULL;
			const float *bp = boff ? panel : panel + (long)k0 * NN_NR;
			const int *bo = boff ? boff + k0 : NULL;
			int f = flags | (k0 > 0 ? NN_ACC : 0);
			const float *bt = bias && (flags & NN_TC) ? bias + i : bias;
			/* two tiles for the plain product (6 and 8 rows) and one,
			 * its flags tested at runtime, for an epilogue: a tile per
			 * epilogue made a trainer's ASan build three times as long */
			if (k0 + kc == K && epi)
				nn_tile(kc, a, rs, ao, ks, bp, bo, C + i * ci, ldc, mr, nr,
				        f | epi, NN_MR, 1, bt, lr);
#if NN_MR == 8 && defined(NN_AVX512)
			else if (mr <= 6)   /* a short last tile: 6 rows, not 8 */
				nn_tile(kc, a, rs, ao, ks, bp, bo, C + i * ci, ldc, mr, nr,
				        f, 6, 0, bt, lr);
#endif
			else
				nn_tile(kc, a, rs, ao, ks, bp, bo, C + i * ci, ldc, mr, nr,
				        f, NN_MR, 0, bt, lr);
		}
	}
}

NN_KERNEL void nn_panel_rows(int M, int K, const float *A, long rs,
                             const int *aoff, long ks, const float *panel,
                             const int *boff, float *C, long ldc, int nr,
                             int ib0, int ib1, int flags)
{
	nn_panel_rows_epi(M, K, A, rs, aoff, ks, panel, boff, C, ldc, nr, ib0,
	                  ib1, flags, NULL, 0);
}


#if defined(NN_AVX512) || defined(NN_AVX2)
#ifdef NN_AVX512
#define nn_vhsum(v) _mm512_reduce_add_ps(v)
#else
NN_KERNEL float nn_vhsum(__m256 v)
{
	__m128 s = _mm_add_ps(_mm256_castps256_ps128(v),
	                      _mm256_extractf128_ps(v, 1));
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}
#endif
/* A product with few columns whose operands both run along k (y = x·Wᵀ
 * for a classifier's logits): C[i][j] = Σ_k A[i·lda+k]·B[j·ldb+k] over a
 * tile of NN_DR rows × NN_DC columns, vectors along k, one horizontal sum
 * per element at the end and the last K mod NN_VW products after it.
 * Rows past mr and columns past nc re-read the last valid one and are
 * not stored. */
#define NN_DR 4
#define NN_DC 5
/* v is in a register from here on: gcc would fold b's load into each of
 * its four FMAs, 24 loads a step where 9 do (Zen 4 loads one 512-bit
 * vector a cycle, so the tile waited on loads). */
#if defined(__GNUC__)
#define NN_IN_REGISTER(v) __asm__("" : "+v"(v))
#else
#define NN_IN_REGISTER(v) (void)0
#endif
NN_INLINE void nn_dot_tile(int K, const float *a, long lda, const float *b,
                           long ldb, float *c, long ldc, int mr, int nc,
                           int flags, const float *bias, float lr)
{
#define NN_A(r) const float *a##r = a + (r < mr ? r : mr - 1) * lda;
#define NN_B(j) const float *b##j = b + (j < nc ? j : nc - 1) * ldb;
	NN_A(0) NN_A(1) NN_A(2) NN_A(3)
	NN_B(0) NN_B(1) NN_B(2) NN_B(3) NN_B(4)
#undef NN_A
#undef NN_B
#define NN_Z(j) nn_vec s0##j = nn_vzero(), s1##j = s0##j, s2##j = s0##j, s3##j = s0##j;
	NN_Z(0) NN_Z(1) NN_Z(2) NN_Z(3) NN_Z(4)
#undef NN_Z
	int k = 0;
	for (; k + NN_VW <= K; k += NN_VW) {
		nn_vec x0 = nn_vload(a0 + k), x1 = nn_vload(a1 + k),
		       x2 = nn_vload(a2 + k), x3 = nn_vload(a3 + k), y;
#define NN_COL(j)                                                          \
		y = nn_vload(b##j + k);                                    \
		NN_IN_REGISTER(y);                                         \
		s0##j = nn_vfma(x0, y, s0##j);                             \
		s1##j = nn_vfma(x1, y, s1##j);                             \
		s2##j = nn_vfma(x2, y, s2##j);                             \
		s3##j = nn_vfma(x3, y, s3##j);
		NN_COL(0) NN_COL(1) NN_COL(2) NN_COL(3) NN_COL(4)
#undef NN_COL
	}
	float t[NN_DR][NN_DC];
#define NN_H(j)                                                            \
	t[0][j] = nn_vhsum(s0##j); t[1][j] = nn_vhsum(s1##j);              \
	t[2][j] = nn_vhsum(s2##j); t[3][j] = nn_vhsum(s3##j);
	NN_H(0) NN_H(1) NN_H(2) NN_H(3) NN_H(4)
#undef NN_H
	const float *ar[NN_DR] = {a0, a1, a2, a3}, *br[NN_DC] = {b0, b1, b2, b3, b4};
	for (int r = 0; r < mr; r++)
		for (int j = 0; j < nc; j++) {
			float v = t[r][j];
			for (int kk = k; kk < K; kk++)
				v += ar[r][kk] * br[j][kk];
			float *cc = c + r * ldc + j;
			*cc = nn_epi1(v, flags & NN_UPD ? *cc : 0, flags,
			              flags & NN_BIAS ? bias[j] : 0, lr);
		}
}
#endif

/* C[M,N] = op(A)·op(B): op(A) is M×K, stored [M,lda] or, with ta, [K,lda];
 * op(B) is K×N, stored [K,ldb] or, with tb, [N,ldb].  scratch holds
 * K·⌈N/32⌉·32 floats for the packed B.
 *
 * op(B) is packed into column panels (in parallel); then each work item —
 * one panel and a group of NN_IG row tiles — walks K in blocks, so the
 * block of the panel it multiplies stays in cache across the group.  Each
 * element of C is summed by one thread, in k order.  A product with at
 * most 12 columns and both operands along k takes nn_dot_tile instead:
 * the panel would leave most of a tile's lanes empty. */
#define NN_KSMALL 64            /* B read in place up to this many rows */
NN_KERNEL void nn_gemm_epi(int M, int N, int K, const float *A, int lda,
                           int ta, const float *B, int ldb, int tb, float *C,
                           int ldc, float *scratch, int epi,
                           const float *bias, float lr)
{
	long rs = ta ? 1 : lda, ks = ta ? lda : 1;
	int npanel = (N + NN_NR - 1) / NN_NR, nrow = (M + NN_MR - 1) / NN_MR;
	/* threads for a product of over a million FMAs; below that, or with
	 * one thread, no parallel region at all: opening one costs a
	 * microsecond or so even for a team of one (libgomp allocates the
	 * team), and its outlined body loses the call's constants.  With one
	 * thread, mlp_small's step took 0.142 ms in regions, 0.139 without. */
	int par = (long)M * N * K > (1L << 20);
#ifdef _OPENMP
	par = par && omp_get_max_threads() > 1;
#else
	par = 0;
#endif
#if defined(NN_AVX512) || defined(NN_AVX2)
	if (tb && !ta && N <= 12 && K >= 4 * NN_VW) {
		int nt = (M + NN_DR - 1) / NN_DR, nj = (N + NN_DC - 1) / NN_DC;
#define NN_DOT(e)                                                          \
				nn_dot_tile(K, A + (long)i * lda, lda, B + (long)j * ldb, \
				            ldb, C + (long)i * ldc + j, ldc,       \
				            M - i < NN_DR ? M - i : NN_DR,         \
				            N - j < NN_DC ? N - j : NN_DC, e,      \
				            bias ? bias + j : NULL, lr);
		/* the logits' bias a constant, as nn_panel_rows_epi's */
#define NN_DOTS                                                            \
		for (int it = 0; it < nt; it++)                            \
			for (int jt = 0; jt < nj; jt++) {                  \
				int i = it * NN_DR, j = jt * NN_DC;        \
				if (epi == NN_BIAS)                        \
					NN_DOT(NN_BIAS)                    \
				else                                       \
					NN_DOT(epi)                        \
			}
		if (par) {
			NN_OMP("omp parallel for collapse(2) schedule(static)")
			NN_DOTS
		} else {
			NN_DOTS
		}
#undef NN_DOTS
#undef NN_DOT
		return;
	}
#endif
	/* y = x·Wᵀ with W wider than x is long (N > M): packing x (M·K) is
	 * cheaper than packing W (N·K), so compute Cᵀ = B·Aᵀ, W's rows read in
	 * place, and store the tiles transposed.  Each element is the same
	 * chain of FMAs in k order as the other way: the same bits. */
	int flags = epi;
	if (tb && !ta && M % 32 == 0 && N > M) {
		const float *T = A;
		int t = M;
		A = B, rs = ldb, ks = 1, M = N;
		B = T, ldb = lda, N = t;
		flags |= NN_TC;
		npanel = (N + NN_NR - 1) / NN_NR, nrow = (M + NN_MR - 1) / NN_MR;
	}
	/* With few rows (K ≤ NN_KSMALL, a weight gradient's batch), B's whole
	 * panels are read in place, row k at B + k·ldb + j: packing them would
	 * copy as many floats as the product reads, for panels that stay in
	 * L1 anyway.  A last, narrower panel is packed, since the tile loads
	 * whole vectors.  The same FMAs in the same order: the same bits. */
	/* Row tiles go NN_IG to a work item, fewer when that leaves a thread
	 * without one (mlp_small's 128×32 Cᵀ is one panel of 16 tiles): which
	 * thread sums an element does not change its sum. */
	int ig = NN_IG, ngroup;
#ifdef _OPENMP
	int nt = par ? omp_get_max_threads() : 1;
	while (nt > 1 && ig > 1 && npanel * ((nrow + ig - 1) / ig) < 2 * nt)
		ig /= 2;
#endif
	ngroup = (nrow + ig - 1) / ig;
	long cj = flags & NN_TC ? ldc : 1;   /* C's stride from column to column */
	int inplace = !tb && K <= NN_KSMALL, off[NN_KSMALL];
	for (int k = 0; inplace && k < K; k++)
		off[k] = k * ldb;
#define NN_PACKS                                                           \
	for (int jb = 0; jb < npanel; jb++)                                \
		if (!inplace || (jb + 1) * NN_NR > N)                      \
			nn_pack_panel(N, K, B, ldb, tb, jb * NN_NR,        \
			              scratch + (long)jb * NN_NR * K);
#define NN_ITEMS                                                           \
	for (int jb = 0; jb < npanel; jb++)                                \
		for (int g = 0; g < ngroup; g++) {                         \
			int j = jb * NN_NR, nr = N - j < NN_NR ? N - j : NN_NR; \
			int ib1 = (g + 1) * ig < nrow ? (g + 1) * ig : nrow; \
			int rows = inplace && nr == NN_NR;                 \
			nn_panel_rows_epi(M, K, A, rs, NULL, ks, rows ? B + j : \
			                  scratch + (long)j * K, rows ? off : NULL, \
			                  C + j * cj, ldc, nr, g * ig, ib1, flags, \
			                  bias && !(flags & NN_TC) ? bias + j : bias, \
			                  lr);                             \
		}
	if (par) {
		NN_OMP("omp parallel for schedule(static)")
		NN_PACKS
		NN_OMP("omp parallel for collapse(2) schedule(static)")
		NN_ITEMS
	} else {
		NN_PACKS
		NN_ITEMS
	}
#undef NN_PACKS
#undef NN_ITEMS
}

NN_KERNEL void nn_gemm(int M, int N, int K, const float *A, int lda,
                       int ta, const float *B, int ldb, int tb, float *C,
                       int ldc, float *scratch)
{
	nn_gemm_epi(M, N, K, A, lda, ta, B, ldb, tb, C, ldc, scratch, 0, NULL, 0);
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

/* dst[0..n) = src[0..n): the rows of a small image, where a call to
 * memcpy costs more than the copy. */
NN_KERNEL void nn_copy(float *dst, const float *src, int n)
{
#ifdef NN_AVX512
	int i = 0;
	for (; i + 16 <= n; i += 16)
		_mm512_storeu_ps(dst + i, _mm512_loadu_ps(src + i));
	if (i < n) {
		__mmask16 m = nn_mask16(n - i);
		_mm512_mask_storeu_ps(dst + i, m, _mm512_maskz_loadu_ps(m, src + i));
	}
#else
	memcpy(dst, src, sizeof(float) * n);
#endif
}

/* y += a: a conv input gradient, stored, plus the tensor's other
 * gradient (ops/conv.c's conv2d_dx_add) */
NN_KERNEL void nn_add_to(float *y, const float *a, long n)
{
	NN_IVDEP for (long i = 0; i < n; i++)
		y[i] += a[i];
}

/* A strided conv reads its padded input (Hp×Wp) through S×S phases:
 * phase (a,b) is xq[c][a][b][i][j] = xpad[i·S + a][j·S + b], Hq×Wq, and
 * tap (kh,kw) reads phase (kh·D mod S, kw·D mod S) shifted by
 * (kh·D div S, kw·D div S): a stride-1 product again, over the wide grid
 * of OH rows of Wq.  S = 1 is the padded input itself.  Then zeros for
 * the taps' reach past the last phase and a panel's overshoot. */
#define NN_QH(g) (((g)->H + 2 * (g)->P + (g)->S - 1) / (g)->S)
#define NN_QW(g) (((g)->W + 2 * (g)->P + (g)->S - 1) / (g)->S)
#define NN_PADDED(g) ((long)(g)->C * (g)->S * (g)->S * NN_QH(g) * NN_QW(g) + \
                      ((g)->k - 1) * (g)->D / (g)->S + 32)

/* Stride 1 needs no im2col at all.  On the input padded to Hp×Wp =
 * (H+2P)×(W+2P) and flattened, output pixel (oh,ow) of a "wide" output
 * of OH×Wp pixels reads tap (c,kh,kw) at off[(c,kh,kw)] + oh·Wp + ow, with
 * off = c·Hp·Wp + kh·D·Wp + kw·D: row k of op(B) is the padded input
 * itself, shifted by off[k], and nn_tile reads it in place.  The Wp − OW
 * columns past each output row are computed and thrown away.  With a
 * stride, the same on the phases (Wq for Wp). */
NN_KERNEL void nn_shift_offsets(const NnConv *g, int *off)
{
	int S = g->S, Hq = NN_QH(g), Wq = NN_QW(g);
	for (int c = 0, k = 0; c < g->C; c++)
		for (int kh = 0; kh < g->k; kh++)
			for (int kw = 0; kw < g->k; kw++) {
				int a = kh * g->D % S, b = kw * g->D % S;
				off[k++] = (((c * S + a) * S + b) * Hq + kh * g->D / S) * Wq +
				           kw * g->D / S;
			}
}

/* q[j] = src[j·S] for j0 ≤ j < j1: an input row's columns of one phase.
 * Stride 2 on AVX-512: sixteen at a time, the even lanes of 31 floats
 * picked by a permute, every load and store masked to the row. */
NN_KERNEL void nn_gather_stride(float *q, const float *src, int j0, int j1,
                                int S)
{
	int j = j0;
#ifdef NN_AVX512
	if (S == 2) {
		const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16,
		                                    14, 12, 10, 8, 6, 4, 2, 0);
		for (; j < j1; j += 16) {
			int m = 2 * (j1 - j < 16 ? j1 - j : 16) - 1;  /* floats read */
			__m512 lo = _mm512_maskz_loadu_ps(nn_mask16(m), src + 2 * j),
			       hi = _mm512_maskz_loadu_ps(nn_mask16(m - 16), src + 2 * j + 16);
			_mm512_mask_storeu_ps(q + j, nn_mask16((m + 1) / 2),
			                      _mm512_permutex2var_ps(lo, ev, hi));
		}
	}
#endif
	for (; j < j1; j++)
		q[j] = src[j * S];
}

/* xpad = x [C,H,W] padded with P zeros on every side (in phases when
 * S > 1), then zeros. */
NN_KERNEL void nn_pad_input(const float *x, const NnConv *g, float *xpad)
{
	int P = g->P, S = g->S, Hq = NN_QH(g), Wq = NN_QW(g);
	long n = NN_PADDED(g);
	long body = (long)g->C * S * S * Hq * Wq;
	if (S > 1) {   /* each input row into S phase rows; the rest 0 */
		/* the phases the taps read (D = 1): a, b < k; a 1x1 conv reads
		 * only phase (0,0) */
		int np = S < g->k ? S : g->k;
		memset(xpad, 0, sizeof(float) * n);
		for (int c = 0; c < g->C; c++)
			for (int h = 0; h < g->H; h++) {
				const float *r = x + ((long)c * g->H + h) * g->W;
				int a = (h + P) % S, i = (h + P) / S;
				if (a >= np)
					continue;
				/* padded column j·S + b is input column j·S + b − P */
				for (int b = 0; b < np; b++)
					nn_gather_stride(xpad + ((((long)c * S + a) * S + b) * Hq +
					                         i) * Wq, r + b - P,
					                 b >= P ? 0 : (P - b + S - 1) / S,
					                 (g->W - 1 + P - b) / S + 1, S);
			}
		return;
	}
	if (!P)
		memcpy(xpad, x, sizeof(float) * body);
	else
		for (int c = 0; c < g->C; c++) {
			float *pc = xpad + (long)c * Hq * Wq;
			memset(pc, 0, sizeof(float) * ((long)P * Wq + P));
			for (int h = 0; h < g->H; h++) {
				float *r = pc + (long)(h + P) * Wq + P;
				nn_copy(r, x + ((long)c * g->H + h) * g->W, g->W);
				for (int i = 0; i < 2 * P; i++)  /* right, next left */
					r[g->W + i] = 0;
			}
			memset(pc + (long)(g->H + P) * Wq + P, 0,
			       sizeof(float) * ((long)P * Wq - P));
		}
	memset(xpad + body, 0, sizeof(float) * (n - body));
}

/* y [M,OH,OW] = the wide output yw [M,OH,Wq] without its extra columns. */
NN_KERNEL void nn_unpad_output(const float *yw, const NnConv *g, int M,
                               float *y)
{
	int Wq = NN_QW(g);
	for (long r = 0; r < (long)M * g->OH; r++)
		nn_copy(y + r * g->OW, yw + r * Wq, g->OW);
}

/* The input gradient of a stride-1 conv is a stride-1 conv of dy with
 * the kernel flipped and its in and out channels swapped, padded by
 * (k−1)·D − P: wt [C,O,k,k] from w [O,C,k,k]. */
NN_KERNEL void nn_flip_weights(const float *w, int O, int C, int k,
                               float *wt)
{
	int kk = k * k;
	for (int o = 0; o < O; o++)
		for (int c = 0; c < C; c++)
			for (int t = 0; t < kk; t++)
				wt[((long)c * kk + t) * O + o] = w[((long)o * C + c) * kk + kk - 1 - t];
}

/* The input gradient's rows of B, tap-major: off[(kh·k + kw)·C + c] is
 * channel c of the padded dy shifted by the tap (stride 1), so the taps
 * of a kernel row are one contiguous range of k·k·C: a panel whose grid
 * rows see only the padding for some kernel rows skips them
 * (nn_dx_taps). */
NN_KERNEL void nn_shift_offsets_taps(const NnConv *g, int *off)
{
	int Hq = NN_QH(g), Wq = NN_QW(g);
	for (int kh = 0, k = 0; kh < g->k; kh++)
		for (int kw = 0; kw < g->k; kw++)
			for (int c = 0; c < g->C; c++)
				off[k++] = (c * Hq + kh * g->D) * Wq + kw * g->D;
}

/* The kernel rows [*lo, *hi] that reach dy (rows P … P+H−1 of the
 * padded dy) from the wide grid's rows r0 … r1: the others multiply the
 * padding's zeros.  All of them if none does (then the sum is 0). */
NN_KERNEL void nn_dx_taps(const NnConv *g, int r0, int r1, int *lo, int *hi)
{
	int a = g->P - r1, b = g->P + g->H - 1 - r0;   /* kh·D ∈ [a, b] */
	*lo = a > 0 ? (a + g->D - 1) / g->D : 0;
	*hi = b / g->D < g->k - 1 ? b / g->D : g->k - 1;
	if (*hi < *lo)
		*lo = 0, *hi = g->k - 1;
}

/* A strided conv's input gradient by phases (S > 1, D = 1): the input
 * pixels (ih, iw) with (ih + P) mod S = a and (iw + P) mod S = b take only
 * the taps kh = a + S·u (u < ka = ⌈(k − a)/S⌉) and kw = b + S·v (v < kb),
 * from dy at (i − u, j − v) where ih = S·i + a − P, iw = S·j + b − P: a
 * stride-1 product on dy padded by p0 = ⌈k/S⌉ − 1 on every side, over a
 * wide grid of its Wp columns, as the stride-1 kernels.  The phase's
 * weights: wp [C][O·ka·kb], wp[c][(o·ka + u)·kb + v] = w[o][c][a+S·u][b+S·v]. */
NN_KERNEL void nn_phase_weights(const float *w, int O, int C, int k, int S,
                                int a, int b, float *wp)
{
	int ka = (k - a + S - 1) / S, kb = (k - b + S - 1) / S;
	long K = (long)O * ka * kb;
	for (int c = 0; c < C; c++)
		for (int o = 0; o < O; o++)
			for (int u = 0; u < ka; u++)
				for (int v = 0; v < kb; v++)
					wp[c * K + ((long)o * ka + u) * kb + v] =
					    w[(((long)o * C + c) * k + a + S * u) * k + b + S * v];
}

/* Row (o,u,v) of the phase's B: dy padded [O][Hp][Wp], shifted by tap (u,v). */
NN_KERNEL void nn_phase_offsets(int O, int Hp, int Wp, int p0, int ka, int kb,
                                int *off)
{
	for (int o = 0, i = 0; o < O; o++)
		for (int u = 0; u < ka; u++)
			for (int v = 0; v < kb; v++)
				off[i++] = (o * Hp + p0 - u) * Wp + p0 - v;
}

/* The first and last grid index i (ceil and floor) with 0 ≤ S·i + a − P < n. */
NN_KERNEL void nn_phase_range(int n, int S, int a, int P, int *lo, int *hi)
{
	int d = P - a;   /* S·i ≥ d */
	*lo = d > 0 ? (d + S - 1) / S : 0;
	*hi = n - 1 + d >= 0 ? (n - 1 + d) / S : -1;
}

/* dx [C][H][W] at phase (a,b) = the phase's wide output yw [C][rows][Wp]
 * at (i, j) where the pixel is inside dx. */
NN_KERNEL void nn_phase_scatter(const float *yw, int C, int rows, int Wp,
                                int S, int a, int b, int P, int H, int W,
                                float *dx)
{
	int i0, i1, j0, j1;
	nn_phase_range(H, S, a, P, &i0, &i1);
	nn_phase_range(W, S, b, P, &j0, &j1);
	for (int c = 0; c < C; c++)
		for (int i = i0; i <= i1; i++) {
			float *d = dx + ((long)c * H + S * i + a - P) * W + b - P;
			long r = ((long)c * rows + i) * Wp;
			for (int j = j0; j <= j1; j++)
				d[S * j] = yw[r + j];
		}
}

/* The weight gradient the same way: dwᵀ [KK,O] += Σ_p xpad[off[kk] + p]·
 * dy_wide[o][p], op(A)'s rows the shifted padded input (its phases with a
 * stride) read in place, op(B) = dy on the wide grid (0 in the extra
 * columns), transposed: panel q of its O columns at dst + q·OH·Wq·NN_NR,
 * pixel p's row at p·NN_NR; lanes past O are 0. */
NN_KERNEL void nn_pack_wide_dyT(const float *dy, const NnConv *g, int O,
                                float *dst)
{
	int Wq = NN_QW(g), OW = g->OW;   /* the wide grid's width */
	long wide = (long)g->OH * Wq, ohw = (long)g->OH * OW;
	for (int q = 0; q < O; q += NN_NR) {
		float *d = dst + (long)q * wide;
		int n = O - q < NN_NR ? O - q : NN_NR;
#if defined(NN_AVX512) || defined(NN_AVX2)
		int w8 = OW & ~7, n8 = n & ~7;   /* 8×8 blocks in registers */
#else
		int w8 = 0, n8 = 0;
#endif
		for (int oh = 0; oh < g->OH; oh++) {
			const float *src = dy + (long)q * ohw + (long)oh * OW;
			float *row = d + (long)oh * Wq * NN_NR;  /* [Wq][NN_NR] */
#if defined(NN_AVX512) || defined(NN_AVX2)
			for (int w = 0; w < w8; w += 8)
				for (int l = 0; l < n8; l += 8)
					nn_transpose8(src + l * ohw + w, ohw,
					              row + (long)w * NN_NR + l, NN_NR);
#endif
			for (int ww = 0; ww < OW; ww++)       /* the rest, one by one */
				for (int ll = ww < w8 ? n8 : 0; ll < n; ll++)
					row[(long)ww * NN_NR + ll] = src[ll * ohw + ww];
			for (int ww = 0; ww < OW; ww++)       /* channels past O */
				for (int ll = n; ll < NN_NR; ll++)
					row[(long)ww * NN_NR + ll] = 0;
			memset(row + (long)OW * NN_NR, 0,   /* the frame's columns */
			       sizeof(float) * (Wq - OW) * NN_NR);
		}
	}
}

/* Output pixels p0 … p0+n−1, as tap (kh,kw) sees them, one output row at
 * a time: run r is columns [ow, end) of output row oh, at positions j …
 * of the n; its tap reads input row ih, inside the input for columns
 * [a, b) and in the padding elsewhere (a = b = end when ih is outside).
 * lo, hi: the columns where tap kw reads inside (nn_tap_range). */
typedef struct NnRun {
	int j, oh, ow, end, ih, a, b;
} NnRun;

NN_KERNEL NnRun nn_run(const NnConv *g, int kh, int lo, int hi, int n, int j,
                       int oh, int ow)
{
	NnRun r = {j, oh, ow, 0, oh * g->S + kh * g->D - g->P, 0, 0};
	r.end = ow + (g->OW - ow < n - j ? g->OW - ow : n - j);
	if (r.ih < 0 || r.ih >= g->H) {
		r.a = r.b = r.end;
		return r;
	}
	r.a = lo > ow ? (lo < r.end ? lo : r.end) : ow;
	r.b = hi < r.end ? (hi > r.a ? hi : r.a) : r.end;
	return r;
}

#define NN_RUNS(r, g, kh, lo, hi, p0, n)                                     \
	for (NnRun r = nn_run(g, kh, lo, hi, n, 0, (p0) / (g)->OW,          \
	                      (p0) % (g)->OW);                               \
	     r.j < (n);                                                      \
	     r = nn_run(g, kh, lo, hi, n, r.j + r.end - r.ow, r.oh + 1, 0))

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
				NN_RUNS(r, g, kh, lo, hi, p0, nr) {
					long at = r.j - r.ow;   /* dst[at + o]: column o's */
					for (int o = r.ow; o < r.a; o++)
						dst[at + o] = 0;
					if (r.a < r.b) {
						const float *xr = x + ((long)c * g->H + r.ih) * g->W;
						for (int o = r.a; o < r.b; o++)
							dst[at + o] = xr[o * g->S + off];
					}
					for (int o = r.b; o < r.end; o++)
						dst[at + o] = 0;
				}
				for (int j = nr; j < NN_NR; j++)
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
				NN_RUNS(r, g, kh, lo, hi, p0, kc) {
					long at = r.j - r.ow;   /* column o: row at + o */
					for (int o = r.ow; o < r.a; o++)
						d0[(at + o) * NN_NR] = 0;
					if (r.a < r.b) {
						const float *xr = x + ((long)c * g->H + r.ih) * g->W;
						for (int o = r.a; o < r.b; o++)
							d0[(at + o) * NN_NR] = xr[o * g->S + off];
					}
					for (int o = r.b; o < r.end; o++)
						d0[(at + o) * NN_NR] = 0;
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
				NN_RUNS(r, g, kh, lo, hi, p0, nr) {
					if (r.a == r.b)
						continue;
					float *dr = dx + ((long)c * g->H + r.ih) * g->W;
					long at = r.j - r.ow;
					int o = r.a;
#ifdef NN_AVX512
					/* stride 2: eight columns a vector, spread to the
					 * even lanes, added under a mask */
					for (; g->S == 2 && o < r.b; o += 8) {
						int m = r.b - o < 8 ? r.b - o : 8;
						__mmask16 l = nn_mask16(2 * m - 1) & 0x5555;
						float *d = dr + o * 2 + off;
						__m512 v = _mm512_maskz_expand_ps(l, _mm512_castps256_ps512(
						    nn_mload8(colp + at + o, m)));
						_mm512_mask_storeu_ps(d, l, _mm512_add_ps(
						    _mm512_maskz_loadu_ps(l, d), v));
					}
#endif
					for (; o < r.b; o++)
						dr[o * g->S + off] += colp[at + o];
				}
			}
}

/* ---- depthwise convolution (ops/conv.c): one input and one output
 * channel a group, a plane at a time, as a stride-1 conv over a "wide"
 * grid: with the input plane placed in a zero frame (xp, rows of Wp), the
 * output at grid position i is Σ_t w_t·xp[i + off_t], off_t = kh·D·Wp +
 * kw·D, for every i of the first rows·Wp, so eight outputs take a vector
 * a tap with no bounds and no row tails; the columns past the plane's
 * and, for a stride, the positions between its outputs are computed and
 * dropped.  The input gradient is the same on dy spread out by the stride
 * (nn_spread_plane) with the weights flipped; the weight gradient sums
 * dy, spread, times xp shifted by each tap. ---- */

/* dst [Hp,Wp] (and tail more floats) = 0, with src [n0,n1] at rows
 * top + i·S and columns left + j·S */
NN_KERNEL void nn_spread_plane(const float *src, int n0, int n1, int S,
                               int top, int left, int Hp, int Wp, long tail,
                               float *dst)
{
	for (long i = 0; i < (long)Hp * Wp + tail; i++)
		dst[i] = 0;
	for (int i = 0; i < n0; i++) {
		float *r = dst + (long)(top + i * S) * Wp + left;
		const float *q = src + (long)i * n1;
		for (int j = 0; j < n1; j++)
			r[(long)j * S] = q[j];
	}
}

/* yw[i] = Σ_t w_t·xp[i + off_t] for i < n, rounded up to 32 (yw and xp
 * have the room), the taps in row-major order (reversed with flip): 32
 * outputs at a time, four vectors whose chains of FMAs run side by side */
NN_KERNEL void nn_dw_wide(const float *xp, long n, int Wp, const float *w,
                          int k, int D, int flip, float *yw)
{
	int kk = k * k;
	for (long i = 0; i < n; i += 32) {
#if defined(NN_AVX512) || defined(NN_AVX2)
		__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
		for (int kh = 0; kh < k; kh++)
			for (int kw = 0; kw < k; kw++) {
				int t = kh * k + kw;
				__m256 wt = _mm256_set1_ps(w[flip ? kk - 1 - t : t]);
				const float *q = xp + i + (long)kh * D * Wp + kw * D;
				a0 = _mm256_fmadd_ps(wt, _mm256_loadu_ps(q), a0);
				a1 = _mm256_fmadd_ps(wt, _mm256_loadu_ps(q + 8), a1);
				a2 = _mm256_fmadd_ps(wt, _mm256_loadu_ps(q + 16), a2);
				a3 = _mm256_fmadd_ps(wt, _mm256_loadu_ps(q + 24), a3);
			}
		_mm256_storeu_ps(yw + i, a0);
		_mm256_storeu_ps(yw + i + 8, a1);
		_mm256_storeu_ps(yw + i + 16, a2);
		_mm256_storeu_ps(yw + i + 24, a3);
#else
		float acc[32] = {0};
		for (int kh = 0; kh < k; kh++)
			for (int kw = 0; kw < k; kw++) {
				int t = kh * k + kw;
				float wt = w[flip ? kk - 1 - t : t];
				const float *q = xp + i + (long)kh * D * Wp + kw * D;
				for (int l = 0; l < 32; l++)
					acc[l] += wt * q[l];
			}
		for (int l = 0; l < 32; l++)
			yw[i + l] = acc[l];
#endif
	}
}

/* Σ of a tap's partial sums: lane l of v0 + v1 (floats), then in double
 * the pairs (l, l+4), (l, l+2) and the last two. */
#if defined(NN_AVX512) || defined(NN_AVX2)
NN_INLINE double nn_dw_fold(__m256 v0, __m256 v1)
{
	__m256 a = _mm256_add_ps(v0, v1);
	__m256d d = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a)),
	                          _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)));
	__m128d h = _mm_add_pd(_mm256_castpd256_pd128(d),
	                       _mm256_extractf128_pd(d, 1));
	return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}
#else
NN_INLINE double nn_dw_fold(const float *part)
{
	float a[8];
	double d[4];
	for (int l = 0; l < 8; l++)
		a[l] = part[l] + part[l + 8];
	for (int l = 0; l < 4; l++)
		d[l] = (double)a[l] + a[l + 4];
	return (d[0] + d[2]) + (d[1] + d[3]);
}
#endif

/* acc[t] += Σ_i dyw[i]·xp[i + off_t] over i < n, rounded up to 32 (dyw is
 * 0 past n).  NN_DW_TAPS taps at a time (in row-major order; a last group
 * of fewer re-reads its last tap and drops it) share each load of dy;
 * each tap sums in two vectors of float, lane l the i ≡ l mod 16, folded
 * into a double once a plane (nn_dw_fold).  Nine taps take 18 vectors of
 * sums: AVX-512's 32 registers hold them, AVX2's 16 hold three taps'.
 * Measured on mnist_resnet's 28x28 planes from L1 (2048 of them, one
 * core), against a tap at a time (two loads per FMA, its 32 lanes folded
 * one by one into a double chain): AVX-512 1.06 -> 0.55 ms, AVX2 1.05 ->
 * 0.88.  That fold alone cost more than the products on the 7x7 planes
 * (1.8 ms a step for 0.007 GFLOP). */
#ifdef NN_AVX512
#define NN_DW_TAPS 9
#define NN_DW_EACH(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8)
#else
#define NN_DW_TAPS 3
#define NN_DW_EACH(X) X(0) X(1) X(2)
#endif
NN_KERNEL void nn_dw_wide_grad(const float *xp, const float *dyw, long n,
                               int Wp, int k, int D, double *acc)
{
	int kk = k * k;
	for (int t0 = 0; t0 < kk; t0 += NN_DW_TAPS) {
		const float *q[NN_DW_TAPS];
		double s[NN_DW_TAPS];
		for (int j = 0; j < NN_DW_TAPS; j++) {
			int t = t0 + j < kk ? t0 + j : kk - 1;
			q[j] = xp + (long)(t / k) * D * Wp + t % k * D;
		}
#if defined(NN_AVX512) || defined(NN_AVX2)
#define NN_DW_ZERO(j) __m256 a##j = _mm256_setzero_ps(), b##j = a##j;
#define NN_DW_FMA(j)                                                       \
			a##j = _mm256_fmadd_ps(d0, _mm256_loadu_ps(q[j] + i), a##j); \
			b##j = _mm256_fmadd_ps(d1, _mm256_loadu_ps(q[j] + i + 8), b##j);
#define NN_DW_FOLD(j) s[j] = nn_dw_fold(a##j, b##j);
		NN_DW_EACH(NN_DW_ZERO)
		for (long i = 0; i < n; i += 16) {
			__m256 d0 = _mm256_loadu_ps(dyw + i),
			       d1 = _mm256_loadu_ps(dyw + i + 8);
			NN_DW_EACH(NN_DW_FMA)
		}
		NN_DW_EACH(NN_DW_FOLD)
#undef NN_DW_ZERO
#undef NN_DW_FMA
#undef NN_DW_FOLD
#else
		for (int j = 0; j < NN_DW_TAPS; j++) {
			float part[16] = {0};
			for (long i = 0; i < n; i += 16)
				for (int l = 0; l < 16; l++)
					part[l] += dyw[i + l] * q[j][i + l];
			s[j] = nn_dw_fold(part);
		}
#endif
		for (int j = 0; j < NN_DW_TAPS && t0 + j < kk; j++)
			acc[t0 + j] += s[j];
	}
}

/* The same for m ≤ NN_DW_ROWS output channels reading one input plane
 * (a first layer's): their dy planes spread at dyw, ldd floats apart;
 * acc[j·k·k + t] += the sum of plane j.  With vectors, each kernel row's
 * taps are nn_dot_tile columns (b: xp shifted by the row, ldb: D), the m
 * planes its rows: the products of a dy vector with a row's taps, and of
 * an xp vector with the m planes, share a tile, where a plane and a tap
 * at a time take two loads per FMA. */
#define NN_DW_ROWS 4
NN_KERNEL void nn_dw_wide_grad_rows(const float *xp, const float *dyw,
                                    long ldd, int m, long n, int Wp, int k,
                                    int D, double *acc)
{
#if defined(NN_AVX512) || defined(NN_AVX2)
	float t[NN_DW_ROWS * 49];   /* k ≤ 7 */
	int kk = k * k;
	for (int kh = 0; kh < k; kh++)
		for (int kw = 0; kw < k; kw += NN_DC)
			nn_dot_tile((int)n, dyw, ldd, xp + (long)kh * D * Wp + kw * D,
			            D, t + kh * k + kw, kk, m,
			            k - kw < NN_DC ? k - kw : NN_DC, 0, NULL, 0);
	for (int j = 0; j < m; j++)
		for (int i = 0; i < kk; i++)
			acc[j * kk + i] += t[j * kk + i];
#else
	for (int j = 0; j < m; j++)
		nn_dw_wide_grad(xp, dyw + j * ldd, n, Wp, k, D, acc + j * k * k);
#endif
}

/* ---- softmax rows (ops/loss.c, ops/softmax.c) ----
 * exp(x) in vectors, for a softmax's x = z − max z ≤ 0: x = n·ln2 + r with
 * |r| ≤ ln2/2 (ln2 in two parts, the first short enough that n times it
 * is exact), e^r = 1 + r + r²·P(r) with P of degree 5 (Cephes' expf
 * coefficients; within 2 ulp of expf, tests/test_gemm.c), times 2^n made
 * in the exponent bits.  Below −87.34, where expf's results turn
 * subnormal, it gives 0: a softmax's terms that small add nothing to its
 * sum.  Above 88 it gives exp(88).  NaN stays NaN. */
#define NN_EXP_LO -87.33654f    /* ln FLT_MIN: 2^n stays normal */
#if defined(NN_AVX512) || defined(NN_AVX2)
NN_KERNEL nn_vec nn_expv(nn_vec x)
{
	nn_vec lo = nn_vset1(NN_EXP_LO);
	nn_vec xc = _nn_vmin(nn_vset1(88.0f), _nn_vmax(lo, x));  /* NaN: x */
#ifdef NN_AVX512
	__m512i ni = _mm512_cvtps_epi32(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504f)));
	__m512 n = _mm512_cvtepi32_ps(ni);
	__m512 two_n = _mm512_castsi512_ps(_mm512_slli_epi32(
	               _mm512_add_epi32(ni, _mm512_set1_epi32(127)), 23));
#else
	__m256i ni = _mm256_cvtps_epi32(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504f)));
	__m256 n = _mm256_cvtepi32_ps(ni);
	__m256 two_n = _mm256_castsi256_ps(_mm256_slli_epi32(
	               _mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23));
#endif
	nn_vec r = _nn_vsub(xc, _nn_vmul(n, nn_vset1(0.693359375f)));
	r = nn_vfma(n, nn_vset1(2.12194440e-4f), r);
	nn_vec p = nn_vset1(1.9875691500e-4f);
	p = nn_vfma(p, r, nn_vset1(1.3981999507e-3f));
	p = nn_vfma(p, r, nn_vset1(8.3334519073e-3f));
	p = nn_vfma(p, r, nn_vset1(4.1665795894e-2f));
	p = nn_vfma(p, r, nn_vset1(1.6666665459e-1f));
	p = nn_vfma(p, r, nn_vset1(5.0000001201e-1f));
	p = _nn_vadd(nn_vfma(p, _nn_vmul(r, r), r), nn_vset1(1.0f));
	p = _nn_vmul(p, two_n);
#ifdef NN_AVX512
	return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, lo, _CMP_NLT_UQ), p);
#else
	return _mm256_andnot_ps(_mm256_cmp_ps(x, lo, _CMP_LT_OQ), p);
#endif
}
#endif

/* s = Σ_c e[c], e[c] = exp(z[c] − mx), summed in c order (as the scalar
 * loop it replaces); e may be z (in place) or NULL (the sum alone). */
NN_KERNEL float nn_exp_sum(const float *z, float mx, float *e, int C)
{
	float buf[64], s = 0;
	for (int c0 = 0; c0 < C; c0 += 64) {
		int n = C - c0 < 64 ? C - c0 : 64, c = 0;
		float *o = e ? e + c0 : buf;
		const float *x = z + c0;
#if defined(NN_AVX512) || defined(NN_AVX2)
		nn_vec m = nn_vset1(mx);
		for (; c + NN_VW <= n; c += NN_VW)
			nn_vstore(o + c, nn_expv(_nn_vsub(nn_vload(x + c), m)));
		if (c < n) {   /* the row's last lanes, through the same code */
			float t[NN_VW];
			for (int i = 0; i < NN_VW; i++)
				t[i] = c + i < n ? x[c + i] : mx;
			nn_vstore(t, nn_expv(_nn_vsub(nn_vload(t), m)));
			for (; c < n; c++)
				o[c] = t[c % NN_VW];
		}
#else
		for (; c < n; c++) {   /* expf, and 0 where the vectors give 0 */
			float d = x[c] - mx;
			o[c] = d < NN_EXP_LO ? 0 : expf(d);
		}
#endif
		for (c = 0; c < n; c++)
			s += o[c];
	}
	return s;
}

/* ---- optimizers (ops/optim.c) ----
 * y[i] = √y[i] for n ≤ NN_SQB floats.  An update loop around sqrtf stays
 * scalar under gcc's default -fmath-errno (the call that may set errno
 * is kept); the vector square root is exact, as sqrtf is: the same bits. */
#define NN_SQB 256
NN_KERNEL void nn_sqrt_block(float *y, long n)
{
#if defined(NN_AVX512)
	for (long i = 0; i < n; i += 16) {
		__mmask16 k = nn_mask16(n - i);
		_mm512_mask_storeu_ps(y + i, k,
		                      _mm512_sqrt_ps(_mm512_maskz_loadu_ps(k, y + i)));
	}
#elif defined(NN_AVX2)
	for (long i = 0; i < n; i += 8)
		nn_mstore8(y + i, n - i, _mm256_sqrt_ps(nn_mload8(y + i, n - i)));
#else
	for (long i = 0; i < n; i++)
		y[i] = sqrtf(y[i]);
#endif
}

/* ---- reductions (ops/norm.c, bias_grad): sums of a plane in double ----
 * Eight running sums in double, lane i % 8, added in lane order at the
 * end; within a block, four float chains of eight (NN_CHAINS·8 values a
 * step) feed them.  A fixed order like one chain's, but one the CPU runs
 * side by side: with a single float chain an add's latency (3 cycles)
 * held a plane's sum to 8 floats each 3 cycles, under what L2 feeds. */
#define NN_LANES 8
#define NN_CHAINS 4
NN_KERNEL double nn_lanes_total(const double *s)
{
	double t = 0;
	for (int l = 0; l < NN_LANES; l++)
		t += s[l];
	return t;
}

/* ---- batch norm fused with ReLU (ops/norm.c, fusion bn_relu) ----
 * One plane of n values of a channel with its mean, istd, k = istd·γ and
 * β.  The value before the clamp, v = (x − mean)·k + β, is computed the
 * same way, vector or scalar tail, in the forward and in both backward
 * kernels, so the mask [v > 0] the backward folds in is the forward's
 * exactly.  Branch-free: a ReLU's mask is a coin flip to a predictor. */
NN_KERNEL float nn_bn_val(float x, float mean, float k, float beta)
{
	float d = x - mean, v = d * k;
	return v + beta;
}

/* batch norm's dx of one value from its (masked) dy g: the unfused bn_dx
 * and the fused kernels' scalar tails, and their vectors op for op.  One
 * operation a statement, so no compiler fuses a multiply-add in one build
 * and not in the other. */
NN_KERNEL float nn_bn_dx1(float g, float x, float mean, float istd,
                          float kx, float mdb, float mdg)
{
	float xh = (x - mean) * istd, p = xh * mdg, d = g - mdb;
	d = d - p;
	return kx * d;
}

/* dy through the ReLU's mask [v > 0] when relu: the scalar code's */
NN_KERNEL float nn_bn_masked(float dy, float x, float mean, float k,
                             float beta, int relu)
{
	return !relu || nn_bn_val(x, mean, k, beta) > 0 ? dy : 0;
}

/* g·x̂, x̂ = (x − mean)·istd: the scalar code's */
NN_KERNEL float nn_g_xhat(float g, float x, float mean, float istd)
{
	float xh = (x - mean) * istd, p = g * xh;
	return p;
}

#if defined(NN_AVX512) || defined(NN_AVX2)
/* v of eight values */
NN_KERNEL __m256 nn_bn_val8(__m256 x, __m256 mean, __m256 k, __m256 beta)
{
	return _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(x, mean), k), beta);
}
#endif

/* y = v, or max(0, v) with relu (a constant where it is inlined) */
NN_KERNEL void nn_bn_fwd(const float *x, float *y, long n, float mean,
                         float k, float beta, int relu)
{
	long i = 0;
#if defined(NN_AVX512) || defined(NN_AVX2)
	const __m256 vm = _mm256_set1_ps(mean), vk = _mm256_set1_ps(k);
	const __m256 vb = _mm256_set1_ps(beta), z = _mm256_setzero_ps();
	for (; i + 8 <= n; i += 8) {
		__m256 v = nn_bn_val8(_mm256_loadu_ps(x + i), vm, vk, vb);
		_mm256_storeu_ps(y + i, relu ? _mm256_max_ps(v, z) : v);
	}
#endif
	for (const float *xe = x + n; x + i < xe; i++) {
		float v = nn_bn_val(x[i], mean, k, beta);
		y[i] = !relu || v > 0 ? v : 0;
	}
}

#if defined(NN_AVX512) || defined(NN_AVX2)
/* (lo, hi) += the eight floats of f, each in double */
NN_INLINE void nn_add8_pd(__m256d *lo, __m256d *hi, __m256 f)
{
	*lo = _mm256_add_pd(*lo, _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
	*hi = _mm256_add_pd(*hi, _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)));
}

/* g of the eight values at i, dy or with relu dy masked by [v > 0], and
 * with xhat *p = g·x̂: nn_bn_masked and nn_g_xhat op for op (x is read
 * only for them: nn_sum has none) */
NN_INLINE __m256 nn_g8(const float *dy, const float *x, long i, __m256 vm,
                       __m256 vk, __m256 vb, __m256 vi, int relu, int xhat,
                       __m256 *p)
{
	const __m256 z = _mm256_setzero_ps();
	__m256 g = _mm256_loadu_ps(dy + i), xv = z;
	if (relu || xhat)
		xv = _mm256_loadu_ps(x + i);
	if (relu)
		g = _mm256_and_ps(_mm256_cmp_ps(nn_bn_val8(xv, vm, vk, vb), z,
		                                _CMP_GT_OQ), g);
	if (xhat)
		*p = _mm256_mul_ps(g, _mm256_mul_ps(_mm256_sub_ps(xv, vm), vi));
	return g;
}
#endif

/* y = max(0, v + h) (fusion bn_add_relu): batch norm, a residual add and
 * ReLU, each step as nn_bn_fwd and the unfused add and relu make it */
NN_KERNEL void nn_bn_add_relu(const float *x, const float *h, float *y,
                              long n, float mean, float k, float beta)
{
	long i = 0;
#if defined(NN_AVX512) || defined(NN_AVX2)
	const __m256 vm = _mm256_set1_ps(mean), vk = _mm256_set1_ps(k);
	const __m256 vb = _mm256_set1_ps(beta), z = _mm256_setzero_ps();
	for (; i + 8 <= n; i += 8) {
		__m256 v = nn_bn_val8(_mm256_loadu_ps(x + i), vm, vk, vb);
		_mm256_storeu_ps(y + i, _mm256_max_ps(_mm256_add_ps(v,
		                 _mm256_loadu_ps(h + i)), z));
	}
#endif
	for (const float *xe = x + n; x + i < xe; i++) {   /* as nn_bn_fwd */
		float s = nn_bn_val(x[i], mean, k, beta) + h[i];
		y[i] = s > 0 ? s : 0;
	}
}

/* The sums of a plane that the bias and batch norm gradients need:
 *   out[0] += Σ g,  and with xhat  out[1] += Σ g·x̂,  x̂ = (x − mean)·istd
 * where g = dy, or with relu dy masked by [v > 0] (the fused bn_relu).
 * The order: in blocks of NN_SUM_BLOCK steps of 8·nc values, chain q of
 * nc adds the values 8q + l of each step, in float, for l < 8; at the
 * block's end lane l's double adds chain 0's l, then chain 1's, 2's and
 * 3's.  nc is NN_CHAINS, or 1 for a plane under NN_CHAINS_FROM values,
 * where folding four chains costs more than it saves.
 * Past the last whole step, each value goes to its lane's double
 * directly, in order; then the lanes add up in order.  The vector and the
 * scalar code make the same roundings, so the fused and unfused builds,
 * and every thread count, get the same bits. */
#define NN_SUM_BLOCK 16
#define NN_CHAINS_FROM 128   /* values: a smaller plane takes one chain */
NN_INLINE void nn_plane_sums(const float *dy, const float *x, long n,
                             float mean, float istd, float k, float beta,
                             int relu, int xhat, double *out)
{
	const int nc = n >= NN_CHAINS_FROM ? NN_CHAINS : 1;
	const long step = 8 * nc;
	double s[NN_LANES] = {0}, t[NN_LANES] = {0};
	long i = 0;
#if defined(NN_AVX512) || defined(NN_AVX2)
	const __m256 vm = _mm256_set1_ps(mean), vk = _mm256_set1_ps(k);
	const __m256 vb = _mm256_set1_ps(beta), vi = _mm256_set1_ps(istd);
	const __m256 z = _mm256_setzero_ps();
	__m256d s0 = _mm256_setzero_pd(), s1 = s0, t0 = s0, t1 = s0;
	__m256 p0 = z, p1 = z, p2 = z, p3 = z;
	while (i + step <= n) {
		__m256 a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
		/* two loops: one with a branch to skip chains 1-3 took 100-value
		 * planes from 0.12 to 0.15 ms (4096 planes, from cache) */
		if (nc == 1)
			for (int j = 0; j < NN_SUM_BLOCK && i + 8 <= n; j++, i += 8) {
				a0 = _mm256_add_ps(a0, nn_g8(dy, x, i, vm, vk, vb, vi, relu,
				                             xhat, &p0));
				if (xhat)
					b0 = _mm256_add_ps(b0, p0);
			}
		else
			for (int j = 0; j < NN_SUM_BLOCK && i + step <= n; j++,
			     i += step) {
				a0 = _mm256_add_ps(a0, nn_g8(dy, x, i, vm, vk, vb, vi, relu,
				                             xhat, &p0));
				a1 = _mm256_add_ps(a1, nn_g8(dy, x, i + 8, vm, vk, vb, vi,
				                             relu, xhat, &p1));
				a2 = _mm256_add_ps(a2, nn_g8(dy, x, i + 16, vm, vk, vb, vi,
				                             relu, xhat, &p2));
				a3 = _mm256_add_ps(a3, nn_g8(dy, x, i + 24, vm, vk, vb, vi,
				                             relu, xhat, &p3));
				if (xhat) {
					b0 = _mm256_add_ps(b0, p0);
					b1 = _mm256_add_ps(b1, p1);
					b2 = _mm256_add_ps(b2, p2);
					b3 = _mm256_add_ps(b3, p3);
				}
			}
		nn_add8_pd(&s0, &s1, a0);
		if (xhat)
			nn_add8_pd(&t0, &t1, b0);
		if (nc == 1)
			continue;
		nn_add8_pd(&s0, &s1, a1);
		nn_add8_pd(&s0, &s1, a2);
		nn_add8_pd(&s0, &s1, a3);
		if (xhat) {
			nn_add8_pd(&t0, &t1, b1);
			nn_add8_pd(&t0, &t1, b2);
			nn_add8_pd(&t0, &t1, b3);
		}
	}
	for (; i + 8 <= n; i += 8) {   /* the rest, eight at a time */
		nn_add8_pd(&s0, &s1, nn_g8(dy, x, i, vm, vk, vb, vi, relu, xhat,
		                           &p0));
		if (xhat)
			nn_add8_pd(&t0, &t1, p0);
	}
	_mm256_storeu_pd(s, s0);
	_mm256_storeu_pd(s + 4, s1);
	_mm256_storeu_pd(t, t0);
	_mm256_storeu_pd(t + 4, t1);
#else
	while (i + step <= n) {
		float fs[8 * NN_CHAINS] = {0}, ft[8 * NN_CHAINS] = {0};
		for (int j = 0; j < NN_SUM_BLOCK && i + step <= n; j++, i += step)
			for (int l = 0; l < step; l++) {
				float g = nn_bn_masked(dy[i + l], relu ? x[i + l] : 0, mean,
				                       k, beta, relu);
				fs[l] += g;
				if (xhat)
					ft[l] += nn_g_xhat(g, x[i + l], mean, istd);
			}
		for (int l = 0; l < step; l++) {
			s[l % 8] += fs[l];
			t[l % 8] += ft[l];
		}
	}
#endif
	for (; i < n; i++) {
		float g = nn_bn_masked(dy[i], relu ? x[i] : 0, mean, k, beta, relu);
		s[i % 8] += g;
		if (xhat)
			t[i % 8] += nn_g_xhat(g, x[i], mean, istd);
	}
	out[0] += nn_lanes_total(s);
	if (xhat)
		out[1] += nn_lanes_total(t);
}

/* Σ x[i] */
NN_KERNEL double nn_sum(const float *x, long n)
{
	double s = 0;
	nn_plane_sums(x, NULL, n, 0, 0, 0, 0, 0, 0, &s);
	return s;
}

/* Σ (x[i] − mean)² in nn_plane_sums' order, the squares in float, but
 * those past the last whole step squared in double.  The vector and the
 * scalar code make the same roundings. */
NN_INLINE double nn_sum_sqdev(const float *x, long n, float mean)
{
	const int nc = n >= NN_CHAINS_FROM ? NN_CHAINS : 1;
	const long step = 8 * nc;
	double s[NN_LANES] = {0};
	long i = 0;
#if defined(NN_AVX512) || defined(NN_AVX2)
	const __m256 vm = _mm256_set1_ps(mean), z = _mm256_setzero_ps();
	__m256d s0 = _mm256_setzero_pd(), s1 = s0;
	while (i + step <= n) {
		__m256 f0 = z, f1 = z, f2 = z, f3 = z;
		for (int j = 0; j < NN_SUM_BLOCK && i + step <= n; j++, i += step) {
			__m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), vm);
			f0 = _mm256_add_ps(f0, _mm256_mul_ps(d0, d0));
			if (nc == 1)   /* one loop: as fast as two here (measured) */
				continue;
			__m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm);
			__m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 16), vm);
			__m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 24), vm);
			f1 = _mm256_add_ps(f1, _mm256_mul_ps(d1, d1));
			f2 = _mm256_add_ps(f2, _mm256_mul_ps(d2, d2));
			f3 = _mm256_add_ps(f3, _mm256_mul_ps(d3, d3));
		}
		nn_add8_pd(&s0, &s1, f0);
		if (nc == 1)
			continue;
		nn_add8_pd(&s0, &s1, f1);
		nn_add8_pd(&s0, &s1, f2);
		nn_add8_pd(&s0, &s1, f3);
	}
	for (; i + 8 <= n; i += 8) {   /* the rest, eight at a time */
		__m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), vm);
		__m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(d));
		__m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(d, 1));
		s0 = _mm256_add_pd(s0, _mm256_mul_pd(lo, lo));
		s1 = _mm256_add_pd(s1, _mm256_mul_pd(hi, hi));
	}
	_mm256_storeu_pd(s, s0);
	_mm256_storeu_pd(s + 4, s1);
#else
	while (i + step <= n) {
		float f[8 * NN_CHAINS] = {0};
		for (int j = 0; j < NN_SUM_BLOCK && i + step <= n; j++, i += step)
			for (int l = 0; l < step; l++) {
				float d = x[i + l] - mean;
				float q = d * d;
				f[l] += q;
			}
		for (int l = 0; l < step; l++)
			s[l % 8] += f[l];
	}
#endif
	for (; i < n; i++) {
		float d = x[i] - mean;
		s[i % 8] += (double)d * d;
	}
	return nn_lanes_total(s);
}

/* Batch norm's statistics a plane at a time (ops/norm.c): m[0] = Σ x,
 * m[1] = Σ (x − the plane's mean)², the second pass over the plane while
 * it is in cache.  The squares are about the float nearest the mean, mf;
 * Σ (x − mean)² = Σ (x − mf)² − n·(mean − mf)². */
NN_KERNEL void nn_plane_moments(const float *x, long n, double *m)
{
	const double sum = nn_sum(x, n), mean = sum / (double)n;
	const float mf = (float)mean;
	const double e = mean - mf;
	m[0] = sum;
	m[1] = nn_sum_sqdev(x, n, mf) - (double)n * e * e;
}

/* y [3,C]: each channel's mean, 1/√(var + eps) and biased var from the
 * moments m [B,C,2] of its B planes of n values, added in sample order:
 * M2 = Σ_b M2_b + n·(mean_b − mean)² (Chan, Golub and LeVeque), where
 * each M2_b is about the plane's own mean, so no sum of squares ever
 * dwarfs the variance it carries. */
NN_KERNEL void nn_bn_moments(const double *m, int B, int C, long n,
                             double eps, float *y)
{
	const double N = (double)B * (double)n;
	for (int c = 0; c < C; c++) {
		double sum = 0, m2 = 0;
		for (int b = 0; b < B; b++)
			sum += m[((long)b * C + c) * 2];
		const double mean = sum / N;
		for (int b = 0; b < B; b++) {
			const double *p = m + ((long)b * C + c) * 2;
			const double d = p[0] / (double)n - mean;
			m2 += p[1] + (double)n * d * d;
		}
		const double var = m2 / N;
		y[c] = (float)mean;
		y[C + c] = (float)(1 / sqrt(var + eps));
		y[2 * C + c] = (float)var;
	}
}

/* dx = kx·(m·dy − mdb − x̂·mdg), kx = γ·istd, mdb and mdg the sums / N;
 * m = 1 without relu (the unfused bn_dx, whose dy is masked already) */
NN_KERNEL void nn_bn_dx(const float *dy, const float *x, float *dx, long n,
                        float mean, float istd, float k, float beta, float kx,
                        float mdb, float mdg, int relu)
{
	long i = 0;
#if defined(NN_AVX512) || defined(NN_AVX2)
	const __m256 vm = _mm256_set1_ps(mean), vk = _mm256_set1_ps(k);
	const __m256 vb = _mm256_set1_ps(beta), vi = _mm256_set1_ps(istd);
	const __m256 vkx = _mm256_set1_ps(kx), vdb = _mm256_set1_ps(mdb);
	const __m256 vdg = _mm256_set1_ps(mdg), z = _mm256_setzero_ps();
	for (; i + 8 <= n; i += 8) {
		__m256 xv = _mm256_loadu_ps(x + i);
		__m256 g = _mm256_loadu_ps(dy + i);
		if (relu)
			g = _mm256_and_ps(_mm256_cmp_ps(nn_bn_val8(xv, vm, vk, vb), z,
			                                _CMP_GT_OQ), g);
		__m256 xh = _mm256_mul_ps(_mm256_sub_ps(xv, vm), vi);
		__m256 d = _mm256_sub_ps(_mm256_sub_ps(g, vdb),
		                         _mm256_mul_ps(xh, vdg));
		_mm256_storeu_ps(dx + i, _mm256_mul_ps(vkx, d));
	}
#endif
	for (const float *xe = x + n; x + i < xe; i++) {
		float g = nn_bn_masked(dy[i], x[i], mean, k, beta, relu);
		dx[i] = nn_bn_dx1(g, x[i], mean, istd, kx, mdb, mdg);
	}
}

/* ---- pooling (ops/pool.c): 2×2 windows, stride 2, no padding ----
 * Branch-free: a max over random data mispredicts every other compare.
 * The order is PyTorch's: the window row by row, a value replacing the
 * running maximum only when greater or NaN, so NaN propagates and ties go
 * to the first. */
NN_KERNEL float nn_maxsel(float m, float v)
{
	float r = v > m ? v : m;   /* one maxss, no branch */
	return v != v ? v : r;
}

/* Whether v takes over from the running maximum m, as 0 or 1 */
NN_KERNEL int nn_takes(float v, float m)
{
	return (v > m) | (v != v);
}

#if defined(NN_AVX512) || defined(NN_AVX2)
/* Eight windows' running maxima: v replaces m where greater or NaN. */
NN_KERNEL __m256 nn_maxsel8(__m256 m, __m256 v)
{
	__m256 take = _mm256_or_ps(_mm256_cmp_ps(v, m, _CMP_GT_OQ),
	                           _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
	return _mm256_blendv_ps(m, v, take);
}

/* The even and the odd columns of 16 floats (a: the first 8), in order. */
NN_KERNEL void nn_deinterleave8v(__m256 a, __m256 b, __m256 *even, __m256 *odd)
{
	*even = _mm256_castpd_ps(_mm256_permute4x64_pd(
	    _mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xd8));
	*odd = _mm256_castpd_ps(_mm256_permute4x64_pd(
	    _mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xdd)), 0xd8));
}

NN_KERNEL void nn_deinterleave8(const float *p, __m256 *even, __m256 *odd)
{
	nn_deinterleave8v(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), even, odd);
}

#endif

NN_KERNEL void nn_maxpool2(const float *x, int W, int OH, int OW, float *y)
{
	for (int oh = 0; oh < OH; oh++) {
		const float *r0 = x + (long)2 * oh * W, *r1 = r0 + W;
		float *yr = y + (long)oh * OW;
		int ow = 0;
#if defined(NN_AVX512) || defined(NN_AVX2)
		for (; OW >= 8 && ow < OW; ow += 8) {  /* eight windows at once; */
			if (ow + 8 > OW)                 /* the last eight overlap */
				ow = OW - 8;
			__m256 a, b, c, d;
			nn_deinterleave8(r0 + 2 * ow, &a, &b);
			nn_deinterleave8(r1 + 2 * ow, &c, &d);
			_mm256_storeu_ps(yr + ow, nn_maxsel8(nn_maxsel8(nn_maxsel8(a, b),
			                                                c), d));
		}
		if (OW < 8) {   /* one row of windows, its loads and stores masked */
			int n = 2 * OW;
			__m256 a, b, c, d;
			nn_deinterleave8v(nn_mload8(r0, n), nn_mload8(r0 + 8, n - 8),
			                  &a, &b);
			nn_deinterleave8v(nn_mload8(r1, n), nn_mload8(r1 + 8, n - 8),
			                  &c, &d);
			nn_mstore8(yr, OW, nn_maxsel8(nn_maxsel8(nn_maxsel8(a, b), c), d));
			ow = OW;
		}
#endif
		for (; ow < OW; ow++) {
			float m = nn_maxsel(r0[2 * ow], r0[2 * ow + 1]);
			m = nn_maxsel(m, r1[2 * ow]);
			yr[ow] = nn_maxsel(m, r1[2 * ow + 1]);
		}
	}
}

#if defined(NN_AVX512) || defined(NN_AVX2)
/* Eight 2x2 windows side by side: rows r0 and r1 (16 floats each, in two
 * vectors), their gradients g into d0 and d1 (the same); the winner of
 * each window takes it. */
NN_KERNEL void nn_maxpool2_grad8v(const __m256 r0[2], const __m256 r1[2],
                                  __m256 g, __m256 d0[2], __m256 d1[2])
{
	__m256 a, b, c, d;
	nn_deinterleave8v(r0[0], r0[1], &a, &b);
	nn_deinterleave8v(r1[0], r1[1], &c, &d);
	__m256 tb = _mm256_or_ps(_mm256_cmp_ps(b, a, _CMP_GT_OQ),
	                         _mm256_cmp_ps(b, b, _CMP_UNORD_Q));
	__m256 m = _mm256_blendv_ps(a, b, tb);
	__m256 tc = _mm256_or_ps(_mm256_cmp_ps(c, m, _CMP_GT_OQ),
	                         _mm256_cmp_ps(c, c, _CMP_UNORD_Q));
	m = _mm256_blendv_ps(m, c, tc);
	__m256 td = _mm256_or_ps(_mm256_cmp_ps(d, m, _CMP_GT_OQ),
	                         _mm256_cmp_ps(d, d, _CMP_UNORD_Q));
	/* the winner: the last to take over */
	__m256 gd = _mm256_and_ps(g, td);
	__m256 gc = _mm256_andnot_ps(td, _mm256_and_ps(g, tc));
	__m256 gb = _mm256_andnot_ps(_mm256_or_ps(tc, td),
	                             _mm256_and_ps(g, tb));
	__m256 ga = _mm256_andnot_ps(_mm256_or_ps(tb, _mm256_or_ps(tc, td)),
	                             g);
	__m256 lo = _mm256_unpacklo_ps(ga, gb), hi = _mm256_unpackhi_ps(ga, gb);
	d0[0] = _mm256_permute2f128_ps(lo, hi, 0x20);
	d0[1] = _mm256_permute2f128_ps(lo, hi, 0x31);
	lo = _mm256_unpacklo_ps(gc, gd);
	hi = _mm256_unpackhi_ps(gc, gd);
	d1[0] = _mm256_permute2f128_ps(lo, hi, 0x20);
	d1[1] = _mm256_permute2f128_ps(lo, hi, 0x31);
}

NN_KERNEL void nn_maxpool2_grad8(const float *r0, const float *r1,
                                 const float *dyr, float *d0, float *d1)
{
	__m256 a[2] = {_mm256_loadu_ps(r0), _mm256_loadu_ps(r0 + 8)};
	__m256 b[2] = {_mm256_loadu_ps(r1), _mm256_loadu_ps(r1 + 8)};
	__m256 o0[2], o1[2];
	nn_maxpool2_grad8v(a, b, _mm256_loadu_ps(dyr), o0, o1);
	_mm256_storeu_ps(d0, o0[0]);
	_mm256_storeu_ps(d0 + 8, o0[1]);
	_mm256_storeu_ps(d1, o1[0]);
	_mm256_storeu_ps(d1 + 8, o1[1]);
}
#endif

/* dx [H,W] = dy routed to each window's first maximum in x; the rows and
 * columns no window covers (an odd H or W) get 0. */
NN_KERNEL void nn_maxpool2_grad(const float *x, const float *dy, int H,
                                int W, int OH, int OW, float *dx)
{
	if (H != 2 * OH || W != 2 * OW)   /* else the windows write every dx */
		for (long i = 0; i < (long)H * W; i++)
			dx[i] = 0;
	for (int oh = 0; oh < OH; oh++) {
		const float *r0 = x + (long)2 * oh * W, *r1 = r0 + W;
		float *d0 = dx + (long)2 * oh * W, *d1 = d0 + W;
		const float *dyr = dy + (long)oh * OW;
		int ow = 0;
#if defined(NN_AVX512) || defined(NN_AVX2)
		for (; OW >= 8 && ow < OW; ow += 8) {  /* eight windows at once; */
			if (ow + 8 > OW)                 /* the last eight overlap */
				ow = OW - 8;
			nn_maxpool2_grad8(r0 + 2 * ow, r1 + 2 * ow, dyr + ow,
			                  d0 + 2 * ow, d1 + 2 * ow);
		}
		if (OW < 8) {   /* one row of windows, its loads and stores masked */
			int n = 2 * OW;
			__m256 a[2] = {nn_mload8(r0, n), nn_mload8(r0 + 8, n - 8)};
			__m256 b[2] = {nn_mload8(r1, n), nn_mload8(r1 + 8, n - 8)};
			__m256 o0[2], o1[2];
			nn_maxpool2_grad8v(a, b, nn_mload8(dyr, OW), o0, o1);
			nn_mstore8(d0, n, o0[0]);
			nn_mstore8(d0 + 8, n - 8, o0[1]);
			nn_mstore8(d1, n, o1[0]);
			nn_mstore8(d1 + 8, n - 8, o1[1]);
			ow = OW;
		}
#endif
		for (; ow < OW; ow++) {
			float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow],
			      d = r1[2 * ow + 1], m = a;
			int at = 0, t;   /* selects, not branches: a coin flip each */
			t = nn_takes(b, m);
			m = t ? b : m;
			at = t ? 1 : at;
			t = nn_takes(c, m);
			m = t ? c : m;
			at = t ? 2 : at;
			at = nn_takes(d, m) ? 3 : at;
			float g = dyr[ow];
			d0[2 * ow] = at == 0 ? g : 0;
			d0[2 * ow + 1] = at == 1 ? g : 0;
			d1[2 * ow] = at == 2 ? g : 0;
			d1[2 * ow + 1] = at == 3 ? g : 0;
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
