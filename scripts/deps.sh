#!/usr/bin/env bash
# deps.sh — installs the Debian packages nncc needs, and only the missing ones.
#
#   scripts/deps.sh [--reference] [--graphs] [--plots] [--check] [--dry-run]
#
#   (always)      liblua5.4-dev clang gcc make libomp-dev nodejs npm
#                 libclang-rt-dev (libFuzzer: make fuzz) valgrind (make test)
#   --reference   python3-torch python3-numpy libopenblas0-openmp
#                 (the PyTorch reference test and the benchmarks)
#   --graphs      graphviz
#   --plots       gnuplot-nox (tools/plot-metrics: training curves)
#   --check       install nothing: list what is missing, exit 1 if anything is
#   --dry-run     print the apt-get commands instead of running them
#
# A package counts as present when dpkg says it is installed, or when an
# installed package Provides it (NodeSource's nodejs provides npm and
# conflicts with Debian's npm, so asking apt for npm there would break
# node).  Nothing to do: prints nothing, exit 0.  Otherwise runs
# `apt-get update` once, then `apt-get install -y` of the missing ones,
# non-interactively, as root or through sudo.  Exit status non-zero with a
# message on failure.
set -euo pipefail

die() {
	printf 'deps.sh: %s\n' "$*" >&2
	exit 1
}

pkgs=(liblua5.4-dev clang gcc make libomp-dev nodejs npm libclang-rt-dev valgrind)
check=0
dry=0
for arg in "$@"; do
	case $arg in
	--reference) pkgs+=(python3-torch python3-numpy libopenblas0-openmp) ;;
	--graphs) pkgs+=(graphviz) ;;
	--plots) pkgs+=(gnuplot-nox) ;;
	--check) check=1 ;;
	--dry-run) dry=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) die "unknown argument '$arg' (try --help)" ;;
	esac
done

command -v dpkg-query >/dev/null 2>&1 ||
	die "dpkg-query not found: this script is for Debian and its derivatives"

# Every virtual package named in the Provides of an installed package.
provides() {
	dpkg-query -W -f='${db:Status-Abbrev} ${Provides}\n' 2>/dev/null |
		awk '$1 == "ii" { $1 = ""; print }' |
		tr ',' '\n' |
		sed -e 's/([^)]*)//g' -e 's/:[a-z0-9]*//' -e 's/^ *//' -e 's/ *$//' |
		sort -u
}
provided=$(provides)

present() {
	local p=$1
	if dpkg -s "$p" 2>/dev/null | grep -qx 'Status: install ok installed'; then
		return 0
	fi
	grep -qxF -- "$p" <<<"$provided"
}

missing=()
for p in "${pkgs[@]}"; do
	present "$p" || missing+=("$p")
done

((${#missing[@]} == 0)) && exit 0

if ((check)); then
	printf 'deps.sh: missing Debian packages: %s\n' "${missing[*]}" >&2
	exit 1
fi

sudo=()
if ((EUID != 0)); then
	if command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	elif ((!dry)); then
		die "missing ${missing[*]}; run as root (or install sudo) to install them"
	fi
fi

run() {
	if ((dry)); then
		printf '%s\n' "$*"
	else
		"$@"
	fi
}

printf 'deps.sh: installing %s\n' "${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
run "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
	die "apt-get update failed"
run "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q "${missing[@]}" ||
	die "apt-get install ${missing[*]} failed"
if ((!dry)); then
	provided=$(provides)
	for p in "${missing[@]}"; do
		present "$p" || die "$p is still not installed after apt-get install"
	done
fi
