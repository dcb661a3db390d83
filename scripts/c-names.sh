#!/usr/bin/env bash
# c-names.sh — prints the identifiers a generated trainer's #includes
# declare (math.h stdint.h stdio.h stdlib.h string.h stddef.h, with gcc
# and with clang, each in its default mode, which shows glibc's
# extensions: index, y0, random…), minus those beginning with '_' (nncc refuses all of them),
# as the body of compiler/names.c's table: a model named `printf` or
# `index` would give `typedef struct printf printf;`.
#
#   scripts/c-names.sh > /tmp/list && edit compiler/names.c
set -euo pipefail
src=$(mktemp --suffix=.c)
trap 'rm -f "$src"' EXIT
printf '#include <%s>\n' math.h stdint.h stdio.h stdlib.h string.h stddef.h >"$src"
for cc in gcc clang; do
	"$cc" -E -P "$src" | grep -oE '\b[A-Za-z][A-Za-z0-9_]*\b'
	"$cc" -dM -E "$src" | awk '{ sub(/\(.*/, "", $2); print $2 }' |
		grep -E '^[A-Za-z]'
done | LC_ALL=C sort -u |
	awk '{ s = s sprintf("\"%s\", ", $0); if (length(s) > 60) { print "\t" s; s = "" } }
	     END { if (s != "") print "\t" s }' | sed 's/ $//'
