#!/usr/bin/env bash
# Fusion tests: for each fusion, a model in tests/fusion/ where it fires.
#   fires     the IR after the fuse pass (nncc -d fuse) has the fused op
#             with all fusions on and with --fuse=NAME alone, and not with
#             --no-fuse or with every other fusion on
#   agrees    the trainer with every fusion and the one with this fusion
#             off (--fuse=the others), each built with gcc and with clang,
#             train 20 steps on the same data and end with every parameter
#             and state float within 1e-5 relative (tests/fusion/harness.c)
# plus the models in models/, all fusions against all but softmax_ce off,
# 20 steps.  (The unfused softmax_ce rounds its gradient differently, and
# batch-norm training on random data carries a 1e-7 difference past 1e-5
# in a few steps, so each fusion is compared alone: those that change no
# arithmetic give the same bits.)
# Env: NNCC, CC (default: both gcc and clang), TEST_CFLAGS, FUSION_QUICK.
set -u
cd "$(dirname "$0")/../.."
NNCC=${NNCC:-build/nncc}
OUT=${TEST_OUT:-build}/fusion
CFLAGS="-std=c11 -O2 -march=native -fopenmp -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Iruntime ${TEST_CFLAGS:-}"
mkdir -p "$OUT"
pass=0 fail=0
check() {   # name, command that must succeed
	local name=$1; shift
	if "$@"; then echo "ok $name"; pass=$((pass + 1))
	else echo "FAIL $name"; fail=$((fail + 1)); fi
}

# the runtime once per compiler, with the tests' flags
compilers=${CC:-"gcc clang"}
for cc in $compilers; do
	mkdir -p "$OUT/rt-$cc"
	for f in runtime/*.c; do
		# shellcheck disable=SC2086
		$cc $CFLAGS -c -o "$OUT/rt-$cc/$(basename "$f" .c).o" "$f" || exit 1
	done
	rm -f "$OUT/librt-$cc.a"
	ar rcs "$OUT/librt-$cc.a" "$OUT/rt-$cc"/*.o
done

# the fused op in the IR after fusing with these flags?
fired() {   # lua, pattern, flags…
	local lua=$1 pat=$2; shift 2
	"$NNCC" "$lua" "$@" -d fuse --report 2>&1 >/dev/null |
		sed -n '/^# after fuse:/,/^# after/p' | grep -qE "$pat"
}

# The trainer with every fusion and the one built with `flags` (some off)
# agree after 20 steps, with compiler cc.
agrees() {  # lua, name, cc, flags for the other build
	local lua=$1 name=$2 cc=$3 flags=$4 d=$OUT/$2-$3 uc
	uc=$(echo "$name" | tr '[:lower:]' '[:upper:]')
	mkdir -p "$d"
	"$NNCC" "$lua" -o "$d/fused.c" || return 1
	# shellcheck disable=SC2086
	"$NNCC" "$lua" $flags -o "$d/unfused.c" || return 1
	for v in fused unfused; do
		# shellcheck disable=SC2086
		$cc $CFLAGS -I"$d" -DMODEL="$name" -DMODEL_UC="$uc" \
			-DMODEL_C="\"$v.c\"" -include "$d/$v.h" -o "$d/h_$v" \
			tests/fusion/harness.c "$OUT/librt-$cc.a" -lm || return 1
	done
	"$d/h_unfused" save "$d/unfused.safetensors" 20 > "$d/log" &&
		"$d/h_fused" check "$d/unfused.safetensors" 20 >> "$d/log" 2>&1
	local rc=$?
	[ $rc -eq 0 ] || cat "$d/log"
	return $rc
}

names=$("$NNCC" --help | sed -n '/^fusions:/,$p' | awk 'NR > 1 {print $1}')
# every fusion but those named: the build to compare a fusion against
all_but() { echo "$names" | grep -vxF "$(printf '%s\n' "$@")" | paste -sd, -; }
check "--help lists fusions" test "$(echo $names)" = "bn_relu bn_relu_pool ew_act bn_add_relu gemm_epi softmax_ce optim sgd_gemm bn_sums dx_add by_sample"
check "--fuse=nonsense is an error" bash -c \
	"! $NNCC tests/fusion/optim.lua --fuse=bn_relu,nonsense --report >/dev/null 2>&1"

# each fusion: its model, the fusions it needs (itself and those it builds
# on), the pattern it leaves in the IR
while read -r f need lua pat; do
	others=$(all_but "$f")
	check "$f fires" fired "$lua" "$pat"
	check "$f fires alone (--fuse=$need)" fired "$lua" "$pat" --fuse="$need"
	check "$f off with --no-fuse" bash -c "! $NNCC $lua --no-fuse -d fuse --report 2>&1 >/dev/null | sed -n '/^# after fuse:/,/^# after/p' | grep -qE '$pat'"
	check "$f off with --fuse=$others" bash -c "! $NNCC $lua --fuse=$others -d fuse --report 2>&1 >/dev/null | sed -n '/^# after fuse:/,/^# after/p' | grep -qE '$pat'"
	model=fz_$(basename "$lua" .lua)
	# off: this fusion and those built on it (bn_relu_pool needs bn_relu)
	off=$(echo "$names" | grep -vx "$f" | grep -v "^${f}_" | paste -sd, -)
	for cc in $compilers; do
		check "$f: fused = unfused after 20 steps ($cc, $model)" agrees \
			"$lua" "$model" "$cc" "--fuse=$off"
	done
done <<'LIST'
bn_relu bn_relu tests/fusion/bn_relu.lua = bn_relu .*\{bn_apply\+relu\}
bn_relu bn_relu tests/fusion/bn1d.lua = bn_relu .*\{bn_apply\+relu\}
bn_relu_pool bn_relu,bn_relu_pool tests/fusion/bn_relu.lua = bn_relu_pool .*\{bn_apply\+relu\+maxpool
ew_act ew_act tests/fusion/ew_act.lua = ew_act .*\{(bias_add\+(relu|sigmoid|tanh)|add\+relu)\}
bn_add_relu ew_act,bn_add_relu tests/fusion/bn_add_relu.lua = bn_add_relu .*\{bn_apply\+add\+relu\}
gemm_epi gemm_epi tests/fusion/gemm_epi.lua = gemm_epi .*\{matmul\+bias_add\+relu
softmax_ce softmax_ce tests/fusion/ce.lua = softmax_ce %
LIST

# gemm_epi: each of its five products in the IR, with the epilogue each
# takes (bias and ReLU, ReLU alone, bias alone twice)
check "gemm_epi: 5 products fused" test "$("$NNCC" tests/fusion/gemm_epi.lua -d fuse --report 2>&1 >/dev/null | grep -cE '= gemm_epi .*\{matmul\+(bias_add\+relu|relu|bias_add) ')" -eq 5

# sgd_gemm is a choice of autodiff: matmul_sgd for the two weights whose
# gradient is one product, the shared one's (a sum) left to the update
nsgd() { "$NNCC" tests/fusion/sgd_gemm.lua "$@" -d autodiff --report 2>&1 >/dev/null | grep -c '= matmul_sgd'; }
check "sgd_gemm: two weights stepped in their product" test "$(nsgd)" -eq 2
check "sgd_gemm: none with --no-fuse" test "$(nsgd --no-fuse)" -eq 0
check "sgd_gemm: two with --fuse=sgd_gemm" test "$(nsgd --fuse=sgd_gemm)" -eq 2
check "sgd_gemm: none with momentum" test "$(sed 's/lr = 0.1}/lr = 0.1, momentum = 0.5}/' tests/fusion/sgd_gemm.lua > "$OUT/sgd_mom.lua" && "$NNCC" "$OUT/sgd_mom.lua" -d autodiff --report 2>&1 >/dev/null | grep -c '= matmul_sgd')" -eq 0
for cc in $compilers; do
	check "sgd_gemm: fused = unfused after 20 steps ($cc)" agrees \
		tests/fusion/sgd_gemm.lua fz_sgd_gemm "$cc" --fuse=$(all_but sgd_gemm)
done

# optim is a choice of autodiff: one update node, or one per parameter
nupd() { "$NNCC" tests/fusion/optim.lua "$@" -d autodiff --report 2>&1 >/dev/null | grep -c '= adam_update'; }
check "optim: one update node fused" test "$(nupd)" -eq 1
check "optim: one update node per parameter unfused" test "$(nupd --no-fuse)" -eq 4
check "optim: one update node with --fuse=optim" test "$(nupd --fuse=optim)" -eq 1
for cc in $compilers; do
	check "optim: fused = unfused after 20 steps ($cc)" agrees \
		tests/fusion/optim.lua fz_optim "$cc" --fuse=$(all_but optim)
done

# bn_sums is a choice of batch norm's gradient rule: a batch norm no ReLU
# follows (bn_relu has sums of its own) takes dβ and dγ from one pass,
# and neither bias_grad nor bn_gamma_grad is left for it
nbn() { local pat=$1; shift; "$NNCC" tests/fusion/bn_sums.lua "$@" -d autodiff --report 2>&1 >/dev/null | grep -cE "$pat"; }
check "bn_sums: one pass for each of two batch norms" test "$(nbn '= bn_sums')" -eq 2
check "bn_sums: no bn_gamma_grad, and bias_grad for the linear layers' biases only" test "$(nbn '= bn_gamma_grad|= bias_grad .*grad.batchnorm')" -eq 0
check "bn_sums: none with --no-fuse" test "$(nbn '= bn_sums' --no-fuse)" -eq 0
check "bn_sums: two with --fuse=bn_sums" test "$(nbn '= bn_sums' --fuse=bn_sums)" -eq 2
for cc in $compilers; do
	check "bn_sums: fused = unfused after 20 steps ($cc)" agrees \
		tests/fusion/bn_sums.lua fz_bn_sums "$cc" --fuse=$(all_but bn_sums)
done

# dx_add is a choice of autodiff: each residual block's input gradient,
# the skip's plus the branch conv's, summed by the conv as it stores dx,
# one block for each input-gradient kernel, and no add of gradients left
ndx() { local pat=$1; shift; "$NNCC" tests/fusion/dx_add.lua "$@" -d autodiff --report 2>&1 >/dev/null | grep -cE "$pat"; }
check "dx_add: seven blocks' sums in their convs" test "$(ndx '= conv2d_dx_add')" -eq 7
check "dx_add: no add in the backward pass" test "$(ndx '= add .* bwd ')" -eq 0
check "dx_add: seven adds with --no-fuse" test "$(ndx '= add .* bwd ' --no-fuse)" -eq 7
check "dx_add: none with --no-fuse" test "$(ndx '= conv2d_dx_add' --no-fuse)" -eq 0
check "dx_add: seven with --fuse=dx_add" test "$(ndx '= conv2d_dx_add' --fuse=dx_add)" -eq 7
# the kernel each conv2d_dx_add runs, by the line it emits
dx_kinds() {
	"$NNCC" tests/fusion/dx_add.lua -o "$OUT/dx_add.c" &&
		awk '/conv2d_dx_add \[/ {p = 1}
		     p && /stride 2: dx in/ {print "phases"; p = 0}
		     p && /nn_col2im_panel/ {print "im2col"; p = 0}
		     p && /padded dy, its rows/ {print "shift"; p = 0}
		     p && /nn_add_to\(dxc/ {print "direct"; p = 0}
		     p && /nn_gemm\(/ {print "1x1"; p = 0}
		     p && /\+ ac\[/ {print "planes"; p = 0}' "$OUT/dx_add.c" |
		sort -u | paste -sd' ' -
}
check "dx_add: every input-gradient kernel adds" test "$(dx_kinds)" = "1x1 direct im2col phases planes shift"
for cc in $compilers; do
	check "dx_add: fused = unfused after 20 steps ($cc)" agrees \
		tests/fusion/dx_add.lua fz_dx_add "$cc" --fuse=$(all_but dx_add)
done

# by_sample is a choice of the emitter: batch norm + ReLU (or + add +
# ReLU) runs inside the sample loop of the conv reading its output, on
# each forward kernel with such a loop, and not before a depthwise conv
nbs() { "$NNCC" tests/fusion/by_sample.lua "$@" -o "$OUT/by_sample.c" && grep -c 'fusion by_sample' "$OUT/by_sample.c"; }
check "by_sample: four convs run their batch norm by sample" test "$(nbs)" -eq 4
check "by_sample: batch norm + add + ReLU among them" grep -q 'running %[0-9]* bn_add_relu by sample' "$OUT/by_sample.c"
# in the training forward, two left alone: before the depthwise conv and
# before the pooling
check "by_sample: the depthwise conv's batch norm apart" test "$(sed -n '/^static void forward_train/,/^}/p' "$OUT/by_sample.c" | grep -c '^	/\* %[0-9]* bn_relu \[')" -eq 2
check "by_sample: none with --no-fuse" test "$(nbs --no-fuse)" -eq 0
check "by_sample: four with --fuse=bn_relu,ew_act,bn_add_relu,by_sample" test "$(nbs --fuse=bn_relu,ew_act,bn_add_relu,by_sample)" -eq 4
check "by_sample: none with the others" test "$(nbs --fuse=$(all_but by_sample))" -eq 0
for cc in $compilers; do
	check "by_sample: fused = unfused after 20 steps ($cc)" agrees \
		tests/fusion/by_sample.lua fz_by_sample "$cc" --fuse=$(all_but by_sample)
done

# softmax_ce off: log_softmax, then nll
check "softmax_ce: --no-fuse makes log_softmax and nll" bash -c \
	"$NNCC tests/fusion/ce.lua --no-fuse -d fuse --report 2>&1 >/dev/null | grep -q '= nll %[0-9]*, %1 '"

# bn_add_relu: both blocks, the batch norm in the add's first slot and in
# its second
check "bn_add_relu: 2 blocks fused" test "$("$NNCC" tests/fusion/bn_add_relu.lua -d fuse --report 2>&1 >/dev/null | grep -c '= bn_add_relu')" -eq 2

# the ew_act model has each of its four pairs fused
check "ew_act: 4 pairs fused" test "$("$NNCC" tests/fusion/ew_act.lua --fuse=ew_act -d fuse --report 2>&1 >/dev/null | grep -c '= ew_act')" -eq 4

# the models: fused against unfused but for softmax_ce, the first compiler
# (FUSION_QUICK=1, the sanitizer pass: not these, the big ones are slow)
[ "${FUSION_QUICK:-0}" = 1 ] ||
for m in models/*.lua; do
	n=$(basename "$m" .lua)
	check "$n: fused = unfused after 20 steps" agrees "$m" "$n" \
		"${compilers%% *}" --fuse=softmax_ce
done

echo "fusion: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
