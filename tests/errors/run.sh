#!/usr/bin/env bash
# tests/errors/run.sh — the broken-script corpus: every tests/errors/NAME.lua
# is a model script with one mistake in it, and its first line says what
# nncc must print about it:
#
#   -- expect: :7: linear: input has 3 dims
#
# The text after "expect: " is a substring that must follow the script's
# path in stderr, so it starts with the :LINE: of the user's mistake.  For
# each script the runner checks that
#   `nncc tests/errors/NAME.lua -o $tmp/out.c` exits with exactly 1 (not 0,
#   not 2 = a bug, not a signal, not a timeout), stderr contains
#   "tests/errors/NAME.lua" + the expectation, stdout is empty, no
#   sanitizer or valgrind report is in stderr, and no file was written:
#   not out.c, out.h or their .tmp beside them, nor /tmp/nncc_pwned,
#   which the sandbox scripts try to create.
# A few cases need no script of their own (a missing file, a long path,
# a binary chunk); they are built in a scratch directory below.
#
# Environment:
#   NNCC     the compiler command, split on spaces, relative to the
#            repository root (default build/nncc).  Under valgrind the
#            script's clock limit must grow with the slowdown, e.g.
#            NNCC="valgrind -q --error-exitcode=3 build/nncc --lua-seconds 600"
#            TIMEOUT=900; an ASan/UBSan build is just NNCC=path/to/it.
#   TIMEOUT  seconds per script (default 20)
#
# Arguments, if any, are the names of the cases to run (default: all).
#
# Prints "ok NAME" or "FAIL NAME: reason" per case, then one line
# "errors: N passed, M failed"; exits 1 if any failed.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
read -r -a nncc <<<"${NNCC:-build/nncc}"
timeout_s=${TIMEOUT:-20}
only=("$@")
ran=()

scratch=$(mktemp -d "${TMPDIR:-/tmp}/nncc-errors.XXXXXX") || exit 2
trap 'rm -rf "$scratch"' EXIT
# What the sandbox scripts try to create (tests/errors/sandbox_*.lua)
pwned=/tmp/nncc_pwned

# What a sanitizer or valgrind says about a memory error (not valgrind's
# "possibly lost" blocks: a limit ends the process with _exit).
reports='Sanitizer|runtime error:|^==[0-9]+== (Invalid |Conditional jump|Use of uninitialised|Syscall param|Mismatched |Source and destination overlap|Process terminating)|definitely lost in'

passed=0
failed=0

pass() {
	echo "ok $1"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

# One line of stderr, shortened, to show in a failure.
first_line() {
	local s
	s=$(grep -v '^==[0-9]*==' "$1" | head -n 1)
	[ ${#s} -gt 160 ] && s="${s:0:160}…"
	printf '%s' "${s:-<empty>}"
}

# wanted NAME: whether the command line asks for this case.
wanted() {
	[ ${#only[@]} -eq 0 ] && return 0
	local n
	for n in ${only[@]+"${only[@]}"}; do
		[ "$n" = "$1" ] && return 0
	done
	return 1
}

# check NAME SCRIPT WANT: runs nncc on SCRIPT; WANT must follow in stderr
# (WANT is the whole substring: path, :LINE: and message).
check() {
	local name=$1 script=$2 want=$3
	wanted "$name" || return 0
	ran+=("$name")
	local out="$scratch/o/out.c" hdr="$scratch/o/out.h"
	local so="$scratch/stdout" se="$scratch/stderr"
	rm -rf "$scratch/o" "$pwned"
	mkdir "$scratch/o"
	timeout -k 5 "$timeout_s" "${nncc[@]}" "$script" -o "$out" \
		>"$so" 2>"$se" </dev/null
	local rc=$?
	local why=""
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		why="timed out after ${timeout_s}s (a hang)"
	elif [ $rc -gt 128 ]; then
		why="killed by signal $((rc - 128)) (a crash)"
	elif [ $rc -eq 0 ]; then
		why="exit 0: the mistake was accepted"
	elif [ $rc -ne 1 ]; then
		why="exit $rc, not 1"
	fi
	if grep -qE "$reports" "$se"; then
		why="${why:+$why; }sanitizer/valgrind report in stderr"
	fi
	if ! grep -qF -- "$want" "$se"; then
		why="${why:+$why; }stderr lacks '$want' (got: $(first_line "$se"))"
	fi
	if [ -s "$so" ]; then
		why="${why:+$why; }stdout is not empty"
	fi
	if [ -n "$(ls -A "$scratch/o")" ]; then
		why="${why:+$why; }a file was written despite the error: $(ls -A "$scratch/o" | head -n 1)"
	fi
	if [ -e "$pwned" ]; then
		why="${why:+$why; }the script wrote $pwned"
	fi
	if [ -n "$why" ]; then
		fail "$name" "$why"
	else
		pass "$name"
	fi
}

shopt -s nullglob
scripts=(tests/errors/*.lua)
if [ ${#scripts[@]} -eq 0 ]; then
	fail corpus "no scripts in tests/errors"
fi

for script in "${scripts[@]}"; do
	name=$(basename "$script" .lua)
	wanted "$name" || continue
	line1=$(head -n 1 "$script")
	expect=${line1#-- expect: }
	if [ "$expect" = "$line1" ] || ! [[ $expect =~ ^:[0-9]+:\  ]]; then
		fail "$name" "first line must be '-- expect: :LINE: message'"
		continue
	fi
	check "$name" "$script" "$script$expect"
done

# A script that does not exist: the message names it.
check missing_file tests/errors/no_such_model.lua \
	"tests/errors/no_such_model.lua"

# A long path: Lua shortens chunk names past 60 characters ("...ls/x.lua"),
# but every message must carry the path as given.
long="$scratch/a_rather_long_directory_name_for_models/and_another_level/models"
mkdir -p "$long"
for n in call_nil syntax_error typo_layer; do
	cp "tests/errors/$n.lua" "$long/$n.lua"
	check "long_path_$n" "$long/$n.lua" \
		"$long/$n.lua$(head -n 1 "tests/errors/$n.lua" | sed 's/^-- expect: //')"
done

# A precompiled (binary) chunk is refused, and the message names the file.
printf '\033LuaT\000\031\223\r\n\032\n' >"$scratch/binary.lua"
check binary_chunk "$scratch/binary.lua" "$scratch/binary.lua:"

for n in ${only[@]+"${only[@]}"}; do
	case " ${ran[*]} " in
	*" $n "*) ;;
	*) fail "$n" "no such case" ;;
	esac
done

echo "errors: $passed passed, $failed failed"
[ $failed -eq 0 ]
