#!/usr/bin/env bash
# Op tests: for each tests/ops/NAME.lua, emit the trainer, build harness.c
# with its reference (tests/ops/NAME.ref.c, else dense.ref.c) against it
# on each kernel path (AVX-512, AVX2, scalar) and run it, as many tests at
# once as there are cores.  Arguments: run only the named tests.
# Env: NNCC (compiler), CC, TEST_CFLAGS (e.g. sanitizers), ISAS (the
# kernel paths to test; default all three).
set -u
cd "$(dirname "$0")/../.."
NNCC=${NNCC:-build/nncc}
CC=${CC:-cc}
OUT=${TEST_OUT:-build}/ops
# NNCC_POISON_ARENA: the arena starts as NaN, so a kernel that reads what
# it never wrote fails here rather than passing on init's zeros
CFLAGS="-std=c11 -O2 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -DNNCC_POISON_ARENA -Iruntime ${TEST_CFLAGS:-}"
export NNCC CC OUT CFLAGS

# One test on every path; prints "ok NAME (isa)" / "FAIL …" lines.
one() {
	local name=$1 lua=tests/ops/$1.lua
	# a first line "-- nncc-flags: …" adds flags (--no-fuse: the unfused ops)
	local nflags
	nflags=$(sed -n '1s/^-- nncc-flags: //p' "$lua")
	# shellcheck disable=SC2086
	if ! "$NNCC" "$lua" $nflags -o "$OUT/op_$name.c"; then
		echo "FAIL $name: nncc"; return
	fi
	local labels= ref=tests/ops/dense.ref.c
	grep -q 'nn.label' "$lua" && labels=-DLABELS
	grep -q 'type = "int32"' "$lua" && labels="$labels -DINPUT_I32"
	grep -q 'nn.augment.mixup' "$lua" && labels="$labels -DMIX"
	[ -f "tests/ops/$name.ref.c" ] && ref="tests/ops/$name.ref.c"
	local uc
	uc=$(echo "op_$name" | tr '[:lower:]' '[:upper:]')
	for isa in ${ISAS:-avx512 avx2 scalar}; do
		local flags
		case $isa in
		avx512) flags="-march=native" ;;
		avx2) flags="-march=native -DNNCC_NO_AVX512" ;;
		scalar) flags="-DNNCC_NO_AVX512 -DNNCC_NO_AVX2" ;;
		esac
		local exe="$OUT/$name.$isa"
		# shellcheck disable=SC2086
		if ! $CC $CFLAGS $flags -DNNCC_NO_MAIN -DMODEL="op_$name" \
			-DMODEL_UC="$uc" -DTEST="\"$name\"" -DREF="\"$ref\"" $labels \
			-include "$OUT/op_$name.h" -I. \
			-o "$exe" tests/ops/harness.c "$OUT/op_$name.c" "$OUT/librt.a" -lm \
			2> "$exe.build.log"; then
			cat "$exe.build.log"; echo "FAIL $name ($isa): build"; continue
		fi
		if "$exe" > "$exe.log" 2>&1; then
			echo "ok $name ($isa)"
		else
			cat "$exe.log"; echo "FAIL $name ($isa)"
		fi
	done
}
export -f one

mkdir -p "$OUT/rt"
# the runtime once, with the same flags as the tests
for f in runtime/*.c; do
	# shellcheck disable=SC2086
	$CC $CFLAGS -c -o "$OUT/rt/$(basename "$f" .c).o" "$f" || exit 1
done
rm -f "$OUT/librt.a"
ar rcs "$OUT/librt.a" "$OUT"/rt/*.o

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	mapfile -t tests < <(cd tests/ops && ls ./*.lua | sed 's|^\./||; s|\.lua$||')
fi
out=$(printf '%s\n' "${tests[@]}" | xargs -P "$(nproc)" -I{} bash -c 'one "$@"' _ {})
echo "$out"
pass=$(echo "$out" | grep -c '^ok ')
fail=$(echo "$out" | grep -cE '^FAIL [a-z0-9_]+ \([a-z0-9]+\)(: build)?$|^FAIL [a-z0-9_]+: nncc$')
echo "ops: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
