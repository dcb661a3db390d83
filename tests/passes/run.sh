#!/usr/bin/env bash
# One test per pass, each an assertion on the IR that nncc -d dumps after
# it (and on --report for the planner, whose own invariant — no two live
# tensors overlap — nncc checks on every compile and calls a bug).
set -u
cd "$(dirname "$0")/../.."
NNCC=${NNCC:-build/nncc}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() {   # name, command that must succeed
	local name=$1; shift
	if "$@"; then echo "ok $name"; pass=$((pass + 1))
	else echo "FAIL $name"; fail=$((fail + 1)); fi
}
dump() {    # model, pass[, flags] -> the dump of that pass alone
	"$NNCC" "$1" ${3:-} -d "$2" --report 2>&1 >/dev/null | sed -n "/^# after $2:/,/^# after/p" | grep -v '^# after'
}

# the passes on the graph with only the optimizer and the loss fused (the other
# fusions have tests/fusion of their own)
m=models/mnist_mlp.lua
dump $m front > "$tmp/front"
dump $m autodiff --fuse=optim,softmax_ce > "$tmp/ad"
dump $m schedule --fuse=optim,softmax_ce > "$tmp/sched"
"$NNCC" $m --fuse=optim,softmax_ce --report > "$tmp/report"

# front: the script's nodes with inferred shapes, layer names, lines
check "front: flatten is a view [B,784]" grep -q 'reshape %0 {to=B,784} : f32\[B,784\] fwd view' "$tmp/front"
check "front: layers numbered by kind" grep -q '"linear2.weight"' "$tmp/front"
check "front: no backward before autodiff" bash -c "! grep -q ' bwd ' $tmp/front"

check "front: automatic names skip names the script took" bash -c \
	"$NNCC tests/passes/auto_names.lua -d front --report 2>&1 | grep -q '\"linear2.weight\"'"

# autodiff: every parameter has its gradient homed and its state, and one
# update walks the blocks of all of them; the gradient of the data is
# pruned (no matmul reads dY·W for layer 1)
check "autodiff: 4 gradients in the gradient region" test "$(grep -c ' bwd grad "grad\.' "$tmp/ad")" -eq 4
check "autodiff: 4 momentum buffers" test "$(grep -c 'upd state "optim\..*\.momentum_buffer"' "$tmp/ad")" -eq 4
check "autodiff: blocks of params, grads, momentum buffers" test "$(grep -cE 'block %[0-9]+ \{members=4\} : f32\[203536\] upd block "(params|grads|optim.momentum_buffer)"' "$tmp/ad")" -eq 3
check "autodiff: one sgd update over the three blocks" test "$(grep -cE '= sgd_update %[0-9]+, %[0-9]+, %[0-9]+ ' "$tmp/ad")" -eq 1
check "autodiff: 3 backward matmuls (dX of the input pruned)" test "$(grep -c 'matmul.* bwd' "$tmp/ad")" -eq 3
check "autodiff: relu's gradient reads relu's output" grep -q 'relu_grad %15, %7' "$tmp/ad"
check "autodiff: fused, relu's gradient reads bias+relu's output" bash -c \
	"$(declare -f dump); NNCC=$NNCC dump $m autodiff --fuse=ew_act,optim,softmax_ce | grep -q 'relu_grad %14, %6 '"
check "autodiff: gemm_epi, relu's gradient reads matmul+bias+relu's output" bash -c \
	"$(declare -f dump); NNCC=$NNCC dump $m autodiff | grep -q 'relu_grad %12, %5 '"

# schedule: forward, then backward, then update
phases=$(awk '{for (i = 1; i <= NF; i++) if ($i == "fwd" || $i == "bwd" || $i == "upd") print $i}' "$tmp/sched" | uniq | tr '\n' ' ')
check "schedule: fwd, bwd, upd in that order" test "$phases" = "fwd bwd upd "

# plan: the arena is smaller than the sum of transients
read -r peak naive < <(awk '/^arena \(peak\)/ {p = $3} /^naive sum/ {n = $3} END {print p, n}' "$tmp/report")
check "plan: arena peak ($peak) below the naive sum ($naive)" test "$peak" -lt "$naive"
check "plan: a backward tensor reuses a forward one's slot" awk '$3 == "forward" && $7 ~ /^[0-9]+$/ { f[$7] = 1 }
	$3 == "backward" && $7 in f { found = 1 } END { exit !found }' "$tmp/report"

# plan: blocks first, members one after another in the block's order, so
# each parameter, its gradient and its optimizer state sit at one offset in
# their regions (batch norm's running statistics come after the state
# blocks); read off the emitted tensor table
"$NNCC" models/mnist_cnn_bn.lua -o "$tmp/cnn.c" 2>/dev/null
awk -F'[{}",]+' '/^\t\t\{"/ { off[$2] = $4 } END {
	n = 0; bad = 0
	for (k in off) {
		if (k ~ /^(grad|optim)\./) continue
		if (!(("grad." k) in off)) continue
		n++
		if (off["grad." k] != off[k] || off["optim." k ".momentum_buffer"] != off[k]) bad++
	}
	exit !(n == 14 && bad == 0)
}' "$tmp/cnn.c"
check "plan: parameter, gradient and momentum at one offset (14 parameters)" test $? -eq 0

# front + emit: lr_batch_ref scales lr by batch/ref (0.1·64/256), the
# plateau schedule's keys reach the recipe, AdaBound's final_lr follows
# the scaled lr (0.2/0.025 = 8), clip_norm is one node before the update
"$NNCC" tests/passes/recipe_sched.lua -o "$tmp/rs.c" -d autodiff 2> "$tmp/rs.ad"
check "front: lr_batch_ref scales the lr" grep -q '^	m->lr = 0.0250000004f;' "$tmp/rs.c"
check "emit: the plateau schedule in the recipe" bash -c "grep -q '.sched = RT_SCHED_PLATEAU,' $tmp/rs.c &&
	grep -q '.plateau_factor = 0.25f,' $tmp/rs.c && grep -q '.plateau_patience = 2,' $tmp/rs.c &&
	grep -q '.plateau_cooldown = 1,' $tmp/rs.c && grep -q '.min_lr = 0.00100000005f,' $tmp/rs.c &&
	grep -q '.warmup = 0.5f,' $tmp/rs.c && grep -q '.warmup_start = 0.200000003f,' $tmp/rs.c"
check "emit: final_lr follows lr/lr0" grep -q 'const double final_lr = (double)lr \* 8.0;' "$tmp/rs.c"
check "autodiff: clip_scale reads the gradient block, the update its scale" bash -c \
	"grep -qE '^%([0-9]+) = block .*\"grads\"' $tmp/rs.ad &&
	grep -qE '= clip_scale %[0-9]+ \{adabound\} : f32\[1\] upd arena' $tmp/rs.ad &&
	grep -qE '= adabound_update %[0-9]+, %[0-9]+, %[0-9]+, %[0-9]+, %[0-9]+ ' $tmp/rs.ad"
"$NNCC" tests/passes/plateau_defaults.lua -o "$tmp/pd.c" 2>/dev/null
check "front: nn.schedule.plateau() has torch's defaults" bash -c "grep -q '.plateau_factor = 0.100000001f,' $tmp/pd.c &&
	grep -q '.plateau_patience = 10,' $tmp/pd.c && grep -q '.plateau_threshold = 9.99999975e-05f,' $tmp/pd.c &&
	grep -q '.plateau_cooldown = 0,' $tmp/pd.c && grep -q '^	m->lr = 0.00999999978f;' $tmp/pd.c"
check "emit: the trainer compiles (-Wall -Wextra -Werror)" \
	${CC:-cc} -std=c11 -Wall -Wextra -Werror -Iruntime -fsyntax-only "$tmp/rs.c"

echo "passes: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
