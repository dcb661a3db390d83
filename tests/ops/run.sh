#!/usr/bin/env bash
# Op tests: for each tests/ops/NAME.lua, emit the trainer, build harness.c
# with its reference (tests/ops/NAME.ref.c, else dense.ref.c) against it
# three times (AVX-512, AVX2, scalar kernels) and run it.  Arguments: run
# only the named tests.
# Env: NNCC (compiler), CC, TEST_CFLAGS (e.g. sanitizers), ISAS (the
# kernel paths to test; default all three).
set -u
cd "$(dirname "$0")/../.."
NNCC=${NNCC:-build/nncc}
CC=${CC:-cc}
OUT=build/ops
mkdir -p "$OUT"
pass=0 fail=0
CFLAGS="-std=c11 -O2 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Iruntime ${TEST_CFLAGS:-}"
RT="runtime/rt_rng.c runtime/rt_data.c runtime/rt_safetensors.c runtime/rt_util.c runtime/rt_main.c"
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=($(cd tests/ops && ls ./*.lua | sed 's|^\./||; s|\.lua$||'))
for name in "${tests[@]}"; do
	lua=tests/ops/$name.lua
	if ! "$NNCC" "$lua" -o "$OUT/op_$name.c"; then
		echo "FAIL $name: nncc"; fail=$((fail + 1)); continue
	fi
	labels=; grep -q 'nn.label' "$lua" && labels=-DLABELS
	grep -q 'type = "int32"' "$lua" && labels="$labels -DINPUT_I32"
	ref=tests/ops/dense.ref.c
	[ -f "tests/ops/$name.ref.c" ] && ref="tests/ops/$name.ref.c"
	uc=$(echo "op_$name" | tr '[:lower:]' '[:upper:]')
	for isa in ${ISAS:-avx512 avx2 scalar}; do
		case $isa in
		avx512) flags="-march=native" ;;
		avx2) flags="-march=native -DNNCC_NO_AVX512" ;;
		scalar) flags="-DNNCC_NO_AVX512 -DNNCC_NO_AVX2" ;;
		esac
		exe="$OUT/$name.$isa"
		# shellcheck disable=SC2086
		if ! $CC $CFLAGS $flags -DNNCC_NO_MAIN -DMODEL="op_$name" \
			-DMODEL_UC="$uc" -DTEST="\"$name\"" -DREF="\"$ref\"" $labels \
			-include "$OUT/op_$name.h" -I. \
			-o "$exe" tests/ops/harness.c "$OUT/op_$name.c" $RT -lm; then
			echo "FAIL $name ($isa): build"; fail=$((fail + 1)); continue
		fi
		if "$exe" > "$exe.log" 2>&1; then
			echo "ok $name ($isa)"; pass=$((pass + 1))
		else
			cat "$exe.log"; echo "FAIL $name ($isa)"; fail=$((fail + 1))
		fi
	done
done
echo "ops: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
