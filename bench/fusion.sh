#!/usr/bin/env bash
# bench/fusion.sh — what fusion buys: every model in models/, built fused
# and unfused (nncc --no-fuse) with the same C compiler and flags, timed
# with bench/step.c (the same random batches, the same steps), then one
# table: median step time fused and unfused and their ratio, the arena
# fused and unfused and the unfused graph's naive sum (nncc --report), and
# each trainer's peak resident memory.  Then, per model, where the time
# and the bytes went, op by op, fused against unfused (trainers built with
# -DNNCC_PROFILE: ms a step and MB moved a step, summed by op), and the
# most fusion could buy there: the unfused step over its time in the
# convolutions and matrix products, which no fusion changes.
#
#   bench/fusion.sh [--quick] [MODEL…]
# Env: B (build dir), CC, THREADS (default "1 2"), STEPS (at least this
# many timed steps, default 50), BUDGET (seconds a run, default 4),
# ROUNDS (runs of each, default 3).  The runs alternate fused and
# unfused, and each takes its lowest median, so a burst of load from
# elsewhere hits both alike; the table's "rounds" column is the lowest
# and highest ratio of one round's two runs, the noise beside the ratio.
set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
CC=${CC:-cc}
THREADS=${THREADS:-"1 2"}
STEPS=${STEPS:-50}
BUDGET=${BUDGET:-4}
ROUNDS=${ROUNDS:-3}
if [ "${1:-}" = --quick ]; then
	STEPS=5 BUDGET=0.2 THREADS=1 ROUNDS=1
	shift
fi
if [ $# -gt 0 ]; then
	MODELS=$*
else
	MODELS=$(for f in models/*.lua; do basename "$f" .lua; done)
fi
OUT=$B/bench-fusion
mkdir -p "$OUT"
CFLAGS_BENCH="-std=c11 -O2 -march=native -fopenmp -D_POSIX_C_SOURCE=200809L"

# build MODEL VARIANT FLAGS… -> $OUT/step_MODEL_VARIANT (and _prof)
build() {
	local m=$1 v=$2; shift 2
	local uc
	uc=$(echo "$m" | tr a-z A-Z)
	"$B/nncc" "models/$m.lua" "$@" -o "$OUT/${m}_$v.c" || return 1
	for p in "" _prof; do
		local def=
		[ -n "$p" ] && def=-DNNCC_PROFILE
		# shellcheck disable=SC2086
		$CC $CFLAGS_BENCH $def -DNNCC_NO_MAIN -Iruntime -DMODEL="$m" \
			-DMODEL_UC="$uc" -include "$OUT/${m}_$v.h" -o "$OUT/step_${m}_$v$p" \
			bench/step.c "$OUT/${m}_$v.c" "$B/libnncc_rt.a" -lm || return 1
	done
}

lt() { awk "BEGIN {exit !($1 < $2)}"; }   # a < b, as numbers

field() {   # key, "step …" line -> value
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# ROUNDS runs of each, fused and unfused in turn (f u f u …), so a burst
# of load from elsewhere hits both alike; each variant's lowest median,
# and that run's peak RSS; and the lowest and highest ratio of a round's
# two medians, which show how far the host's load moved them
timed_pair() {   # fused exe, unfused exe, threads -> "f rss_f u rss_u lo hi"
	local exe best_f="" rss_f="" best_u="" rss_u="" lo="" hi="" med_f=""
	for _ in $(seq "$ROUNDS"); do
		for exe in "$1" "$2"; do
			local line med q
			line=$(OMP_NUM_THREADS=$3 "$exe" "$3" "$BUDGET" "$STEPS" 5000 3) ||
				return 1
			med=$(field median_ms "$line")
			if [ "$exe" = "$1" ]; then
				med_f=$med
				if [ -z "$best_f" ] || lt "$med" "$best_f"; then
					best_f=$med
					rss_f=$(field maxrss_kb "$line")
				fi
				continue
			fi
			if [ -z "$best_u" ] || lt "$med" "$best_u"; then
				best_u=$med
				rss_u=$(field maxrss_kb "$line")
			fi
			q=$(awk "BEGIN {print $med / $med_f}")
			if [ -z "$lo" ] || lt "$q" "$lo"; then lo=$q; fi
			if [ -z "$hi" ] || lt "$hi" "$q"; then hi=$q; fi
		done
	done
	echo "$best_f $rss_f $best_u $rss_u $lo $hi"
}

mb() { awk "BEGIN {printf \"%.1f\", $1 / 1e6}"; }

table=$OUT/table.txt
: > "$table"
printf '%-14s %3s %10s %10s %7s %11s %9s %9s %9s %9s %9s\n' model thr \
	"fused ms" "unfused" ratio "rounds" "arena MB" unfused naive "RSS MB" \
	unfused >> "$table"
for m in $MODELS; do
	echo "bench-fusion: $m ..." >&2
	build "$m" fused || { echo "bench-fusion: $m: build failed" >&2; continue; }
	build "$m" unfused --no-fuse || { echo "bench-fusion: $m: build failed" >&2; continue; }
	rep=$("$B/nncc" "models/$m.lua" --report)
	af=$(echo "$rep" | sed -n 's/^arena (peak): *\([0-9]*\) bytes.*/\1/p')
	read -r au nu < <(echo "$rep" | sed -n 's/^unfused: *\([0-9]*\) bytes arena, \([0-9]*\) bytes naive.*/\1 \2/p')
	for t in $THREADS; do
		read -r f rf u ru lo hi < <(timed_pair "$OUT/step_${m}_fused" \
			"$OUT/step_${m}_unfused" "$t")
		printf '%-14s %3d %10.3f %10.3f %6.2fx %5.2f-%4.2fx %9s %9s %9s %9s %9s\n' \
			"$m" "$t" "$f" "$u" "$(awk "BEGIN {print $u / $f}")" "$lo" "$hi" \
			"$(mb "$af")" \
			"$(mb "$au")" "$(mb "$nu")" "$(mb "$rf * 1024")" \
			"$(mb "$ru * 1024")" >> "$table"
	done
	# where the time and the bytes went: one thread, by op, each op's
	# lowest time over ROUNDS profiled runs, fused and unfused in turn
	for _ in $(seq "$ROUNDS"); do
		for v in fused unfused; do
			NNCC_STEP_PROFILE=1 OMP_NUM_THREADS=1 "$OUT/step_${m}_${v}_prof" 1 \
				"$BUDGET" "$STEPS" 5000 3 2>&1 >/dev/null |
				awk -v v="$v" '/^%/ {ms[$2] += $5; gb[$2] += $5 * $8}
				END {for (k in ms) printf "%s %s %.4f %.3f\n", v, k, ms[k], gb[k]}'
		done
	done | awk '{k = $1 " " $2
	             if (!(k in ms) || $3 < ms[k]) {ms[k] = $3; gb[k] = $4}}
	            END {for (k in ms) print k, ms[k], gb[k]}' > "$OUT/$m.ops"
done

echo
echo "fused against unfused (nncc --no-fuse), same flags: $CFLAGS_BENCH"
echo "machine: $(nproc) cores, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
echo "median of >= $STEPS steps (the best of $ROUNDS runs, fused and unfused in"
echo "turn); ratio: unfused over fused, those best medians; rounds: the lowest"
echo "and highest ratio of one round's two runs; arena: the planned arena;"
echo "naive: the unfused graph's transients summed; RSS: peak resident"
echo
cat "$table"
for m in $MODELS; do
	[ -s "$OUT/$m.ops" ] || continue
	echo
	echo "$m, one thread, by op: ms a step (each op's lowest of $ROUNDS runs) and"
	echo "MB moved a step (-DNNCC_PROFILE)"
	awk '{k = $2; ms[$1, k] = $3; mv[$1, k] = $4; ops[k] = 1;
	      tot[$1] += $3; tmv[$1] += $4
	      if (k ~ /^(conv2d|matmul)/) fixed[$1] += $3}
	END {
		printf "  %-20s %10s %10s %10s %10s\n", "op", "fused ms", "unfused",
		       "fused MB", "unfused"
		n = 0
		for (k in ops) list[n++] = k
		# by unfused time, largest first (reading ms[] through `in`, as
		# awk would add every element it names: a fused-only op would
		# then show an unfused time of 0)
		for (i = 0; i < n; i++)
			ut[list[i]] = ("unfused", list[i]) in ms ? ms["unfused", list[i]] : -1
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (ut[list[j]] > ut[list[i]]) {
					t = list[i]; list[i] = list[j]; list[j] = t
				}
		for (i = 0; i < n; i++) {
			k = list[i]
			f = ("fused", k) in ms ? sprintf("%10.3f", ms["fused", k]) : sprintf("%10s", "-")
			u = ("unfused", k) in ms ? sprintf("%10.3f", ms["unfused", k]) : sprintf("%10s", "-")
			fm = ("fused", k) in mv ? sprintf("%10.1f", mv["fused", k]) : sprintf("%10s", "-")
			um = ("unfused", k) in mv ? sprintf("%10.1f", mv["unfused", k]) : sprintf("%10s", "-")
			printf "  %-20s %s %s %s %s\n", k, f, u, fm, um
		}
		printf "  %-20s %10.3f %10.3f %10.1f %10.1f\n", "total", tot["fused"],
		       tot["unfused"], tmv["fused"], tmv["unfused"]
		# what no fusion touches: the convolutions and the products
		if (fixed["unfused"] > 0)
			printf "  bound: the unfused step spends %.3f of %.3f ms in conv2d* " \
			       "and matmul, which\n  no fusion changes; a fused build " \
			       "that made every other op free would be %.2fx faster\n",
			       fixed["unfused"], tot["unfused"],
			       tot["unfused"] / fixed["unfused"]
	}' "$OUT/$m.ops"
done
