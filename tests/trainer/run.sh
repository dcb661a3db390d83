#!/usr/bin/env bash
# tests/trainer/run.sh — tests of the generated trainers (generated/*.c).
#
#   tests/trainer/run.sh                      # from anywhere in the repo
#   CC=gcc tests/trainer/run.sh               # compiler of the main builds
#   TEST_CFLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer' \
#       tests/trainer/run.sh                  # everything under ASan+UBSan
#
# Builds what it needs into build/trainer/ (the runtime too, from
# runtime/*.c, with the same compiler and TEST_CFLAGS), then runs:
#   a. determinism          same seed → bitwise-identical losses; threads
#   b. checkpoints          save / load / continue == uninterrupted, bitwise
#   c. ISA paths            AVX-512 / AVX2 / scalar × gcc / clang, -Werror,
#                           losses within 1e-5 relative, for every model
#   d. the trainer's main   flags, final line, metrics, error exits
#   e. broken data files    exit 1 naming the file, never a crash
#   f. predict in chunks    n = 1, B-1, B+3 == rows of full batches
#   g. the recipe driver    step count, 2 epochs == 1 + resume + 1
#   h. data and augment     the samples an epoch sees (last batch, balance);
#                           an augmented recipe is deterministic and resumes
#                           bitwise
#   x. examples/embed.c     builds warning-free and passes
#   h-m. tests/trainer/driver.sh: init, init_bias_from_prior, --overfit-batch
#                           and divergence, early stopping with EMA and the
#                           best checkpoint, SIGKILL + resume, curves
# One line per check, then `trainer: N passed, M failed`; exit 1 if any
# failed.  Logs of every run: build/trainer/logs/.
# GCC and CLANG name the two compilers of the ISA check (gcc, clang).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
CC=${CC:-cc}
GCC=${GCC:-gcc}
CLANG=${CLANG:-clang}
TEST_CFLAGS=${TEST_CFLAGS:-}
B=$ROOT/${TEST_OUT:-build}/trainer
LOG=$B/logs
NNCC=${NNCC:-$ROOT/build/nncc}
DATA=$ROOT/data
mkdir -p "$B" "$LOG" "$B/isa"
rm -f "$LOG"/*
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nncc-trainer.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

# Under sanitizers, their reports must not pass for an ordinary exit 1.
case " $TEST_CFLAGS " in
*-fsanitize*)
	export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=223}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:exitcode=222:print_stacktrace=1}
	;;
esac

pass=0
fail=0
ok() { printf 'ok   %s\n' "$1"; pass=$((pass + 1)); }
bad() { printf 'FAIL %s\n' "$1"; fail=$((fail + 1)); }
sanitizer_report() {
	grep -qE 'runtime error:|ERROR: [A-Za-z]*Sanitizer|SUMMARY: [A-Za-z]*Sanitizer' "$1"
}

# ---- builds ------------------------------------------------------------
RT_SRC=$(ls runtime/*.c)
OPT="-std=c11 -O2 -D_POSIX_C_SOURCE=200809L"

# build_rt CC OUT.a EXTRA-FLAGS: the runtime library from runtime/*.c
build_rt() {
	local cc=$1 out=$2 extra=$3 dir=${2%.a}.o f
	mkdir -p "$dir"
	rm -f "$out" "$dir"/*.o
	for f in $RT_SRC; do
		# shellcheck disable=SC2086
		$cc $OPT $extra $TEST_CFLAGS -Iruntime -c "$f" \
			-o "$dir/$(basename "${f%.c}").o" || return 1
	done
	ar rcs "$out" "$dir"/*.o
}

# build NAME COMMAND...: runs a build; a failure is a failed check
build() {
	local name=$1 log
	shift
	log=$LOG/build-$(printf %s "$name" | tr -c 'A-Za-z0-9_.-' _).log
	if "$@" >"$log" 2>&1; then
		return 0
	fi
	bad "build: $name (see ${log#"$ROOT"/})"
	return 1
}

have_rt=0 have_tt=0 have_trainer=0
build "runtime ($CC, OpenMP)" build_rt "$CC" "$B/libnncc_rt.a" -fopenmp && have_rt=1
if [ $have_rt = 1 ]; then
	# shellcheck disable=SC2086
	build "test_trainer ($CC)" $CC $OPT -march=native -fopenmp -Wall -Wextra -Werror \
		$TEST_CFLAGS -Iruntime -Igenerated tests/trainer/test_trainer.c \
		tests/trainer/model_glue.c "$B/libnncc_rt.a" -lm \
		-o "$B/test_trainer" && have_tt=1
	# shellcheck disable=SC2086
	build "mnist_mlp trainer ($CC)" $CC $OPT -march=native -fopenmp \
		$TEST_CFLAGS -Iruntime -Igenerated generated/mnist_mlp.c \
		"$B/libnncc_rt.a" -lm -o "$B/mnist_mlp" && have_trainer=1
fi

have_data=1
for f in train-images-idx3-ubyte train-labels-idx1-ubyte \
	t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
	[ -f "$DATA/$f" ] || have_data=0
done
[ $have_data = 1 ] || bad "data: $DATA is incomplete (run scripts/fetch-mnist.sh data)"

# ---- a, b, f, g: test_trainer -------------------------------------------
# api TEST [ARGS]: runs one test of test_trainer, passing its result lines on
api() {
	local t=$1 out err rc
	out=$LOG/api-$t.out
	err=$LOG/api-$t.err
	"$B/test_trainer" "$DATA" "$@" >"$out" 2>"$err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok   "*) ok "${line#ok   }" ;;
		"FAIL "*) bad "${line#FAIL }" ;;
		esac
	done <"$out"
	if [ $rc -ge 128 ] || { [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$out"; }; then
		bad "test_trainer $t: exit $rc (crash or setup error; see ${err#"$ROOT"/})"
	elif sanitizer_report "$err"; then
		bad "test_trainer $t: sanitizer report (see ${err#"$ROOT"/})"
	fi
}

if [ $have_tt = 1 ] && [ $have_data = 1 ]; then
	api determinism
	# The kernels promise results independent of the thread count.
	OMP_NUM_THREADS=1 "$B/test_trainer" "$DATA" losses >"$LOG/threads1.out" 2>&1
	r1=$?
	OMP_NUM_THREADS=2 "$B/test_trainer" "$DATA" losses >"$LOG/threads2.out" 2>&1
	r2=$?
	if [ $r1 = 0 ] && [ $r2 = 0 ] && [ -s "$LOG/threads1.out" ] &&
		cmp -s "$LOG/threads1.out" "$LOG/threads2.out"; then
		ok "a. determinism: 1 and 2 OpenMP threads give bitwise-identical losses"
	else
		bad "a. determinism: 1 and 2 OpenMP threads differ (exit $r1/$r2; see ${LOG#"$ROOT"/}/threads*.out)"
	fi
	mkdir -p "$TMP/ckpt" "$TMP/driver"
	api checkpoint "$TMP/ckpt"
fi

# ---- c. ISA paths ------------------------------------------------------
# Every model with a generated file; each under gcc and clang, three paths.
isa_flags() {
	case $1 in
	avx512) echo "-march=native" ;;
	avx2) echo "-march=native -DNNCC_NO_AVX512" ;;
	scalar) echo "-DNNCC_NO_AVX512 -DNNCC_NO_AVX2" ;;
	esac
}
# compare REF OUT: 10 finite losses each, all within 1e-5 relative
compare() {
	awk -v ref="$1" '
	function num(s) { return s ~ /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/ }
	BEGIN { while ((getline l < ref) > 0) if (l !~ /^isa /) r[++n] = l }
	!/^isa / {
		m++
		if (!num($0) || !num(r[m])) { print "step " m ": not a finite loss: " $0; bad = 1; exit }
		d = $0 - r[m]; d = d < 0 ? -d : d
		a = r[m] < 0 ? -r[m] : r[m]
		if (d > 1e-5 * a) { printf "step %d: %s vs %s (rel %.2g)\n", m, $0, r[m], d / a; bad = 1; exit }
	}
	END { if (!bad && (m != 10 || n != 10)) { print m " losses, reference " n; bad = 1 } exit bad }' "$2"
}

isa_rt=""
build "runtime ($GCC, no OpenMP)" build_rt "$GCC" "$B/isa/rt-gcc.a" "" && isa_rt="$isa_rt gcc"
build "runtime ($CLANG, no OpenMP)" build_rt "$CLANG" "$B/isa/rt-clang.a" "" && isa_rt="$isa_rt clang"

# Under sanitizers the op tests already cover the kernels; this check is
# about numbers, and the sanitized builds of six models take minutes.
isa_models=generated/*.c
case " $TEST_CFLAGS " in *-fsanitize*) isa_models= ;; esac
for gen in $isa_models; do
	name=$(basename "$gen" .c)
	hdr=generated/$name.h
	uc=$(printf %s "$name" | tr '[:lower:]' '[:upper:]')
	if [ ! -f "$hdr" ] || ! grep -q "#define ${uc}_CLASSES " "$hdr"; then
		echo "skip c. isa: $name (no $hdr with ${uc}_CLASSES: not a classifier)"
		continue
	fi
	ref=""
	for cc in gcc clang; do
		[ $cc = gcc ] && ccbin=$GCC || ccbin=$CLANG
		for isa in avx512 avx2 scalar; do
			# AVX2 with one compiler: the other two paths cover both
			[ $cc = clang ] && [ $isa = avx2 ] && continue
			tag=$name-$cc-$isa
			what="c. isa: $name, $cc, $isa path ($(isa_flags $isa | sed 's/^$/no -march/'))"
			exe=$B/isa/$tag
			rm -f "$exe" "$exe.out"
			case " $isa_rt " in *" $cc "*) ;; *)
				bad "$what: no runtime built for $cc"
				continue ;;
			esac
			# shellcheck disable=SC2046,SC2086
			if ! { $ccbin -std=c11 -Wall -Wextra -Werror -O2 $(isa_flags $isa) \
				$TEST_CFLAGS -DNNCC_NO_MAIN -Iruntime -Igenerated \
				-c "$gen" -o "$exe.gen.o" &&
				$ccbin -std=c11 -Wall -Wextra -Werror -O2 $(isa_flags $isa) \
					$TEST_CFLAGS -DMODEL="$name" -DMODEL_UC="$uc" \
					-Iruntime -Igenerated -include "$hdr" \
					-c tests/trainer/isa_losses.c -o "$exe.main.o" &&
				$ccbin $TEST_CFLAGS "$exe.main.o" "$exe.gen.o" \
					"$B/isa/rt-$cc.a" -lm -o "$exe"; } >"$LOG/isa-$tag.build" 2>&1; then
				bad "$what: build with -Werror failed (see ${LOG#"$ROOT"/}/isa-$tag.build)"
				continue
			fi
			"$exe" >"$exe.out" 2>"$LOG/isa-$tag.err"
			rc=$?
			got=$(sed -n 's/^isa //p' "$exe.out")
			[ "$got" = "$isa" ] || what="$what [compiled the $got path: this CPU or compiler lacks $isa]"
			if [ $rc -ne 0 ] || sanitizer_report "$LOG/isa-$tag.err"; then
				bad "$what: exit $rc (see ${LOG#"$ROOT"/}/isa-$tag.err)"
				continue
			fi
			[ -n "$ref" ] || ref=$exe.out # gcc avx512 unless it failed
			if why=$(compare "$ref" "$exe.out"); then
				ok "$what: -Werror clean, 10 losses within 1e-5 of $(basename "${ref%.out}")"
			else
				bad "$what: $why"
			fi
		done
	done
done

# ---- d. the trainer's main, end to end ---------------------------------
# trainer NAME ARGS...: runs build/trainer/mnist_mlp from the repository
# root (so the recipe's data/... paths resolve); sets rc, out, err
trainer() {
	local n=$1
	shift
	out=$LOG/trainer-$n.out
	err=$LOG/trainer-$n.err
	"$B/mnist_mlp" "$@" >"$out" 2>"$err"
	rc=$?
}
# exits1 WHAT NEEDLE: the run exited 1, not crashed, and stderr names NEEDLE
exits1() {
	if [ $rc -ne 1 ]; then
		bad "$1: exit $rc, expected 1 (see ${err#"$ROOT"/})"
	elif sanitizer_report "$err"; then
		bad "$1: sanitizer report (see ${err#"$ROOT"/})"
	elif ! grep -qF -- "$2" "$err"; then
		bad "$1: stderr does not name $2 (see ${err#"$ROOT"/})"
	else
		ok "$1"
	fi
}

if [ $have_trainer = 1 ] && [ $have_data = 1 ]; then
	trainer epoch --epochs 1 --metrics "$TMP/metrics.jsonl" --quiet
	if [ $rc -eq 0 ] && grep -q '^final: valid_acc=' "$out" && ! sanitizer_report "$err"; then
		ok "d. trainer: --epochs 1 --quiet exits 0 with a 'final: valid_acc=' line"
	else
		bad "d. trainer: --epochs 1: exit $rc (see ${LOG#"$ROOT"/}/trainer-epoch.*)"
	fi
	acc=$(sed -n 's/^final: valid_acc=\([0-9.]*\).*/\1/p' "$out")
	if [ -n "$acc" ] && awk -v a="$acc" 'BEGIN { exit !(a >= 0.8) }'; then
		ok "d. trainer: one epoch reaches valid_acc >= 0.80 (got $acc)"
	else
		bad "d. trainer: valid_acc after one epoch '$acc' < 0.80"
	fi
	if [ "$(wc -l <"$out")" -eq 1 ]; then
		ok "d. trainer: --quiet prints only the final line"
	else
		bad "d. trainer: --quiet printed $(wc -l <"$out") lines (see ${out#"$ROOT"/})"
	fi
	missing=""
	for k in epoch train_loss valid_loss valid_acc lr seconds samples_per_s; do
		grep -q "\"$k\":" "$TMP/metrics.jsonl" 2>/dev/null || missing="$missing $k"
	done
	if [ "$(wc -l <"$TMP/metrics.jsonl" 2>/dev/null || echo 0)" -eq 1 ] &&
		grep -qE '^\{.*"epoch":1,.*\}$' "$TMP/metrics.jsonl" && [ -z "$missing" ]; then
		ok "d. trainer: --metrics writes one JSON line with the 7 keys"
	else
		cp "$TMP/metrics.jsonl" "$LOG/metrics.jsonl" 2>/dev/null
		bad "d. trainer: metrics file wrong (missing:${missing:- none}; see ${LOG#"$ROOT"/}/metrics.jsonl)"
	fi
	trainer nodir --epochs 1 --quiet --data-dir /nonexistent
	exits1 "d. trainer: --data-dir /nonexistent exits 1 naming the file" \
		/nonexistent/data/train-images-idx3-ubyte
	trainer bogus --bogus-flag
	exits1 "d. trainer: --bogus-flag exits 1 naming the flag" --bogus-flag
	trainer badnum --epochs 1x
	exits1 "d. trainer: --epochs 1x exits 1 naming the value" 1x
	echo "this is not a checkpoint" >"$TMP/not-a-checkpoint.safetensors"
	trainer notckpt --epochs 1 --quiet --resume "$TMP/not-a-checkpoint.safetensors"
	exits1 "d. trainer: --resume of a non-checkpoint exits 1 naming it" \
		"$TMP/not-a-checkpoint.safetensors"
	trainer nockpt --epochs 1 --quiet --resume "$TMP/no-such.safetensors"
	exits1 "d. trainer: --resume of a missing file exits 1 naming it" \
		"$TMP/no-such.safetensors"
fi

# ---- e. broken data files ----------------------------------------------
# broken CASE FILE: a data dir $TMP/e-CASE/data linking the real files but
# FILE, which is a copy to be damaged; sets dir and victim
broken() {
	dir=$TMP/e-$1
	mkdir -p "$dir/data"
	for f in train-images-idx3-ubyte train-labels-idx1-ubyte \
		t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
		ln -sf "$DATA/$f" "$dir/data/$f"
	done
	victim=$dir/data/$2
	rm -f "$victim"
	cp "$DATA/$2" "$victim"
}
# poke FILE OFFSET BYTE...: overwrite bytes (decimal values) in place
poke() {
	local f=$1 off=$2 b s=""
	shift 2
	for b in "$@"; do s="$s$(printf '\\%03o' "$b")"; done
	# shellcheck disable=SC2059
	printf "$s" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
# count FILE: the first dimension of an IDX header
count() { od -An -tu1 -j4 -N4 "$1" | awk '{ print $1*16777216 + $2*65536 + $3*256 + $4 }'; }
# run_broken WHAT: the trainer on $dir must exit 1 naming $victim
run_broken() {
	trainer "$(basename "$dir")" --epochs 1 --quiet --data-dir "$dir"
	exits1 "e. broken data: $1 exits 1 naming the file" "$victim"
}

if [ $have_trainer = 1 ] && [ $have_data = 1 ]; then
	broken truncated train-images-idx3-ubyte
	size=$(wc -c <"$victim")
	head -c $((size / 2)) "$DATA/train-images-idx3-ubyte" >"$victim"
	run_broken "images file truncated to half"

	broken empty t10k-images-idx3-ubyte
	: >"$victim"
	run_broken "empty images file"

	broken magic train-images-idx3-ubyte
	poke "$victim" 0 18 52
	run_broken "images magic changed"

	broken type train-images-idx3-ubyte
	poke "$victim" 2 7
	run_broken "unknown IDX element type 0x07"

	broken huge train-images-idx3-ubyte
	poke "$victim" 4 255 255 255 255
	run_broken "images header claims 4294967295 samples"

	broken count train-labels-idx1-ubyte
	n=$(count "$DATA/train-labels-idx1-ubyte")
	head -c $((8 + n - 1)) "$DATA/train-labels-idx1-ubyte" >"$victim"
	m=$((n - 1))
	poke "$victim" 4 $((m >> 24 & 255)) $((m >> 16 & 255)) $((m >> 8 & 255)) $((m & 255))
	run_broken "labels file with one label fewer than images"

	broken label train-labels-idx1-ubyte
	poke "$victim" $((8 + 5)) 10
	run_broken "label 10 for a 10-class model"

	broken header t10k-labels-idx1-ubyte
	head -c 6 "$DATA/t10k-labels-idx1-ubyte" >"$victim"
	run_broken "labels file cut inside its header"
fi

# ---- f, g: test_trainer ------------------------------------------------
if [ $have_tt = 1 ] && [ $have_data = 1 ]; then
	api predict
	api driver "$TMP/driver"
	mkdir -p "$TMP/data"
	api data "$TMP/data"
fi

# ---- x. examples/embed.c -----------------------------------------------
if [ $have_rt = 1 ]; then
	# shellcheck disable=SC2086
	if build "examples/embed.c ($CC, -Werror)" $CC $OPT -march=native -fopenmp \
		-Wall -Wextra -Werror $TEST_CFLAGS -DNNCC_NO_MAIN -Iruntime -Igenerated \
		examples/embed.c generated/mnist_logreg.c "$B/libnncc_rt.a" -lm \
		-o "$B/embed"; then
		"$B/embed" >"$LOG/embed.out" 2>"$LOG/embed.err"
		rc=$?
		if [ $rc -eq 0 ] && ! sanitizer_report "$LOG/embed.err"; then
			ok "x. examples/embed.c builds warning-free and passes"
		else
			bad "x. examples/embed.c: exit $rc (see ${LOG#"$ROOT"/}/embed.*)"
		fi
	fi
fi

# ---- t. int32 token inputs through the trainer's own main ---------------
if [ $have_rt = 1 ] && "$NNCC" tests/trainer/tokens/tokens.lua -o "$B/tokens.c"; then
	# shellcheck disable=SC2086
	if build "tokens trainer ($CC, -Werror)" $CC $OPT -march=native \
		-Wall -Wextra -Werror $TEST_CFLAGS -Iruntime -I"$B" "$B/tokens.c" \
		"$B/libnncc_rt.a" -lm -o "$B/tokens"; then
		"$B/tokens" --quiet --data-dir tests/trainer/tokens \
			>"$LOG/tokens.out" 2>"$LOG/tokens.err"
		rc=$?
		acc=$(sed -n 's/^final: valid_acc=\([0-9.]*\).*/\1/p' "$LOG/tokens.out")
		if [ $rc -eq 0 ] && ! sanitizer_report "$LOG/tokens.err" &&
			awk -v a="${acc:-0}" 'BEGIN { exit !(a >= 0.9) }'; then
			ok "t. an int32 token model trains from CSV through main (valid_acc $acc)"
		else
			bad "t. token model: exit $rc, valid_acc ${acc:-none} (see ${LOG#"$ROOT"/}/tokens.*)"
		fi
	fi
else
	bad "t. token model: nncc failed"
fi

# ---- h. an augmented recipe through the trainer's own main ----------------
# aug_run NAME ARGS...: runs the augment trainer in $TMP/aug (where its
# checkpoint goes), data from the repository; copies the checkpoint to
# NAME.ckpt; sets rc
aug_run() {
	local n=$1
	shift
	rm -f "$TMP/aug/augment.ckpt"
	(cd "$TMP/aug" && "$B/augment" --data-dir "$ROOT" --quiet "$@") \
		>"$LOG/augment-$n.out" 2>"$LOG/augment-$n.err"
	rc=$?
	if sanitizer_report "$LOG/augment-$n.err"; then
		rc=99
	fi
	cp "$TMP/aug/augment.ckpt" "$TMP/aug/$n.ckpt" 2>/dev/null
}
if [ $have_rt = 1 ] && [ $have_data = 1 ] &&
	"$NNCC" tests/trainer/augment/augment.lua -o "$B/augment.c"; then
	# shellcheck disable=SC2086
	if build "augment trainer ($CC, -Werror)" $CC $OPT -march=native \
		-Wall -Wextra -Werror $TEST_CFLAGS -Iruntime -I"$B" "$B/augment.c" \
		"$B/libnncc_rt.a" -lm -o "$B/augment"; then
		mkdir -p "$TMP/aug"
		aug_run full1
		r1=$rc
		aug_run full2
		r2=$rc
		aug_run seed2 --seed 2
		r3=$rc
		aug_run epoch1 --epochs 1
		r4=$rc
		cp "$TMP/aug/epoch1.ckpt" "$TMP/aug/augment.ckpt" 2>/dev/null
		(cd "$TMP/aug" && "$B/augment" --data-dir "$ROOT" --quiet \
			--resume augment.ckpt) >"$LOG/augment-resumed.out" 2>"$LOG/augment-resumed.err"
		r5=$?
		sanitizer_report "$LOG/augment-resumed.err" && r5=99
		what="(see ${LOG#"$ROOT"/}/augment-*)"
		if [ "$r1$r2$r3$r4$r5" != 00000 ]; then
			bad "h. augment: the runs exit $r1 $r2 $r3 $r4 $r5, not 0 $what"
		else
			if cmp -s "$TMP/aug/full1.ckpt" "$TMP/aug/full2.ckpt"; then
				ok "h. augment: an augmented, oversampled recipe is deterministic for a seed (checkpoints byte-identical)"
			else
				bad "h. augment: two runs with one seed differ $what"
			fi
			if ! cmp -s "$TMP/aug/full1.ckpt" "$TMP/aug/seed2.ckpt"; then
				ok "h. augment: --seed 2 trains otherwise"
			else
				bad "h. augment: --seed 2 gives the same checkpoint: the seed is ignored"
			fi
			if grep -aq '"aug_rng":"[0-9a-f]\{64\}"' "$TMP/aug/epoch1.ckpt"; then
				ok "h. augment: the checkpoint holds the augmentation stream (aug_rng)"
			else
				bad "h. augment: no aug_rng in the checkpoint's __metadata__"
			fi
			if cmp -s "$TMP/aug/full1.ckpt" "$TMP/aug/augment.ckpt"; then
				ok "h. augment: 2 epochs == 1 epoch + --resume + 1 (checkpoints byte-identical)"
			else
				bad "h. augment: resuming after epoch 1 differs from the uninterrupted run $what"
			fi
		fi
	fi
else
	bad "h. augment: nncc failed on tests/trainer/augment/augment.lua"
fi

# ---- p. nncc --profile: the trainer times every op and says so at exit ----
# Every node the training step runs has a row; the shares add up to the
# step (100% within rounding); a build without it says how to get one.
if [ $have_rt = 1 ] && [ $have_data = 1 ] &&
	"$NNCC" models/mnist_mlp.lua --profile -o "$B/prof.c" &&
	"$NNCC" models/mnist_mlp.lua -o "$B/noprof.c"; then
	# shellcheck disable=SC2086
	if build "profiled trainer ($CC, -Werror)" $CC $OPT -march=native -fopenmp \
		-Wall -Wextra -Werror $TEST_CFLAGS -Iruntime -I"$B" "$B/prof.c" \
		"$B/libnncc_rt.a" -lm -o "$B/prof" &&
		build "unprofiled trainer ($CC, -Werror)" $CC $OPT -march=native \
		-fopenmp -Wall -Wextra -Werror $TEST_CFLAGS -Iruntime -I"$B" \
		"$B/noprof.c" "$B/libnncc_rt.a" -lm -o "$B/noprof"; then
		"$B/prof" --data-dir "$ROOT" --epochs 1 --max-steps 7 --quiet \
			>"$LOG/prof.out" 2>"$LOG/prof.err"
		nodes=$("$NNCC" models/mnist_mlp.lua --report | awk \
			'$1 ~ /^%/ && $3 != "" {n++} END {print n}')
		rows=$(grep -c '^%[0-9]' "$LOG/prof.err")
		share=$(awk '$1 ~ /^%[0-9]/ {sub("%", "", $6); s += $6} END {printf "%.0f", s}' \
			"$LOG/prof.err")
		if grep -q '^profile: 7 steps' "$LOG/prof.err" && [ "$rows" -gt 5 ] &&
			[ "$share" = 100 ]; then
			ok "p. profile: 7 steps timed, $rows ops (of $nodes scheduled nodes), shares add to 100%"
		else
			bad "p. profile: no table of 7 steps adding to 100% (rows $rows, share $share; see ${LOG#"$ROOT"/}/prof.err)"
		fi
		"$B/noprof" --data-dir "$ROOT" --epochs 1 --max-steps 2 --quiet \
			>/dev/null 2>"$LOG/noprof.err"
		if grep -q '^profile' "$LOG/noprof.err"; then
			bad "p. profile: a trainer built without --profile prints a profile"
		else
			ok "p. profile: a trainer built without --profile prints none"
		fi
	fi
else
	bad "p. profile: nncc --profile failed on models/mnist_mlp.lua"
fi

# ---- h-m. the recipe around the loop (tests/trainer/driver.sh) ---------
# shellcheck source=tests/trainer/driver.sh
. tests/trainer/driver.sh

echo "trainer: $pass passed, $fail failed"
[ $fail -eq 0 ]
