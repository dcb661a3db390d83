/*
 * fuzz_front.c — libFuzzer harness for nncc itself: the input is a model
 * script, and nncc compiles it in this process, from the Lua front end to
 * the written C file, as
 *
 *   nncc model.lua -o out.c --report --lua-mem 64 --lua-steps 2
 *
 * A mistake in the script is a user error: nncc prints it and, in this
 * build (-DNNCC_FUZZ), jumps back here through nncc_fuzz_jump instead of
 * exiting; the harness frees the compiler's context and takes the next
 * input.  Everything else is a finding: a crash, a sanitizer report, a
 * leak, a bug (nncc exits 2, which libFuzzer reports), a hang.
 *
 * The fuzz build also leaves Lua's pattern matching out of the sandbox
 * (front.c): it runs in C, where the instruction budget cannot stop it,
 * and nncc stops it with SIGALRM and _exit, which would end the fuzzer.
 *
 * make fuzz builds it with clang -fsanitize=fuzzer,address,undefined from
 * the compiler's sources (main.c with -DNNCC_NO_MAIN); tests/fuzz/README.md
 * says more.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../compiler/nncc.h"

static char dir[] = "/tmp/nncc-fuzz-front-XXXXXX";

static void cleanup(void)
{
	static const char *const files[] = {"model.lua", "out.c", "out.h"};
	char p[96];
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char script[96], out[96];
	snprintf(script, sizeof script, "%s/model.lua", dir);
	snprintf(out, sizeof out, "%s/out.c", dir);
	FILE *f = fopen(script, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	char *argv[] = {"nncc", script, "-o", out, "--report", "--lua-mem", "64",
	                "--lua-steps", "2", NULL};
	Ctx *c = ctx_new();
	jmp_buf jb;
	if (!setjmp(jb)) {
		nncc_fuzz_jump = &jb;
		nncc_main(c, (int)(sizeof argv / sizeof *argv) - 1, argv);
	}
	nncc_fuzz_jump = NULL;
	ctx_free(c);
	return 0;
}
