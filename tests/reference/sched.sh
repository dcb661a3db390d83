#!/usr/bin/env bash
# tests/reference/sched.sh — every learning-rate schedule against
# torch.optim.lr_scheduler (see sched_ref.py): 100 steps per case from the
# runtime (sched_harness.c) and from torch, equal to 1e-6.  Exit 0 if all
# match.  Env: CC, PYTHON_REF (default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON_REF:-/usr/bin/python3}
OUT=build/reference/sched
make -s build/libnncc_rt.a
mkdir -p "$OUT"
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Iruntime \
	-o "$OUT/sched_harness" tests/reference/sched_harness.c build/libnncc_rt.a -lm
"$PY" tests/reference/sched_ref.py cases > "$OUT/cases"
"$OUT/sched_harness" < "$OUT/cases" > "$OUT/out"
"$PY" tests/reference/sched_ref.py check "$OUT/out"
