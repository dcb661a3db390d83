#!/usr/bin/env bash
# tests/reference/losses.sh — every loss and loss option against PyTorch
# (see losses.py): writes the cases' models, weights and batches, emits and
# builds each model with loss_harness.c, runs it, and lets PyTorch check
# the loss and the gradients.  Exit 0 if all match, else non-zero.
# Env: CC, PYTHON_REF (a python3 with torch 1.13, default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON_REF:-/usr/bin/python3}
CC=${CC:-cc}
OUT=build/reference/losses
make -s build/nncc build/libnncc_rt.a
rm -rf "$OUT"
mkdir -p "$OUT"
cases=$("$PY" tests/reference/losses.py prepare "$OUT")
for c in $cases; do
	build/nncc "$OUT/$c.lua" -o "$OUT/loss_$c.c"
	labels=
	grep -q 'nn.label' "$OUT/$c.lua" && labels=-DLABELS
	uc=$(echo "loss_$c" | tr '[:lower:]' '[:upper:]')
	# shellcheck disable=SC2086
	$CC -std=c11 -O2 -march=native -Wall -Wextra -Werror \
		-D_POSIX_C_SOURCE=200809L -DNNCC_NO_MAIN -Iruntime \
		-DMODEL="loss_$c" -DMODEL_UC="$uc" $labels -include "$OUT/loss_$c.h" \
		-o "$OUT/$c.harness" tests/reference/loss_harness.c "$OUT/loss_$c.c" \
		build/libnncc_rt.a -lm
	"$OUT/$c.harness" "$OUT/$c.init.safetensors" "$OUT/$c.x.f32" \
		"$OUT/$c.y.bin" > "$OUT/$c.out"
done
"$PY" tests/reference/losses.py check "$OUT"
