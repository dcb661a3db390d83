/*
 * test_runtime.c — tests for libnncc_rt.
 *
 * One program, many small test functions, one CHECK macro that names the
 * file and line of a failure.  Files go to a mkdtemp directory that is
 * removed at the end.  rt_train_main runs in a forked child with stdout
 * and stderr sent to files, so its output can be read back.
 *
 *	cc -std=c11 -D_POSIX_C_SOURCE=200809L -o test_runtime
 *	   tests/test_runtime.c tests/rt_fake_model.c runtime/rt_*.c -lm
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../runtime/nncc_rt.h"

extern const RtModel rt_fake_model;

#define PI 3.14159265358979323846

static int passed, failed;

#define CHECK(c) check((c), __FILE__, __LINE__, #c)

static int
check(int ok, const char *file, int line, const char *what)
{
	if (ok) {
		passed++;
	} else {
		failed++;
		printf("%s:%d: check failed: %s\n", file, line, what);
		fflush(stdout);
	}
	return ok;
}

/* ---- Helpers ----------------------------------------------------------- */

static char tmpdir[64];

/* dir/name in one of a few rotating buffers, so two can be live at once. */
static const char *
tmp(const char *name)
{
	static char buf[8][512];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
	return buf[k];
}

static void
write_file(const char *path, const void *data, size_t n)
{
	FILE *f;

	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fwrite(data, 1, n, f);
	fclose(f);
}

static void
write_text(const char *path, const char *s)
{
	write_file(path, s, strlen(s));
}

/* Reads a whole file; *n gets its size.  The buffer is NUL-terminated. */
static char *
read_file(const char *path, size_t *n)
{
	FILE *f;
	char *buf;
	long size;

	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)size + 1);
	if (fread(buf, 1, (size_t)size, f) != (size_t)size)
		size = 0;
	buf[size] = 0;
	fclose(f);
	if (n)
		*n = (size_t)size;
	return buf;
}

/* An IDX file: type code, dims, then the elements already big-endian. */
static void
write_idx(const char *path, int type, int ndims, const uint32_t *dims,
          const void *data, size_t bytes)
{
	unsigned char *buf;
	size_t k;
	int i;

	buf = malloc(4 + 4 * (size_t)ndims + bytes);
	buf[0] = buf[1] = 0;
	buf[2] = (unsigned char)type;
	buf[3] = (unsigned char)ndims;
	k = 4;
	for (i = 0; i < ndims; i++) {
		buf[k++] = (unsigned char)(dims[i] >> 24);
		buf[k++] = (unsigned char)(dims[i] >> 16);
		buf[k++] = (unsigned char)(dims[i] >> 8);
		buf[k++] = (unsigned char)dims[i];
	}
	memcpy(buf + k, data, bytes);
	write_file(path, buf, k + bytes);
	free(buf);
}

static int
contains(const char *s, const char *sub)
{
	return s && strstr(s, sub) != NULL;
}

/* ---- RNG --------------------------------------------------------------- */

/* A second xoshiro256** + SplitMix64, written from the published
 * definitions independently of rt_rng.c (rotation by hand, state as
 * named variables), to check the library against. */
typedef struct Ref {
	uint64_t a, b, c, d;
} Ref;

static uint64_t
ref_splitmix(uint64_t *state)
{
	uint64_t z;

	*state = *state + UINT64_C(0x9E3779B97F4A7C15);
	z = *state;
	z ^= z >> 30;
	z *= UINT64_C(0xBF58476D1CE4E5B9);
	z ^= z >> 27;
	z *= UINT64_C(0x94D049BB133111EB);
	z ^= z >> 31;
	return z;
}

static void
ref_seed(Ref *r, uint64_t seed)
{
	r->a = ref_splitmix(&seed);
	r->b = ref_splitmix(&seed);
	r->c = ref_splitmix(&seed);
	r->d = ref_splitmix(&seed);
}

static uint64_t
ref_next(Ref *r)
{
	uint64_t x, out, t;

	x = r->b * 5;
	x = (x << 7) | (x >> 57);
	out = x * 9;
	t = r->b << 17;
	r->c ^= r->a;
	r->d ^= r->b;
	r->b ^= r->c;
	r->a ^= r->d;
	r->c ^= t;
	r->d = (r->d << 45) | (r->d >> 19);
	return out;
}

static void
test_rng_vectors(void)
{
	static const uint64_t seeds[] = {0, 1, 42, 1234567, UINT64_MAX};
	RtRng r;
	Ref ref;
	int i, k, same;

	/* SplitMix64 from 1234567: the widely published first outputs. */
	rt_rng_seed(&r, 1234567);
	CHECK(r.s[0] == UINT64_C(6457827717110365317));
	CHECK(r.s[1] == UINT64_C(3203168211198807973));
	CHECK(r.s[2] == UINT64_C(9817491932198370423));
	CHECK(r.s[3] == UINT64_C(4593380528125082431));
	rt_rng_seed(&r, 0);
	CHECK(r.s[0] == UINT64_C(0xe220a8397b1dcdaf));
	/* xoshiro256** from that state (computed separately in Python). */
	rt_rng_seed(&r, 1234567);
	CHECK(rt_rng_u64(&r) == UINT64_C(0x30a3a1c363600467));
	CHECK(rt_rng_u64(&r) == UINT64_C(0x19405f0f579929ca));
	CHECK(rt_rng_u64(&r) == UINT64_C(0x115beaac046ddbd9));
	CHECK(rt_rng_u64(&r) == UINT64_C(0xeb17caf48f27d7f6));
	for (k = 0; k < 5; k++) {
		rt_rng_seed(&r, seeds[k]);
		ref_seed(&ref, seeds[k]);
		same = 1;
		for (i = 0; i < 1000; i++)
			same &= rt_rng_u64(&r) == ref_next(&ref);
		CHECK(same);
	}
}

static void
test_rng_below(void)
{
	enum { N = 100000, M = 10 };
	int count[M], i, ok;
	uint32_t v;
	RtRng r;

	rt_rng_seed(&r, 7);
	memset(count, 0, sizeof count);
	ok = 1;
	for (i = 0; i < N; i++) {
		v = rt_rng_below(&r, M);
		ok &= v < M;
		if (v < M)
			count[v]++;
	}
	CHECK(ok);
	for (i = 0; i < M; i++)
		CHECK(count[i] > N / M * 0.95 && count[i] < N / M * 1.05);
	ok = 1;
	for (i = 0; i < 1000; i++)
		ok &= rt_rng_below(&r, 1) == 0;
	CHECK(ok);
	/* A bound just past 2^31 rejects half the draws; still in range, and
	 * about half land in the top half. */
	ok = 1;
	v = 0;
	for (i = 0; i < 10000; i++) {
		uint32_t x = rt_rng_below(&r, 0x80000001u);
		ok &= x <= 0x80000000u;
		v += x >= 0x40000000u;
	}
	CHECK(ok);
	CHECK(v > 4700 && v < 5300);
}

static void
test_rng_uniform_normal(void)
{
	enum { N = 100000 };
	double sum, sq, mean, sd;
	float u, z, a[16];
	RtRng r, r2;
	int i, ok;

	rt_rng_seed(&r, 3);
	ok = 1;
	sum = 0;
	for (i = 0; i < N; i++) {
		u = rt_rng_uniform(&r);
		ok &= u >= 0 && u < 1 && u * 16777216.0f == floorf(u * 16777216.0f);
		sum += u;
	}
	CHECK(ok);
	CHECK(fabs(sum / N - 0.5) < 0.005);
	sum = sq = 0;
	ok = 1;
	for (i = 0; i < N; i++) {
		z = rt_rng_normal(&r);
		ok &= isfinite(z);
		sum += z;
		sq += (double)z * z;
	}
	mean = sum / N;
	sd = sqrt(sq / N - mean * mean);
	CHECK(ok);
	CHECK(fabs(mean) < 0.015);
	CHECK(fabs(sd - 1) < 0.015);
	/* The state alone is the stream: copy it, draw the same values. */
	r2 = r;
	for (i = 0; i < 16; i++)
		a[i] = rt_rng_normal(&r);
	ok = 1;
	for (i = 0; i < 16; i++)
		ok &= rt_rng_normal(&r2) == a[i];
	CHECK(ok);
}

static void
test_shuffle(void)
{
	enum { N = 1000 };
	int32_t a[N], b[N], seen[N];
	RtRng r;
	int i, ok, moved;

	for (i = 0; i < N; i++)
		a[i] = b[i] = i;
	rt_rng_seed(&r, 11);
	rt_shuffle(a, N, &r);
	rt_rng_seed(&r, 11);
	rt_shuffle(b, N, &r);
	memset(seen, 0, sizeof seen);
	ok = 1;
	moved = 0;
	for (i = 0; i < N; i++) {
		ok &= a[i] >= 0 && a[i] < N && !seen[a[i]];
		if (a[i] >= 0 && a[i] < N)
			seen[a[i]] = 1;
		moved += a[i] != i;
	}
	CHECK(ok);
	CHECK(moved > N * 9 / 10);
	CHECK(memcmp(a, b, sizeof a) == 0);
	rt_rng_seed(&r, 12);
	rt_shuffle(b, N, &r);
	CHECK(memcmp(a, b, sizeof a) != 0);
	a[0] = 5;
	rt_shuffle(a, 1, &r);
	rt_shuffle(a, 0, &r);
	CHECK(a[0] == 5);
}

/* ---- IDX --------------------------------------------------------------- */

static void
test_idx_load(void)
{
	uint32_t d3[3] = {3, 2, 2}, d4[4] = {2, 2, 1, 3}, d2[2] = {2, 2};
	uint32_t d1[1] = {3};
	unsigned char px[12], lab[3] = {0, 9, 4}, fl[16];
	float vals[4] = {1.5f, -2.0f, 0.25f, 1e-3f};
	int32_t il[3] = {1, 2, 3};
	unsigned char ib[12], sb[4];
	RtData d;
	RtErr e;
	int i, ok;

	for (i = 0; i < 12; i++)
		px[i] = (unsigned char)(i * 20);
	write_idx(tmp("img3"), 0x08, 3, d3, px, 12);
	write_idx(tmp("lab"), 0x08, 1, d1, lab, 3);
	CHECK(rt_load_idx(&d, tmp("img3"), tmp("lab"), 1 / 255.0f, 10, &e) == 0);
	CHECK(d.n == 3 && d.dim == 4 && d.rank == 3);
	CHECK(d.dims[0] == 1 && d.dims[1] == 2 && d.dims[2] == 2);
	CHECK(d.y && d.y[1] == 9 && d.y[2] == 4 && !d.t);
	CHECK(d.x && fabsf(d.x[5] - 100 / 255.0f) < 1e-6f);
	rt_data_free(&d);
	CHECK(d.x == NULL && d.n == 0);

	/* [N,C,H,W] keeps its channels. */
	write_idx(tmp("img4"), 0x08, 4, d4, px, 12);
	write_idx(tmp("lab2"), 0x08, 1, d2, lab, 2);
	CHECK(rt_load_idx(&d, tmp("img4"), tmp("lab2"), 1, 10, &e) == 0);
	CHECK(d.n == 2 && d.dim == 6 && d.rank == 3 && d.dims[0] == 2 &&
	      d.dims[1] == 1 && d.dims[2] == 3);
	CHECK(d.x[11] == 220);
	rt_data_free(&d);

	/* Float [N,D], big-endian in the file. */
	for (i = 0; i < 4; i++) {
		uint32_t u;
		memcpy(&u, &vals[i], 4);
		fl[4 * i] = (unsigned char)(u >> 24);
		fl[4 * i + 1] = (unsigned char)(u >> 16);
		fl[4 * i + 2] = (unsigned char)(u >> 8);
		fl[4 * i + 3] = (unsigned char)u;
	}
	write_idx(tmp("imgf"), 0x0d, 2, d2, fl, 16);
	CHECK(rt_load_idx(&d, tmp("imgf"), NULL, 2, 0, &e) == 0);
	CHECK(d.n == 2 && d.dim == 2 && d.rank == 1 && d.dims[0] == 2);
	ok = 1;
	for (i = 0; i < 4; i++)
		ok &= d.x[i] == 2 * vals[i];
	CHECK(ok);
	CHECK(!d.y && !d.t);
	rt_data_free(&d);

	/* int labels, signed bytes, shorts; classes 0 gives float targets. */
	for (i = 0; i < 3; i++) {
		ib[4 * i] = ib[4 * i + 1] = ib[4 * i + 2] = 0;
		ib[4 * i + 3] = (unsigned char)il[i];
	}
	write_idx(tmp("labi"), 0x0c, 1, d1, ib, 12);
	CHECK(rt_load_idx(&d, tmp("img3"), tmp("labi"), 1, 4, &e) == 0);
	CHECK(d.y && d.y[0] == 1 && d.y[2] == 3);
	rt_data_free(&d);
	CHECK(rt_load_idx(&d, tmp("img3"), tmp("labi"), 1, 0, &e) == 0);
	CHECK(!d.y && d.t && d.tdim == 1 && d.t[2] == 3.0f);
	rt_data_free(&d);
	sb[0] = 0xff; sb[1] = 0xfe; sb[2] = 0x01; sb[3] = 0x00;
	write_idx(tmp("imgs"), 0x0b, 1, d2, sb, 4);
	write_idx(tmp("imgb"), 0x09, 2, d2, sb, 4);
	CHECK(rt_load_idx(&d, tmp("imgs"), NULL, 1, 0, &e) == 0);
	CHECK(d.n == 2 && d.dim == 1 && d.x[0] == -2 && d.x[1] == 256);
	rt_data_free(&d);
	CHECK(rt_load_idx(&d, tmp("imgb"), NULL, 1, 0, &e) == 0);
	CHECK(d.x[0] == -1 && d.x[1] == -2 && d.x[2] == 1 && d.x[3] == 0);
	rt_data_free(&d);
}

/* Each case must fail, name the file and leave nothing allocated. */
static void
idx_fails(const char *images, const char *labels, int classes,
          const char *file, const char *words, int line)
{
	RtData d;
	RtErr e;
	int rc;

	memset(&e, 0, sizeof e);
	rc = rt_load_idx(&d, images, labels, 1, classes, &e);
	check(rc == -1, __FILE__, line, "rt_load_idx fails");
	check(contains(e.msg, file), __FILE__, line, "message names the file");
	check(contains(e.msg, words), __FILE__, line, e.msg);
	check(d.x == NULL && d.y == NULL && d.t == NULL, __FILE__, line,
	      "nothing left allocated");
}

static void
test_idx_errors(void)
{
	uint32_t d3[3] = {3, 2, 2}, d1[1] = {3}, d1b[1] = {4}, big[3] = {3, 2, 3};
	unsigned char px[13] = {0}, lab[4] = {0, 1, 2, 3}, bad[8] = {1, 2, 8, 1};
	float fl[3] = {0, 1, 2};

	write_idx(tmp("e_img"), 0x08, 3, d3, px, 12);
	write_idx(tmp("e_lab"), 0x08, 1, d1, lab, 3);
	idx_fails(tmp("nope"), NULL, 0, tmp("nope"), "cannot open", __LINE__);
	write_file(tmp("e_magic"), bad, 8);
	idx_fails(tmp("e_magic"), NULL, 0, tmp("e_magic"), "magic", __LINE__);
	write_file(tmp("e_short"), bad, 2);
	idx_fails(tmp("e_short"), NULL, 0, tmp("e_short"), "magic", __LINE__);
	write_idx(tmp("e_type"), 0x0a, 3, d3, px, 12);
	idx_fails(tmp("e_type"), NULL, 0, tmp("e_type"), "type", __LINE__);
	write_idx(tmp("e_trunc"), 0x08, 3, big, px, 12);
	idx_fails(tmp("e_trunc"), NULL, 0, tmp("e_trunc"), "truncated",
	          __LINE__);
	write_file(tmp("e_hdr"), "\0\0\x08\x03\0\0", 6);
	idx_fails(tmp("e_hdr"), NULL, 0, tmp("e_hdr"), "truncated", __LINE__);
	write_idx(tmp("e_long"), 0x08, 3, d3, px, 13);
	idx_fails(tmp("e_long"), NULL, 0, tmp("e_long"), "after the data",
	          __LINE__);
	write_idx(tmp("e_count"), 0x08, 1, d1b, lab, 4);
	idx_fails(tmp("e_img"), tmp("e_count"), 10, tmp("e_count"), "4 labels",
	          __LINE__);
	idx_fails(tmp("e_img"), tmp("e_lab"), 2, tmp("e_lab"), "outside [0,2)",
	          __LINE__);
	write_idx(tmp("e_flab"), 0x0d, 1, d1, fl, 12);
	idx_fails(tmp("e_img"), tmp("e_flab"), 10, tmp("e_flab"), "integer",
	          __LINE__);
	idx_fails(tmp("e_img"), tmp("e_nolab"), 10, tmp("e_nolab"),
	          "cannot open", __LINE__);
}

/* ---- CSV --------------------------------------------------------------- */

static void
test_csv_load(void)
{
	RtData d;
	RtErr e;

	write_text(tmp("a.csv"), "f1,f2,label\n1,2,0\r\n\n 3 , 4.5 ,2\n-1e1,0,1\n");
	CHECK(rt_load_csv(&d, tmp("a.csv"), -1, 1, 2, 3, &e) == 0);
	CHECK(d.n == 3 && d.dim == 2 && d.rank == 1 && d.dims[0] == 2);
	CHECK(d.x[0] == 2 && d.x[1] == 4 && d.x[3] == 9 && d.x[4] == -20);
	CHECK(d.y && d.y[0] == 0 && d.y[1] == 2 && d.y[2] == 1 && !d.t);
	rt_data_free(&d);

	write_text(tmp("b.csv"), "1,0.5,0.25\n0,1,1\n");
	CHECK(rt_load_csv(&d, tmp("b.csv"), 0, 0, 1, 2, &e) == 0);
	CHECK(d.n == 2 && d.dim == 2 && d.y[0] == 1 && d.y[1] == 0);
	CHECK(d.x[0] == 0.5f && d.x[1] == 0.25f && d.x[3] == 1);
	rt_data_free(&d);

	/* classes 0: the label column is a float target. */
	CHECK(rt_load_csv(&d, tmp("b.csv"), 1, 0, 1, 0, &e) == 0);
	CHECK(!d.y && d.t && d.tdim == 1 && d.t[0] == 0.5f && d.t[1] == 1);
	CHECK(d.x[0] == 1 && d.x[1] == 0.25f);
	rt_data_free(&d);
}

static void
csv_fails(const char *text, int label, int classes, const char *words,
          int line)
{
	RtData d;
	RtErr e;
	int rc;

	write_text(tmp("bad.csv"), text);
	memset(&e, 0, sizeof e);
	rc = rt_load_csv(&d, tmp("bad.csv"), label, 1, 1, classes, &e);
	check(rc == -1, __FILE__, line, "rt_load_csv fails");
	check(contains(e.msg, tmp("bad.csv")), __FILE__, line, "names the file");
	check(contains(e.msg, words), __FILE__, line, e.msg);
	check(d.x == NULL && d.y == NULL && d.t == NULL, __FILE__, line,
	      "nothing left allocated");
}

static void
test_csv_errors(void)
{
	RtData d;
	RtErr e;

	csv_fails("a,b,c\n1,2,0\n1,x2,0\n", -1, 3, ":3: column 2: 'x2' is not",
	          __LINE__);
	csv_fails("a,b,c\n1,2,0\n\n1,2\n", -1, 3, ":4: 2 columns, but line 2 has 3",
	          __LINE__);
	csv_fails("a,b,c\n1,nan,0\n", -1, 3, ":2: column 2: 'nan' is not a finite",
	          __LINE__);
	csv_fails("a,b,c\n1,inf,0\n", -1, 3, ":2: column 2", __LINE__);
	csv_fails("a,b,c\n1,1e300,0\n", -1, 3, ":2: column 2", __LINE__);
	csv_fails("a,b,c\n1,2,3\n", -1, 3, ":2: label 3 is not a class", __LINE__);
	csv_fails("a,b,c\n1,2,0.5\n", -1, 3, ":2: label 0.5", __LINE__);
	csv_fails("a,b,c\n1,,0\n", -1, 3, ":2: column 2 is empty", __LINE__);
	csv_fails("a,b,c\n", -1, 3, "no data rows", __LINE__);
	csv_fails("", -1, 3, "no data rows", __LINE__);
	csv_fails("a,b\n1,2\n", 5, 3, "label column 6", __LINE__);
	csv_fails("a\n1\n", -1, 3, "only the label", __LINE__);
	memset(&e, 0, sizeof e);
	CHECK(rt_load_csv(&d, tmp("missing.csv"), -1, 0, 1, 3, &e) == -1);
	CHECK(contains(e.msg, tmp("missing.csv")));
}

static void
test_load_split_gather(void)
{
	RtDataSpec s;
	RtData d, v;
	RtErr e;
	int32_t idx[2] = {3, 0}, y[2];
	float x[4], t[2];

	write_text(tmp("s.csv"), "1,1,0\n2,2,1\n3,3,0\n4,4,1\n5,5,0\n");
	memset(&s, 0, sizeof s);
	s.kind = RT_DATA_CSV;
	s.a = "s.csv";
	s.label_col = -1;
	CHECK(rt_load(&d, &s, tmpdir, 2, &e) == 0);
	CHECK(d.n == 5 && d.x[8] == 5);    /* scale 0 is taken as 1 */
	rt_data_free(&d);
	s.a = tmp("s.csv");                /* absolute: dir is ignored */
	CHECK(rt_load(&d, &s, "/nonexistent", 2, &e) == 0);
	rt_data_free(&d);
	s.a = "s.csv";
	CHECK(rt_load(&d, &s, "/nonexistent", 2, &e) == -1);
	CHECK(contains(e.msg, "/nonexistent/s.csv"));
	s.kind = RT_DATA_NONE;
	CHECK(rt_load(&d, &s, NULL, 2, &e) == -1);

	s.kind = RT_DATA_CSV;
	s.scale = 0.5f;
	CHECK(rt_load(&d, &s, tmpdir, 2, &e) == 0);
	CHECK(d.x[0] == 0.5f);
	rt_gather(&d, idx, 2, x, y);
	CHECK(x[0] == 2 && x[1] == 2 && x[2] == 0.5f && y[0] == 1 && y[1] == 0);
	CHECK(rt_data_split(&d, &v, 0.4, &e) == 0);
	CHECK(d.n == 3 && v.n == 2 && v.dim == 2);
	CHECK(v.x[0] == 2 && v.x[3] == 2.5f && v.y[0] == 1 && v.y[1] == 0);
	rt_data_free(&v);
	CHECK(rt_data_split(&d, &v, 0.1, &e) == -1);  /* 0 samples */
	CHECK(rt_data_split(&d, &v, 1.0, &e) == -1);
	CHECK(v.x == NULL);
	rt_data_free(&d);

	CHECK(rt_load_csv(&d, tmp("s.csv"), 0, 0, 1, 0, &e) == 0);
	rt_gather(&d, idx, 2, x, t);
	CHECK(t[0] == 4 && t[1] == 1 && x[0] == 4 && x[3] == 0);
	CHECK(rt_data_split(&d, &v, 0.5, &e) == 0);
	CHECK(v.n == 2 && v.t && v.t[1] == 5 && !v.y);
	rt_data_free(&v);
	rt_data_free(&d);
}

/* ---- Safetensors ------------------------------------------------------- */

static float sa[6], sb[3], sc[1], sd[16];

static void
fill_tensors(RtTensor *t)
{
	uint32_t nanbits = 0x7fc12345u;
	int i;

	for (i = 0; i < 6; i++)
		sa[i] = (float)i * 0.1f - 0.2f;
	memcpy(&sa[5], &nanbits, 4);       /* a NaN payload must survive */
	sb[0] = -0.0f;
	sb[1] = 1e-45f;                    /* denormal */
	sb[2] = INFINITY;
	sc[0] = 42;
	for (i = 0; i < 16; i++)
		sd[i] = (float)i;
	memset(t, 0, 5 * sizeof *t);
	t[0] = (RtTensor){"lin\"ear1.weight\\", 2, {2, 3}, sa, 0};
	t[1] = (RtTensor){"b\n\x01ias é", 1, {3}, sb, 0};
	t[2] = (RtTensor){"scalar", 0, {0}, sc, 0};
	t[3] = (RtTensor){"conv.weight", 4, {2, 2, 2, 2}, sd, 0};
	t[4] = (RtTensor){"empty", 2, {0, 5}, NULL, 0};
}

static void
test_st_roundtrip(void)
{
	RtTensor t[5], u[5];
	float a[6], b[3], c[1], d[16];
	RtMeta m, m2;
	RtErr e;
	char *buf;
	size_t n;
	uint64_t hlen;
	int i;

	fill_tensors(t);
	memset(&m, 0, sizeof m);
	rt_meta_set(&m, "format", "pt");
	rt_meta_set(&m, "quote\"key", "va\\lue\twith \"escapes\"");
	CHECK(rt_st_save(tmp("rt.st"), t, 5, &m, &e) == 0);
	CHECK(access(tmp("rt.st.tmp"), F_OK) != 0);
	memcpy(u, t, sizeof u);
	u[0].data = a;
	u[1].data = b;
	u[2].data = c;
	u[3].data = d;
	memset(&m2, 0, sizeof m2);
	CHECK(rt_st_load(tmp("rt.st"), u, 5, &m2, &e) == 0);
	CHECK(memcmp(a, sa, sizeof a) == 0);
	CHECK(memcmp(b, sb, sizeof b) == 0);
	CHECK(memcmp(c, sc, sizeof c) == 0);
	CHECK(memcmp(d, sd, sizeof d) == 0);
	CHECK(m2.n == 2);
	CHECK(contains(rt_meta_get(&m2, "format"), "pt"));
	CHECK(rt_meta_get(&m2, "quote\"key") &&
	      strcmp(rt_meta_get(&m2, "quote\"key"),
	             "va\\lue\twith \"escapes\"") == 0);

	/* The layout: LE length, a multiple of 8, JSON from '{', data after. */
	buf = read_file(tmp("rt.st"), &n);
	hlen = 0;
	for (i = 7; i >= 0; i--)
		hlen = hlen << 8 | (unsigned char)buf[i];
	CHECK(hlen % 8 == 0 && buf[8] == '{');
	CHECK(n == 8 + hlen + 4 * (6 + 3 + 1 + 16));
	CHECK(buf[8 + hlen - 1] == ' ' || buf[8 + hlen - 1] == '}');
	CHECK(memcmp(buf + 8 + hlen, sa, 24) == 0);   /* order as given */
	CHECK(contains(buf + 8, "\"lin\\\"ear1.weight\\\\\""));
	CHECK(contains(buf + 8, "\\u0001"));
	CHECK(contains(buf + 8, "\"data_offsets\":[24,36]"));
	free(buf);

	/* Saving again over the file works and still leaves no .tmp. */
	CHECK(rt_st_save(tmp("rt.st"), t, 2, NULL, &e) == 0);
	CHECK(access(tmp("rt.st.tmp"), F_OK) != 0);
	CHECK(rt_st_load(tmp("rt.st"), u, 2, &m2, &e) == 0 && m2.n == 0);
	CHECK(rt_st_save(tmp("nodir/x.st"), t, 2, NULL, &e) == -1);
	CHECK(contains(e.msg, "nodir/x.st.tmp"));

	/* A save that fails leaves the old file whole. */
	CHECK(mkdir(tmp("rt.st.tmp"), 0700) == 0);
	CHECK(rt_st_save(tmp("rt.st"), t, 5, &m, &e) == -1);
	memset(a, 0, sizeof a);
	CHECK(rt_st_load(tmp("rt.st"), u, 2, &m2, &e) == 0);
	CHECK(memcmp(a, sa, sizeof a) == 0 && m2.n == 0);
	rmdir(tmp("rt.st.tmp"));
}

static void
st_fails(const RtTensor *t, int n, const char *words, int line)
{
	RtErr e;
	int rc;

	memset(&e, 0, sizeof e);
	rc = rt_st_load(tmp("f.st"), t, n, NULL, &e);
	check(rc == -1, __FILE__, line, "rt_st_load fails");
	check(strncmp(e.msg, tmp("f.st"), strlen(tmp("f.st"))) == 0, __FILE__,
	      line, "message starts with the file");
	check(contains(e.msg, words), __FILE__, line, e.msg);
}

/* A file with a hand-written header (padded to 8) and nbytes of zeros. */
static void
write_st(const char *json, size_t nbytes)
{
	unsigned char *buf;
	size_t h, i;

	h = (strlen(json) + 7) / 8 * 8;
	buf = calloc(1, 8 + h + nbytes);
	for (i = 0; i < 8; i++)
		buf[i] = (unsigned char)(h >> 8 * i);
	memset(buf + 8, ' ', h);
	memcpy(buf + 8, json, strlen(json));
	write_file(tmp("f.st"), buf, 8 + h + nbytes);
	free(buf);
}

static void
test_st_errors(void)
{
	float w[6], b[3];
	RtTensor t[2] = {
		{"w", 2, {2, 3}, w, 0},
		{"b", 1, {3}, b, 0},
	};
	RtTensor only_w[1] = {{"w", 2, {2, 3}, w, 0}};
	RtTensor other[2] = {{"w", 2, {3, 2}, w, 0}, {"b", 1, {3}, b, 0}};
	RtTensor opt[3] = {{"w", 2, {2, 3}, w, 0}, {"b", 1, {3}, b, 0},
	                   {"c", 1, {3}, b, 1}};
	const char *ok = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],"
	                 "\"data_offsets\":[0,24]},\"b\":{\"dtype\":\"F32\","
	                 "\"shape\":[3],\"data_offsets\":[24,36]}}";
	unsigned char len[8] = {0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0};
	RtErr e;
	char *good;
	size_t n, i;
	int rc, ok_shape;

	write_st(ok, 36);
	CHECK(rt_st_load(tmp("f.st"), t, 2, NULL, &e) == 0);
	CHECK(rt_st_load(tmp("f.st"), opt, 3, NULL, &e) == 0);
	st_fails(only_w, 1, "tensor 'b' in the file is not part", __LINE__);
	st_fails(other, 2, "tensor 'w' has shape [2,3] in the file, the model "
	         "expects [3,2]", __LINE__);
	opt[2].optional = 0;
	st_fails(opt, 3, "tensor 'c' is missing", __LINE__);
	write_st(ok, 35);
	st_fails(t, 2, "outside the file", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],"
	         "\"data_offsets\":[0,12]}}", 12);
	st_fails(t, 1, "dtype F16", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],"
	         "\"data_offsets\":[0,20]}}", 24);
	st_fails(t, 1, "20 bytes for 6 floats", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],"
	         "\"data_offsets\":[24,0]}}", 24);
	st_fails(t, 1, "outside the file", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],"
	         "\"data_offsets\":[0,18446744073709551615]}}", 24);
	st_fails(t, 1, "integer too large", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],"
	         "\"data_offsets\":[0,24]}}", 24);
	st_fails(t, 1, "impossible shape", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],"
	         "\"data_offsets\":[0,24]},\"w\":{\"dtype\":\"F32\","
	         "\"shape\":[2,3],\"data_offsets\":[0,24]}}", 24);
	st_fails(t, 1, "appears twice", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3]}}", 24);
	st_fails(t, 1, "lacks", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],"
	         "\"data_offsets\":[0,4]}}", 24);
	st_fails(t, 1, "too many", __LINE__);

	/* Malformed JSON, one fault each. */
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],"
	         "\"data_offsets\":[0,24]},}", 24);
	st_fails(t, 1, "malformed", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],"
	         "\"data_offsets\":[0,24]}", 24);
	st_fails(t, 1, "malformed", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],"
	         "\"data_offsets\":[0,24]}}x", 24);
	st_fails(t, 1, "after the closing", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3.0],"
	         "\"data_offsets\":[0,24]}}", 24);
	st_fails(t, 1, "malformed", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-3],"
	         "\"data_offsets\":[0,24]}}", 24);
	st_fails(t, 1, "non-negative", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[02,3],"
	         "\"data_offsets\":[0,24]}}", 24);
	st_fails(t, 1, "leading zero", __LINE__);
	write_st("{\"w\\x\":{}}", 8);
	st_fails(t, 1, "unknown escape", __LINE__);
	write_st("{\"w\\ud800\":{}}", 8);
	st_fails(t, 1, "surrogate", __LINE__);
	write_st("{\"w\\u0000\":{}}", 8);
	st_fails(t, 1, "\\u0000", __LINE__);
	write_st("{\"w\x01\":{}}", 8);
	st_fails(t, 1, "control character", __LINE__);
	write_st("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"x\":1,"
	         "\"data_offsets\":[0,24]}}", 24);
	st_fails(t, 1, "unknown or repeated key", __LINE__);
	write_st("{\"__metadata__\":{\"a\":1}}", 0);
	st_fails(t, 0, "malformed", __LINE__);
	write_st("{\"__metadata__\":{},\"__metadata__\":{}}", 0);
	st_fails(t, 0, "twice", __LINE__);
	write_st("[]", 0);
	st_fails(t, 0, "expected '{'", __LINE__);
	write_st("", 0);
	st_fails(t, 0, "malformed", __LINE__);
	write_st("{\"\\u00e9\\ud83d\\ude00\":{\"dtype\":\"F32\",\"shape\":[],"
	         "\"data_offsets\":[0,4]}}", 4);
	st_fails(t, 0, "tensor '\xc3\xa9\xf0\x9f\x98\x80' in the file", __LINE__);

	/* Header length beyond the file, beyond the cap, file too short. */
	write_file(tmp("f.st"), len, 8);
	st_fails(t, 2, "header length", __LINE__);
	write_file(tmp("f.st"), "\x10\0\0\0\0\0\0\0{}      ", 16);
	st_fails(t, 0, "header length 16", __LINE__);
	write_file(tmp("f.st"), "\x02\0\0", 3);
	st_fails(t, 0, "too short", __LINE__);
	unlink(tmp("f.st"));
	st_fails(t, 0, "cannot open", __LINE__);

	/* Every truncation of a good file fails cleanly. */
	CHECK(rt_st_save(tmp("good.st"), t, 2, NULL, &e) == 0);
	good = read_file(tmp("good.st"), &n);
	ok_shape = 1;
	for (i = 0; i < n; i++) {
		write_file(tmp("f.st"), good, i);
		rc = rt_st_load(tmp("f.st"), t, 2, NULL, &e);
		ok_shape &= rc == -1;
	}
	CHECK(ok_shape);
	free(good);
}

/* Flips every bit of the header (and some of the length) of a saved
 * file; each load must return 0 or -1 with a message, never crash.  Under
 * ASan this is the real test. */
static void
test_st_bitflips(void)
{
	float w[6], b[3];
	RtTensor t[2] = {{"w", 2, {2, 3}, w, 0}, {"b", 1, {3}, b, 0}};
	RtMeta m;
	RtErr e;
	char *good, *buf;
	size_t n, i;
	int bit, rc, ok, failures;

	memset(w, 0, sizeof w);
	memset(b, 0, sizeof b);
	memset(&m, 0, sizeof m);
	rt_meta_set(&m, "epoch", "3");
	CHECK(rt_st_save(tmp("flip.st"), t, 2, &m, &e) == 0);
	good = read_file(tmp("flip.st"), &n);
	buf = malloc(n);
	ok = 1;
	failures = 0;
	for (i = 0; i < n - 36; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(buf, good, n);
			buf[i] ^= (char)(1 << bit);
			write_file(tmp("f.st"), buf, n);
			e.msg[0] = 0;
			rc = rt_st_load(tmp("f.st"), t, 2, &m, &e);
			ok &= rc == 0 || (rc == -1 && contains(e.msg, tmp("f.st")));
			failures += rc == -1;
		}
	}
	CHECK(ok);
	CHECK(failures > (int)(n - 36) * 4);   /* most flips are caught */
	free(buf);
	free(good);
}

static void
test_meta_state(void)
{
	RtState s, s2;
	RtMeta m;
	RtErr e;
	char key[40];
	int i;

	memset(&m, 0, sizeof m);
	CHECK(rt_meta_get(&m, "x") == NULL);
	rt_meta_set(&m, "x", "1");
	rt_meta_set(&m, "y", "2");
	rt_meta_set(&m, "x", "3");
	CHECK(m.n == 2 && strcmp(rt_meta_get(&m, "x"), "3") == 0);
	for (i = 0; i < 30; i++) {
		snprintf(key, sizeof key, "k%d", i);
		rt_meta_set(&m, key, "v");
	}
	CHECK(m.n == RT_MAXMETA);
	rt_meta_set(&m, "x", "4");
	CHECK(strcmp(rt_meta_get(&m, "x"), "4") == 0);

	memset(&s, 0, sizeof s);
	s.epoch = 7;
	s.step = INT64_C(123456789012);
	rt_rng_seed(&s.data_rng, 99);
	s.best = 0.1f;
	s.bad_epochs = 2;
	s.plateau_lr = 0.1 * 0.3;
	s.plateau_best = 1.0 / 3;
	s.plateau_bad = 4;
	s.plateau_cooldown = 5;
	memset(&m, 0, sizeof m);
	rt_state_to_meta(&s, &m);
	CHECK(strlen(rt_meta_get(&m, "data_rng")) == 64);
	memset(&s2, 0, sizeof s2);
	CHECK(rt_state_from_meta(&s2, &m, "p", &e) == 0);
	CHECK(memcmp(&s, &s2, sizeof s) == 0);
	s.best = INFINITY;
	rt_state_to_meta(&s, &m);
	CHECK(rt_state_from_meta(&s2, &m, "p", &e) == 0 && isinf(s2.best));
	rt_meta_set(&m, "step", "-1");
	CHECK(rt_state_from_meta(&s2, &m, "ck.st", &e) == -1);
	CHECK(contains(e.msg, "ck.st") && contains(e.msg, "'step'"));
	rt_state_to_meta(&s, &m);
	rt_meta_set(&m, "data_rng", "00ff");
	CHECK(rt_state_from_meta(&s2, &m, "p", &e) == -1);
	rt_state_to_meta(&s, &m);
	rt_meta_set(&m, "best", "0.5x");
	CHECK(rt_state_from_meta(&s2, &m, "p", &e) == -1);
	/* the plateau's state: optional (older checkpoints), else well-formed */
	rt_state_to_meta(&s, &m);
	rt_meta_set(&m, "plateau", "0x1p-2 inf 1");
	CHECK(rt_state_from_meta(&s2, &m, "p", &e) == -1);
	CHECK(contains(e.msg, "'plateau'"));
	rt_meta_set(&m, "plateau", "0x1p-2 inf 1 2");
	CHECK(rt_state_from_meta(&s2, &m, "p", &e) == 0);
	CHECK(s2.plateau_lr == 0.25 && isinf(s2.plateau_best) &&
	      s2.plateau_bad == 1 && s2.plateau_cooldown == 2);
	rt_meta_set(&m, "plateau", "0x1p-2 inf 1 -2");
	CHECK(rt_state_from_meta(&s2, &m, "p", &e) == -1);
	memset(&m, 0, sizeof m);
	rt_state_to_meta(&s, &m);
	m.n--;                                /* "plateau" is the last key */
	s2.plateau_lr = 7;
	CHECK(rt_state_from_meta(&s2, &m, "p", &e) == 0 && s2.plateau_lr == 7);
	memset(&m, 0, sizeof m);
	CHECK(rt_state_from_meta(&s2, &m, "p", &e) == -1);
}

/* ---- Schedules, util --------------------------------------------------- */

static int
near(double a, double b)
{
	return fabs(a - b) <= 1e-6 * fmax(1, fabs(b));
}

/* CosineAnnealingLR's closed form for lr 0.1, min_lr 0.01, 10 epochs. */
static double
cosine(double e)
{
	return 0.01 + 0.09 * (1 + cos(PI * e / 10)) / 2;
}

static void
test_schedule(void)
{
	RtRecipe r;

	memset(&r, 0, sizeof r);
	r.lr = 0.1f;
	r.epochs = 10;
	CHECK(near(rt_schedule_lr(&r, 0), 0.1f));
	CHECK(near(rt_schedule_lr(&r, 7.5), 0.1f));
	r.sched = RT_SCHED_STEP;
	r.sched_every = 3;
	r.sched_gamma = 0.5f;
	CHECK(near(rt_schedule_lr(&r, 2.99), 0.1));
	CHECK(near(rt_schedule_lr(&r, 3), 0.05));
	CHECK(near(rt_schedule_lr(&r, 6.5), 0.025));
	r.sched = RT_SCHED_EXP;
	r.sched_gamma = 0.9f;
	CHECK(near(rt_schedule_lr(&r, 0.5), 0.1));
	CHECK(near(rt_schedule_lr(&r, 2.5), 0.1 * 0.9f * 0.9f));
	r.sched = RT_SCHED_COSINE;
	r.min_lr = 0.01f;
	CHECK(near(rt_schedule_lr(&r, 0), 0.1));
	CHECK(near(rt_schedule_lr(&r, 5), 0.055));
	CHECK(near(rt_schedule_lr(&r, 10), 0.01f));
	CHECK(near(rt_schedule_lr(&r, 2.5), 0.01 + 0.09 * (1 + cos(PI / 4)) / 2));
	/* warmup multiplies (LinearLR chained): the cosine still spans the
	 * whole run */
	r.warmup = 2;
	CHECK(near(rt_schedule_lr(&r, 2), cosine(2)));     /* warmup over */
	CHECK(near(rt_schedule_lr(&r, 6), cosine(6)));
	CHECK(near(rt_schedule_lr(&r, 1), (1e-3 + 0.999 * 0.5) * cosine(1)));
	CHECK(near(rt_schedule_lr(&r, 0), 0.1 * 1e-3));    /* never 0 */
	r.warmup_start = 0.25f;
	CHECK(near(rt_schedule_lr(&r, 0.5), (0.25 + 0.75 * 0.25) * cosine(0.5)));
	CHECK(near(rt_schedule_lr(&r, 0), 0.1 * 0.25));
	r.warmup_start = 0;
	r.sched = RT_SCHED_CONSTANT;
	CHECK(near(rt_schedule_lr(&r, 1.5), 0.1 * (1e-3 + 0.999 * 0.75)));
	CHECK(rt_schedule_lr(&r, 0.0001) > 0);
}

/* The plateau schedule: torch's rules on a hand-made loss sequence (the
 * torch comparison over 100 epochs is tests/reference/sched_ref.py). */
static void
test_plateau(void)
{
	static const double loss[] = {1.0, 0.9, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8};
	/* patience 1, factor 0.5, cooldown 1, min_lr 0.03: lowered after the
	 * second bad epoch (index 3), then cooldown swallows index 4, and
	 * index 7 lowers to the floor */
	static const double want[] = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05,
	                              0.03};
	RtRecipe r;
	RtState s;
	int i, lowered;

	memset(&r, 0, sizeof r);
	memset(&s, 0, sizeof s);
	r.lr = 0.1f;
	r.sched = RT_SCHED_PLATEAU;
	r.plateau_factor = 0.5f;
	r.plateau_patience = 1;
	r.plateau_threshold = 1e-4f;
	r.plateau_cooldown = 1;
	r.min_lr = 0.03f;
	rt_plateau_reset(&r, &s);
	CHECK(near(rt_lr(&r, &s, 0), 0.1f) && isinf(s.plateau_best));
	for (i = 0; i < 8; i++) {
		lowered = rt_plateau_step(&r, &s, loss[i]);
		CHECK(near(s.plateau_lr, want[i]) || near(s.plateau_lr, (float)want[i]));
		CHECK(lowered == (i == 3 || i == 7));
		CHECK(near(rt_lr(&r, &s, i + 1.5), s.plateau_lr));
	}
	CHECK(rt_plateau_step(&r, &s, 0.8) == 0);    /* at min_lr: stays */
	r.warmup = 2;
	CHECK(near(rt_lr(&r, &s, 1), s.plateau_lr * (1e-3 + 0.999 * 0.5)));
	r.sched = RT_SCHED_COSINE;                   /* other schedules: no-op */
	CHECK(rt_plateau_step(&r, &s, 100) == 0 && s.plateau_bad == 0);
}

static void
test_util(void)
{
	RtProgress p;
	RtErr e;
	double t0, t1;
	char *out;
	pid_t pid;
	int st;

	CHECK(rt_fail(&e, "%s: %d", "file", 12) == -1);
	CHECK(strcmp(e.msg, "file: 12") == 0);
	CHECK(rt_fail(NULL, "x") == -1);
	t0 = rt_seconds();
	t1 = rt_seconds();
	CHECK(t1 >= t0 && t0 > 0);

	/* Off a TTY the progress line prints nothing at all. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		if (!freopen(tmp("progress"), "w", stderr))
			_exit(2);
		rt_progress_start(&p, 0, 2, 100, 8, 0);
		rt_progress_step(&p, 0, 1.0f);
		rt_progress_step(&p, 99, 0.5f);
		rt_progress_end(&p);
		_exit(p.tty ? 3 : 0);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	out = read_file(tmp("progress"), NULL);
	CHECK(out && out[0] == 0);
	free(out);
}

/* ---- The driver -------------------------------------------------------- */

/* Three classes in [1,2,2] images: class k lights pixel k (pixel 3 is
 * noise).  n samples from the given seed; shift relabels class k as
 * k+shift, so a model that learns the pattern gets worse on them. */
static void
make_dataset(const char *images, const char *labels, int n, uint64_t seed,
             int shift)
{
	unsigned char *px, *lab;
	uint32_t d3[3], d1[1];
	RtRng r;
	int i, k;

	px = malloc((size_t)n * 4);
	lab = malloc((size_t)n);
	rt_rng_seed(&r, seed);
	for (i = 0; i < n; i++) {
		lab[i] = (unsigned char)rt_rng_below(&r, 3);
		for (k = 0; k < 4; k++)
			px[4 * i + k] = (unsigned char)rt_rng_below(&r, 120);
		px[4 * i + lab[i]] = (unsigned char)(120 + rt_rng_below(&r, 136));
	}
	d3[0] = d1[0] = (uint32_t)n;
	d3[1] = d3[2] = 2;
	for (i = 0; i < n; i++)
		lab[i] = (unsigned char)((lab[i] + shift) % 3);
	write_idx(images, 0x08, 3, d3, px, (size_t)n * 4);
	write_idx(labels, 0x08, 1, d1, lab, (size_t)n);
	free(px);
	free(lab);
}

static RtRecipe
recipe(void)
{
	RtRecipe r;

	memset(&r, 0, sizeof r);
	r.epochs = 4;
	r.seed = 5;
	r.shuffle = 1;
	r.lr = 0.5f;
	r.sched = RT_SCHED_COSINE;
	r.warmup = 1;
	r.train = (RtDataSpec){RT_DATA_IDX, "train-img", "train-lab", 0, 0,
	                       1 / 255.0f};
	r.valid = (RtDataSpec){RT_DATA_IDX, "valid-img", "valid-lab", 0, 0,
	                       1 / 255.0f};
	return r;
}

/* Runs rt_train_main in a child; out and err receive its stdout and
 * stderr.  Exits through exit() so LeakSanitizer checks the child too. */
static int
run(const RtModel *model, const RtRecipe *r, const char *args)
{
	char *argv[32], buf[1024], *tok;
	pid_t pid;
	int argc, st;

	snprintf(buf, sizeof buf, "%s", args);
	argc = 0;
	argv[argc++] = "fake";
	for (tok = strtok(buf, " "); tok && argc < 31; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		if (!freopen(tmp("out"), "w", stdout) ||
		    !freopen(tmp("err"), "w", stderr))
			_exit(99);
		exit(rt_train_main(model, r, argc, argv));
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
count_lines(const char *s, const char *prefix)
{
	int n;

	n = 0;
	while (s && *s) {
		n += strncmp(s, prefix, strlen(prefix)) == 0;
		s = strchr(s, '\n');
		s = s ? s + 1 : NULL;
	}
	return n;
}

/* The valid_acc of the final line, or -1. */
static double
final_acc(const char *out)
{
	const char *s;

	s = out ? strstr(out, "final: valid_acc=") : NULL;
	return s ? atof(s + strlen("final: valid_acc=")) : -1;
}

/* The weights and metadata of a fake-model checkpoint. */
typedef struct Snap {
	float w[12], b[3];
	RtMeta meta;
	int ok;
} Snap;

static Snap
snap(const char *path)
{
	Snap s;
	RtTensor t[2] = {{"fc.weight", 2, {3, 4}, s.w, 0},
	                 {"fc.bias", 1, {3}, s.b, 0}};
	RtErr e;

	memset(&s, 0, sizeof s);
	s.ok = rt_st_load(path, t, 2, &s.meta, &e) == 0;
	return s;
}

/* The value of key in the metrics line of epoch e, or NAN. */
static double
metric(const char *jsonl, int e, const char *key)
{
	char pat[64];
	const char *line, *end, *k;

	snprintf(pat, sizeof pat, "{\"epoch\":%d,", e);
	line = jsonl ? strstr(jsonl, pat) : NULL;
	if (!line)
		return NAN;
	end = strchr(line, '\n');
	snprintf(pat, sizeof pat, "\"%s\":", key);
	k = strstr(line, pat);
	if (!k || (end && k > end))
		return NAN;
	return strtod(k + strlen(pat), NULL);
}

/* The first epoch at which train_loss has fallen and valid_loss risen
 * two epochs running, from the metrics file; 0 if none. */
static int
overfit_epoch(const char *path)
{
	char *m;
	int e, hit;

	m = read_file(path, NULL);
	hit = 0;
	for (e = 3; !hit && !isnan(metric(m, e, "train_loss")); e++)
		if (metric(m, e, "train_loss") < metric(m, e - 1, "train_loss") &&
		    metric(m, e - 1, "train_loss") <
		    metric(m, e - 2, "train_loss") &&
		    metric(m, e, "valid_loss") > metric(m, e - 1, "valid_loss") &&
		    metric(m, e - 1, "valid_loss") > metric(m, e - 2, "valid_loss"))
			hit = e;
	free(m);
	return hit;
}

/* Whether the line starting with hint comes right after the line of
 * epoch e. */
static int
hint_follows_epoch(const char *out, const char *hint, int e)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof pat, "epoch %d/", e);
	p = e > 0 && out ? strstr(out, pat) : NULL;
	p = p ? strchr(p, '\n') : NULL;
	return p && strncmp(p + 1, hint, strlen(hint)) == 0;
}

/* The epoch early stopping must stop at, by its definition: the metric
 * (a loss falls, an accuracy rises) has not beaten its best by more than
 * min_delta for patience epochs; 0 if it never stops.  *best_epoch gets
 * the last epoch that beat the best. */
static int
expected_stop(const char *path, const char *key, int acc, double min_delta,
              int patience, int *best_epoch)
{
	double best, v;
	char *m;
	int e, bad, stop;

	m = read_file(path, NULL);
	best = acc ? -INFINITY : INFINITY;
	bad = stop = 0;
	*best_epoch = 0;
	for (e = 1; !stop && !isnan(v = metric(m, e, key)); e++) {
		if (acc ? v > best + min_delta : v < best - min_delta) {
			best = v;
			bad = 0;
			*best_epoch = e;
		} else if (++bad >= patience) {
			stop = e;
		}
	}
	free(m);
	return stop;
}

/* The plateau schedule in the driver: it lowers the lr on the validation
 * loss, says so, and a run stopped and resumed from its checkpoint goes on
 * with the lowered lr and the plateau's counters: the same weights, bit
 * for bit (with the state reset at the resume, epoch 3 would train at the
 * recipe's lr again). */
static void
test_main_plateau(void)
{
	char args[512], *out;
	RtRecipe r;
	Snap a, b;

	r = recipe();
	r.sched = RT_SCHED_PLATEAU;
	r.warmup = 0;
	r.plateau_factor = 0.5f;
	r.plateau_patience = 0;
	r.plateau_threshold = 0.5f;     /* only halving the loss is better */
	r.ckpt_path = tmp("p.ckpt");
	snprintf(args, sizeof args, "--data-dir %s", tmpdir);
	CHECK(run(&rt_fake_model, &r, args) == 0);
	out = read_file(tmp("out"), NULL);
	CHECK(count_lines(out, "plateau: valid_loss has not improved for 1 "
	                       "epochs; lr ") == 3);
	CHECK(contains(out, "lr 0.25 -> 0.125"));
	CHECK(contains(out, "epoch 4/4") && contains(out, "lr 0.125  "));
	free(out);
	a = snap(tmp("p.ckpt"));
	CHECK(a.ok && rt_meta_get(&a.meta, "plateau") &&
	      strncmp(rt_meta_get(&a.meta, "plateau"), "0x1p-4 ", 7) == 0);

	r.ckpt_path = tmp("q.ckpt");
	snprintf(args, sizeof args, "--data-dir %s --max-steps 60 --quiet",
	         tmpdir);
	CHECK(run(&rt_fake_model, &r, args) == 0);
	b = snap(tmp("q.ckpt"));
	CHECK(b.ok && strncmp(rt_meta_get(&b.meta, "plateau"), "0x1p-2 ", 7) == 0);
	snprintf(args, sizeof args, "--data-dir %s --resume %s", tmpdir,
	         tmp("q.ckpt"));
	CHECK(run(&rt_fake_model, &r, args) == 0);
	b = snap(tmp("q.ckpt"));
	CHECK(b.ok && memcmp(a.w, b.w, sizeof a.w) == 0 &&
	      memcmp(a.b, b.b, sizeof a.b) == 0);
	CHECK(strcmp(rt_meta_get(&a.meta, "plateau"),
	             rt_meta_get(&b.meta, "plateau")) == 0);
}

static void
test_main_flags(void)
{
	RtRecipe r;
	char *err, *out;

	r = recipe();
	CHECK(run(&rt_fake_model, &r, "--bogus") == 1);
	err = read_file(tmp("err"), NULL);
	CHECK(contains(err, "fake: unknown flag '--bogus' (try --help)"));
	free(err);
	CHECK(run(&rt_fake_model, &r, "--epochs x3") == 1);
	err = read_file(tmp("err"), NULL);
	CHECK(contains(err, "bad value 'x3' for --epochs"));
	free(err);
	CHECK(run(&rt_fake_model, &r, "--threads 0") == 1);
	CHECK(run(&rt_fake_model, &r, "--seed -1") == 1);
	CHECK(run(&rt_fake_model, &r, "--max-steps") == 1);
	err = read_file(tmp("err"), NULL);
	CHECK(contains(err, "--max-steps needs a value"));
	free(err);
	CHECK(run(&rt_fake_model, &r, "stray") == 1);
	CHECK(run(&rt_fake_model, &r, "--help") == 0);
	out = read_file(tmp("out"), NULL);
	CHECK(contains(out, "--data-dir DIR") && contains(out, "--max-steps N"));
	free(out);
}

static void
test_main_train(void)
{
	char args[512], *out, *err, *met;
	RtRecipe r;
	Snap a, b;

	make_dataset(tmp("train-img"), tmp("train-lab"), 240, 1, 0);
	make_dataset(tmp("valid-img"), tmp("valid-lab"), 60, 2, 0);
	r = recipe();
	r.ckpt_path = tmp("a.ckpt");
	snprintf(args, sizeof args, "--data-dir %s --metrics %s --threads 2",
	         tmpdir, tmp("m.jsonl"));
	CHECK(run(&rt_fake_model, &r, args) == 0);
	out = read_file(tmp("out"), NULL);
	err = read_file(tmp("err"), NULL);
	CHECK(count_lines(out, "epoch ") == 4);
	CHECK(contains(out, "epoch 4/4  train_loss "));
	CHECK(contains(out, " samples/s\n"));
	CHECK(count_lines(out, "final: valid_acc=") == 1);
	CHECK(final_acc(out) > 0.8);
	CHECK(err && err[0] == 0);
	free(out);
	free(err);
	met = read_file(tmp("m.jsonl"), NULL);
	CHECK(count_lines(met, "{\"epoch\":") == 4);
	CHECK(contains(met, "{\"epoch\":4,\"train_loss\":"));
	CHECK(contains(met, "\"valid_acc\":") && contains(met, "\"lr\":") &&
	      contains(met, "\"seconds\":") && contains(met, "\"samples_per_s\":"));
	free(met);
	a = snap(tmp("a.ckpt"));
	CHECK(a.ok && strcmp(rt_meta_get(&a.meta, "epoch"), "4") == 0);
	CHECK(strcmp(rt_meta_get(&a.meta, "step"), "120") == 0);

	/* Stop after two epochs (60 steps), then resume for the other two:
	 * the same weights, bit for bit. */
	r.ckpt_path = tmp("b.ckpt");
	snprintf(args, sizeof args, "--data-dir %s --max-steps 60 --quiet",
	         tmpdir);
	CHECK(run(&rt_fake_model, &r, args) == 0);
	out = read_file(tmp("out"), NULL);
	CHECK(count_lines(out, "epoch ") == 0 && count_lines(out, "final:") == 1);
	free(out);
	b = snap(tmp("b.ckpt"));
	CHECK(b.ok && strcmp(rt_meta_get(&b.meta, "epoch"), "2") == 0);
	CHECK(memcmp(a.w, b.w, sizeof a.w) != 0);
	snprintf(args, sizeof args, "--data-dir %s --resume %s", tmpdir,
	         tmp("b.ckpt"));
	CHECK(run(&rt_fake_model, &r, args) == 0);
	out = read_file(tmp("out"), NULL);
	CHECK(count_lines(out, "epoch 3/4") == 1 && count_lines(out, "epoch ") == 2);
	free(out);
	b = snap(tmp("b.ckpt"));
	CHECK(b.ok && memcmp(a.w, b.w, sizeof a.w) == 0 &&
	      memcmp(a.b, b.b, sizeof a.b) == 0);
	CHECK(strcmp(rt_meta_get(&a.meta, "data_rng"),
	             rt_meta_get(&b.meta, "data_rng")) == 0);
	CHECK(strcmp(rt_meta_get(&b.meta, "step"), "120") == 0);

	/* A different seed gives different weights. */
	snprintf(args, sizeof args, "--data-dir %s --seed 6", tmpdir);
	CHECK(run(&rt_fake_model, &r, args) == 0);
	b = snap(tmp("b.ckpt"));
	CHECK(b.ok && memcmp(a.w, b.w, sizeof a.w) != 0);

	/* A resume from a missing checkpoint is a user error. */
	snprintf(args, sizeof args, "--data-dir %s --resume %s", tmpdir,
	         tmp("none.ckpt"));
	CHECK(run(&rt_fake_model, &r, args) == 1);
	err = read_file(tmp("err"), NULL);
	CHECK(contains(err, "none.ckpt"));
	free(err);
}

static void
test_main_events(void)
{
	char args[512], *out, *err;
	RtRecipe r;
	RtModel wide;

	r = recipe();
	snprintf(args, sizeof args, "--data-dir %s", tmpdir);

	/* A huge learning rate diverges: exit 3, step and lr named. */
	r.lr = 1e7f;
	r.sched = RT_SCHED_CONSTANT;
	r.warmup = 0;
	CHECK(run(&rt_fake_model, &r, args) == 3);
	err = read_file(tmp("err"), NULL);
	CHECK(contains(err, "error: training diverged at step "));
	CHECK(contains(err, "lr = 1e+07") && contains(err, "likely too high"));
	free(err);

	/* lr 0: nothing improves, so early stopping fires; the loss plateaus. */
	r = recipe();
	r.lr = 0;
	r.sched = RT_SCHED_CONSTANT;
	r.patience = 2;
	r.epochs = 10;
	CHECK(run(&rt_fake_model, &r, args) == 0);
	out = read_file(tmp("out"), NULL);
	CHECK(count_lines(out, "epoch ") == 3);
	CHECK(contains(out, "early stopping: valid_loss has not improved for 2 "
	                    "epochs (best "));
	CHECK(contains(out, "at epoch 1)"));
	CHECK(count_lines(out, "final:") == 1);
	free(out);
	r.patience = 0;
	r.epochs = 4;
	CHECK(run(&rt_fake_model, &r, args) == 0);
	out = read_file(tmp("out"), NULL);
	CHECK(count_lines(out, "hint: train_loss has plateaued (it moved less "
	                       "than 1% in 3 epochs) — the model has stopped "
	                       "learning; try a higher learning rate") == 1);
	free(out);

	/* Valid labels that contradict train: valid_loss rises as train falls. */
	make_dataset(tmp("flip-img"), tmp("flip-lab"), 60, 2, 1);
	r = recipe();
	r.sched = RT_SCHED_CONSTANT;
	r.valid.a = "flip-img";
	r.valid.b = "flip-lab";
	remove(tmp("flip.jsonl"));
	snprintf(args, sizeof args, "--data-dir %s --metrics %s", tmpdir,
	         tmp("flip.jsonl"));
	CHECK(run(&rt_fake_model, &r, args) == 0);
	out = read_file(tmp("out"), NULL);
	CHECK(count_lines(out, "hint: valid_loss has risen for 2 epochs while "
	                       "train_loss fell — the model is overfitting") == 1);
	CHECK(hint_follows_epoch(out, "hint: valid_loss has risen",
	                         overfit_epoch(tmp("flip.jsonl"))));
	snprintf(args, sizeof args, "--data-dir %s", tmpdir);
	CHECK(count_lines(out, "hint: train_loss has plateaued") == 0);
	CHECK(final_acc(out) < 0.3);
	free(out);

	/* --max-steps stops early and still prints the final line. */
	r = recipe();
	snprintf(args, sizeof args, "--data-dir %s --max-steps 40", tmpdir);
	CHECK(run(&rt_fake_model, &r, args) == 0);
	out = read_file(tmp("out"), NULL);
	CHECK(count_lines(out, "epoch ") == 2 && count_lines(out, "final:") == 1);
	free(out);

	/* No valid set: split train, or validate on train and say so. */
	r.valid.kind = RT_DATA_NONE;
	r.split = 0.25f;
	snprintf(args, sizeof args, "--data-dir %s --epochs 1", tmpdir);
	CHECK(run(&rt_fake_model, &r, args) == 0);
	err = read_file(tmp("err"), NULL);
	CHECK(err && err[0] == 0);
	free(err);
	r.split = 0;
	CHECK(run(&rt_fake_model, &r, args) == 0);
	err = read_file(tmp("err"), NULL);
	CHECK(count_lines(err, "note: the recipe has no validation data") == 1);
	free(err);

	/* Data that does not fit the model is named. */
	wide = rt_fake_model;
	wide.in_dim = 3072;
	wide.in_dims[0] = 3;
	wide.in_dims[1] = wide.in_dims[2] = 32;
	CHECK(run(&wide, &r, args) == 1);
	err = read_file(tmp("err"), NULL);
	CHECK(contains(err, "train-img: samples have 4 values, the model's "
	                    "input takes 3072 ([3,32,32])"));
	free(err);
	CHECK(run(&rt_fake_model, &r, "--epochs 1") == 1);   /* no --data-dir */
	err = read_file(tmp("err"), NULL);
	CHECK(contains(err, "train-img: cannot open"));
	free(err);
}

/* ---- The driver's extras: monitor, best checkpoint, overfit, priors ---- */

static void
test_st_found(void)
{
	float w[6] = {1, 2, 3, 4, 5, 6}, b[3] = {7, 8, 9}, c[3] = {-1, -1, -1};
	RtTensor t[3] = {{"w", 2, {2, 3}, w, 0}, {"b", 1, {3}, b, 0},
	                 {"c", 1, {3}, c, 1}};
	int found[3] = {-1, -1, -1};
	RtErr e;

	CHECK(rt_st_save(tmp("found.st"), t, 2, NULL, &e) == 0);
	CHECK(rt_st_load_found(tmp("found.st"), t, 3, NULL, found, &e) == 0);
	CHECK(found[0] == 1 && found[1] == 1 && found[2] == 0);
	CHECK(c[0] == -1 && c[1] == -1 && c[2] == -1);
}

/* A softmax over the bias gives the class frequencies; a sigmoid of each
 * bias gives the mean target. */
static void
test_prior_bias(void)
{
	enum { N = 50, K = 4 };
	int32_t y[N];
	float x[N], t[N * 2], bias[K], freq;
	RtData d;
	RtErr e;
	int i, k, count;

	for (i = 0; i < N; i++)
		y[i] = i % 5 == 0 ? 0 : i % 5 < 3 ? 1 : 2;   /* class 3: none */
	memset(&d, 0, sizeof d);
	d.n = N;
	d.dim = 1;
	d.x = x;
	d.y = y;
	CHECK(rt_prior_bias(&d, RT_PRIOR_SOFTMAX, bias, K, &e) == 0);
	for (k = 0; k < 3; k++) {
		count = 0;
		for (i = 0; i < N; i++)
			count += y[i] == k;
		CHECK(fabs(exp(bias[k]) - (double)count / N) < 1e-6);
	}
	/* no sample of class 3: half a sample's share, finite */
	CHECK(fabs(exp(bias[3]) - 0.5 / N) < 1e-7);

	/* two outputs: the first 1 in 5 positive, the second soft targets */
	for (i = 0; i < N; i++) {
		t[2 * i] = i % 5 == 0;
		t[2 * i + 1] = (float)(i % 3) / 4;
	}
	d.y = NULL;
	d.t = t;
	d.tdim = 2;
	CHECK(rt_prior_bias(&d, RT_PRIOR_SIGMOID, bias, 2, &e) == 0);
	for (k = 0; k < 2; k++) {
		freq = 0;
		for (i = 0; i < N; i++)
			freq += t[2 * i + k];
		CHECK(fabs(1 / (1 + exp(-bias[k])) - freq / N) < 1e-6);
	}
	t[7] = 1.5f;
	CHECK(rt_prior_bias(&d, RT_PRIOR_SIGMOID, bias, 2, &e) == -1);
	CHECK(contains(e.msg, "is 1.5; a sigmoid's targets lie in [0,1]"));
	CHECK(rt_prior_bias(&d, RT_PRIOR_SIGMOID, bias, 3, &e) == -1);
	CHECK(rt_prior_bias(&d, RT_PRIOR_SOFTMAX, bias, K, &e) == -1);
	CHECK(contains(e.msg, "no class labels"));
}

static void
test_main_monitor(void)
{
	static char best_path[512];   /* tmp()'s buffers rotate */
	char args[512], *out;
	RtRecipe r;
	Snap best;
	int stop, best_epoch, lines;

	/* valid_loss with a min_delta: the stop epoch the metrics predict */
	r = recipe();
	r.epochs = 30;
	r.lr = 0.2f;
	r.sched = RT_SCHED_CONSTANT;
	r.warmup = 0;
	r.patience = 2;
	r.min_delta = 0.02f;
	snprintf(best_path, sizeof best_path, "%s", tmp("best.ckpt"));
	r.ckpt_best = best_path;
	remove(tmp("mon.jsonl"));
	remove(r.ckpt_best);
	snprintf(args, sizeof args, "--data-dir %s --metrics %s", tmpdir,
	         tmp("mon.jsonl"));
	CHECK(run(&rt_fake_model, &r, args) == 0);
	stop = expected_stop(tmp("mon.jsonl"), "valid_loss", 0, 0.02f, 2,
	                     &best_epoch);
	out = read_file(tmp("out"), NULL);
	lines = count_lines(out, "epoch ");
	CHECK(stop > 2 && stop < r.epochs);     /* the test means something */
	CHECK(lines == stop);
	CHECK(contains(out, "early stopping: valid_loss has not improved for 2 "
	                    "epochs"));
	free(out);
	best = snap(best_path);
	CHECK(best.ok && best_epoch > 0 &&
	      atoi(rt_meta_get(&best.meta, "epoch")) == best_epoch);

	/* valid_acc: must rise */
	r.monitor = RT_MONITOR_VALID_ACC;
	r.min_delta = 0;
	r.patience = 3;
	remove(tmp("mon.jsonl"));
	remove(r.ckpt_best);
	CHECK(run(&rt_fake_model, &r, args) == 0);
	stop = expected_stop(tmp("mon.jsonl"), "valid_acc", 1, 0, 3,
	                     &best_epoch);
	out = read_file(tmp("out"), NULL);
	CHECK(stop > 3 && stop < r.epochs);
	CHECK(count_lines(out, "epoch ") == stop);
	CHECK(contains(out, "early stopping: valid_acc has not improved for 3 "
	                    "epochs"));
	free(out);
	best = snap(best_path);
	CHECK(best.ok && atoi(rt_meta_get(&best.meta, "epoch")) == best_epoch);
}

/* Eight samples per batch, each lighting one pixel fully: a linear model
 * fits them, and a model that does not learn (lr 0) cannot. */
static void
test_main_overfit(void)
{
	unsigned char px[16 * 4], lab[16];
	uint32_t d3[3] = {16, 2, 2}, d1[1] = {16};
	char args[512], *out, *p;
	RtRecipe r;
	int i;

	for (i = 0; i < 16; i++) {
		lab[i] = (unsigned char)(i % 3);
		memset(px + 4 * i, 0, 4);
		px[4 * i + lab[i]] = 255;
	}
	write_idx(tmp("one-img"), 0x08, 3, d3, px, sizeof px);
	write_idx(tmp("one-lab"), 0x08, 1, d1, lab, sizeof lab);
	r = recipe();
	r.train.a = r.valid.a = "one-img";
	r.train.b = r.valid.b = "one-lab";
	r.lr = 5;
	snprintf(args, sizeof args, "--data-dir %s --overfit-batch 1", tmpdir);
	CHECK(run(&rt_fake_model, &r, args) == 0);
	out = read_file(tmp("out"), NULL);
	CHECK(count_lines(out, "overfit step 1/300  loss ") == 1);
	p = out ? strstr(out, "overfit: loss ") : NULL;
	CHECK(p && atof(p + strlen("overfit: loss ")) < 0.01 &&
	      contains(p, "the model can fit 8 samples"));
	CHECK(count_lines(out, "epoch ") == 0 && count_lines(out, "final:") == 0);
	free(out);

	r.lr = 0;
	snprintf(args, sizeof args, "--data-dir %s --overfit-batch 2 "
	         "--max-steps 25", tmpdir);
	CHECK(run(&rt_fake_model, &r, args) == RT_EXIT_NO_FIT);
	out = read_file(tmp("out"), NULL);
	CHECK(count_lines(out, "overfit step ") == 3);     /* 1, 10, 20 */
	CHECK(contains(out, "overfit: loss ") &&
	      contains(out, "after 25 steps, not below 0.01 — the model cannot "
	                    "fit 16 samples"));
	free(out);

	snprintf(args, sizeof args, "--data-dir %s --overfit-batch 3", tmpdir);
	CHECK(run(&rt_fake_model, &r, args) == 1);
	out = read_file(tmp("err"), NULL);
	CHECK(contains(out, "--overfit-batch 3 needs 24 samples; the training "
	                    "set has 16"));
	free(out);
	CHECK(run(&rt_fake_model, &r, "--overfit-batch 0") == 1);
}

/* ---- Main -------------------------------------------------------------- */

static void
cleanup(void)
{
	struct dirent *ent;
	DIR *d;

	d = opendir(tmpdir);
	while (d && (ent = readdir(d)))
		if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
			unlink(tmp(ent->d_name));
	if (d)
		closedir(d);
	rmdir(tmpdir);
}

int
main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/nncc_rt_test_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_rng_vectors();
	test_rng_below();
	test_rng_uniform_normal();
	test_shuffle();
	test_idx_load();
	test_idx_errors();
	test_csv_load();
	test_csv_errors();
	test_load_split_gather();
	test_st_roundtrip();
	test_st_errors();
	test_st_bitflips();
	test_meta_state();
	test_schedule();
	test_plateau();
	test_util();
	test_main_flags();
	test_main_train();
	test_main_plateau();
	test_main_events();
	test_st_found();
	test_prior_bias();
	test_main_monitor();
	test_main_overfit();
	cleanup();
	printf("runtime: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
