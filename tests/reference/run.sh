#!/usr/bin/env bash
# make test-reference: the PyTorch comparisons of mnist_mlp and mnist_cnn_bn,
# the losses, the optimizers and the schedules
# (see README.md).  Exit status non-zero when any test or self-test fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${B:-build}
PY=${PYTHON_REF:-/usr/bin/python3}
# where the generated trainers are (generated/, committed; another directory
# to try a trainer that is not committed yet)
GEN=${NNCC_REF_GENERATED:-generated}
mkdir -p "$B"

# model_harness.c built for one model: harness NAME -> $B/harness_NAME
harness() {
	local m=$1 uc
	uc=$(printf '%s' "$m" | tr '[:lower:]' '[:upper:]')
	${CC:-cc} -std=c11 -O2 -march=native -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
		-DNNCC_NO_MAIN -I"$GEN" -Iruntime \
		-DMODEL="$m" -DMODEL_UC="$uc" -include "$GEN/$m.h" \
		-o "$B/harness_$m" tests/reference/model_harness.c "$GEN/$m.c" "$B/libnncc_rt.a" -lm
}

harness mnist_mlp
harness mnist_cnn_bn

"$PY" tests/reference/mlp_reference.py --self-test
OMP_NUM_THREADS=1 "$PY" tests/reference/mlp_reference.py \
	--trainer-harness "$B/harness_mnist_mlp" --data-dir data --outdir "$PWD/$B/reference"

"$PY" tests/reference/cnn_bn_reference.py --self-test --data-dir data \
	--outdir "$PWD/$B/reference/cnn_bn"
OMP_NUM_THREADS=1 "$PY" tests/reference/cnn_bn_reference.py \
	--trainer-harness "$B/harness_mnist_cnn_bn" --data-dir data --outdir "$PWD/$B/reference/cnn_bn"

# every loss option against torch.nn.functional, value and gradient
tests/reference/losses.sh

# every init = … against torch.nn.init, as distributions
tests/reference/inits.sh

# every optimizer and option against torch.optim (AdaBound: its formula)
tests/reference/optim.sh
# every schedule against torch.optim.lr_scheduler
tests/reference/sched.sh
