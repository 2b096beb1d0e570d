#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's linux-source-7.3 (trixie-backports) into the cache and unpack
# it. Uses a private apt sources list and state directory; the machine's own
# apt configuration is never touched. Prints the path of the unpacked tree.
set -euo pipefail

CACHE=${WGRS_CACHE:-$HOME/.cache/wireguard-rs}
PKG=${WGRS_KSRC_PKG:-linux-source-7.3}
MIRROR=${WGRS_DEBIAN_MIRROR:-}
log() { printf 'fetch-kernel-source: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -z "$MIRROR" ]; then
	# Reuse the mirror the machine already uses for Debian.
	MIRROR=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list.d/*.list 2>/dev/null | grep -oE 'https?://[^ ]*/debian/?' | grep -v security | head -n1 || true)
	MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi

APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/archives/partial" "$CACHE/src"
cat > "$APT/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie-backports main
SRC
aptopts=(-o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
	 -o Dir::State::Lists="$APT/lists" -o Dir::Cache::Archives="$APT/archives"
	 -o Dir::State::Status=/var/lib/dpkg/status -o APT::Architecture=amd64
	 -o Debug::NoLocking=1)

# The version moves on in backports; ask which one is current unless we
# already unpacked something and are offline.
ver=""
if apt-get "${aptopts[@]}" -qq update 2>/dev/null; then
	ver=$(apt-cache "${aptopts[@]}" policy "$PKG" | awk '/Candidate:/ {print $2}')
fi
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	existing=$(ls -d "$CACHE"/src/linux-* 2>/dev/null | sort -V | tail -n1 || true)
	[ -n "$existing" ] && [ -f "$existing/.wgrs-unpacked" ] && { log "offline, reusing $existing"; echo "$existing"; exit 0; }
	die "could not find $PKG in trixie-backports at $MIRROR"
fi

upstream=${ver%%-*}; upstream=${upstream%%+*}
dest=$CACHE/src/linux-$ver
if [ -f "$dest/.wgrs-unpacked" ]; then echo "$dest"; exit 0; fi

log "downloading $PKG $ver"
(cd "$APT/archives" && apt-get "${aptopts[@]}" -qq download "$PKG=$ver") || die "apt-get download failed"
deb=$(ls "$APT/archives/${PKG}_"*.deb | sort -V | tail -n1)
tmp=$(mktemp -d "$CACHE/src/.unpack.XXXXXX")
dpkg-deb -x "$deb" "$tmp"
tarball=$(ls "$tmp"/usr/src/linux-source-*.tar.xz | head -n1)
[ -f "$tarball" ] || die "no source tarball in $deb"
log "unpacking $(basename "$tarball")"
rm -rf "$dest"; mkdir -p "$dest"
tar -xJf "$tarball" -C "$dest" --strip-components=1
rm -rf "$tmp" "$deb"
echo "$ver" > "$dest/.wgrs-unpacked"
echo "$dest"
