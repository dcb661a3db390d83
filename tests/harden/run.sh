#!/usr/bin/env bash
# tests/harden/run.sh — what nncc writes cannot be steered by the script,
# and its limits are flags.
#
#   a. limits       --lua-mem, --lua-steps, --lua-seconds and --max-mem
#                   raise what they say (a script just over each default
#                   fails without, passes with); --unsafe-lua gives os and
#                   io; bad values are refused
#   b. hostile text tests/harden/hostile.lua puts quotes, backslashes, */,
#                   /*, newlines, %, trigraphs, control bytes, UTF-8 and
#                   4095-byte strings into every string that reaches C,
#                   from a directory whose name has the same; the C it
#                   emits compiles with gcc and clang -Wall -Wextra
#                   -Werror, holds none of the raw text, and the trainer
#                   built from it names the data file byte for byte
#   c. hostile names every name a model could collide with — C keywords,
#                   what the trainer's headers declare, every file-scope
#                   name of generated/*.c and the runtime header — is
#                   refused at the script's line or compiles
#
# Prints ok/FAIL per check, then "harden: N passed, M failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
NNCC=${NNCC:-build/nncc}
read -r -a nncc <<<"$NNCC"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nncc-harden.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
H=tests/harden
CFLAGS="-std=c11 -O0 -Wall -Wextra -Werror -Iruntime"

pass=0 fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
first() { grep -v '^==' "$1" | head -n 1 | cut -c1-200; }

# nn FILE ARGS...: nncc on FILE -o $TMP/out.c; sets rc
nn() {
	rm -f "$TMP/out.c" "$TMP/out.h"
	"${nncc[@]}" "$@" -o "$TMP/out.c" >"$TMP/so" 2>"$TMP/se"
	rc=$?
}
# model BODY-LINE: a small model script with BODY-LINE at line 2
model() {
	cat <<EOT
local nn = require "nncc"
$1
local x = nn.input{"x", 4}
local y = nn.label{"y", classes = 3}
return nn.train {
  name = "${2:-limits}", loss = nn.softmax_cross_entropy(nn.linear{3}(x), y),
  batch = 2, epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"d.csv"}},
}
EOT
}
# limit NAME SCRIPT WORDS FLAGS...: SCRIPT fails with WORDS at line 2 by
# default and compiles with FLAGS (both runs with $base too)
base=()
limit() {
	local name=$1 script=$2 words=$3
	shift 3
	nn "$script" ${base[@]+"${base[@]}"}
	if [ $rc -ne 1 ] || ! grep -qF "$script:2: $words" "$TMP/se"; then
		bad "a. $name: by default exit $rc, not 1 with '$words' ($(first "$TMP/se"))"
		return
	fi
	nn "$script" ${base[@]+"${base[@]}"} "$@"
	if [ $rc -eq 0 ] && [ -s "$TMP/out.c" ]; then
		ok "a. $name: refused by default ('$words'), compiles with $*"
	else
		bad "a. $name: with $* exit $rc ($(first "$TMP/se"))"
	fi
}

# ---- a. limits -------------------------------------------------------------
model 'local t = {} for i = 1, 40 do t[i] = string.rep("x", 2^23) .. i end' >"$TMP/mem.lua"
limit "--lua-mem" "$TMP/mem.lua" "the script used more than 256 MiB of memory" --lua-mem 1024
model 'local n = 0 for i = 1, 1.2e8 do n = n + 1 end' >"$TMP/steps.lua"
# the clock (10 s) must not stop it first, which a sanitizer build may
base=(--lua-seconds 600)
limit "--lua-steps" "$TMP/steps.lua" "the script ran more than 200 million instructions" --lua-steps 2000
base=()
model 'local s = string.rep("a", 3000) local r = string.find(s, ".-.-.-.-.-b")' >"$TMP/secs.lua"
start=$(date +%s)
nn "$TMP/secs.lua" --lua-seconds 1
took=$(($(date +%s) - start))
if [ $rc -eq 1 ] && grep -qF "$TMP/secs.lua:2: the script ran more than 1 seconds" "$TMP/se" &&
	[ $took -lt 5 ]; then
	ok "a. --lua-seconds 1 stops, after ${took}s, a pattern match the instruction budget cannot"
else
	bad "a. --lua-seconds 1: exit $rc after ${took}s ($(first "$TMP/se"))"
fi
model 'local home = os.getenv("HOME") io.write("")' >"$TMP/unsafe.lua"
limit "--unsafe-lua" "$TMP/unsafe.lua" "attempt to index a nil value (global 'os')" --unsafe-lua
nn tests/errors/size_memory_cap.lua
if [ $rc -eq 1 ] && grep -qF "the limit is 16.00 GiB (raise it with --max-mem MIB)" "$TMP/se"; then
	nn tests/errors/size_memory_cap.lua --max-mem 32768
	[ $rc -eq 0 ] && ok "a. --max-mem: a 21 GiB trainer is refused by default, emitted with --max-mem 32768" ||
		bad "a. --max-mem 32768: exit $rc ($(first "$TMP/se"))"
	nn models/mnist_mlp.lua --max-mem 1
	if [ $rc -eq 1 ] && grep -qF "the limit is 0.00 GiB" "$TMP/se"; then
		ok "a. --max-mem 1 refuses even mnist_mlp"
	else
		bad "a. --max-mem 1: exit $rc ($(first "$TMP/se"))"
	fi
else
	bad "a. --max-mem: size_memory_cap exits $rc ($(first "$TMP/se"))"
fi
for flag in "--lua-mem 0" "--lua-steps -1" "--lua-seconds x" "--max-mem 1e3" "--max-mem"; do
	# shellcheck disable=SC2086
	nn models/mnist_mlp.lua $flag
	if [ $rc -eq 1 ] && grep -qF "takes a positive number" "$TMP/se" && [ ! -e "$TMP/out.c" ]; then
		ok "a. '$flag' is refused"
	else
		bad "a. '$flag': exit $rc ($(first "$TMP/se"))"
	fi
done

# ---- b. hostile text ---------------------------------------------------------
# The script in a directory named like its strings; -o in another.
dir=$TMP/$'q*/w/*e??=/n\nl/%s%n \\ \xe2\x98\x83'
mkdir -p "$dir"
cp "$H/hostile.lua" "$dir/model.lua"
"${nncc[@]}" "$dir/model.lua" -o "$dir/hostile.c" >"$TMP/so" 2>"$TMP/se"
rc=$?
if [ $rc -ne 0 ]; then
	bad "b. nncc on hostile.lua: exit $rc ($(first "$TMP/se"))"
else
	ok "b. nncc emits hostile.lua from a hostile directory"
	for cc in gcc clang; do
		if $cc $CFLAGS -Wtrigraphs -c "$dir/hostile.c" -o "$TMP/h-$cc.o" 2>"$TMP/cc-$cc.err"; then
			ok "b. its C compiles with $cc -std=c11 -Wall -Wextra -Werror"
		else
			bad "b. its C fails with $cc: $(head -n 3 "$TMP/cc-$cc.err" | tr '\n' ' ')"
		fi
	done
	# cscan: no control byte, trigraph or raw non-ASCII byte anywhere, no
	# comment opening another; and the code alone (literals emptied,
	# comments dropped) holds nothing the script wrote
	cc -std=c11 -O1 -Wall -Wextra -Werror -o "$TMP/cscan" "$H/cscan.c"
	if "$TMP/cscan" "$dir/hostile.c" >"$TMP/code" 2>"$TMP/scan" &&
		"$TMP/cscan" "$dir/hostile.h" >>"$TMP/code" 2>>"$TMP/scan"; then
		ok "b. hostile.c and .h: no control byte, trigraph or raw non-ASCII byte in a literal, no comment in a comment"
	else
		bad "b. cscan: $(head -n 3 "$TMP/scan" | tr '\n' ' ')"
	fi
	leaked=""
	for raw in 'system' 'passwd' 'rm -rf' '#define x' '%n' 'vvvvvvvvvv' 'b*/c'; do
		grep -qF -- "$raw" "$TMP/code" && leaked="$leaked '$raw'"
	done
	if [ -z "$leaked" ]; then
		ok "b. nothing the script wrote is in the code outside literals and comments (7 probes)"
	else
		bad "b. script text became code:$leaked"
	fi
	if grep -q "nnnnnnnnn*1_train_step" "$dir/hostile.h" &&
		grep -q "linear1\|l_zzzz" "$dir/hostile.c"; then
		ok "b. 64-character names reach the API and the tensor table"
	else
		bad "b. the 64-character names are not in the emitted files"
	fi
	# the trainer keeps every byte: the CSV it cannot open is named
	# exactly as the script spelled it
	if cc -std=c11 -O0 -D_POSIX_C_SOURCE=200809L -Iruntime -I"$dir" \
		"$dir/hostile.c" runtime/*.c -lm -o "$TMP/hostile" 2>"$TMP/cc.err"; then
		(cd "$TMP" && ./hostile --quiet) >"$TMP/t.out" 2>"$TMP/t.err"
		trc=$?
		printf '%s' $'d"q\\b*/c/*o??=t??/n\nr\rt\t%s%n%%\1\x7f\xc3\xa9\xe2\x98\x83\xe2\x80\xaex.csv: cannot open' >"$TMP/want"
		if [ $trc -eq 1 ] && head -c "$(wc -c <"$TMP/want")" "$TMP/t.err" | cmp -s - "$TMP/want"; then
			ok "b. the trainer names the data file byte for byte as the script wrote it"
		else
			bad "b. the trainer's path differs: exit $trc, stderr $(head -c 80 "$TMP/t.err" | od -An -c | head -2 | tr -s ' \n' ' ')"
		fi
	else
		bad "b. the hostile trainer does not build: $(head -n 2 "$TMP/cc.err")"
	fi
fi

# ---- c. hostile names --------------------------------------------------------
# Every name that could collide: keywords, a sample of what the C library
# headers declare, and every file-scope name of the generated files and
# the runtime header as they are now (so a new static function the
# emitter grows is checked too).
names=$( {
	echo auto break case char const continue default do double else enum extern
	echo float for goto if inline int long register restrict return short signed
	echo sizeof static struct switch typedef union unsigned void volatile while
	echo bool true false alignas typeof _Bool _Atomic
	echo printf FILE size_t NULL EOF memcpy exp expf sqrt index y0 j1 random
	echo stdout errno_t div abs uint64_t int32_t INFINITY M_PI
	cat generated/*.c generated/*.h runtime/nncc_rt.h |
		grep -oE '^(static |const |inline |extern )*[A-Za-z_][A-Za-z0-9_]*[ *]+\**[A-Za-z_][A-Za-z0-9_]*\(' |
		sed -E 's/.*[ *]([A-Za-z_][A-Za-z0-9_]*)\($/\1/'
	cat generated/*.c generated/*.h runtime/nncc_rt.h |
		grep -oE '^#define [A-Za-z_][A-Za-z0-9_]*|^\} [A-Za-z_][A-Za-z0-9_]*;|^typedef .* [A-Za-z_][A-Za-z0-9_]*;' |
		sed -E 's/^#define //; s/^\} //; s/;$//; s/.* //'
} | tr ' ' '\n' | grep -E '^[A-Za-z_][A-Za-z0-9_]*$' | sort -u)
count=0 refused=0 compiled=0 broken=""
for n in $names; do
	count=$((count + 1))
	model "" "$n" >"$TMP/name.lua"
	nn "$TMP/name.lua"
	if [ $rc -eq 1 ] && grep -qF "$TMP/name.lua:5: train: name '$n'" "$TMP/se"; then
		refused=$((refused + 1))
	elif [ $rc -eq 0 ] && gcc $CFLAGS -c "$TMP/out.c" -o /dev/null 2>/dev/null; then
		compiled=$((compiled + 1))
	else
		broken="$broken $n"
	fi
done
if [ -z "$broken" ] && [ "$count" -gt 100 ]; then
	ok "c. $count names: $refused refused at the script's line, $compiled compile with -Werror"
else
	bad "c. names that neither are refused nor compile:${broken:- (only $count names found)}"
fi

echo "harden: $pass passed, $fail failed"
[ $fail -eq 0 ]
