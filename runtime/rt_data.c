/*
 * rt_data.c — data loaders: IDX and CSV into float32 arrays.
 *
 * Loaders run once, before training, so they may allocate; they read the
 * whole file into memory and convert it.  Every error names the file, and
 * for CSV the line, because a data problem is a user problem.
 */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nncc_rt.h"

/* Reads all of path into a NUL-terminated buffer (the NUL is for CSV). */
static int
read_all(const char *path, unsigned char **buf, size_t *len, RtErr *e)
{
	FILE *f;
	long size;
	unsigned char *p;

	*buf = NULL;
	f = fopen(path, "rb");
	if (!f)
		return rt_fail(e, "%s: cannot open: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return rt_fail(e, "%s: cannot read: %s", path, strerror(errno));
	}
	p = malloc((size_t)size + 1);
	if (!p) {
		fclose(f);
		return rt_fail(e, "%s: out of memory (%ld bytes)", path, size);
	}
	if (fread(p, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		free(p);
		return rt_fail(e, "%s: read error", path);
	}
	fclose(f);
	p[size] = 0;
	*buf = p;
	*len = (size_t)size;
	return 0;
}

/* ---- IDX ---------------------------------------------------------------
 * Magic 0 0 type ndims, then ndims big-endian u32 sizes, then the
 * elements, big-endian.  The first dimension is the sample count. */

typedef struct Idx {
	int type;                 /* 0x08 ubyte .. 0x0e double */
	int size;                 /* bytes per element */
	int ndims;
	uint32_t dims[4];
	int n;                    /* dims[0] */
	int per;                  /* elements per sample */
	const unsigned char *data;
} Idx;

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int
idx_type_size(int type)
{
	switch (type) {
	case 0x08: return 1; /* unsigned byte */
	case 0x09: return 1; /* signed byte */
	case 0x0b: return 2; /* short */
	case 0x0c: return 4; /* int */
	case 0x0d: return 4; /* float */
	case 0x0e: return 8; /* double */
	}
	return 0;
}

/* Element i of the data, whatever its type, as a double (exact for all). */
static double
idx_get(const Idx *x, size_t i)
{
	const unsigned char *p;
	uint32_t u;
	uint64_t w;
	float f;
	double d;

	p = x->data + i * (size_t)x->size;
	switch (x->type) {
	case 0x08: return p[0];
	case 0x09: return (signed char)p[0];
	case 0x0b: return (int16_t)(uint16_t)(p[0] << 8 | p[1]);
	case 0x0c: return (int32_t)be32(p);
	case 0x0d:
		u = be32(p);
		memcpy(&f, &u, 4);
		return f;
	default:
		w = (uint64_t)be32(p) << 32 | be32(p + 4);
		memcpy(&d, &w, 8);
		return d;
	}
}

/* Checks the header and that the data is exactly as long as it says. */
static int
idx_parse(Idx *x, const char *path, const unsigned char *buf, size_t len,
          RtErr *e)
{
	uint64_t per, avail;
	int i;

	if (len < 4 || buf[0] != 0 || buf[1] != 0)
		return rt_fail(e, "%s: not an IDX file (bad magic number)", path);
	x->type = buf[2];
	x->size = idx_type_size(x->type);
	if (!x->size)
		return rt_fail(e, "%s: unknown IDX element type 0x%02x", path,
		               x->type);
	x->ndims = buf[3];
	if (x->ndims < 1 || x->ndims > 4)
		return rt_fail(e, "%s: IDX with %d dimensions (1 to 4 supported)",
		               path, x->ndims);
	if (len < 4 + 4 * (size_t)x->ndims)
		return rt_fail(e, "%s: truncated IDX header", path);
	per = 1;
	for (i = 0; i < x->ndims; i++) {
		x->dims[i] = be32(buf + 4 + 4 * i);
		/* samples of no values: 4e9 of them fit in a file of 0 bytes */
		if (i > 0 && x->dims[i] == 0)
			return rt_fail(e, "%s: IDX dimension %d is 0: samples of no "
			               "values", path, i + 1);
		if (i > 0)
			per *= x->dims[i];
		if (x->dims[i] > INT_MAX || per > INT_MAX)
			return rt_fail(e, "%s: IDX dimensions too large", path);
	}
	x->n = (int)x->dims[0];
	x->per = (int)per;
	x->data = buf + 4 + 4 * x->ndims;
	avail = len - (4 + 4 * (size_t)x->ndims);
	if ((uint64_t)x->n * per > avail / (uint64_t)x->size)
		return rt_fail(e, "%s: truncated: the header promises %llu bytes "
		               "of data, the file holds %llu", path,
		               (unsigned long long)x->n * per * x->size,
		               (unsigned long long)avail);
	if ((uint64_t)x->n * per * x->size != avail)
		return rt_fail(e, "%s: %llu bytes after the data the header "
		               "describes", path, (unsigned long long)
		               (avail - (uint64_t)x->n * per * x->size));
	return 0;
}

/* Converts an image file into d->x with the per-sample shape. */
static int
idx_images(RtData *d, const char *path, const Idx *x, float scale, RtErr *e)
{
	size_t i, total;
	double v;

	d->n = x->n;
	d->dim = x->per;
	switch (x->ndims) {
	case 1: d->rank = 1; d->dims[0] = 1; break;
	case 2: d->rank = 1; d->dims[0] = (int)x->dims[1]; break;
	case 3: /* [N,H,W]: one channel */
		d->rank = 3;
		d->dims[0] = 1;
		d->dims[1] = (int)x->dims[1];
		d->dims[2] = (int)x->dims[2];
		break;
	default:
		d->rank = 3;
		d->dims[0] = (int)x->dims[1];
		d->dims[1] = (int)x->dims[2];
		d->dims[2] = (int)x->dims[3];
	}
	total = (size_t)x->n * (size_t)x->per;
	d->x = malloc((total ? total : 1) * sizeof(float));
	if (!d->x)
		return rt_fail(e, "%s: out of memory", path);
	for (i = 0; i < total; i++) {
		v = idx_get(x, i) * scale;
		if (!(fabs(v) <= FLT_MAX))
			return rt_fail(e, "%s: value %zu is not a finite float",
			               path, i);
		d->x[i] = (float)v;
	}
	return 0;
}

/* Class labels must be integers of rank 1; float targets take any rank. */
static int
idx_labels(RtData *d, const char *path, const Idx *x, int classes, RtErr *e)
{
	size_t i, total;
	double v;

	if (x->n != d->n)
		return rt_fail(e, "%s: %d labels, but the images file has %d "
		               "samples", path, x->n, d->n);
	if (classes > 0) {
		if (x->type == 0x0d || x->type == 0x0e || x->ndims != 1)
			return rt_fail(e, "%s: class labels must be one integer "
			               "per sample", path);
		d->y = malloc((x->n ? (size_t)x->n : 1) * sizeof(int32_t));
		if (!d->y)
			return rt_fail(e, "%s: out of memory", path);
		for (i = 0; i < (size_t)x->n; i++) {
			v = idx_get(x, i);
			if (v < 0 || v >= classes)
				return rt_fail(e, "%s: label %.0f of sample %zu is "
				               "outside [0,%d)", path, v, i, classes);
			d->y[i] = (int32_t)v;
		}
		return 0;
	}
	d->tdim = x->per;
	total = (size_t)x->n * (size_t)x->per;
	d->t = malloc((total ? total : 1) * sizeof(float));
	if (!d->t)
		return rt_fail(e, "%s: out of memory", path);
	for (i = 0; i < total; i++) {
		v = idx_get(x, i);
		if (!(fabs(v) <= FLT_MAX))
			return rt_fail(e, "%s: target %zu is not a finite float",
			               path, i);
		d->t[i] = (float)v;
	}
	return 0;
}

int
rt_load_idx(RtData *d, const char *images, const char *labels, float scale,
            int classes, RtErr *e)
{
	unsigned char *buf;
	size_t len;
	Idx x;
	int rc;

	memset(d, 0, sizeof *d);
	if (scale == 0)
		scale = 1;
	if (read_all(images, &buf, &len, e) < 0)
		return -1;
	rc = idx_parse(&x, images, buf, len, e);
	if (rc == 0)
		rc = idx_images(d, images, &x, scale, e);
	free(buf);
	if (rc == 0 && labels) {
		rc = read_all(labels, &buf, &len, e);
		if (rc == 0) {
			rc = idx_parse(&x, labels, buf, len, e);
			if (rc == 0)
				rc = idx_labels(d, labels, &x, classes, e);
			free(buf);
		}
	}
	if (rc < 0)
		rt_data_free(d);
	return rc;
}

/* ---- CSV --------------------------------------------------------------- */

/* Finds the line starting at *pos: [*start,*end) without "\n" or "\r\n". */
static int
next_line(const char *buf, size_t len, size_t *pos, size_t *start,
          size_t *end)
{
	size_t i;

	if (*pos >= len)
		return 0;
	i = *pos;
	*start = i;
	while (i < len && buf[i] != '\n')
		i++;
	*pos = i + 1;
	if (i > *start && buf[i - 1] == '\r')
		i--;
	*end = i;
	return 1;
}

static int
blank(const char *s, size_t a, size_t b)
{
	for (; a < b; a++)
		if (s[a] != ' ' && s[a] != '\t')
			return 0;
	return 1;
}

static int
count_cells(const char *s, size_t a, size_t b)
{
	int n;

	for (n = 1; a < b; a++)
		n += s[a] == ',';
	return n;
}

/* Parses cell col of the line at line number ln into *v.  A cell is
 * copied out so strtod cannot run past it into the next line. */
static int
parse_cell(const char *path, int ln, int col, const char *s, size_t a,
           size_t b, double *v, RtErr *e)
{
	char cell[64], *end;
	size_t n;

	while (a < b && (s[a] == ' ' || s[a] == '\t'))
		a++;
	while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
		b--;
	n = b - a;
	if (n == 0)
		return rt_fail(e, "%s:%d: column %d is empty", path, ln, col + 1);
	if (n >= sizeof cell)
		return rt_fail(e, "%s:%d: column %d is not a number", path, ln,
		               col + 1);
	memcpy(cell, s + a, n);
	cell[n] = 0;
	*v = strtod(cell, &end);
	if (end != cell + n)
		return rt_fail(e, "%s:%d: column %d: '%s' is not a number", path,
		               ln, col + 1, cell);
	if (!(fabs(*v) <= FLT_MAX))
		return rt_fail(e, "%s:%d: column %d: '%s' is not a finite float",
		               path, ln, col + 1, cell);
	return 0;
}

/* Parses one data row into sample i of d. */
static int
csv_row(RtData *d, const char *path, int ln, const char *s, size_t a,
        size_t b, int ncols, int label, float scale, int classes, int i,
        RtErr *e)
{
	size_t c0;
	int col, k;
	double v;

	k = 0;
	v = 0;
	for (col = 0; col < ncols; col++) {
		c0 = a;
		while (a < b && s[a] != ',')
			a++;
		if (parse_cell(path, ln, col, s, c0, a, &v, e) < 0)
			return -1;
		a++;
		if (col != label) {
			v *= scale;
			if (!(fabs(v) <= FLT_MAX))
				return rt_fail(e, "%s:%d: column %d overflows when "
				               "scaled", path, ln, col + 1);
			d->x[(size_t)i * d->dim + k++] = (float)v;
		} else if (classes > 0) {
			if (v != floor(v) || v < 0 || v >= classes)
				return rt_fail(e, "%s:%d: label %g is not a class in "
				               "[0,%d)", path, ln, v, classes);
			d->y[i] = (int32_t)v;
		} else {
			d->t[i] = (float)v;
		}
	}
	return 0;
}

/* Two passes over the text: count rows and columns, then fill. */
static int
csv_parse(RtData *d, const char *path, const char *s, size_t len,
          int label_col, int header, float scale, int classes, RtErr *e)
{
	size_t pos, a, b;
	int ln, rows, ncols, first, label, i, nc;

	rows = ncols = first = 0;
	pos = 0;
	for (ln = 1; next_line(s, len, &pos, &a, &b); ln++) {
		if ((header && ln == 1) || blank(s, a, b))
			continue;
		if (rows == INT_MAX)
			return rt_fail(e, "%s: too many rows", path);
		if (rows++ == 0) {
			ncols = count_cells(s, a, b);
			first = ln;
		}
	}
	if (rows == 0)
		return rt_fail(e, "%s: no data rows", path);
	label = label_col < 0 ? ncols - 1 : label_col;
	if (label >= ncols)
		return rt_fail(e, "%s: label column %d, but rows have %d columns",
		               path, label + 1, ncols);
	if (ncols < 2)
		return rt_fail(e, "%s: rows have only the label column", path);
	d->n = rows;
	d->dim = ncols - 1;
	d->rank = 1;
	d->dims[0] = d->dim;
	d->x = malloc((size_t)rows * (size_t)d->dim * sizeof(float));
	if (classes > 0)
		d->y = malloc((size_t)rows * sizeof(int32_t));
	else {
		d->t = malloc((size_t)rows * sizeof(float));
		d->tdim = 1;
	}
	if (!d->x || (!d->y && !d->t))
		return rt_fail(e, "%s: out of memory", path);
	pos = 0;
	i = 0;
	for (ln = 1; next_line(s, len, &pos, &a, &b); ln++) {
		if ((header && ln == 1) || blank(s, a, b))
			continue;
		nc = count_cells(s, a, b);
		if (nc != ncols)
			return rt_fail(e, "%s:%d: %d columns, but line %d has %d",
			               path, ln, nc, first, ncols);
		if (csv_row(d, path, ln, s, a, b, ncols, label, scale, classes,
		            i++, e) < 0)
			return -1;
	}
	return 0;
}

int
rt_load_csv(RtData *d, const char *path, int label_col, int header,
            float scale, int classes, RtErr *e)
{
	unsigned char *buf;
	size_t len;
	int rc;

	memset(d, 0, sizeof *d);
	if (scale == 0)
		scale = 1;
	if (read_all(path, &buf, &len, e) < 0)
		return -1;
	rc = csv_parse(d, path, (const char *)buf, len, label_col, header, scale,
	               classes, e);
	free(buf);
	if (rc < 0)
		rt_data_free(d);
	return rc;
}

/* ---- Splits ------------------------------------------------------------ */

/* dir/path for a relative path, else a copy of path; caller frees. */
static char *
resolve(const char *dir, const char *path)
{
	size_t n;
	char *s;

	if (!dir || !dir[0] || path[0] == '/')
		dir = NULL;
	n = strlen(path) + (dir ? strlen(dir) + 1 : 0) + 1;
	s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s%s", dir ? dir : "", dir ? "/" : "", path);
	return s;
}

int
rt_load(RtData *d, const RtDataSpec *s, const char *dir, int classes,
        RtErr *e)
{
	char *a, *b;
	int rc;

	memset(d, 0, sizeof *d);
	if (s->kind != RT_DATA_IDX && s->kind != RT_DATA_CSV)
		return rt_fail(e, "no data source given");
	if (!s->a)
		return rt_fail(e, "data source without a file name");
	a = resolve(dir, s->a);
	b = s->b ? resolve(dir, s->b) : NULL;
	if (!a || (s->b && !b))
		rc = rt_fail(e, "%s: out of memory", s->a);
	else if (s->kind == RT_DATA_IDX)
		rc = rt_load_idx(d, a, b, s->scale, classes, e);
	else
		rc = rt_load_csv(d, a, s->label_col, s->header, s->scale, classes,
		                 e);
	free(a);
	free(b);
	return rc;
}

int
rt_data_split(RtData *d, RtData *v, double share, RtErr *e)
{
	int nv, k;
	size_t dim;

	memset(v, 0, sizeof *v);
	if (!(share > 0 && share < 1))
		return rt_fail(e, "split %g: the share must lie between 0 and 1",
		               share);
	nv = (int)(d->n * share);
	if (nv < 1 || nv >= d->n)
		return rt_fail(e, "split %g of %d samples leaves an empty part",
		               share, d->n);
	k = d->n - nv;
	dim = (size_t)d->dim;
	*v = *d;
	v->n = nv;
	v->y = NULL;
	v->t = NULL;
	v->x = malloc((size_t)nv * dim * sizeof(float));
	if (d->y)
		v->y = malloc((size_t)nv * sizeof(int32_t));
	if (d->t)
		v->t = malloc((size_t)nv * (size_t)d->tdim * sizeof(float));
	if (!v->x || (d->y && !v->y) || (d->t && !v->t)) {
		rt_data_free(v);
		return rt_fail(e, "split: out of memory");
	}
	memcpy(v->x, d->x + (size_t)k * dim, (size_t)nv * dim * sizeof(float));
	if (d->y)
		memcpy(v->y, d->y + k, (size_t)nv * sizeof(int32_t));
	if (d->t)
		memcpy(v->t, d->t + (size_t)k * d->tdim,
		       (size_t)nv * (size_t)d->tdim * sizeof(float));
	d->n = k;
	return 0;
}

void
rt_data_free(RtData *d)
{
	free(d->x);
	free(d->y);
	free(d->t);
	memset(d, 0, sizeof *d);
}

void
rt_gather(const RtData *d, const int32_t *idx, int count, float *x, void *y)
{
	size_t dim, tdim;
	int i;

	dim = (size_t)d->dim;
	tdim = (size_t)d->tdim;
	for (i = 0; i < count; i++) {
		memcpy(x + i * dim, d->x + idx[i] * dim, dim * sizeof(float));
		if (y && d->y)
			((int32_t *)y)[i] = d->y[idx[i]];
		else if (y && d->t)
			memcpy((float *)y + i * tdim, d->t + idx[i] * tdim,
			       tdim * sizeof(float));
	}
}

int
rt_data_normalize(RtData *d, const RtNorm *nm, int channels,
                  const char *file, RtErr *e)
{
	size_t per, i, k;
	float *v;
	int c, j;

	if (nm->n == 0)
		return 0;
	if (channels < 1 || d->dim % channels)
		return rt_fail(e, "%s: normalize: %d values per sample do not "
		               "split into %d channels", file, d->dim, channels);
	if (nm->n != 1 && nm->n != channels)
		return rt_fail(e, "%s: normalize has %d mean/std pairs for %d "
		               "channels", file, nm->n, channels);
	for (j = 0; j < nm->n; j++)
		if (!(nm->std[j] > 0))
			return rt_fail(e, "%s: normalize: std[%d] = %g is not > 0",
			               file, j + 1, (double)nm->std[j]);
	per = (size_t)d->dim / (size_t)channels;
	for (i = 0; i < (size_t)d->n; i++)
		for (c = 0; c < channels; c++) {
			j = nm->n == 1 ? 0 : c;
			v = d->x + i * d->dim + c * per;
			for (k = 0; k < per; k++)
				v[k] = (v[k] - nm->mean[j]) / nm->std[j];
		}
	return 0;
}

/* ---- The epoch's order --------------------------------------------------- */

/* Moves a random `take` of a[0..n) to its front: the first take steps of
 * a Fisher-Yates shuffle. */
static void
choose(int32_t *a, int n, int take, RtRng *r)
{
	int i, j;
	int32_t t;

	for (i = 0; i < take; i++) {
		j = i + (int)rt_rng_below(r, (uint32_t)(n - i));
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
}

int
rt_sampler_init(RtSampler *s, const RtData *d, int classes, int balance,
                RtErr *e)
{
	int32_t *fill;
	long long size;
	int k, i, lo, hi, nk, present;

	memset(s, 0, sizeof *s);
	s->n = d->n;
	s->balance = balance;
	s->size = d->n;
	if (balance != RT_BALANCE_NONE) {
		if (!d->y || classes < 1)
			return rt_fail(e, "balance needs class labels");
		s->classes = classes;
		s->start = calloc((size_t)classes + 1, sizeof(int32_t));
		s->byclass = malloc((size_t)d->n * sizeof(int32_t));
		fill = calloc((size_t)classes, sizeof(int32_t));
		if (!s->start || !s->byclass || !fill) {
			free(fill);
			return rt_fail(e, "out of memory");
		}
		/* a counting sort: stable, so each class keeps data order */
		for (i = 0; i < d->n; i++)
			s->start[d->y[i] + 1]++;
		for (k = 0; k < classes; k++)
			s->start[k + 1] += s->start[k];
		for (i = 0; i < d->n; i++)
			s->byclass[s->start[d->y[i]] + fill[d->y[i]]++] = i;
		free(fill);
		lo = INT_MAX;
		hi = present = 0;
		for (k = 0; k < classes; k++) {
			nk = s->start[k + 1] - s->start[k];
			if (nk == 0)
				continue;
			lo = nk < lo ? nk : lo;
			hi = nk > hi ? nk : hi;
			present++;
		}
		s->share = balance == RT_BALANCE_OVER ? hi : lo;
		size = (long long)present * s->share;
		if (size < 1 || size > INT_MAX - d->n)
			return rt_fail(e, "balance: an epoch of %lld samples", size);
		s->size = (int)size;
	}
	s->order = malloc(((size_t)s->size + (size_t)d->n) * sizeof(int32_t));
	if (!s->order)
		return rt_fail(e, "out of memory");
	return 0;
}

void
rt_sampler_epoch(RtSampler *s, int shuffle, RtRng *r)
{
	int32_t *seg;
	int k, i, pos, nk, share, copies;

	if (s->balance == RT_BALANCE_NONE) {
		for (i = 0; i < s->n; i++)
			s->order[i] = i;
	} else {
		share = s->share;
		pos = 0;
		for (k = 0; k < s->classes; k++) {
			seg = s->byclass + s->start[k];
			nk = s->start[k + 1] - s->start[k];
			if (nk == 0)
				continue;
			/* whole copies, then a random choice of the rest; the
			 * choice permutes a copy, never byclass, so the next
			 * epoch starts from the same state on resume too */
			for (copies = share / nk; copies > 0; copies--) {
				memcpy(s->order + pos, seg, (size_t)nk * sizeof(int32_t));
				pos += nk;
			}
			if (share % nk) {
				memcpy(s->order + pos, seg, (size_t)nk * sizeof(int32_t));
				choose(s->order + pos, nk, share % nk, r);
				pos += share % nk;
			}
		}
	}
	if (shuffle)
		rt_shuffle(s->order, s->size, r);
}

void
rt_sampler_free(RtSampler *s)
{
	free(s->byclass);
	free(s->start);
	free(s->order);
	memset(s, 0, sizeof *s);
}

int
rt_epoch_batches(int size, int batch, int drop_last)
{
	if (size < 1 || batch < 1)
		return 0;
	return drop_last ? size / batch : (int)(((long long)size + batch - 1) /
	                                        batch);
}

void
rt_batch_indices(const int32_t *order, int size, int batch, int i,
                 int32_t *idx)
{
	long long p;
	int j;

	for (j = 0; j < batch; j++) {
		p = ((long long)i * batch + j) % size;
		idx[j] = order[p];
	}
}
