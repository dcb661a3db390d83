#!/usr/bin/env bash
# bench/run.sh — make bench: nncc against PyTorch on the five reference
# models, the machine's peak FMA rate and the GEMM kernel; one table.
#
#   bench/run.sh [--json FILE] [--compare FILE] [--quick] [--rounds N]
#                [--models "mlp lenet ..."] [--threads "1 2"]
#
#   --json FILE     also write every number (and the machine) as JSON
#   --compare FILE  print the change against an earlier --json file
#   --quick         short budgets and no GEMM squares (a smoke test, not a measurement)
#   --rounds N      run each nncc/torch pair N times in turn (default 2) and
#                   keep each side's faster median: a neighbour's burst on a
#                   shared host then slows one round, not the comparison
#
# Everything is built into build/bench/ (B=... overrides build/).  Needs
# build/nncc and build/libnncc_rt.a (make all) and, for the reference side,
# /usr/bin/python3 with torch (PYTHON_REF=... overrides).  PyTorch runs with
# Debian's OpenMP OpenBLAS and OMP_NUM_THREADS equal to the thread count:
# Debian's default pthread OpenBLAS ignores torch.set_num_threads.
# A model that nncc cannot build yet is reported as n/a, not fatal.
set -uo pipefail
cd "$(dirname "$0")/.."

B=${B:-build}
BB=$B/bench
CC=${CC:-cc}
PY=${PYTHON_REF:-/usr/bin/python3}
OPENBLAS_DIR=${OPENBLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-openmp}
CFLAGS_BENCH="-std=c11 -O2 -march=native -fopenmp -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror"

JSON= COMPARE= QUICK=0 ROUNDS=2
MODELS="mlp_small mlp lenet cnn_bn resnet8"
THREADS="1 2"
while [ $# -gt 0 ]; do
	case "$1" in
	--json) JSON=$2; shift 2 ;;
	--compare) COMPARE=$2; shift 2 ;;
	--quick) QUICK=1; shift ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--models) MODELS=$2; shift 2 ;;
	--threads) THREADS=$2; shift 2 ;;
	-h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/run.sh: unknown argument '$1' (see --help)" >&2; exit 1 ;;
	esac
done
case $ROUNDS in
''|*[!0-9]*|0) echo "bench/run.sh: --rounds wants a count of 1 or more, not '$ROUNDS'" >&2; exit 1 ;;
esac
[ -z "$JSON" ] || JSON=$(realpath -m "$JSON")
[ -z "$COMPARE" ] || COMPARE=$(realpath -m "$COMPARE")
if [ -n "$COMPARE" ] && [ ! -f "$COMPARE" ]; then
	echo "bench/run.sh: --compare: no file $COMPARE" >&2
	exit 1
fi

for f in "$B/nncc" "$B/libnncc_rt.a"; do
	[ -e "$f" ] || { echo "bench/run.sh: $f is missing; run 'make all' first" >&2; exit 1; }
done
mkdir -p "$BB"
RES=$BB/results.txt
: > "$RES"
log() { echo "$*" >> "$RES"; }

# Per model: timing budget (s) per run, minimum and maximum timed steps, warm-up steps.
plan() {
	case "$1" in
	mlp_small) echo "4 50 2000 10" ;;
	mlp)       echo "8 50 1000 5" ;;
	lenet)     echo "6 50 2000 5" ;;
	cnn_bn)    echo "10 10 500 3" ;;
	resnet8)   echo "10 10 500 3" ;;
	*)         echo "8 10 1000 3" ;;
	esac
}

# ---- the machine --------------------------------------------------------
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
log "meta key=cpu value=${cpu// /_}"
log "meta key=cores value=$(nproc)"
log "meta key=kernel value=$(uname -r)"
log "meta key=cc value=$($CC --version | head -1 | tr ' ' '_')"
log "meta key=torch value=$($PY -c 'import torch; print(torch.__version__)' 2>/dev/null || echo none)"
log "meta key=git value=$(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet HEAD -- compiler runtime 2>/dev/null || echo +dirty)"
log "meta key=date value=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
log "meta key=load_start value=$(cut -d' ' -f1 /proc/loadavg)"
log "meta key=quick value=$QUICK"
log "meta key=rounds value=$ROUNDS"
if [ -d "$OPENBLAS_DIR" ]; then
	TORCH_ENV="LD_LIBRARY_PATH=$OPENBLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
	echo "bench/run.sh: warning: $OPENBLAS_DIR is missing (apt-get install" \
	     "libopenblas0-openmp); PyTorch thread counts may not be honoured" >&2
	TORCH_ENV="LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
fi

# ---- peak FMA and GEMM ---------------------------------------------------
echo "bench: peak FMA rate ..." >&2
$CC $CFLAGS_BENCH -o "$BB/peak" bench/peak.c || exit 2
"$BB/peak" $THREADS | tee -a "$RES" >&2

echo "bench: GEMM ..." >&2
$CC $CFLAGS_BENCH -Iruntime -o "$BB/gemm" bench/gemm.c "$B/libnncc_rt.a" -ldl -lm || exit 2
GEMM_ARGS=""
[ "$QUICK" = 1 ] && GEMM_ARGS="--quick"
env $TORCH_ENV "$BB/gemm" $GEMM_ARGS $THREADS | tee -a "$RES" >&2

# ---- the models ----------------------------------------------------------
# The bench's own MLPs; the conv nets are the ones in models/ (their data
# and schedule do not change a step's time).
model_file() {
	case $1 in
	lenet) echo models/mnist_lenet.lua ;;
	cnn_bn) echo models/mnist_cnn_bn.lua ;;
	resnet8) echo models/cifar_resnet8.lua ;;
	*) echo "bench/models/$1.lua" ;;
	esac
}

for m in $MODELS; do
	read -r budget min max warm <<< "$(plan "$m")"
	[ "$QUICK" = 1 ] && { budget=1; min=10; warm=2; }
	log "plan model=$m budget_s=$budget min_steps=$min max_steps=$max warmup=$warm"
	lua=$(model_file "$m")
	name=$(sed -n 's/^ *name *= *"\([A-Za-z_0-9]*\)".*/\1/p' "$lua" | head -1)
	ok=1
	if ! "$B/nncc" "$lua" -o "$BB/$name.c" 2> "$BB/$name.err"; then
		ok=0
		why=$(head -1 "$BB/$name.err" | tr ' =' '_~')
		log "nncc_fail model=$m stage=emit reason=$why"
		echo "bench: $m: nncc cannot emit it yet: $(head -1 "$BB/$name.err")" >&2
	else
		flops=$("$B/nncc" "$lua" --report 2>/dev/null | sed -n 's/^FLOPs per step: //p')
		if [ -n "$flops" ]; then
			log "flops model=$m total_mflops=$(echo "$flops" |
				grep -o '[0-9.]* M' | awk '{s += $1} END {printf "%.3f", s}')"
		fi
		uc=$(echo "$name" | tr a-z A-Z)
		if ! $CC $CFLAGS_BENCH -DNNCC_NO_MAIN -Iruntime -DMODEL="$name" -DMODEL_UC="$uc" \
			-include "$BB/$name.h" -o "$BB/step_$name" bench/step.c "$BB/$name.c" \
			"$B/libnncc_rt.a" -lm 2> "$BB/$name.err"; then
			ok=0
			log "nncc_fail model=$m stage=compile reason=the_trainer_does_not_compile"
			echo "bench: $m: the trainer does not compile (see $BB/$name.err)" >&2
		fi
	fi
	for t in $THREADS; do
	for r in $(seq "$ROUNDS"); do
		if [ $ok = 1 ]; then
			echo "bench: $m nncc, $t thread(s), round $r ..." >&2
			if ! OMP_NUM_THREADS=$t "$BB/step_$name" "$t" "$budget" "$min" "$max" "$warm" \
				| sed "s/^step model=$name /nncc model=$m /" | tee -a "$RES" >&2; then
				log "nncc_fail model=$m stage=run threads=$t reason=the_step_timer_failed"
			fi
		fi
		echo "bench: $m torch, $t thread(s), round $r ..." >&2
		env $TORCH_ENV OMP_NUM_THREADS="$t" "$PY" bench/torch_bench.py "$m" "$t" \
			--budget "$budget" --min-steps "$min" --max-steps "$max" --warmup "$warm" \
			| tee -a "$RES" >&2 || log "torch_fail model=$m threads=$t"
	done
	done
done
log "meta key=load_end value=$(cut -d' ' -f1 /proc/loadavg)"
# The peak again: the table uses the better of the two (another job on the
# cores only ever lowers it).
"$BB/peak" $THREADS >> "$RES"

args=("$RES")
[ -n "$JSON" ] && args+=(--json "$JSON")
[ -n "$COMPARE" ] && args+=(--compare "$COMPARE")
"$PY" bench/report.py "${args[@]}"
