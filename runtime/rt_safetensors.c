/*
 * rt_safetensors.c — checkpoints in the safetensors format.
 *
 * A file is an 8-byte little-endian header length N, N bytes of JSON
 *
 *	{"__metadata__":{"k":"v",...},
 *	 "name":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}, ...}
 *
 * padded with spaces to a multiple of 8, then the tensors' bytes; offsets
 * count from the first byte after the header.  Saving allocates nothing
 * (it runs every epoch, inside training): the header is produced twice,
 * once to measure it and once to write it.  Loading trusts nothing in the
 * file: every length and offset is checked before it is used.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nncc_rt.h"

enum { MAX_HEADER = 100 * 1000 * 1000 };

static int
host_little_endian(void)
{
	uint32_t one = 1;
	unsigned char c;

	memcpy(&c, &one, 1);
	return c == 1;
}

static void
swap32(float *x, uint64_t n)
{
	unsigned char *p, t;
	uint64_t i;

	p = (unsigned char *)x;
	for (i = 0; i < n; i++, p += 4) {
		t = p[0]; p[0] = p[3]; p[3] = t;
		t = p[1]; p[1] = p[2]; p[2] = t;
	}
}

/* Product of a shape in elements; -1 if a dim is negative or the byte
 * count would not fit in 63 bits. */
static int64_t
numel(int rank, const int64_t *shape)
{
	int64_t n;
	int i;

	n = 1;
	for (i = 0; i < rank; i++) {
		if (shape[i] < 0)
			return -1;
		if (shape[i] && n > INT64_MAX / 4 / shape[i])
			return -1;
		n *= shape[i];
	}
	return n;
}

static void
shape_str(char *buf, size_t cap, int rank, const int64_t *shape)
{
	size_t k;
	int i;

	k = 0;
	buf[k++] = '[';
	for (i = 0; i < rank && k < cap; i++)
		k += (size_t)snprintf(buf + k, cap - k, "%s%" PRId64,
		                      i ? "," : "", shape[i]);
	if (k + 2 <= cap) {
		buf[k++] = ']';
		buf[k] = 0;
	} else {
		buf[cap - 1] = 0;
	}
}

/* ---- Metadata ---------------------------------------------------------- */

/* Copies s into d[cap], cutting it short if it must. */
static void
copy_str(char *d, size_t cap, const char *s)
{
	size_t n;

	n = strlen(s);
	if (n >= cap)
		n = cap - 1;
	memcpy(d, s, n);
	d[n] = 0;
}

const char *
rt_meta_get(const RtMeta *m, const char *key)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->key[i], key) == 0)
			return m->val[i];
	return NULL;
}

/* Replaces key's value or appends the pair.  Keys past 31 bytes and values
 * past 127 are cut short; a pair that finds the table full is dropped. */
void
rt_meta_set(RtMeta *m, const char *key, const char *val)
{
	char k[sizeof m->key[0]];
	int i;

	copy_str(k, sizeof k, key);
	for (i = 0; i < m->n; i++)
		if (strcmp(m->key[i], k) == 0)
			break;
	if (i == m->n) {
		if (m->n == RT_MAXMETA)
			return;
		m->n++;
		memcpy(m->key[i], k, sizeof k);
	}
	copy_str(m->val[i], sizeof m->val[i], val);
}

void
rt_state_to_meta(const RtState *s, RtMeta *m)
{
	char buf[128];

	snprintf(buf, sizeof buf, "%" PRId32, s->epoch);
	rt_meta_set(m, "epoch", buf);
	snprintf(buf, sizeof buf, "%" PRId64, s->step);
	rt_meta_set(m, "step", buf);
	snprintf(buf, sizeof buf, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64
	         "%016" PRIx64, s->data_rng.s[0], s->data_rng.s[1],
	         s->data_rng.s[2], s->data_rng.s[3]);
	rt_meta_set(m, "data_rng", buf);
	snprintf(buf, sizeof buf, "%a", (double)s->best);
	rt_meta_set(m, "best", buf);
	snprintf(buf, sizeof buf, "%" PRId32, s->bad_epochs);
	rt_meta_set(m, "bad_epochs", buf);
	snprintf(buf, sizeof buf, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64
	         "%016" PRIx64, s->aug_rng.s[0], s->aug_rng.s[1],
	         s->aug_rng.s[2], s->aug_rng.s[3]);
	rt_meta_set(m, "aug_rng", buf);
	snprintf(buf, sizeof buf, "%a %a %" PRId32 " %" PRId32, s->plateau_lr,
	         s->plateau_best, s->plateau_bad, s->plateau_cooldown);
	rt_meta_set(m, "plateau", buf);
}

/* An RNG state of 64 lowercase hex digits, as rt_state_to_meta writes
 * it; -1 if malformed. */
static int
meta_rng(const char *hex, RtRng *r)
{
	char word[17];
	int i;

	if (!hex || strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
		return -1;
	for (i = 0; i < 4; i++) {
		memcpy(word, hex + 16 * i, 16);
		word[16] = 0;
		r->s[i] = strtoull(word, NULL, 16);
	}
	return 0;
}

/* The plateau schedule's state, "lr best bad cooldown", into p (only
 * its plateau fields).  0 if absent (a checkpoint from before it) or
 * well-formed, -1 if malformed. */
static int
plateau_from_meta(RtState *p, const RtMeta *m)
{
	const char *s;
	char *end;
	long bad, cool;

	s = rt_meta_get(m, "plateau");
	if (!s)
		return 0;
	p->plateau_lr = strtod(s, &end);
	if (end == s || *end != ' ')
		return -1;
	s = end + 1;
	p->plateau_best = strtod(s, &end);
	if (end == s || *end != ' ' || end[1] < '0' || end[1] > '9')
		return -1;
	bad = strtol(end + 1, &end, 10);
	if (*end != ' ' || end[1] < '0' || end[1] > '9')
		return -1;
	cool = strtol(end + 1, &end, 10);
	if (*end || bad > INT32_MAX || cool > INT32_MAX)
		return -1;
	p->plateau_bad = (int32_t)bad;
	p->plateau_cooldown = (int32_t)cool;
	return 0;
}

/* A metadata integer in [0, max]; -1 if absent or malformed. */
static int
meta_int(const RtMeta *m, const char *key, int64_t max, int64_t *v)
{
	const char *s;
	char *end;
	long long x;

	s = rt_meta_get(m, key);
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (*end || errno || x > max)
		return -1;
	*v = x;
	return 0;
}

int
rt_state_from_meta(RtState *s, const RtMeta *m, const char *path, RtErr *e)
{
	const char *rng, *best, *aug;
	char word[17], *end;
	int64_t epoch, step, bad;
	RtRng aug_rng;
	RtState plateau;
	int i;

	if (meta_int(m, "epoch", INT32_MAX, &epoch) < 0)
		return rt_fail(e, "%s: __metadata__ has no valid 'epoch'", path);
	if (meta_int(m, "step", INT64_MAX, &step) < 0)
		return rt_fail(e, "%s: __metadata__ has no valid 'step'", path);
	if (meta_int(m, "bad_epochs", INT32_MAX, &bad) < 0)
		return rt_fail(e, "%s: __metadata__ has no valid 'bad_epochs'",
		               path);
	rng = rt_meta_get(m, "data_rng");
	if (!rng || strlen(rng) != 64 || strspn(rng, "0123456789abcdef") != 64)
		return rt_fail(e, "%s: __metadata__ has no valid 'data_rng'", path);
	best = rt_meta_get(m, "best");
	if (best)
		strtof(best, &end);
	if (!best || !*best || *end)
		return rt_fail(e, "%s: __metadata__ has no valid 'best'", path);
	aug = rt_meta_get(m, "aug_rng");
	if (aug && meta_rng(aug, &aug_rng) < 0)
		return rt_fail(e, "%s: __metadata__ has no valid 'aug_rng'", path);
	plateau = *s;
	if (plateau_from_meta(&plateau, m) < 0)
		return rt_fail(e, "%s: __metadata__ has no valid 'plateau'", path);
	*s = plateau;
	s->epoch = (int32_t)epoch;
	s->step = step;
	s->bad_epochs = (int32_t)bad;
	s->best = strtof(best, NULL);
	for (i = 0; i < 4; i++) {
		memcpy(word, rng + 16 * i, 16);
		word[16] = 0;
		s->data_rng.s[i] = strtoull(word, NULL, 16);
	}
	if (aug)
		s->aug_rng = aug_rng;
	return 0;
}

/* ---- Saving ------------------------------------------------------------ */

/* Sends header bytes to f, or only counts them when f is NULL. */
typedef struct Out {
	FILE *f;
	uint64_t n;
} Out;

static void
out_c(Out *o, int c)
{
	if (o->f)
		putc(c, o->f);
	o->n++;
}

static void
out_s(Out *o, const char *s)
{
	while (*s)
		out_c(o, (unsigned char)*s++);
}

/* A JSON string: quotes, backslashes and control bytes escaped; other
 * bytes (UTF-8 included) pass through. */
static void
out_json(Out *o, const char *s)
{
	char esc[8];

	out_c(o, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			out_c(o, '\\');
			out_c(o, *s);
		} else if ((unsigned char)*s < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)*s);
			out_s(o, esc);
		} else {
			out_c(o, (unsigned char)*s);
		}
	}
	out_c(o, '"');
}

static void
out_int(Out *o, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%" PRIu64, v);
	out_s(o, buf);
}

static void
out_header(Out *o, const RtTensor *t, int n, const RtMeta *meta)
{
	uint64_t off, bytes;
	int i, k;

	out_c(o, '{');
	if (meta && meta->n > 0) {
		out_s(o, "\"__metadata__\":{");
		for (i = 0; i < meta->n; i++) {
			if (i)
				out_c(o, ',');
			out_json(o, meta->key[i]);
			out_c(o, ':');
			out_json(o, meta->val[i]);
		}
		out_c(o, '}');
		if (n > 0)
			out_c(o, ',');
	}
	off = 0;
	for (i = 0; i < n; i++) {
		bytes = 4 * (uint64_t)numel(t[i].rank, t[i].shape);
		if (i)
			out_c(o, ',');
		out_json(o, t[i].name);
		out_s(o, ":{\"dtype\":\"F32\",\"shape\":[");
		for (k = 0; k < t[i].rank; k++) {
			if (k)
				out_c(o, ',');
			out_int(o, (uint64_t)t[i].shape[k]);
		}
		out_s(o, "],\"data_offsets\":[");
		out_int(o, off);
		out_c(o, ',');
		out_int(o, off + bytes);
		out_s(o, "]}");
		off += bytes;
	}
	out_c(o, '}');
}

static int
write_tensor(FILE *f, const RtTensor *t)
{
	uint64_t n, i;
	unsigned char b[4];
	uint32_t u;

	n = (uint64_t)numel(t->rank, t->shape);
	if (n == 0)
		return 0;
	if (host_little_endian())
		return fwrite(t->data, 4, n, f) == n ? 0 : -1;
	for (i = 0; i < n; i++) {
		memcpy(&u, &t->data[i], 4);
		b[0] = (unsigned char)u;
		b[1] = (unsigned char)(u >> 8);
		b[2] = (unsigned char)(u >> 16);
		b[3] = (unsigned char)(u >> 24);
		if (fwrite(b, 1, 4, f) != 4)
			return -1;
	}
	return 0;
}

/* After the rename, syncing the directory makes the new name durable.
 * Best effort: a failure here cannot tear the file. */
static void
sync_dir(const char *path)
{
	char dir[4096];
	const char *slash;
	size_t n;
	int fd;

	slash = strrchr(path, '/');
	if (!slash) {
		strcpy(dir, ".");
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof dir)
			return;
		memcpy(dir, path, n);
		dir[n] = 0;
	}
	fd = open(dir, O_RDONLY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Test hook: NNCC_TEST_SIGKILL_IN_SAVE=NAME kills the process with
 * SIGKILL halfway through writing NAME.tmp (NAME: the last component of
 * the path), the worst moment for a crash; tests/trainer/driver.sh shows
 * that the NAME written before survives it whole and loads. */
static void
test_kill_in_save(const char *path, FILE *f)
{
#ifdef SIGKILL
	const char *name, *base;

	name = getenv("NNCC_TEST_SIGKILL_IN_SAVE");
	if (!name)
		return;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strcmp(base, name) == 0) {
		fflush(f);
		raise(SIGKILL);
	}
#else
	(void)path;
	(void)f;
#endif
}

int
rt_st_save(const char *path, const RtTensor *t, int n, const RtMeta *meta,
           RtErr *e)
{
	char tmp[4096];
	unsigned char len[8];
	Out o;
	uint64_t hlen;
	FILE *f;
	int i, ok;

	for (i = 0; i < n; i++)
		if (!t[i].name || t[i].rank < 0 || t[i].rank > RT_MAXRANK ||
		    numel(t[i].rank, t[i].shape) < 0 ||
		    (!t[i].data && numel(t[i].rank, t[i].shape) > 0))
			return rt_fail(e, "%s: tensor %d has no name, data or "
			               "valid shape", path, i);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return rt_fail(e, "%s: path too long", path);
	o.f = NULL;
	o.n = 0;
	out_header(&o, t, n, meta);
	hlen = (o.n + 7) / 8 * 8;
	f = fopen(tmp, "wb");
	if (!f)
		return rt_fail(e, "%s: cannot create: %s", tmp, strerror(errno));
	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)(hlen >> 8 * i);
	fwrite(len, 1, 8, f);
	o.f = f;
	o.n = 0;
	out_header(&o, t, n, meta);
	while (o.n < hlen)
		out_c(&o, ' ');
	ok = 1;
	for (i = 0; i < n && ok; i++) {
		if (i == n / 2)
			test_kill_in_save(path, f);
		ok = write_tensor(f, &t[i]) == 0;
	}
	ok = ok && !ferror(f) && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		rt_fail(e, "%s: write failed: %s", tmp, strerror(errno));
		remove(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		rt_fail(e, "%s: cannot rename %s over it: %s", path, tmp,
		        strerror(errno));
		remove(tmp);
		return -1;
	}
	sync_dir(path);
	return 0;
}

/* ---- Loading: a strict JSON reader for exactly the safetensors header -- */

typedef struct Json {
	char *p, *start, *end;
	const char *path;
	RtErr *e;
} Json;

/* One tensor as the file describes it. */
typedef struct Entry {
	char *name;
	int rank;
	int64_t shape[RT_MAXRANK];
	uint64_t begin, end;
	int used;
} Entry;

static int
bad(Json *j, const char *what)
{
	return rt_fail(j->e, "%s: malformed header: %s at byte %ld", j->path,
	               what, (long)(j->p - j->start));
}

static void
ws(Json *j)
{
	while (j->p < j->end &&
	       (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
expect(Json *j, char c)
{
	char what[16];

	ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return 0;
	}
	snprintf(what, sizeof what, "expected '%c'", c);
	return bad(j, what);
}

/* Steps through an object's members after its '{': 1 when another member
 * follows, 0 at the closing '}', -1 on anything else. */
static int
more(Json *j, int *count)
{
	ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return 0;
	}
	if (*count > 0) {
		if (j->p >= j->end || *j->p != ',')
			return bad(j, "expected ',' or '}'");
		j->p++;
	}
	(*count)++;
	return 1;
}

static int
hex4(Json *j, const char *s, unsigned *v)
{
	int i;

	*v = 0;
	if (j->end - s < 4)
		return bad(j, "short \\u escape");
	for (i = 0; i < 4; i++) {
		*v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			*v |= (unsigned)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			*v |= (unsigned)(s[i] - 'a' + 10);
		else if (s[i] >= 'A' && s[i] <= 'F')
			*v |= (unsigned)(s[i] - 'A' + 10);
		else
			return bad(j, "bad \\u escape");
	}
	return 0;
}

/* Decodes a string in place (an escape never decodes longer than it is
 * written) and NUL-terminates it.  \u0000 is refused: names are C strings. */
static int
str(Json *j, char **out)
{
	char *r, *w;
	unsigned c, lo;

	if (expect(j, '"') < 0)
		return -1;
	r = w = j->p;
	*out = w;
	for (;;) {
		if (r >= j->end)
			return bad(j, "unterminated string");
		c = (unsigned char)*r++;
		if (c == '"')
			break;
		if (c < 0x20)
			return bad(j, "control character in string");
		if (c != '\\') {
			*w++ = (char)c;
			continue;
		}
		if (r >= j->end)
			return bad(j, "unterminated string");
		switch (*r++) {
		case '"': *w++ = '"'; continue;
		case '\\': *w++ = '\\'; continue;
		case '/': *w++ = '/'; continue;
		case 'b': *w++ = '\b'; continue;
		case 'f': *w++ = '\f'; continue;
		case 'n': *w++ = '\n'; continue;
		case 'r': *w++ = '\r'; continue;
		case 't': *w++ = '\t'; continue;
		case 'u': break;
		default:
			return bad(j, "unknown escape");
		}
		if (hex4(j, r, &c) < 0)
			return -1;
		r += 4;
		if (c >= 0xdc00 && c <= 0xdfff)
			return bad(j, "lone low surrogate");
		if (c >= 0xd800 && c <= 0xdbff) {
			if (j->end - r < 6 || r[0] != '\\' || r[1] != 'u' ||
			    hex4(j, r + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
				return bad(j, "lone high surrogate");
			r += 6;
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (c == 0)
			return bad(j, "\\u0000 in string");
		if (c < 0x80) {
			*w++ = (char)c;
		} else if (c < 0x800) {
			*w++ = (char)(0xc0 | c >> 6);
			*w++ = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			*w++ = (char)(0xe0 | c >> 12);
			*w++ = (char)(0x80 | (c >> 6 & 0x3f));
			*w++ = (char)(0x80 | (c & 0x3f));
		} else {
			*w++ = (char)(0xf0 | c >> 18);
			*w++ = (char)(0x80 | (c >> 12 & 0x3f));
			*w++ = (char)(0x80 | (c >> 6 & 0x3f));
			*w++ = (char)(0x80 | (c & 0x3f));
		}
	}
	j->p = r;
	*w = 0;
	return 0;
}

/* A non-negative integer without leading zeros, at most INT64_MAX. */
static int
uint(Json *j, uint64_t *v)
{
	ws(j);
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return bad(j, "expected a non-negative integer");
	if (*j->p == '0' && j->p + 1 < j->end && j->p[1] >= '0' &&
	    j->p[1] <= '9')
		return bad(j, "leading zero");
	*v = 0;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		if (*v > (INT64_MAX - 9) / 10)
			return bad(j, "integer too large");
		*v = *v * 10 + (uint64_t)(*j->p++ - '0');
	}
	if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))
		return bad(j, "expected an integer");
	return 0;
}

/* An array of at most max integers; returns how many, or -1. */
static int
uints(Json *j, uint64_t *v, int max)
{
	int n;

	if (expect(j, '[') < 0)
		return -1;
	ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return 0;
	}
	for (n = 0;; n++) {
		if (n == max)
			return bad(j, "too many integers in array");
		if (uint(j, &v[n]) < 0)
			return -1;
		ws(j);
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			return n + 1;
		}
		if (expect(j, ',') < 0)
			return -1;
	}
}

static int
parse_meta(Json *j, RtMeta *meta)
{
	char *k, *v;
	int count, r;

	if (expect(j, '{') < 0)
		return -1;
	count = 0;
	while ((r = more(j, &count)) == 1) {
		if (str(j, &k) < 0 || expect(j, ':') < 0 || str(j, &v) < 0)
			return -1;
		if (!meta)
			continue;
		if (meta->n == RT_MAXMETA || strlen(k) >= sizeof meta->key[0] ||
		    strlen(v) >= sizeof meta->val[0])
			return rt_fail(j->e, "%s: __metadata__ holds more than "
			               "this reader keeps (at most %d pairs, "
			               "keys < 32 bytes, values < 128)", j->path,
			               RT_MAXMETA);
		rt_meta_set(meta, k, v);
	}
	return r;
}

static int
parse_tensor(Json *j, Entry *t)
{
	uint64_t v[RT_MAXRANK];
	char *key, *dtype;
	int count, r, seen, i;

	if (expect(j, '{') < 0)
		return -1;
	count = seen = 0;
	while ((r = more(j, &count)) == 1) {
		if (str(j, &key) < 0 || expect(j, ':') < 0)
			return -1;
		if (strcmp(key, "dtype") == 0 && !(seen & 1)) {
			seen |= 1;
			if (str(j, &dtype) < 0)
				return -1;
			if (strcmp(dtype, "F32") != 0)
				return rt_fail(j->e, "%s: tensor '%s' has dtype %s; "
				               "only F32 is supported", j->path,
				               t->name, dtype);
		} else if (strcmp(key, "shape") == 0 && !(seen & 2)) {
			seen |= 2;
			if ((t->rank = uints(j, v, RT_MAXRANK)) < 0)
				return -1;
			for (i = 0; i < t->rank; i++)
				t->shape[i] = (int64_t)v[i];
		} else if (strcmp(key, "data_offsets") == 0 && !(seen & 4)) {
			seen |= 4;
			if ((i = uints(j, v, 2)) < 0)
				return -1;
			if (i != 2)
				return bad(j, "data_offsets needs two integers");
			t->begin = v[0];
			t->end = v[1];
		} else {
			return bad(j, "unknown or repeated key in a tensor");
		}
	}
	if (r == 0 && seen != 7)
		return rt_fail(j->e, "%s: tensor '%s' lacks dtype, shape or "
		               "data_offsets", j->path, t->name);
	return r;
}

/* Parses the whole header into a malloc'd array of entries. */
static int
parse_header(Json *j, Entry **out, int *nout, RtMeta *meta)
{
	Entry *ent, *grown;
	char *key;
	int n, cap, count, r, had_meta;

	ent = NULL;
	n = cap = count = had_meta = 0;
	*out = NULL;
	*nout = 0;
	if (expect(j, '{') < 0)
		return -1;
	while ((r = more(j, &count)) == 1) {
		if (str(j, &key) < 0 || expect(j, ':') < 0)
			break;
		if (strcmp(key, "__metadata__") == 0) {
			if (had_meta++) {
				bad(j, "__metadata__ appears twice");
				break;
			}
			if (parse_meta(j, meta) < 0)
				break;
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(ent, (size_t)cap * sizeof *ent);
			if (!grown) {
				rt_fail(j->e, "%s: out of memory", j->path);
				break;
			}
			ent = grown;
		}
		memset(&ent[n], 0, sizeof ent[n]);
		ent[n].name = key;
		if (parse_tensor(j, &ent[n++]) < 0)
			break;
	}
	if (r == 1) {
		r = -1; /* left the loop on an error */
	} else if (r == 0) {
		ws(j);
		if (j->p != j->end)
			r = bad(j, "text after the closing '}'");
	}
	*out = ent;
	*nout = n;
	return r;
}

static int
check_entries(Json *j, Entry *ent, int n, uint64_t datalen)
{
	int64_t k;
	int i, m;

	for (i = 0; i < n; i++) {
		k = numel(ent[i].rank, ent[i].shape);
		if (k < 0)
			return rt_fail(j->e, "%s: tensor '%s' has an impossible "
			               "shape", j->path, ent[i].name);
		if (ent[i].begin > ent[i].end || ent[i].end > datalen)
			return rt_fail(j->e, "%s: tensor '%s' lies outside the file "
			               "(bytes %" PRIu64 "..%" PRIu64 " of %" PRIu64
			               ")", j->path, ent[i].name, ent[i].begin,
			               ent[i].end, datalen);
		if (ent[i].end - ent[i].begin != 4 * (uint64_t)k)
			return rt_fail(j->e, "%s: tensor '%s' has %" PRIu64 " bytes "
			               "for %" PRId64 " floats", j->path,
			               ent[i].name, ent[i].end - ent[i].begin, k);
		for (m = 0; m < i; m++)
			if (strcmp(ent[m].name, ent[i].name) == 0)
				return rt_fail(j->e, "%s: tensor '%s' appears twice",
				               j->path, ent[i].name);
	}
	return 0;
}

/* Pairs the caller's tensors with the file's and compares shapes. */
static int
match(Json *j, const RtTensor *t, int n, Entry *ent, int ne, Entry **which)
{
	char a[128], b[128];
	int i, k;

	for (i = 0; i < n; i++) {
		which[i] = NULL;
		for (k = 0; k < ne; k++)
			if (strcmp(ent[k].name, t[i].name) == 0)
				which[i] = &ent[k];
		if (!which[i]) {
			if (t[i].optional)
				continue;
			return rt_fail(j->e, "%s: tensor '%s' is missing", j->path,
			               t[i].name);
		}
		which[i]->used = 1;
		if (which[i]->rank != t[i].rank ||
		    memcmp(which[i]->shape, t[i].shape,
		           (size_t)t[i].rank * sizeof(int64_t)) != 0) {
			shape_str(a, sizeof a, which[i]->rank, which[i]->shape);
			shape_str(b, sizeof b, t[i].rank, t[i].shape);
			return rt_fail(j->e, "%s: tensor '%s' has shape %s in the "
			               "file, the model expects %s", j->path,
			               t[i].name, a, b);
		}
	}
	for (k = 0; k < ne; k++)
		if (!ent[k].used)
			return rt_fail(j->e, "%s: tensor '%s' in the file is not part "
			               "of this model", j->path, ent[k].name);
	return 0;
}

static int
read_tensors(FILE *f, Json *j, const RtTensor *t, int n, Entry **which,
             uint64_t base)
{
	uint64_t k;
	int i;

	for (i = 0; i < n; i++) {
		if (!which[i])
			continue;
		k = (which[i]->end - which[i]->begin) / 4;
		if (k == 0)
			continue;
		if (fseeko(f, (off_t)(base + which[i]->begin), SEEK_SET) != 0 ||
		    fread(t[i].data, 4, k, f) != k)
			return rt_fail(j->e, "%s: read error in tensor '%s'",
			               j->path, t[i].name);
		if (!host_little_endian())
			swap32(t[i].data, k);
	}
	return 0;
}

int
rt_st_load(const char *path, const RtTensor *t, int n, RtMeta *meta,
           RtErr *e)
{
	return rt_st_load_found(path, t, n, meta, NULL, e);
}

int
rt_st_load_found(const char *path, const RtTensor *t, int n, RtMeta *meta,
                 int *found, RtErr *e)
{
	unsigned char len[8];
	struct stat sb;
	uint64_t hlen, size;
	Entry *ent, **which;
	char *hdr;
	FILE *f;
	Json j;
	int ne, i, rc;

	if (meta)
		meta->n = 0;
	f = fopen(path, "rb");
	if (!f)
		return rt_fail(e, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return rt_fail(e, "%s: not a regular file", path);
	}
	size = (uint64_t)sb.st_size;
	if (size < 8 || fread(len, 1, 8, f) != 8) {
		fclose(f);
		return rt_fail(e, "%s: too short for a safetensors file", path);
	}
	hlen = 0;
	for (i = 7; i >= 0; i--)
		hlen = hlen << 8 | len[i];
	if (hlen > MAX_HEADER || hlen > size - 8) {
		fclose(f);
		return rt_fail(e, "%s: header length %" PRIu64 " does not fit a "
		               "file of %" PRIu64 " bytes", path, hlen, size);
	}
	hdr = malloc(hlen + 1);
	which = malloc((n > 0 ? (size_t)n : 1) * sizeof *which);
	if (!hdr || !which || fread(hdr, 1, hlen, f) != hlen) {
		free(hdr);
		free(which);
		fclose(f);
		return rt_fail(e, "%s: cannot read the header", path);
	}
	hdr[hlen] = 0;
	j.p = j.start = hdr;
	j.end = hdr + hlen;
	j.path = path;
	j.e = e;
	rc = parse_header(&j, &ent, &ne, meta);
	if (rc == 0)
		rc = check_entries(&j, ent, ne, size - 8 - hlen);
	if (rc == 0)
		rc = match(&j, t, n, ent, ne, which);
	if (rc == 0)
		rc = read_tensors(f, &j, t, n, which, 8 + hlen);
	for (i = 0; found && i < n; i++)
		found[i] = rc == 0 && which[i] != NULL;
	free(ent);
	free(which);
	free(hdr);
	fclose(f);
	return rc;
}
