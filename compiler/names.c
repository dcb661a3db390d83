/*
 * names.c — which names a script may give what nncc emits.
 *
 * Every name from the script is an identifier ([A-Za-z_][A-Za-z0-9_]*) of
 * at most MAX_NAME characters, so it can sit in C text, a comment or a
 * string as it is.  The recipe's name is more: it becomes the C type and
 * the prefix of the trainer's API (`typedef struct net net;`, net_init…),
 * so it must not be a C keyword, a name the trainer's #includes declare,
 * or one of nncc's own (nn_…, rt_…, NN_…, the trainer's static functions),
 * or the trainer would not compile.
 */
#include <string.h>

#include "nncc.h"

/* C11 and C23 keywords and GNU C's (those without a leading '_'; every
 * name with one is refused). */
static const char *const keywords[] = {
	"alignas", "alignof", "asm", "auto", "bool", "break", "case", "char",
	"const", "constexpr", "continue", "default", "do", "double", "else",
	"enum", "extern", "false", "float", "for", "goto", "if", "inline", "int",
	"long", "nullptr", "register", "restrict", "return", "short", "signed",
	"sizeof", "static", "static_assert", "struct", "switch", "thread_local",
	"true", "typedef", "typeof", "typeof_unqual", "union", "unsigned",
	"void", "volatile", "while",
};

/* What the headers of a generated trainer declare, sorted (strcmp):
 * the output of scripts/c-names.sh (glibc, gcc and clang). */
static const char *const c_names[] = {
	"BIG_ENDIAN", "BUFSIZ", "BYTE_ORDER", "EOF", "EXIT_FAILURE",
	"EXIT_SUCCESS", "FD_CLR", "FD_ISSET", "FD_SET", "FD_SETSIZE",
	"FD_ZERO", "FILE", "FILENAME_MAX", "FOPEN_MAX", "FP_ILOGB0",
	"FP_ILOGBNAN", "FP_INFINITE", "FP_NAN", "FP_NORMAL", "FP_SUBNORMAL",
	"FP_ZERO", "HUGE_VAL", "HUGE_VALF", "HUGE_VALL", "INFINITY",
	"INT16_C", "INT16_MAX", "INT16_MIN", "INT32_C", "INT32_MAX",
	"INT32_MIN", "INT64_C", "INT64_MAX", "INT64_MIN", "INT8_C", "INT8_MAX",
	"INT8_MIN", "INTMAX_C", "INTMAX_MAX", "INTMAX_MIN", "INTPTR_MAX",
	"INTPTR_MIN", "INT_FAST16_MAX", "INT_FAST16_MIN", "INT_FAST32_MAX",
	"INT_FAST32_MIN", "INT_FAST64_MAX", "INT_FAST64_MIN", "INT_FAST8_MAX",
	"INT_FAST8_MIN", "INT_LEAST16_MAX", "INT_LEAST16_MIN", "INT_LEAST32_MAX",
	"INT_LEAST32_MIN", "INT_LEAST64_MAX", "INT_LEAST64_MIN", "INT_LEAST8_MAX",
	"INT_LEAST8_MIN", "LITTLE_ENDIAN", "L_ctermid", "L_tmpnam", "MATH_ERREXCEPT",
	"MATH_ERRNO", "MB_CUR_MAX", "M_1_PI", "M_2_PI", "M_2_SQRTPI",
	"M_E", "M_LN10", "M_LN2", "M_LOG10E", "M_LOG2E", "M_PI", "M_PI_2",
	"M_PI_4", "M_SQRT1_2", "M_SQRT2", "NAN", "NFDBITS", "NULL", "PDP_ENDIAN",
	"PTRDIFF_MAX", "PTRDIFF_MIN", "P_tmpdir", "RAND_MAX", "SEEK_CUR",
	"SEEK_END", "SEEK_SET", "SIG_ATOMIC_MAX", "SIG_ATOMIC_MIN", "SIZE_MAX",
	"TMP_MAX", "UINT16_C", "UINT16_MAX", "UINT32_C", "UINT32_MAX",
	"UINT64_C", "UINT64_MAX", "UINT8_C", "UINT8_MAX", "UINTMAX_C",
	"UINTMAX_MAX", "UINTPTR_MAX", "UINT_FAST16_MAX", "UINT_FAST32_MAX",
	"UINT_FAST64_MAX", "UINT_FAST8_MAX", "UINT_LEAST16_MAX", "UINT_LEAST32_MAX",
	"UINT_LEAST64_MAX", "UINT_LEAST8_MAX", "WCHAR_MAX", "WCHAR_MIN",
	"WCONTINUED", "WEXITED", "WEXITSTATUS", "WIFCONTINUED", "WIFEXITED",
	"WIFSIGNALED", "WIFSTOPPED", "WINT_MAX", "WINT_MIN", "WNOHANG",
	"WNOWAIT", "WSTOPPED", "WSTOPSIG", "WTERMSIG", "WUNTRACED", "a64l",
	"abort", "abs", "acos", "acosf", "acosh", "acoshf", "acoshl",
	"acosl", "aligned_alloc", "alloca", "arc4random", "arc4random_buf",
	"arc4random_uniform", "asin", "asinf", "asinh", "asinhf", "asinhl",
	"asinl", "at_quick_exit", "atan", "atan2", "atan2f", "atan2l",
	"atanf", "atanh", "atanhf", "atanhl", "atanl", "atexit", "atof",
	"atoi", "atol", "atoll", "bcmp", "bcopy", "be16toh", "be32toh",
	"be64toh", "blkcnt_t", "blksize_t", "bsearch", "bzero", "caddr_t",
	"calloc", "cbrt", "cbrtf", "cbrtl", "ceil", "ceilf", "ceill",
	"char", "clearenv", "clearerr", "clearerr_unlocked", "clock_t",
	"clockid_t", "const", "copysign", "copysignf", "copysignl", "cos",
	"cosf", "cosh", "coshf", "coshl", "cosl", "ctermid", "daddr_t",
	"dev_t", "div", "div_t", "double", "double_t", "dprintf", "drand48",
	"drand48_data", "drand48_r", "drem", "dremf", "dreml", "ecvt",
	"ecvt_r", "end_ptr", "enum", "erand48", "erand48_r", "erf", "erfc",
	"erfcf", "erfcl", "erff", "erfl", "exit", "exp", "exp2", "exp2f",
	"exp2l", "expf", "expl", "explicit_bzero", "expm1", "expm1f",
	"expm1l", "extern", "fabs", "fabsf", "fabsl", "fclose", "fcvt",
	"fcvt_r", "fd_mask", "fd_set", "fdim", "fdimf", "fdiml", "fdopen",
	"feof", "feof_unlocked", "ferror", "ferror_unlocked", "fflush",
	"fflush_unlocked", "ffs", "ffsl", "ffsll", "fgetc", "fgetc_unlocked",
	"fgetpos", "fgets", "fileno", "fileno_unlocked", "finite", "finitef",
	"finitel", "float", "float_t", "flockfile", "floor", "floorf",
	"floorl", "fma", "fmaf", "fmal", "fmax", "fmaxf", "fmaxl", "fmemopen",
	"fmin", "fminf", "fminl", "fmod", "fmodf", "fmodl", "fopen",
	"fpclassify", "fpos_t", "fprintf", "fptr", "fputc", "fputc_unlocked",
	"fputs", "fread", "fread_unlocked", "free", "freopen", "frexp",
	"frexpf", "frexpl", "fsblkcnt_t", "fscanf", "fseek", "fseeko",
	"fsetpos", "fsfilcnt_t", "fsid_t", "ftell", "ftello", "ftrylockfile",
	"funlockfile", "fwrite", "fwrite_unlocked", "gamma", "gammaf",
	"gammal", "gcvt", "getc", "getc_unlocked", "getchar", "getchar_unlocked",
	"getdelim", "getenv", "getline", "getloadavg", "getsubopt", "getw",
	"gid_t", "htobe16", "htobe32", "htobe64", "htole16", "htole32",
	"htole64", "hypot", "hypotf", "hypotl", "id_t", "ilogb", "ilogbf",
	"ilogbl", "index", "initstate", "initstate_r", "ino_t", "int",
	"int16_t", "int32_t", "int64_t", "int8_t", "int_fast16_t", "int_fast32_t",
	"int_fast64_t", "int_fast8_t", "int_least16_t", "int_least32_t",
	"int_least64_t", "int_least8_t", "intmax_t", "intptr_t", "isfinite",
	"isgreater", "isgreaterequal", "isinf", "isinff", "isinfl", "isless",
	"islessequal", "islessgreater", "isnan", "isnanf", "isnanl",
	"isnormal", "isunordered", "j0", "j0f", "j0l", "j1", "j1f", "j1l",
	"jn", "jnf", "jnl", "jrand48", "jrand48_r", "key_t", "l64a",
	"labs", "lcong48", "lcong48_r", "ldexp", "ldexpf", "ldexpl",
	"ldiv", "ldiv_t", "le16toh", "le32toh", "le64toh", "lgamma",
	"lgamma_r", "lgammaf", "lgammaf_r", "lgammal", "lgammal_r", "linux",
	"llabs", "lldiv", "lldiv_t", "llrint", "llrintf", "llrintl",
	"llround", "llroundf", "llroundl", "locale_t", "loff_t", "log",
	"log10", "log10f", "log10l", "log1p", "log1pf", "log1pl", "log2",
	"log2f", "log2l", "logb", "logbf", "logbl", "logf", "logl", "long",
	"lrand48", "lrand48_r", "lrint", "lrintf", "lrintl", "lround",
	"lroundf", "lroundl", "malloc", "math_errhandling", "max_align_t",
	"mblen", "mbstowcs", "mbtowc", "memccpy", "memchr", "memcmp",
	"memcpy", "memmove", "memset", "mkdtemp", "mkstemp", "mkstemps",
	"mktemp", "mode_t", "modf", "modff", "modfl", "mrand48", "mrand48_r",
	"nan", "nanf", "nanl", "nearbyint", "nearbyintf", "nearbyintl",
	"nextafter", "nextafterf", "nextafterl", "nexttoward", "nexttowardf",
	"nexttowardl", "nlink_t", "nrand48", "nrand48_r", "off_t", "offsetof",
	"on_exit", "open_memstream", "pclose", "perror", "pid_t", "popen",
	"posix_memalign", "pow", "powf", "powl", "printf", "pselect",
	"pthread_attr_t", "pthread_barrier_t", "pthread_barrierattr_t",
	"pthread_cond_t", "pthread_condattr_t", "pthread_key_t", "pthread_mutex_t",
	"pthread_mutexattr_t", "pthread_once_t", "pthread_rwlock_t",
	"pthread_rwlockattr_t", "pthread_spinlock_t", "pthread_t", "ptrdiff_t",
	"putc", "putc_unlocked", "putchar", "putchar_unlocked", "putenv",
	"puts", "putw", "qecvt", "qecvt_r", "qfcvt", "qfcvt_r", "qgcvt",
	"qsort", "quad_t", "quick_exit", "quot", "rand", "rand_deg",
	"rand_r", "rand_sep", "rand_type", "random", "random_data", "random_r",
	"realloc", "reallocarray", "realpath", "register_t", "rem", "remainder",
	"remainderf", "remainderl", "remove", "remquo", "remquof", "remquol",
	"rename", "renameat", "return", "rewind", "rindex", "rint", "rintf",
	"rintl", "round", "roundf", "roundl", "rpmatch", "rptr", "scalb",
	"scalbf", "scalbl", "scalbln", "scalblnf", "scalblnl", "scalbn",
	"scalbnf", "scalbnl", "scanf", "seed48", "seed48_r", "select",
	"setbuf", "setbuffer", "setenv", "setlinebuf", "setstate", "setstate_r",
	"setvbuf", "short", "signbit", "signed", "signgam", "significand",
	"significandf", "significandl", "sigset_t", "sin", "sinf", "sinh",
	"sinhf", "sinhl", "sinl", "size_t", "sizeof", "snprintf", "sprintf",
	"sqrt", "sqrtf", "sqrtl", "srand", "srand48", "srand48_r", "srandom",
	"srandom_r", "sscanf", "ssize_t", "state", "static", "stderr",
	"stdin", "stdout", "stpcpy", "stpncpy", "strcasecmp", "strcasecmp_l",
	"strcat", "strchr", "strcmp", "strcoll", "strcoll_l", "strcpy",
	"strcspn", "strdup", "strerror", "strerror_l", "strerror_r",
	"strlen", "strncasecmp", "strncasecmp_l", "strncat", "strncmp",
	"strncpy", "strndup", "strnlen", "strpbrk", "strrchr", "strsep",
	"strsignal", "strspn", "strstr", "strtod", "strtof", "strtok",
	"strtok_r", "strtol", "strtold", "strtoll", "strtoq", "strtoul",
	"strtoull", "strtouq", "struct", "strxfrm", "strxfrm_l", "suseconds_t",
	"system", "tan", "tanf", "tanh", "tanhf", "tanhl", "tanl", "tempnam",
	"tgamma", "tgammaf", "tgammal", "time_t", "timer_t", "timespec",
	"timeval", "tmpfile", "tmpnam", "tmpnam_r", "trunc", "truncf",
	"truncl", "tv_nsec", "tv_sec", "tv_usec", "typedef", "u_char",
	"u_int", "u_int16_t", "u_int32_t", "u_int64_t", "u_int8_t", "u_long",
	"u_quad_t", "u_short", "uid_t", "uint", "uint16_t", "uint32_t",
	"uint64_t", "uint8_t", "uint_fast16_t", "uint_fast32_t", "uint_fast64_t",
	"uint_fast8_t", "uint_least16_t", "uint_least32_t", "uint_least64_t",
	"uint_least8_t", "uintmax_t", "uintptr_t", "ulong", "ungetc",
	"union", "unix", "unsetenv", "unsigned", "ushort", "va_arg",
	"va_copy", "va_end", "va_list", "va_start", "valloc", "vdprintf",
	"vfprintf", "vfscanf", "void", "volatile", "vprintf", "vscanf",
	"vsnprintf", "vsprintf", "vsscanf", "wchar_t", "wcstombs", "wctomb",
	"y0", "y0f", "y0l", "y1", "y1f", "y1l", "yn", "ynf", "ynl",
};

/* nncc's own: the trainer's static functions and the locals its API
 * functions declare before they name the type (`m *m = mem;` would
 * leave sizeof(m) the size of a pointer). */
static const char *const own[] = {
	"backward", "forward_eval", "forward_train", "main", "m", "mem", "seed",
	"update",
};

/* Prefixes of nncc's own names: the prelude's nn_…, NN_… and Nn…, the
 * runtime's rt_…, RT_… and Rt…, the trainer's v_…, OpenMP's omp_…; the
 * header guard NAME_H must not be nncc_rt.h's. */
static const char *const prefixes[] = {
	"nn_", "NN_", "Nn", "rt_", "RT_", "Rt", "v_", "omp_", "nncc", "NNCC",
};

static int in(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

static int sorted_in(const char *const *list, size_t n, const char *s)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int d = strcmp(list[mid], s);
		if (!d)
			return 1;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int name_is_ident(const char *s)
{
	if (!s || !(*s == '_' || (*s >= 'a' && *s <= 'z') ||
	            (*s >= 'A' && *s <= 'Z')))
		return 0;
	size_t n = 0;
	for (; *s; s++, n++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return 0;
	return n <= MAX_NAME;
}

const char *name_c_prefix(Ctx *c, const char *s)
{
	if (!name_is_ident(s))
		return ctx_sprintf(c, "must be a C identifier "
		                      "([A-Za-z_][A-Za-z0-9_]*) of at most %d "
		                      "characters", MAX_NAME);
	if (s[0] == '_')
		return "must not begin with '_' (C reserves those names)";
	if (in(keywords, sizeof keywords / sizeof *keywords, s))
		return "is a C keyword";
	if (sorted_in(c_names, sizeof c_names / sizeof *c_names, s))
		return "is declared by the C library headers the trainer includes";
	char up[MAX_NAME + 1];
	size_t n = strlen(s);
	for (size_t i = 0; i <= n; i++)
		up[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
	if (in(own, sizeof own / sizeof *own, s) || !strcmp(up, "NN") ||
	    !strcmp(up, "RT") || !strcmp(up, "V") || !strcmp(up, "OMP"))
		return "is a name nncc's generated code uses";
	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
		size_t k = strlen(prefixes[i]);
		if (!strncmp(s, prefixes[i], k) || !strncmp(up, prefixes[i], k))
			return ctx_sprintf(c, "begins with '%s', which nncc's generated "
			                      "code uses", prefixes[i]);
	}
	return NULL;
}

const char *name_shown(Ctx *c, const char *s)
{
	Buf b = {0};
	buf_puts(&b, "");
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
		if (n == 60) {
			buf_puts(&b, "...");
			break;
		}
		if (*p >= 32 && *p < 127 && *p != '\\')
			buf_printf(&b, "%c", *p);
		else
			buf_printf(&b, "\\x%02x", *p);
	}
	const char *r = ctx_strdup(c, b.s);
	buf_free(&b);
	return r;
}
