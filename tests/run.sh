#!/usr/bin/env bash
# The whole suite: every part prints "NAME: N passed, M failed"; this
# script adds them up into the last line.  Then the same suites again with
# nncc and the trainers built under AddressSanitizer + UBSan.
# Env: SKIP_ASAN=1 skips the sanitizer pass, ASAN_ONLY=1 runs it alone
# (make test-asan).  With both passes (the default) and more than one core,
# the sanitizer pass runs beside the plain one, its output shown when the
# plain one is done: most suites build and run one thing at a time, so two
# lanes take the suite from 16 to about 9-11 minutes on 2 cores.  The two
# keep their files apart: TEST_OUT (build, or build/asan for the
# sanitizer pass) holds the ops, fusion and trainer suites' builds.
set -u
cd "$(dirname "$0")/.."
total_pass=0 total_fail=0
log=${TEST_LOG:-build/test.log}
mkdir -p build
: > "$log"

if [ -z "${SKIP_ASAN:-}${ASAN_ONLY:-}" ] && [ "$(nproc)" -gt 1 ]; then
	ASAN_ONLY=1 TEST_LOG=build/test-asan.log tests/run.sh \
		> build/test-asan.out 2>&1 &
	asan=$!
	SKIP_ASAN=1 TEST_LOG=build/test-plain.log tests/run.sh |
		tee build/test-plain.out
	echo "(the sanitizer pass, run beside it:)"
	wait "$asan"
	cat build/test-asan.out
	cat build/test-plain.log build/test-asan.log > "$log"
	for out in build/test-plain.out build/test-asan.out; do
		last=$(tail -1 "$out")
		if [[ $last =~ ^tests:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
			total_pass=$((total_pass + BASH_REMATCH[1]))
			total_fail=$((total_fail + BASH_REMATCH[2]))
		else
			echo "$out: no closing count"; total_fail=$((total_fail + 1))
		fi
	done
	echo "full log: $log"
	echo "tests: $total_pass passed, $total_fail failed"
	[ "$total_fail" -eq 0 ]
	exit
fi

# Runs a suite, shows its output, and adds its closing counts.
suite() {
	local name=$1; shift
	echo "== $name"
	local out t0=$SECONDS
	out=$("$@" 2>&1)
	local rc=$?
	echo "$out" | grep -vE '^(ok|   )' | tail -40
	echo "-- $name: $((SECONDS - t0)) s"
	echo "$out" >> "$log"
	local line
	line=$(echo "$out" | grep -E '^[a-z_-]+: [0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -z "$line" ]; then
		echo "$name: no result line (exit $rc)"
		total_fail=$((total_fail + 1))
		return
	fi
	local p f
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "$name: exit $rc despite no failure"
		total_fail=$((total_fail + 1))
	fi
}

# Builds nncc with both compilers and -Werror; checks generated/ is what
# this nncc emits.
build_checks() {
	local p=0 f=0
	for cc in gcc clang; do
		if make -s B=build/$cc CC=$cc build/$cc/nncc build/$cc/libnncc_rt.a \
			>/dev/null 2>build/$cc.err; then
			echo "ok nncc and runtime build with $cc -Werror"; p=$((p + 1))
		else
			cat build/$cc.err; echo "FAIL nncc build with $cc"; f=$((f + 1))
		fi
	done
	local tmp
	tmp=$(mktemp -d)
	for m in models/*.lua; do
		n=$(basename "$m" .lua)
		build/nncc "$m" -o "$tmp/$n.c" || { f=$((f + 1)); continue; }
		if cmp -s "$tmp/$n.c" "generated/$n.c" && cmp -s "$tmp/$n.h" "generated/$n.h"; then
			echo "ok generated/$n is up to date"; p=$((p + 1))
		else
			echo "FAIL generated/$n differs from what nncc emits: run make generated"
			f=$((f + 1))
		fi
	done
	rm -rf "$tmp"
	echo "build: $p passed, $f failed"
	[ "$f" -eq 0 ]
}

runtime_tests() {
	local exe=build/test_runtime$1
	# shellcheck disable=SC2086
	${CC:-cc} -std=c11 -O2 -g -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
		${TEST_CFLAGS:-} -o "$exe" tests/test_runtime.c tests/rt_fake_model.c \
		runtime/*.c -lm && LSAN_OPTIONS=exitcode=23 "$exe"
}

augment_tests() {
	local exe=build/test_augment$1
	# shellcheck disable=SC2086
	${CC:-cc} -std=c11 -O2 -g -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
		${TEST_CFLAGS:-} -o "$exe" tests/test_augment.c runtime/*.c -lm &&
		LSAN_OPTIONS=exitcode=23 "$exe"
}

# nn_gemm against a naive product, on each kernel path
gemm_tests() {
	local p=0 f=0 flags line
	for flags in "-march=native" "-march=native -DNNCC_NO_AVX512" ""; do
		# shellcheck disable=SC2086
		if ! ${CC:-cc} -std=c11 -O2 -g -Wall -Wextra -Werror \
			-D_POSIX_C_SOURCE=200809L $flags ${TEST_CFLAGS:-} -Iruntime \
			-o "build/test_gemm$1" tests/test_gemm.c runtime/*.c -lm; then
			f=$((f + 1))
			continue
		fi
		line=$(LSAN_OPTIONS=exitcode=23 "build/test_gemm$1")
		echo "$line" | grep -v passed
		line=$(echo "$line" | tail -1)
		p=$((p + $(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
		f=$((f + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
	done
	echo "gemm: $p passed, $f failed"
	[ "$f" -eq 0 ]
}

# the memory planner on random graphs: tests/test_plan.c, built in $1 with
# CFLAGS $2
plan_tests() {
	make -s B="$1" CFLAGS="$2" "$1/test_plan" >/dev/null &&
		LSAN_OPTIONS=exitcode=23 "$1/test_plan"
}

embed_example() {
	make -s B=${B:-build} example >/dev/null && "${B:-build}/embed" && echo "example: 1 passed, 0 failed" ||
		echo "example: 0 passed, 1 failed"
}

if [ "${ASAN_ONLY:-0}" != 1 ]; then
	suite build build_checks
	suite runtime runtime_tests ""
	suite augment augment_tests ""
	suite gemm gemm_tests ""
	suite ops tests/ops/run.sh
	suite passes tests/passes/run.sh
	suite fusion tests/fusion/run.sh
	suite plan plan_tests build "-O2 -g"
	suite errors tests/errors/run.sh
	suite harden tests/harden/run.sh
	suite corrupt tests/corrupt/run.sh
	suite valgrind tests/valgrind.sh
	suite trainer tests/trainer/run.sh
	suite example embed_example
fi

if [ "${SKIP_ASAN:-0}" != 1 ]; then
	san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"
	export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1
	echo "== sanitizers: ASan + UBSan"
	if make -s B=build/asan CFLAGS="-O1 $san" build/asan/nncc >/dev/null; then
		export TEST_CFLAGS="$san" NNCC=build/asan/nncc TEST_OUT=build/asan
		suite runtime-asan runtime_tests -asan
		suite augment-asan augment_tests -asan
		suite gemm-asan gemm_tests -asan
		ISAS='avx512 scalar' suite ops-asan tests/ops/run.sh
		suite passes-asan tests/passes/run.sh
		CC=gcc FUSION_QUICK=1 suite fusion-asan tests/fusion/run.sh
		suite plan-asan plan_tests build/asan "-O1 $san"
		suite errors-asan tests/errors/run.sh
		suite harden-asan tests/harden/run.sh
		suite corrupt-asan tests/corrupt/run.sh
		suite trainer-asan tests/trainer/run.sh
	else
		echo "FAIL sanitizer build"; total_fail=$((total_fail + 1))
	fi
fi

echo "full log: $log"
echo "tests: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
