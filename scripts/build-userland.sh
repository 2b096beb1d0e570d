#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-userland.sh: build (or reuse) a Debian trixie minbase userland with
# what the kernel's own WireGuard selftest (tools/testing/selftests/wireguard/
# netns.sh) needs, packed as an uncompressed cpio archive ready to be the
# first part of an initramfs. Prints the path of the archive.
#
# The archive is cached under $WGRS_CACHE/userland/ keyed by this script's
# contents (the package list, the suites and every step live here), so a
# warm run is a lookup and needs no network. A cold run uses the machine's
# own Debian mirror with private apt state; the machine's apt configuration
# is never touched. Needs root (debootstrap) and debootstrap itself
# (scripts/setup-toolchain.sh installs it).
set -euo pipefail

CACHE=${WGRS_CACHE:-$HOME/.cache/wireguard-rs}
MIRROR=${WGRS_DEBIAN_MIRROR:-}
SUITE=trixie
# netns.sh runs bash, ip/ss, iptables (legacy: it drives the xtables tables
# the kernel config has), iperf3, ncat, ping, pgrep/kill and modprobe.
INCLUDE=bash,iproute2,iptables,iperf3,ncat,iputils-ping,procps,kmod
# allowed-ips -PREFIX (removal) first appeared in wireguard-tools 1.0.20250521;
# trixie has 1.0.20210914, trixie-backports has a new enough one.
WG_MIN=1.0.20250521
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

log() { printf 'build-userland: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

key=$(sha256sum "$0" | cut -c1-16)
base=$CACHE/userland
out=$base/$SUITE-$key.cpio
if [ -f "$out" ]; then echo "$out"; exit 0; fi

[ "$(id -u)" = 0 ] || die "needs root (debootstrap)"
command -v debootstrap >/dev/null || die "debootstrap missing: run scripts/setup-toolchain.sh"
mkdir -p "$base/debs" "$base/apt/lists/partial" "$base/apt/archives/partial"

# One builder at a time; a second one waits and then reuses the result.
exec 9>"$base/.lock"
flock 9
if [ -f "$out" ]; then echo "$out"; exit 0; fi

if [ -z "$MIRROR" ]; then
	# Same rule as fetch-kernel-source.sh: the mirror the machine uses.
	MIRROR=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list.d/*.list 2>/dev/null | grep -oE 'https?://[^ ]*/debian/?' | grep -v security | head -n1 || true)
	MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi

# Build on tmpfs when there is room: dpkg's fsyncs cost nothing there.
tmpbase=$base
avail=$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $4}')
[ "${avail:-0}" -gt 2097152 ] && tmpbase=/dev/shm
tmp=$(mktemp -d "$tmpbase/wgrs-userland.XXXXXX")
root=$tmp/root
cleanup() {
	# debootstrap mounts proc and sys in the target; never leave them behind.
	local m
	for m in $(awk -v r="$root" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# The backports wg, fetched beside debootstrap (private apt state).
fetch_wg() {
	local apt=$base/apt ver
	echo "deb [signed-by=$KEYRING] $MIRROR $SUITE-backports main" > "$apt/sources.list"
	local opts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache::Archives="$apt/archives"
		-o Dir::State::Status=/var/lib/dpkg/status -o APT::Architecture=amd64
		-o Debug::NoLocking=1)
	apt-get "${opts[@]}" -qq update || return 1
	ver=$(apt-cache "${opts[@]}" policy wireguard-tools | awk '/Candidate:/ {print $2}')
	dpkg --compare-versions "${ver:-0}" ge "$WG_MIN" || { log "wireguard-tools in $SUITE-backports is '$ver', need >= $WG_MIN"; return 1; }
	rm -f "$tmp"/wireguard-tools_*.deb
	(cd "$tmp" && apt-get "${opts[@]}" -qq download "wireguard-tools=$ver") || return 1
}
t0=$(date +%s)
fetch_wg >"$tmp/wg.log" 2>&1 &
wg_pid=$!

log "debootstrap $SUITE minbase from $MIRROR into $root"
if ! debootstrap --variant=minbase --include="$INCLUDE" --components=main \
	--keyring="$KEYRING" --cache-dir="$base/debs" \
	"$SUITE" "$root" "$MIRROR" >"$tmp/debootstrap.log" 2>&1; then
	tail -n 30 "$tmp/debootstrap.log" >&2
	[ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
	die "debootstrap failed"
fi
wait "$wg_pid" || { cat "$tmp/wg.log" >&2; die "could not fetch wireguard-tools >= $WG_MIN from $SUITE-backports"; }
log "debootstrap done in $(( $(date +%s) - t0 ))s"

# wg(8) only: the binary needs nothing beyond trixie's libc.
deb=$(ls "$tmp"/wireguard-tools_*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" ./usr/bin/wg
chroot "$root" /usr/bin/wg --version >&2 || die "wg does not run in the userland"

# netns.sh drives the legacy xtables (iptables-nft would need nf_tables rules
# the test kernel's config is not built for).
chroot "$root" update-alternatives --quiet --set iptables /usr/sbin/iptables-legacy
chroot "$root" update-alternatives --quiet --set ip6tables /usr/sbin/ip6tables-legacy
for t in bash ip ss iptables iperf3 ncat ping modprobe pgrep; do
	chroot "$root" sh -c "command -v $t" >/dev/null || die "$t missing from the userland"
done

# Strip what a test VM never reads: docs, manuals, locales, apt's state.
rm -rf "$root"/usr/share/{doc,man,info,locale,i18n,lintian,linda,bug,common-licenses} \
	"$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old \
	"$root"/var/log/* "$root"/debootstrap
mkdir -p "$root/usr/share/man"

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out.part"
mv "$out.part" "$out"
log "built $(basename "$out") ($(du -m "$out" | cut -f1) MB) in $(( $(date +%s) - t0 ))s"
echo "$out"
