#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything wireguard-rs needs to build its test kernels and module
# and to run its VM tests. Idempotent: a second run with everything present
# only checks and returns. Never edits the machine's own apt sources.
set -euo pipefail

BINDGEN_VERSION=0.72.1
PKGS=(clang-19 lld-19 llvm-19 libclang-19-dev rustc-web rust-web-src rust-web-clippy
      flex bison bc libelf-dev libssl-dev cpio kmod make xz-utils
      qemu-system-x86 busybox-static iproute2 iperf3 wireguard-tools wireguard-go
      gcc libc6-dev dash python3 python3-yaml python3-jsonschema python3-cryptography ca-certificates curl
      debootstrap)

log() { printf 'setup-toolchain: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || SUDO=sudo
SUDO=${SUDO:-}

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages: ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
		|| die "apt-get install failed for: ${missing[*]}"
fi

# bindgen must be the exact version we document; install it into a prefix we own.
BINDGEN_ROOT=${WGRS_CACHE:-$HOME/.cache/wireguard-rs}/bindgen-$BINDGEN_VERSION
if ! "$BINDGEN_ROOT/bin/bindgen" --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	# Any cargo will do to build bindgen: rustup's if present (PATH may lack
	# ~/.cargo/bin), else Debian's cargo-web.
	CARGO=$(command -v cargo || true)
	[ -n "$CARGO" ] || { [ -x "$HOME/.cargo/bin/cargo" ] && CARGO=$HOME/.cargo/bin/cargo; }
	if [ -z "$CARGO" ]; then
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends cargo-web >/dev/null \
			|| die "no cargo to install bindgen-cli $BINDGEN_VERSION with"
		CARGO=$(command -v cargo) || die "cargo-web installed no cargo"
	fi
	log "installing bindgen-cli $BINDGEN_VERSION into $BINDGEN_ROOT with $CARGO"
	"$CARGO" install --quiet --locked --root "$BINDGEN_ROOT" bindgen-cli --version "$BINDGEN_VERSION" \
		|| die "cargo install bindgen-cli failed"
fi

# pyroute2 for the client tests: a pinned wheel from PyPI, checked by digest.
. "$(dirname "$0")/pyroute2.env"
if ! echo "$WGRS_PYROUTE2_SHA256  $WGRS_PYROUTE2_WHEEL" | sha256sum -c --status 2>/dev/null; then
	log "downloading $(basename "$WGRS_PYROUTE2_WHEEL")"
	mkdir -p "$(dirname "$WGRS_PYROUTE2_WHEEL")"
	curl -fsSL --retry 3 -o "$WGRS_PYROUTE2_WHEEL.part" "$WGRS_PYROUTE2_URL" || die "download of pyroute2 failed"
	echo "$WGRS_PYROUTE2_SHA256  $WGRS_PYROUTE2_WHEEL.part" | sha256sum -c --status \
		|| die "pyroute2 wheel does not match its pinned sha256"
	mv "$WGRS_PYROUTE2_WHEEL.part" "$WGRS_PYROUTE2_WHEEL"
fi

# Final checks: fail early and say which piece is missing.
[ -x /usr/bin/rustc ] || die "/usr/bin/rustc (Debian rustc-web) missing"
[ -x /usr/bin/clippy-driver ] || die "/usr/bin/clippy-driver (Debian rust-web-clippy) missing"
[ -d /usr/lib/rustlib/src/rust/library ] || die "rust library source (rust-web-src) missing"
for t in clang-19 ld.lld-19 llvm-ar-19 qemu-system-x86_64 busybox flex bison bc; do
	command -v "$t" >/dev/null || die "$t not found after install"
done
[ -e /usr/lib/llvm-19/lib/libclang.so ] || ls /usr/lib/llvm-19/lib/libclang*.so* >/dev/null 2>&1 || die "libclang-19 missing"
log "ok: $(/usr/bin/rustc --version), bindgen $("$BINDGEN_ROOT/bin/bindgen" --version | awk '{print $2}'), $(clang-19 --version | head -1)"
