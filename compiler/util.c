/*
 * util.c — the arena, growable strings and the two error channels.
 */
#include <stdlib.h>
#include <string.h>

#include "nncc.h"

/* The arena is a list of blocks; everything the compiler builds lives in it
 * and goes at once with ctx_free. */
struct Arena {
	Arena *next;
	size_t used, cap;
	_Alignas(16) unsigned char mem[];
};

static Arena *arena_block(size_t cap, Arena *next)
{
	Arena *a = malloc(sizeof *a + cap);
	if (!a) {
		fprintf(stderr, "nncc: out of memory\n");
		exit(2);
	}
	a->next = next;
	a->used = 0;
	a->cap = cap;
	return a;
}

void *ctx_alloc(Ctx *c, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!c->arena || c->arena->used + n > c->arena->cap) {
		size_t cap = n > (1 << 20) ? n : (1 << 20);
		c->arena = arena_block(cap, c->arena);
		c->arena_bytes += cap;
	}
	void *p = c->arena->mem + c->arena->used;
	c->arena->used += n;
	memset(p, 0, n);
	return p;
}

char *ctx_strdup(Ctx *c, const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(ctx_alloc(c, n), s, n);
}

char *ctx_sprintf(Ctx *c, const char *fmt, ...)
{
	Buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	char *s = ctx_strdup(c, b.s ? b.s : "");
	buf_free(&b);
	return s;
}

Ctx *ctx_new(void)
{
	Ctx *c = calloc(1, sizeof *c);
	if (!c) {
		fprintf(stderr, "nncc: out of memory\n");
		exit(2);
	}
	c->input = c->label = -1;
	return c;
}

void ctx_free(Ctx *c)
{
	for (Arena *a = c->arena, *next; a; a = next) {
		next = a->next;
		free(a);
	}
	free(c);
}

void buf_vprintf(Buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		bug("vsnprintf failed");
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			fprintf(stderr, "nncc: out of memory\n");
			exit(2);
		}
		b->s = s;
		b->cap = cap;
	}
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_printf(Buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_puts(Buf *b, const char *s)
{
	buf_printf(b, "%s", s);
}

void buf_free(Buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

void bug_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "nncc: internal error at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nthis is a bug in nncc; please report it with the "
	                "model script\n");
	exit(2);
}

#ifdef NNCC_FUZZ
jmp_buf *nncc_fuzz_jump;
#endif

void user_error(const char *where, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
#ifdef NNCC_FUZZ
	if (nncc_fuzz_jump)
		longjmp(*nncc_fuzz_jump, 1);
#endif
	exit(1);
}
