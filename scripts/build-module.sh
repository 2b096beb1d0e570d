#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh KDIR TAG [VARIANT]: build wireguard-rs.ko (with clippy)
# against kernel build KDIR in a per-TAG copy of the sources (so builds for
# different kernels do not share objects) and print the path of the .ko.
# VARIANT "tests" or "bench" builds the module with its KUnit test or
# benchmark suites (WGRS_KUNIT=...), in a directory of its own; without it,
# the module a user loads, with no test code.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/toolchain.env"
kdir=${1:?usage: build-module.sh KDIR TAG}
tag=${2:?usage: build-module.sh KDIR TAG}
variant=${3:-}
case $variant in ""|tests|bench) ;; *) echo "build-module: unknown variant '$variant'" >&2; exit 2;; esac
# WGRS_WORK: where module builds and VM runs go (default: the cache); a
# second checkout sets its own to run beside the first.
out=${WGRS_WORK:-$WGRS_CACHE}/module/$tag${variant:+-$variant}
mkdir -p "$out"
# One build at a time in a directory: parts of make check that run side by
# side may ask for the same module; the later one waits, then finds
# nothing to rebuild.
exec 9>"$out.lock"
flock 9
# Copy the module sources that differ from the last build's copy: an
# unchanged file keeps its old copy and time, so a fresh clone of the same
# sources (CI's) rebuilds nothing.
(cd "$here" && find Kbuild rust shims Documentation/netlink/specs -type f) | while read -r f; do
	cmp -s "$here/$f" "$out/$f" && continue
	mkdir -p "$out/$(dirname "$f")"
	cp "$here/$f" "$out/$f"
done
# Drop sources that no longer exist in the checkout.
(cd "$out" && find rust shims -type f \( -name '*.rs' -o -name '*.c' -o -name '*.h' \) | while read -r f; do
	[ -e "$here/$f" ] || rm -f "$f"; done)
# Through clippy (same version as rustc): its lints count as warnings, and
# any warning fails the build.
if ! make -C "$kdir" M="$out" "${WGRS_MAKEFLAGS[@]}" CLIPPY=1 CLIPPY_DRIVER=/usr/bin/clippy-driver WGRS_KUNIT="$variant" \
	-j"$(( $(nproc) + 1 ))" modules >"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	echo "build-module: module build failed" >&2
	exit 1
fi
if grep -E '(^|[ :])(warning|error)[:(\[]' "$out/build.log" >&2; then
	echo "build-module: the module build printed warnings (see above)" >&2
	exit 1
fi
echo "$out/wireguard-rs.ko"
