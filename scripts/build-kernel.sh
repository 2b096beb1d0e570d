#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh normal|debug
# Build (or reuse from the cache) a Rust-enabled test kernel from the config
# fragments in kconfig/, and print its build directory. The cache key covers
# the kernel source version, the fragments, this script and the toolchain
# versions, so a changed input rebuilds and a warm rerun does nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/toolchain.env"
flavor=${1:?usage: build-kernel.sh normal|debug}
case $flavor in normal|debug) ;; *) echo "unknown flavor $flavor" >&2; exit 2;; esac
log() { printf 'build-kernel[%s]: %s\n' "$flavor" "$*" >&2; }
die() { log "error: $*"; exit 1; }

ksrc=$("$here/scripts/fetch-kernel-source.sh")
frags=("$here/kconfig/base.config" "$here/kconfig/net.config" "$here/kconfig/rust.config")
[ "$flavor" = debug ] && frags+=("$here/kconfig/debug.config")

key=$( {
	cat "$ksrc/.wgrs-unpacked"
	cat "${frags[@]}" "$here/kconfig/required.txt" "$0" "$here/scripts/toolchain.env"
	"$WGRS_RUSTC" --version; "$WGRS_BINDGEN" --version; clang-19 --version | head -n1
} | sha256sum | cut -c1-16)
out=$WGRS_CACHE/kernels/$flavor-$key
if [ -f "$out/.wgrs-built" ]; then echo "$out"; exit 0; fi

# A new key: drop older builds of this flavor but the newest one, which a
# checkout of the previous sources (another branch, a run under way) may
# still be using.
# (On an empty cache ls finds nothing and fails; under pipefail that
# ended the script with no word before the first build.)
{ ls -dt "$WGRS_CACHE/kernels/$flavor-"* 2>/dev/null || true; } | tail -n +2 | xargs -r rm -rf
mkdir -p "$out"
mk() { make -C "$ksrc" O="$out" "${WGRS_MAKEFLAGS[@]}" "$@"; }

log "configuring in $out"
mk -s allnoconfig >/dev/null
"$ksrc/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >/dev/null
mk -s olddefconfig >/dev/null
# Kconfig drops what it cannot honour without a word: check the result.
bad=0
while read -r line; do
	case $line in ''|'#'*) continue;; esac
	case $line in debug:*) [ "$flavor" = debug ] || continue; line=${line#debug:};; esac
	case $line in
	!*) ! grep -q "^${line#!}=" "$out/.config" || { log "must be off in .config: ${line#!}"; bad=1; };;
	*) grep -qx "$line" "$out/.config" || { log "missing in .config: $line"; bad=1; };;
	esac
done < "$here/kconfig/required.txt"
[ $bad = 0 ] || die "the resulting .config lacks required options (is the Rust toolchain usable? see 'make rustavailable')"

jobs=$(( $(nproc) + 1 ))
log "building bzImage and modules with -j$jobs (several minutes)"
start=$(date +%s)
if ! mk -j"$jobs" bzImage modules > "$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	die "kernel build failed, log in $out/build.log"
fi
nwarn=$(grep -c -E '(^|[ :])warning[:(]' "$out/build.log" || true)
log "built in $(( $(date +%s) - start ))s, $nwarn warning(s) in $out/build.log"
touch "$out/.wgrs-built"
echo "$out"
