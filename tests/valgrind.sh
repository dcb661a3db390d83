#!/usr/bin/env bash
# tests/valgrind.sh — nncc under valgrind on every model it ships and
# tests with (models/, tests/fuzz/front/, the trainer, corrupt and harden
# scripts): -o, --report and --dot each time; valgrind must report no
# error and every heap block freed ("All heap blocks were freed"), not
# even one still reachable.  With --errors, also the whole broken-script
# corpus (tests/errors/run.sh; about 10 minutes), where a limit may end
# the process with _exit, blocks still reachable or possibly lost, but
# none definitely or indirectly lost.
# Env: NNCC (default build/nncc).  Prints ok/FAIL per model, then
# "valgrind: N passed, M failed".
set -u
cd "$(dirname "$0")/.." || exit 2
NNCC=${NNCC:-build/nncc}
command -v valgrind >/dev/null || { echo "valgrind: 0 passed, 1 failed (valgrind is not installed: scripts/deps.sh)"; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nncc-valgrind.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
for m in models/*.lua tests/fuzz/front/*.lua tests/trainer/*/*.lua \
	tests/corrupt/*.lua tests/harden/hostile.lua; do
	valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
		--error-exitcode=3 --log-file="$TMP/vg" "$NNCC" "$m" -o "$TMP/out.c" \
		--report --dot "$TMP/out.dot" >/dev/null 2>"$TMP/err"
	rc=$?
	if [ $rc -eq 0 ] && grep -q "All heap blocks were freed -- no leaks are possible" "$TMP/vg" &&
		grep -q "ERROR SUMMARY: 0 errors" "$TMP/vg"; then
		echo "ok $m: $(sed -n 's/.*total heap usage: //p' "$TMP/vg")"
		pass=$((pass + 1))
	else
		echo "FAIL $m: exit $rc; $(grep -E 'lost|reachable|ERROR SUMMARY|Invalid' "$TMP/vg" | head -4 | tr '\n' ' ')"
		fail=$((fail + 1))
	fi
done
if [ "${1:-}" = --errors ]; then
	out=$(NNCC="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=3 $NNCC --lua-seconds 60" \
		TIMEOUT=300 tests/errors/run.sh 2>&1)
	echo "$out" | grep -v '^ok'
	line=$(echo "$out" | tail -1)
	pass=$((pass + $(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
	fail=$((fail + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
fi
echo "valgrind: $pass passed, $fail failed"
[ $fail -eq 0 ]
