#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS [HARNESS...] — runs each libFuzzer harness
# (front, data, ckpt; default all, one after another) for SECONDS, then
# prints one line each: executions, exec/s, coverage (edges), features,
# corpus size, crashes.  `make fuzz SECONDS=N` builds them and calls this.
#
# Corpora grow in build/fuzz/corpus-NAME (seeded from tests/fuzz/NAME/
# and, for front, from models/ and the scripts under tests/); a crash,
# leak or timeout is written to build/fuzz/crash-NAME-* and fails the run.
# Logs: build/fuzz/NAME.log.  Env: B (build directory), FUZZ_FLAGS (more
# libFuzzer flags, e.g. -jobs=2).
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
secs=${1:-20}
shift
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(front data ckpt)

failed=0
for h in "${harnesses[@]}"; do
	exe=$B/fuzz/fuzz_$h
	corpus=$B/fuzz/corpus-$h
	log=$B/fuzz/$h.log
	[ -x "$exe" ] || { echo "fuzz: $exe is not built (make fuzz)"; exit 2; }
	mkdir -p "$corpus"
	seeds=(tests/fuzz/"$h")
	extra=()
	if [ "$h" = front ]; then
		seeds+=(models tests/passes tests/trainer/augment tests/trainer/tokens
			tests/trainer/recipe)
		extra=(-dict=tests/fuzz/front.dict -max_len=8192)
	fi
	# -close_fd_mask=3: nncc's messages and --report stay quiet (libFuzzer
	# and the sanitizers keep their own stderr); a 20 s timeout, a 2 GB
	# RSS limit, leaks detected
	# shellcheck disable=SC2086
	"$exe" "$corpus" "${seeds[@]}" "${extra[@]}" -max_total_time="$secs" \
		-timeout=20 -rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$B/fuzz/crash-$h-" ${FUZZ_FLAGS:-} >"$log" 2>&1
	rc=$?
	stats=$(grep -E '^#[0-9]+' "$log" | tail -1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(echo "$stats" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$stats" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$stats" | sed -n 's/.* corp: \([^ ]*\).*/\1/p')
	crashes=$(ls "$B/fuzz/crash-$h-"* 2>/dev/null | wc -l)
	printf 'fuzz %-5s %ss: %s executions, %s exec/s, cov %s, ft %s, corpus %s, crashes %s\n' \
		"$h" "$secs" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes"
	if [ $rc -ne 0 ] || [ "$crashes" -ne 0 ]; then
		echo "fuzz $h: exit $rc; see $log"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -5
		failed=1
	fi
done
exit $failed
