#!/usr/bin/env bash
# tests/corrupt/run.sh — broken data files and checkpoints, fed to real
# trainers.  Each must make the trainer exit 1 with a message that names
# the file and says what is wrong, and nothing else: no crash, no
# sanitizer report, no training.
#
#   data         tests/corrupt/bad/*, one line each in tests/corrupt/cases
#                (FILE, the good file it replaces, what stderr must say),
#                made by make-corpus.py: truncated, emptied, wrong magic,
#                bit flips in counts, impossible dimensions, NaN and Inf
#                (for CSV, with their line), labels out of range, counts
#                that disagree, shapes the model does not take
#   checkpoints  a checkpoint the trainer wrote, then broken here in
#                every way the reader checks (ckpt_case lines below):
#                truncated, wrong magic, oversized or zero header length,
#                malformed JSON, unknown dtype, offsets outside the file,
#                names, shapes, model hash, metadata; each given to
#                --resume
#
# The trainers are tests/corrupt/tiny.lua (IDX) and tiny_csv.lua (CSV),
# built with CC and TEST_CFLAGS (the sanitizer pass of tests/run.sh sets
# -fsanitize=address,undefined) by NNCC.  Prints ok/FAIL per case, then
# "corrupt: N passed, M failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
CC=${CC:-cc}
NNCC=${NNCC:-build/nncc}
read -r -a nncc <<<"$NNCC"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nncc-corrupt.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
C=$ROOT/tests/corrupt
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1}

pass=0 fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
first() { grep -v '^==' "$1" | head -n 1 | cut -c1-200; }

# build NAME: the trainer $TMP/NAME from tests/corrupt/NAME.lua
build() {
	"${nncc[@]}" "$C/$1.lua" -o "$TMP/$1.c" &&
		# shellcheck disable=SC2086
		$CC -std=c11 -O1 -g -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
			${TEST_CFLAGS:-} -Iruntime -I"$TMP" "$TMP/$1.c" runtime/*.c -lm \
			-o "$TMP/$1"
}
if ! build tiny >"$TMP/build.log" 2>&1 || ! build tiny_csv >>"$TMP/build.log" 2>&1; then
	cat "$TMP/build.log"
	echo "corrupt: 0 passed, 1 failed"
	exit 1
fi
# A run that resumes writes tiny.ckpt where it runs: not in the repository
# (and not where a concurrent run of this suite writes its own).
mkdir -p "$TMP/cwd" && cd "$TMP/cwd" || exit 2

# expect NAME FILE WORDS CMD...: CMD exits 1, stderr names FILE and says
# WORDS, and holds no sanitizer report
expect() {
	local name=$1 file=$2 words=$3 rc why=""
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	[ $rc -eq 1 ] || why="exit $rc, not 1"
	if grep -qE 'Sanitizer|runtime error:' "$TMP/err"; then
		why="${why:+$why; }sanitizer report"
	fi
	grep -qF -- "$file" "$TMP/err" || why="${why:+$why; }stderr does not name $file"
	grep -qF -- "$words" "$TMP/err" || why="${why:+$why; }stderr lacks '$words'"
	grep -q '^epoch ' "$TMP/out" && why="${why:+$why; }it trained"
	if [ -n "$why" ]; then
		bad "$name: $why (got: $(first "$TMP/err"))"
	else
		ok "$name"
	fi
}

# ---- data ------------------------------------------------------------------
# Each case: a data directory of the good files with one replaced.
while IFS=$'\t' read -r file slot words; do
	d=$TMP/d/$file
	mkdir -p "$d"
	cp "$C"/good/* "$d/"
	cp "$C/bad/$file" "$d/$slot"
	model=tiny
	[ "$slot" = train.csv ] && model=tiny_csv
	expect "data $file" "$d/$slot" "$words" "$TMP/$model" --data-dir "$d" --quiet
done <"$C/cases"
n=$(ls "$C/bad" | wc -l)
[ "$n" -eq "$(wc -l <"$C/cases")" ] || bad "data: $n files in $C/bad, $(wc -l <"$C/cases") cases"

# ---- checkpoints -------------------------------------------------------------
# The good checkpoint: one epoch of tiny; it must load (else every case
# below fails for the wrong reason).
mkdir -p "$TMP/good" "$TMP/ck"
(cd "$TMP/good" && "$TMP/tiny" --data-dir "$C/good" --quiet) >"$TMP/good.out" 2>&1
G=$TMP/good/tiny.ckpt
if [ ! -s "$G" ]; then
	bad "checkpoint: the good run wrote no tiny.ckpt ($(first "$TMP/good.out"))"
	echo "corrupt: $pass passed, $fail failed"
	exit 1
fi
if "$TMP/tiny" --data-dir "$C/good" --quiet --epochs 2 --resume "$G" >/dev/null 2>"$TMP/err"; then
	ok "checkpoint: the good one resumes"
else
	bad "checkpoint: the good one does not resume ($(first "$TMP/err"))"
fi
size=$(wc -c <"$G")
hlen=$(od -An -tu8 -N8 "$G" | tr -d ' ')
header() { tail -c +9 "$G" | head -c "$hlen"; }
data() { tail -c +$((9 + hlen)) "$G"; }
# le64 N: N as 8 little-endian bytes
le64() {
	local n=$1 i s=""
	for i in 0 1 2 3 4 5 6 7; do
		s="$s$(printf '\\%03o' $(((n >> (8 * i)) & 255)))"
	done
	# shellcheck disable=SC2059
	printf "$s"
}

# ckpt_case NAME WORDS: --resume $TMP/ck/NAME must fail naming it
ckpt_case() {
	expect "checkpoint $1" "$TMP/ck/$1" "$2" \
		"$TMP/tiny" --data-dir "$C/good" --quiet --epochs 2 --resume "$TMP/ck/$1"
}
# edit NAME SED: the good file with its header edited by SED, the length
# in front of it made to match
edit() {
	header | LC_ALL=C sed "$2" >"$TMP/hdr"
	{ le64 "$(wc -c <"$TMP/hdr")"; cat "$TMP/hdr"; data; } >"$TMP/ck/$1"
}

: >"$TMP/ck/empty"
ckpt_case empty "too short for a safetensors file"
head -c 7 "$G" >"$TMP/ck/seven-bytes"
ckpt_case seven-bytes "too short for a safetensors file"
head -c $((8 + hlen / 2)) "$G" >"$TMP/ck/header-cut"
ckpt_case header-cut "header length $hlen does not fit a file of $((8 + hlen / 2)) bytes"
head -c $((size - 1)) "$G" >"$TMP/ck/data-one-short"
ckpt_case data-one-short "lies outside the file"
head -c $((8 + hlen + 100)) "$G" >"$TMP/ck/data-cut"
ckpt_case data-cut "lies outside the file"
{ printf 'PK\003\004\024\000\000\000'; tail -c +9 "$G"; } >"$TMP/ck/magic-zip"
ckpt_case magic-zip "header length 85966670672 does not fit"
{ printf '\000\000\000\000\000\000\000\200'; tail -c +9 "$G"; } >"$TMP/ck/header-2-63"
ckpt_case header-2-63 "header length 9223372036854775808 does not fit"
{ le64 100000001; tail -c +9 "$G"; } >"$TMP/ck/header-over-cap"
ckpt_case header-over-cap "header length 100000001 does not fit"
{ le64 $((hlen + 8)); tail -c +9 "$G"; } >"$TMP/ck/header-too-long"
ckpt_case header-too-long "malformed header"
{ le64 0; tail -c +9 "$G"; } >"$TMP/ck/header-zero"
ckpt_case header-zero "malformed header: expected '{' at byte 0"
edit not-object 's/^{/[/'
ckpt_case not-object "malformed header: expected '{' at byte 0"
edit unterminated 's/}}\( *\)$/} \1/'
ckpt_case unterminated "malformed header"
edit trailing-text 's/}} /}}x/'
ckpt_case trailing-text "text after the closing '}'"
edit dtype 's/"F32"/"F16"/'
ckpt_case dtype "tensor 'linear1.weight' has dtype F16; only F32 is supported"
edit dtype-unknown 's/"F32"/"Q4_"/'
ckpt_case dtype-unknown "has dtype Q4_; only F32"
edit offsets-outside 's/\[1944,1956\]/[1944,9956]/'
ckpt_case offsets-outside "tensor 'optim.linear2.bias.exp_avg_sq' lies outside the file"
edit offsets-reversed 's/\[0,512\]/[512,0]/'
ckpt_case offsets-reversed "tensor 'linear1.weight' lies outside the file"
edit offsets-size 's/\[0,512\]/[0,511]/'
ckpt_case offsets-size "tensor 'linear1.weight' has 511 bytes for 128 floats"
edit offset-huge 's/\[0,512\]/[0,9223372036854775807]/'
ckpt_case offset-huge "malformed header: integer too large"
edit name 's/"linear1.weight"/"linear9.weight"/'
ckpt_case name "tensor 'linear1.weight' is missing"
edit name-extra 's/"optim.linear2.bias.exp_avg_sq"/"optim.linear2.bias.exp_avg_sx"/'
ckpt_case name-extra "tensor 'optim.linear2.bias.exp_avg_sx' in the file is not part of this model"
edit duplicate 's/"linear2.weight"/"linear1.weight"/'
ckpt_case duplicate "tensor 'linear1.weight' appears twice"
edit shape 's/"shape":\[8,16\],"data_offsets":\[0,/"shape":[16,8],"data_offsets":[0,/'
ckpt_case shape "tensor 'linear1.weight' has shape [16,8] in the file, the model expects [8,16]"
edit rank 's/"shape":\[8\],"data_offsets":\[512,/"shape":[8,1],"data_offsets":[512,/'
ckpt_case rank "tensor 'linear1.bias' has shape [8,1] in the file, the model expects [8]"
edit shape-overflow 's/"shape":\[8,16\],"data_offsets":\[0,512\]/"shape":[4611686018427387904,16],"data_offsets":[0,512]/'
ckpt_case shape-overflow "tensor 'linear1.weight' has an impossible shape"
edit hash 's/"nncc_model_hash":"\(.\)/"nncc_model_hash":"x/'
ckpt_case hash "checkpoint of another model (hash x"
edit step 's/"step":"\(.\)/"step":"x/'
ckpt_case step "__metadata__ has no valid 'step'"
edit rng 's/"data_rng":"\(.\)/"data_rng":"g/'
ckpt_case rng "__metadata__ has no valid 'data_rng'"
edit key 's/"dtype"/"dtypf"/'
ckpt_case key "unknown or repeated key in a tensor"
edit control 's/"linear1.weight"/"linear1\x01weight"/'
ckpt_case control "control character in string"
edit escape 's/"linear1.weight"/"linear1\\qweight"/'
ckpt_case escape "unknown escape"
{ head -c 8 "$G"; header | LC_ALL=C tr '"' "'"; data; } >"$TMP/ck/single-quotes"
ckpt_case single-quotes "malformed header"
# bit flips: one in each of 8 places spread over the header
for k in 1 2 3 4 5 6 7 8; do
	off=$((8 + hlen * k / 9))
	byte=$(od -An -tu1 -j "$off" -N1 "$G" | tr -d ' ')
	{ head -c "$off" "$G"; printf "\\$(printf '%03o' $((byte ^ 0x20)))"; tail -c +$((off + 2)) "$G"; } >"$TMP/ck/bitflip-$k"
	"$TMP/tiny" --data-dir "$C/good" --quiet --epochs 2 --resume "$TMP/ck/bitflip-$k" >/dev/null 2>"$TMP/err"
	rc=$?
	if grep -qE 'Sanitizer|runtime error:' "$TMP/err" || { [ $rc -ne 0 ] &&
		{ [ $rc -ne 1 ] || ! grep -qF "$TMP/ck/bitflip-$k" "$TMP/err"; }; }; then
		bad "checkpoint bitflip-$k (byte $off): exit $rc ($(first "$TMP/err"))"
	else
		ok "checkpoint bitflip-$k (byte $off): exit $rc$([ $rc -eq 1 ] && echo ", named")"
	fi
done
mkdir "$TMP/ck/a-directory"
ckpt_case a-directory "not a regular file"
ckpt_case no-such-file "cannot open"
# another model's checkpoint: tiny_csv's
(cd "$TMP/good" && "$TMP/tiny_csv" --data-dir "$C/good" --quiet) >/dev/null 2>&1
cp "$TMP/good/tiny_csv.ckpt" "$TMP/ck/other-model" 2>/dev/null
ckpt_case other-model "tensor 'linear1.weight' has shape [3,4] in the file, the model expects [8,16]"
echo "corrupt: $pass passed, $fail failed"
[ $fail -eq 0 ]
