#!/usr/bin/env bash
# tests/reference/inits.sh — every init = … against torch.nn.init (see
# inits.py): writes the model, emits it, builds tests/trainer/probe.c on it,
# saves the model as _init drew it, and lets PyTorch compare each weight's
# distribution with its own init of the same shape.
# Env: CC, PYTHON_REF (a python3 with torch 1.13, default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON_REF:-/usr/bin/python3}
CC=${CC:-cc}
OUT=build/reference/inits
make -s build/nncc build/libnncc_rt.a
rm -rf "$OUT"
mkdir -p "$OUT"
lua=$("$PY" tests/reference/inits.py prepare "$OUT")
build/nncc "$lua" -o "$OUT/inits.c"
$CC -std=c11 -O2 -march=native -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
	-DNNCC_NO_MAIN -DMODEL=inits -DMODEL_UC=INITS -DPROBE_EVALUATE -Iruntime \
	-I"$OUT" -include "$OUT/inits.h" -o "$OUT/probe" tests/trainer/probe.c \
	"$OUT/inits.c" build/libnncc_rt.a -lm
"$OUT/probe" save 1 "$OUT/inits.safetensors"
"$PY" tests/reference/inits.py check "$OUT"
