#!/usr/bin/env bash
# make test-reference: the PyTorch comparison of mnist_mlp (see README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${B:-build}
PY=${PYTHON_REF:-/usr/bin/python3}
mkdir -p "$B"
${CC:-cc} -std=c11 -O2 -march=native -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
	-DNNCC_NO_MAIN -Igenerated -Iruntime -o "$B/mlp_harness" \
	tests/reference/mlp_harness.c generated/mnist_mlp.c "$B/libnncc_rt.a" -lm
"$PY" tests/reference/mlp_reference.py --self-test
OMP_NUM_THREADS=1 "$PY" tests/reference/mlp_reference.py \
	--trainer-harness "$B/mlp_harness" --data-dir data --outdir "$PWD/$B/reference"
