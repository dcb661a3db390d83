/*
 * rt_augment.c — augmentation of training batches.
 *
 * Every transform works in place on float32 images [c][h][w] and draws
 * from the RtRng it is given, in the order nncc_rt.h documents, and in
 * no other: the draws are the whole of what a transform decides, so a
 * checkpoint that stores the stream's state resumes the same images.
 * Nothing here allocates; mixup takes its scratch from the caller.
 */
#include <math.h>
#include <string.h>

#include "nncc_rt.h"

/* Attempts RandomErasing makes at a rectangle that fits before it gives
 * up on the sample (torchvision's number). */
#define ERASE_ATTEMPTS 10

void
rt_aug_hflip(float *x, int c, int h, int w, float p, RtRng *r)
{
	float *row, t;
	int k, i, j;

	if (!(rt_rng_uniform(r) < p))
		return;
	for (k = 0; k < c * h; k++) {
		row = x + (size_t)k * w;
		for (i = 0, j = w - 1; i < j; i++, j--) {
			t = row[i];
			row[i] = row[j];
			row[j] = t;
		}
	}
}

/* Pixel (i, j) of the crop at offset (dy, dx) of the padded image is
 * pixel (i + sy, j + sx) of the image, sy = dy - pad, sx = dx - pad, or
 * fill where that lies outside.  Done in place: a row reads a source row
 * not yet written when rows run downwards for sy >= 0 and upwards for
 * sy < 0, and memmove shifts within a row. */
void
rt_aug_crop(float *x, int c, int h, int w, int pad, const float *fill,
            RtRng *r)
{
	int dy, dx, sy, sx, k, i, i0, step, n, lo, j;
	float *plane, *dst, v;

	dy = (int)rt_rng_below(r, 2 * (uint32_t)pad + 1);
	dx = (int)rt_rng_below(r, 2 * (uint32_t)pad + 1);
	sy = dy - pad;
	sx = dx - pad;
	lo = sx < 0 ? -sx : 0;               /* first column with a source */
	n = w - (sx < 0 ? -sx : sx);         /* columns with a source */
	step = sy >= 0 ? 1 : -1;
	i0 = sy >= 0 ? 0 : h - 1;
	for (k = 0; k < c; k++) {
		plane = x + (size_t)k * h * w;
		v = fill ? fill[k] : 0;
		for (i = i0; i >= 0 && i < h; i += step) {
			dst = plane + (size_t)i * w;
			if (i + sy < 0 || i + sy >= h || n <= 0) {
				for (j = 0; j < w; j++)
					dst[j] = v;
				continue;
			}
			memmove(dst + lo, plane + (size_t)(i + sy) * w + lo + sx,
			        (size_t)n * sizeof(float));
			for (j = 0; j < lo; j++)
				dst[j] = v;
			for (j = lo + n; j < w; j++)
				dst[j] = v;
		}
	}
}

/* Sets rows [y0,y1) × columns [x0,x1) of every channel to v; the
 * rectangle is clipped to the image. */
static void
fill_rect(float *x, int c, int h, int w, int y0, int y1, int x0, int x1,
          float v)
{
	int k, i, j;

	y0 = y0 < 0 ? 0 : y0;
	x0 = x0 < 0 ? 0 : x0;
	y1 = y1 > h ? h : y1;
	x1 = x1 > w ? w : x1;
	for (k = 0; k < c; k++)
		for (i = y0; i < y1; i++)
			for (j = x0; j < x1; j++)
				x[((size_t)k * h + i) * w + j] = v;
}

/* The square is size wide for odd sizes too (the paper's code, which
 * clips [cy - size/2, cy + size/2), makes it one narrower there). */
void
rt_aug_cutout(float *x, int c, int h, int w, int size, RtRng *r)
{
	int cy, cx;

	cy = (int)rt_rng_below(r, (uint32_t)h);
	cx = (int)rt_rng_below(r, (uint32_t)w);
	fill_rect(x, c, h, w, cy - size / 2, cy - size / 2 + size,
	          cx - size / 2, cx - size / 2 + size, 0);
}

/* The arithmetic is double; nearbyint rounds half to even in the default
 * rounding mode, as Python's round() in torchvision does. */
void
rt_aug_erase(float *x, int c, int h, int w, const RtAugment *a, RtRng *r)
{
	double area, lr0, lr1, share, ratio;
	int t, eh, ew, i, j;

	if (!(rt_rng_uniform(r) < a->p))
		return;
	area = (double)h * w;
	lr0 = log(a->ratio[0]);
	lr1 = log(a->ratio[1]);
	for (t = 0; t < ERASE_ATTEMPTS; t++) {
		share = a->scale[0] + (a->scale[1] - a->scale[0]) *
		        (double)rt_rng_uniform(r);
		ratio = exp(lr0 + (lr1 - lr0) * (double)rt_rng_uniform(r));
		eh = (int)nearbyint(sqrt(share * area * ratio));
		ew = (int)nearbyint(sqrt(share * area / ratio));
		if (!(eh < h && ew < w))
			continue;
		i = (int)rt_rng_below(r, (uint32_t)(h - eh + 1));
		j = (int)rt_rng_below(r, (uint32_t)(w - ew + 1));
		fill_rect(x, c, h, w, i, i + eh, j, j + ew, a->value);
		return;
	}
}

/* log of a Gamma(a, 1) draw.  Marsaglia & Tsang (2000) for a >= 1: with
 * d = a - 1/3 and c = 1/sqrt(9d), x normal and v = (1 + cx)^3 > 0, d·v
 * is accepted when u < 1 - 0.0331x^4 (the squeeze) or when
 * log u < x²/2 + d(1 - v + log v).  For a < 1, Γ(a) = Γ(a+1)·U^(1/a),
 * whose log is the boost; U and u are drawn as 1 - uniform, in (0,1]. */
static double
log_gamma_draw(RtRng *r, double a)
{
	double boost, d, c, x, v, u;

	boost = 0;
	if (a < 1) {
		boost = log(1.0 - rt_rng_uniform(r)) / a;
		a += 1;
	}
	d = a - 1.0 / 3;
	c = 1 / sqrt(9 * d);
	for (;;) {
		x = rt_rng_normal(r);
		v = 1 + c * x;
		if (v <= 0)
			continue;
		v = v * v * v;
		u = 1.0 - rt_rng_uniform(r);
		if (u < 1 - 0.0331 * x * x * x * x ||
		    log(u) < 0.5 * x * x + d * (1 - v + log(v)))
			return log(d * v) + boost;
	}
}

/* X/(X+Y) = 1/(1 + Y/X) = 1/(1 + exp(log Y - log X)). */
float
rt_rng_beta(RtRng *r, float a, float b)
{
	double lx, ly;

	lx = log_gamma_draw(r, a);
	ly = log_gamma_draw(r, b);
	return (float)(1 / (1 + exp(ly - lx)));
}

float
rt_aug_mixup(float *x, int n, int dim, const int32_t *y, int32_t *y2,
             float alpha, float *work, int32_t *perm, RtRng *r)
{
	const float *other;
	float lam, *row;
	size_t d, k;
	int i;

	lam = rt_rng_beta(r, alpha, alpha);
	for (i = 0; i < n; i++)
		perm[i] = i;
	rt_shuffle(perm, n, r);
	d = (size_t)dim;
	memcpy(work, x, (size_t)n * d * sizeof(float));
	for (i = 0; i < n; i++) {
		row = x + i * d;
		other = work + perm[i] * d;
		for (k = 0; k < d; k++)
			row[k] = lam * row[k] + (1 - lam) * other[k];
		y2[i] = y[perm[i]];
	}
	return lam;
}

float
rt_augment_batch(const RtAugment *a, int naug, float *x, int n, int c, int h,
                 int w, const float *fill, const int32_t *y, int32_t *y2,
                 float *work, int32_t *perm, RtRng *r)
{
	size_t dim;
	float *img;
	int i, k;

	dim = (size_t)c * h * w;
	for (i = 0; i < n; i++) {
		img = x + i * dim;
		for (k = 0; k < naug; k++) {
			switch (a[k].kind) {
			case RT_AUG_HFLIP:
				rt_aug_hflip(img, c, h, w, a[k].p, r);
				break;
			case RT_AUG_CROP:
				rt_aug_crop(img, c, h, w, a[k].size, fill, r);
				break;
			case RT_AUG_CUTOUT:
				rt_aug_cutout(img, c, h, w, a[k].size, r);
				break;
			case RT_AUG_ERASE:
				rt_aug_erase(img, c, h, w, &a[k], r);
				break;
			}
		}
	}
	if (naug > 0 && a[naug - 1].kind == RT_AUG_MIXUP)
		return rt_aug_mixup(x, n, (int)dim, y, y2, a[naug - 1].alpha, work,
		                    perm, r);
	return 1;
}
