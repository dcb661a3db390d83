/*
 * cscan.c — reads a C file and checks that no text from a model script
 * can have escaped into it (tests/harden/run.sh).  It lexes just enough
 * C to tell code, comments, string and character literals apart, and
 * reports, with the line:
 *   - a control byte (but newline and tab) or "??" (a trigraph) anywhere,
 *   - a byte past ASCII or a raw newline inside a literal (nncc writes
 *     those as octal escapes),
 *   - a comment that opens another comment ("/" "*" inside it).
 * It prints the code alone, literals emptied and comments dropped, for
 * the caller to search for what must never become code.  Exit 1 on a
 * report, 2 on a usage error.
 *
 *   cscan FILE.c > code-only.txt
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
	if (!f) {
		fprintf(stderr, "usage: cscan FILE.c\n");
		return 2;
	}
	enum { CODE, STR, CHR, BLOCK, LINE } st = CODE;
	int c, prev = 0, line = 1, bad = 0;
	while ((c = getc(f)) != EOF) {
		if ((c < 32 && c != '\n' && c != '\t') || c == 127 ||
		    (c == '?' && prev == '?')) {
			fprintf(stderr, "%s:%d: byte 0x%02x\n", argv[1], line, c);
			bad = 1;
		}
		if ((st == STR || st == CHR) && (c >= 128 || c == '\n')) {
			fprintf(stderr, "%s:%d: raw byte 0x%02x in a literal\n",
			        argv[1], line, c);
			bad = 1;
		}
		switch (st) {
		case CODE:
			if (c == '"' || c == '\'') {
				st = c == '"' ? STR : CHR;
				putchar(c);
			} else if (c == '*' && prev == '/') {
				st = BLOCK;
				c = 0;        /* the '*' opens, it cannot close */
			} else if (c == '/' && prev == '/') {
				st = LINE;
			} else if (c != '/') {
				if (prev == '/')
					putchar('/');
				putchar(c);
			}
			break;
		case STR:
		case CHR:
			if (c == '\\') {
				c = getc(f);       /* an escape: skip the next byte */
				if (c == '\n')
					line++;
				c = 0;
			} else if (c == (st == STR ? '"' : '\'')) {
				putchar(c);
				st = CODE;
				c = 0;
			}
			break;
		case BLOCK:
			if (c == '*' && prev == '/') {
				fprintf(stderr, "%s:%d: '/*' inside a comment\n", argv[1],
				        line);
				bad = 1;
			}
			if (c == '/' && prev == '*') {
				st = CODE;
				c = 0;
			}
			break;
		case LINE:
			if (c == '\n') {
				st = CODE;
				putchar('\n');
			}
			break;
		}
		if (c == '\n')
			line++;
		prev = c;
	}
	fclose(f);
	return bad;
}
