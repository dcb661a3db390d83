#!/usr/bin/env bash
# tests/reference/optim.sh — every optimizer and option against torch.optim
# (AdaBound against a float64 implementation of its formula; see
# optim_ref.py): writes the cases' models, weights, batches and learning
# rates, emits and builds each model with optim_harness.c, runs 10 steps,
# and lets the reference check the parameters.  Exit 0 if all match.
# Env: CC, PYTHON_REF (a python3 with torch 1.13, default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON_REF:-/usr/bin/python3}
CC=${CC:-cc}
OUT=build/reference/optim
make -s build/nncc build/libnncc_rt.a
rm -rf "$OUT"
mkdir -p "$OUT"
"$PY" tests/reference/optim_ref.py prepare "$OUT" > "$OUT/cases"

# one case: emit, build, run (the cases run two at a time)
one() {
	local c=$1; shift
	local uc
	uc=$(echo "optim_$c" | tr '[:lower:]' '[:upper:]')
	build/nncc "$OUT/$c.lua" -o "$OUT/optim_$c.c" 2> "$OUT/$c.nncc.log" || {
		cat "$OUT/$c.nncc.log"; echo "FAIL $c: nncc"; return 1; }
	$CC -std=c11 -O2 -march=native -Wall -Wextra -Werror \
		-D_POSIX_C_SOURCE=200809L -DNNCC_NO_MAIN -Iruntime \
		-DMODEL="optim_$c" -DMODEL_UC="$uc" -include "$OUT/optim_$c.h" \
		-o "$OUT/$c.harness" tests/reference/optim_harness.c "$OUT/optim_$c.c" \
		build/libnncc_rt.a -lm || { echo "FAIL $c: build"; return 1; }
	"$OUT/$c.harness" "$OUT/$c.init.safetensors" "$OUT/$c.x.f32" \
		"$OUT/$c.y.f32" "$OUT/$c.lr.f32" 10 "$OUT/$c.ckpt" "$@" > "$OUT/$c.out"
}
export -f one
export OUT CC
xargs -P 2 -L 1 bash -c 'one "$@"' _ < "$OUT/cases"
"$PY" tests/reference/optim_ref.py check "$OUT"
