/*
 * synthetic-cifar.c — a stand-in for CIFAR-10, which cannot be fetched
 * here: 3x32x32 colour images of ten classes, written as IDX files
 * (ubyte [N,3,32,32] images, ubyte [N] labels).
 *
 *   synthetic-cifar DIR     writes DIR/synthetic-cifar-{train,test}-{images,labels}
 *
 * Each class is a shape (disc, square, triangle, cross, ring, horizontal
 * bars, vertical bars, diagonal bars, two dots, checkerboard) drawn at a
 * random place and size, in the class's own hue half the time and in any
 * hue otherwise, on a
 * random smooth background, with per-pixel noise: learnable, but not
 * trivially (position, size, colour and background vary).  8,000 training
 * and 2,000 test images, classes in turn; fixed seed, so every run writes
 * the same bytes.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { S = 32, NTRAIN = 8000, NTEST = 2000 };

static uint64_t state = 0x9e3779b97f4a7c15ull;

/* SplitMix64: small, documented, enough for pictures. */
static double rnd(void)
{
	uint64_t z = (state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

/* Whether (x, y) is inside the class's shape centred at (cx, cy), size r. */
static int inside(int cls, double x, double y, double cx, double cy, double r)
{
	double dx = x - cx, dy = y - cy, d = sqrt(dx * dx + dy * dy);
	switch (cls) {
	case 0: return d < r;
	case 1: return fabs(dx) < r * 0.8 && fabs(dy) < r * 0.8;
	case 2: return dy < r * 0.7 && dy > -r && fabs(dx) < (dy + r) * 0.6;
	case 3: return (fabs(dx) < r * 0.25 && fabs(dy) < r) ||
	               (fabs(dy) < r * 0.25 && fabs(dx) < r);
	case 4: return d < r && d > r * 0.55;
	case 5: return fabs(dx) < r && fabs(dy) < r && ((int)floor(dy / 3) & 1);
	case 6: return fabs(dx) < r && fabs(dy) < r && ((int)floor(dx / 3) & 1);
	case 7: return fabs(dx) < r && fabs(dy) < r &&
	               ((int)floor((dx + dy) / 3) & 1);
	case 8: return sqrt((dx - r * 0.5) * (dx - r * 0.5) + dy * dy) < r * 0.35 ||
	               sqrt((dx + r * 0.5) * (dx + r * 0.5) + dy * dy) < r * 0.35;
	default: return fabs(dx) < r && fabs(dy) < r &&
	                (((int)floor(dx / 4) + (int)floor(dy / 4)) & 1);
	}
}

static void hue(double h, double *rgb)
{
	for (int k = 0; k < 3; k++) {
		double v = fabs(fmod(h * 6 + 4 - 2 * k, 6) - 3) - 1;   /* 0..1 */
		rgb[k] = v < 0 ? 0 : v > 1 ? 1 : v;
	}
}

static void image(int cls, unsigned char *px)
{
	double fg[3], bg0[3], bg1[3];
	/* half the time the class's hue, else any: the shape must decide */
	hue(rnd() < 0.5 ? cls / 10.0 + (rnd() - 0.5) * 0.08 : rnd(), fg);
	hue(rnd(), bg0);
	hue(rnd(), bg1);
	double r = 6 + rnd() * 6, cx = r + rnd() * (S - 2 * r),
	       cy = r + rnd() * (S - 2 * r), dark = 0.25 + rnd() * 0.3;
	for (int y = 0; y < S; y++)
		for (int x = 0; x < S; x++) {
			double t = (x + y) / (2.0 * S);
			int in = inside(cls, x + 0.5, y + 0.5, cx, cy, r);
			for (int k = 0; k < 3; k++) {
				double v = in ? 0.35 + 0.65 * fg[k]
				              : dark * ((1 - t) * bg0[k] + t * bg1[k]);
				v += (rnd() - 0.5) * 0.25;
				v = v < 0 ? 0 : v > 1 ? 1 : v;
				px[(k * S + y) * S + x] = (unsigned char)lrint(v * 255);
			}
		}
}

static void be32(FILE *f, uint32_t v)
{
	unsigned char b[4] = {v >> 24, v >> 16, v >> 8, v};
	fwrite(b, 1, 4, f);
}

static int write_set(const char *dir, const char *name, int n)
{
	char ip[4096], lp[4096];
	snprintf(ip, sizeof ip, "%s/synthetic-cifar-%s-images", dir, name);
	snprintf(lp, sizeof lp, "%s/synthetic-cifar-%s-labels", dir, name);
	FILE *fi = fopen(ip, "wb"), *fl = fopen(lp, "wb");
	if (!fi || !fl) {
		fprintf(stderr, "synthetic-cifar: cannot write %s\n", fi ? lp : ip);
		return 1;
	}
	be32(fi, 0x00000804);   /* ubyte, rank 4 */
	be32(fi, (uint32_t)n);
	be32(fi, 3);
	be32(fi, S);
	be32(fi, S);
	be32(fl, 0x00000801);
	be32(fl, (uint32_t)n);
	unsigned char px[3 * S * S];
	for (int i = 0; i < n; i++) {
		int cls = i % 10;
		image(cls, px);
		fwrite(px, 1, sizeof px, fi);
		fputc(cls, fl);
	}
	int bad = ferror(fi) | ferror(fl);
	bad |= fclose(fi) | fclose(fl);
	if (bad)
		fprintf(stderr, "synthetic-cifar: write error in %s\n", dir);
	return bad != 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: synthetic-cifar DIR\n");
		return 1;
	}
	return write_set(argv[1], "train", NTRAIN) || write_set(argv[1], "test", NTEST);
}
