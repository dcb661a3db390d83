# tests/trainer/driver.sh — the recipe around the training loop, end to
# end through generated trainers.  Sourced by tests/trainer/run.sh, whose
# variables and helpers it uses (B, LOG, TMP, NNCC, DATA, CC, OPT,
# TEST_CFLAGS, ok, bad, build, trainer, sanitizer_report, count).
#
#   h. init               each nn.init on a real layer: the drawn weights
#                         have the mean, spread and range of PyTorch's
#                         definition for the layer's fans (computed here)
#   i. init_bias_from_prior  the bias is log(label frequency); with zero
#                         weights the first loss is the labels' entropy
#   j. diagnostics        --overfit-batch 1 fits mnist_mlp (loss < 0.01 in
#                         <= 300 steps); a too-short budget exits 4; lr = 50
#                         diverges: the message and exit 3
#   k. early stopping     stops at the epoch the metrics predict; the
#                         reported metrics are the EMA model's, and so are
#                         the saved (and best) checkpoints
#   l. resume             a run killed with SIGKILL mid-epoch, resumed,
#                         ends bitwise where the uninterrupted run (k) ended
#   n. crash in a save    a run killed with SIGKILL while it writes a
#                         checkpoint leaves the previous one whole and
#                         loadable, and resuming from it ends bitwise
#                         where a run never killed does
#   m. curves             tools/plot-metrics draws a PNG of k's metrics
#
# Expected values are computed here from the data, the recipe and
# PyTorch's formulas; none is typed in.

R=$B/recipe
mkdir -p "$R"

# recipe_build NAME LUA: the trainer $R/NAME (its own main) and $R/probe-NAME
# (tests/trainer/probe.c on the same model), both -Werror
recipe_build() {
	local n=$1 lua=$2 uc eval=
	uc=$(printf %s "$n" | tr '[:lower:]' '[:upper:]')
	if ! "$NNCC" "$lua" -o "$R/$n.c" >"$LOG/nncc-$n.log" 2>&1; then
		bad "nncc $lua (see ${LOG#"$ROOT"/}/nncc-$n.log)"
		return 1
	fi
	grep -q "^#define ${uc}_CLASSES " "$R/$n.h" && eval=-DPROBE_EVALUATE
	# shellcheck disable=SC2086
	build "$n trainer ($CC, -Werror)" $CC $OPT -march=native -fopenmp \
		-Wall -Wextra -Werror $TEST_CFLAGS -Iruntime -I"$R" "$R/$n.c" \
		"$B/libnncc_rt.a" -lm -o "$R/$n" || return 1
	# shellcheck disable=SC2086
	build "$n probe ($CC, -Werror)" $CC $OPT -march=native -fopenmp \
		-Wall -Wextra -Werror $TEST_CFLAGS -DNNCC_NO_MAIN -DMODEL="$n" $eval \
		-DMODEL_UC="$uc" -Iruntime -I"$R" -include "$R/$n.h" \
		tests/trainer/probe.c "$R/$n.c" "$B/libnncc_rt.a" -lm \
		-o "$R/probe-$n"
}

# run_in DIR NAME CMD...: runs CMD in DIR; sets rc, out, err (logs)
run_in() {
	local dir=$1 n=$2
	shift 2
	out=$LOG/$n.out
	err=$LOG/$n.err
	# the outer subshell takes the shell's note of a child killed by a
	# signal, which is not this test's output
	( (cd "$dir" && exec "$@") >"$out" 2>"$err"; exit $?) 2>/dev/null
	rc=$?
}

# clean WHAT: no sanitizer report in $err, else a failure; 0 if clean
clean() {
	if sanitizer_report "$err"; then
		bad "$1: sanitizer report (see ${err#"$ROOT"/})"
		return 1
	fi
}

# meta_field FILE KEY: a __metadata__ value of a safetensors checkpoint
# (its JSON header is the N bytes after the 8-byte length N)
meta_field() {
	local n
	n=$(od -An -tu8 -N8 "$1" 2>/dev/null | tr -d ' ')
	[ -n "$n" ] && [ "$n" -lt 1000000 ] || return 0
	tail -c +9 "$1" | head -c "$n" | LC_ALL=C grep -o "\"__metadata__\":{[^}]*}" |
		LC_ALL=C sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p"
}

# lua_key FILE KEY: the number after "KEY = " in a recipe script
lua_key() { sed -n "s/.*[{ ,]$2 = \([0-9.e-]*\).*/\1/p" "$1" | head -1; }

# ---- h. init ------------------------------------------------------------
# Each layer's weight, from PyTorch's definitions (torch.nn.init): the
# distribution and its std for the layer's fans, computed here.  A normal
# must have mean 0 and its std to 6 standard errors (1/sqrt(2n) relative)
# and reach past 3 std (a uniform of that std cannot); a uniform must stay
# within its bound, come within 30/n of it, and have bound/sqrt(3) as std
# (standard error sqrt(0.2/n) relative).
CIN=3 SIDE=12 IN=$((3 * 12 * 12)) H1=512 H2=384 H3=256 H4=200 H5=100 NOUT=10
COUT=64 KS=5
cat >"$TMP/inits.lua" <<EOF
local nn = require "nncc"
local img = nn.input{"img", $CIN, $SIDE, $SIDE}
local y = nn.label{"y", classes = $NOUT}
local h = nn.relu(nn.linear{$H1, init = "kaiming", name = "kn"}(nn.flatten(img)))
h = nn.leaky_relu{0.1}(nn.linear{$H2, name = "ku", init = nn.init.kaiming{
  dist = "uniform", mode = "fan_out", nonlinearity = "leaky_relu", a = 0.1}}(h))
h = nn.linear{$H3, init = "xavier", name = "xu"}(h)
h = nn.tanh(nn.linear{$H4, init = nn.init.xavier{dist = "normal", gain = 5/3},
  name = "xn"}(h))
h = nn.linear{$H5, init = nn.init.normal{std = 0.02}, name = "no"}(h)
h = nn.linear{$NOUT, init = nn.init.uniform{bound = 0.3}, name = "un"}(h)
local c = nn.conv2d{$COUT, $KS, init = "kaiming_uniform", name = "cv"}(img)
local z = nn.add(h, nn.linear{$NOUT, name = "tl"}(nn.flatten(c)))
return nn.train {
  name = "inits", loss = nn.softmax_cross_entropy(z, y), batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
EOF
# check_init NAME KIND STD [BOUND]: KIND normal or uniform
check_init() {
	local t=$1 kind=$2 std=$3 bound=${4:-0} why
	if ! "$R/probe-inits" init 1 "$t" >"$LOG/init-$t.txt" 2>"$LOG/init-$t.err"; then
		bad "h. init: probe $t (see ${LOG#"$ROOT"/}/init-$t.err)"
		return
	fi
	if why=$(awk -v kind="$kind" -v std="$std" -v bound="$bound" '
		{ x = $1 + 0; n++; s += x; ss += x * x; a = x < 0 ? -x : x; if (a > mx) mx = a }
		END {
			mean = s / n; sd = sqrt(ss / n - mean * mean)
			if (mean < 0) mean = -mean
			if (mean > 6 * std / sqrt(n)) { printf "mean %g, more than 6 SE from 0", mean; exit 1 }
			se = kind == "normal" ? sqrt(1 / (2 * n)) : sqrt(0.2 / n)
			rel = (sd - std) / std; if (rel < 0) rel = -rel
			if (rel > 6 * se) { printf "std %.6g, expected %.6g (rel %.2g > 6 SE)", sd, std, rel; exit 1 }
			if (kind == "normal" && mx <= 3 * std) { printf "max |w| %g within 3 std: not a normal", mx; exit 1 }
			if (kind == "uniform" && (mx > bound * (1 + 1e-6) || mx < bound * (1 - 30 / n))) {
				printf "max |w| %.6g, bound %.6g", mx, bound; exit 1 }
			printf "n %d, std %.5g vs %.5g, max %.4g", n, sd, std, mx
		}' "$LOG/init-$t.txt"); then
		ok "h. init: $t is $kind with PyTorch's std ($why)"
	else
		bad "h. init: $t: $why"
	fi
}
if [ "${have_rt:-0}" = 1 ] && recipe_build inits "$TMP/inits.lua"; then
	# kaiming_normal_, fan_in, gain sqrt(2)
	check_init kn.weight normal "$(awk -v f=$IN 'BEGIN { printf "%.17g", sqrt(2) / sqrt(f) }')"
	# kaiming_uniform_, fan_out, leaky_relu a = 0.1: gain sqrt(2/(1+a^2))
	s=$(awk -v f=$H2 'BEGIN { printf "%.17g", sqrt(2 / (1 + 0.01)) / sqrt(f) }')
	check_init ku.weight uniform "$s" "$(awk -v s="$s" 'BEGIN { printf "%.17g", sqrt(3) * s }')"
	# xavier_uniform_: bound sqrt(6/(fan_in+fan_out))
	b=$(awk -v i=$H2 -v o=$H3 'BEGIN { printf "%.17g", sqrt(6 / (i + o)) }')
	check_init xu.weight uniform "$(awk -v b="$b" 'BEGIN { printf "%.17g", b / sqrt(3) }')" "$b"
	# xavier_normal_, gain 5/3: std gain*sqrt(2/(fan_in+fan_out))
	check_init xn.weight normal "$(awk -v i=$H3 -v o=$H4 'BEGIN { printf "%.17g", 5 / 3 * sqrt(2 / (i + o)) }')"
	check_init no.weight normal 0.02
	check_init un.weight uniform "$(awk 'BEGIN { printf "%.17g", 0.3 / sqrt(3) }')" 0.3
	# a conv's fan_in is in_channels*k*k
	s=$(awk -v f=$((CIN * KS * KS)) 'BEGIN { printf "%.17g", sqrt(2) / sqrt(f) }')
	check_init cv.weight uniform "$s" "$(awk -v s="$s" 'BEGIN { printf "%.17g", sqrt(3) * s }')"
	# no init: PyTorch's default U(+-1/sqrt(fan_in)), bias too
	f=$((COUT * (SIDE - KS + 1) * (SIDE - KS + 1)))
	b=$(awk -v f=$f 'BEGIN { printf "%.17g", 1 / sqrt(f) }')
	check_init tl.weight uniform "$(awk -v b="$b" 'BEGIN { printf "%.17g", b / sqrt(3) }')" "$b"
	# beside an init, the bias starts at zero
	if "$R/probe-inits" init 1 kn.bias >"$LOG/init-kn.bias.txt" 2>&1 &&
		[ "$(wc -l <"$LOG/init-kn.bias.txt")" -eq $H1 ] &&
		awk '$1 != 0 { exit 1 }' "$LOG/init-kn.bias.txt"; then
		ok "h. init: a layer with an init has a zero bias"
	else
		bad "h. init: kn.bias is not $H1 zeros (see ${LOG#"$ROOT"/}/init-kn.bias.txt)"
	fi
fi

# ---- i. init_bias_from_prior ------------------------------------------
# 64 samples whose labels have shares 1/2, 1/4, 1/8, 1/8 (softmax) and a
# target that is 1 for a quarter of them (sigmoid).  The classifier's
# weights start at zero and lr is 0, and one batch holds the whole set, so
# epoch 1's train_loss is the first loss and the checkpoint keeps the bias
# the runtime set.
mkdir -p "$TMP/i"
awk 'BEGIN { for (i = 0; i < 64; i++) { k = i % 8; c = k < 4 ? 0 : k < 6 ? 1 : k < 7 ? 2 : 3
	printf "%g,%g,%g,%d\n", (i % 7) / 7, (i % 5) / 5, (i % 3) / 3, c } }' >"$TMP/i/prior.csv"
awk -F, '{ printf "%s,%s,%s,%d\n", $1, $2, $3, NR % 4 == 1 }' "$TMP/i/prior.csv" >"$TMP/i/prior_bce.csv"
for kind in softmax bce; do
	if [ $kind = softmax ]; then
		n=prior
		cat >"$TMP/i/$n.lua" <<'EOF'
local nn = require "nncc"
local x = nn.input{"x", 3}
local y = nn.label{"y", classes = 4}
local z = nn.linear{4, init = "zeros"}(x)
return nn.train {
  name = "prior", loss = nn.softmax_cross_entropy(z, y), batch = 64, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0}, init_bias_from_prior = true,
  checkpoint = {"prior.ckpt"}, data = {train = nn.data.csv{"prior.csv"}},
}
EOF
	else
		n=prior_bce
		cat >"$TMP/i/$n.lua" <<'EOF'
local nn = require "nncc"
local x = nn.input{"x", 3}
local t = nn.target{"t", 1}
local z = nn.linear{1, init = "zeros"}(x)
return nn.train {
  name = "prior_bce", loss = nn.sigmoid_bce(z, t), batch = 64, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0}, init_bias_from_prior = true,
  checkpoint = {"prior_bce.ckpt"}, data = {train = nn.data.csv{"prior_bce.csv"}},
}
EOF
	fi
	if [ "${have_rt:-0}" != 1 ] || ! recipe_build $n "$TMP/i/$n.lua"; then
		continue
	fi
	rm -f "$TMP/i/$n.ckpt" "$TMP/i/$n.jsonl"
	run_in "$TMP/i" "prior-$kind" "$R/$n" --quiet --metrics $n.jsonl
	clean "i. prior ($kind)" || continue
	if [ $rc -ne 0 ]; then
		bad "i. prior ($kind): exit $rc (see ${err#"$ROOT"/})"
		continue
	fi
	# the label shares, from the data file: log(share) per class, or
	# log(pos/neg) for the sigmoid, and the entropy of those shares
	awk -F, -v kind=$kind '{ c[$4]++; n++ }
		END {
			if (kind == "softmax") {
				for (k = 0; k < 4; k++) { p = c[k] / n; printf "%.17g\n", log(p) > "/dev/stderr"; h -= p * log(p) }
			} else {
				p = c[1] / n; printf "%.17g\n", log(c[1] / c[0]) > "/dev/stderr"
				h = -(p * log(p) + (1 - p) * log(1 - p))
			}
			printf "%.17g\n", h
		}' "$TMP/i/$n.csv" >"$TMP/i/$n.entropy" 2>"$TMP/i/$n.bias.want"
	"$R/probe-$n" tensor "$TMP/i/$n.ckpt" linear1.bias >"$TMP/i/$n.bias.got" 2>"$LOG/probe-$n.err"
	if paste -d' ' "$TMP/i/$n.bias.got" "$TMP/i/$n.bias.want" | awk '
		{ n++; d = $1 - $2; if (d < 0) d = -d; if (d > 1e-6) { print "bias[" n-1 "] = " $1 ", log share " $2; bad = 1 } }
		END { exit bad || n == 0 }' >"$LOG/prior-$kind.diff" &&
		[ "$(wc -l <"$TMP/i/$n.bias.want")" -eq "$(wc -l <"$TMP/i/$n.bias.got")" ]; then
		ok "i. prior ($kind): the classifier's bias is the log of the labels' shares"
	else
		bad "i. prior ($kind): bias is not log(share) (see ${LOG#"$ROOT"/}/prior-$kind.diff)"
	fi
	first=$(sed -n 's/.*"epoch":1,"train_loss":\([^,]*\),.*/\1/p' "$TMP/i/$n.jsonl")
	want=$(cat "$TMP/i/$n.entropy")
	if awk -v a="$first" -v b="$want" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 1e-5 * b) }'; then
		ok "i. prior ($kind): with zero weights the first loss is the labels' entropy ($first vs $want)"
	else
		bad "i. prior ($kind): first loss '$first', the labels' entropy $want"
	fi
done

# ---- j. --overfit-batch and divergence on mnist_mlp ---------------------
if [ "${have_trainer:-0}" = 1 ] && [ "${have_data:-0}" = 1 ]; then
	trainer overfit --overfit-batch 1
	steps=$(sed -n 's/^overfit: loss .* after \([0-9]*\) steps.*/\1/p' "$out")
	final=$(sed -n 's/^overfit: loss \([0-9.]*\) .*/\1/p' "$out")
	if clean "j. overfit"; then
		if [ $rc -eq 0 ] && [ -n "$steps" ] && [ "$steps" -le 300 ] &&
			awk -v l="$final" 'BEGIN { exit !(l != "" && l < 0.01) }' &&
			grep -q '^overfit step 10/300  loss ' "$out"; then
			ok "j. --overfit-batch 1: mnist_mlp drives the loss to $final < 0.01 in $steps <= 300 steps, exit 0"
		else
			bad "j. --overfit-batch 1: exit $rc, loss '$final' after '$steps' steps (see ${out#"$ROOT"/})"
		fi
	fi
	trainer overfit-short --overfit-batch 1 --max-steps 3
	if clean "j. overfit, 3 steps" && [ $rc -eq 4 ] &&
		grep -q 'after 3 steps, not below 0.01 — the model cannot fit 32 samples' "$out"; then
		ok "j. --overfit-batch 1 --max-steps 3: not below 0.01, says so, exit 4"
	else
		bad "j. --overfit-batch 1 --max-steps 3: exit $rc (see ${out#"$ROOT"/})"
	fi
	sed 's/lr = 0\.05/lr = 50/' models/mnist_mlp.lua >"$TMP/lr50.lua"
	# shellcheck disable=SC2086
	if ! grep -q 'sgd{lr = 50,' "$TMP/lr50.lua"; then
		bad "j. divergence: could not set lr = 50 in models/mnist_mlp.lua"
	elif ! "$NNCC" "$TMP/lr50.lua" -o "$R/lr50.c" >"$LOG/nncc-lr50.log" 2>&1; then
		bad "j. divergence: nncc $TMP/lr50.lua (see ${LOG#"$ROOT"/}/nncc-lr50.log)"
	elif build "lr50 trainer ($CC)" $CC $OPT -march=native -fopenmp $TEST_CFLAGS \
		-Iruntime -I"$R" "$R/lr50.c" "$B/libnncc_rt.a" -lm -o "$R/lr50"; then
		run_in "$ROOT" lr50 "$R/lr50" --epochs 1
		if clean "j. divergence" && [ $rc -eq 3 ] &&
			grep -q '^error: training diverged at step [0-9]* (epoch 1): loss is .*, lr = .* — the learning rate is likely too high; try 10x lower$' "$err"; then
			ok "j. mnist_mlp with lr = 50 stops with the divergence message, exit 3"
		else
			bad "j. lr = 50: exit $rc (see ${err#"$ROOT"/})"
		fi
	fi
fi

# ---- k. early stopping, EMA, best checkpoint ----------------------------
ES=tests/trainer/recipe/early.lua
if [ "${have_rt:-0}" = 1 ] && [ "${have_data:-0}" = 1 ] && recipe_build early "$ES"; then
	mkdir -p "$TMP/k"
	run_in "$TMP/k" early "$R/early" --data-dir "$ROOT" --metrics k.jsonl
	if clean "k. early stopping" && [ $rc -eq 0 ]; then
		patience=$(lua_key "$ES" patience)
		min_delta=$(lua_key "$ES" min_delta)
		epochs=$(lua_key "$ES" epochs)
		# the rule: valid_loss must beat its best by more than min_delta;
		# after patience epochs without, stop.  Prints "stop best".
		read -r stop best < <(sed -n 's/.*"epoch":\([0-9]*\),.*"valid_loss":\([^,]*\),.*/\1 \2/p' "$TMP/k/k.jsonl" |
			awk -v p="$patience" -v md="$min_delta" '
			BEGIN { best = 1e300 }
			{ if ($2 < best - md) { best = $2; bad = 0; at = $1 } else if (++bad >= p) { print $1, at; done = 1; exit } }
			END { if (!done) print 0, at }')
		ran=$(wc -l <"$TMP/k/k.jsonl")
		if [ "${stop:-0}" -gt 0 ] && [ "$stop" -lt "${epochs:-0}" ] && [ "$ran" -eq "$stop" ] &&
			grep -q "^early stopping: valid_loss has not improved for $patience epochs (best .* at epoch $best)$" "$out"; then
			ok "k. early stopping (patience $patience, min_delta $min_delta) stops at epoch $stop of $epochs, as the metrics predict"
		else
			bad "k. early stopping: ran $ran epochs, the metrics predict a stop at ${stop:-?} (best ${best:-?}; see ${out#"$ROOT"/})"
		fi
		# what was reported is the EMA model: evaluating the saved shadows
		# gives the last epoch's metrics, evaluating the weights does not
		last=$(tail -1 "$TMP/k/k.jsonl" | sed -n 's/.*"valid_loss":\([^,]*\),"valid_acc":\([^,]*\),.*/\1 \2/p')
		V="$DATA/t10k-images-idx3-ubyte $DATA/t10k-labels-idx1-ubyte"
		# shellcheck disable=SC2086
		ema=$("$R/probe-early" evaluate "$TMP/k/early.ckpt" $V 2>"$LOG/probe-early.err")
		# shellcheck disable=SC2086
		raw=$("$R/probe-early" evaluate-raw "$TMP/k/early.ckpt" $V linear1.weight \
			linear1.bias linear2.weight linear2.bias 2>>"$LOG/probe-early.err")
		if [ -n "$last" ] && [ "$ema" = "$last" ] && [ -n "$raw" ] && [ "$raw" != "$last" ]; then
			ok "k. EMA: the reported valid_loss/acc ($last) are the saved EMA weights', not the trained weights' ($raw)"
		else
			bad "k. EMA: reported '$last', EMA checkpoint '$ema', weights '$raw'"
		fi
		# the best checkpoint: written at the best epoch, its metrics those
		bestm=$(sed -n "s/.*\"epoch\":$best,.*\"valid_loss\":\([^,]*\),\"valid_acc\":\([^,]*\),.*/\1 \2/p" "$TMP/k/k.jsonl")
		# shellcheck disable=SC2086
		got=$("$R/probe-early" evaluate "$TMP/k/early.best.ckpt" $V 2>>"$LOG/probe-early.err")
		if [ "$(meta_field "$TMP/k/early.best.ckpt" epoch)" = "$best" ] && [ -n "$bestm" ] &&
			[ "$got" = "$bestm" ]; then
			ok "k. best checkpoint: from epoch $best, whose metrics it reproduces ($got)"
		else
			bad "k. best checkpoint: epoch '$(meta_field "$TMP/k/early.best.ckpt" epoch)', metrics '$got'; expected epoch $best with '$bestm'"
		fi
	else
		bad "k. early stopping: exit $rc (see ${err#"$ROOT"/})"
	fi
fi

# ---- l. SIGKILL mid-epoch, then --resume ----------------------------------
# The run of k is the uninterrupted one.  This one kills itself in the
# middle of epoch 2 (the hook NNCC_TEST_SIGKILL_AT_STEP), after epoch 1's
# checkpoint, and is resumed from that checkpoint.
if [ -s "$TMP/k/early.ckpt" ] && [ -s "$TMP/k/k.jsonl" ]; then
	per=$(($(count "$DATA/train-labels-idx1-ubyte") / $(sed -n 's/.*batch = \([0-9]*\),.*/\1/p' "$ES")))
	mkdir -p "$TMP/l"
	NNCC_TEST_SIGKILL_AT_STEP=$((per + per / 2)) run_in "$TMP/l" killed \
		"$R/early" --data-dir "$ROOT" --metrics l.jsonl --quiet
	if [ $rc -eq 137 ] && [ "$(meta_field "$TMP/l/early.ckpt" epoch)" = 1 ] &&
		[ "$(wc -l <"$TMP/l/l.jsonl")" -eq 1 ]; then
		ok "l. resume: the trainer died of SIGKILL at step $((per + per / 2)), mid-epoch 2, with epoch 1's checkpoint"
		run_in "$TMP/l" resumed "$R/early" --data-dir "$ROOT" --metrics l.jsonl \
			--resume early.ckpt
		strip() { sed 's/,"seconds":.*//' "$1"; }
		if clean "l. resume" && [ $rc -eq 0 ] && cmp -s "$TMP/k/early.ckpt" "$TMP/l/early.ckpt" &&
			cmp -s "$TMP/k/early.best.ckpt" "$TMP/l/early.best.ckpt" &&
			[ "$(strip "$TMP/k/k.jsonl")" = "$(strip "$TMP/l/l.jsonl")" ]; then
			ok "l. resume: killed + resumed == uninterrupted: checkpoints (weights, EMA, optimizer, state) and best checkpoint byte-identical, same metrics"
		else
			bad "l. resume: exit $rc; the resumed run differs from the uninterrupted one ($TMP/k vs $TMP/l; see ${out#"$ROOT"/})"
			cp "$TMP/k/k.jsonl" "$LOG/resume-full.jsonl" 2>/dev/null
			cp "$TMP/l/l.jsonl" "$LOG/resume-killed.jsonl" 2>/dev/null
		fi
	else
		bad "l. resume: the killed run exited $rc (not 137 = SIGKILL) or left no epoch-1 checkpoint (see ${err#"$ROOT"/})"
	fi
fi

# ---- n. SIGKILL while a checkpoint is being written ------------------------
# Epoch 1's checkpoint is on disk; a run resumed from it dies of SIGKILL
# halfway through writing epoch 2's (the hook NNCC_TEST_SIGKILL_IN_SAVE).
# The torn file is the .tmp beside it; early.ckpt is still epoch 1's, byte
# for byte, --resume loads it, and the resumed run ends where a run never
# killed does.
if [ "${have_rt:-0}" = 1 ] && [ "${have_data:-0}" = 1 ] && [ -x "$R/early" ]; then
	mkdir -p "$TMP/n/once"
	run_in "$TMP/n" n-epoch1 "$R/early" --data-dir "$ROOT" --epochs 1 --quiet
	cp "$TMP/n/early.ckpt" "$TMP/n/epoch1.ckpt" 2>/dev/null
	NNCC_TEST_SIGKILL_IN_SAVE=early.ckpt run_in "$TMP/n" n-killed "$R/early" \
		--data-dir "$ROOT" --epochs 2 --quiet --resume early.ckpt
	full=$(wc -c <"$TMP/n/epoch1.ckpt" 2>/dev/null || echo 0)
	torn=$(wc -c <"$TMP/n/early.ckpt.tmp" 2>/dev/null || echo 0)
	if [ $rc -eq 137 ] && cmp -s "$TMP/n/early.ckpt" "$TMP/n/epoch1.ckpt" &&
		[ "$torn" -gt 8 ] && [ "$torn" -lt "$full" ]; then
		ok "n. crash in a save: killed while writing epoch 2's checkpoint ($torn of $full bytes in early.ckpt.tmp), early.ckpt is epoch 1's, byte for byte"
		run_in "$TMP/n" n-torn "$R/early" --data-dir "$ROOT" --epochs 2 --quiet \
			--resume early.ckpt.tmp
		if [ $rc -eq 1 ] && grep -q "early.ckpt.tmp" "$err" && ! sanitizer_report "$err"; then
			ok "n. crash in a save: --resume of the torn early.ckpt.tmp exits 1 naming it"
		else
			bad "n. crash in a save: --resume of the torn file exits $rc (see ${err#"$ROOT"/})"
		fi
		run_in "$TMP/n" n-resumed "$R/early" --data-dir "$ROOT" --epochs 2 --quiet \
			--resume early.ckpt
		r1=$rc
		run_in "$TMP/n/once" n-once "$R/early" --data-dir "$ROOT" --epochs 2 --quiet
		if [ $r1 -eq 0 ] && [ $rc -eq 0 ] && [ "$(meta_field "$TMP/n/early.ckpt" epoch)" = 2 ] &&
			cmp -s "$TMP/n/early.ckpt" "$TMP/n/once/early.ckpt"; then
			ok "n. crash in a save: --resume early.ckpt loads it and ends byte-identical to a run never killed"
		else
			bad "n. crash in a save: the resumed run exits $r1 (uninterrupted $rc) or differs ($TMP/n vs $TMP/n/once)"
		fi
	else
		bad "n. crash in a save: exit $rc (not 137), or early.ckpt changed, or no torn .tmp ($torn of $full bytes; see ${err#"$ROOT"/})"
	fi
fi

# ---- m. curves ------------------------------------------------------------
if [ -s "$TMP/k/k.jsonl" ]; then
	if ! command -v gnuplot >/dev/null 2>&1; then
		echo "skip m. curves: gnuplot is not installed (scripts/deps.sh --plots)"
	elif tools/plot-metrics "$TMP/k/k.jsonl" -o "$TMP/curves.png" >"$LOG/plot.out" 2>&1 &&
		[ "$(head -c 8 "$TMP/curves.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
		[ "$(wc -c <"$TMP/curves.png")" -gt 10000 ]; then
		ok "m. tools/plot-metrics draws a PNG of a real metrics file ($(wc -c <"$TMP/curves.png") bytes)"
	else
		bad "m. tools/plot-metrics: no PNG (see ${LOG#"$ROOT"/}/plot.out)"
	fi
	if ! tools/plot-metrics "$TMP/none.jsonl" >"$LOG/plot-missing.out" 2>&1 &&
		grep -q "none.jsonl: cannot read" "$LOG/plot-missing.out"; then
		ok "m. tools/plot-metrics names a missing metrics file and fails"
	else
		bad "m. tools/plot-metrics on a missing file (see ${LOG#"$ROOT"/}/plot-missing.out)"
	fi
fi
